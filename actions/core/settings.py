"""All settings, read in one place from the environment, with defaults that work on a laptop."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    companies_dir: Path
    messages_path: Path
    cues_path: Path
    default_company: Optional[str]
    fixed_now: Optional[str]
    agent_commands_everywhere: bool
    retrieval: bool = True
    cache_dir: Path = ROOT / ".cache"

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        return cls(
            companies_dir=Path(env.get("ASSISTANT_COMPANIES_DIR", ROOT / "companies")),
            messages_path=Path(env.get("ASSISTANT_MESSAGES", ROOT / "locales" / "messages.yml")),
            cues_path=Path(env.get("ASSISTANT_CUES", ROOT / "locales" / "cues.yml")),
            default_company=env.get("ASSISTANT_DEFAULT_COMPANY") or None,
            fixed_now=env.get("ASSISTANT_FIXED_NOW") or None,
            # Agent slash commands (/company, /now) are honoured in `rasa shell` only, unless this is set
            # for a trusted test channel. Customers never set the clock.
            agent_commands_everywhere=env.get("ASSISTANT_AGENT_COMMANDS_EVERYWHERE", "") == "1",
            # Answers found by meaning when no intent fits (actions/core/retrieval.py); 0 turns it off.
            retrieval=env.get("ASSISTANT_RETRIEVAL", "1") != "0",
            cache_dir=Path(env.get("ASSISTANT_CACHE_DIR", ROOT / ".cache")),
        )
