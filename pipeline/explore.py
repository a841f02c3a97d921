"""Helpers for analysts: load a run's outputs as typed frames and slice them.

    from pipeline import explore
    run = explore.load_run("data/output")
    explore.dimension_summary(run)
    explore.top_complaints(run, "tangibles", n=5)
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.errors import InputError

logger = logging.getLogger(__name__)

LABELS = ("positive", "neutral", "negative")
DIMENSION_LABELS = {
    "tangibles": "有形性",
    "reliability": "可靠性",
    "responsiveness": "响应性",
    "assurance": "保证性",
    "empathy": "关怀性",
    "price": "价格",
    "location": "位置",
    "product": "产品",
}


@dataclass
class Run:
    """One run's outputs: ``feedback`` (one row per review) and ``mentions`` (evidence rows)."""

    directory: Path
    feedback: pd.DataFrame
    mentions: pd.DataFrame
    rejects: pd.DataFrame

    @property
    def dimension_keys(self) -> list[str]:
        """The ``dim_<key>`` keys present, in file order."""
        return [c[4:] for c in self.feedback.columns if c.startswith("dim_")]


def default_output_dir() -> Path:
    """``$REVIEWS_OUTPUT_DIR`` when set, else the default run's ``data/output``."""
    env = os.environ.get("REVIEWS_OUTPUT_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data" / "output"


def load_run(directory: str | Path | None = None) -> Run:
    """Load a run's outputs with proper dtypes.

    Raises:
        InputError: the folder has no ``classified_feedback.parquet``.
    """
    d = Path(directory) if directory is not None else default_output_dir()
    fb_path = d / "classified_feedback.parquet"
    if not fb_path.is_file():
        raise InputError(f"no classified_feedback.parquet in {d}: run `python run.py` (or pass the output folder)")
    feedback = pd.read_parquet(fb_path)
    if "date" in feedback.columns:
        feedback["date"] = pd.to_datetime(feedback["date"].replace("", None), errors="coerce")
    if "rating" in feedback.columns:
        feedback["rating"] = pd.to_numeric(feedback["rating"].replace("", None), errors="coerce")
    mentions = pd.read_csv(d / "aspect_mentions.csv", encoding="utf-8-sig", keep_default_na=False, dtype={"review_id": "string"})
    rejects = pd.read_csv(d / "rejects.csv", encoding="utf-8-sig", keep_default_na=False, dtype="string")
    return Run(d, feedback, mentions, rejects)


def dimension_summary(run: Run) -> pd.DataFrame:
    """Per dimension: mentions, positive/neutral/negative counts and shares, net score."""
    rows = []
    for key in run.dimension_keys:
        col = run.feedback[f"dim_{key}"].fillna("")
        counts = {lab: int((col == lab).sum()) for lab in LABELS}
        n = sum(counts.values())
        rows.append(
            {
                "dimension": key,
                "label": DIMENSION_LABELS.get(key, key),
                "mentions": n,
                **counts,
                "positive_share": counts["positive"] / n if n else float("nan"),
                "negative_share": counts["negative"] / n if n else float("nan"),
                "net_score": (counts["positive"] - counts["negative"]) / n if n else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def top_complaints(run: Run, dimension: str, n: int = 10) -> pd.DataFrame:
    """The most negative clauses about one dimension, with their review and sub-aspect."""
    m = run.mentions
    sel = m[(m["dimension"] == dimension) & (m["polarity"] == "negative")].sort_values(["score", "review_id"])
    return sel.head(n)[["review_id", "sub_aspect", "clause", "score", "terms"]].reset_index(drop=True)
