"""Run totals across agent incarnations (pure, bounded memory).

Agents report cumulative counters and histograms per incarnation. When an agent comes
back as a new incarnation its counts start again at zero, so the last snapshot of the
old one is folded into a base: totals never go backwards over restarts. Memory is one
dense histogram per histogram name for the whole run plus each agent's latest sparse
snapshot: it does not grow with the run's length or its number of restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.core.histogram import LatencyHistogram
from controller.sampling.flatten import counters, histograms

ANOMALY_KINDS = ("duplicate", "reordered", "corrupt")  # the verifiers' findings that fail a run


@dataclass
class AgentTotals:
    kind: str
    incarnation: int
    base: dict[str, float] = field(default_factory=dict)  # finished incarnations
    current: dict[str, float] = field(default_factory=dict)
    current_hist: dict[str, dict] = field(default_factory=dict)

    def total(self, name: str) -> float:
        return self.base.get(name, 0.0) + self.current.get(name, 0.0)


class RunTotals:
    def __init__(self) -> None:
        self.agents: dict[str, AgentTotals] = {}
        self._hist_base: dict[str, LatencyHistogram] = {}

    def update(self, agent_id: str, stats: dict) -> None:
        kind, incarnation = stats.get("kind", ""), int(stats.get("incarnation", 0))
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = AgentTotals(kind, incarnation)
        elif agent.incarnation != incarnation:
            self._fold(agent)
            agent.incarnation = incarnation
        agent.current = counters(stats)
        agent.current_hist = histograms(stats)

    def _fold(self, agent: AgentTotals) -> None:
        for name, value in agent.current.items():
            agent.base[name] = agent.base.get(name, 0.0) + value
        for name, raw in agent.current_hist.items():
            self._hist_base.setdefault(name, LatencyHistogram()).merge(LatencyHistogram.from_json(raw))
        agent.current, agent.current_hist = {}, {}

    def total(self, name: str, kind: str | None = None) -> float:
        return sum(a.total(name) for a in self.agents.values() if kind is None or a.kind == kind)

    def anomalies(self, kinds: tuple[str, ...] = ANOMALY_KINDS) -> dict[str, float]:
        return {kind: self.total(f"verdicts.{kind}") for kind in kinds}

    def histogram_names(self) -> list[str]:
        names = set(self._hist_base)
        for agent in self.agents.values():
            names.update(agent.current_hist)
        return sorted(names)

    def merged(self, name: str) -> LatencyHistogram:
        """The run's histogram: every incarnation of every agent, merged bucket by bucket."""
        out = LatencyHistogram()
        if name in self._hist_base:
            out.merge(self._hist_base[name])
        for agent in self.agents.values():
            raw = agent.current_hist.get(name)
            if raw is not None:
                out.merge(LatencyHistogram.from_json(raw))
        return out

    # A checkpoint in the store lets a resumed controller carry on without double counting.
    def to_json(self) -> dict:
        return {"agents": {aid: {"kind": a.kind, "incarnation": a.incarnation, "base": a.base,
                                 "current": a.current, "current_hist": a.current_hist}
                           for aid, a in self.agents.items()},
                "hist_base": {name: h.to_json() for name, h in self._hist_base.items()}}

    @classmethod
    def from_json(cls, raw: dict) -> "RunTotals":
        totals = cls()
        for aid, a in raw.get("agents", {}).items():
            totals.agents[aid] = AgentTotals(a["kind"], int(a["incarnation"]), dict(a["base"]), dict(a["current"]),
                                             dict(a["current_hist"]))
        totals._hist_base = {name: LatencyHistogram.from_json(h) for name, h in raw.get("hist_base", {}).items()}
        return totals
