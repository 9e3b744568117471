"""The channel without a Rasa server: not configured, a broken map, the request gate, and a failing turn."""
import asyncio
import json
import time
from types import SimpleNamespace

import pytest

from channels.chatwoot import routing
from channels.chatwoot.channel import ChatwootInput
from channels.chatwoot.events import classify, sign
from tests.chatwoot.payloads import message
from tests.chatwoot.standin import Chatwoot
from tests.conftest import ROOT

ROUTING = str(ROOT / "deploy" / "chatwoot.yml")


def request(payload, headers=None, args=None):
    return SimpleNamespace(body=json.dumps(payload).encode(), headers=headers or {}, args=args or {}, ip="127.0.0.1",
                           app=SimpleNamespace(ctx=SimpleNamespace()))


def test_unset_variables_answer_and_drop(monkeypatch):
    for name in ("CHATWOOT_URL", "CHATWOOT_BOT_TOKEN", "CHATWOOT_WEBHOOK_SECRET", "CHATWOOT_ROUTING"):
        monkeypatch.delenv(name, raising=False)
    channel = ChatwootInput.from_credentials(None)
    assert not channel.configured and channel.name() == "chatwoot"
    assert channel.accept(request(message("oi", 1)), None) == ("dropped", "not configured")


def test_a_broken_map_stops_the_start_with_file_and_field(tmp_path):
    bad = tmp_path / "chatwoot.yml"
    bad.write_text("inboxes: {5: poxnet}\nteams: {poxnet: {cobranca: 3}}\n")
    with pytest.raises(routing.RoutingError, match=r"chatwoot.yml: field `teams.poxnet.cobranca`"):
        ChatwootInput("http://chatwoot", "t", routing_path=str(bad), companies_dir=str(ROOT / "companies"))


def test_gate_signature_ignored_and_duplicate():
    channel = ChatwootInput("http://chatwoot", "t", secret="s", routing_path=ROUTING, companies_dir=str(ROOT / "companies"))
    queued = []
    channel.enqueue = lambda turn, handler, app: queued.append(turn)
    payload = message("oi", 7)
    assert channel.accept(request(payload), None)[0] == "dropped"
    ts = str(int(time.time()))
    signed = {"X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": sign("s", ts, json.dumps(payload).encode())}
    assert channel.accept(request(payload, signed), None) == ("accepted", "")
    assert channel.accept(request(payload, signed), None) == ("ignored", "duplicate")
    assert channel.accept(request(message("eco", 7, message_type="outgoing"), args={"token": "s"}), None)[0] == "ignored"
    assert [t.text for t in queued] == ["oi"]


def test_a_failing_rasa_turn_opens_the_conversation_with_a_note():
    chatwoot = Chatwoot("t")
    try:
        channel = ChatwootInput(chatwoot.url, "t", routing_path=ROUTING, companies_dir=str(ROOT / "companies"))

        async def broken(_message):
            raise RuntimeError("model not loaded")

        async def turn():
            try:
                await channel.run_turn(classify(message("minha internet caiu", 31)), broken, SimpleNamespace(ctx=SimpleNamespace()))
            finally:
                await channel.client.close()

        asyncio.run(turn())
        assert [c.what for c in chatwoot.of(31)] == ["messages", "messages", "assignments", "toggle_status"]
        assert "Já chamei alguém da nossa equipe" in chatwoot.replies(31)[0]["content"]
        [note] = chatwoot.notes(31)
        assert "falhou ao processar" in note and "RuntimeError" in note and "“minha internet caiu”" in note
        assert chatwoot.assignments(31) == [{"team_id": 1}] and chatwoot.statuses(31) == [{"status": "open"}]
    finally:
        chatwoot.stop()


def test_a_connector_error_still_opens_the_conversation():
    chatwoot = Chatwoot("t")
    try:
        channel = ChatwootInput(chatwoot.url, "t", routing_path=ROUTING, companies_dir=str(ROOT / "companies"))

        async def run_turn(*_args):
            raise KeyError("bug")

        channel.run_turn = run_turn

        async def drain():
            try:
                queue = asyncio.Queue()
                queue.put_nowait(classify(message("oi", 32, inbox_id=7)))
                await channel._drain((1, 32), queue, None, None)
            finally:
                await channel.client.close()

        asyncio.run(drain())
        assert chatwoot.statuses(32) == [{"status": "open"}] and chatwoot.assignments(32) == [{"team_id": 7}]
        assert "KeyError" in chatwoot.notes(32)[0] and "equipo" in chatwoot.replies(32)[0]["content"]
    finally:
        chatwoot.stop()
