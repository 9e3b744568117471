"""The real SQLite tracker store of endpoints.yml: messages stored masked, a private file, old conversations
purged (by `make purge` and by TRACKER_RETENTION_DAYS); protocol numbers unique from one SQLite file."""
import asyncio
import datetime as dt
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from stores.protocols import ProtocolCounter
from stores.sqlite_tracker_store import SQLiteTrackerStore
from tests.conftest import ROOT

CPF, PHONE = "123.456.789-09", "(11) 98765-4321"
DAY = 86400


def conversation(sender, text, at=None):
    at = time.time() if at is None else at
    parse = {"text": text, "intent": {"name": "ask_invoice", "confidence": 0.9}, "entities": []}
    events = [ActionExecuted("action_listen", timestamp=at), UserUttered(text, parse_data=parse, timestamp=at + 1),
              BotUttered("ok", timestamp=at + 2)]
    return DialogueStateTracker.from_events(sender, events)


def stored_rows(db):
    with sqlite3.connect(db) as connection:
        return [(sender, json.loads(data)) for sender, data in connection.execute("select sender_id, data from events")]


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_messages_are_stored_masked_and_the_turn_still_has_the_text(tmp_path):
    db = tmp_path / "tracker.db"
    store = SQLiteTrackerStore(db=str(db))
    tracker = conversation("c1", f"meu cpf é {CPF} e o fone {PHONE}, email ana@exemplo.com.br")
    asyncio.run(store.save(tracker))
    assert tracker.latest_message.text == f"meu cpf é {CPF} e o fone {PHONE}, email ana@exemplo.com.br"
    raw = (tmp_path / "tracker.db").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("tracker.db-*"))
    for secret in (b"123.456.789", b"98765", b"ana@"):
        assert secret not in raw
    user = next(data for _, data in stored_rows(db) if data["event"] == "user")
    assert user["text"] == "meu cpf é ***.***.***-09 e o fone (**) *****-**21, email ***@exemplo.com.br"
    assert user["parse_data"]["text"] == user["text"]
    again = asyncio.run(store.retrieve("c1"))
    assert again.latest_message.text == user["text"] and again.latest_message.intent["name"] == "ask_invoice"
    tracker.update(UserUttered("e o boleto?", parse_data={"text": "e o boleto?", "intent": {"name": "ask_invoice"}}))
    asyncio.run(store.save(tracker))  # later saves add the new events only, masked or not
    assert [d.get("text") for _, d in stored_rows(db) if d["event"] == "user"] == [user["text"], "e o boleto?"]


def test_the_database_file_is_private(tmp_path):
    db = tmp_path / "var" / "tracker.db"
    SQLiteTrackerStore(db=str(db))
    assert mode(db) == 0o600
    for extra in tmp_path.glob("var/tracker.db-*"):
        assert mode(extra) == 0o600, extra
    os.chmod(db, 0o644)  # a file from before: made private at the next start
    SQLiteTrackerStore(db=str(db))
    assert mode(db) == 0o600


def fill(store, now):
    for sender, age in (("old", 40), ("recent", 2), ("today", 0)):
        asyncio.run(store.save(conversation(sender, "oi", at=now - age * DAY)))
    ongoing = conversation("ongoing", "oi", at=now - 50 * DAY)  # began long ago, still going on
    ongoing.update(UserUttered("e agora?", parse_data={"text": "e agora?", "intent": {"name": "greet"}}, timestamp=now))
    asyncio.run(store.save(ongoing))


def test_make_purge_deletes_conversations_idle_for_more_than_n_days(tmp_path):
    db = tmp_path / "tracker.db"
    fill(SQLiteTrackerStore(db=str(db)), time.time())
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTGRES_")}
    result = subprocess.run(["make", "-s", "purge", "DAYS=30", f"TRACKER_DB={db}"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**env, "TRACKER_DB": str(db)})
    assert result.returncode == 0, result.stderr
    assert "deleted 1 conversation(s), 3 event(s)" in result.stdout
    assert sorted({s for s, _ in stored_rows(db)}) == ["ongoing", "recent", "today"]
    assert len([1 for s, _ in stored_rows(db) if s == "ongoing"]) == 4  # never cut in the middle
    result = subprocess.run([sys.executable, "-m", "stores.purge", "--days", "1"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**env, "TRACKER_DB": str(db)})
    assert "deleted 1 conversation(s)" in result.stdout and sorted({s for s, _ in stored_rows(db)}) == ["ongoing", "today"]
    bad = subprocess.run(["make", "-s", "purge"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "usage: make purge DAYS=N" in bad.stderr


def test_the_server_applies_a_retention_setting(tmp_path, monkeypatch):
    db = tmp_path / "tracker.db"
    fill(SQLiteTrackerStore(db=str(db)), time.time())
    monkeypatch.setenv("TRACKER_RETENTION_DAYS", "30")
    SQLiteTrackerStore(db=str(db))  # a server starting with the setting purges at once, then every hour
    assert sorted({s for s, _ in stored_rows(db)}) == ["ongoing", "recent", "today"]
    monkeypatch.setenv("TRACKER_RETENTION_DAYS", "-1")
    with pytest.raises(ValueError, match="TRACKER_RETENTION_DAYS"):
        SQLiteTrackerStore(db=str(db))


def test_protocol_numbers_are_dated_and_unique_from_several_writers(tmp_path):
    db = tmp_path / "tracker.db"
    SQLiteTrackerStore(db=str(db))
    counters = [ProtocolCounter(f"sqlite:///{db}") for _ in range(4)]
    day = dt.date(2026, 12, 7)
    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(lambda i: counters[i % 4].issue(day, "poxnet", "handoff", "suporte"), range(200)))
    assert len(set(numbers)) == 200
    assert all(n.startswith("20261207-") and len(n) == 15 and n[9:].isdigit() for n in numbers)
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(distinct number) from assistant_protocols").fetchone()[0] == 200
        columns = [row[1] for row in connection.execute("pragma table_info(assistant_protocols)")]
    assert "sender_id" not in columns  # no customer data beside the numbers: the conversation is a digest
    assert ProtocolCounter(f"sqlite:///{db}").issue(dt.date(2026, 12, 8), "siempre", "close").startswith("20261208-")


def test_a_purged_conversation_is_unlinked_from_its_protocol_numbers(tmp_path):
    db = tmp_path / "tracker.db"
    store = SQLiteTrackerStore(db=str(db))
    counter = ProtocolCounter(f"sqlite:///{db}")
    now = time.time()
    asyncio.run(store.save(conversation("gone", "oi", at=now - 40 * DAY)))
    asyncio.run(store.save(conversation("kept", "oi", at=now)))
    old = counter.issue(dt.date(2026, 10, 1), "poxnet", "handoff", "suporte", sender_id="gone")
    new = counter.issue(dt.date(2026, 12, 7), "poxnet", "close", "retencao", sender_id="kept")
    assert counter.latest("gone") == old and counter.latest("kept") == new and counter.latest("nobody") is None
    with sqlite3.connect(db) as connection:
        assert b"gone" not in b"".join(str(r).encode() for r in connection.execute("select * from assistant_protocols"))
    store.purge_now(30)
    assert counter.latest("gone") is None and counter.latest("kept") == new
    with sqlite3.connect(db) as connection:  # the number's record is kept
        assert connection.execute("select count(*) from assistant_protocols where number = ?", (old,)).fetchone()[0] == 1


def test_a_protocol_table_from_before_the_conversation_column_is_upgraded(tmp_path):
    db = tmp_path / "tracker.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE assistant_protocols (id INTEGER PRIMARY KEY AUTOINCREMENT, number VARCHAR(15) "
                           "UNIQUE, company VARCHAR(255), kind VARCHAR(16), department VARCHAR(255), created_at TIMESTAMP)")
        connection.execute("INSERT INTO assistant_protocols (number, company, kind) VALUES ('20261207-000001', 'poxnet', 'close')")
    counter = ProtocolCounter(f"sqlite:///{db}")
    number = counter.issue(dt.date(2026, 12, 7), "poxnet", "close", sender_id="c1")
    assert number == "20261207-000002" and counter.latest("c1") == number
