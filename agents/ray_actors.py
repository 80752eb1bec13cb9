"""Agents as Ray actors.

The actor starts its work in its constructor, so when Ray restarts a crashed actor
(`max_restarts`) it resumes by itself, as a new incarnation. The same classes run as
plain objects in tests.
"""

from __future__ import annotations

import ray


def remote_agent_class(agent_cls, **ray_options):
    class AutoStarted(agent_cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.start()

        def node_id(self) -> str | None:
            return ray.get_runtime_context().get_node_id()

    # Ray names the worker process after the class ("ray::ProducerAgent"), which is how
    # a node agent or an operator recognises it.
    AutoStarted.__name__ = AutoStarted.__qualname__ = agent_cls.__name__
    options = {"max_restarts": -1, "max_task_retries": 0, "num_cpus": 0}
    options.update(ray_options)
    return ray.remote(**options)(AutoStarted)
