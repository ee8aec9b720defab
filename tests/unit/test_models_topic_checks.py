"""Topic training input checks, shorthand, the SVM + naive Bayes ensemble and the review threshold."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from pipeline.models.ensemble import SvmNbEnsemble, fit_temperature, softmax
from pipeline.models.labelled_data import LabelledDataError, read_labelled_csv
from pipeline.models.review import review_threshold_for
from pipeline.models.shorthand import expand_shorthand
from pipeline.models.text_features import NgramTfidf, words_of
from pipeline.models.topic_data import check_topic_data


def _write(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("text", "label")) -> Path:
    """A labelled CSV with the given (text, label) rows."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _rows(n: int, label: str) -> list[tuple[str, str]]:
    """n distinct texts of one label."""
    return [(f"melding {label} nummer {i}", label) for i in range(n)]


def test_empty_texts_rare_and_unknown_labels_are_left_out_with_their_rows_named(tmp_path: Path) -> None:
    rows = _rows(6, "afval") + [("", "afval")] + _rows(6, "groen") + _rows(2, "zeldzaam") + _rows(1, "Afvall")
    data = read_labelled_csv(_write(tmp_path / "m.csv", rows))
    assert data.skipped_rows == {"empty text": [8]}
    checked = check_topic_data(data, known_labels={"afval", "groen", "zeldzaam"}, min_rows_per_label=5)
    assert sorted(set(checked.data.labels)) == ["afval", "groen"]
    assert len(checked.data) == 12
    text = "\n".join(checked.warnings)
    assert "empty text in row 8" in text
    assert "'zeldzaam' has 2 row(s) (rows 15, 16)" in text
    assert "unknown label(s) 'Afvall' in row 17" in text
    assert checked.data.rows == [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14]


def test_too_few_rows_everywhere_is_an_error_naming_the_labels(tmp_path: Path) -> None:
    data = read_labelled_csv(_write(tmp_path / "m.csv", _rows(3, "afval") + _rows(6, "groen")))
    with pytest.raises(LabelledDataError, match=r"'afval' has 3 row\(s\) \(rows 2, 3, 4\)"):
        check_topic_data(data, min_rows_per_label=5)


def test_a_label_column_holding_text_is_refused(tmp_path: Path) -> None:
    rows = [(f"label {i}", f"een lange tekst nummer {i} over iets") for i in range(60)]
    data = read_labelled_csv(_write(tmp_path / "m.csv", rows))
    with pytest.raises(LabelledDataError, match="looks like text, not categories"):
        check_topic_data(data)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(LabelledDataError, match="categorie.*not found; the file has: text, label"):
        read_labelled_csv(_write(tmp_path / "m.csv", _rows(6, "afval")), label_column="categorie")


def test_call_note_shorthand_is_written_out() -> None:
    assert expand_shorthand(words_of("Mw belt i.v.m. lantaarnpaal, dhr zsm terugbellen")) == [
        "mevrouw", "belt", "in", "verband", "met", "lantaarnpaal", "meneer", "zo", "snel", "mogelijk", "terugbellen"]
    assert expand_shorthand(["a", "paal", "b"]) == ["a", "paal", "b"]
    assert expand_shorthand(["bel", "z", "s", "m"]) == ["bel", "zo", "snel", "mogelijk"]
    assert expand_shorthand(["x", "y", "paal", "s", "mw"]) == ["xy", "paal", "s", "mevrouw"]
    features = NgramTfidf(word_ngrams=(1, 1), char_ngrams=None, min_df=1, shorthand=True).fit(["mevrouw belt"])
    assert features.transform(["mw belt"]).toarray().tolist() == features.transform(["mevrouw belt"]).toarray().tolist()


def test_old_pickled_features_without_the_shorthand_option_still_load() -> None:
    features = NgramTfidf(min_df=1).fit(["de lamp brandt niet"])
    state = features.__getstate__()
    state.pop("shorthand")
    restored = NgramTfidf.__new__(NgramTfidf)
    restored.__setstate__(state)
    assert restored.shorthand is False
    assert (restored.transform(["lamp"]) != features.transform(["lamp"])).nnz == 0


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 4))
    truth = np.array([rng.choice(4, p=p) for p in softmax(logits / 2.0)])
    assert fit_temperature(logits, truth) == pytest.approx(2.0, rel=0.15)


def test_ensemble_probabilities_are_calibrated_out_of_fold() -> None:
    rng = np.random.default_rng(1)
    n, classes = 900, ["a", "b", "c"]
    y = np.array([classes[i % 3] for i in range(n)])
    dense = rng.random((n, 30)) * 0.2
    for i, label in enumerate(y):
        dense[i, classes.index(label) * 10 + rng.integers(0, 10)] += rng.random() * 0.5
    x = sp.csr_matrix(dense)
    model = SvmNbEnsemble(C=0.5, folds=3).fit(x, y)
    proba = model.predict_proba(x)
    assert proba.shape == (n, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(model.classes_) == classes
    assert (model.predict(x) == y).mean() > 0.6  # chance is 1/3
    assert len(model.oof_confidence_) == n
    gap = abs(model.oof_confidence_.mean() - model.oof_correct_.mean())
    assert gap < 0.05


def test_review_threshold_is_the_lowest_confidence_with_accurate_rows_above() -> None:
    confidence = np.linspace(0.0, 1.0, 201)
    correct = confidence >= 0.5
    threshold = review_threshold_for(confidence, correct, target=0.8)
    above = correct[confidence >= threshold].mean()
    assert above >= 0.8 and correct[confidence >= threshold - 0.02].mean() < 0.8
    assert review_threshold_for(confidence[:10], correct[:10], fallback=0.4) == 0.4


def test_date_split_trains_before_and_validates_from_the_date() -> None:
    from datetime import datetime

    from pipeline.models.splitting import date_split

    times = [datetime(2024, m, 15) for m in (6, 11, 7, 12, 10)]
    split = date_split(times, datetime(2024, 11, 1))
    assert (split.train, split.validation, split.method) == ([0, 2, 4], [1, 3], "date")
    with pytest.raises(ValueError, match="leaves 5 training and 0 validation rows"):
        date_split(times, datetime(2025, 1, 1))


def test_tuning_tries_the_smaller_c_values_for_the_ensemble_and_the_full_grid_for_the_svm() -> None:
    from pipeline.models.topic_classifier import C_GRID, ENSEMBLE_C_GRID, merged_params, tune_c

    texts = [f"kliko niet geleegd in straat {i}" for i in range(15)] + [f"lantaarnpaal kapot bij nummer {i}"
                                                                          for i in range(15)]
    labels = ["afval"] * 15 + ["licht"] * 15
    best, scores = tune_c(texts, labels, None, merged_params(None))
    assert best in ENSEMBLE_C_GRID and set(scores) == {str(c) for c in ENSEMBLE_C_GRID}
    _, scores = tune_c(texts, labels, None, merged_params({"classifier": "svm"}))
    assert set(scores) == {str(c) for c in C_GRID}


def test_sqrt_class_weights_soften_balanced_weights_and_unknown_modes_are_refused() -> None:
    from pipeline.models.class_weights import resolve_class_weight
    from pipeline.models.topic_classifier import merged_params

    weights = resolve_class_weight("sqrt", ["a"] * 8 + ["b"] * 2)
    assert weights == pytest.approx({"a": (10 / 16) ** 0.5, "b": (10 / 4) ** 0.5})
    assert resolve_class_weight("balanced", ["a", "b"]) == "balanced"
    assert resolve_class_weight(None, ["a", "b"]) is None
    with pytest.raises(ValueError, match="unknown class_weight"):
        merged_params({"class_weight": "square"})


def test_the_ensemble_and_the_calibrated_svm_train_with_sqrt_class_weights() -> None:
    from pipeline.models.topic_classifier import build_pipeline, merged_params

    texts = [f"kliko niet geleegd in straat {i}" for i in range(24)] + [f"lantaarnpaal kapot bij nummer {i}"
                                                                          for i in range(6)]
    labels = ["afval"] * 24 + ["licht"] * 6
    for classifier in ("svm+nb", "svm"):
        pipeline = build_pipeline(merged_params({"classifier": classifier}), labels).fit(texts, labels)
        assert list(pipeline.predict(["lantaarnpaal kapot", "kliko niet geleegd"])) == ["licht", "afval"]


def test_calibrated_svm_gets_sqrt_weights_whichever_label_form_each_fit_sees() -> None:
    from pipeline.models.class_weights import resolve_class_weight
    from pipeline.models.topic_classifier import build_pipeline, merged_params

    both = resolve_class_weight("sqrt", ["b"] * 8 + ["a"] * 2, encoded_too=True)
    assert both == pytest.approx({"a": (10 / 4) ** 0.5, "b": (10 / 16) ** 0.5, 0: (10 / 4) ** 0.5, 1: (10 / 16) ** 0.5})
    with pytest.raises(ValueError, match="string labels"):
        resolve_class_weight("sqrt", [3, 1, 2], encoded_too=True)
    texts = [f"kliko niet geleegd in straat {i}" for i in range(24)] + [f"lantaarnpaal kapot bij nummer {i}"
                                                                          for i in range(6)]
    labels = ["afval"] * 24 + ["licht"] * 6
    # the sigmoid and isotonic methods fit the final SVM on the labels themselves, the folds on encoded labels
    for method in ("temperature", "sigmoid", "isotonic"):
        pipeline = build_pipeline(merged_params({"classifier": "svm", "calibration": method}), labels)
        pipeline.fit(texts, labels)
        svm = pipeline.named_steps["classifier"].calibrated_classifiers_[0].estimator
        assert svm.class_weight["licht"] == svm.class_weight[1] == pytest.approx((30 / 12) ** 0.5), method
        assert list(pipeline.predict(["lantaarnpaal kapot", "kliko niet geleegd"])) == ["licht", "afval"]
