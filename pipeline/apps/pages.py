"""The shared page shell: every page is `shell.html` (head, top bar, navigation) followed by its own body file."""
from __future__ import annotations

import html
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PageHead:
    """What differs between pages above their body: title, section in the top bar, page assets, first status."""

    title: str
    section: str
    assets: tuple[str, ...]
    live_text: str = "Laden…"


PAGES: dict[str, PageHead] = {
    "index.html": PageHead("", "Live luisteren", ("js/app.js",), "Verbinden…"),
    "advisers.html": PageHead("", "Communicatie", ("js/advisers.js",)),
    "alerts.html": PageHead("Pieken", "Piekdienst", ("js/alerts.js",)),
    "corrections.html": PageHead("Nakijken", "Nakijken", ("js/corrections.js",)),
    "review.html": PageHead("Zoektermen zonder resultaat", "Webteam", ("review.css", "js/review.js")),
}


def _asset_tag(asset: str) -> str:
    """A stylesheet link or a module script for a file under /static."""
    if asset.endswith(".css"):
        return f'  <link rel="stylesheet" href="/static/{asset}">'
    return f'  <script type="module" src="/static/{asset}"></script>'


@lru_cache(maxsize=64)
def page_html(file_name: str, municipality: str, current: str) -> str:
    """The shell with the head of `file_name` and its body, navigation and municipality filled in (cached)."""
    head = PAGES[file_name]
    shell = (STATIC_DIR / "shell.html").read_text(encoding="utf-8")
    body = (STATIC_DIR / file_name).read_text(encoding="utf-8")
    text = (shell.replace("{{title}}", f"Stadssignaal · {head.title} · " if head.title else "Stadssignaal · ")
            .replace("{{assets}}", "\n".join(_asset_tag(a) for a in head.assets))
            .replace("{{section}}", html.escape(head.section)).replace("{{live_text}}", html.escape(head.live_text))
            + body)
    return text.replace("{{nav}}", nav_html(current)).replace("{{municipality}}", html.escape(municipality))
