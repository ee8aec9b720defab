"""The Enricher: full document shape, JSON round trip, pseudonyms, site searches, plug-in models, robustness."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.bench.enrich import bench_command
from pipeline.core.settings import Settings
from pipeline.core.signal import InvalidSignal, RawSignal
from pipeline.enrich import MODEL_VERSION, Enricher
from pipeline.sinks.sqlite.store import SqliteStore

MOMENT = datetime(2024, 6, 1, 10, 0, tzinfo=timezone.utc)


def signal(text: str, channel: str = "twitter", sid: str = "1", **fields: Any) -> RawSignal:
    """A raw signal for tests."""
    return RawSignal(id=f"{channel}:{sid}", channel=channel, created_at=MOMENT, text=text, **fields)


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher(Settings(pseudonym_key="test-key"))


SCHEMA_PATH = Path(__file__).resolve().parents[2] / "pipeline" / "core" / "schemas" / "enriched_signal.schema.json"


def assert_doc_shape(doc: dict[str, Any]) -> None:
    """Every field of the enriched-signal format with the right type (and the project schema when present)."""
    if SCHEMA_PATH.is_file():
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert isinstance(doc["id"], str) and isinstance(doc["channel"], str)
    assert datetime.fromisoformat(doc["created_at"]).tzinfo is not None
    assert isinstance(doc["text"], str)
    assert isinstance(doc["meta"], dict)
    assert isinstance(doc["pii"], list) and doc["pii"] == sorted(set(doc["pii"]))
    assert doc["language"] in ("nl", "en", "other")
    topic = doc["topic"]
    assert set(topic) == {"code", "label", "confidence"}
    assert isinstance(topic["code"], str) and isinstance(topic["label"], str)
    assert 0.0 <= topic["confidence"] <= 1.0
    assert 1 <= len(doc["topics"]) <= 3 and doc["topics"][0] == topic
    for entry in doc["topics"]:
        assert set(entry) == {"code", "label", "confidence"}
    assert doc["subtopic"] is None or set(doc["subtopic"]) == {"code", "label"}
    assert isinstance(doc["needs_review"], bool)
    assert doc["sentiment"]["label"] in ("negative", "neutral", "positive")
    assert -1.0 <= doc["sentiment"]["score"] <= 1.0
    assert isinstance(doc["keywords"], list) and len(doc["keywords"]) <= 5
    assert all(isinstance(k, str) and len(k) >= 3 for k in doc["keywords"])
    assert doc["place"] is None or isinstance(doc["place"], str)
    assert isinstance(doc["model_version"], str)
    enriched = datetime.fromisoformat(doc["enriched_at"])
    assert enriched.utcoffset() is not None and enriched.utcoffset().total_seconds() == 0


def test_full_document_for_a_tweet(enricher: Enricher) -> None:
    doc = enricher.enrich(signal(
        "Al twee weken ligt de Slotlaan open door #wegwerkzaamheden en de omleiding is een drama 😡 @gemeentezeist",
        author="@JanJansen", url="https://x.com/jan/status/1"))
    assert_doc_shape(doc)
    assert doc["id"] == "twitter:1" and doc["url"] == "https://x.com/jan/status/1"
    assert doc["topic"]["code"] == "verkeer"
    assert doc["subtopic"] == {"code": "wegwerkzaamheden", "label": "Wegwerkzaamheden en omleidingen"}
    assert doc["sentiment"]["label"] == "negative"
    assert doc["language"] == "nl"
    assert doc["place"] == "Centrum"
    assert "wegwerkzaamheden" in doc["keywords"] and "omleiding" in doc["keywords"]
    assert doc["model_version"] == MODEL_VERSION == "keywords-1"
    assert "query" not in doc
    assert doc["author"].startswith("p:") and "Jan" not in doc["author"]


def test_call_note_is_redacted_everywhere(enricher: Enricher) -> None:
    doc = enricher.enrich(signal(
        "Mw. De Vries belt (06-12345678) over de container die niet geleegd is, 3701 AB 12. Graag terugbellen.",
        channel="call_note", author="kcc-017", meta={"team": "Afval", "callback": True, "caller": "tel 0612345678"}))
    assert_doc_shape(doc)
    assert doc["pii"] == ["name", "phone", "postcode_house_number"]
    serialised = json.dumps(doc, ensure_ascii=False)
    for value in ("Vries", "12345678", "3701"):
        assert value not in serialised
    assert doc["meta"] == {"team": "Afval", "callback": True, "caller": "tel [telefoon]"}
    assert doc["topic"]["code"] == "afval"
    assert doc["sentiment"]["label"] == "negative"


def test_json_round_trip_and_store(enricher: Enricher, tmp_path: Path) -> None:
    raws = [signal("Bedankt voor het snel ophalen van het grofvuil! 👍", sid="a", author="piet"),
            signal("paspoort verlengen", channel="site_search", sid="b", meta={"results": 0}),
            signal("Overlast van hangjongeren in Kerckebosch", channel="facebook", sid="c")]
    docs = enricher.enrich_many(raws)
    for doc in docs:
        assert_doc_shape(doc)
        assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
    store = SqliteStore(tmp_path / "s.db")
    store.write(None, None, docs)
    assert store.count() == 3
    store.close()


def test_author_pseudonym_is_stable_keyed_and_absent_when_absent() -> None:
    first = Enricher(Settings(pseudonym_key="key-one"))
    again = Enricher(Settings(pseudonym_key="key-one"))
    other = Enricher(Settings(pseudonym_key="key-two"))
    raw = signal("hoi", author="@Marieke")
    pseudonym = first.enrich(raw)["author"]
    assert pseudonym == again.enrich(raw)["author"] == first.enrich(signal("x", sid="2", author="marieke"))["author"]
    assert pseudonym != other.enrich(raw)["author"]
    assert pseudonym != first.enrich(signal("x", sid="3", author="Marie"))["author"]
    assert pseudonym.startswith("p:") and len(pseudonym) == 18
    assert "author" not in first.enrich(signal("zonder auteur"))


def test_site_search_gets_a_query_and_neutral_sentiment(enricher: Enricher) -> None:
    doc = enricher.enrich(signal("Parkeer vergunning", channel="site_search", meta={"results": 0}))
    assert_doc_shape(doc)
    assert doc["query"]["normalized"] == "parkeer vergunning"
    assert doc["query"]["zero_result"] is True
    assert isinstance(doc["query"]["group"], str)
    assert doc["topic"]["code"] == "parkeren"
    assert doc["sentiment"] == {"label": "neutral", "score": 0.0}
    assert doc["language"] == "nl"


def test_site_search_query_never_holds_personal_data(enricher: Enricher) -> None:
    doc = enricher.enrich(signal("bsn 123456782 wijzigen", channel="site_search", meta={"results": 3}))
    assert doc["pii"] == ["bsn"]
    assert "123456782" not in json.dumps(doc)
    assert doc["query"]["zero_result"] is False


def test_a_repeated_search_keeps_its_own_zero_result_flag_and_a_fresh_query(enricher: Enricher) -> None:
    docs = enricher.enrich_many([signal("afvalkalender", channel="site_search", meta=meta)
                                 for meta in ({"results": 0}, {"results": 4}, None, {"results": 0}, {"results": "0"})])
    assert [d["query"]["zero_result"] for d in docs] == [True, False, None, True, True]
    assert len({d["query"]["group"] for d in docs}) == 1
    docs[0]["query"]["group"] = "changed"
    again = enricher.enrich(signal("afvalkalender", channel="site_search", meta={"results": 0}))
    assert again["query"] == {**docs[3]["query"]}
    assert again["query"]["group"] != "changed"


def test_flat_meta_and_meta_with_personal_keys_or_nested_values_take_the_right_path(enricher: Enricher) -> None:
    metas = [
        {"team": "Afval", "callback": True, "results": 3, "score": 0.5},
        {"team": "bel 0612345678", "callback": False},
        {"team": "Afval", "name": "Petra de Vries"},
        {"team": "Afval", "nested": {"phone": "0612345678"}},
        {"team": "Afval", "number": 123456782},
        {"team": "Afval", "callback": True, "results": 3, "score": 0.5},
    ]
    docs = enricher.enrich_many([signal("lamp kapot", meta=meta) for meta in metas])
    assert docs[0]["meta"] == metas[0] and docs[5]["meta"] == metas[0] and docs[0]["pii"] == []
    assert docs[1]["meta"] == {"team": "bel [telefoon]", "callback": False} and docs[1]["pii"] == ["phone"]
    assert docs[2]["meta"] == {"team": "Afval", "name": "[verwijderd]"}
    assert docs[3]["meta"] == {"team": "Afval", "nested": {"phone": "[verwijderd]"}}
    assert docs[4]["meta"] == {"team": "Afval", "number": "[bsn]"} and docs[4]["pii"] == ["bsn"]


def test_needs_review_follows_the_threshold() -> None:
    strict = Enricher(Settings(review_threshold=0.95))
    lenient = Enricher(Settings(review_threshold=0.05))
    raw = signal("grofvuil niet opgehaald")
    assert strict.enrich(raw)["needs_review"] is True
    assert lenient.enrich(raw)["needs_review"] is False
    assert lenient.enrich(signal("mooi weer"))["needs_review"] is False
    assert Enricher(Settings()).enrich(signal("mooi weer"))["needs_review"] is True


class FixedModel:
    """A stand-in for a trained model: always the same ranking, counting its batch calls."""

    version = "fixed-7"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def predict(self, texts: list[str]) -> list[list[tuple[str, str, float]]]:
        self.calls.append(list(texts))
        return [[("afval", "Afval", 0.9), ("overig", "Overig", 0.1)] for _ in texts]


def test_plugged_in_topic_model_is_called_once_per_batch_on_redacted_text() -> None:
    model = FixedModel()
    enricher = Enricher(Settings(), topic_model=model)
    docs = enricher.enrich_many([signal("bel 06-12345678 over de kliko", sid="1"), signal("paspoort", sid="2")])
    assert model.calls == [["bel [telefoon] over de kliko", "paspoort"]]
    assert [d["topic"] for d in docs] == [{"code": "afval", "label": "Afval", "confidence": 0.9}] * 2
    assert docs[0]["subtopic"] == {"code": "inzameling", "label": "Ophalen van huisvuil"}
    assert docs[1]["subtopic"] is None
    assert docs[0]["model_version"] == "fixed-7"


class BrokenModel:
    """A topic model that fails."""

    def predict(self, texts: list[str]) -> list[list[tuple[str, str, float]]]:
        raise RuntimeError("model file missing")


class ShortModel:
    """A topic model that returns too few rankings."""

    def predict(self, texts: list[str]) -> list[list[tuple[str, str, float]]]:
        return []


@pytest.mark.parametrize("model", [BrokenModel(), ShortModel()])
def test_failing_topic_model_falls_back_to_keywords_and_logs(model: Any, caplog: pytest.LogCaptureFixture) -> None:
    enricher = Enricher(Settings(), topic_model=model)
    with caplog.at_level(logging.ERROR, logger="pipeline.enrich.enricher"):
        doc = enricher.enrich(signal("grofvuil niet opgehaald"))
    assert doc["topic"]["code"] == "afval"
    assert any("topic model" in r.getMessage() for r in caplog.records)


def test_dict_input_is_validated(enricher: Enricher) -> None:
    doc = enricher.enrich({"id": "twitter:9", "channel": "twitter", "created_at": "2024-06-01T10:00:00Z",
                           "text": "kliko kapot"})
    assert doc["topic"]["code"] == "afval"
    with pytest.raises(InvalidSignal):
        enricher.enrich({"id": "twitter:9", "channel": "twitter", "text": "geen tijd"})


@pytest.mark.parametrize("text", [
    "😡🤬👎" * 50,
    "<script>alert('x')</script><b>grofvuil</b>",
    "control\x00chars\x07and\x1b[31m escapes \ud800 lone surrogate",
    "a." * 9999 + "@x",
    "x" * 20_000,
    ("Mw. De Vries 06-12345678 3701 AB 12 NL91ABNA0417164300 😡 #afval www.x.nl/?a=1 " * 300)[:20_000],
    "AB-12-CD " * 2200,
    "\n\t \u200b\ufeff",
    "\x00\x01\x02",
    "parkeervergunningaanvraagformulier" * 500,
])
def test_any_text_enriches_without_error(enricher: Enricher, text: str) -> None:
    doc = enricher.enrich(signal(text))
    assert_doc_shape(doc)
    json.dumps(doc, ensure_ascii=False).encode("utf-8")
    assert "\x00" not in doc["text"] and "\ud800" not in doc["text"]


def test_redaction_failure_withholds_the_text(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    enricher = Enricher(Settings())

    def explode(text: str) -> tuple[str, list[str]]:
        raise RuntimeError("bug")

    monkeypatch.setattr(enricher.redactor, "redact", explode)
    with caplog.at_level(logging.ERROR, logger="pipeline.enrich.enricher"):
        doc = enricher.enrich(signal("bel 06-12345678"))
    assert doc["text"] == "[tekst verwijderd]"
    assert "12345678" not in json.dumps(doc)
    assert any("twitter:1" in r.getMessage() for r in caplog.records)



def test_commands_have_help() -> None:
    for command in (bench_command,):
        result = CliRunner().invoke(command, ["--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_bench_command_prints_the_rate() -> None:
    result = CliRunner().invoke(bench_command, ["--count", "600", "--batch", "200"])
    assert result.exit_code == 0, result.output
    print(result.output)
    assert "signals/s wall clock" in result.output


def test_a_failing_step_is_logged_and_defaulted(monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    enricher = Enricher(Settings(sentiment_model="lexicon"))

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(enricher.sentiment, "score", explode)
    monkeypatch.setattr(enricher.places, "find", explode)
    with caplog.at_level(logging.ERROR, logger="pipeline.enrich.enricher"):
        doc = enricher.enrich(signal("grofvuil niet opgehaald op de Slotlaan"))
    assert_doc_shape(doc)
    assert doc["sentiment"] == {"label": "neutral", "score": 0.0} and doc["place"] is None
    assert doc["topic"]["code"] == "afval"
    messages = [r.getMessage() for r in caplog.records]
    assert any("sentiment failed for signal twitter:1" in m for m in messages)
    assert any("place failed" in m for m in messages)


class _RecordingSentiment:
    """A sentiment model that records the texts it is asked to score and calls each one positive."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def score_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """Every text positive with score 0.5."""
        self.seen.extend(texts)
        return [("positive", 0.5)] * len(texts)


def test_a_sentiment_model_scores_posts_but_never_site_searches() -> None:
    model = _RecordingSentiment()
    moment = datetime(2024, 6, 1, tzinfo=timezone.utc)
    docs = Enricher(Settings(), sentiment_model=model).enrich_many([
        RawSignal("twitter:1", "twitter", moment, "Container weer vol"),
        RawSignal("site_search:1", "site_search", moment, "paspoort", meta={"results": 0}),
        RawSignal("call_note:1", "call_note", moment, "Mw belt over de kliko"),
    ])
    assert model.seen == ["Container weer vol", "Mw belt over de kliko"]
    assert [d["sentiment"] for d in docs] == [{"label": "positive", "score": 0.5},
                                              {"label": "neutral", "score": 0.0},
                                              {"label": "positive", "score": 0.5}]


def test_the_shipped_supervised_model_scores_sentiment_by_default() -> None:
    from pipeline.models.enricher_setup import enricher_for
    from pipeline.models.sentiment_model import SupervisedSentiment

    default = enricher_for(Settings(pseudonym_key="k"))
    assert isinstance(default.sentiment_model, SupervisedSentiment)
    docs = default.enrich_many([signal("Geweldig hoor... Echt top service 🙄"),
                                signal("Dank jullie wel, de lantaarnpaal is snel gemaakt!", sid="2")])
    assert [d["sentiment"]["label"] for d in docs] == ["negative", "positive"]
    assert docs[0]["sentiment"]["score"] < 0 < docs[1]["sentiment"]["score"]
    assert enricher_for(Settings(pseudonym_key="k", sentiment_model="lexicon")).sentiment_model is None
    assert Enricher(Settings(pseudonym_key="k")).sentiment_model is None      # no model given: the lexicon


def test_a_sentiment_model_directory_that_cannot_load_is_a_clear_error(tmp_path: Path) -> None:
    from pipeline.models.enricher_setup import enricher_for

    with pytest.raises(ValueError, match="cannot be loaded"):
        enricher_for(Settings(pseudonym_key="k", sentiment_model=str(tmp_path / "missing")))


def test_the_enricher_hands_its_tokens_to_a_model_that_takes_them() -> None:
    seen: dict[str, Any] = {}

    class TokenModel:
        def score_many(self, texts: list[str], tokens: Any = None, stems: Any = None) -> list[tuple[str, float]]:
            seen.update(texts=texts, tokens=tokens, stems=stems)
            return [("negative", -0.5)] * len(texts)

    docs = Enricher(Settings(pseudonym_key="k"), sentiment_model=TokenModel()).enrich_many(
        [signal("Container weer vol!")])
    assert docs[0]["sentiment"] == {"label": "negative", "score": -0.5}
    assert seen["tokens"] == [["container", "weer", "vol", "!"]]
    assert seen["stems"] is not None and len(seen["stems"][0]) == 4
