"""Keeping what a process loads at start out of the garbage collector's full passes."""

import gc


def freeze_loaded_objects() -> None:
    """Collect once, then freeze every object alive now (modules, models, word lists), so later full
    collections walk only what was made since instead of stalling for everything loaded at start."""
    gc.collect()
    gc.freeze()
