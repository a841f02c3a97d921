"""Score review-level dimension predictions against aspect-labelled reviews.

Labelled files have one column per aspect coded 1 positive, 0 neutral, -1 negative and
-2 not mentioned (the AI Challenger 2018 / ASAP format). A mapping groups aspect columns into
dimension keys. A review mentions a dimension when any of its columns is not -2; its gold
polarity is positive or negative when its non-neutral columns agree, ``mixed`` when they
disagree, ``neutral`` when all are 0.

Predictions are a frame with one row per (review, dimension): ``review_id``, ``dimension``,
``polarity`` (the ``dim_<key>`` value). Per dimension the report gives precision, recall and
F1 of mentions, and polarity accuracy on reviews both predicted and gold positive/negative.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from pipeline.errors import ConfigError

logger = logging.getLogger(__name__)

NOT_MENTIONED = -2
MAPPING_KEYS = ("dimensions", "also_counts", "macro")


@dataclass(frozen=True)
class DimensionMapping:
    """Which label columns make up each dimension.

    Attributes:
        columns: dimension key -> aspect columns.
        also_counts: dimension key -> other predicted dimensions that count as a hit for it.
        macro: dimensions averaged into the headline figures.
    """

    columns: dict[str, list[str]]
    also_counts: dict[str, list[str]] = field(default_factory=dict)
    macro: list[str] = field(default_factory=list)


def load_mapping(source: str | Path | dict) -> DimensionMapping:
    """Read a mapping from a YAML file or a dict (see ``configs/mappings/aic2018.yaml``).

    Raises:
        ConfigError: the file is missing or the mapping is malformed.
    """
    where = None
    if not isinstance(source, dict):
        where = str(source)
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"mapping file not found: {path}", source=None)
        try:
            source = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"not valid YAML: {exc}", source=where) from exc
    problems = [f"[{k}] unknown key; allowed: {list(MAPPING_KEYS)}" for k in source if k not in MAPPING_KEYS]
    cols = source.get("dimensions")
    if not isinstance(cols, dict) or not cols:
        problems.append("[dimensions] expected a mapping of dimension key -> list of label columns")
        cols = {}
    for key, value in cols.items():
        if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
            problems.append(f"[dimensions -> {key}] expected a non-empty list of column names, got {value!r}")
    also = source.get("also_counts") or {}
    macro = source.get("macro") or [k for k in ("tangibles", "responsiveness", "empathy") if k in cols]
    for key in list(also) + list(macro):
        if key not in cols:
            problems.append(f"[{key}] is not a key of 'dimensions' ({list(cols)})")
    if problems:
        raise ConfigError(problems, source=where)
    return DimensionMapping({k: list(v) for k, v in cols.items()}, {k: list(v) for k, v in also.items()}, list(macro))


def gold_dimensions(labels: pd.DataFrame, mapping: DimensionMapping, id_column: str = "id") -> pd.DataFrame:
    """One row per (review, dimension) the labels say is mentioned.

    Args:
        labels: the labelled frame (id column plus aspect columns).
        mapping: dimension -> columns; columns absent from ``labels`` are skipped.
        id_column: the review id column.

    Returns:
        Frame with ``review_id``, ``dimension``, ``polarity`` (positive / negative / neutral /
        mixed).

    Raises:
        ConfigError: the id column or every column of a dimension is missing.
    """
    if id_column not in labels.columns:
        raise ConfigError(f"labels have no id column {id_column!r}; columns are {list(labels.columns)}")
    ids = labels[id_column].astype(str).tolist()
    rows: list[tuple[str, str, str]] = []
    for dim, wanted in mapping.columns.items():
        present = [c for c in wanted if c in labels.columns]
        if not present:
            raise ConfigError(f"[dimensions -> {dim}] none of the columns {wanted} is in the labels; columns are {list(labels.columns)}")
        values = labels[present].astype(int).to_numpy()
        for rid, row in zip(ids, values):
            mentioned = [v for v in row if v != NOT_MENTIONED]
            if not mentioned:
                continue
            signs = {v for v in mentioned if v in (1, -1)}
            polarity = "mixed" if len(signs) == 2 else "positive" if signs == {1} else "negative" if signs == {-1} else "neutral"
            rows.append((rid, dim, polarity))
    return pd.DataFrame(rows, columns=["review_id", "dimension", "polarity"])


def score_dimensions(gold: pd.DataFrame, predictions: pd.DataFrame, mapping: DimensionMapping, review_ids: list[str]) -> pd.DataFrame:
    """Precision, recall, F1 and polarity accuracy per dimension.

    Args:
        gold: output of :func:`gold_dimensions`.
        predictions: ``review_id``, ``dimension``, ``polarity`` per predicted mention.
        mapping: the dimension mapping (``also_counts`` widens what counts as a hit).
        review_ids: every evaluated review (predictions for other ids are ignored).

    Returns:
        One row per mapped dimension plus ``macro`` (mean F1 and pooled polarity accuracy over
        ``mapping.macro``), columns ``gold``, ``predicted``, ``hits``, ``precision``,
        ``recall``, ``f1``, ``polarity_n``, ``polarity_accuracy``.
    """
    ids = set(map(str, review_ids))
    pred = predictions.assign(review_id=predictions["review_id"].astype(str))
    pred = pred[pred["review_id"].isin(ids)]
    pred_by_dim: dict[str, dict[str, str]] = {}
    for rid, dim, pol in zip(pred["review_id"], pred["dimension"], pred["polarity"]):
        pred_by_dim.setdefault(str(dim), {})[rid] = str(pol)
    rows = []
    pooled_n = pooled_ok = 0
    for dim in mapping.columns:
        g = gold[gold["dimension"] == dim]
        gold_pol = dict(zip(g["review_id"].astype(str), g["polarity"]))
        predicted = dict(pred_by_dim.get(dim, {}))
        for other in mapping.also_counts.get(dim, []):
            for rid, pol in pred_by_dim.get(other, {}).items():
                predicted.setdefault(rid, pol)
        hits = [rid for rid in predicted if rid in gold_pol]
        precision = len(hits) / len(predicted) if predicted else 0.0
        recall = len(hits) / len(gold_pol) if gold_pol else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        judged = [rid for rid in hits if gold_pol[rid] in ("positive", "negative")]
        ok = sum(predicted[rid] == gold_pol[rid] for rid in judged)
        if dim in mapping.macro:
            pooled_n += len(judged)
            pooled_ok += ok
        rows.append(
            {
                "dimension": dim,
                "gold": len(gold_pol),
                "predicted": len(predicted),
                "hits": len(hits),
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "polarity_n": len(judged),
                "polarity_accuracy": ok / len(judged) if judged else float("nan"),
            }
        )
    report = pd.DataFrame(rows).set_index("dimension")
    macro = report.loc[[d for d in mapping.macro if d in report.index]]
    report.loc["macro"] = {
        "gold": macro["gold"].sum(),
        "predicted": macro["predicted"].sum(),
        "hits": macro["hits"].sum(),
        "precision": macro["precision"].mean(),
        "recall": macro["recall"].mean(),
        "f1": macro["f1"].mean(),
        "polarity_n": pooled_n,
        "polarity_accuracy": pooled_ok / pooled_n if pooled_n else float("nan"),
    }
    return report


def evaluate_dimensions(labels: pd.DataFrame, predictions: pd.DataFrame, mapping: DimensionMapping | str | Path | dict, id_column: str = "id") -> pd.DataFrame:
    """Score predictions against a labelled frame in one call (see :func:`score_dimensions`)."""
    if not isinstance(mapping, DimensionMapping):
        mapping = load_mapping(mapping)
    gold = gold_dimensions(labels, mapping, id_column)
    return score_dimensions(gold, predictions, mapping, labels[id_column].astype(str).tolist())


def format_report(report: pd.DataFrame, title: str = "") -> str:
    """A fixed-width text table of :func:`score_dimensions` output."""
    lines = [title] if title else []
    lines.append(f"{'dimension':<15}{'gold':>6}{'pred':>6}{'hits':>6}{'P':>7}{'R':>7}{'F1':>7}{'pol_n':>7}{'pol_acc':>9}")
    for dim, r in report.iterrows():
        acc = "-" if pd.isna(r["polarity_accuracy"]) else f"{r['polarity_accuracy']:.3f}"
        lines.append(
            f"{dim:<15}{int(r['gold']):>6}{int(r['predicted']):>6}{int(r['hits']):>6}"
            f"{r['precision']:>7.3f}{r['recall']:>7.3f}{r['f1']:>7.3f}{int(r['polarity_n']):>7}{acc:>9}"
        )
    return "\n".join(lines)
