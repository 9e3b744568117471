"""What the running assistant keeps, against the real Rasa server, action server and SQLite tracker store:

- company files edited live: a broken edit keeps the last good version serving, and a broken company file
  takes down neither the other companies nor conversations without a company;
- personal data: customer messages are stored masked, the turn itself still reads them, the database file
  is private to its owner, and `make purge` deletes old conversations;
- protocol numbers: every handoff and close carries one, told in the customer's language, kept for
  "qual é o meu protocolo?".

The company files are a temporary copy (ASSISTANT_COMPANIES_DIR), so the tests can break them.
"""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_e2e_rest import BIN, MODEL, Chat, free_port, raw_payloads, text_of, stop_processes, wait_for

pytestmark = pytest.mark.e2e
DNS = "177.86.16.9"


def touch_later(path) -> None:
    """A new modification time even within the same clock tick, as an editor's save gives."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    tmp = tmp_path_factory.mktemp("records")
    companies = tmp / "companies"
    shutil.copytree(ROOT / "companies", companies)
    action_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "TRACKER_DIALECT": "sqlite",
        "TRACKER_DB": str(tmp / "tracker.db"),
        "ASSISTANT_AGENT_COMMANDS_EVERYWHERE": "1",
        "ASSISTANT_DEFAULT_COMPANY": "",
        "ASSISTANT_COMPANIES_DIR": str(companies),
    }
    for name in ("POSTGRES_HOST", "POSTGRES_PORT", "TRACKER_RETENTION_DAYS"):
        env.pop(name, None)
    logs = [tmp / "actions.log", tmp / "rasa.log"]
    processes = {}

    def start_actions():
        processes["actions"] = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
            cwd=ROOT, env=env, stdout=open(logs[0], "a"), stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{action_port}/health", processes["actions"], logs[0])

    def stop(name):
        stop_processes(processes.pop(name))

    try:
        start_actions()
        processes["rasa"] = subprocess.Popen(
            [str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
             "--credentials", "credentials.yml", "--port", str(rasa_port), "--debug"],
            cwd=ROOT, env=env, stdout=open(logs[1], "w"), stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{rasa_port}/webhooks/rest/", processes["rasa"], logs[1])
        yield {"url": f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", "db": tmp / "tracker.db",
               "companies": companies, "logs": logs, "env": env,
               "restart_actions": lambda: (stop("actions"), start_actions())}
    finally:
        for name in list(processes):
            stop(name)
        # the copies of this temporary folder's good versions the action server kept (actions/core/registry.py)
        digest = hashlib.sha256(str(companies.resolve()).encode("utf-8")).hexdigest()[:16]
        shutil.rmtree(ROOT / ".cache" / "last-good" / digest, ignore_errors=True)


# -- company files edited live ----------------------------------------------------------------------------------
def test_a_company_file_broken_live_keeps_serving_and_conversations_without_a_company_are_unaffected(server):
    path = server["companies"] / "poxnet.yml"
    original = path.read_bytes()
    chat = Chat(server, company="poxnet")
    assert DNS in text_of(chat.say("qual o dns de vocês?"))
    try:
        path.write_bytes(original.replace(DNS.encode(), b"177.86.16.10"))
        touch_later(path)
        assert "177.86.16.10" in text_of(chat.say("qual o dns de vocês?"))  # a good edit is live
        # The same file saved as Latin-1 (one byte that is not UTF-8), then with a misspelt intent key.
        for broken in (original.replace(DNS.encode(), b"177.86.16.10").replace("secundário".encode(), b"secund\xe1rio"),
                       original.replace(b"\n  ask_dns:", b"\n  ask_dnss:")):
            path.write_bytes(broken)
            touch_later(path)
            said = text_of(Chat(server, company="poxnet").say("qual o dns de vocês?"))
            assert "177.86.16.10" in said and "Desculpe" not in said
            assert "177.86.16.10" in text_of(chat.say("e o dns secundário?"))
            nobody = text_of(Chat(server).say("oi, boa tarde"))
            assert "de qual empresa" in nobody and "poxnet" in nobody and "siempre" in nobody
            assert "Hola" in text_of(Chat(server, company="siempre").say("hola"))
    finally:
        path.write_bytes(original)
        touch_later(path)
    assert DNS in text_of(chat.say("qual o dns de vocês?"))  # fixed: the file's own text again


def test_a_company_file_that_was_never_valid_leaves_the_others_serving(server):
    path = server["companies"] / "acme.yml"
    path.write_bytes((server["companies"] / "poxnet.yml").read_bytes().replace(b"id: poxnet", b"id: acme")
                     .replace("secundário".encode(), b"secund\xe1rio"))
    touch_later(path)
    try:
        nobody = text_of(Chat(server).say("oi"))
        assert "poxnet" in nobody and "acme" not in nobody
        said = text_of(Chat(server, company="acme").say("oi"))
        assert said and "Traceback" not in said and "acme.yml" not in said  # an apology, never the error
        assert DNS in text_of(Chat(server, company="poxnet").say("qual o dns de vocês?"))
    finally:
        path.unlink()


def test_an_action_server_restarted_while_a_file_is_broken_serves_the_last_good_version(server):
    path = server["companies"] / "poxnet.yml"
    original = path.read_bytes()
    chat = Chat(server, company="poxnet")
    assert DNS in text_of(chat.say("qual o dns de vocês?"))  # this version is kept
    try:
        path.write_bytes(original.replace("secundário".encode(), b"secund\xe1rio"))
        touch_later(path)
        server["restart_actions"]()  # as the supervisor of `make run` does when the action server dies
        said = text_of(Chat(server, company="poxnet").say("qual o dns de vocês?"))
        assert DNS in said and "Desculpe" not in said
    finally:
        path.write_bytes(original)
        touch_later(path)


# -- personal data ------------------------------------------------------------------------------------------------
SECRETS = ("123.456.789-09", "98765-4321", "ana.souza@exemplo.com.br", "1.020.304.050")


def stored_texts(db):
    with sqlite3.connect(db) as connection:
        return [json.loads(data) for (data,) in connection.execute("select data from events where type_name = 'user'")]


def test_customer_messages_are_stored_and_logged_masked_while_the_turn_reads_them(server):
    chat = Chat(server, company="poxnet")
    replies = chat.say("meu cpf é 123.456.789-09 e meu celular (11) 98765-4321, qual o dns de vocês?")
    assert DNS in text_of(replies)  # the turn read the whole message
    chat.say("meu email é ana.souza@exemplo.com.br")
    Chat(server, company="siempre").say("mi cédula es 1.020.304.050, cual es el horario de atención?")
    raw = b"".join(p.read_bytes() for p in server["db"].parent.glob("tracker.db*"))
    logs = "".join(log.read_text(errors="replace") for log in server["logs"])
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
        assert secret not in logs, secret
    texts = [event["text"] for event in stored_texts(server["db"])]
    assert "meu cpf é ***.***.***-09 e meu celular (**) *****-**21, qual o dns de vocês?" in texts
    assert "meu email é ***@exemplo.com.br" in texts and "mi cédula es *.***.***.*50, cual es el horario de atención?" in texts
    assert "***.***.***-09" in logs  # the debug log has the message, masked


def test_the_tracker_database_is_private_to_its_owner(server):
    Chat(server, company="poxnet").say("oi")
    for path in server["db"].parent.glob("tracker.db*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# -- protocol numbers ---------------------------------------------------------------------------------------------
def test_a_close_carries_a_protocol_that_the_customer_can_ask_for_later(server):
    chat = Chat(server, company="poxnet", now="2026-11-22T10:00:00-03:00")
    closed = chat.say("quero cancelar minha internet")
    (payload,) = raw_payloads(closed)
    number = payload["close"]["protocol"]
    assert payload == {"close": {"reason": "out_of_hours", "department": "retencao",
                                 "reopens_at": "2026-11-23T08:00:00-03:00", "protocol": number}}
    assert re.fullmatch(r"20261122-\d{6}", number) and f"protocolo deste atendimento: {number}" in text_of(closed)
    assert number in text_of(chat.say("qual é o meu protocolo?"))
    assert number in text_of(chat.say("me passa o número do protocolo por favor"))


def test_a_spanish_handoff_carries_a_protocol_told_in_spanish(server):
    chat = Chat(server, company="siempre", now="2026-11-23T10:00:00-05:00")
    replies = chat.say("quiero hablar con un asesor de soporte técnico, no tengo internet")
    for _ in range(3):
        if raw_payloads(replies):
            break
        replies = chat.say("no, ya reinicié el equipo y sigue igual")
    (payload,) = raw_payloads(replies)
    kind = next(iter(payload))
    number = payload[kind]["protocol"]
    assert re.fullmatch(r"20261123-\d{6}", number) and f"radicado (protocolo) de esta atención: {number}" in text_of(replies)
    with sqlite3.connect(server["db"]) as connection:
        issued = [row[0] for row in connection.execute("select number from assistant_protocols")]
    assert number in issued and len(issued) == len(set(issued))


def test_a_spanish_customer_gets_the_protocol_back(server):
    chat = Chat(server, company="poxnet", now="2026-11-20T10:00:00-03:00")
    closed = chat.say("buenas, quiero cancelar el servicio de internet")
    number = raw_payloads(closed)[0]["close"]["protocol"]
    assert number.startswith("20261120-")
    said = text_of(chat.say("cual es mi protocolo"))
    assert number in said and "radicado" in said


def test_after_a_handoff_and_a_restart_the_customer_still_gets_the_protocol(server):
    chat = Chat(server, company="poxnet", now="2026-11-23T10:00:00-03:00")
    handed = chat.say("quero mandar o comprovante do pix")
    number = raw_payloads(handed)[0]["handoff"]["protocol"]
    assert chat.say("qual é o meu protocolo?") == []  # paused: the human agent has the chat
    chat.say("/restart")  # the conversation resumes; slots are cleared
    assert number in text_of(chat.say("qual é o meu protocolo?"))
    other = Chat(server, company="poxnet")
    assert number not in text_of(other.say("qual é o meu protocolo?"))
