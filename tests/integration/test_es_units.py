"""Pure pieces of the Elasticsearch sink: bulk encoding and classification, backoff, config, documents."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from fakes.es_server import sample_alert, sample_signal
from pipeline.core.retry import Backoff
from pipeline.sinks.elasticsearch.bulk import BulkProtocolError, classify, encode_bulk
from pipeline.sinks.elasticsearch.config import EsConfig, EsConfigError, redact_url, split_credentials
from pipeline.sinks.elasticsearch.documents import DocumentError, PreparedDoc, daily_index, prepare_alert, prepare_signal


def items(*ids: str) -> list[PreparedDoc]:
    """Prepared documents with these ids."""
    return [PreparedDoc(i, "idx-2024.01.01", b"{}") for i in ids]


def test_encode_bulk_is_ndjson_with_final_newline() -> None:
    body = encode_bulk([PreparedDoc("twitter:é", "idx-2024.01.01", '{"text":"één"}'.encode())])
    assert body == '{"index":{"_index":"idx-2024.01.01","_id":"twitter:é"}}\n{"text":"één"}\n'.encode()


def test_classify_sorts_items_by_status() -> None:
    body = {"errors": True, "items": [
        {"index": {"_id": "a", "status": 201}}, {"index": {"_id": "b", "status": 429, "error": {"type": "r"}}},
        {"index": {"_id": "c", "status": 400, "error": {"type": "document_parsing_exception", "reason": "bad"}}},
        {"index": {"_id": "d", "status": 503}}, {"index": {"_id": "e"}}]}
    outcome = classify(body, items("a", "b", "c", "d", "e"))
    assert outcome.ok == [0]
    assert [p for p, _ in outcome.retry] == [1, 3, 4]
    assert outcome.failed == [(2, "HTTP 400 document_parsing_exception: bad")]


def test_classify_trusts_errors_false_and_refuses_mismatches() -> None:
    assert classify({"errors": False, "items": [{}, {}]}, items("a", "b")).ok == [0, 1]
    with pytest.raises(BulkProtocolError):
        classify({"errors": False, "items": [{}]}, items("a", "b"))
    with pytest.raises(BulkProtocolError):
        classify({"errors": True, "items": [{"index": {"_id": "x", "status": 201}}]}, items("a"))
    with pytest.raises(BulkProtocolError):
        classify("not json", items("a"))


def test_backoff_grows_caps_and_runs_out() -> None:
    backoff = Backoff(initial=1.0, maximum=4.0, max_retries=3, jitter=0.0)
    delays = []
    while True:
        delay = backoff.next_delay()
        if backoff.exhausted():
            break
        delays.append(delay)
    assert delays == [1.0, 2.0, 4.0]
    forever = Backoff(initial=1.0, maximum=4.0, max_retries=None, jitter=0.0)
    assert [forever.next_delay() for _ in range(5)][-1] == 4.0 and not forever.exhausted()


def test_credentials_never_stay_in_urls() -> None:
    assert split_credentials("https://elastic:p%40ss@es.example.nl:9243/") == ("https://es.example.nl:9243/",
                                                                             "elastic", "p@ss")
    assert redact_url("https://elastic:secret@es.example.nl") == "https://***@es.example.nl"
    config = EsConfig(urls=("https://a:b@one:9200, https://two:9200",))
    assert config.urls == ("https://one:9200", "https://two:9200") and config.auth_kind == "basic"
    with pytest.raises(EsConfigError):
        EsConfig(urls=("ftp://x",))


def test_from_env_and_invalid_settings() -> None:
    config = EsConfig.from_env({"STADSSIGNAAL_ES_URL": "http://es:9200", "STADSSIGNAAL_ES_API_KEY": "k",
                                "STADSSIGNAAL_ES_RETENTION_DAYS": "30", "STADSSIGNAAL_ES_MAX_RETRIES": "-1"})
    assert (config.urls, config.api_key, config.retention_days, config.max_retries) == (
        ("http://es:9200",), "k", 30, None)
    for bad in ({"batch_size": 0}, {"max_buffer": 10, "batch_size": 20}, {"signals_prefix": "Hoofdletters"},
                {"flush_interval": 0}, {"ca_file": "/no/such/ca.pem"}):
        with pytest.raises(EsConfigError):
            EsConfig(**bad)
    with pytest.raises(EsConfigError):
        EsConfig.from_env({"STADSSIGNAAL_ES_BATCH_SIZE": "veel"})


def test_prepare_uses_utc_day_and_id() -> None:
    doc = sample_signal(1, created_at="2024-12-31T23:30:00-02:00")
    prepared = prepare_signal(doc, "p")
    assert (prepared.doc_id, prepared.index) == ("twitter:1", "p-2025.01.01")
    assert json.loads(prepared.source) == doc
    assert prepare_alert(sample_alert(1), "a").index == "a-2024.05.17"
    moment = datetime(2024, 3, 31, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert daily_index("p", moment) == "p-2024.03.30"


@pytest.mark.parametrize("doc", [sample_signal(1, id="x" * 600), sample_signal(1, created_at="2024-05-17T10:00:00"),
                                 sample_signal(1, meta={"when": object()}), {"id": "twitter:1"}, ["twitter:1"]])
def test_prepare_refuses_what_elasticsearch_would_refuse(doc: object) -> None:
    with pytest.raises(DocumentError):
        prepare_signal(doc, "p")
