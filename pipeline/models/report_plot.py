"""Draw a report's confusion matrix as a PNG with matplotlib (the Agg canvas, no pyplot or display needed)."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from pipeline.models.report import EvaluationReport

log = logging.getLogger(__name__)


def save_confusion_png(report: EvaluationReport, path: str | Path, title: str = "Confusion matrix") -> Path | None:
    """Write the confusion matrix (colour: share of the true label's rows) to `path`; None if matplotlib is absent."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        log.error("report: matplotlib is not installed; no confusion matrix PNG written (pip install matplotlib)")
        return None
    counts = np.asarray(report.confusion, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    size = max(5.0, 0.55 * len(report.labels) + 3.0)
    fig = Figure(figsize=(size + 1.5, size))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(report.labels)), labels=report.labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(report.labels)), labels=report.labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}\nmacro-F1 {report.macro_f1:.3f}, accuracy {report.accuracy:.3f}, n={report.n}")
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            if counts[i, j]:
                ax.text(j, i, str(int(counts[i, j])), ha="center", va="center", fontsize=7,
                        color="white" if shares[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of true label")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
