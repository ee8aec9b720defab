"""The enriched signal as a type: what enrichment adds to a raw signal, field by field (see the JSON schema).

No `from __future__ import annotations` here: TypedDict reads NotRequired from evaluated annotations.
"""

from typing import Any, Literal, NotRequired, TypedDict

SentimentLabel = Literal["negative", "neutral", "positive"]


class TopicScore(TypedDict):
    """One topic with its display label and the model's confidence (0..1)."""

    code: str
    label: str
    confidence: float


class Subtopic(TypedDict):
    """A subtopic below the topic code."""

    code: str
    label: str


class Sentiment(TypedDict):
    """The sentiment label and a score from -1 (negative) to 1 (positive)."""

    label: SentimentLabel
    score: float


class QueryAnalysis(TypedDict):
    """For site searches: the normalised query, its group key, the subject the group rolls up onto, and whether it
    found nothing."""

    normalized: str
    group: str
    subject: str
    zero_result: bool | None


class EnrichedSignal(TypedDict):
    """A raw signal after enrichment: redacted text, personal-data kinds removed, language, topic, sentiment."""

    id: str
    channel: str
    created_at: str
    text: str
    author: NotRequired[str]
    url: NotRequired[str]
    meta: NotRequired[dict[str, Any]]
    pii: list[str]
    language: str
    topic: TopicScore
    topics: list[TopicScore]
    subtopic: NotRequired[Subtopic | None]
    needs_review: bool
    sentiment: Sentiment
    keywords: list[str]
    place: NotRequired[str | None]
    query: NotRequired[QueryAnalysis]
    model_version: str
    enriched_at: str
