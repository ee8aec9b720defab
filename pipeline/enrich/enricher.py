"""Orchestration: one RawSignal in, one enriched, JSON-ready dict out (format in pipeline/README.md)."""
from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Protocol

from pipeline.core.pseudonym_key import resolve_pseudonym_key
from pipeline.core.settings import Settings
from pipeline.core.signal import RawSignal, validate
from pipeline.enrich.keywords import KeywordExtractor
from pipeline.enrich.language import LanguageDetector, all_function_words
from pipeline.enrich.pii.boundary import PERSONAL_KEYS, redact_value
from pipeline.enrich.pii.pseudonym import Pseudonymiser
from pipeline.enrich.pii.redact import PiiRedactor
from pipeline.enrich.pii.urls import strip_url
from pipeline.enrich.places import PlaceFinder, bundled_streets
from pipeline.enrich.search_query import analyse_query, zero_result
from pipeline.enrich.sentiment import NEUTRAL, LexiconSentiment
from pipeline.enrich.short_texts import SHORT_TEXT_CHARS, ShortTextMemo
from pipeline.enrich.text import clean_text, stem_tokens, tokenize
from pipeline.enrich.topics import KeywordTopicModel, Ranked, TopicAnalysis, TopicModel

log = logging.getLogger(__name__)

MODEL_VERSION = "keywords-1"
SITE_SEARCH = "site_search"
REDACTION_FAILED_TEXT = "[tekst verwijderd]"
EMPTY_TEXT = "[leeg]"   # a text of control characters only


@dataclass(slots=True)
class _Work:
    """What the first stage computed for one signal; the second stage turns it into the document."""

    raw: RawSignal
    text: str
    pii: list[str]
    tokens: list[str]
    stems: list[str]
    analysis: TopicAnalysis
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _TextParts:
    """What the first stage derives from a signal's text alone (memoised for short texts; never mutated)."""

    text: str
    pii: tuple[str, ...]
    tokens: list[str]
    stems: list[str]
    analysis: TopicAnalysis


class BatchSentimentModel(Protocol):
    """A supervised sentiment model scoring a batch of redacted texts as (label, score in -1..1).

    A model whose `score_many` also takes `tokens=` and `stems=` (one list per text) gets the enricher's."""

    def score_many(self, texts: list[str]) -> list[tuple[str, float]]: ...


class Enricher:
    """Redacts, pseudonymises and labels raw signals; plain Python, no transport.

    `sentiment_model` scores sentiment (None: the lexicon scorer alone); `pipeline.models.enricher_setup` gives the
    one the settings ask for."""

    def __init__(self, settings: Settings | None = None, topic_model: TopicModel | None = None,
                 sentiment_model: BatchSentimentModel | None = None) -> None:
        self.settings = settings if settings is not None else Settings()
        self.sentiment_model = sentiment_model
        self.keyword_model = KeywordTopicModel()
        self.topic_model: TopicModel = topic_model if topic_model is not None else self.keyword_model
        self.model_version = MODEL_VERSION if topic_model is None else _version_of(topic_model)
        self.redactor = PiiRedactor()
        self.pseudonymiser = Pseudonymiser(resolve_pseudonym_key(self.settings.pseudonym_key, self.settings.store))
        self.language = LanguageDetector()
        self.sentiment = LexiconSentiment()
        self.places = PlaceFinder(self.settings.neighbourhoods, bundled_streets(self.settings.municipality))
        self.keywords = KeywordExtractor(all_function_words() | {self.settings.municipality.lower()})
        calibrated = getattr(topic_model, "review_threshold", None)
        self.review_threshold = float(calibrated) if calibrated is not None else self.settings.review_threshold
        self._text_parts: ShortTextMemo[_TextParts] = ShortTextMemo()
        self._redacted_meta: ShortTextMemo[tuple[str, tuple[str, ...]]] = ShortTextMemo()
        self._plain_keys: dict[tuple[Any, ...], bool] = {}
        self._queries: ShortTextMemo[dict[str, Any]] = ShortTextMemo(max_chars=SHORT_TEXT_CHARS + 8)
        self.redactor.load()

    @property
    def sentiment_model(self) -> BatchSentimentModel | None:
        """The supervised sentiment model (None: the lexicon scorer alone)."""
        return self._sentiment_model

    @sentiment_model.setter
    def sentiment_model(self, model: BatchSentimentModel | None) -> None:
        """Use another model from the next batch on (a promoted version, say)."""
        self._sentiment_model = model
        self._model_takes_tokens = _takes_tokens(model)

    def enrich(self, raw: RawSignal) -> dict[str, Any]:
        """Enrich one raw signal (a dict is validated first and may raise InvalidSignal)."""
        return self.enrich_many([raw])[0]

    def enrich_many(self, raws: Iterable[RawSignal]) -> list[dict[str, Any]]:
        """Enrich a batch; a plugged-in topic model is called once for the whole batch."""
        enriched_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        work = [self._prepare(_as_signal(raw)) for raw in raws]
        rankings = self._external_rankings(work)
        moods = self._external_sentiments(work)
        return [self._document(w, rankings[k] if rankings else w.analysis.ranked, enriched_at,
                               moods[k] if moods else None)
                for k, w in enumerate(work)]

    def _prepare(self, raw: RawSignal) -> _Work:
        """Redact the text and meta, tokenise, and run the keyword topic model."""
        try:
            parts = self._text_parts.get(raw.text, self._analyse_text)
            meta, meta_pii = self._redact_meta(raw.meta)
            pii = sorted(set(parts.pii) | set(meta_pii)) if meta_pii else list(parts.pii)
            return _Work(raw, parts.text, pii, parts.tokens, parts.stems, parts.analysis, meta)
        except Exception:  # a bug must not leak personal data or stop the pipeline
            log.exception("enrich: could not redact or analyse signal %s; its text is withheld", raw.id)
            return _Work(raw, REDACTION_FAILED_TEXT, [], [], [], self.keyword_model.analyse_tokens([]), {})

    def _analyse_text(self, raw_text: str) -> _TextParts:
        """Clean and redact a text, tokenise it and run the keyword topic model on it."""
        cleaned = clean_text(raw_text)
        text, pii = self.redactor.redact(cleaned) if cleaned.strip() else (EMPTY_TEXT, [])
        tokens = tokenize(text)
        stems = stem_tokens(tokens)
        return _TextParts(text, tuple(pii), tokens, stems, self.keyword_model.analyse_tokens(tokens, stems))

    def _redact_meta_value(self, value: str) -> tuple[str, tuple[str, ...]]:
        """One meta string cleaned and redacted, with the kinds of personal data found."""
        text, kinds = self.redactor.redact(clean_text(value))
        return text, tuple(kinds)

    def _redact_meta(self, meta: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
        """A copy of meta with personal data removed from every string at any depth (lists and nested objects
        too), URL query strings cut, and the values of personal keys ("phone", "email", "name") withheld."""
        if not meta:
            return {}, []
        kinds: set[str] = set()
        if self._keys_not_personal(meta):
            flat: dict[str, Any] = {}   # the usual case: a few flat values ({"team": ..., "callback": true})
            for key, value in meta.items():
                if isinstance(value, str):
                    value, found = self._redacted_meta.get(value, self._redact_meta_value)
                    if found:
                        kinds.update(found)
                elif not (isinstance(value, (bool, float)) or (isinstance(value, int) and abs(value) < 10_000_000)):
                    break   # a nested value or a large number: the general path below
                flat[str(key)] = value
            else:
                return flat, sorted(kinds)
            kinds = set()

        def redact_string(value: str) -> str:
            text, found = self._redacted_meta.get(value, self._redact_meta_value)
            kinds.update(found)
            return text

        clean = redact_value(meta, redact_string)
        return clean, sorted(kinds)

    def _keys_not_personal(self, meta: dict[str, Any]) -> bool:
        """True when no key of meta is a personal key ("name", "phone", ...); remembered per set of keys."""
        keys = tuple(meta)
        known = self._plain_keys.get(keys)
        if known is None:
            if len(self._plain_keys) >= 1_000:
                self._plain_keys.clear()
            known = self._plain_keys[keys] = PERSONAL_KEYS.isdisjoint(str(k).lower() for k in meta)
        return known

    def _external_rankings(self, work: list[_Work]) -> list[Ranked] | None:
        """Rankings from a plugged-in topic model for the batch, or None to use the keyword rankings."""
        if self.topic_model is self.keyword_model or not work:
            return None
        try:
            predicted = self.topic_model.predict([w.text for w in work])
        except Exception:
            log.exception("enrich: topic model %s failed on a batch of %d; using keyword topics",
                          self.model_version, len(work))
            return None
        if not isinstance(predicted, list) or len(predicted) != len(work):
            log.error("enrich: topic model %s returned %s rankings for %d texts; using keyword topics",
                      self.model_version, len(predicted) if isinstance(predicted, list) else "no", len(work))
            return None
        return [_clean_ranking(ranking) or w.analysis.ranked for ranking, w in zip(predicted, work)]

    def _external_sentiments(self, work: list[_Work]) -> list[tuple[str, float]] | None:
        """Sentiment from a plugged-in supervised model for the batch, or None to use the lexicon."""
        if self.sentiment_model is None or not work:
            return None
        scored_rows = [k for k, w in enumerate(work) if w.raw.channel != SITE_SEARCH]   # searches stay neutral
        try:
            texts = [work[k].text for k in scored_rows]
            scored: list[tuple[str, float]]
            if not scored_rows:
                scored = []
            elif self._model_takes_tokens:
                scored = self.sentiment_model.score_many(  # type: ignore[call-arg]
                    texts, tokens=[work[k].tokens for k in scored_rows], stems=[work[k].stems for k in scored_rows])
            else:
                scored = self.sentiment_model.score_many(texts)
        except Exception:
            log.exception("enrich: sentiment model failed on a batch of %d; using the lexicon", len(work))
            return None
        if len(scored) != len(scored_rows):
            log.error("enrich: sentiment model returned %d scores for %d texts; using the lexicon",
                      len(scored), len(scored_rows))
            return None
        moods: list[tuple[str, float]] = [(NEUTRAL, 0.0)] * len(work)
        for k, (label, score) in zip(scored_rows, scored):
            moods[k] = (str(label), max(-1.0, min(1.0, float(score))))
        return moods

    def _document(self, work: _Work, ranked: Ranked, enriched_at: str,
                  mood: tuple[str, float] | None = None) -> dict[str, Any]:
        """Assemble the enriched signal."""
        raw = work.raw
        site_search = raw.channel == SITE_SEARCH
        doc: dict[str, Any] = {"id": raw.id, "channel": raw.channel, "created_at": raw.created_at.isoformat()}
        if raw.author is not None:
            doc["author"] = self.pseudonymiser.pseudonym(raw.author)
        if raw.url is not None:
            doc["url"] = strip_url(raw.url)
        code, label, confidence = ranked[0]
        subtopic = work.analysis.subtopic_for(code)
        tokens = work.tokens
        if site_search:
            sentiment: tuple[str, float] = (NEUTRAL, 0.0)
        elif mood is not None:
            sentiment = mood
        else:
            try:
                sentiment = self.sentiment.score(work.text, tokens, work.stems)
            except Exception:
                sentiment = _failed(work, "sentiment", (NEUTRAL, 0.0))
        doc["text"] = work.text
        doc["meta"] = work.meta
        doc["pii"] = work.pii
        try:
            doc["language"] = self.language.detect(tokens, site_search)
        except Exception:
            doc["language"] = _failed(work, "language", "nl")
        doc["topic"] = {"code": code, "label": label, "confidence": confidence}
        doc["topics"] = [{"code": c, "label": lab, "confidence": conf} for c, lab, conf in ranked[:3]]
        doc["subtopic"] = {"code": subtopic.code, "label": subtopic.label} if subtopic else None
        doc["needs_review"] = confidence < self.review_threshold
        doc["sentiment"] = {"label": sentiment[0], "score": sentiment[1]}
        try:
            doc["keywords"] = self.keywords.extract(tokens, work.analysis.positions, stems=work.stems)
        except Exception:
            doc["keywords"] = _failed(work, "keywords", [])
        try:
            doc["place"] = self.places.find(tokens, work.meta)
        except Exception:
            doc["place"] = _failed(work, "place", None)
        if site_search:
            doc["query"] = self._query(work)
        doc["model_version"] = self.model_version
        doc["enriched_at"] = enriched_at
        return doc

    def _query(self, work: _Work) -> dict[str, Any]:
        """The site-search `query` field, computed on the redacted text so no personal data reaches it (kept per
        short text and zero-result flag, the only part of meta it reads)."""
        try:
            meta = work.raw.meta or {}
            key = f"{zero_result(meta)}\x00{work.text}"
            return dict(self._queries.get(key, lambda _key: analyse_query(work.text, meta)))
        except Exception:
            log.exception("enrich: search-query analysis failed for signal %s; using a plain form", work.raw.id)
            normalized = " ".join(work.text.lower().split())
            group = normalized.replace(" ", "")
            return {"normalized": normalized, "group": group, "subject": group, "zero_result": None}


def _failed(work: _Work, step: str, default: Any) -> Any:
    """Log the error of an enrichment step that failed for a signal (with its id, never its text); `default`."""
    log.exception("enrich: %s failed for signal %s; using %r", step, work.raw.id, default)
    return default


def _takes_tokens(model: BatchSentimentModel | None) -> bool:
    """Whether the model's score_many accepts the enricher's tokens and stems."""
    if model is None:
        return False
    try:
        parameters = inspect.signature(model.score_many).parameters
    except (TypeError, ValueError):
        return False
    return "tokens" in parameters and "stems" in parameters


def _as_signal(raw: RawSignal | dict[str, Any]) -> RawSignal:
    """Accept a RawSignal, or a decoded JSON object that is validated (raises InvalidSignal)."""
    if isinstance(raw, RawSignal):
        return raw
    return validate(raw)


def _version_of(model: TopicModel) -> str:
    """The version a plugged-in model reports, or its class name."""
    version = getattr(model, "model_version", None) or getattr(model, "version", None)
    return str(version) if version else type(model).__name__


def _clean_ranking(ranking: Any) -> Ranked:
    """A model's ranking as (code, label, probability in 0..1) triples; malformed entries are dropped."""
    clean: Ranked = []
    if not isinstance(ranking, (list, tuple)):
        return clean
    for entry in ranking:
        try:
            code, label, prob = entry
            prob = float(prob)
        except (TypeError, ValueError):
            continue
        if prob != prob:  # NaN
            continue
        clean.append((str(code), str(label), round(min(1.0, max(0.0, prob)), 3)))
    return clean
