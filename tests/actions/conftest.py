"""A tracker factory over the real domain: the actions run as the action server runs them."""
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.conftest import ROOT
from tests.payloads import checked_protocols

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
SLOTS = list(DOMAIN["slots"])


@pytest.fixture(autouse=True)
def protocol_database(tmp_path, monkeypatch):
    """Protocol numbers are issued from a temporary SQLite file, never the project's var/tracker.db."""
    import stores.protocols

    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.setattr(stores.protocols, "_shared", None)


def make_tracker(
    text: str,
    intent: str,
    slots: Optional[Dict[str, Any]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    channel: str = "rest",
    language: Optional[str] = None,
    language_confidence: float = 0.95,
    entities: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    unknown = set(slots or {}) - set(SLOTS) - {"session_started_metadata"}
    assert not unknown, f"slots not in domain.yml: {unknown}"
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.93},
        "intent_ranking": [{"name": intent, "confidence": 0.93}],
        "entities": entities or [],
        "language": language,
        "language_confidence": language_confidence if language else 0.0,
    }
    events = [{"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}, "input_channel": channel}]
    values = {name: None for name in SLOTS}
    values.update(slots or {})
    return Tracker("customer-1", values, latest, events, False, None, {}, "action_listen")


class Run:
    """The outcome of one action: what the customer sees and the events."""

    def __init__(self, action, tracker: Tracker):
        self.dispatcher = CollectingDispatcher()
        self.events = action.run(self.dispatcher, tracker, DOMAIN)
        self.messages = self.dispatcher.messages

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages)

    @property
    def payloads(self) -> List[Dict[str, Any]]:
        """The design's payloads; each handoff and close must also carry a protocol number (checked here)."""
        return checked_protocols(self.raw_payloads)

    @property
    def raw_payloads(self) -> List[Dict[str, Any]]:
        return [m["custom"] for m in self.messages if m.get("custom")]

    def slot(self, name: str) -> Any:
        found = [e["value"] for e in self.events if e.get("event") == "slot" and e.get("name") == name]
        return found[-1] if found else "<unset>"

    @property
    def paused(self) -> bool:
        return any(e.get("event") == "pause" for e in self.events)


@pytest.fixture
def run():
    return Run
