"""What every local service reports about itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    state: str  # "ready", "starting" (running but not answering), "stopped", "not installed"
    address: str | None = None
    pid: int | None = None
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class LocalService(Protocol):
    name: str

    def start(self) -> ComponentStatus: ...

    def stop(self) -> bool: ...

    def status(self) -> ComponentStatus: ...
