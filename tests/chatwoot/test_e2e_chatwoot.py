"""Whole Chatwoot conversations through the real Rasa server and action server.

A stand-in Chatwoot 4.9 (tests/chatwoot/standin.py, a real HTTP server) receives the agent bot's REST
calls and sends the webhooks Chatwoot sends (payloads as Chatwoot 4.9.1's code makes them), signed with
the bot's secret. The moment of each conversation is set with the agents' `/now` command, accepted on
every channel by this test server (ASSISTANT_AGENT_COMMANDS_EVERYWHERE=1), as in test_e2e_rest.py.
"""
import itertools
import re
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.chatwoot.payloads import AGENT, BOT, message, option_click
from tests.chatwoot.standin import Chatwoot
from tests.conftest import ROOT
from tests.test_e2e_rest import free_port, stop_processes, wait_for, wait_until

pytestmark = pytest.mark.e2e
MODEL = ROOT / "models" / "assistant.tar.gz"
BIN = Path(sys.executable).parent
TOKEN, SECRET = "bot-token-123", "webhook-secret-456"
TEAMS = {"suporte": 1, "comercial": 2, "financeiro": 3, "renovacao": 4, "retencao": 5, "agendamento": 6}
_ids = itertools.count(101)


class Servers:
    def __init__(self, tmp: Path):
        self.tmp, self.action_port, self.rasa_port = tmp, free_port(), free_port()
        self.chatwoot = Chatwoot(TOKEN, SECRET)
        self.env = {
            **os.environ,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "TRACKER_DIALECT": "sqlite", "TRACKER_DB": str(tmp / "tracker.db"),
            "ASSISTANT_AGENT_COMMANDS_EVERYWHERE": "1", "ASSISTANT_DEFAULT_COMPANY": "",
            "CHATWOOT_URL": self.chatwoot.url, "CHATWOOT_BOT_TOKEN": TOKEN, "CHATWOOT_WEBHOOK_SECRET": SECRET,
            "CHATWOOT_ROUTING": str(ROOT / "deploy" / "chatwoot.yml"),
        }
        self.actions = None
        self.rasa_log = tmp / "rasa.log"
        self.start_actions()
        self.rasa = subprocess.Popen([str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
                                      "--credentials", "credentials.yml", "--port", str(self.rasa_port)],
                                     cwd=ROOT, env=self.env, stdout=open(self.rasa_log, "w"), stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{self.rasa_port}/webhooks/chatwoot/", self.rasa, self.rasa_log)
        self.chatwoot.outgoing_url = f"http://127.0.0.1:{self.rasa_port}/webhooks/chatwoot/webhook"

    def start_actions(self):
        log = self.tmp / "actions.log"
        self.actions = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.action_port)],
                                        cwd=ROOT, env=self.env, stdout=open(log, "a"), stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{self.action_port}/health", self.actions, log)

    def stop_actions(self):
        self.actions.terminate()
        self.actions.wait(timeout=20)

    def stop(self):
        stop_processes(self.rasa, self.actions)
        self.chatwoot.stop()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    started = None
    try:
        started = Servers(tmp_path_factory.mktemp("chatwoot"))
        yield started
    finally:
        if started is not None:
            started.stop()


@pytest.fixture
def chatwoot(servers):
    servers.chatwoot.fail = None
    return servers.chatwoot


def wait(condition, seconds=90, what="the expected Chatwoot calls"):
    return wait_until(condition, seconds, what)


class Conversation:
    """One Chatwoot conversation: the customer writes, Chatwoot delivers the webhook to the bot."""

    def __init__(self, chatwoot: Chatwoot, inbox=5, channel="Channel::Whatsapp", department=None, now=None):
        self.chatwoot, self.id, self.inbox, self.channel, self.department = chatwoot, next(_ids), inbox, channel, department
        chatwoot.inboxes[self.id], chatwoot.channels[self.id] = inbox, channel
        if now:
            self.now(now)

    @property
    def status(self):
        return self.chatwoot.status.get(self.id, "pending")

    def deliver(self, payload, **kw):
        answer = self.chatwoot.deliver(payload, **kw)
        self.answered_at = time.time()
        assert answer.status_code == 200, answer.status_code
        return answer.json()

    def say(self, text, **kw):
        if self.status == "resolved":  # an incoming message brings a resolved conversation back to the bot (Message#reopen_resolved_conversation)
            self.chatwoot.status[self.id] = "pending"
        payload = message(text, self.id, inbox_id=self.inbox, status=self.status, channel=self.channel,
                          department=self.department, **kw)
        return self.deliver(payload)

    def answered_again(self, moment) -> bool:
        """A resolved conversation: the customer's next message reaches the bot, which answers it."""
        before = len(self.replies)
        self.now(moment)
        return len(self.replies) > before

    def now(self, moment):
        """Set the conversation's moment and wait until the bot confirmed it (a sentinel turn too)."""
        before = len(self.replies)
        assert self.say(f"/now {moment}")["status"] == "accepted"
        wait(lambda: any(moment[:16] in r.get("content", "") for r in self.replies[before:]), what=f"/now {moment}")

    @property
    def replies(self):
        return self.chatwoot.replies(self.id)

    @property
    def texts(self):
        return "\n".join(r.get("content") or "" for r in self.replies)

    def reply_after(self, count):
        return wait(lambda: self.replies[count:], what="a reply")


def test_question_answered(chatwoot):
    chat = Conversation(chatwoot, inbox=7)
    assert chat.say("cuales son los canales de atencion?") == {"status": "accepted", "reason": ""}
    reply = chat.reply_after(0)
    assert "servicioalcliente@siempre.net.co" in reply[0]["content"]
    time.sleep(1)
    assert not chatwoot.statuses(chat.id) and not chatwoot.notes(chat.id) and not chatwoot.assignments(chat.id)
    assert all(c.token == TOKEN for c in chatwoot.of(chat.id))


def test_financeiro_demand_at_a_closed_moment_is_resolved(chatwoot):
    chat = Conversation(chatwoot, now="2026-11-29T21:00:00-03:00")
    chat.say("cobraram um valor a mais no meu boleto desse mes, nao concordo")
    wait(lambda: chatwoot.statuses(chat.id))
    assert chatwoot.statuses(chat.id) == [{"status": "resolved"}]
    assert "amanhã (segunda-feira), às 08:00" in chat.texts and "Financeiro" in chat.texts
    assert "reopens_at" not in chat.texts and "out_of_hours" not in chat.texts  # the payload is never shown
    assert not chatwoot.assignments(chat.id) and chat.status == "resolved"
    # The customer's next message comes back to the bot as a new pending turn.
    assert chat.answered_again("2026-11-30T09:00:00-03:00")


def test_comercial_demand_at_night_is_snoozed_until_the_opening_with_its_team(chatwoot):
    chat = Conversation(chatwoot, now="2026-11-28T23:00:00-03:00")
    chat.say("quero contratar internet de fibra")
    wait(lambda: chatwoot.statuses(chat.id))
    calls = [c for c in chatwoot.of(chat.id) if c.what != "messages" or c.body.get("private")]
    assert [c.what for c in calls] == ["messages", "assignments", "toggle_status"]  # note, team, then status
    assert chatwoot.assignments(chat.id) == [{"team_id": TEAMS["comercial"]}]
    assert chatwoot.statuses(chat.id) == [{"status": "snoozed", "snoozed_until": 1795953600}]  # 2026-11-29T09:00-03:00
    [note] = chatwoot.notes(chat.id)
    assert "POXNET (poxnet)" in note and "Setor: comercial" in note and "Retomar em: 2026-11-29T09:00:00-03:00" in note
    assert "“quero contratar internet de fibra”" in note and "Idioma do cliente: português" in note and "/now" not in note
    assert "mañana" not in chat.texts and "09:00" in chat.texts and chat.status == "snoozed"


def test_suporte_handoff_sets_the_team_and_opens(chatwoot):
    chat = Conversation(chatwoot, now="2026-11-25T02:00:00-03:00")
    count = len(chat.replies)
    chat.say("estou sem conexao, ja desliguei o modem da tomada e religuei e nada")
    wait(lambda: chatwoot.statuses(chat.id))
    said = "\n".join(r["content"] for r in chat.replies[count:])
    assert chatwoot.assignments(chat.id) == [{"team_id": TEAMS["suporte"]}]
    assert chatwoot.statuses(chat.id) == [{"status": "open"}] and chat.status == "open"
    [note] = chatwoot.notes(chat.id)
    assert "Setor: suporte" in note and "ja desliguei o modem" in note
    protocol = re.search(r"\b\d{8}-\d{6}\b", said)  # every handoff carries one: told, and in the agents' note
    assert protocol and f"Protocolo: {protocol.group()}" in note
    # Open: the bot stays quiet while the agents have it (Chatwoot keeps sending its events).
    assert chat.say("alo? tem alguem ai?") == {"status": "ignored", "reason": "conversation is 'open', not pending"}
    # An agent resolves it; the customer writes again: pending, so the bot answers again (resumed).
    chatwoot.status[chat.id] = "resolved"
    assert chat.answered_again("2026-11-25T10:00:00-03:00")


def test_a_message_written_during_the_handoff_is_left_to_the_team(chatwoot):
    chat = Conversation(chatwoot, now="2026-11-25T02:00:00-03:00")
    chat.say("estou sem conexao, ja desliguei o modem da tomada e religuei e nada")
    chat.say("alo? vai demorar?")  # still pending when Chatwoot delivered it: queued behind the handoff
    wait(lambda: chatwoot.statuses(chat.id))
    time.sleep(3)
    calls = chatwoot.of(chat.id)
    opened = next(i for i, c in enumerate(calls) if c.what == "toggle_status")
    assert calls[opened + 1:] == [] and chatwoot.statuses(chat.id) == [{"status": "open"}]  # nothing after it
    assert len(chatwoot.notes(chat.id)) == 1 and "alo? vai demorar?" not in chatwoot.notes(chat.id)[0]


def test_offered_choice_answered_with_the_whatsapp_button_title(chatwoot):
    chat = Conversation(chatwoot, department="suporte", now="2026-11-22T10:00:00-03:00")
    count = len(chat.replies)
    chat.say("quero cancelar minha internet")
    offer = wait(lambda: [r for r in chat.replies[count:] if r.get("content_type") == "input_select"])[0]
    items = offer["content_attributes"]["items"]
    assert [set(i) for i in items] == [{"title", "value"}] * 2 and all(len(i["title"]) <= 20 for i in items)
    assert "/choose_continue" in [i["value"] for i in items]
    continue_title = next(i["title"] for i in items if i["value"] == "/choose_continue")
    chat.say(continue_title)  # WhatsApp sends the tapped button back as its title, as plain text
    wait(lambda: chatwoot.statuses(chat.id))
    assert chatwoot.statuses(chat.id) == [{"status": "snoozed", "snoozed_until": 1795431600}]  # 2026-11-23T08:00-03:00
    assert chatwoot.assignments(chat.id) == [{"team_id": TEAMS["retencao"]}]
    assert "“quero cancelar minha internet”" in chatwoot.notes(chat.id)[0]


def test_offered_choice_clicked_in_the_web_widget(chatwoot):
    chat = Conversation(chatwoot, inbox=6, channel="Channel::WebWidget", department="suporte", now="2026-11-22T10:00:00-03:00")
    count = len(chat.replies)
    chat.say("<p>quero cancelar minha internet</p>")  # Chatwoot 4.9 renders widget content as HTML
    wait(lambda: [r for r in chat.replies[count:] if r.get("content_type") == "input_select"])
    offered = next(c for c in chatwoot.of(chat.id) if c.body.get("content_type") == "input_select")
    items = offered.body["content_attributes"]["items"]
    back = next(i for i in items if i["value"] == "/choose_return_later")
    click = option_click(offered.answer["id"], chat.id, back["title"], back["value"], items, offered.body["content"], inbox_id=6)
    assert chat.deliver(click)["status"] == "accepted"
    assert chat.deliver(click)["reason"] == "duplicate"
    wait(lambda: chatwoot.statuses(chat.id))
    assert chatwoot.statuses(chat.id) == [{"status": "resolved"}] and "08:00" in chat.replies[-1]["content"]


def test_echo_private_note_template_and_open_conversation_are_ignored(chatwoot):
    chat = Conversation(chatwoot)
    assert chat.deliver(message("Olá! Sou o assistente.", chat.id, message_type="outgoing", sender=BOT))["status"] == "ignored"
    assert chat.deliver(message("cliente VIP, cuidado", chat.id, message_type="outgoing", private=True, sender=AGENT))["reason"] == "private note"
    assert chat.deliver(message("Estamos fora do horário", chat.id, message_type="template", sender=None))["status"] == "ignored"
    assert chat.deliver(message("Já estou vendo, um momento", chat.id, message_type="outgoing", sender=AGENT))["status"] == "ignored"
    other = Conversation(chatwoot)
    chatwoot.status[other.id] = "open"
    assert other.say("oi, alguém?")["reason"] == "conversation is 'open', not pending"
    chat.now("2026-11-24T10:00:00-03:00")  # a sentinel turn: anything accepted before it was answered first
    assert len(chat.replies) == 1 and chatwoot.of(other.id) == []


def test_a_duplicate_delivery_is_answered_once(chatwoot):
    chat = Conversation(chatwoot, inbox=7)
    payload = message("cuales son los canales de atencion?", chat.id, inbox_id=7)
    assert chat.deliver(payload)["status"] == "accepted"
    assert chat.deliver(payload) == {"status": "ignored", "reason": "duplicate"}
    again = message("cuales son los canales de atencion?", chat.id, inbox_id=7)  # same delivery id, new body
    assert chat.deliver(again, headers={"X-Chatwoot-Delivery": "d-1"})["status"] == "accepted"
    assert chat.deliver(again, headers={"X-Chatwoot-Delivery": "d-1"})["reason"] == "duplicate"
    chat.now("2026-11-24T10:00:00-03:00")
    assert chat.texts.count("servicioalcliente@siempre.net.co") == 2 and len(chat.replies) == 3


def test_a_bad_signature_is_dropped_and_a_token_accepted(chatwoot):
    chat = Conversation(chatwoot)
    payload = message("quero contratar internet", chat.id)
    assert chat.deliver(payload, signed=False) == {"status": "dropped", "reason": "no signature and no valid token"}
    forged = {"X-Chatwoot-Timestamp": str(int(time.time())), "X-Chatwoot-Signature": "sha256=" + "0" * 64}
    assert chat.deliver(payload, signed=False, headers=forged)["reason"] == "signature does not match"
    assert chat.deliver(payload, signed=False, query="?token=wrong")["status"] == "dropped"
    chat.now("2026-11-24T10:00:00-03:00")
    assert len(chat.replies) == 1 and not chatwoot.statuses(chat.id)  # the dropped demand never ran
    count = len(chat.replies)
    assert chat.deliver(message("/now 2026-11-24T11:00:00-03:00", chat.id), signed=False, query=f"?token={SECRET}")["status"] == "accepted"
    assert "2026-11-24T11:00" in chat.reply_after(count)[0]["content"]


def test_an_inbox_not_in_the_map_is_left_to_humans(chatwoot):
    chat = Conversation(chatwoot, inbox=99)
    chat.say("oi")
    wait(lambda: chatwoot.statuses(chat.id))
    assert chatwoot.statuses(chat.id) == [{"status": "open"}] and not chatwoot.assignments(chat.id) and not chat.replies
    assert "inbox 99" in chatwoot.notes(chat.id)[0]


def test_chatwoot_refusing_the_reply_opens_the_conversation(chatwoot):
    chat = Conversation(chatwoot, inbox=7)
    chatwoot.fail = lambda conversation, what, body: 500 if conversation == chat.id and what == "messages" and not body.get("private") else None
    chat.say("cuales son los canales de atencion?")
    wait(lambda: chatwoot.statuses(chat.id))
    refused = [c for c in chatwoot.of(chat.id) if c.status == 500]
    assert len(refused) == 6  # the reply tried 3 times (bounded retries), then the customer's notice 3 times
    assert chatwoot.statuses(chat.id) == [{"status": "open"}] and chatwoot.assignments(chat.id) == [{"team_id": 7}]
    [note] = chatwoot.notes(chat.id)
    assert "Chatwoot rechazó" in note and "HTTP 500" in note and "“cuales son los canales de atencion?”" in note


def test_a_button_title_typed_without_the_map_is_still_the_choice(chatwoot):
    """The title map lives in memory; typed (or after a restart) the title is read as the choice's number."""
    chat = Conversation(chatwoot, inbox=6, channel="Channel::WebWidget", department="suporte", now="2026-11-22T10:00:00-03:00")
    count = len(chat.replies)
    chat.say("quero cancelar minha internet")
    wait(lambda: [r for r in chat.replies[count:] if r.get("content_type") == "input_select"])
    chat.say("2) Continuar")  # the widget sends typed text as it is: no title map applies
    wait(lambda: chatwoot.statuses(chat.id))
    assert chatwoot.statuses(chat.id) == [{"status": "snoozed", "snoozed_until": 1795431600}]


def test_action_server_stopped_opens_the_conversation_with_a_note(servers, chatwoot):
    chat = Conversation(chatwoot)
    servers.stop_actions()
    try:
        chat.say("minha internet caiu")
        wait(lambda: chatwoot.statuses(chat.id), seconds=120)
        assert chatwoot.statuses(chat.id) == [{"status": "open"}]
        assert chatwoot.assignments(chat.id) == [{"team_id": TEAMS["suporte"]}]
        [note] = chatwoot.notes(chat.id)
        assert "Motivo:" in note and "“minha internet caiu”" in note
        assert chat.replies and all(r["content"].strip() for r in chat.replies)  # told, never left in silence
    finally:
        servers.start_actions()



def test_a_message_over_the_limit_is_asked_shorter_and_not_read(chatwoot):
    chat = Conversation(chatwoot, inbox=7)
    chat.say("hola " * 1000)
    reply = chat.reply_after(0)
    assert "demasiado largo" in reply[0]["content"] and "4096" in reply[0]["content"]
    chat.now("2026-11-24T10:00:00-03:00")
    assert len(chat.replies) == 2 and not chatwoot.statuses(chat.id)


def test_webhooks_are_answered_before_the_turn_runs(chatwoot):
    """Chatwoot gives up on a webhook after 5 s: the delivery is answered first, the turn runs behind it
    (shown by order, not by a time limit: the reply is posted after the webhook was answered)."""
    chat = Conversation(chatwoot, inbox=5)
    chat.say("qual o dns de vcs?")
    reply = wait(lambda: [c for c in chatwoot.of(chat.id) if c.what == "messages" and not c.body.get("private")],
                 what="the bot's reply")
    assert chat.answered_at <= reply[0].at
