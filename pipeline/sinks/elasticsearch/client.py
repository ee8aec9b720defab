"""Build the official Elasticsearch client for an EsConfig, speaking the 8.x REST dialect to 8.x and 9.x.

The 9.x Python client sends `compatible-with=9` media types, which Elasticsearch 8 rejects
("Accept version must be either version 8 or 7"). Elasticsearch 9 still accepts `compatible-with=8`,
so every request made through `request()` carries 8.x compatibility headers and works with both.
The client's own retries are switched off: the sink decides what to retry and how long to wait.
"""
from __future__ import annotations

import logging
from typing import Any

from pipeline.sinks.elasticsearch.config import EsConfig

log = logging.getLogger(__name__)

COMPAT_VERSION = 8
JSON_MIMETYPE = f"application/vnd.elasticsearch+json; compatible-with={COMPAT_VERSION}"
NDJSON_MIMETYPE = f"application/vnd.elasticsearch+x-ndjson; compatible-with={COMPAT_VERSION}"
JSON_HEADERS = {"accept": JSON_MIMETYPE, "content-type": JSON_MIMETYPE}
NDJSON_HEADERS = {"accept": JSON_MIMETYPE, "content-type": NDJSON_MIMETYPE}
READ_HEADERS = {"accept": JSON_MIMETYPE}


def api_key_argument(api_key: str) -> str | tuple[str, str]:
    """The client's `api_key` argument: 'id:key' becomes a tuple, an encoded key stays a string."""
    if ":" in api_key:
        key_id, _, secret = api_key.partition(":")
        return key_id, secret
    return api_key


def build_client(config: EsConfig) -> Any:
    """An `elasticsearch.Elasticsearch` client with auth, TLS and no built-in retries."""
    from elasticsearch import Elasticsearch

    kwargs: dict[str, Any] = {
        "hosts": list(config.urls),
        "request_timeout": config.request_timeout,
        "max_retries": 0,
        "retry_on_status": (),
        "retry_on_timeout": False,
        "http_compress": config.compress,
        "headers": dict(READ_HEADERS),
    }
    if config.api_key:
        kwargs["api_key"] = api_key_argument(config.api_key)
    elif config.username and config.password:
        kwargs["basic_auth"] = (config.username, config.password)
    if any(url.startswith("https://") for url in config.urls):
        kwargs["verify_certs"] = config.verify_certs
        if config.ca_file:
            kwargs["ca_certs"] = config.ca_file
        if not config.verify_certs:
            kwargs["ssl_show_warn"] = False
            log.warning("TLS certificate verification is OFF for Elasticsearch; use --ca-file instead")
    log.debug("Elasticsearch client for %s (auth: %s)", ", ".join(config.urls), config.auth_kind)
    return Elasticsearch(**kwargs)


def request(client: Any, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None,
            ndjson: bool = False) -> Any:
    """Send one request with 8.x-compatible media types; returns the client's ApiResponse."""
    if body is None:
        headers = READ_HEADERS
    else:
        headers = NDJSON_HEADERS if ndjson else JSON_HEADERS
    return client.perform_request(method, path, params=params, headers=headers, body=body)
