"""A team's own service restarted, or stopped until the heal, through the command
templates its workload gives (`node.services`), run from the controller."""

from __future__ import annotations

from controller.faults.base import Fault, FaultContext, FaultUnavailable, Injected
from controller.faults.commands import run_command


def pick_service(ctx: FaultContext, wanted: str | None, command: str) -> str:
    """The named service, or a random one that has `command`."""
    having = sorted(name for name, cmds in ctx.env.services.items() if cmds.get(command))
    if wanted is not None:
        if wanted not in having:
            raise FaultUnavailable(f"service {wanted!r} has no {command} command in node.services "
                                   f"(services with one: {', '.join(having) or 'none'})")
        return wanted
    if not having:
        raise FaultUnavailable(f"no service in node.services has a {command} command")
    return ctx.rng.choice(having)


def _run(ctx: FaultContext, service: str, command: str) -> str:
    output = run_command(ctx.env.services[service][command], {"service": service, "run_id": ctx.run_id})
    return output.splitlines()[-1][:200] if output else f"{command} command done"


class _ServiceCommand(Fault):
    command: str  # the node.services command that starts the fault

    def start(self, ctx, params, name):
        service = pick_service(ctx, params.service, self.command)
        return Injected(service, {"service": service, "output": _run(ctx, service, self.command)})


class ServiceRestart(_ServiceCommand):
    kind, command = "service_restart", "restart"

    def heal(self, ctx, handle):
        return "nothing to undo: the restart command (or the service's supervisor) brought it back"


class ServiceStop(_ServiceCommand):
    kind, command = "service_stop", "stop"

    def heal(self, ctx, handle):
        return _run(ctx, handle["service"], "start")
