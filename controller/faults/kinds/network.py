"""Network faults between the clients and the broker, through Toxiproxy."""

from __future__ import annotations

from controller.faults.base import Fault, Injected, need


def _network(ctx):
    return need(ctx.network, "Toxiproxy")


class NetworkDegraded(Fault):
    """Latency with jitter and/or a bandwidth limit, in both directions."""

    kind = "network_degraded"

    def start(self, ctx, params, name):
        net = _network(ctx)
        toxics: list[str] = []
        try:
            if params.latency_ms or params.jitter_ms:
                toxics += net.add(f"{name}-latency", "latency",
                                  {"latency": params.latency_ms, "jitter": params.jitter_ms})
            if params.bandwidth_kb_s is not None:
                toxics += net.add(f"{name}-bandwidth", "bandwidth", {"rate": params.bandwidth_kb_s})
        except Exception:
            net.remove(toxics)  # all or nothing
            raise
        parts = [f"{params.latency_ms}±{params.jitter_ms} ms"] if params.latency_ms or params.jitter_ms else []
        if params.bandwidth_kb_s is not None:
            parts.append(f"{params.bandwidth_kb_s} KB/s")
        return Injected(f"clients<->broker ({', '.join(parts)})", {"name": name, "toxics": toxics})

    def heal(self, ctx, handle):
        # By name prefix, so a fault whose start was cut short is healed as well.
        removed = _network(ctx).remove_prefixed(f"{handle['name']}-")
        return f"removed {removed} toxics"


class NetworkPartition(Fault):
    kind = "network_partition"

    def start(self, ctx, params, name):
        _network(ctx).set_enabled(False)
        return Injected("clients<->broker", {})

    def heal(self, ctx, handle):
        _network(ctx).set_enabled(True)
        return "proxy enabled"
