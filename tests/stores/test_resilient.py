"""The tracker store waits out a database that cannot be reached, within its window, and then gives up."""
import asyncio

import pytest
from sqlalchemy.exc import OperationalError

from stores.resilient import with_retries


def failing(times):
    calls = []

    async def call():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
        return "stored"

    return call, calls


def test_a_database_back_within_the_window_loses_nothing():
    call, calls = failing(3)
    assert asyncio.run(with_retries("saving", "c1", call, seconds=5)) == "stored"
    assert len(calls) == 4


def test_past_the_window_the_error_goes_on_to_rasa():
    call, calls = failing(1000)
    with pytest.raises(OperationalError):
        asyncio.run(with_retries("saving", "c1", call, seconds=0.5))
    assert 2 <= len(calls) < 10


def test_other_errors_are_not_retried():
    calls = []

    async def call():
        calls.append(1)
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError):
        asyncio.run(with_retries("saving", "c1", call, seconds=5))
    assert len(calls) == 1
