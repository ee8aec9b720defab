"""Resumable sources of raw signals: replay file, watched folder of call-note exports, demo generator.

The classes are imported lazily so that importing `pipeline.sources.base` stays cheap.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ReplaySource": "pipeline.sources.replay",
    "FolderSource": "pipeline.sources.folder",
    "DemoSource": "pipeline.sources.demo.generator",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load a source class on first access (`from pipeline.sources import ReplaySource`)."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'pipeline.sources' has no attribute {name!r}")
