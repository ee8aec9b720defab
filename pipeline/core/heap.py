"""Keeping what a process loads at start out of the garbage collector's full passes."""

import gc

YOUNG_THRESHOLD = 10_000   # net new containers before a young collection (Python's default is 700)


def freeze_loaded_objects() -> None:
    """Collect once, then freeze every object alive now (modules, models, word lists), so later full
    collections walk only what was made since instead of stalling for everything loaded at start."""
    gc.collect()
    gc.freeze()


def collect_young_less_often(threshold: int = YOUNG_THRESHOLD) -> None:
    """Raise the young generation's threshold to `threshold` (never lower it, and leave a disabled collector be).

    A batch of enriched documents holds thousands of short-lived containers that reference counting frees; at
    the default threshold the collector walks them again and again and finds no garbage."""
    young, older, oldest = gc.get_threshold()
    if 0 < young < threshold:
        gc.set_threshold(threshold, older, oldest)
