"""Protocol numbers (Decreto 11.034/2022, SAC): `YYYYMMDD-NNNNNN`, unique across every Rasa and action
server sharing the conversation database.

The date is the company's local date of the contact; NNNNNN comes from one counter in the database the
deployment already has (stores/database.py): a PostgreSQL sequence, or an autoincrement table in the
SQLite file. Each number issued is recorded in `assistant_protocols` (number, company, kind, department,
time, and the conversation as a SHA-256 digest of its sender id, never the id itself), so a number is never
issued twice, even after the counter passes 999999, and a conversation's latest number can be found again
after `/restart` has cleared its slots. Purging a conversation (stores/database.py) clears its digest and
keeps the number's record.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from .database import database_url, engine_for

logger = logging.getLogger(__name__)
TABLE = "assistant_protocols"
SEQUENCE = "assistant_protocol_seq"
PATTERN = r"\d{8}-\d{6}"


def format_number(day: dt.date, counter: int) -> str:
    return f"{day:%Y%m%d}-{counter % 1_000_000:06d}"


def conversation_key(sender_id: Optional[str]) -> Optional[str]:
    """The conversation as stored beside its numbers: a digest, not the sender id."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest() if sender_id else None


class ProtocolCounter:
    def __init__(self, url=None):
        self.engine = engine_for(url if url is not None else database_url())
        self.postgres = self.engine.dialect.name == "postgresql"
        self._ready = False
        self._lock = threading.Lock()

    def _create(self) -> None:
        for attempt in range(3):  # servers starting together may race to create them
            try:
                with self.engine.begin() as db:
                    if self.postgres:
                        db.exec_driver_sql(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
                        db.exec_driver_sql(
                            f"CREATE TABLE IF NOT EXISTS {TABLE} (number VARCHAR(15) PRIMARY KEY, company VARCHAR(255),"
                            " kind VARCHAR(16), department VARCHAR(255), created_at TIMESTAMPTZ DEFAULT now(),"
                            " conversation VARCHAR(64))")
                        db.exec_driver_sql(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS conversation VARCHAR(64)")
                    else:
                        db.exec_driver_sql(
                            f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                            " number VARCHAR(15) UNIQUE, company VARCHAR(255), kind VARCHAR(16),"
                            " department VARCHAR(255), created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
                            " conversation VARCHAR(64))")
                        columns = {row[1] for row in db.exec_driver_sql(f"PRAGMA table_info({TABLE})")}
                        if "conversation" not in columns:  # a table from before the column
                            db.exec_driver_sql(f"ALTER TABLE {TABLE} ADD COLUMN conversation VARCHAR(64)")
                    db.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {TABLE}_conversation ON {TABLE} (conversation)")
                self._ready = True
                return
            except (IntegrityError, ProgrammingError, OperationalError):
                if attempt == 2:
                    raise

    def _ensure(self) -> None:
        with self._lock:
            if not self._ready:
                self._create()

    def issue(self, day: dt.date, company: str, kind: str, department: Optional[str] = None,
              sender_id: Optional[str] = None) -> str:
        """A new number for a contact on `day` (the company's local date), of the conversation `sender_id`."""
        self._ensure()
        for _ in range(5):
            try:
                with self.engine.begin() as db:
                    values = {"company": company, "kind": kind, "department": department,
                              "conversation": conversation_key(sender_id)}
                    if self.postgres:
                        counter = db.execute(sa.text(f"SELECT nextval('{SEQUENCE}')")).scalar_one()
                        number = format_number(day, counter)
                        db.execute(sa.text(f"INSERT INTO {TABLE} (number, company, kind, department, conversation) "
                                           "VALUES (:number, :company, :kind, :department, :conversation)"),
                                   {**values, "number": number})
                    else:
                        counter = db.execute(sa.text(f"INSERT INTO {TABLE} (company, kind, department, conversation) "
                                                     "VALUES (:company, :kind, :department, :conversation)"), values).lastrowid
                        number = format_number(day, counter)
                        db.execute(sa.text(f"UPDATE {TABLE} SET number = :number WHERE id = :id"),
                                   {"number": number, "id": counter})
                return number
            except IntegrityError:  # the counter wrapped onto a number already issued that day: the next one
                logger.warning("protocol number already issued; taking the next")
        raise RuntimeError("no free protocol number")

    def latest(self, sender_id: str) -> Optional[str]:
        """The latest number issued to the conversation `sender_id`, if any."""
        self._ensure()
        order = "created_at DESC, number DESC" if self.postgres else "id DESC"
        with self.engine.connect() as db:
            return db.execute(sa.text(f"SELECT number FROM {TABLE} WHERE conversation = :c ORDER BY {order} LIMIT 1"),
                              {"c": conversation_key(sender_id)}).scalar()


_shared: Optional[ProtocolCounter] = None
_shared_lock = threading.Lock()


def shared_counter() -> ProtocolCounter:
    """The process's counter, on the database the environment configures."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ProtocolCounter()
        return _shared
