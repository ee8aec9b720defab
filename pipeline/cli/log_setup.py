"""Logging for every command: one format on stderr, personal data redacted, client libraries' chatter kept out."""
from __future__ import annotations

import logging
import sys

# Client libraries that log every connection, metadata refresh and offset reset at INFO.
CHATTY_CLIENT_LOGGERS: tuple[str, ...] = ("kafka", "aiokafka", "elastic_transport")


def configure_logging(level: str) -> None:
    """Log at `level` on stderr through the redacting filter; client libraries log warnings and worse unless
    `level` is DEBUG."""
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level.upper())   # also when a host (a test runner) installed handlers first
    from pipeline.enrich.pii.boundary import RedactingLogFilter

    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingLogFilter) for f in handler.filters):
            handler.addFilter(RedactingLogFilter())
    client_level = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in CHATTY_CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(client_level)
