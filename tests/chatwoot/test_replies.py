"""Rasa's replies -> Chatwoot calls: buttons, WhatsApp limits and titles, handoff/close/fault actions."""
import datetime as dt

from channels.chatwoot import replies
from channels.chatwoot.replies import Call, Context

TEAMS = {"suporte": 1, "comercial": 2, "financeiro": 3, "renovacao": 4, "retencao": 5, "agendamento": 6}
NOW = dt.datetime(2026, 11, 28, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3))).timestamp()


def ctx(**kw):
    base = dict(company="poxnet", company_name="POXNET", variant="pt-BR", whatsapp=True, teams=TEAMS,
                support_department="suporte", language="pt", demand=["quero contratar internet de fibra"])
    return Context(**{**base, **kw})


def test_plain_answer_is_one_message():
    plan = replies.plan([{"text": "Aceitamos boleto e pix."}], ctx())
    assert plan.outcome == "answered" and plan.calls == [Call("messages", {"content": "Aceitamos boleto e pix."})]


def test_buttons_become_input_select_and_titles_map_back():
    buttons = [{"title": "1) Volto depois", "payload": "/choose_return_later"}, {"title": "2) Continuar", "payload": "/choose_continue"}]
    plan = replies.plan([{"text": "Como prefere seguir?", "buttons": buttons}], ctx())
    assert plan.calls == [Call("messages", {"content": "Como prefere seguir?", "content_type": "input_select", "content_attributes": {
        "items": [{"title": "1) Volto depois", "value": "/choose_return_later"}, {"title": "2) Continuar", "value": "/choose_continue"}]}})]
    assert plan.titles[replies.fold("2) CONTINUAR")] == "/choose_continue"
    assert plan.titles[replies.fold(" 1)  volto depois ")] == "/choose_return_later"


def test_whatsapp_button_titles_are_cut_to_20_and_still_map_back():
    items, titles = replies.button_items([{"title": "Quero falar com um atendente agora", "payload": "/request_human"}], True)
    assert items == [{"title": "Quero falar com um…", "value": "/request_human"}] and len(items[0]["title"]) <= 20
    assert titles[replies.fold("Quero falar com um…")] == "/request_human"
    assert titles[replies.fold("Quero falar com um atendente agora")] == "/request_human"
    widget, _ = replies.button_items([{"title": "Quero falar com um atendente agora", "payload": "/request_human"}], False)
    assert widget[0]["title"] == "Quero falar com um atendente agora"


def test_more_than_three_options_are_a_list_of_at_most_ten_rows_of_24():
    buttons = [{"title": f"Opção número {i} bem comprida", "payload": f"/p{i}"} for i in range(12)]
    items, _ = replies.button_items(buttons, True)
    assert len(items) == 10 and all(len(i["title"]) <= 24 for i in items)


def test_long_text_is_split_for_whatsapp_only():
    paragraph = "Frase de teste com algumas palavras. " * 40
    text = "\n\n".join([paragraph.strip()] * 5)
    pieces = replies.split_text(text, replies.WHATSAPP_TEXT)
    assert len(pieces) == 3 and all(len(p) <= 4096 for p in pieces)
    assert " ".join(" ".join(p.split()) for p in pieces) == " ".join(text.split())  # nothing lost
    assert len(replies.plan([{"text": text}], ctx()).calls) == 3
    assert len(replies.plan([{"text": text}], ctx(whatsapp=False)).calls) == 1
    assert replies.split_text("x" * 9, 4) == ["xxxx", "xxxx", "x"]


def test_long_body_with_buttons_keeps_the_last_piece_with_the_options():
    text = ("Linha longa de explicação. " * 30 + "\n") * 3
    plan = replies.plan([{"text": text, "buttons": [{"title": "Sim", "payload": "/affirm"}]}], ctx())
    assert [c.body.get("content_type") for c in plan.calls][-1] == "input_select"
    assert all(len(c.body["content"]) <= 1024 for c in plan.calls) and len(plan.calls) >= 3


def test_handoff_now_note_team_then_open():
    messages = [{"text": "Vou transferir você para o setor Suporte."},
                {"custom": {"handoff": {"department": "suporte", "queued_until": None, "protocol": "20261207-000123"}}}]
    plan = replies.plan(messages, ctx(language="pt", demand=["minha internet caiu", "já reiniciei e nada"]), now=NOW)
    assert plan.outcome == "handoff"
    assert [c.what for c in plan.calls] == ["messages", "messages", "assignments", "toggle_status"]
    assert plan.calls[0].body == {"content": "Vou transferir você para o setor Suporte."}
    note = plan.calls[1].body
    assert note["private"] is True
    for fact in ("POXNET (poxnet)", "Setor: suporte", "Protocolo: 20261207-000123", "Idioma do cliente: português",
                 "“minha internet caiu”", "“já reiniciei e nada”"):
        assert fact in note["content"]
    assert plan.calls[2].body == {"team_id": 1} and plan.calls[3].body == {"status": "open"}
    assert all("handoff" not in str(c.body.get("content", "")) for c in plan.calls)  # the payload is never shown


def test_handoff_queued_snoozes_until_the_opening_in_unix_seconds():
    messages = [{"text": "O setor Comercial está fechado agora e abre amanhã."},
                {"custom": {"handoff": {"department": "comercial", "queued_until": "2026-11-29T09:00:00-03:00"}}}]
    plan = replies.plan(messages, ctx(), now=NOW)
    assert plan.outcome == "queued"
    assert plan.calls[-1].body == {"status": "snoozed", "snoozed_until": 1795953600}  # 2026-11-29T12:00:00Z
    assert plan.calls[-2].body == {"team_id": 2}
    assert "Retomar em: 2026-11-29T09:00:00-03:00" in plan.calls[1].body["content"]


def test_queued_until_in_the_past_opens_now():
    messages = [{"custom": {"handoff": {"department": "comercial", "queued_until": "2020-01-01T09:00:00-03:00"}}}, {"text": "ok"}]
    assert replies.plan(messages, ctx(), now=NOW).calls[-1].body == {"status": "open"}


def test_close_posts_the_message_then_resolves():
    messages = [{"text": "Volte a nos chamar amanhã às 08:00."},
                {"custom": {"close": {"reason": "out_of_hours", "department": "financeiro", "reopens_at": "2026-11-30T08:00:00-03:00"}}}]
    plan = replies.plan(messages, ctx())
    assert plan.outcome == "closed"
    assert plan.calls == [Call("messages", {"content": "Volte a nos chamar amanhã às 08:00."}), Call("toggle_status", {"status": "resolved"})]


def test_department_without_team_is_opened_and_named():
    plan = replies.plan([{"text": "t"}, {"custom": {"handoff": {"department": "agendamento", "queued_until": None}}}],
                        ctx(teams={"suporte": 1}), now=NOW)
    assert [c.what for c in plan.calls] == ["messages", "messages", "toggle_status"]
    assert "agendamento (sem equipe no mapa" in plan.calls[1].body["content"]


def test_fault_payload_fails_open_after_the_apology():
    messages = [{"text": "Desculpe, tive um problema."}, {"custom": {"fault": {"reason": "actions_unavailable"}}}]
    plan = replies.plan(messages, ctx())
    assert plan.outcome == "fail_open" and plan.reason == "actions_unavailable"
    assert [c.what for c in plan.calls] == ["messages", "messages", "assignments", "toggle_status"]
    assert "servidor de ações" in plan.calls[1].body["content"] and plan.calls[1].body["private"]
    assert plan.calls[2].body == {"team_id": 1} and plan.calls[3].body == {"status": "open"}


def test_no_reply_fails_open():
    plan = replies.plan([], ctx())
    assert plan.outcome == "fail_open" and "não deu resposta" in plan.calls[0].body["content"]


def test_spanish_company_notes_in_spanish_and_its_support_department():
    plan = replies.plan([], ctx(company="siempre", company_name="SIEMPRE.NET", variant="es", support_department="servicio-al-cliente",
                                teams={"servicio-al-cliente": 7}, language="es"))
    assert "no dio respuesta" in plan.calls[0].body["content"] and "Idioma del cliente: español" in plan.calls[0].body["content"]
    assert plan.calls[1].body == {"team_id": 7}


def test_unknown_inbox_opens_without_team():
    calls = replies.fail_open(Context(company=None, demand=["oi"]), "unknown_inbox", "inbox 99")
    assert [c.what for c in calls] == ["messages", "toggle_status"] and "inbox 99" in calls[0].body["content"]


def test_customer_words_since_the_bot_took_the_chat():
    events = [
        {"event": "session_started"}, {"event": "user", "text": "/now 2026-11-22T10:00"},
        {"event": "user", "text": "oi"}, {"event": "bot", "text": "Olá", "data": {}},
        {"event": "user", "text": "quero cancelar"}, {"event": "user", "text": "/choose_continue"},
        {"event": "bot", "text": "fila", "data": {"custom": {"handoff": {"department": "retencao"}}}},
    ]
    assert replies.customer_words(events) == ["oi", "quero cancelar"]
    later = events + [{"event": "resume"}, {"event": "user", "text": "voltei"}]
    assert replies.customer_words(later) == ["voltei"]
    assert replies.customer_words(events + [{"event": "user", "text": "de novo"}]) == ["de novo"]


def test_unix_seconds():
    assert replies.unix_seconds("2026-11-30T08:00:00-03:00") == 1796036400
    assert replies.unix_seconds("2026-11-30T08:00:00") is None and replies.unix_seconds("amanhã") is None


def test_fail_open_tells_a_customer_who_got_no_reply():
    plan = replies.plan([], ctx(sorry="Já chamei alguém da nossa equipe."))
    assert plan.calls[0] == Call("messages", {"content": "Já chamei alguém da nossa equipe."})
    assert [c.what for c in plan.calls] == ["messages", "messages", "assignments", "toggle_status"]
    apology = [{"text": "Desculpe, tive um problema."}, {"custom": {"fault": {"reason": "actions_unavailable"}}}]
    told = replies.plan(apology, ctx(sorry="Já chamei alguém da nossa equipe."))
    assert sum(c.is_reply for c in told.calls) == 1  # the apology already told them


def test_customer_variant_follows_the_customer_in_the_company_portuguese():
    assert replies.customer_variant("es", "pt-BR") == "es"
    assert replies.customer_variant("pt", "pt-PT") == "pt-PT"
    assert replies.customer_variant("pt", "es-CO") == "pt-BR"
    assert replies.customer_variant(None, "es-CO") == "es"
