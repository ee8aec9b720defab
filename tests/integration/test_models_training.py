"""`train` and `evaluate` end to end on a slice of the team corpus, with the report recomputed independently."""
from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from pipeline.cli.models import evaluate, train
from pipeline.models.model_dir import ModelDirError, load_topic_model, save_model_dir
from pipeline.models.starter import corpus_topics_path
from pipeline.models.topic_classifier import build_pipeline, merged_params

CODES = ("afval", "parkeren", "burgerzaken", "zorg")
PER_CODE = 45


@pytest.fixture(scope="module")
def labelled_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small labelled CSV cut from the team corpus: four codes, 45 rows each, with a time column."""
    rows: list[dict[str, str]] = []
    counts = dict.fromkeys(CODES, 0)
    with open(corpus_topics_path(), encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["label"] in counts and counts[row["label"]] < PER_CODE:
                counts[row["label"]] += 1
                rows.append({"created": row["created"], "label": row["label"], "text": row["text"]})
    path = tmp_path_factory.mktemp("data") / "meldingen.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["created", "label", "text"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def trained(labelled_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Run `train` once with a time column, keeping the validated model; return its directory and the output."""
    out = tmp_path_factory.mktemp("model") / "m"
    result = CliRunner().invoke(train, ["--data", str(labelled_csv), "--out", str(out), "--time-column", "created",
                                        "--name", "testmodel", "--quiet", "--no-refit-all"])
    assert result.exit_code == 0, result.output
    return out, result.output


def _newest_fifth(path: Path) -> list[dict[str, str]]:
    """The validation part computed here, independently: rows sorted by time, the newest 20 %."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["created"], i))
    return [rows[i] for i in order[len(rows) - round(len(rows) * 0.2):]]


def test_train_writes_a_complete_model_directory(trained: tuple[Path, str], labelled_csv: Path) -> None:
    out, output = trained
    for name in ("model.joblib", "metadata.json", "report.txt", "confusion.png"):
        assert (out / name).is_file(), name
    assert (out / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["labels"] == sorted(CODES)
    assert meta["version"].startswith("testmodel-")
    assert re.match(r"\d{4}-\d{2}-\d{2}T", meta["created"])
    assert meta["data"]["sha256"] == hashlib.sha256(labelled_csv.read_bytes()).hexdigest()
    assert meta["data"]["rows"] == PER_CODE * len(CODES)
    assert meta["model_sha256"] == hashlib.sha256((out / "model.joblib").read_bytes()).hexdigest()
    assert meta["split"]["method"] == "time"
    assert meta["params"]["C"] in (0.1, 0.2, 0.5)
    assert "macro-F1" in output and "Confusion matrix" in output


def test_reported_numbers_match_an_independent_computation(trained: tuple[Path, str], labelled_csv: Path) -> None:
    out, _ = trained
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    validation = _newest_fifth(labelled_csv)
    truth = [r["label"] for r in validation]
    predicted, _ = load_topic_model(out).classify([r["text"] for r in validation])
    metrics = meta["metrics"]
    assert metrics["n"] == len(validation)
    assert metrics["macro_f1"] == pytest.approx(f1_score(truth, predicted, average="macro"), abs=1e-4)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(truth, predicted), abs=1e-4)
    labels = metrics["labels"]
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    for i, row in enumerate(metrics["per_class"]):
        assert row["label"] == labels[i]
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(
            (p[i], r[i], f[i], s[i]), abs=1e-4)
    assert metrics["confusion"] == confusion_matrix(truth, predicted, labels=labels).tolist()
    assert sum(b["count"] for b in metrics["reliability"]) == len(validation)


def test_evaluate_prints_the_same_macro_f1_as_sklearn(trained: tuple[Path, str], labelled_csv: Path) -> None:
    out, _ = trained
    result = CliRunner().invoke(evaluate, ["--model", str(out), "--data", str(labelled_csv)])
    assert result.exit_code == 0, result.output
    with open(labelled_csv, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    predicted, _ = load_topic_model(out).classify([r["text"] for r in rows])
    expected = f1_score([r["label"] for r in rows], predicted, average="macro")
    assert f"macro-F1: {expected:.3f}" in result.output


def test_the_saved_topic_model_learns_the_newest_rows_unless_told_not_to(labelled_csv: Path, tmp_path: Path) -> None:
    with open(labelled_csv, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    newest = max(r["created"] for r in rows)
    texts = ("zonnepanelen op het dak van de sporthal", "subsidie voor zonnepanelen aanvragen", "zonnepaneel kapot",
             "hoeveel zonnepanelen mogen op een monument", "zonnepanelen en de buren", "terugleveren zonnepanelen",
             "zonnepanelen op de school", "vraag over zonnepanelen", "zonnepanelen geplaatst zonder melding",
             "zonnepanelen in de wijk")
    rows += [{"created": newest, "label": "energie", "text": text} for text in texts]   # only in the newest fifth
    path = tmp_path / "newest.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["created", "label", "text"])
        writer.writeheader()
        writer.writerows(rows)
    common = ["--data", str(path), "--time-column", "created", "--no-tune", "--no-baseline", "--quiet"]
    refit = CliRunner().invoke(train, [*common, "--out", str(tmp_path / "refit")])
    kept = CliRunner().invoke(train, [*common, "--out", str(tmp_path / "kept"), "--no-refit-all"])
    assert refit.exit_code == 0 and kept.exit_code == 0, refit.output + kept.output
    assert json.loads((tmp_path / "refit" / "metadata.json").read_text())["refit_on_all_rows"] is True
    assert "energie" in load_topic_model(tmp_path / "refit").codes
    assert load_topic_model(tmp_path / "refit").classify(["zonnepanelen op het dak"])[0] == ["energie"]
    assert "energie" not in load_topic_model(tmp_path / "kept").codes


def test_stratified_split_without_time_column_and_clear_errors(labelled_csv: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(train, ["--data", str(labelled_csv), "--out", str(tmp_path / "s"), "--no-tune", "--quiet"])
    assert ok.exit_code == 0, ok.output
    assert json.loads((tmp_path / "s" / "metadata.json").read_text())["split"]["method"] == "stratified"
    bad = runner.invoke(train, ["--data", str(labelled_csv), "--out", str(tmp_path / "x"), "--label-column", "nope"])
    assert bad.exit_code != 0 and "nope" in bad.output and "Traceback" not in bad.output


def test_save_load_round_trip_gives_identical_predictions(labelled_csv: Path, tmp_path: Path) -> None:
    with open(labelled_csv, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts, labels = [r["text"] for r in rows], [r["label"] for r in rows]
    pipeline = build_pipeline(merged_params(None), labels).fit(texts, labels)
    save_model_dir(tmp_path / "m", pipeline, {"format": "stadssignaal-topic-model/1", "version": "rt-1"})
    loaded = load_topic_model(tmp_path / "m")
    probe = texts[:20] + ["iets heel anders", ""]
    np.testing.assert_array_equal(loaded.predict_proba(probe), pipeline.predict_proba(probe))
    ranked = loaded.predict(probe[:1])[0]
    assert ranked[0][0] in CODES and ranked[0][2] >= ranked[1][2] >= ranked[2][2]


def test_damaged_or_foreign_model_directories_are_refused(trained: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = trained
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "metadata.json").write_bytes((out / "metadata.json").read_bytes())
    (copy / "model.joblib").write_bytes((out / "model.joblib").read_bytes() + b"x")
    with pytest.raises(ModelDirError, match="SHA-256"):
        load_topic_model(copy)
    with pytest.raises(ModelDirError):
        load_topic_model(tmp_path / "missing")


def test_report_shows_the_char_baseline_and_a_calibrated_review_threshold(trained: tuple[Path, str]) -> None:
    out, output = trained
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert "baseline on the same split, char_wb 2-5 TF-IDF + logistic regression" in output
    assert 0.0 <= meta["baseline"]["macro_f1"] <= 1.0
    assert meta["review_threshold_method"].startswith("calibrated")
    assert f"needs_review (confidence < {meta['review_threshold']:.2f})" in output
    assert load_topic_model(out).review_threshold == meta["review_threshold"]


def test_bad_rows_are_named_and_training_goes_on(labelled_csv: Path, tmp_path: Path) -> None:
    with open(labelled_csv, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    other = next(code for code in CODES if code != rows[0]["label"])
    rows.insert(0, {**rows[0], "label": other})     # the same text under another label: file rows 2 and 3
    rows.insert(3, {"created": rows[3]["created"], "label": "afval", "text": "  "})
    rows += [{"created": rows[0]["created"], "label": "zeldzaam", "text": f"iets zeldzaams {i}"} for i in range(2)]
    path = tmp_path / "bad.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["created", "label", "text"])
        writer.writeheader()
        writer.writerows(rows)
    result = CliRunner().invoke(train, ["--data", str(path), "--out", str(tmp_path / "m"), "--no-tune", "--quiet",
                                        "--no-baseline", "--labels", ",".join(CODES)])
    assert result.exit_code == 0, result.output
    assert "empty text in row 5: left out" in result.output
    assert f"unknown label(s) 'zeldzaam' in rows {len(rows)}, {len(rows) + 1}: left out" in result.output
    meta = json.loads((tmp_path / "m" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["labels"] == sorted(CODES) and len(meta["data"]["warnings"]) == 2
    consistency = meta["data"]["label_consistency"]
    assert consistency["differing_rows"] >= 2 and consistency["example_rows"][0] == [2, 3]
    assert "Label consistency:" in result.output and "carry a different label" in result.output
    few = CliRunner().invoke(train, ["--data", str(path), "--out", str(tmp_path / "x"), "--quiet",
                                     "--min-rows-per-label", "1000"])
    assert few.exit_code != 0 and "needs at least 1000" in few.output and "Traceback" not in few.output
