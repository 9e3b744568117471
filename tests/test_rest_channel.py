"""The REST channel's request reading (channels/rest.py), on plain values."""
import pytest

from actions.core.inputs import MAX_MESSAGE_CHARS, company_id, shown_name
from channels.rest import BadRequest, read_request


def test_a_valid_request_is_normalised():
    sender, message, metadata = read_request(
        {"sender": 42, "message": "oi\x00 tudo bem\ud800", "metadata": {"company": " POXNET ", "department": "Suporte", "x": 1}})
    assert (sender, message) == ("42", "oi tudo bem")
    assert metadata == {"company": "poxnet", "department": "suporte", "x": 1}


@pytest.mark.parametrize("body, field", [
    ([1], "body"), (None, "body"), ("oi", "body"),
    ({"message": "oi"}, "sender"), ({"sender": "  ", "message": "oi"}, "sender"), ({"sender": True, "message": "oi"}, "sender"),
    ({"sender": "s" * 129, "message": "oi"}, "sender"),
    ({"sender": "s"}, "message"), ({"sender": "s", "message": 3}, "message"), ({"sender": "s", "message": "\x00 "}, "message"),
    ({"sender": "s", "message": "oi", "metadata": []}, "metadata"),
    ({"sender": "s", "message": "oi", "metadata": {"blob": "x" * 9000}}, "metadata"),
    ({"sender": "s", "message": "oi", "metadata": {"company": {"id": "poxnet"}}}, "company"),
    ({"sender": "s", "message": "oi", "metadata": {"department": 5}}, "department"),
])
def test_a_malformed_request_says_which_field(body, field):
    with pytest.raises(BadRequest, match=field):
        read_request(body)


def test_a_company_that_is_no_id_is_passed_on_cut_and_never_as_an_id():
    _, _, metadata = read_request({"sender": "s", "message": "oi", "metadata": {"company": "<b>" + "x" * 500}})
    assert len(metadata["company"]) == 65 and company_id(metadata["company"]) is None
    assert shown_name(metadata["company"]) is None


def test_a_long_message_is_left_to_the_channel_to_refuse():
    _, message, _ = read_request({"sender": "s", "message": "a" * (MAX_MESSAGE_CHARS + 1)})
    assert len(message) == MAX_MESSAGE_CHARS + 1


@pytest.mark.parametrize("value, expected", [("POXNET", "poxnet"), (" web-plug ", "web-plug"), ("Ｐｏｘｎｅｔ", "poxnet"),
                                             ("<script>", None), ("a" * 65, None), ("../x", None), (7, None), ("", None)])
def test_company_ids(value, expected):
    assert company_id(value) == expected


@pytest.mark.parametrize("value, expected", [("Vivo", "Vivo"), ("Claro  Net", "Claro Net"), ("<script>", None),
                                             ('a"b', None), ("{x}", None), ("x" * 60, "x" * 39 + "…")])
def test_names_shown_back(value, expected):
    assert shown_name(value) == expected
