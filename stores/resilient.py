"""A tracker store that waits out a database restart instead of losing the turn.

Rasa wraps every tracker store in its FailSafeTrackerStore: when a save or a read raises, it logs the
error and carries on with an empty in-memory store. The customer is answered, but the turn never reaches
the database (lost), and a conversation read during the outage starts again without its context (its
offered choice, its company). Measured with bench/faults.py: a PostgreSQL restart of 2 s lost 8 turns of
100.

Here a read or a write that fails because the database cannot be reached (sqlalchemy's OperationalError
and other DBAPI errors, which also invalidate the connection pool's dead connections) is tried again,
with growing pauses that let the server serve others (asyncio.sleep, not a blocking sleep), for up to
TRACKER_STORE_RETRY_SECONDS (20 by default). Writing again is safe: a failed transaction is rolled back
whole, and the store writes only the events it does not hold yet. Past the deadline the error goes on to
Rasa as before, and is logged.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any, Awaitable, Callable, TypeVar

from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)
T = TypeVar("T")


def retry_seconds(variable: str = "TRACKER_STORE_RETRY_SECONDS", default: float = 20.0) -> float:
    """How long to wait out an outage: the environment variable's seconds, or the default."""
    try:
        return max(0.0, float(os.environ.get(variable, default)))
    except ValueError:
        logger.warning("%s is not a number of seconds: using %g", variable, default)
        return default


async def with_retries(what: str, sender_id: str, call: Callable[[], Awaitable[T]], seconds: float) -> T:
    began, pause, attempt = time.monotonic(), 0.1, 1
    while True:
        try:
            return await call()
        except DBAPIError as error:
            waited = time.monotonic() - began
            if waited + pause > seconds:
                logger.error("tracker store: %s of conversation %s failed after %d attempts in %.1f s: %s",
                             what, sender_id, attempt, waited, type(error.orig).__name__ if error.orig else error)
                raise
            if attempt == 1:
                logger.warning("tracker store: %s of conversation %s failed (%s); trying again for up to %g s",
                               what, sender_id, str(error.orig or error).strip().splitlines()[0][:200], seconds)
            await asyncio.sleep(pause)
            pause, attempt = min(pause * 2, 2.0), attempt + 1


class RetryingMixin:
    """Put first among the bases of a subclass of Rasa's SQLTrackerStore."""

    retry_for = None  # seconds; None: TRACKER_STORE_RETRY_SECONDS

    def _retry_window(self) -> float:
        return retry_seconds() if self.retry_for is None else self.retry_for

    async def save(self, tracker: Any) -> None:
        await with_retries("saving", tracker.sender_id, lambda: super(RetryingMixin, self).save(tracker),
                           self._retry_window())

    async def retrieve(self, sender_id: str) -> Any:
        return await with_retries("reading", sender_id, lambda: super(RetryingMixin, self).retrieve(sender_id),
                                  self._retry_window())

    async def retrieve_full_tracker(self, sender_id: str) -> Any:
        return await with_retries("reading", sender_id,
                                  lambda: super(RetryingMixin, self).retrieve_full_tracker(sender_id),
                                  self._retry_window())
