"""The project's graph components (policies/): language detection, agent commands, the intent classifier."""
import pytest
from scipy import sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from policies.agent_commands import AgentCommandParser, parse_command
from policies.language_detector import LanguageDetector
from policies.text_noise import add_noise, strip_accents
from policies.tfidf_classifier import TfidfIntentClassifier


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


@pytest.fixture
def context():
    return ExecutionContext(GraphSchema({}), "test")


def parsed(component, text):
    return component.process([Message(data={"text": text})])[0]


@pytest.mark.parametrize(
    "text,language",
    [
        ("minha internet caiu desde ontem, ja reiniciei o modem", "pt"),
        ("estou a tentar pagar a fatura mas o multibanco nao aceita", "pt"),
        ("buenas tardes, se me cayo el internet y necesito ayuda", "es"),
        ("me regala la factura de este mes porfa", "es"),
    ],
)
def test_language_detector_on_clear_messages(storage, context, text, language):
    detector = LanguageDetector.create({}, storage, Resource("lang"), context)
    message = parsed(detector, text)
    assert message.get("language") == language and message.get("language_confidence") >= 0.75
    assert message.as_dict(only_output_properties=True)["language"] == language  # reaches the tracker


def test_language_detector_is_unsure_on_tiny_messages(storage, context):
    detector = LanguageDetector.create({}, storage, Resource("lang"), context)
    assert parsed(detector, "1").get("language_confidence") < 0.75


@pytest.mark.parametrize(
    "text,expected",
    [
        ("/company webplug", ("agent_set_company", "company", "webplug")),
        ("/empresa siempre", ("agent_set_company", "company", "siempre")),
        ("/now 2026-11-21T23:30", ("agent_set_clock", "moment", "2026-11-21T23:30")),
        ("/ahora real", ("agent_set_clock", "moment", "real")),
        ("quero a empresa webplug", None),
        ("/company", None),
    ],
)
def test_agent_command_syntax(text, expected):
    assert parse_command(text) == expected


def test_agent_command_sets_intent_and_entity(storage, context):
    parser = AgentCommandParser.create({}, storage, Resource("cmd"), context)
    message = parsed(parser, "/now 2026-11-20T10:00")
    assert message.get("intent") == {"name": "agent_set_clock", "confidence": 1.0}
    assert message.get("entities")[0]["value"] == "2026-11-20T10:00"
    untouched = parsed(parser, "qual o horario?")
    assert untouched.get("intent") is None


def tiny_training_data():
    examples = {
        "request_invoice_copy": ["segunda via do boleto", "me manda a fatura", "preciso do boleto", "factura del mes"],
        "report_connection_problem": ["internet caiu", "sem sinal aqui", "la red no funciona", "net lenta demais"],
        "request_cancellation": ["quero cancelar", "cancelar meu plano", "quiero cancelar el servicio", "encerrar contrato"],
    }
    return TrainingData([Message(data={"text": t, "intent": i}) for i, texts in examples.items() for t in texts])


def test_classifier_trains_persists_and_loads(storage, context):
    resource = Resource("tfidf")
    classifier = TfidfIntentClassifier.create({"noisy_copies": 1}, storage, resource, context)
    classifier.train(tiny_training_data())
    loaded = TfidfIntentClassifier.load({"noisy_copies": 1}, storage, resource, context)
    message = parsed(loaded, "quero a segunda via do boleto")
    assert message.get("intent")["name"] == "request_invoice_copy"
    ranking = message.get("intent_ranking")
    assert len(ranking) == 3 and abs(sum(r["confidence"] for r in ranking) - 1) < 1e-6
    assert parsed(loaded, "cancelr meu planoo").get("intent")["name"] == "request_cancellation"  # typos
    assert loaded.speller is not None and loaded.speller.correct("Preciso do bolto") == "preciso do boleto"


def test_staff_command_intents_are_never_learnt(storage, context):
    """A bare "poxnet" answering "which company?" must not read as the staff command /company poxnet."""
    data = tiny_training_data()
    commands = [Message(data={"text": f"/company {c}", "intent": "agent_set_company"}) for c in ("poxnet", "siempre")]
    classifier = TfidfIntentClassifier.create({"noisy_copies": 0}, storage, Resource("tfidf"), context)
    classifier.train(data.merge(TrainingData(commands)))
    assert "agent_set_company" not in classifier._labels
    assert parsed(classifier, "poxnet").get("intent")["name"] != "agent_set_company"


def test_speller_leaves_known_and_short_words_alone():
    from policies.tfidf_classifier import Speller

    speller = Speller.learn(["segunda via do boleto", "fatura atrasada"], max_edit_distance=2, min_length=4)
    assert speller.correct("Segunda VIA do boletto") == "segunda via do boleto"
    assert speller.correct("xyz fatrua") == "xyz fatura"
    assert speller.correct("internet") == "internet"  # nothing near: unchanged
    assert speller.correct("boletoooo atrasaada") == "boleto atrasada"  # held keys
    assert speller.correct("da fatrua") == "da fatura"


def test_speller_corrects_short_words_by_one_edit_only():
    from policies.tfidf_classifier import Speller

    speller = Speller.learn(["quero o pix", "sem net", "a fatura"], max_edit_distance=2, min_length=3, short_length=4)
    assert speller.correct("pox") == "pix"  # one edit
    assert speller.correct("pxx zz") == "pix zz"  # squeezed, then one edit; two letters: left alone
    assert speller.correct("ppp") == "ppp"  # two edits from anything: unchanged


def test_fast_probabilities_equal_sklearn_and_survive_persistence(storage, context):
    config = {"noisy_copies": 1, "spelling_correction": False}
    classifier = TfidfIntentClassifier.create(config, storage, Resource("tfidf"), context)
    classifier.train(tiny_training_data())
    texts = ["quero cancelar", "factura", "sem sinal", "xyz"]
    features = sparse.hstack([v.transform(texts) for v in classifier.vectorizers], format="csr")
    assert abs(classifier.features(texts) - features).max() < 1e-12  # sklearn's own TF-IDF
    expected = classifier.fitted.predict_proba(features)
    assert abs(classifier.probabilities(texts) - expected).max() < 1e-9
    loaded = TfidfIntentClassifier.load(config, storage, Resource("tfidf"), context)
    assert loaded.fitted is None and abs(loaded.probabilities(texts) - expected).max() < 1e-12


def test_classifier_file_that_does_not_match_is_refused(storage, context, caplog):
    classifier = TfidfIntentClassifier.create({"noisy_copies": 0}, storage, Resource("tfidf"), context)
    classifier.train(tiny_training_data())
    with storage.write_to(Resource("tfidf")) as directory:
        (directory / "features.json").write_text("{}")
    loaded = TfidfIntentClassifier.load({}, storage, Resource("tfidf"), context)
    assert not loaded.trained and "could not be loaded" in caplog.text
    assert parsed(loaded, "quero cancelar").get("intent") is None


def test_action_result_validation_still_rejects_bad_responses():
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from policies import rasa_speedups

    rasa_speedups.install()
    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "a", "value": 1}], "responses": []})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def test_cached_event_types_resolve_like_rasa():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    from policies import rasa_speedups

    names = {cls.type_name for cls in all_subclasses(Event)}
    rasa_speedups.uninstall()
    expected = {name: Event.resolve_by_type(name) for name in names}
    rasa_speedups.install()
    assert {name: Event.resolve_by_type(name) for name in names} == expected
    assert {name: Event.resolve_by_type(name) for name in names} == expected  # from the cache
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=Event) is Event


def test_untrained_classifier_leaves_messages_alone(storage, context):
    classifier = TfidfIntentClassifier.load({}, storage, Resource("missing"), context)
    assert parsed(classifier, "oi").get("intent") is None


def test_noise_is_reproducible_and_near_the_rate():
    text = "quero a segunda via da minha fatura de novembro por favor"
    assert add_noise(text, seed=3) == add_noise(text, seed=3) != text
    assert strip_accents("não, está ótimo") == "nao, esta otimo"


def test_action_server_call_is_retried_after_a_reset_connection():
    """A connection reset before any response (seen under load) is tried again; the reply arrives."""
    import asyncio
    import socket
    import threading

    from rasa.utils.endpoints import EndpointConfig

    from policies import rasa_speedups

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    seen = []

    def serve():
        for attempt in range(2):
            connection, _ = listener.accept()
            seen.append(attempt)
            if attempt == 0:  # reset the first connection without answering
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                connection.close()
                continue
            connection.recv(65536)
            body = b'{"events": [], "responses": []}'
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                               + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    rasa_speedups.install()
    try:
        reply = asyncio.new_event_loop().run_until_complete(
            EndpointConfig(f"http://127.0.0.1:{port}/webhook").request(json={"x": 1}, method="post", timeout=5))
    finally:
        listener.close()
    assert reply == {"events": [], "responses": []} and seen == [0, 1]
