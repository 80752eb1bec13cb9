"""Where new agents go: one agent of each kind per node where possible, evenly otherwise.

Pure: the nodes and what already runs on them in, a node per new agent out. Each new
agent goes to the node with the fewest agents of its kind, ties broken by the fewest
agents overall, then by node id, so repeated calls give the same answer.
"""

from __future__ import annotations

from collections import Counter

from controller.fleet.slots import AgentSlot


def place(new: list[AgentSlot], nodes: list[str], running: dict[str, list[str]] | None = None) -> dict[str, str]:
    """agent id -> node id for each slot in `new`; `running` is node id -> kinds already there."""
    if not nodes:
        return {}
    per_kind: dict[str, Counter[str]] = {}
    total: Counter[str] = Counter({n: 0 for n in nodes})
    for node, kinds in (running or {}).items():
        if node not in total:
            continue  # agents on a node that is gone no longer count
        for kind in kinds:
            per_kind.setdefault(kind, Counter())[node] += 1
            total[node] += 1
    out = {}
    for slot in sorted(new):
        counts = per_kind.setdefault(slot.kind, Counter())
        node = min(nodes, key=lambda n: (counts[n], total[n], n))
        counts[node] += 1
        total[node] += 1
        out[slot.agent_id] = node
    return out
