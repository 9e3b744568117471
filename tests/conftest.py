import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from actions.core.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
# endpoints.yml reads it (the action server's shared token); the test servers run without one.
os.environ.setdefault("ACTION_SERVER_TOKEN", "")
SP = ZoneInfo("America/Sao_Paulo")
LISBON = ZoneInfo("Europe/Lisbon")
BOGOTA = ZoneInfo("America/Bogota")


def at(text: str, zone=SP) -> dt.datetime:
    """A frozen moment, local to `zone`: at('2026-11-23 08:00')."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry(ROOT / "companies", ROOT / "locales" / "messages.yml")


@pytest.fixture(scope="session")
def messages(registry):
    return registry.messages()


@pytest.fixture(scope="session")
def poxnet(registry):
    return registry.company("poxnet")
