"""Rasa's Redis lock store, waiting out a Redis restart instead of failing the turn.

The lock keeps one conversation's messages in order across several Rasa servers. With Rasa's own
RedisLockStore, a message that arrives while Redis is unreachable fails with a LockError: the turn is
never processed (the customer gets the apology), and a lock that Redis lost in a restart fails the turn
that held a ticket in it. Measured with bench/faults.py: a 2-second Redis restart lost 116 turns of 1,000.

Here taking the lock (issuing a ticket and waiting for it) is tried again, with growing pauses that let
the server serve others, for up to LOCK_STORE_RETRY_SECONDS (20 by default); a lock lost with Redis is
taken anew. Releasing it never fails the turn, which by then has been answered and stored: a lock that
cannot be released expires by its lifetime.

endpoints: `lock_store: {type: stores.resilient_lock.ResilientRedisLockStore, url: ..., port: ..., db: ...}`
"""
from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from redis.exceptions import RedisError

from .resilient import retry_seconds

logger = logging.getLogger(__name__)


class ResilientRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[Any] = None, retry_for: Optional[float] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self.retry_for = retry_for

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        window = retry_seconds("LOCK_STORE_RETRY_SECONDS") if self.retry_for is None else self.retry_for
        began, pause, attempt = time.monotonic(), 0.1, 1
        while True:
            try:
                ticket = self.issue_ticket(conversation_id, lock_lifetime)
                acquired = await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
                break
            except (LockError, RedisError) as error:
                waited = time.monotonic() - began
                if waited + pause > window:
                    logger.error("lock store: no lock for conversation %s after %d attempts in %.1f s: %s",
                                 conversation_id, attempt, waited, _first_line(error))
                    raise error if isinstance(error, LockError) else LockError(_first_line(error))
                if attempt == 1:
                    logger.warning("lock store: the lock of conversation %s could not be taken (%s); "
                                   "trying again for up to %g s", conversation_id, _first_line(error), window)
                await asyncio.sleep(pause)
                pause, attempt = min(pause * 2, 2.0), attempt + 1
        try:
            yield acquired
        finally:
            try:
                self.cleanup(conversation_id, ticket)
            except (LockError, RedisError) as error:
                logger.warning("lock store: the lock of conversation %s could not be released (%s); "
                               "it expires by itself", conversation_id, _first_line(error))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[-1] if text else type(error).__name__)[:200]
