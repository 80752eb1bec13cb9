"""Running the real `soak` command in a subprocess, as a user would."""

from __future__ import annotations

import subprocess

from tests.integration.conftest import SOAK_CLI


def run_soak(args: list[str], env: dict[str, str], timeout_s: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(SOAK_CLI + args, env=env, capture_output=True, text=True, timeout=timeout_s,
                          stdin=subprocess.DEVNULL)


def the_error_line(result: subprocess.CompletedProcess) -> str:
    """The one `error:` line of a failed command; fails on tracebacks or several errors."""
    assert result.returncode != 0, f"expected a failure, got exit 0:\n{result.stdout}"
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, f"expected exactly one error line, got:\n{result.stderr}"
    assert "fix:" in errors[0], errors[0]
    return errors[0]
