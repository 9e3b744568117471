"""Chatwoot's REST API as the agent bot uses it (Chatwoot 4.9.1: conversations, messages and assignments controllers): post a message, assign a team, change the
status. Every call has a timeout and bounded retries, and never raises: it returns a `Result`."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Dict, Optional

import aiohttp

logger = logging.getLogger(__name__)
RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class Result:
    ok: bool
    status: Optional[int] = None
    body: Any = None
    error: str = ""

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status else (self.error or "no answer")


class ChatwootClient:
    def __init__(self, base_url: str, token: str, timeout: float = 8.0, attempts: int = 3, backoff: float = 0.5) -> None:
        self.base_url, self.token = base_url.rstrip("/"), token
        self.timeout, self.attempts, self.backoff = timeout, max(1, attempts), backoff
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"api_access_token": self.token, "Accept": "application/json"},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def url(self, account_id: int, conversation_id: int, what: str) -> str:
        base = f"{self.base_url}/api/v1/accounts/{account_id}/conversations/{conversation_id}"
        return f"{base}/{what}"

    async def post(self, account_id: int, conversation_id: int, what: str, body: Dict[str, Any]) -> Result:
        """POST …/conversations/{id}/{what}. Retries connection errors, timeouts, 429 and 5xx."""
        url = self.url(account_id, conversation_id, what)
        result = Result(False, error="not tried")
        for attempt in range(1, self.attempts + 1):
            try:
                async with self._client().post(url, json=body) as response:
                    text = await response.text()
                    try:
                        data = await response.json(content_type=None) if text else None
                    except ValueError:
                        data = text
                    result = Result(200 <= response.status < 300, response.status, data)
                    if result.ok or response.status not in RETRY_STATUSES:
                        break
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
                result = Result(False, error=f"{type(error).__name__}: {error}".rstrip(": "))
            except Exception as error:  # never raise into Rasa
                logger.exception("chatwoot: unexpected error calling %s", url)
                result = Result(False, error=f"{type(error).__name__}: {error}")
                break
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff * attempt)
        if not result.ok:
            logger.warning("chatwoot: POST %s failed after %d attempt(s): %s %s", url, attempt,
                           result.describe(), str(result.body)[:200] if result.body else "")
        return result
