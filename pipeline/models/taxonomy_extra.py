"""Write taxonomy_extra.json: per code its subtopics with a Dutch description and typical phrasings.

The enricher's taxonomy.json has codes, labels and keywords but no subtopic descriptions or phrasings;
this file adds them, taken from the team-written phrase files of the corpus.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.models.corpus_builder import TOPIC_CODES, corpus_dir, load_phrases
from pipeline.models.starter import taxonomy_document, taxonomy_labels

EXTRA_FILE = "taxonomy_extra.json"
PHRASINGS_PER_KIND = 3


def build_taxonomy_extra() -> dict[str, Any]:
    """The document: codes with labels, subtopics with label, description and typical phrasings."""
    phrases = load_phrases()
    labels = taxonomy_labels(taxonomy_document())
    topics = []
    for code in TOPIC_CODES:
        subtopics = []
        for sub_code, sub in phrases[code].items():
            phrasings: list[str] = []
            for kind in ("issues", "questions", "notes", "queries"):
                phrasings += [p.replace("{num}", "12") for p in sub.get(kind, [])[:PHRASINGS_PER_KIND]]
            subtopics.append({"code": sub_code, "label": sub["label"], "description": sub["description"],
                              "phrasings": phrasings})
        topics.append({"code": code, "label": labels[code], "subtopics": subtopics})
    return {
        "_about": "Subtopic descriptions and typical phrasings for the fixed topic codes, written by the Stadssignaal "
                  "team; generated from pipeline/models/corpus/phrases/*.json by pipeline.models.taxonomy_extra. "
                  "Subtopic codes match pipeline/enrich/data/taxonomy.json where that file has them.",
        "topics": topics,
    }


def extra_path() -> Path:
    """pipeline/models/taxonomy_extra.json."""
    return corpus_dir().parent / EXTRA_FILE


def write_taxonomy_extra(path: Path | None = None) -> Path:
    """Write the document as pretty JSON."""
    path = path or extra_path()
    path.write_text(json.dumps(build_taxonomy_extra(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
