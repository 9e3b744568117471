"""Which language to answer in, and which variant and locale that means for a company."""
from __future__ import annotations

from typing import Optional

from .schema import LANGUAGES, Company

# Below this detector confidence, or under this many words, a message is too short or mixed to switch
# the conversation's language ("ok", "Iperó?", "WhatsApp??" read as either language).
SWITCH_CONFIDENCE = 0.7
SWITCH_WORDS = 3


def choose_language(
    detected: Optional[str], confidence: float, current: Optional[str], company: Company, understood: bool = True,
    words: int = SWITCH_WORDS,
) -> str:
    """The customer's language when clear; otherwise the conversation's, or the company's for a new one.

    A message the NLU did not understand (keyboard mash, a stray word) never switches: the detector is
    confident about nonsense too.
    """
    if understood and detected in LANGUAGES and confidence >= SWITCH_CONFIDENCE and words >= SWITCH_WORDS:
        return detected
    if current in LANGUAGES:
        return current
    return company.language


def variant(language: str, company: Optional[Company]) -> str:
    """The message-catalogue variant: Portuguese follows the company's variant (pt-PT for Portugal)."""
    if language == "es":
        return "es"
    return "pt-PT" if company is not None and company.locale == "pt-PT" else "pt-BR"


def babel_locale(variant_: str) -> str:
    return {"pt-BR": "pt_BR", "pt-PT": "pt_PT", "es": "es_CO"}[variant_]
