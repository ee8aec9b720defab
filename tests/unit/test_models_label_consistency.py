"""Label consistency: near-identical texts with different labels are counted, named by row, never quoted."""
from __future__ import annotations

import json

from pipeline.models import label_consistency as lc


def test_near_identical_texts_with_different_labels_are_counted() -> None:
    texts = ["auto staat op de stoep geparkeerd", "auto staat op de stoep geparkeerd",
             "lantaarnpaal brandt niet meer", "de lantaarnpaal brandt niet meer",
             "container zit vol met afval", "hond blaft de hele nacht door"]
    labels = ["parkeren", "overlast", "licht", "licht", "afval", "overlast"]
    result = lc.label_consistency(texts, labels, rows=[2, 3, 4, 5, 6, 7])
    assert result.compared_rows == 6
    assert result.near_duplicate_rows == 4          # the two parking rows and the two lamp rows
    assert result.differing_rows == 2               # both parking rows see a neighbour with another label
    assert result.differing_share == 0.5
    assert result.confused_pairs == [("overlast", "parkeren", 1)]
    assert result.examples == [(2, 3)]
    text = result.to_text()
    assert "50.0%" in text and "overlast / parkeren: 1" in text and "rows 2 and 3" in text


def test_consistent_labels_and_tiny_files_report_nothing_to_fix() -> None:
    same = lc.label_consistency(["put is verstopt", "put is verstopt", "boom is omgewaaid"], ["riool", "riool", "groen"])
    assert same.near_duplicate_rows == 2 and same.differing_rows == 0 and same.confused_pairs == []
    assert "0.0%" in same.to_text() and "agreeing" not in same.to_text()
    alone = lc.label_consistency(["een tekst"], ["a"])
    assert alone.near_duplicate_rows == 0 and "no two texts" in alone.to_text()


def test_metadata_holds_labels_and_row_numbers_but_no_text() -> None:
    result = lc.label_consistency(["Jan de Vries belt over zijn kliko", "Jan de Vries belt over zijn kliko"],
                                  ["afval", "dienstverlening"], rows=[10, 11])
    figures = json.dumps(result.to_dict())
    assert "Vries" not in figures and "kliko" not in figures and "Vries" not in result.to_text()
    assert result.to_dict()["example_rows"] == [[10, 11]]


def test_large_files_are_compared_on_a_sample(monkeypatch) -> None:
    monkeypatch.setattr(lc, "MAX_ROWS", 50)
    monkeypatch.setattr(lc, "MAX_BLOCK_CELLS", 500)    # several blocks of rows
    words = [f"{chr(97 + k % 26)}{chr(97 + k // 26)}x" for k in range(60)]
    texts = [f"melding over {words[i // 2]} in de straat" for i in range(120)]   # rows come in identical pairs
    labels = [("a" if i % 4 else "b") for i in range(120)]                    # pair 0 of every 4 rows differs
    result = lc.label_consistency(texts, labels)
    assert result.compared_rows == 50 and result.near_duplicate_rows > 0
    assert "a sample of 50 rows" in result.to_text()
    for a, b in result.examples:                                            # file row numbers of the same pair
        assert (a - 1) // 2 == (b - 1) // 2
