"""Measured fixes to Rasa 3.6's serving path, installed when the project's model loads.

1. `RemoteAction._validate_action_result` calls `jsonschema.validate()`, which first validates the
   response *schema* against the JSON-Schema meta-schema, on every custom-action call: 56% of the Rasa
   server's CPU per message here (py-spy, see BENCHMARKS.md). The replacement compiles the validator once
   and validates every action-server response against the same schema, raising the same error.
2. `Event.resolve_by_type` walks every subclass of `Event` (with `inspect.isabstract`) for each event it
   deserialises, so loading a tracker costs a class-hierarchy scan per stored event. The replacement
   remembers the class the original lookup found for each type name; unknown names still go to the
   original, which raises or returns the default as before.
3. `EndpointConfig.request` (the call to the action server) gives up at the first connection error.
   Under load a fresh connection to the action server was sometimes reset before the request was
   written ("Cannot write to closing transport"), and the customer got no reply. A request that failed
   before any response is tried again, twice at most, after 0.2 and 0.5 s.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

import asyncio
import logging

import aiohttp

from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
_ORIGINAL = RemoteAction._validate_action_result
_ORIGINAL_RESOLVE = Event.resolve_by_type
_ORIGINAL_REQUEST = EndpointConfig.request
_RETRY_AFTER = (0.2, 0.5)


async def _request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
    for pause in _RETRY_AFTER + (None,):
        try:
            return await _ORIGINAL_REQUEST(self, *args, **kwargs)
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as error:
            if pause is None:
                raise
            logger.warning("request to %s failed before a response (%s); trying again", self.url, error)
            await asyncio.sleep(pause)
_EVENT_TYPES: Dict[Text, Any] = {}


def _resolve_by_type(type_name: Text, default: Any = None) -> Any:
    found = _EVENT_TYPES.get(type_name)
    if found is not None:
        return found
    result = _ORIGINAL_RESOLVE(type_name, default)
    if result is not None and result is not default:
        _EVENT_TYPES[type_name] = result
    return result


@lru_cache(maxsize=1)
def _validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    validator = _validator()
    if validator.is_valid(result):  # one pass; the errors are only collected for an invalid response
        return True
    error = best_match(validator.iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    EndpointConfig.request = _request


def uninstall() -> None:
    RemoteAction._validate_action_result = _ORIGINAL
    Event.resolve_by_type = staticmethod(_ORIGINAL_RESOLVE)
    EndpointConfig.request = _ORIGINAL_REQUEST


__all__ = ["install", "uninstall", "ValidationError"]
