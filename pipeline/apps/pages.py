"""The shared page shell: every page's HTML file gets the same navigation and the municipality's name."""
from __future__ import annotations

import html
from functools import lru_cache

from pipeline.apps.static_files import STATIC_DIR

NAV: tuple[tuple[str, str], ...] = (
    ("/", "Live luisteren"),
    ("/dossiers", "Dossiers"),
    ("/nieuw", "Wat is nieuw"),
    ("/aandacht", "Aandacht nodig"),
    ("/digest", "Dagoverzicht"),
    ("/nakijken", "Nakijken"),
    ("/review", "Zoektermen"),
    ("/alerts", "Pieken"),
)


def nav_html(current: str) -> str:
    """The navigation links, the one for `current` (a path from NAV) marked as the current page."""
    mark = ' aria-current="page"'
    links = "".join(f'<a href="{href}" data-nav="{href}"{mark if href == current else ""}>{html.escape(text)}</a>'
                    for href, text in NAV)
    return f'<nav class="pages" aria-label="Pagina\'s">{links}</nav>'


@lru_cache(maxsize=64)
def page_html(file_name: str, municipality: str, current: str) -> str:
    """The static page `file_name` with {{nav}} and {{municipality}} filled in (cached per page and path)."""
    text = (STATIC_DIR / file_name).read_text(encoding="utf-8")
    return text.replace("{{nav}}", nav_html(current)).replace("{{municipality}}", html.escape(municipality))
