"""Which Chatwoot deliveries are a customer's turn; HTML stripping; de-duplication; signatures."""
import time

import pytest

from channels.chatwoot import events
from tests.chatwoot.payloads import AGENT, BOT, message, option_click


def test_customer_message_in_a_pending_conversation_is_a_turn():
    turn = events.classify(message("oi, boa tarde", 42, department="Financeiro"))
    assert isinstance(turn, events.CustomerTurn)
    assert (turn.account_id, turn.conversation_id, turn.inbox_id, turn.text) == (1, 42, 5, "oi, boa tarde")
    assert turn.whatsapp and turn.department == "financeiro" and turn.sender_id == "chatwoot-1-42"


@pytest.mark.parametrize("payload,reason", [
    (message("eco", 1, message_type="outgoing", sender=BOT), "outgoing message from agent_bot"),
    (message("sou a agente", 1, message_type="outgoing", sender=AGENT), "outgoing message from user"),
    (message("nota", 1, message_type="outgoing", private=True, sender=AGENT), "private note"),
    (message("fora do horário", 1, message_type="template", sender=None), "template message from unknown"),
    (message("oi", 1, status="open"), "conversation is 'open', not pending"),
    (message("oi", 1, status="snoozed"), "conversation is 'snoozed', not pending"),
    (message("oi", 1, status="resolved"), "conversation is 'resolved', not pending"),
    (message(None, 1), "no text (attachment only)"),
    (message("entregue", 1, event="message_updated", message_type="outgoing", sender=BOT), "message update that is not an option click"),
    ({"event": "conversation_opened", "id": 4}, "event 'conversation_opened'"),
    ({"event": "webwidget_triggered"}, "event 'webwidget_triggered'"),
    ({"event": "conversation_status_changed"}, "event 'conversation_status_changed'"),
    ([], "not a JSON object"),
])
def test_everything_else_is_ignored(payload, reason):
    verdict = events.classify(payload)
    assert isinstance(verdict, events.Ignored) and verdict.reason == reason


def test_widget_option_click_is_a_turn_with_the_value():
    items = [{"title": "1) Volto depois", "value": "/choose_return_later"}, {"title": "2) Continuar", "value": "/choose_continue"}]
    turn = events.classify(option_click(555, 9, "2) Continuar", "/choose_continue", items, "Como prefere seguir?"))
    assert turn.text == "/choose_continue" and turn.from_button and not turn.whatsapp
    assert turn.dedup_key == "1:clicked:555:/choose_continue"


def test_widget_html_is_stripped():
    assert events.strip_html("<p>quero &amp; preciso</p><p>da <strong>2ª via</strong></p>") == "quero & preciso\nda 2ª via"
    assert events.strip_html("a &lt; b") == "a < b"
    assert events.strip_html("sem html") == "sem html"
    turn = events.classify(message("<p>oi</p>", 3, channel="Channel::WebWidget"))
    assert turn.text == "oi"


def test_duplicates_are_seen_once():
    dedup = events.Deduplicator(size=2)
    assert not dedup.seen("a") and dedup.seen("a")
    assert not dedup.seen("delivery:x", "b") and dedup.seen("delivery:y", "b") and dedup.seen("delivery:x", None)
    assert not dedup.seen("c") and not dedup.seen("d") and not dedup.seen("a")  # bounded: the oldest forgotten


def test_signature_over_timestamp_and_raw_body():
    body, now = b'{"event":"message_created"}', time.time()
    ts = str(int(now))
    good = events.sign("s3cret", ts, body)
    assert good.startswith("sha256=") and len(good) == 71
    assert events.verify("s3cret", body, good, ts, None, now).accepted
    assert not events.verify("s3cret", body + b" ", good, ts, None, now).accepted
    assert not events.verify("s3cret", body, events.sign("other", ts, body), ts, None, now).accepted
    assert not events.verify("s3cret", body, good, str(int(now) - 3600), None, now).accepted
    assert not events.verify("s3cret", body, None, None, None, now).accepted
    assert events.verify("s3cret", body, None, None, "s3cret", now).accepted  # ?token= (Chatwoot < 4.11)
    assert not events.verify("s3cret", body, None, None, "wrong", now).accepted
    assert events.verify(None, body, None, None, None, now).accepted  # no secret configured


def test_control_characters_are_dropped():
    assert events.strip_html("oi\x00 tudo\x1b bem?\r\n") == "oi tudo bem?"
