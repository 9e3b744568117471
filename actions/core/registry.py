"""Loading company files and the message catalogue, with clear errors and reload on change.

Every lookup stats the file; an edited file is parsed again, so a running action server answers from
the new text at the next message. Any problem with a file (not UTF-8, not YAML, a duplicate key, a
field the schema refuses, an answer under a key that is no intent of the domain) is reported naming
the file, the field and the reason, and never takes more than that file down:
- a file that was valid once keeps serving its last good version, and the error is logged; with a
  `keep_dir` (the action server's: ASSISTANT_CACHE_DIR/last-good), a copy of each good version is kept,
  so a server started or restarted while the file is broken serves that version too;
- a company file that was never valid leaves only that company unavailable (its customers get the
  apology); the other companies, and conversations without a company, are unaffected.
"""
from __future__ import annotations

import ast
import difflib
import hashlib
import logging
import os
import string
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Generic, Hashable, List, Optional, Tuple, TypeVar

import yaml
from pydantic import ValidationError

from .schema import Company
from .settings import ROOT

logger = logging.getLogger(__name__)
T = TypeVar("T")

VARIANTS = ("pt-BR", "pt-PT", "es")
DOMAIN = ROOT / "domain.yml"
# An answer that no intent covers yet, found by meaning only (its `examples`), goes under a key with this
# prefix; any other key must be an intent of the domain, so a misspelt intent is an error, not a lost answer.
BY_MEANING_PREFIX = "faq_"
STAFF_INTENT_PREFIX = "agent_"


class DataFileError(ValueError):
    """A data file that cannot be used, naming the file, the field and the reason."""

    def __init__(self, path: Path, problems: List[Tuple[str, str]]):
        self.path = Path(path)
        self.problems = problems
        lines = [f"{self.path}: {field}: {reason}" for field, reason in problems]
        super().__init__("\n".join(lines))


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML, where a key written twice in one mapping is an error (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if key_node.value in seen:
                        raise yaml.constructor.ConstructorError(
                            "while reading a mapping", node.start_mark,
                            f"duplicate key '{key_node.value}'", key_node.start_mark)
                    seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _line_of(data: bytes, position: int) -> str:
    line = data.count(b"\n", 0, position) + 1
    column = position - (data.rfind(b"\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


def _read_yaml(path: Path) -> object:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise DataFileError(path, [("(file)", error.strerror or str(error))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        byte = data[error.start:error.start + 1].hex()
        raise DataFileError(path, [(_line_of(data, error.start),
                                    f"byte 0x{byte} is not UTF-8: save the file as UTF-8")])
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise DataFileError(path, [(where, f"not valid YAML: {error.problem or error.context or error}")])
    except yaml.reader.ReaderError as error:
        where = _line_of(text.encode("utf-8"), len(text[:error.position].encode("utf-8")))
        raise DataFileError(path, [(where, f"not valid YAML: character {error.character!r} is not allowed")])
    except yaml.YAMLError as error:
        raise DataFileError(path, [("(file)", f"not valid YAML: {error}")])
    except RecursionError:
        raise DataFileError(path, [("(file)", "not valid YAML: nested too deeply")])


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _intent_problems(raw: dict, intents: FrozenSet[str]) -> List[Tuple[str, str]]:
    """Answers and missing facts under keys that are no customer intent of the domain."""
    problems: List[Tuple[str, str]] = []
    answers = raw.get("answers")
    for key, answer in (answers.items() if isinstance(answers, dict) else []):
        key = str(key)
        field = f"answers.{key}"
        if key.startswith(BY_MEANING_PREFIX):
            if not (isinstance(answer, dict) and answer.get("examples")):
                problems.append((field, f"an answer found by meaning only ('{BY_MEANING_PREFIX}…') needs `examples`"))
        elif key.startswith(STAFF_INTENT_PREFIX) and key in intents:
            problems.append((field, f"'{key}' is a staff command, not a customer's question"))
        elif key not in intents:
            problems.append((field, f"'{key}' is not an intent of the domain (domain.yml){_did_you_mean(key, intents)}; "
                                    f"an answer no intent covers goes under a key starting with '{BY_MEANING_PREFIX}'"))
    missing = raw.get("missing")
    for index, fact in enumerate(missing if isinstance(missing, list) else []):
        named = fact.get("intents") if isinstance(fact, dict) else None
        for intent in (named if isinstance(named, list) else []):
            if str(intent) not in intents:
                problems.append((f"missing.{index}.intents",
                                 f"'{intent}' is not an intent of the domain (domain.yml){_did_you_mean(str(intent), intents)}"))
    return problems


def _validation_problems(error: ValidationError) -> List[Tuple[str, str]]:
    problems = []
    for e in error.errors():
        loc = [str(p) for p in e["loc"]]
        if loc == ["__root__"]:  # the company's cross-references: one "field: reason" per line
            for line in e["msg"].splitlines():
                inner, _, reason = line.partition(": ")
                problems.append((inner, reason) if reason else ("(file)", line))
        else:
            problems.append((".".join(p for p in loc if p != "__root__") or "(file)", e["msg"]))
    return problems


def load_company(path: Path, intents: Optional[FrozenSet[str]] = None) -> Company:
    """A company file, validated; `intents` (the domain's) also checks the keys of its answers."""
    path = Path(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise DataFileError(path, [("(file)", "must be a mapping of company fields")])
    problems = _intent_problems(raw, intents) if intents is not None else []
    company: Optional[Company] = None
    try:
        company = Company.parse_obj(raw)
    except ValidationError as error:
        problems += _validation_problems(error)
    if raw.get("id") is not None and str(raw.get("id")) != path.stem:
        problems.append(("id", f"'{raw.get('id')}' must match the file name '{path.stem}'"))
    if problems or company is None:
        raise DataFileError(path, problems or [("(file)", "not a valid company file")])
    return company


def load_domain_intents(path: Path) -> FrozenSet[str]:
    """The intents of the domain (domain.yml), the keys a company's answers may use."""
    raw = _read_yaml(path)
    intents = raw.get("intents") if isinstance(raw, dict) else None
    if not isinstance(intents, list) or not intents:
        raise DataFileError(path, [("intents", "missing: the domain must list its intents")])
    return frozenset(str(next(iter(i))) if isinstance(i, dict) else str(i) for i in intents)


@lru_cache(maxsize=1)
def message_keys_used(source: Path = ROOT / "actions") -> Dict[str, str]:
    """The catalogue keys the assistant's code asks for by name, and one file that asks for each.

    Read from the code itself: the first argument of `say("...")`/`text("...")` calls and `messages["..."]`.
    """
    used: Dict[str, str] = {}
    for path in sorted(Path(source).rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            key = None
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ("say", "text") and isinstance(node.args[0], ast.Constant):
                    key = node.args[0].value
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                name = getattr(node.value, "id", None) or getattr(node.value, "attr", None)
                if name == "messages":
                    key = node.slice.value
            if isinstance(key, str) and key.isidentifier():
                used.setdefault(key, str(path.relative_to(source.parent)) if path.is_relative_to(source.parent) else str(path))
    return used


def _placeholders(text: str) -> FrozenSet[str]:
    return frozenset(name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name)


def load_messages(path: Path, required: Optional[Dict[str, str]] = None) -> Dict[str, Dict[str, str]]:
    """The message catalogue: every key in all three variants with the same {placeholders}; `required`
    (key -> a file that uses it) are the keys the code asks for."""
    path = Path(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise DataFileError(path, [("(file)", "must map message keys to their variants")])
    problems = []
    for key, variants in raw.items():
        if not isinstance(variants, dict):
            problems.append((str(key), "must map each variant (pt-BR, pt-PT, es) to a text"))
            continue
        shapes = {}
        for variant in VARIANTS:
            text = variants.get(variant)
            if not isinstance(text, str) or not text.strip():
                problems.append((f"{key}.{variant}", "missing or empty"))
                continue
            try:
                shapes[variant] = _placeholders(text)
            except ValueError as error:
                problems.append((f"{key}.{variant}", f"not a valid text with {{placeholders}}: {error}"))
        for variant in set(variants) - set(VARIANTS):
            problems.append((f"{key}.{variant}", f"unknown variant (use {', '.join(VARIANTS)})"))
        if len(set(shapes.values())) > 1:
            described = "; ".join(f"{v}: {', '.join(sorted(s)) or 'none'}" for v, s in shapes.items())
            problems.append((str(key), f"the variants must use the same {{placeholders}} ({described})"))
    for key, user in sorted((required or {}).items()):
        if key not in raw:
            problems.append((key, f"missing: {user} uses it{_did_you_mean(key, map(str, raw))}"))
    if problems:
        raise DataFileError(path, problems)
    return raw


class _Watched(Generic[T]):
    """One file parsed by `loader`, parsed again when its modification time or size changes (or what it
    `depends` on). A failed parse keeps the last good value; with none, the error is raised until the
    file changes. Each failure is logged once.

    With `keep_dir`, each good version is also copied there, so a server started (or restarted by its
    supervisor) while the file is broken serves the last good version too."""

    def __init__(self, path: Path, loader: Callable[[Path], T], depends: Callable[[], Hashable] = lambda: None,
                 keep_dir: Optional[Path] = None):
        self.path, self.loader, self.depends = path, loader, depends
        self.kept: Optional[Path] = None
        if keep_dir is not None:
            folder = hashlib.sha256(str(Path(path).resolve().parent).encode("utf-8")).hexdigest()[:16]
            self.kept = Path(keep_dir) / folder / Path(path).name
        self.value: Optional[T] = None
        self.error: Optional[DataFileError] = None
        self.stamp: Optional[Tuple] = None
        self.lock = threading.Lock()

    def _stamp(self) -> Optional[Tuple]:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, self.depends())

    def get(self) -> T:
        stamp = self._stamp()
        if stamp is not None and stamp == self.stamp:
            if self.value is not None:
                return self.value
            if self.error is not None:
                raise self.error
        with self.lock:
            if stamp is None or stamp != self.stamp:
                try:
                    self.value, self.error = self.loader(self.path), None
                    self._keep(stamp)
                except Exception as error:  # any failure of one file stays that file's problem
                    if not isinstance(error, DataFileError):
                        logger.debug("unexpected failure loading %s", self.path, exc_info=True)
                        error = DataFileError(self.path, [("(file)", f"could not be loaded: {error!r}")])
                    self.error = error
                    if self.value is None and stamp is not None:
                        self.value = self._kept_value()
                    if self.value is not None:
                        logger.error("keeping the last good version of %s; the edited file has problems:\n%s",
                                     self.path, error)
                    else:
                        logger.error("%s cannot be used until it is fixed:\n%s", self.path, error)
                self.stamp = stamp
            if self.value is None:
                raise self.error or DataFileError(self.path, [("(file)", "could not be loaded")])
            return self.value

    def _keep(self, stamp: Optional[Tuple]) -> None:
        """A copy of the file just loaded, if it did not change meanwhile (best effort)."""
        if self.kept is None or stamp is None:
            return
        try:
            data = self.path.read_bytes()
            if self._stamp() != stamp or (self.kept.exists() and self.kept.read_bytes() == data):
                return
            self.kept.parent.mkdir(parents=True, exist_ok=True)
            partial = self.kept.with_name(f".{self.kept.name}.{os.getpid()}.tmp")
            partial.write_bytes(data)
            os.replace(partial, self.kept)
        except OSError as error:
            logger.warning("could not keep a copy of %s: %s", self.path, error)

    def _kept_value(self) -> Optional[T]:
        """The copy kept by an earlier run, if there is one and it still loads."""
        if self.kept is None or not self.kept.is_file():
            return None
        try:
            return self.loader(self.kept)
        except Exception:  # noqa: BLE001 (a stale copy that no longer validates is not served)
            logger.debug("the kept copy %s no longer loads", self.kept, exc_info=True)
            return None


class Registry:
    """The company files of one folder and the message catalogue, checked against the domain's intents."""

    def __init__(self, companies_dir: Path, messages_path: Path, domain_path: Path = DOMAIN,
                 keep_dir: Optional[Path] = None):
        """`keep_dir`: where a copy of each file's last good version is kept for the next start."""
        self.companies_dir = Path(companies_dir)
        self.keep_dir = keep_dir
        self._companies: Dict[str, _Watched[Company]] = {}
        self._domain = _Watched(Path(domain_path), load_domain_intents)
        self._messages = _Watched(Path(messages_path), lambda p: load_messages(p, message_keys_used()),
                                  keep_dir=keep_dir)

    def intents(self) -> Optional[FrozenSet[str]]:
        """The domain's intents; None (and the answers' keys go unchecked) if domain.yml cannot be read."""
        try:
            return self._domain.get()
        except DataFileError:
            return None

    def company_ids(self) -> List[str]:
        return sorted(p.stem for p in self.companies_dir.glob("*.yml"))

    def company(self, company_id: str) -> Optional[Company]:
        """The company's last good version; None for an id with no file; DataFileError for a file that
        was never valid (that company alone is unavailable)."""
        if not isinstance(company_id, str) or company_id not in self.company_ids():
            return None
        watched = self._companies.get(company_id)
        if watched is None:
            path = self.companies_dir / f"{company_id}.yml"
            watched = self._companies[company_id] = _Watched(
                path, lambda p: load_company(p, self.intents()), depends=self.intents, keep_dir=self.keep_dir)
        return watched.get()

    def companies(self) -> List[Company]:
        """Every usable company; one whose file was never valid is left out (and logged)."""
        found = []
        for company_id in self.company_ids():
            try:
                company = self.company(company_id)
            except DataFileError:
                continue
            if company is not None:
                found.append(company)
        return found

    def messages(self) -> Dict[str, Dict[str, str]]:
        return self._messages.get()


def check_all(companies_dir: Path, messages_path: Path, domain_path: Path = DOMAIN) -> List[DataFileError]:
    """Every problem in every data file, for `make check`: all files, all errors, never an exception."""
    errors: List[DataFileError] = []

    def attempt(path: Path, load: Callable[[Path], object]) -> object:
        try:
            return load(path)
        except DataFileError as error:
            errors.append(error)
        except Exception as error:  # an unforeseen failure is still reported as that file's problem
            errors.append(DataFileError(path, [("(file)", f"could not be checked: {error!r}")]))
        return None

    intents = attempt(Path(domain_path), load_domain_intents)
    folder = Path(companies_dir)
    if not folder.is_dir():
        errors.append(DataFileError(folder, [("(folder)", "not found: set ASSISTANT_COMPANIES_DIR to the company files' folder")]))
    else:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in (".yaml", ".yml") and path.suffix != ".yml":
                errors.append(DataFileError(path, [("(file)", f"ignored: company files are named <id>.yml")]))
        for path in sorted(folder.glob("*.yml")):
            attempt(path, lambda p: load_company(p, intents))  # type: ignore[arg-type]
    attempt(Path(messages_path), lambda p: load_messages(p, message_keys_used()))
    return errors
