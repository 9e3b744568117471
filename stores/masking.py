"""Rasa's SQL tracker store, storing customer messages with their personal data masked (stores/privacy.py),
and deleting conversations older than TRACKER_RETENTION_DAYS when that setting is given.

`MaskingSQLTrackerStore` is the PostgreSQL store of deploy/endpoints.postgres-redis.yml (`type:
stores.masking.MaskingSQLTrackerStore`, with Rasa's SQL store's settings); the SQLite store of endpoints.yml
(stores/sqlite_tracker_store.py) is built on the same mixin. Only what is written is masked: the turn being
answered has the customer's text as written; the next turns read the stored (masked) history.

Importing this module also masks this process's log lines (`install_log_masking`): Rasa writes the whole
message text to its log when handling a message fails.
"""
from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.core.trackers import DialogueStateTracker

from .database import purge
from .privacy import install_log_masking, mask_event
from .resilient import RetryingMixin

logger = logging.getLogger(__name__)
install_log_masking()
PURGE_EVERY = 3600.0  # seconds between two purges of a running server


def retention_days(value: Optional[str] = None) -> Optional[float]:
    """TRACKER_RETENTION_DAYS: conversations idle for longer are deleted; unset or empty keeps them all."""
    value = os.environ.get("TRACKER_RETENTION_DAYS", "") if value is None else value
    if not str(value).strip():
        return None
    days = float(value)
    if days < 0:
        raise ValueError(f"TRACKER_RETENTION_DAYS must be 0 or more, not {value!r}")
    return days


class MaskingMixin:
    """For a subclass of Rasa's SQLTrackerStore: events written masked; old conversations purged."""

    _last_purge = 0.0

    def _start_retention(self) -> None:
        self.retention = retention_days()
        if self.retention is not None:
            self.purge_now()

    def purge_now(self, days: Optional[float] = None) -> tuple:
        days = self.retention if days is None else days
        self._last_purge = time.time()
        if days is None:
            return 0, 0
        try:
            with self.engine.begin() as connection:
                conversations, events = purge(connection, days)
            if conversations:
                logger.info("deleted %d conversations (%d events) idle for more than %s days",
                            conversations, events, days)
            return conversations, events
        except Exception:  # noqa: BLE001 (the purge is retried at the next interval; serving goes on)
            logger.exception("purging old conversations failed")
            return 0, 0

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's SQLTrackerStore.save, with each new event masked before it is written."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = mask_event(event.as_dict())
                # noinspection PyArgumentList
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"), data=json.dumps(data)))
            session.commit()
        if getattr(self, "retention", None) is not None and time.time() - self._last_purge > PURGE_EVERY:
            self.purge_now()


class MaskingSQLTrackerStore(RetryingMixin, MaskingMixin, SQLTrackerStore):
    """Rasa's SQL tracker store (PostgreSQL in deploy/endpoints.postgres-redis.yml), masked and purged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._start_retention()
