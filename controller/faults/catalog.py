"""Every fault kind, by name: a new fault is a new small unit added here (house rule 8)."""

from __future__ import annotations

from controller.faults.base import Fault
from controller.faults.kinds.agents import AgentKill, AgentPause
from controller.faults.kinds.broker import BrokerKill, BrokerRestart
from controller.faults.kinds.network import NetworkDegraded, NetworkPartition
from controller.faults.kinds.nodes import CpuPressure, MemoryPressure, NodeLoss
from controller.faults.kinds.services import ServiceRestart, ServiceStop
from workloads.faults import PARAMS

CATALOG: dict[str, Fault] = {f.kind: f for f in (AgentKill(), AgentPause(), BrokerKill(), BrokerRestart(),
                                                  NetworkDegraded(), NetworkPartition(), CpuPressure(),
                                                  MemoryPressure(), NodeLoss(), ServiceRestart(), ServiceStop())}
assert set(CATALOG) == set(PARAMS), "every fault kind of the workload schema has an implementation"
