"""Command templates of the staging drivers, and the fault environment's availability."""

from __future__ import annotations

import pytest

from controller.faults.commands import FaultCommandError, placeholders, render, run_command
from controller.faults.drivers import CommandBrokerDriver
from controller.faults.environment import FaultEnvironment, resolve, wants_network
from controller.runs.verdict import Evidence, judge
from controller.settings import SoakSettings
from workloads.faults import FaultScheduleSpec
from workloads.model import SLOSpec


def test_templates_render_their_placeholders_and_refuse_unknown_ones():
    assert placeholders("ssh {host} kill -9 $(pgrep -f {port})") == {"host", "port"}
    assert render("ssh {host} stop", {"host": "b1", "port": "9092"}) == "ssh b1 stop"
    with pytest.raises(FaultCommandError, match=r"unknown placeholder\(s\) hots"):
        render("ssh {hots} stop", {"host": "b1"})


def test_a_command_runs_in_a_shell_and_a_failure_carries_its_output(tmp_path):
    out = tmp_path / "seen"
    assert run_command("echo {bootstrap} > " + str(out) + " && echo done", {"bootstrap": "b:1"}) == "done"
    assert out.read_text() == "b:1\n"
    with pytest.raises(FaultCommandError) as info:
        run_command("echo broken >&2; exit 3", {})
    assert "exited with 3" in info.value.what and "broken" in info.value.details


def test_the_command_broker_driver_fills_host_and_port_from_bootstrap(tmp_path):
    log = tmp_path / "log"
    env = FaultEnvironment(broker="command", bootstrap="kafka-1:9092,kafka-2:9092",
                           broker_kill_command=f"echo kill {{host}} {{port}} >> {log}",
                           broker_start_command=f"echo start {{bootstrap}} >> {log}")
    driver = CommandBrokerDriver(env)
    driver.kill()
    driver.start()
    assert log.read_text().splitlines() == ["kill kafka-1 9092", "start kafka-1:9092,kafka-2:9092"]


def test_availability_names_what_is_missing():
    none = FaultEnvironment()
    assert "no broker driver" in none.unavailable("broker_kill")
    assert "Toxiproxy" in none.unavailable("network_partition")
    assert "SOAK_NODE_START_COMMAND" in none.unavailable("node_loss")
    assert none.unavailable("agent_kill") is None and none.unavailable("cpu_pressure") is None
    staged = FaultEnvironment(broker="command", broker_start_command="x", broker_stop_command="y")
    assert staged.unavailable("broker_restart") is None and "KILL" in staged.unavailable("broker_kill")


def test_clients_cross_the_local_proxy_only_when_network_faults_may_come(tmp_path):
    settings = SoakSettings(data_dir=tmp_path)
    calm = FaultScheduleSpec()
    network = FaultScheduleSpec(mode="every", kinds=("network_partition",))
    assert not wants_network(calm) and wants_network(network)
    env, client = resolve(settings, calm)
    assert client is None and env.toxiproxy_url is None and env.broker == "local"
    env, client = resolve(settings, network)
    assert client == f"127.0.0.1:{settings.toxiproxy_kafka_port}" and env.toxiproxy_url.endswith(":8474")
    external = SoakSettings(data_dir=tmp_path, bootstrap_servers="k:9092")
    env, client = resolve(external, network)
    assert (env.broker, env.toxiproxy_url, client) == ("none", None, None)


def test_the_verdict_expects_the_restarts_faults_cause_and_warns_on_a_missed_recovery():
    check = {"ok": True, "missing": 0, "duplicates": 0, "unexpected": 0, "state_losses": 0, "acked": 10}
    base = {"check": check, "acked": 10.0}
    calm = judge(Evidence(**base, restarts=2, fault_restarts=2), SLOSpec())
    assert calm.level == "PASS", calm.reasons
    more = judge(Evidence(**base, restarts=3, fault_restarts=2), SLOSpec())
    assert more.reasons == ("1 agent restarts (2 more caused by injected faults)",)
    missed = judge(Evidence(**base, faults_not_recovered=("fault 3 broker_kill on broker",)), SLOSpec())
    assert missed.level == "WARN" and missed.reasons == ("not recovered: fault 3 broker_kill on broker",)
    stuck = judge(Evidence(**base, faults_not_healed=("fault 4 network_partition",)), SLOSpec())
    assert stuck.level == "FAIL"


def test_service_faults_run_the_workloads_commands_and_say_what_is_missing(tmp_path):
    import random

    from controller.faults.base import FaultContext, FaultUnavailable
    from controller.faults.catalog import CATALOG
    from workloads.faults import fault_params
    from workloads.specs import NodeSpec

    log = tmp_path / "log"
    node = NodeSpec.model_validate({"services": {
        "job": {"restart": f"echo restart {{service}} {{run_id}} >> {log}", "stop": f"echo stop {{service}} >> {log}",
                "start": f"echo start {{service}} >> {log}"},
        "api": {"restart": f"echo restart {{service}} >> {log}"}}})
    env, _ = resolve(SoakSettings(), FaultScheduleSpec(), node.services)
    ctx = FaultContext("run-1", env, random.Random(1), fleet=None, agents=dict, nodes=list)
    restart, stop = CATALOG["service_restart"], CATALOG["service_stop"]
    assert restart.unavailable(ctx) is None and stop.unavailable(ctx) is None

    done = restart.start(ctx, fault_params("service_restart", {"service": "job"}), "f1")
    assert done.target == "job" and restart.heal(ctx, done.handle).startswith("nothing to undo")
    stopped = stop.start(ctx, fault_params("service_stop", {}), "f2")  # the one service with a stop command
    assert stopped.target == "job"
    stop.heal(ctx, stopped.handle)
    assert log.read_text().splitlines() == ["restart job run-1", "stop job", "start job"]
    with pytest.raises(FaultUnavailable, match="service 'api' has no stop command"):
        stop.start(ctx, fault_params("service_stop", {"service": "api"}), "f3")

    bare, _ = resolve(SoakSettings(), FaultScheduleSpec())
    assert bare.unavailable("service_restart") == "no service in the workload's node.services has a restart command"


@pytest.mark.parametrize("commands, message", [
    ({"stop": "systemctl stop x"}, "needs a start command"),
    ({"start": "systemctl start x"}, "needs a restart or a stop command"),
    ({"restart": "ssh {host} restart"}, r"unknown placeholder\(s\) host"),
])
def test_bad_service_commands_are_refused(commands, message):
    from workloads.specs import NodeSpec

    with pytest.raises(ValueError, match=message):
        NodeSpec.model_validate({"services": {"job": commands}})
