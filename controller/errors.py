"""Errors people read: one line that says what went wrong and how to fix it."""

from __future__ import annotations


class SoakError(Exception):
    """An expected failure; the CLI prints `error: <what>; fix: <fix>` and exits non-zero."""

    exit_code = 1

    def __init__(self, what: str, fix: str | None = None, details: str | None = None):
        super().__init__(what)
        self.what = what
        self.fix = fix
        # Extra lines (for example the broker's last log lines) shown after the one-line error.
        self.details = details

    def one_line(self) -> str:
        text = self.what if not self.fix else f"{self.what}; fix: {self.fix}"
        return " ".join(text.split())


class InfraError(SoakError):
    """A local service could not be installed, started, reached or stopped."""


class NotImplementedYet(SoakError):
    """A command whose capability has not landed yet; says so instead of pretending."""

    exit_code = 3
