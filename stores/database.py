"""The conversation database as the deployment configures it, for what runs beside Rasa's tracker store:
the purge of old conversations and the protocol-number counter.

The same environment as the endpoints files: PostgreSQL when POSTGRES_HOST is set and TRACKER_DIALECT is
not `sqlite` (deploy/endpoints.postgres-redis.yml), else the SQLite file TRACKER_DB (var/tracker.db by
default, endpoints.yml). ASSISTANT_DATABASE_URL, an SQLAlchemy URL, overrides both.
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Mapping, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parents[1]
DAY = 86400.0


def database_url(env: Optional[Mapping[str, str]] = None) -> URL | str:
    env = os.environ if env is None else env
    if env.get("ASSISTANT_DATABASE_URL"):
        return env["ASSISTANT_DATABASE_URL"]
    if env.get("POSTGRES_HOST") and env.get("TRACKER_DIALECT", "postgresql") != "sqlite":
        return URL.create("postgresql", username=env.get("POSTGRES_USER") or None,
                          password=env.get("POSTGRES_PASSWORD") or None, host=env["POSTGRES_HOST"],
                          port=int(env["POSTGRES_PORT"]) if env.get("POSTGRES_PORT") else None,
                          database=env.get("POSTGRES_DB") or "rasa")
    path = Path(env.get("TRACKER_DB") or "var/tracker.db")
    return URL.create("sqlite", database=str(path if path.is_absolute() else ROOT / path))


def private_file(path: Path) -> None:
    """The SQLite file (and its WAL and shared-memory files, if any) readable by its owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        if name.exists():
            os.chmod(name, 0o600)


def engine_for(url: URL | str) -> sa.engine.Engine:
    url = sa.engine.make_url(url)
    if url.get_backend_name() == "sqlite":
        if url.database:
            private_file(Path(url.database))
        return sa.create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
    return sa.create_engine(url, pool_pre_ping=True)


def purge(connection: sa.engine.Connection, days: float, now: Optional[float] = None) -> Tuple[int, int]:
    """Deletes every conversation (all its events) whose latest event is older than `days` days, from Rasa's
    `events` table. Returns (conversations, events) deleted. A conversation still going on is never cut."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    if not sa.inspect(connection).has_table("events"):
        return 0, 0
    cutoff = (time.time() if now is None else now) - days * DAY
    old = sa.text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff")
    senders = [row[0] for row in connection.execute(old, {"cutoff": cutoff})]
    events = 0
    protocols = sa.inspect(connection).has_table("assistant_protocols")
    for start in range(0, len(senders), 500):
        chunk = senders[start:start + 500]
        statement = sa.text("DELETE FROM events WHERE sender_id IN :senders").bindparams(
            sa.bindparam("senders", expanding=True))
        events += connection.execute(statement, {"senders": chunk}).rowcount or 0
        if protocols:  # the numbers' records stay (SAC), unlinked from the deleted conversation
            unlink = sa.text("UPDATE assistant_protocols SET conversation = NULL WHERE conversation IN :keys").bindparams(
                sa.bindparam("keys", expanding=True))
            connection.execute(unlink, {"keys": [hashlib.sha256(s.encode("utf-8")).hexdigest() for s in chunk]})
    return len(senders), events
