"""Names of a run's actors in Ray (no Ray import: the CLI sets Ray's environment first)."""

NAMESPACE = "soak"


def actor_name(run_id: str, agent_id: str) -> str:
    return f"{run_id}.{agent_id}"


def controller_name(run_id: str) -> str:
    return f"controller.{run_id}"
