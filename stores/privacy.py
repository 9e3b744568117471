"""Personal data (LGPD): masking CPF, CNPJ, phone numbers, e-mail addresses and Colombian cédula numbers.

`mask` keeps the separators and the last two digits, so a stored message stays readable without the
number in it: `123.456.789-09` -> `***.***.***-09`, `(11) 98765-4321` -> `(**) *****-**21`,
`maria.silva@gmail.com` -> `***@gmail.com`. Dates, times, amounts, decimal figures, IP addresses and the
assistant's own protocol numbers (`20261207-000123`) are left as they are.

What is masked, in order:
1. e-mail addresses (the part before the @);
2. CNPJ written with its slash (`12.345.678/0001-95`);
3. any run of digits joined by spaces, dots, hyphens or parentheses (a leading + included) with 8 digits
   or more, unless it follows a word naming the company's reference (protocolo, radicado, chamado): CPF (11), CNPJ (14), Brazilian, Portuguese and Colombian phone numbers (8 to 13 with the
   country code), cédulas of 8 to 10 digits;
4. a shorter number (6 or 7 digits) right after a word that names an identity document: cédula, C.C.,
   documento, identificación, NIT, CPF, RG.
Masking happens where a message is stored (stores/masking.py) and where a log line is written
(`install_log_masking`); the turn itself reads the text as the customer wrote it.
"""
from __future__ import annotations

import logging
import re
from typing import Any

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@((?:[\w-]+\.)+[\w-]{2,})", re.UNICODE)
CNPJ = re.compile(r"(?<![\w.])\d{2}\.?\d{3}\.?\d{3}/\d{4}-?\d{2}(?![\w])")
# Digits with single separators between groups; a run ends at any other character.
NUMBER_RUN = re.compile(r"(?<![\w.,/@-])(?:\+\s?)?\(?\d+\)?(?:(?:[ .\-]|\) ?| \()\d+\)?)*(?![\w@])")
DOCUMENT_WORD = re.compile(
    r"(?i)\b(?:c[ée]dula(?:\s+de\s+ciudadan[ií]a)?|c\.\s?c\.?|cc|documento(?:\s+de\s+identidad)?|identificaci[óo]n|"
    r"nit|cpf|rg|n[úu]mero\s+de\s+documento)\b\s*(?:n[º°o.]*\s*|#\s*|:\s*|es\s+|é\s+)?(\d[\d. \-]{4,14}\d)(?![\w])")
MIN_DIGITS = 8
# What a run of 8+ digits may also be, and is then left alone.
PROTOCOL = re.compile(r"\d{8}-\d{6}")
DECIMAL = re.compile(r"\d+\.\d+")  # one dot and nothing else: a figure (0.9342, 1733580000.52), not a document
DATE = re.compile(r"\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{4}")
IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)")
# A number the customer quotes as a protocol or ticket of the company's ("protocolo 2024051234") is the
# company's reference, not personal data: kept, so an agent can look it up.
REFERENCE_BEFORE = re.compile(r"(?i)\b(?:protocolos?|protocol|radicados?|chamados?|tickets?|orden(?:es)? de servicio|"
                              r"ordem de servi[çc]o|n[úu]mero do atendimento)\s*(?:n[º°o.]*\s*|#\s*|:\s*|é\s+|es\s+|is\s+)?$")
CURRENCY_BEFORE = re.compile(r"(?i)(?:r\$|us\$|\$|€|cop|brl|eur|usd)\s*$")
CURRENCY_AFTER = re.compile(r"(?i)^\s*(?:,\d|reais|real\b|pesos|euros|mil\b|millones|milh)")


def _hide_digits(text: str, keep: int = 2) -> str:
    """Every digit but the last `keep` becomes *, separators stay."""
    total = sum(c.isdigit() for c in text)
    seen, out = 0, []
    for char in text:
        if char.isdigit():
            seen += 1
            out.append(char if seen > total - keep else "*")
        else:
            out.append(char)
    return "".join(out)


def _number(match: "re.Match[str]") -> str:
    run = match.group(0)
    digits = sum(c.isdigit() for c in run)
    if digits < MIN_DIGITS:
        return run
    core = run.strip("() +")
    if PROTOCOL.fullmatch(core) or DATE.fullmatch(core) or IPV4.fullmatch(core) or DECIMAL.fullmatch(run):
        return run
    before, after = match.string[:match.start()], match.string[match.end():]
    if CURRENCY_BEFORE.search(before[-6:]) or CURRENCY_AFTER.match(after[:12]) or REFERENCE_BEFORE.search(before[-40:]):
        return run
    return _hide_digits(run)


def _document(match: "re.Match[str]") -> str:
    number = match.group(1)
    if "*" in number or sum(c.isdigit() for c in number) < 6:
        return match.group(0)
    start = match.start(1) - match.start(0)
    return match.group(0)[:start] + _hide_digits(number)


def mask(text: Any) -> Any:
    """The text with personal data masked; anything that is not a string is returned as it is."""
    if not isinstance(text, str) or not text:
        return text
    text = EMAIL.sub(lambda m: f"***@{m.group(1)}", text)
    text = CNPJ.sub(lambda m: _hide_digits(m.group(0)), text)
    text = NUMBER_RUN.sub(_number, text)
    return DOCUMENT_WORD.sub(_document, text)


def mask_values(value: Any) -> Any:
    """Every string inside `value` (dicts and lists walked), masked."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: mask_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_values(v) for v in value]
    return value


def mask_event(data: dict) -> dict:
    """A serialised Rasa event as it may be stored: a user message's text, the text NLU read, its entities'
    values and the message metadata masked, and any slot's value (a channel's metadata kept in
    `session_started_metadata` may hold a contact's phone or e-mail); other events unchanged."""
    if data.get("event") == "slot":
        return {**data, "value": mask_values(data.get("value"))}
    if data.get("event") != "user":
        return data
    data = dict(data)
    data["text"] = mask(data.get("text"))
    if isinstance(data.get("parse_data"), dict):
        parse = dict(data["parse_data"])
        parse["text"] = mask(parse.get("text"))
        if isinstance(parse.get("entities"), list):
            parse["entities"] = [{**e, "value": mask_values(e.get("value"))} if isinstance(e, dict) else e
                                 for e in parse["entities"]]
        data["parse_data"] = parse
    if isinstance(data.get("metadata"), dict):
        data["metadata"] = mask_values(data["metadata"])
    return data


_installed = False


def install_log_masking() -> None:
    """Every log record of this process is masked before any handler writes it (message, arguments and
    traceback), whichever logger or library wrote it. Idempotent."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            record.msg, record.args = mask(record.getMessage()), ()
            if record.exc_info and not record.exc_text:
                record.exc_text = mask(formatter.formatException(record.exc_info))
        except Exception:  # noqa: BLE001 (a log line is never lost to masking)
            pass
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True
