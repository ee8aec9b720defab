"""Small topic model versions in a registry, for the hot-reload tests."""
from __future__ import annotations

import csv
from pathlib import Path

from pipeline.models.registry import ModelRegistry
from pipeline.models.training import train_topic_model

TEXTS = {"afval": ["container vol", "vuilniszak niet opgehaald", "grofvuil op straat", "glasbak propvol",
                   "kliko niet geleegd", "afvalbak puilt uit"],
         "parkeren": ["parkeervergunning verlopen", "ten onrechte beboet", "geen parkeerplek", "parkeerautomaat stuk",
                      "bekeuring fout parkeren", "bezoekersvergunning kwijt"]}


def make_version(registry: ModelRegistry, workdir: Path, name: str) -> str:
    """Record a version with a small topic model whose version string starts with `name`; its version name."""
    data = workdir / f"{name}.csv"
    with open(data, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for label, texts in TEXTS.items():
            for k, text in enumerate(texts * 2):
                writer.writerow([f"{text} {k}", label])
    version, path = registry.new_version()
    train_topic_model(data, path / "topic", tune=False, progress=False, name=name)
    registry.record(version, {"topic": path / "topic", "sentiment": None}, {})
    return version
