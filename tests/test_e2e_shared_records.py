"""The shared deployment (PostgreSQL tracker store, Redis lock store, deploy/endpoints.postgres-redis.yml):
protocol numbers unique across two Rasa servers with two action servers, messages stored masked in
PostgreSQL, and conversations purged from it (`make purge` and TRACKER_RETENTION_DAYS).

PostgreSQL and Redis are started by scripts/services, as tests/test_e2e_shared.py does.
"""
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from stores.database import database_url
from tests.conftest import ROOT
from tests.test_e2e_rest import BIN, MODEL, Chat, free_port, raw_payloads, text_of, stop_processes, wait_for
from tests.test_e2e_shared import services  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e
DAY = 86400


@pytest.fixture(scope="module")
def deployment(services, tmp_path_factory):  # noqa: F811
    """Two Rasa servers, each with its own action server, on one PostgreSQL and one Redis."""
    tmp = tmp_path_factory.mktemp("shared-records")
    processes, logs, urls = [], [], []
    base = {**os.environ, **services, "ASSISTANT_AGENT_COMMANDS_EVERYWHERE": "1", "ASSISTANT_DEFAULT_COMPANY": ""}
    for name in ("TRACKER_DIALECT", "TRACKER_DB", "ASSISTANT_DATABASE_URL", "TRACKER_RETENTION_DAYS"):
        base.pop(name, None)

    def start(command, name, env):
        log = tmp / f"{name}.log"
        logs.append(log)
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT))
        return processes[-1], log

    try:
        waits = []
        for i in range(2):
            action_port, rasa_port = free_port(), free_port()
            env = {**base, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook"}
            waits.append((f"http://127.0.0.1:{action_port}/health", *start(
                [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)], f"actions{i}", env)))
            waits.append((f"http://127.0.0.1:{rasa_port}/webhooks/rest/", *start(
                [str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "deploy/endpoints.postgres-redis.yml",
                 "--credentials", "credentials.yml", "--port", str(rasa_port)], f"rasa{i}", env)))
            urls.append({"url": f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"})
        for url, process, log in waits:
            wait_for(url, process, log)
        yield {"servers": urls, "engine": sa.create_engine(database_url(services)), "env": base, "logs": logs}
    finally:
        stop_processes(*processes)


def close_on(server, index):
    """A cancellation on a Sunday: Retenção is closed, so the chat is closed with a protocol number."""
    chat = Chat(server, company="poxnet", now="2026-11-22T10:00:00-03:00")
    replies = chat.say("quero cancelar minha internet")
    (payload,) = raw_payloads(replies)
    return chat, payload["close"]["protocol"], text_of(replies)


def test_protocol_numbers_are_unique_across_servers(deployment):
    servers = deployment["servers"]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: close_on(servers[i % 2], i), range(40)))
    numbers = [number for _, number, _ in results]
    assert len(set(numbers)) == 40, sorted(numbers)
    assert all(re.fullmatch(r"20261122-\d{6}", n) for n in numbers)
    assert all(number in text for _, number, text in results)  # told to each customer
    with deployment["engine"].connect() as db:
        issued = [row[0] for row in db.execute(sa.text("SELECT number FROM assistant_protocols"))]
        assert db.execute(sa.text("SELECT last_value FROM assistant_protocol_seq")).scalar_one() >= 40
    assert set(numbers) <= set(issued) and len(issued) == len(set(issued))


def test_the_protocol_is_kept_in_the_shared_conversation(deployment):
    first, second = deployment["servers"]
    chat, number, _ = close_on(first, 0)
    other = Chat(second, company="poxnet")
    other.sender = chat.sender  # the same customer, now answered by the other server
    assert number in text_of(other.say("qual é o meu protocolo?"))


def test_messages_are_stored_masked_in_postgresql(deployment):
    chat = Chat(deployment["servers"][0], company="poxnet")
    assert "177.86.16.9" in text_of(chat.say("meu cpf é 123.456.789-09, whats 11987654321, qual o dns de vocês?"))
    with deployment["engine"].connect() as db:
        rows = [json.loads(data) for (data,) in db.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": chat.sender})]
        everything = " ".join(data for (data,) in db.execute(sa.text("SELECT data FROM events")))
    assert [r["text"] for r in rows] == ["meu cpf é ***.***.***-09, whats *********21, qual o dns de vocês?"]
    assert "123.456.789" not in everything and "11987654321" not in everything


def age(engine, sender, days):
    with engine.begin() as db:
        db.execute(sa.text("UPDATE events SET timestamp = timestamp - :s WHERE sender_id = :id"),
                   {"s": days * DAY, "id": sender})


def senders(engine):
    with engine.connect() as db:
        return {row[0] for row in db.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}


def test_make_purge_deletes_old_conversations_from_postgresql(deployment):
    engine, server = deployment["engine"], deployment["servers"][1]
    old, recent = Chat(server, company="poxnet"), Chat(server, company="poxnet")
    old.say("oi")
    recent.say("oi")
    age(engine, old.sender, 40)
    age(engine, recent.sender, 10)
    result = subprocess.run(["make", "-s", "purge", "DAYS=30"], cwd=ROOT, env=deployment["env"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert re.search(r"deleted [1-9]\d* conversation\(s\)", result.stdout), result.stdout
    left = senders(engine)
    assert old.sender not in left and recent.sender in left
    assert "password" not in result.stdout.lower()


def test_a_server_with_a_retention_setting_purges_postgresql(deployment, monkeypatch):
    from stores.masking import MaskingSQLTrackerStore

    engine, server = deployment["engine"], deployment["servers"][0]
    old = Chat(server, company="poxnet")
    old.say("oi")
    age(engine, old.sender, 8)
    monkeypatch.setenv("TRACKER_RETENTION_DAYS", "7")
    env = deployment["env"]
    MaskingSQLTrackerStore(dialect="postgresql", host=env["POSTGRES_HOST"], port=int(env["POSTGRES_PORT"]),
                           db=env["POSTGRES_DB"], username=env["POSTGRES_USER"], password=env.get("POSTGRES_PASSWORD"))
    assert old.sender not in senders(engine)
