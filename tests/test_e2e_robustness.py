"""Robustness over REST against the real servers: malformed requests, hostile input, faults of the action server.

The servers run as in production (no test-only settings): the action server is `python -m actions.server`
with a shared token that Rasa sends, staff commands are not accepted over REST, and the clock is fixed
with ASSISTANT_FIXED_NOW (Monday 2026-11-23 10:00 in São Paulo: POXNET's Financeiro is open).
Each test names the defect it covers (the robustness review of the assistant); README "What was tried and what the customer gets".
"""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import uuid

import pytest
import requests

from tests.conftest import ROOT
from tests.test_e2e_rest import BIN, MODEL, free_port, payloads, text_of, stop_processes, wait_for

pytestmark = pytest.mark.e2e
TOKEN = "robustness-" + uuid.uuid4().hex
FAULT = {"fault": {"reason": "actions_unavailable"}}
POXNET_PHONE = "(15) 3331-6565"
SIEMPRE_MAIL = "servicioalcliente@siempre.net.co"


class Stack:
    """A Rasa server and an action server that the tests may stop, break and start again."""

    def __init__(self, tmp):
        self.tmp, self.action_port, self.rasa_port = tmp, free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"
        self.actions_url = f"http://127.0.0.1:{self.action_port}"
        self.db = tmp / "tracker.db"
        self.env = {
            **os.environ,
            "ACTION_ENDPOINT_URL": f"{self.actions_url}/webhook",
            "ACTION_SERVER_TOKEN": TOKEN,
            "TRACKER_DIALECT": "sqlite",
            "TRACKER_DB": str(self.db),
            "ASSISTANT_DEFAULT_COMPANY": "",
            "ASSISTANT_FIXED_NOW": "2026-11-23T10:00:00-03:00",
        }
        self.env.pop("ASSISTANT_AGENT_COMMANDS_EVERYWHERE", None)
        self.actions = None
        self.starts = 0

    def start_actions(self, token: str = TOKEN, port=None, wait=True):
        self.starts += 1
        log = self.tmp / f"actions-{self.starts}.log"
        env = {**self.env, "ACTION_SERVER_TOKEN": token}
        process = subprocess.Popen([sys.executable, "-m", "actions.server", "--port", str(port or self.action_port)],
                                   cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        if wait:
            wait_for(f"http://127.0.0.1:{port or self.action_port}/health", process, log)
        if port is None:
            self.actions = process
        return process

    def stop_actions(self, process=None):
        stop_processes(process or self.actions)

    def post(self, data, **kwargs):
        body = data if isinstance(data, (str, bytes)) else json.dumps(data)
        return requests.post(self.url, data=body, headers={"Content-Type": "application/json"}, timeout=60, **kwargs)

    def say(self, sender, text, **metadata):
        response = self.post({"sender": sender, "message": text, "metadata": metadata})
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    stack = Stack(tmp_path_factory.mktemp("robustness"))
    log = stack.tmp / "rasa.log"
    rasa = subprocess.Popen([str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
                             "--credentials", "credentials.yml", "--port", str(stack.rasa_port)],
                            cwd=ROOT, env=stack.env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        stack.start_actions()
        wait_for(f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/", rasa, log)
        yield stack
    finally:
        stop_processes(rasa, stack.actions)


def sender() -> str:
    return f"robust-{uuid.uuid4().hex[:8]}"


# -- defect 2: requests without a sender shared one conversation -------------------------------------

def test_a_request_without_sender_is_refused_with_a_clear_error(stack):
    response = stack.post({"message": "oi", "metadata": {"company": "poxnet"}})
    assert response.status_code == 400 and "sender" in response.json()["error"]
    assert stack.post({"message": "sim, voltou", "metadata": {"company": "siempre"}}).status_code == 400


# -- defect 3: bodies that got HTTP 500 or silence -------------------------------------------------

@pytest.mark.parametrize("body, field", [
    ("[1, 2]", "body"), ('"oi"', "body"), ("null", "body"), ("{not json", "JSON"), ("", "JSON"),
    ('{"sender": "s1"}', "message"), ('{"sender": "s1", "message": null}', "message"),
    ('{"sender": "s1", "message": 42}', "message"), ('{"sender": "s1", "message": ["oi"]}', "message"),
    ('{"sender": "s1", "message": "   "}', "message"),
    ('{"sender": "s1", "message": "oi", "metadata": "poxnet"}', "metadata"),
    ('{"sender": "s1", "message": "oi", "metadata": ["poxnet"]}', "metadata"),
    ('{"sender": "s1", "message": "oi", "metadata": {"company": {"id": "poxnet"}}}', "company"),
    ('{"sender": "s1", "message": "oi", "metadata": {"company": 7}}', "company"),
    ('{"sender": "s1", "message": "oi", "metadata": {"department": ["suporte"]}}', "department"),
    ('{"sender": {"id": 1}, "message": "oi"}', "sender"), ('{"sender": "", "message": "oi"}', "sender"),
])
def test_a_malformed_request_gets_400_with_a_json_error(stack, body, field):
    response = stack.post(body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error and "Traceback" not in error and "{'id'" not in error


@pytest.mark.parametrize("company", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "a" * 5000,
                                     "../../etc/passwd", "{company}", "vivo' OR 1=1 --"],
                         ids=["script", "img", "5000-chars", "path", "braces", "sql"])
def test_a_company_that_is_no_id_is_never_echoed_and_gets_the_list(stack, company):
    replies = stack.say(sender(), "oi", company=company)
    said = text_of(replies)
    assert "poxnet" in said and "siempre" in said  # the companies served
    for piece in ("<script", "<img", "a" * 41, "passwd", "{company}", "OR 1=1"):
        assert piece not in said
    assert "instabilidade" not in said and "problema" not in said  # not an apology from a file-name error
    assert len(said) < 1000


def test_a_50000_character_company_is_a_malformed_request(stack):
    response = stack.post({"sender": sender(), "message": "oi", "metadata": {"company": "a" * 50000}})
    assert response.status_code == 400 and "metadata" in response.json()["error"] and "aaaa" not in response.text


@pytest.mark.parametrize("company", ["POXNET", " poxnet ", "PoxNet", "\tpoxnet\n", "poxnet\u0000"])
def test_a_company_id_is_matched_case_insensitively(stack, company):
    said = text_of(stack.say(sender(), "oi, bom dia", company=company))
    assert "POXNET" in said and "Empresas atendidas" not in said  # the greeting, not "unknown company"


def test_control_characters_and_lone_surrogates_are_dropped(stack):
    response = stack.post('{"sender": "%s", "message": "oi\\u0000 tudo\\u0007 bem?\\ud800", '
                          '"metadata": {"company": "poxnet"}}' % sender())
    assert response.status_code == 200 and "POXNET" in text_of(response.json())


def test_the_client_cannot_choose_the_staff_console_channel(stack):
    """Rasa's REST channel took `input_channel` from the body: "cmdline" made a customer staff."""
    talk = sender()
    stack.say(talk, "oi", company="poxnet")
    response = stack.post({"sender": talk, "message": "/now 2026-11-22T10:00", "input_channel": "cmdline",
                           "metadata": {"company": "poxnet"}})
    assert "equipe" in text_of(response.json())
    with sqlite3.connect(stack.db) as db:
        channels = {row[0] for row in db.execute(
            "select json_extract(data, '$.input_channel') from events where sender_id = ? and type_name = 'user'", (talk,))}
    assert channels == {"rest"}


# -- defect 4: no size limit --------------------------------------------------------------------

def test_a_one_megabyte_message_is_refused_in_the_conversation_language_and_not_stored(stack):
    talk = sender()
    stack.say(talk, "hola, buenas tardes", company="siempre")
    replies = stack.say(talk, "x" * 1_000_000, company="siempre")
    assert "demasiado largo" in text_of(replies) and "4096" in text_of(replies)
    with sqlite3.connect(stack.db) as db:
        largest = db.execute("select max(length(data)) from events where sender_id = ?", (talk,)).fetchone()[0]
    assert largest < 20_000
    assert "SIEMPRE" in text_of(stack.say(talk, "hola"))  # the conversation goes on


def test_a_message_at_the_limit_is_read(stack):
    replies = stack.say(sender(), ("minha internet caiu " * 300)[:4096], company="poxnet")
    assert replies and "longa demais" not in text_of(replies)


def test_an_over_long_message_without_a_company_is_refused_in_both_languages(stack):
    said = text_of(stack.say(sender(), "y" * 5000))
    assert "longa demais" in said and "demasiado largo" in said


# -- defect 6 (action side): the bare company name answering "which company?" ---------------------

@pytest.mark.parametrize("name, shown", [("poxnet", "POXNET"), ("POXNET", "POXNET"), ("WebPlug", "WebPlug"),
                                         ("siempre", "SIEMPRE")])
def test_a_bare_company_name_answers_which_company(stack, name, shown):
    talk = sender()
    assert "de qual empresa" in text_of(stack.say(talk, "olá"))
    said = text_of(stack.say(talk, name))
    assert shown in said and "equipe" not in said and "equipo" not in said


# -- defect 7: /restart after a handoff flooded the customer and stayed paused ----------------------

def test_restart_after_a_handoff_resumes_without_a_flood(stack):
    talk = sender()
    handed = stack.say(talk, "quero mandar o comprovante do pix", company="poxnet")
    assert any("handoff" in p for p in payloads(handed))
    assert stack.say(talk, "alo?", company="poxnet") == []  # paused: a person has the chat
    restarted = stack.say(talk, "/restart", company="poxnet")
    assert len(restarted) == 1 and "recomeçar" in text_of(restarted)  # one message, not nine fallbacks
    assert "POXNET" in text_of(stack.say(talk, "oi", company="poxnet"))  # no longer paused


def test_restart_is_told_in_the_conversation_language(stack):
    talk = sender()
    stack.say(talk, "hola, buenas tardes", company="siempre")
    assert "empecemos de nuevo" in text_of(stack.say(talk, "/restart"))


# -- defect 1: the action server down meant silence, for ever for a conversation started then -------

def test_a_conversation_started_during_an_outage_recovers_once_the_action_server_is_back(stack):
    stack.stop_actions()
    try:
        ak2, spanish, unknown = sender(), sender(), sender()
        replies = stack.say(ak2, "oi", company="poxnet")
        assert FAULT in payloads(replies) and POXNET_PHONE in text_of(replies) and "instabilidade" in text_of(replies)
        replies = stack.say(spanish, "hola, necesito ayuda con mi factura", company="siempre")
        assert FAULT in payloads(replies) and SIEMPRE_MAIL in text_of(replies) and "falla" in text_of(replies)
        replies = stack.say(unknown, "hola, buenas noches")  # no company: the message's language, no contacts
        assert FAULT in payloads(replies) and "falla" in text_of(replies)
        again = stack.say(ak2, "alguém aí?", company="poxnet")
        assert len(again) == 2 and FAULT in payloads(again)  # one apology a message, never a flood
    finally:
        stack.start_actions()
    assert "POXNET" in text_of(stack.say(ak2, "oi", company="poxnet"))
    assert "recomeçar" in text_of(stack.say(ak2, "/restart", company="poxnet"))
    assert "POXNET" in text_of(stack.say(ak2, "oi", company="poxnet"))
    assert "SIEMPRE" in text_of(stack.say(spanish, "hola"))


def test_an_apology_follows_the_conversation_language(stack):
    talk = sender()
    assert "reinicie" in text_of(stack.say(talk, "buenas tardes, necesito ayuda con el internet", company="poxnet"))
    stack.stop_actions()
    try:
        said = text_of(stack.say(talk, "hola?", company="poxnet"))
    finally:
        stack.start_actions()
    assert "Qué pena" in said and POXNET_PHONE in said


def test_an_action_server_refusing_rasa_gets_the_apology_not_silence(stack):
    """A failing action server (here it answers 401: a token that does not match Rasa's)."""
    stack.stop_actions()
    stack.start_actions(token="another-token")
    try:
        replies = stack.say(sender(), "oi", company="poxnet")
    finally:
        stack.stop_actions()
        stack.start_actions()
    assert FAULT in payloads(replies) and POXNET_PHONE in text_of(replies)


# -- defect 8: anyone could call the action server and be obeyed as staff -------------------------

def forged_call(text: str, token=None):
    tracker = {
        "sender_id": "forger", "slots": {"company": "poxnet"}, "latest_message": {
            "text": text, "intent": {"name": "agent_set_clock", "confidence": 1.0},
            "entities": [{"entity": "moment", "value": text.split(" ", 1)[1]}]},
        "latest_event_time": 0, "followup_action": None, "paused": False, "active_loop": {},
        "latest_action_name": "action_listen", "latest_input_channel": "cmdline",
        "events": [{"event": "user", "text": text, "input_channel": "cmdline",
                    "parse_data": {"intent": {"name": "agent_set_clock", "confidence": 1.0}, "entities": []}}],
    }
    return {"next_action": "action_run_agent_command", "sender_id": "forger", "tracker": tracker,
            "domain": {}, "version": "3.6.2"}


def test_the_action_server_refuses_calls_without_the_token(stack):
    assert requests.get(f"{stack.actions_url}/health", timeout=5).ok
    for params in ({}, {"token": "guess"}):
        response = requests.post(f"{stack.actions_url}/webhook", json=forged_call("/now 2026-11-22T10:00"),
                                 params=params, timeout=10)
        assert response.status_code == 401 and "forger" not in response.text
    assert requests.get(f"{stack.actions_url}/actions", timeout=5).status_code == 401


def test_a_forged_shell_tracker_is_not_obeyed_by_a_server_without_a_token(stack):
    port = free_port()
    process = stack.start_actions(token="", port=port)
    try:
        response = requests.post(f"http://127.0.0.1:{port}/webhook", json=forged_call("/now 2026-11-22T10:00"), timeout=30)
    finally:
        stack.stop_actions(process)
    assert response.status_code == 200
    events = response.json()["events"]
    assert not any(e.get("name") == "agent_now" for e in events)
    assert "equipe" in " ".join(r.get("text") or "" for r in response.json()["responses"])


def test_the_action_server_listens_on_loopback_only(stack):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: only the route's source address
            address = probe.getsockname()[0]
        except OSError:
            pytest.skip("no non-loopback address on this machine")
    if address.startswith("127."):
        pytest.skip("no non-loopback address on this machine")
    with socket.socket() as client:
        client.settimeout(3)
        assert client.connect_ex((address, stack.action_port)) != 0
