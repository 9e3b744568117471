"""Loading company files and the message catalogue, with clear errors and reload on change.

Every lookup stats the file; an edited file is parsed again, so a running action server answers from
the new text at the next message. A file that fails validation is reported and the last good version
keeps serving, so a typo in production never silences the bot.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Callable, Dict, Generic, List, Optional, Tuple, TypeVar

import yaml
from pydantic import ValidationError

from .schema import Company

logger = logging.getLogger(__name__)
T = TypeVar("T")

VARIANTS = ("pt-BR", "pt-PT", "es")


class DataFileError(ValueError):
    """A data file that cannot be used, naming the file, the field and the reason."""

    def __init__(self, path: Path, problems: List[Tuple[str, str]]):
        self.path = Path(path)
        self.problems = problems
        lines = [f"{self.path}: {field}: {reason}" for field, reason in problems]
        super().__init__("\n".join(lines))


def _read_yaml(path: Path) -> object:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise DataFileError(path, [(where, f"not valid YAML: {getattr(error, 'problem', error)}")])
    except OSError as error:
        raise DataFileError(path, [("(file)", error.strerror or str(error))])


def load_company(path: Path) -> Company:
    path = Path(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise DataFileError(path, [("(file)", "must be a mapping of company fields")])
    try:
        company = Company.parse_obj(raw)
    except ValidationError as error:
        problems = [(".".join(str(p) for p in e["loc"]) or "(file)", e["msg"]) for e in error.errors()]
        raise DataFileError(path, problems)
    if company.id != path.stem:
        raise DataFileError(path, [("id", f"'{company.id}' must match the file name '{path.stem}'")])
    return company


def load_messages(path: Path) -> Dict[str, Dict[str, str]]:
    path = Path(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise DataFileError(path, [("(file)", "must map message keys to their variants")])
    problems = []
    for key, variants in raw.items():
        if not isinstance(variants, dict):
            problems.append((str(key), "must map each variant (pt-BR, pt-PT, es) to a text"))
            continue
        for variant in VARIANTS:
            text = variants.get(variant)
            if not isinstance(text, str) or not text.strip():
                problems.append((f"{key}.{variant}", "missing or empty"))
        for variant in set(variants) - set(VARIANTS):
            problems.append((f"{key}.{variant}", f"unknown variant (use {', '.join(VARIANTS)})"))
    if problems:
        raise DataFileError(path, problems)
    return raw


class _Watched(Generic[T]):
    """One file parsed by `loader`, parsed again when its modification time or size changes."""

    def __init__(self, path: Path, loader: Callable[[Path], T]):
        self.path, self.loader = path, loader
        self.value: Optional[T] = None
        self.stamp: Optional[Tuple[int, int]] = None
        self.lock = threading.Lock()

    def get(self) -> T:
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        if stamp == self.stamp and self.value is not None:
            return self.value
        with self.lock:
            try:
                self.value = self.loader(self.path)
                self.stamp = stamp
            except DataFileError as error:
                if self.value is None:
                    raise
                logger.error("keeping the last good version; %s", error)
                self.stamp = stamp
        return self.value


class Registry:
    """The company files of one folder and the message catalogue."""

    def __init__(self, companies_dir: Path, messages_path: Path):
        self.companies_dir = Path(companies_dir)
        self._companies: Dict[str, _Watched[Company]] = {}
        self._messages = _Watched(Path(messages_path), load_messages)

    def company_ids(self) -> List[str]:
        return sorted(p.stem for p in self.companies_dir.glob("*.yml"))

    def company(self, company_id: str) -> Optional[Company]:
        path = self.companies_dir / f"{company_id}.yml"
        if not company_id or not path.is_file() or company_id != path.stem:
            return None
        watched = self._companies.get(company_id)
        if watched is None:
            watched = self._companies[company_id] = _Watched(path, load_company)
        return watched.get()

    def companies(self) -> List[Company]:
        return [c for c in (self.company(i) for i in self.company_ids()) if c is not None]

    def messages(self) -> Dict[str, Dict[str, str]]:
        return self._messages.get()


def check_all(companies_dir: Path, messages_path: Path) -> List[DataFileError]:
    """Every problem in every data file, for `make check`."""
    errors: List[DataFileError] = []
    for path in sorted(Path(companies_dir).glob("*.yml")):
        try:
            load_company(path)
        except DataFileError as error:
            errors.append(error)
    try:
        load_messages(messages_path)
    except DataFileError as error:
        errors.append(error)
    return errors
