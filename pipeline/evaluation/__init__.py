"""Scoring pipeline outputs against labelled data (aspect-labelled reviews, ...)."""

from pipeline.evaluation.dimensions import (
    DimensionMapping,
    evaluate_dimensions,
    format_report,
    gold_dimensions,
    load_mapping,
    score_dimensions,
)

__all__ = ["DimensionMapping", "evaluate_dimensions", "format_report", "gold_dimensions", "load_mapping", "score_dimensions"]
