"""Noticing a Kafka client that knows no broker any more.

Since 2.10, librdkafka forgets every broker a Metadata response does not list. A broker in
controlled shutdown answers with an empty broker list, so a client that asks at that moment
(one whose request just failed asks at once) forgets the whole cluster, its bootstrap
servers included, and never connects again: it neither produces nor fetches,
and reports no error (confluentinc/librdkafka#5301, still so in 2.16). Seen here as a
broker_restart after which some agents stayed idle for good.

A client that is merely cut off (broker killed, network partition) keeps its brokers in its
statistics and reconnects by itself; only the empty list is this failure. The agents feed
their clients' statistics to a BrokerWatch and replace a client that has known no broker
for `limit_s`.
"""

from __future__ import annotations

import json

# How often clients emit statistics, and how long a client may know no broker before it is
# replaced: long enough for a rebootstrap librdkafka does on its own.
STATS_INTERVAL_MS = 2_000
BROKERLESS_LIMIT_S = 20.0


def known_brokers(stats_json: str) -> int:
    """Brokers the client knows (bootstrap and learned), from its statistics JSON."""
    return len(json.loads(stats_json).get("brokers") or {})


class BrokerWatch:
    def __init__(self, limit_s: float = BROKERLESS_LIMIT_S):
        self.limit_s = limit_s
        self._brokerless_since: float | None = None

    def observe(self, now_s: float, brokers: int) -> None:
        if brokers > 0:
            self._brokerless_since = None
        elif self._brokerless_since is None:
            self._brokerless_since = now_s

    def lost(self, now_s: float) -> bool:
        """True once the client has known no broker for `limit_s` without a break."""
        return self._brokerless_since is not None and now_s - self._brokerless_since >= self.limit_s

    def reset(self) -> None:
        """A new client replaced the lost one."""
        self._brokerless_since = None
