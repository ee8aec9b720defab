"""Where the web apps' scripts, styles and images live: one folder, served under /static by the dashboard."""
from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
