"""The bot's custom payloads as the design writes them, after checking the agreed addition: every handoff
and close carries a protocol number (`"protocol": "YYYYMMDD-NNNNNN"`, inside the object)."""
import re
from typing import Any, Dict, List

PROTOCOL = re.compile(r"^20\d{6}-\d{6}$")


def checked_protocols(payloads: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The payloads without their protocol numbers, after asserting each handoff and close has one
    (the numbers themselves: tests/actions/test_protocols.py, tests/test_e2e_records.py)."""
    plain = []
    for payload in payloads:
        payload = dict(payload)
        for kind in ("handoff", "close"):
            if isinstance(payload.get(kind), dict):
                inner = dict(payload[kind])
                assert PROTOCOL.match(str(inner.pop("protocol", ""))), f"{kind} without a protocol number: {payload}"
                payload[kind] = inner
        plain.append(payload)
    return plain
