"""Two Rasa servers sharing one conversation: PostgreSQL tracker store and Redis lock store.

The test starts real PostgreSQL and Redis servers (scripts/services installs the Debian packages when
missing), two Rasa servers and one action server, and holds a conversation that alternates between the
two Rasa servers: the choice offered by one is answered through the other.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_e2e_rest import BIN, MODEL, Chat, free_port, payloads, stop_processes, text_of, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def services():
    folder = Path(tempfile.mkdtemp(prefix="isp-services-", dir="/tmp"))
    env = {**os.environ, "POSTGRES_PORT": str(free_port()), "REDIS_PORT": str(free_port())}
    started = subprocess.run([str(ROOT / "scripts" / "services"), "start", str(folder)], env=env,
                             capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"could not start PostgreSQL and Redis:\n{started.stderr[-2000:]}")
    values = dict(part.split("=", 1) for line in started.stdout.splitlines() if line.startswith("export ")
                  for part in line[len("export "):].split())
    values["SERVICES_DIR"] = str(folder)
    yield values
    subprocess.run([str(ROOT / "scripts" / "services"), "stop", str(folder)], env=env, capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def two_servers(services, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shared")
    action_port, ports = free_port(), [free_port(), free_port()]
    env = {**os.environ, **services, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
           "ASSISTANT_AGENT_COMMANDS_EVERYWHERE": "1"}
    processes, logs = [], []

    def start(command, name):
        log = tmp / f"{name}.log"
        logs.append(log)
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT))

    start([sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)], "actions")
    for i, port in enumerate(ports):
        start([str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "deploy/endpoints.postgres-redis.yml",
               "--credentials", "credentials.yml", "--port", str(port)], f"rasa{i}")
    try:
        wait_for(f"http://127.0.0.1:{action_port}/health", processes[0], logs[0])
        for i, port in enumerate(ports):
            wait_for(f"http://127.0.0.1:{port}/webhooks/rest/", processes[i + 1], logs[i + 1])
        yield [{"url": f"http://127.0.0.1:{port}/webhooks/rest/webhook"} for port in ports]
    finally:
        stop_processes(*processes)


def test_a_conversation_moves_between_servers(two_servers):
    first = Chat(two_servers[0], company="poxnet", department="suporte", now="2026-11-22T10:00:00-03:00")
    offered = first.say("quero cancelar o meu plano")
    assert "2)" in text_of(offered)
    second = Chat(two_servers[1], company="poxnet", department="suporte")
    second.sender = first.sender  # the same customer, now routed to the other server
    chosen = second.say("2")
    assert payloads(chosen) == [{"handoff": {"department": "retencao", "queued_until": "2026-11-23T08:00:00-03:00"}}]
    assert first.say("oi?") == []  # paused, as seen from the first server too


def stored_user_texts(services, sender):
    import sqlalchemy as sa

    url = sa.engine.URL.create("postgresql", username=services["POSTGRES_USER"], host=services["POSTGRES_HOST"],
                               port=int(services["POSTGRES_PORT"]), database=services["POSTGRES_DB"])
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' "
                                              "ORDER BY id"), {"s": sender})
            return [json.loads(data)["text"] for (data,) in rows]
    finally:
        engine.dispose()


def restart_mid_conversation(services, two_servers, what, first=0):
    """A turn sent while `what` (restart-postgres, restart-redis) is down for 3 s, between two others."""
    chat = Chat(two_servers[first], company="poxnet")
    assert chat.say("qual o dns de vcs")
    restart = threading.Thread(target=subprocess.run, kwargs=dict(
        args=[str(ROOT / "scripts" / "services"), what, services["SERVICES_DIR"], "3"],
        env={**os.environ, **services}, capture_output=True))
    restart.start()
    time.sleep(0.5)  # the service is going down, or down
    during = chat.say("vcs tem ip fixo?")
    restart.join()
    other = Chat(two_servers[1 - first], company="poxnet")
    other.sender = chat.sender
    assert other.say("da pra pagar no pix?")
    return during, stored_user_texts(services, chat.sender)


def test_a_postgresql_restart_mid_conversation_loses_no_turn(services, two_servers):
    during, stored = restart_mid_conversation(services, two_servers, "restart-postgres")
    assert during and not any(r.get("custom", {}).get("fault") for r in during), during
    assert stored == ["qual o dns de vcs", "vcs tem ip fixo?", "da pra pagar no pix?"]


def test_a_redis_restart_mid_conversation_loses_no_turn(services, two_servers):
    during, stored = restart_mid_conversation(services, two_servers, "restart-redis", first=1)
    assert during and not any(r.get("custom", {}).get("fault") for r in during), during
    assert stored == ["qual o dns de vcs", "vcs tem ip fixo?", "da pra pagar no pix?"]
