"""The short-text memo of the enricher: computed once per short text, bounded, and invisible in the output."""
from __future__ import annotations

from datetime import datetime, timezone

from pipeline.core.settings import Settings
from pipeline.core.signal import RawSignal
from pipeline.enrich import Enricher
from pipeline.enrich.short_texts import ShortTextMemo


def test_memo_computes_each_short_text_once_and_long_texts_every_time() -> None:
    calls: list[str] = []

    def compute(text: str) -> str:
        calls.append(text)
        return text.upper()

    memo: ShortTextMemo[str] = ShortTextMemo(max_chars=5, max_entries=10)
    assert [memo.get(t, compute) for t in ("ab", "ab", "abcdefg", "abcdefg")] == ["AB", "AB", "ABCDEFG", "ABCDEFG"]
    assert calls == ["ab", "abcdefg", "abcdefg"] and len(memo) == 1


def test_memo_stays_bounded_and_keeps_nothing_when_compute_fails() -> None:
    memo: ShortTextMemo[int] = ShortTextMemo(max_chars=10, max_entries=3)
    for n in range(10):
        memo.get(str(n), len)
    assert len(memo) <= 3

    def explode(text: str) -> int:
        raise RuntimeError("bug")

    try:
        memo.get("x", explode)
    except RuntimeError:
        pass
    assert memo.get("x", len) == 1


def test_repeated_short_texts_give_equal_but_independent_documents() -> None:
    moment = datetime(2024, 6, 1, 10, 0, tzinfo=timezone.utc)
    searches = [RawSignal(f"site_search:{n}", "site_search", moment, "paspoort 06-12345678",
                          meta={"results": n % 2, "note": "dhr. Jansen"}) for n in range(3)]
    memoised = Enricher(Settings()).enrich_many(searches)
    fresh = [Enricher(Settings()).enrich_many([s])[0] for s in searches]
    for a, b in zip(memoised, fresh):
        a.pop("enriched_at"), b.pop("enriched_at")
    assert memoised == fresh
    assert memoised[0]["pii"] == ["name", "phone"] and "06-12345678" not in memoised[0]["text"]
    memoised[0]["pii"].append("changed")
    memoised[0]["meta"]["note"] = "changed"
    assert memoised[1]["pii"] == ["name", "phone"] and memoised[1]["meta"]["note"] == "dhr. [naam]"
