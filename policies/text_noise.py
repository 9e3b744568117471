"""Reproducible typing noise: what customers' thumbs do to words (used to train and to measure)."""
from __future__ import annotations

import random
import unicodedata

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def add_noise(text: str, rate: float = 0.10, seed: int = 0) -> str:
    """Replace, drop, double or swap about `rate` of the letters; the same text and seed give the same result."""
    rng = random.Random(f"{seed}:{text}")
    chars, out, i = list(text), [], 0
    while i < len(chars):
        c = chars[i]
        if c.isalpha() and rng.random() < rate:
            op = rng.choice(("replace", "drop", "double", "swap"))
            if op == "replace":
                out.append(rng.choice(LETTERS))
            elif op == "double":
                out += [c, c]
            elif op == "swap" and i + 1 < len(chars):
                out += [chars[i + 1], c]
                i += 1
        else:
            out.append(c)
        i += 1
    return "".join(out)
