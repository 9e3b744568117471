"""Personal data masked before it is stored or logged; dates, times, amounts, IPs and protocols left alone."""
import os
import subprocess
import sys

import pytest

from stores.privacy import mask, mask_event
from tests.conftest import ROOT


@pytest.mark.parametrize("text, expected", [
    ("meu cpf é 123.456.789-09", "meu cpf é ***.***.***-09"),
    ("CPF:12345678909", "CPF:*********09"),
    ("cnpj 12.345.678/0001-95.", "cnpj **.***.***/****-95."),
    ("cnpj 12345678000195", "cnpj ************95"),
    ("liga no (11) 98765-4321 por favor", "liga no (**) *****-**21 por favor"),
    ("+55 11 98765-4321", "+** ** *****-**21"),
    ("whats 11987654321", "whats *********21"),
    ("fixo 3456-7890", "fixo ****-**90"),
    ("mi celular es +57 300 123 4567", "mi celular es +** *** *** **67"),
    ("llámeme al 300 123 4567", "llámeme al *** *** **67"),
    ("o meu telemóvel é +351 912 345 678", "o meu telemóvel é +*** *** *** *78"),
    ("telemóvel 912345678", "telemóvel *******78"),
    ("meu email é maria.silva+net@gmail.com, obrigada", "meu email é ***@gmail.com, obrigada"),
    ("mi cédula es 1.020.304.050", "mi cédula es *.***.***.*50"),
    ("cedula 79123456", "cedula ******56"),
    ("CC 8123456", "CC *****56"),
    ("C.C. 52.123.456 de Bogotá", "C.C. **.***.*56 de Bogotá"),
    ("documento de identidad nº 123456", "documento de identidad nº ****56"),
    ("CPF 123 456 789 09", "CPF *** *** *** 09"),
    ("Telefone:11 98765-4321", "Telefone:** *****-**21"),
    ("ligue 11 9 8765-4321", "ligue ** * ****-**21"),
    ("meus números são os 11 98765-4321", "meus números são os ** *****-**21"),
    ("cel 3001234567", "cel ********67"),
    ("NIT 900.123.456-7", "NIT ***.***.**6-7"),
    ("email: JOAO.SILVA@EMPRESA.COM.BR", "email: ***@EMPRESA.COM.BR"),
    ("meu cpf é 123.456.789-09 e o protocolo 20261207-000123", "meu cpf é ***.***.***-09 e o protocolo 20261207-000123"),
])
def test_personal_data_is_masked_keeping_the_last_two_digits(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize("text", [
    "a fatura vence dia 22/11/2026 às 10:00", "abre 2026-11-23T08:00:00-03:00", "vence em 10.12.2026",
    "paguei R$ 1.234.567,89", "$ 120.000.000 pesos", "son 120.000.000 pesos", "plano de 500 mega por 99,90",
    "meu protocolo é 20261207-000123", "dns 177.86.16.9 e o gateway 192.168.1.1", "das 08:00 às 18:00",
    "fatura de 150 e de 200 reais", "id abc12345678def", "reiniciei 3 vezes em 2 horas", "R$1.500.000,00",
    '{"confidence": 0.93456789012359, "timestamp": 1733580000.123456}',
    "ja tenho protocolo 2024051234, quero saber", "meu chamado nº 12345678", "radicado: 1020304050",
])
def test_dates_times_amounts_addresses_and_protocols_are_left_alone(text):
    assert mask(text) == text


def test_masking_is_idempotent_and_keeps_non_text():
    once = mask("cpf 123.456.789-09, tel (11) 98765-4321, a@b.com.br")
    assert mask(once) == once and "123" not in once and "98765" not in once and "a@" not in once
    assert mask(None) is None and mask(42) == 42 and mask("") == ""


def test_a_user_event_is_masked_everywhere_it_holds_the_text():
    event = {"event": "user", "text": "cpf 123.456.789-09", "timestamp": 1.5,
             "parse_data": {"text": "cpf 123.456.789-09", "intent": {"name": "ask_invoice", "confidence": 0.9},
                            "entities": [{"entity": "cpf", "value": "123.456.789-09"}]},
             "metadata": {"company": "poxnet", "contact": {"phone": "+55 11 98765-4321", "email": "x.y@z.com"}}}
    masked = mask_event(event)
    flat = repr(masked)
    assert "123.456.789" not in flat and "98765" not in flat and "x.y@" not in flat
    assert masked["text"] == "cpf ***.***.***-09" and masked["parse_data"]["intent"]["name"] == "ask_invoice"
    assert masked["metadata"]["company"] == "poxnet" and masked["timestamp"] == 1.5
    assert event["text"] == "cpf 123.456.789-09"  # the original is not changed
    bot = {"event": "bot", "text": "ligue 0800 123 4567"}
    assert mask_event(bot) is bot
    slot = {"event": "slot", "name": "session_started_metadata", "value": {"company": "poxnet", "phone": "11987654321"}}
    assert mask_event(slot)["value"] == {"company": "poxnet", "phone": "*********21"}
    clock = {"event": "slot", "name": "agent_now", "value": "2026-11-22T10:00:00-03:00"}
    assert mask_event(clock) == clock


def test_rasa_log_lines_with_the_message_text_are_masked():
    """Rasa's REST channel logs the whole text when handling a message fails (structlog over logging)."""
    script = (
        "import logging, stores.masking\n"
        "from rasa.utils.log_utils import configure_structlog\n"
        "import structlog\n"
        "configure_structlog(logging.INFO)\n"
        "log = structlog.get_logger()\n"
        "try:\n    raise ValueError('bad message: meu cpf 123.456.789-09')\n"
        "except ValueError:\n    log.exception('rest.message.received.failure', text='meu cpf 123.456.789-09 fone 11987654321')\n"
        "logging.getLogger('x').error('user said %s', 'a@b.com')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "LOG_LEVEL": "INFO"})
    out = result.stdout + result.stderr
    assert "rest.message.received.failure" in out and "ValueError" in out, out
    assert "123.456.789" not in out and "11987654321" not in out and "a@b.com" not in out, out
    assert "***.***.***-09" in out and "*********21" in out and "***@b.com" in out
