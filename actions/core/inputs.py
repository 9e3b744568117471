"""What a customer sends, made safe to use: company ids, names shown back, message length.

Pure functions, shared by the action server and the Rasa server's REST channel.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Optional

# The longest customer message read as it is; a longer one is refused with a clear reply (channels/rest.py).
MAX_MESSAGE_CHARS = 4096
# Company ids are file names in companies/: lowercase letters, digits and hyphens.
_COMPANY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# A name shown back to the customer ("we do not serve X"): letters, digits, spaces and . - _ & only.
_SHOWABLE = re.compile(r"^[\w .&-]+$")
SHOWN_CHARS = 40


def company_id(value: Any) -> Optional[str]:
    """A company id as a customer or channel may write it (' POXNET ' -> 'poxnet'); None if not an id."""
    if not isinstance(value, str):
        return None
    key = unicodedata.normalize("NFKC", value).strip().lower()
    return key if _COMPANY_ID.match(key) else None


def shown_name(value: Any) -> Optional[str]:
    """A customer-given name safe to repeat in a reply, cut to 40 characters; None if it should not be
    repeated at all (markup, quotes, braces, control characters, not text)."""
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    if not text or not _SHOWABLE.match(text):
        return None
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1].rstrip() + "…"
