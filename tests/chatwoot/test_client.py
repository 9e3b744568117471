"""Chatwoot calls: bounded retries on 5xx/429 and timeouts, none on other 4xx, never an exception."""
import asyncio
import time

from channels.chatwoot.client import ChatwootClient
from tests.chatwoot.standin import Chatwoot
from tests.test_e2e_rest import free_port


def post(client, body=None, what="messages"):
    async def call():
        try:
            return await client.post(1, 8, what, body or {"content": "oi"})
        finally:
            await client.close()
    return asyncio.run(call())


def test_retries_5xx_and_429_a_bounded_number_of_times():
    chatwoot = Chatwoot("t")
    try:
        for status in (500, 429, 503):
            chatwoot.calls.clear()
            chatwoot.fail = lambda conversation, what, body, status=status: status
            result = post(ChatwootClient(chatwoot.url, "t", attempts=3, backoff=0.01))
            assert not result.ok and result.status == status and len(chatwoot.calls) == 3
    finally:
        chatwoot.stop()


def test_other_4xx_are_not_retried_and_success_is_read():
    chatwoot = Chatwoot("t")
    try:
        result = post(ChatwootClient(chatwoot.url, "wrong", backoff=0.01))
        assert (result.ok, result.status, result.body) == (False, 401, {"error": "Invalid Access Token"})
        bad = post(ChatwootClient(chatwoot.url, "t", backoff=0.01),
                   {"content": "x", "content_type": "input_select", "content_attributes": {"items": [{"title": "a", "payload": "/b"}]}})
        assert bad.status == 422 and len(chatwoot.calls) == 2
        good = post(ChatwootClient(chatwoot.url, "t"), {"status": "open"}, "toggle_status")
        assert good.ok and good.body["payload"]["current_status"] == "open"
    finally:
        chatwoot.stop()


def test_a_slow_chatwoot_times_out_and_an_absent_one_fails_without_raising():
    chatwoot = Chatwoot("t")
    try:
        chatwoot.fail = lambda conversation, what, body: time.sleep(1.0)
        result = post(ChatwootClient(chatwoot.url, "t", timeout=0.3, attempts=2, backoff=0.01))
        assert not result.ok and result.status is None and "Timeout" in result.error
    finally:
        chatwoot.stop()
    result = post(ChatwootClient(f"http://127.0.0.1:{free_port()}", "t", attempts=2, backoff=0.01))
    assert not result.ok and result.status is None and result.error
