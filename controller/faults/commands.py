"""Shell command templates with placeholders, for drivers of systems we cannot reach
directly (systemd, kubectl, ssh in staging): `ssh {host} sudo systemctl kill kafka`."""

from __future__ import annotations

import subprocess

from controller.errors import SoakError
from workloads.specs import placeholders


class FaultCommandError(SoakError):
    pass


def render(template: str, values: dict[str, str]) -> str:
    missing = placeholders(template) - set(values)
    if missing:
        raise FaultCommandError(f"command template {template!r} names unknown placeholder(s) "
                                f"{', '.join(sorted(missing))}",
                                fix=f"use only {', '.join('{' + k + '}' for k in sorted(values))}")
    return template.format(**values)


def run_command(template: str, values: dict[str, str], timeout_s: float = 300.0) -> str:
    """Run the rendered command with `sh -c`; its output, or FaultCommandError on failure."""
    command = render(template, values)
    try:
        result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=timeout_s,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise FaultCommandError(f"`{command}` did not finish within {timeout_s:g} s") from exc
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise FaultCommandError(f"`{command}` exited with {result.returncode}",
                                details="\n".join(output.splitlines()[-10:]) or None)
    return output
