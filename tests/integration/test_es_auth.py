"""Auth and TLS of the Elasticsearch sink and setup, and that credentials never reach logs or dead letters."""
from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from fakes.es_server import FakeElasticsearch, make_tls_files, sample_signal, server_tls_context
from pipeline.sinks.elasticsearch.config import EsConfig, EsConfigError
from pipeline.sinks.elasticsearch.setup import run_setup
from pipeline.sinks.elasticsearch.sink import ElasticsearchSink

FAST = {"backoff_initial": 0.01, "backoff_max": 0.02, "flush_interval": 0.05}
API_KEY = base64.b64encode(b"key-id-77:very-secret-api-key-value").decode()
PASSWORD = "pa55-w0rd-not-for-logs"


def secrets_in(text: str, *secrets: str) -> list[str]:
    """Which secrets (or their base64 forms inside a Basic/ApiKey header) occur in `text`."""
    found = []
    for secret in secrets:
        forms = {secret, base64.b64encode(secret.encode()).decode(),
                 base64.b64encode(f"elastic:{secret}".encode()).decode()}
        if any(form in text for form in forms):
            found.append(secret)
    return found


def run_sink(config: EsConfig, n: int = 3) -> list:
    """Set up, write `n` sample signals through a sink, and return every dead letter."""
    run_setup(config, echo=lambda line: None)
    sink = ElasticsearchSink(config)
    dead = sink.write([sample_signal(i) for i in range(n)])
    dead += sink.flush()
    dead += sink.close()
    return dead


def test_api_key_is_sent_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeElasticsearch(api_key=API_KEY) as fake:
        config = EsConfig(urls=(fake.url,), api_key=API_KEY, **FAST)
        assert run_sink(config) == []
        assert len(fake.documents()) == 3
        assert {r.headers.get("authorization") for r in fake.requests} == {f"ApiKey {API_KEY}"}
    assert "***" in repr(config) and API_KEY not in repr(config)
    assert secrets_in(caplog.text, API_KEY) == []


def test_api_key_in_id_colon_key_form_is_encoded() -> None:
    with FakeElasticsearch(api_key=API_KEY) as fake:
        config = EsConfig(urls=(fake.url,), api_key="key-id-77:very-secret-api-key-value", **FAST)
        assert run_sink(config, 1) == []
        assert fake.bulk_requests()[0].headers["authorization"] == f"ApiKey {API_KEY}"


def test_basic_auth_from_url_is_moved_out_of_the_url(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeElasticsearch(basic=("elastic", PASSWORD)) as fake:
        url = fake.url.replace("http://", f"http://elastic:{PASSWORD}@")
        config = EsConfig(urls=(url,), **FAST)
        assert config.urls == (fake.url,) and config.username == "elastic"
        assert run_sink(config) == []
        token = base64.b64encode(f"elastic:{PASSWORD}".encode()).decode()
        assert fake.bulk_requests()[0].headers["authorization"] == f"Basic {token}"
    assert PASSWORD not in repr(config)
    assert secrets_in(caplog.text, PASSWORD) == []


def test_wrong_credentials_dead_letter_without_leaking(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeElasticsearch(basic=("elastic", "the-right-one")) as fake:
        config = EsConfig(urls=(fake.url,), username="elastic", password=PASSWORD, require_template=False, **FAST)
        sink = ElasticsearchSink(config)
        sink.write([sample_signal(1)])
        dead = sink.flush()
        sink.close()
        assert len(fake.bulk_requests()) == 1  # 401 is not retried
    assert [d.position for d in dead] == ["twitter:1"] and "401" in dead[0].reason
    assert secrets_in(caplog.text + dead[0].reason + dead[0].raw, PASSWORD) == []


def test_conflicting_or_half_credentials_are_refused() -> None:
    with pytest.raises(EsConfigError):
        EsConfig(api_key="abc", username="u", password="p")
    with pytest.raises(EsConfigError):
        EsConfig(username="u")


def test_tls_with_ca_file(tmp_path: Path) -> None:
    files = make_tls_files(tmp_path)
    if files is None:
        pytest.skip("openssl not available")
    ca, cert, key = files
    with FakeElasticsearch(ssl_context=server_tls_context(cert, key)) as fake:
        assert fake.url.startswith("https://")
        assert run_sink(EsConfig(urls=(fake.url,), ca_file=str(ca), **FAST)) == []
        assert len(fake.documents()) == 3
        untrusted = ElasticsearchSink(EsConfig(urls=(fake.url,), max_retries=0, require_template=False, **FAST))
        untrusted.write([sample_signal(9)])
        dead = untrusted.flush()
        untrusted.close()
    assert [d.position for d in dead] == ["twitter:9"]
    assert "connection problem" in dead[0].reason
