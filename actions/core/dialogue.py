"""The conversation as a whole: what a message means given what came before, and what the bot says.

`respond` is pure: the customer's turn (company, language, moment), what the NLU read in the message
(`Parse`), and the conversation's state (`State`: its topic, an offered choice, a first step asked)
in; the replies and the next state out. The Rasa action only copies slots in and out.

Order of reading, for every message:
1. an offered choice (come back later / continue) is answered by "1", "2", "pode transferir", "volto
   amanha"... in either language, until the customer answers it or changes topic;
2. a first step asked ("did restarting help?") is answered by yes / no / "ja fiz isso";
3. a customer who asked for a person without a topic is asked the topic once, then handed to the
   department whose remit covers it;
4. a follow-up that names only a day, a department, a channel or a plan ("e no domingo?", "¿y por
   correo?") is read against the previous topic; a department named with an hours cue is an hours
   question, answered with its week and open-now status, never handed off;
5. the demand itself: the company's answer, computed figures, the facts its documents lack, then the
   routing decision of the department whose remit covers it (answer, hand off, queue, close, choice).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import List, Optional, Sequence

from . import replies as say
from .reading import find_duration, weekday_named, word_count
from .render import find_department, fold, mentions
from .replies import Reply, Turn
from .routing import department_for

FALLBACK = "nlu_fallback"
SMALL_TALK = {"goodbye": "goodbye", "thank": "thank", "out_of_scope": "out_of_scope"}
# Intents that carry no topic of their own: they answer or greet, they never replace the topic.
CONVERSATIONAL = {"greet", "goodbye", "thank", "affirm", "deny", "choose_return_later", "choose_continue",
                  "request_human", "out_of_scope", FALLBACK}
# Intents an hours question about a named department is often read as ("o renovacao abre domingo?").
HOURS_LIKE = {"ask_business_hours", "ask_weekend_support", "ask_contact", "greet", "out_of_scope", FALLBACK}
# Below this confidence a message does not drop an offered choice or a pending first step.
NEW_TOPIC_CONFIDENCE = 0.5
# A message this short without a verb of its own ("Iperó?", "WhatsApp??") continues the topic.
SHORT_FOLLOW_UP_WORDS = 3


@dataclass(frozen=True)
class Parse:
    """What the NLU read: the intent, its confidence, other intents the message also asks."""

    text: str
    intent: str
    confidence: float = 1.0
    also: Sequence[str] = ()


@dataclass(frozen=True)
class State:
    """What the conversation remembers between messages (slots)."""

    topic: Optional[str] = None  # the last demand answered (an intent)
    department: Optional[str] = None  # the department that topic concerns
    pending_choice: Optional[str] = None  # department whose come-back-or-continue choice is offered
    pending_handoff: Optional[str] = None  # intent whose first step was asked
    fallback_count: int = 0
    awaiting_topic: bool = False  # asked for a person, was asked the topic


@dataclass
class Outcome:
    replies: List[Reply]
    state: State
    intent: Optional[str] = None  # the intent the reply answered, after reading the context


def respond(turn: Turn, parse: Parse, state: State) -> Outcome:
    if state.pending_choice:
        outcome = _answer_choice(turn, parse, state)
        if outcome is not None:
            return outcome
        state = replace(state, pending_choice=None)
    if state.pending_handoff:
        outcome = _answer_first_step(turn, parse, state)
        if outcome is not None:
            return outcome
        state = replace(state, pending_handoff=None)
    intent = _read_in_context(turn, parse, state)
    return _demand(turn, replace(parse, intent=intent), state)


# -- 1. an offered choice ------------------------------------------------------------------------
def _answer_choice(turn: Turn, parse: Parse, state: State) -> Optional[Outcome]:
    department = state.pending_choice
    if department not in turn.company.departments:
        return None
    text, cues = parse.text, turn.cues
    goes_on = parse.intent == "choose_continue" or bool(cues and cues.match("choice_continue", text, turn.language))
    comes_back = parse.intent == "choose_return_later" or bool(cues and cues.match("choice_return", text, turn.language))
    if goes_on != comes_back:
        cleared = replace(state, pending_choice=None, fallback_count=0, department=department)
        return Outcome(say.choose(turn, department, continue_=goes_on), cleared, parse.intent)
    if _is_new_demand(parse):  # the customer moved on: the choice is dropped
        return None
    return Outcome([turn.say("choice_repeat")], state, parse.intent)


# -- 2. a first step asked -------------------------------------------------------------------------
def _answer_first_step(turn: Turn, parse: Parse, state: State) -> Optional[Outcome]:
    pending = state.pending_handoff
    done = bool(turn.cues and turn.cues.match("already_done", parse.text, turn.language))
    if parse.intent == "deny" or done or parse.intent == pending:
        routed = say.route(turn, pending)
        return Outcome(routed, _after_route(state, pending, routed, turn), pending)
    if parse.intent == "affirm":
        return Outcome([turn.say("glad_it_works")], replace(state, pending_handoff=None), parse.intent)
    return None  # anything else is read as a message of its own


def _is_new_demand(parse: Parse) -> bool:
    return parse.intent not in CONVERSATIONAL and parse.confidence >= NEW_TOPIC_CONFIDENCE


# -- 4. context ----------------------------------------------------------------------------------
def _read_in_context(turn: Turn, parse: Parse, state: State) -> str:
    """The intent the message means, given the previous topic and what it names."""
    text, intent, cues, language = parse.text, parse.intent, turn.cues, turn.language
    billed = _billing_intent(turn)
    if billed and cues and cues.match("billing_question", text, language) and find_duration(text):
        return billed  # a duration to bill: the company's billing-blocks answer computes it
    if intent == "ask_ticket" and "dispute_charge" in turn.company.answers and cues \
            and cues.match("dispute_named", text, language):
        return "dispute_charge"  # a protocol opened to contest a charge: the contest's answer and deadline
    named = find_department(turn.company, text)
    asks_hours = bool(cues and cues.match("hours_question", text, language))
    if named and asks_hours and (intent in HOURS_LIKE or parse.confidence < NEW_TOPIC_CONFIDENCE):
        return "ask_business_hours"
    if not state.topic:
        return intent
    follows = bool(cues and cues.match("follow_up", text, language)) or (
        word_count(text) <= SHORT_FOLLOW_UP_WORDS and intent in CONVERSATIONAL | {state.topic})
    if not follows:
        return intent
    if state.topic == "ask_business_hours" and (named or weekday_named(text) is not None or asks_hours):
        return "ask_business_hours"
    if intent == state.topic:
        return intent
    if intent in CONVERSATIONAL - {"request_human"} or parse.confidence < NEW_TOPIC_CONFIDENCE:
        return state.topic
    content = [w for w in re.findall(r"[a-z]{3,}", fold(text)) if w not in _STOPWORDS and len(w) >= 4 or w in ("sai",)]
    if content and cues and all(cues.match("price_words", w, language) for w in content):
        return state.topic  # "e isso custa quanto?": the price of what was just discussed
    # "¿y por correo?", "e a velocidade, diminui antes?": the previous answer speaks of it at least as
    # much as the new intent's answer does, so the customer asks more of the same topic.
    topic_words, intent_words = _echoes(turn, state.topic, text), _echoes(turn, intent, text)
    if topic_words and topic_words >= intent_words:
        return state.topic
    return intent


def _billing_intent(turn: Turn) -> Optional[str]:
    if turn.company.billing_blocks is None:
        return None
    return next((i for i, a in turn.company.answers.items() if a.compute == "billing_blocks"), None)


_STOPWORDS = {"para", "pra", "pelo", "pela", "como", "qual", "quais", "quando", "quanto", "isso", "esse", "essa",
              "mais", "ainda", "tambem", "entao", "porque", "cual", "cuanto", "cuando", "tiene", "tenho", "voces",
              "vosso", "vossa", "antes", "depois", "disso", "seria", "fosse", "tiver", "sobre", "mesmo", "mesma"}


def _echoes(turn: Turn, intent: str, text: str) -> int:
    """How many words of the message (4+ letters, their stem) the company's answer to `intent` speaks of."""
    found = turn.company.answers.get(intent)
    if found is None or found.text is None:
        return 0
    answer = fold(found.text.get(turn.language) + " " + found.text.get("es" if turn.language == "pt" else "pt"))
    words = {w for w in re.findall(r"[a-z]{4,}", fold(text)) if w not in _STOPWORDS}
    return sum(1 for w in words if re.search(rf"\b{re.escape(w[:-1] if len(w) > 5 else w)}", answer))


# -- 5. the demand -------------------------------------------------------------------------------
def _demand(turn: Turn, parse: Parse, state: State) -> Outcome:
    intent, text = parse.intent, parse.text
    state = replace(state, fallback_count=0) if intent != FALLBACK else state
    if intent == "greet":
        return Outcome(say.greet(turn), State(topic=state.topic, department=state.department), intent)
    if intent in SMALL_TALK:
        return Outcome([turn.say(SMALL_TALK[intent])], state, intent)
    if intent in ("affirm", "choose_continue"):
        return Outcome([turn.say("anything_else")], state, intent)
    if intent in ("deny", "choose_return_later"):
        return Outcome([turn.say("ok_no")], state, intent)
    if intent == "request_human":
        return _person(turn, parse, state)
    if intent == FALLBACK:
        found = _retrieve(turn, text)
        if found:  # no intent fits, but one of the company's answers does, by meaning
            return _answer(turn, replace(parse, intent=found), state)
        if state.awaiting_topic:  # asked for a person, and the topic is unclear: a person reads it
            return _hand_to(turn, state, turn.entry or turn.company.support_department)
        return _fallback(turn, state)
    if intent == "ask_business_hours":
        department = find_department(turn.company, text) or (state.department if state.topic == intent else None)
        return Outcome(say.hours(turn, department),
                       replace(state, topic=intent, department=department, awaiting_topic=False), intent)
    return _answer(turn, parse, state)


def _retrieve(turn: Turn, text: str) -> Optional[str]:
    if turn.index is None:
        return None
    match = turn.index.find(turn.company, text)
    return match.intent if match else None


def _answer(turn: Turn, parse: Parse, state: State) -> Outcome:
    intent, text, company = parse.intent, parse.text, turn.company
    if intent not in company.answers:  # the intent has no answer here: maybe another answer fits
        intent = _retrieve(turn, text) or intent
        parse = replace(parse, intent=intent)
    found = company.answers.get(intent)
    done = state.awaiting_topic or bool(turn.cues and turn.cues.match("already_done", text, turn.language))
    first_step = bool(found and found.route and found.first_step and not done)
    body = say.answer(turn, intent, text, first_step_done=not first_step)
    others = [o for o in parse.also if o != intent and o not in CONVERSATIONAL and o in company.answers]
    others += [o for o in _named_answers(turn, text) if o != intent and o not in others]
    extra = [r for other in others for r in say.answer_texts(turn, other, text)]
    notes = say.missing_facts(turn, text) if found is not None else []
    replies = _merge(body, extra, notes)
    department = found.route if found else None
    if state.awaiting_topic and not (found and found.route):
        # They asked for a person: after the answer, the person (entry or support) takes over.
        target = turn.entry or company.support_department
        routed = say.route(turn, target)
        return Outcome(replies + routed, _after_route(state, target, routed, turn, topic=intent), intent)
    next_state = replace(state, topic=intent, department=department, awaiting_topic=False,
                         pending_handoff=intent if first_step else None)
    if department and not first_step:
        next_state = _after_route(next_state, department, replies, turn, topic=intent)
    return Outcome(replies, next_state, intent)


def _named_answers(turn: Turn, text: str) -> List[str]:
    """Answers about a channel or plan the message names ("¿tienen chat?" -> the platforms' chat)."""
    return [intent for intent, answer in turn.company.answers.items() if mentions(text, answer.names)]


def _merge(body: List[Reply], extra: List[Reply], notes: List[Reply]) -> List[Reply]:
    """The demand's own text first, then the other questions' answers and the missing facts, then the
    routing (transfer, queue, close or choice) last, so the decision closes the turn."""
    routing = [r for r in body if r.custom or r.awaits_choice]
    texts = [r for r in body if r not in routing]
    return texts + extra + notes + routing


def _person(turn: Turn, parse: Parse, state: State) -> Outcome:
    """Asking for a person: the department named, else the topic's, else one question about the topic."""
    named = find_department(turn.company, parse.text)
    target = named or state.department
    if target:
        return _hand_to(turn, state, target)
    if state.awaiting_topic:  # asked twice: the entry they came through, else support
        return _hand_to(turn, state, turn.entry or turn.company.support_department)
    return Outcome([turn.say("ask_topic")], replace(state, awaiting_topic=True), parse.intent)


def _hand_to(turn: Turn, state: State, department: str) -> Outcome:
    routed = say.route(turn, department)
    return Outcome(routed, _after_route(state, department, routed, turn), "request_human")


def _after_route(state: State, department: str, replies: List[Reply], turn: Turn, topic: Optional[str] = None) -> State:
    target = department_for(turn.company, department)
    offered = next((r.awaits_choice for r in replies if r.awaits_choice), None)
    return replace(state, topic=topic or state.topic, department=target, pending_choice=offered,
                   pending_handoff=None, awaiting_topic=False, fallback_count=0)


def _fallback(turn: Turn, state: State) -> Outcome:
    count = state.fallback_count + 1
    if count == 1:
        return Outcome([turn.say("fallback_clarify")], replace(state, fallback_count=count), FALLBACK)
    offer = turn.say("fallback_offer_human")
    offer.buttons = [{"title": turn.r.text("human_button"), "payload": "/request_human"}]
    return Outcome([offer], replace(state, fallback_count=count, awaiting_topic=True), FALLBACK)
