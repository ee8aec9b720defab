"""The model registry and retraining on corrections: a version is promoted only when it beats the current model
on held-back corrections; versions are listed, promoted by hand and rolled back."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli.main import main
from pipeline.models.registry import ModelRegistry, RegistryError
from pipeline.models.retrain import Example, retrain

T0 = 1_780_000_000.0
PHRASES = {
    "afval": ["container vol bij de flat", "vuilniszak niet opgehaald", "grofvuil staat al dagen op straat",
              "afvalbak puilt uit in het park", "glasbak zit propvol", "kliko niet geleegd deze week"],
    "parkeren": ["parkeervergunning verlopen wat nu", "auto ten onrechte beboet", "geen parkeerplek meer in de wijk",
                 "parkeerautomaat doet het niet", "bekeuring voor fout parkeren", "bezoekersvergunning parkeren kwijt"],
    "verkeer": ["omleiding door de wegwerkzaamheden", "file op de rondweg door werk", "stoplicht staat te lang op rood",
                "weg afgesloten zonder bord", "drempel veel te hoog voor fietsers", "kruispunt gevaarlijk voor kinderen"],
}
MOODS = {"negative": ["echt belachelijk dit", "waardeloos geregeld weer", "ik ben het zat, slecht"],
         "neutral": ["wanneer is dit klaar", "graag informatie over", "vraag over de planning"],
         "positive": ["top geregeld, dank", "heel fijn opgelost", "super snel geholpen, bedankt"]}


def topic_examples(n_per_label: int, was: str | None) -> list[Example]:
    """Corrections over three topics, in time order; `was` is what the pipeline had said (None: the truth)."""
    rows = []
    for k in range(n_per_label):
        for label, phrases in PHRASES.items():
            text = f"{phrases[k % len(phrases)]} {['vandaag', 'gisteren', 'al weken', 'weer'][k % 4]}"
            rows.append(Example(text, label, was if was is not None else label, T0 + 60 * len(rows)))
    return rows


def sentiment_examples(n_per_label: int) -> list[Example]:
    """Sentiment corrections that agree with what the pipeline said (it cannot be beaten on them)."""
    rows = []
    for k in range(n_per_label):
        for label, phrases in MOODS.items():
            text = f"{phrases[k % len(phrases)]} {['bij het station', 'in de wijk', 'op het plein', ''][k % 4]}"
            rows.append(Example(text, label, label, T0 + 60 * len(rows)))
    return rows


def test_registry_promote_list_and_rollback(tmp_path: Path) -> None:
    """Versions are numbered; promote moves CURRENT (its stamp changes); rollback walks back to the start."""
    registry = ModelRegistry(tmp_path / "models")
    assert registry.versions() == [] and registry.current_name() is None and registry.stamp() is None
    names = []
    for _ in range(3):
        name, path = registry.new_version()
        registry.record(name, {"topic": None, "sentiment": None}, {"note": "test"})
        names.append(name)
    assert names == ["v0001", "v0002", "v0003"]
    assert [v.name for v in registry.versions()] == names
    registry.promote("v0001")
    first = registry.stamp()
    registry.promote("v0003")
    assert registry.current_name() == "v0003" and registry.stamp() != first
    with pytest.raises(RegistryError, match="no model version 'v0009'"):
        registry.promote("v0009")
    assert registry.current_name() == "v0003"
    assert registry.rollback() == "v0001"
    assert registry.rollback() is None and registry.current_name() is None
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()
    assert [e["action"] for e in registry.history()] == ["promote", "promote", "rollback", "rollback"]


def test_retrain_promotes_only_a_better_candidate(tmp_path: Path) -> None:
    """Corrections where the pipeline was wrong: the topic candidate wins and is promoted, while sentiment (already
    right) keeps the pipeline's model. Retraining again on the same corrections cannot beat the new current
    version, so nothing is promoted."""
    registry = ModelRegistry(tmp_path / "models")
    examples = {"topic": topic_examples(20, was="overig"), "sentiment": sentiment_examples(12)}
    first = retrain(registry, examples, curve_points=(24,))
    topic, sentiment = first.tasks["topic"], first.tasks["sentiment"]
    assert topic.train_rows == 48 and topic.held_rows == 12
    assert topic.current_f1 == 0.0 and topic.candidate_f1 is not None and topic.candidate_f1 > 0.5
    assert topic.better and [n for n, _ in topic.curve] == [24, 48]
    assert sentiment.current_f1 == 1.0 and not sentiment.better
    assert first.promoted and registry.current_name() == "v0001"
    assert first.version.models["topic"] == registry.root / "v0001" / "topic"
    assert first.version.models["sentiment"] is None        # the pipeline's own sentiment stays

    second = retrain(registry, examples, curve_points=())
    assert second.tasks["topic"].current_source == "version v0001"
    assert second.tasks["topic"].candidate_f1 == second.tasks["topic"].current_f1
    assert not second.promoted and registry.current_name() == "v0001"
    assert second.version.models["topic"] == registry.root / "v0001" / "topic"   # carried, not replaced
    stored = json.loads((registry.root / "v0002" / "version.json").read_text())
    assert stored["better"] is False and stored["based_on"] == "v0001"


def test_too_few_corrections_are_reported_not_trained(tmp_path: Path) -> None:
    """Five corrections: nothing is trained, the reason is given and nothing is promoted."""
    registry = ModelRegistry(tmp_path / "models")
    result = retrain(registry, {"topic": topic_examples(2, was="overig")[:5]})
    assert "at least 20 are needed" in (result.tasks["topic"].skipped or "")
    assert not result.promoted and registry.current_name() is None


def test_models_commands(tmp_path: Path) -> None:
    """`models list`, `promote` and `rollback` on a registry with two versions."""
    registry = ModelRegistry(tmp_path / "models")
    for _ in range(2):
        name, _path = registry.new_version()
        registry.record(name, {"topic": None, "sentiment": None}, {"tasks": {}})
    cli = CliRunner()
    args = ["--registry", str(registry.root)]
    assert "No version is current" in cli.invoke(main, ["models", "list", *args]).output
    assert cli.invoke(main, ["models", "promote", "v0002", *args]).exit_code == 0
    listed = cli.invoke(main, ["models", "list", *args]).output
    assert "* v0002" in listed and "  v0001" in listed
    bad = cli.invoke(main, ["models", "promote", "v0007", *args])
    assert bad.exit_code != 0 and "no model version 'v0007'" in bad.output
    back = cli.invoke(main, ["models", "rollback", *args])
    assert back.exit_code == 0 and "models they were started with" in back.output
    assert registry.current_name() is None
