"""`train --task sentiment` end to end, its errors on bad files, and `--sentiment-model` in enrich and worker."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.metrics import f1_score

from pipeline.cli.main import main
from pipeline.cli.models import train
from pipeline.models.corpus_builder import corpus_dir
from pipeline.models.labelled_data import read_labelled_csv
from pipeline.models.model_dir import read_metadata
from pipeline.models.sentiment_model import load_sentiment_model
from pipeline.models.splitting import holdout_split

DUTCH = {"negative": "negatief", "neutral": "neutraal", "positive": "positief"}
PER_LABEL = 40


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """Write a CSV file."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def labelled_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hand-written corpus sentences (no noisy copies), 40 per label, labels in Dutch, own column names."""
    counts = dict.fromkeys(DUTCH, 0)
    rows: list[list[str]] = []
    with open(corpus_dir() / "sentiment.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            label, group = row["label"], row["subtopic"]
            if counts[label] < PER_LABEL and not any(r[2] == group for r in rows):
                counts[label] += 1
                rows.append([row["text"], DUTCH[label], group])
    return _write(tmp_path_factory.mktemp("data") / "berichten.csv", ["bericht", "sentiment", "zin"], rows)


def _train(labelled_csv: Path, out: Path, *extra: str) -> tuple[Path, str]:
    """Run `train --task sentiment`; return the model directory and the output."""
    result = CliRunner().invoke(train, ["--task", "sentiment", "--data", str(labelled_csv), "--out", str(out),
                                        "--text-column", "bericht", "--label-column", "sentiment", "--quiet", *extra])
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def trained(labelled_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The model `train --task sentiment` saves by default (refitted on every row after validation)."""
    return _train(labelled_csv, tmp_path_factory.mktemp("model") / "sentiment")


@pytest.fixture(scope="module")
def validated(labelled_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The model that was validated (`--no-refit-all`): fitted on the training part only."""
    return _train(labelled_csv, tmp_path_factory.mktemp("model") / "validated", "--no-refit-all")


def test_train_sentiment_writes_a_complete_model_directory(trained: tuple[Path, str]) -> None:
    out, output = trained
    for name in ("model.joblib", "metadata.json", "report.txt", "confusion.png"):
        assert (out / name).is_file(), name
    assert (out / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = read_metadata(out)
    assert meta["kind"] == "sentiment" and meta["labels"] == ["negative", "neutral", "positive"]
    assert meta["temperature"] >= 1.0 and meta["data"]["rows"] == 3 * PER_LABEL
    assert "Validation report" in output and "macro-F1" in output


def test_reported_macro_f1_matches_sklearn_on_the_held_out_rows(validated: tuple[Path, str],
                                                                 labelled_csv: Path) -> None:
    out, output = validated
    data = read_labelled_csv(labelled_csv, "bericht", "sentiment")
    split = holdout_split(data.labels, None)
    truth = [{v: k for k, v in DUTCH.items()}[data.labels[i]] for i in split.validation]
    model = load_sentiment_model(out)
    predicted = [label for label, _ in model.score_many([data.texts[i] for i in split.validation])]
    expected = f1_score(truth, predicted, average="macro")
    assert f"macro-F1: {expected:.3f}" in output
    assert read_metadata(out)["metrics"]["macro_f1"] == pytest.approx(expected, abs=5e-4)


def test_saved_model_is_refitted_on_every_row_by_default(trained: tuple[Path, str], validated: tuple[Path, str],
                                                          labelled_csv: Path) -> None:
    (refit, refit_output), (kept, kept_output) = trained, validated
    assert read_metadata(refit)["refit_on_all_rows"] is True and read_metadata(kept)["refit_on_all_rows"] is False
    assert "refitted on every row" in refit_output and "the model that was validated" in kept_output
    macro = re.compile(r"macro-F1: ([0-9.]+)")
    assert macro.findall(refit_output) == macro.findall(kept_output)   # one report: the held-out rows
    data = read_labelled_csv(labelled_csv, "bericht", "sentiment")
    held_out = holdout_split(data.labels, None).validation
    texts = [data.texts[i] for i in held_out]
    truth = [{v: k for k, v in DUTCH.items()}[data.labels[i]] for i in held_out]
    scores = {}
    for name, out in (("refit", refit), ("kept", kept)):
        predicted = [label for label, _ in load_sentiment_model(out).score_many(texts)]
        scores[name] = sum(p == t for p, t in zip(predicted, truth)) / len(truth)
    # the refitted model has seen the held-out rows, the validated one has not
    assert scores["refit"] > scores["kept"], scores


def test_enrich_uses_the_trained_sentiment_model(trained: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = trained
    texts = ["Geweldig hoor... Echt top service 🙄", "Dank jullie wel, super snel geholpen!",
             "Wanneer gaat de milieustraat open?"]
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps({"id": f"twitter:{i}", "channel": "twitter",
                                       "created_at": "2024-06-01T10:00:00+00:00", "text": t}) + "\n"
                           for i, t in enumerate(texts)), encoding="utf-8")
    result = CliRunner().invoke(main, ["enrich", "--input", str(raw), "--sentiment-model", str(out),
                                       "--dead-letters", str(tmp_path / "dead.jsonl")])
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    model = load_sentiment_model(out)
    assert [(d["sentiment"]["label"], d["sentiment"]["score"]) for d in docs] == model.score_many(
        [d["text"] for d in docs])


def test_worker_accepts_sentiment_model_and_refuses_a_bad_one(trained: tuple[Path, str], tmp_path: Path) -> None:
    help_text = CliRunner().invoke(main, ["worker", "--help"]).output
    assert "--sentiment-model" in help_text and "--topic-model" in help_text
    result = CliRunner().invoke(main, ["worker", "--sentiment-model", str(tmp_path / "nothing"), "--broker",
                                       "localhost:1"])
    assert result.exit_code == 2 and "cannot load the model" in result.output


def _train_error(tmp_path: Path, header: list[str], rows: list[list[str]], *extra: str) -> str:
    """Run `train --task sentiment` on a bad file; return its error output (the run must fail)."""
    path = _write(tmp_path / "bad.csv", header, rows)
    result = CliRunner().invoke(train, ["--task", "sentiment", "--data", str(path), "--out",
                                        str(tmp_path / "m"), "--quiet", *extra])
    assert result.exit_code != 0
    assert not (tmp_path / "m" / "model.joblib").exists()
    return result.output


def test_bad_files_give_errors_that_name_the_rows(tmp_path: Path) -> None:
    good = [[f"bericht nummer {i} over de {label} kant", label] for label in ("neg", "neu", "pos")
            for i in range(12)]
    rows = good[:5] + [["", "neg"], ["Echt fijn geholpen", "blij"]] + good[5:]
    output = _train_error(tmp_path, ["text", "label"], rows)
    assert "empty 'text' in row 7" in output                       # header is row 1
    assert "row 8 'blij'" in output and "unknown label" in output

    few = [[f"klacht {i}", "negative"] for i in range(12)] + [[f"vraag {i}", "neutral"] for i in range(12)] + [
        ["heel fijn", "positive"], ["top", "positive"], ["dank", "positive"]]
    output = _train_error(tmp_path, ["text", "label"], few)
    assert "label 'positive' has 3 row(s) (rows 26, 27, 28)" in output and "at least 10" in output

    output = _train_error(tmp_path, ["tekst", "label"], good)
    assert re.search(r"column\(s\) text not found; the file has: tekst, label", output)
