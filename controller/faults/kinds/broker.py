"""Broker kill (SIGKILL, no clean shutdown) and broker restart (clean stop), both started
again on heal, through the run's broker driver."""

from __future__ import annotations

from controller.faults.base import Fault, Injected, need


class _BrokerDown(Fault):
    take_down: str  # the driver method that takes the broker down

    def start(self, ctx, params, name):
        return Injected("broker", {"did": getattr(need(ctx.broker, "broker driver"), self.take_down)()})

    def heal(self, ctx, handle):
        return need(ctx.broker, "broker driver").start()


class BrokerKill(_BrokerDown):
    kind, take_down = "broker_kill", "kill"


class BrokerRestart(_BrokerDown):
    kind, take_down = "broker_restart", "stop"
