#!/usr/bin/env python3
"""Reproducibly (re)train the bundled starter models from the team-written corpus.

Usage: .venv/bin/python scripts/train_starter_model.py [--rebuild-corpus] [--out DIR] [--only topic|sentiment]
Writes pipeline/models/starter/topic and pipeline/models/starter/sentiment (or DIR/topic, DIR/sentiment).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.models.starter_training import train_starter_models


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, train, print the validation figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild-corpus", action="store_true",
                        help="regenerate corpus/topics.csv and corpus/sentiment.csv from the phrase files first")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: pipeline/models/starter)")
    parser.add_argument("--only", choices=("topic", "sentiment"), default=None, help="train only this model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    result = train_starter_models(rebuild_corpus=args.rebuild_corpus, out_dir=args.out, only=args.only)
    if result.topic is not None:
        print(result.topic.report_text)
        print(f"\nstarter topic model: {result.topic.directory} ({result.topic.seconds:.1f} s)")
    if result.sentiment_dir is not None:
        print(f"starter sentiment model: {result.sentiment_dir} "
              f"(5-fold CV macro-F1 on the team corpus: {result.sentiment_cv_macro_f1:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
