"""The session's Ray cluster (a head and three workers on this machine) runs actors in processes of their own."""


def test_local_ray_runs_an_actor(ray_local):
    from tests.integration.conftest import WORKER_NODES

    ray = ray_local

    @ray.remote(num_cpus=0)
    class Counter:
        def __init__(self):
            self.value = 0

        def add(self, n: int) -> int:
            self.value += n
            return self.value

        def pid(self) -> int:
            import os

            return os.getpid()

    counter = Counter.remote()
    assert ray.get([counter.add.remote(i) for i in range(1, 5)]) == [1, 3, 6, 10]
    import os

    assert ray.get(counter.pid.remote()) != os.getpid(), "the actor must run in its own worker process"
    alive = [n for n in ray.nodes() if n["Alive"]]
    assert len(alive) == 1 + WORKER_NODES  # also after the node-loss test, which adds a replacement
    assert ray.cluster_resources().get("CPU") == 1 + WORKER_NODES
