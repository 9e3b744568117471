"""Rasa's SQL tracker store on SQLite, with the connection handling a serving bot wants.

Rasa's SQL store runs synchronously inside the server's event loop, so its costs are every
conversation's costs. With SQLAlchemy 1.4's defaults for a SQLite file, every session opens a new
connection (NullPool) and every commit fsyncs twice (rollback journal, synchronous=FULL). Here the
connections are pooled and the file uses WAL with synchronous=NORMAL: a committed event survives a
process crash, a power cut may lose the last transactions; a busy timeout lets several workers share it.

Customer messages are stored masked and old conversations purged (stores/masking.py); the file is
created readable and writable by its owner only (mode 600), and an existing one is made so.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Text

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from .database import private_file
from .masking import MaskingMixin
from .resilient import RetryingMixin

PRAGMAS = ("PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=5000")  # per connection; WAL is kept by the file


def _configure(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


class SQLiteTrackerStore(RetryingMixin, MaskingMixin, SQLTrackerStore):
    def __init__(self, domain: Optional[Domain] = None, db: Text = "var/tracker.db", **kwargs: Any) -> None:
        kwargs.pop("dialect", None)
        private_file(Path(db))
        super().__init__(domain=domain, dialect="sqlite", db=db, **kwargs)  # creates the tables
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=4,
                                       connect_args={"check_same_thread": False})
        event.listen(self.engine, "connect", _configure)
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        private_file(Path(db))  # the WAL and shared-memory files too
        self._start_retention()
