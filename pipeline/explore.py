"""Helpers for analysts: load a run's outputs as typed frames, slice them, tabulate and plot.

    from pipeline import explore
    run = explore.load_run()                          # or explore.load_store() for all runs
    explore.dimension_summary(run)                    # which dimension is weak
    explore.by_store(run)                             # ... in which hotel or store
    explore.trend(run, by="week", dimension="responsiveness")    # ... since when
    explore.quotes(run, "responsiveness", "negative", n=5)       # ... and what they said
    explore.plot_trend(run, by="month")               # SVG chart, Chinese labels as text

Every helper takes a :class:`Run`: a whole run, the cumulative store, or a slice from
:func:`select` (by store, source, dimension, sub-aspect, period, rating, topic, sentiment).
Exact duplicates are left out, as in the report (``load_run(include_duplicates=True)``
keeps them). The code lives in ``explore_frames`` (loading, slicing), ``explore_analysis``
(tables), ``explore_plots`` (charts) and ``explore_rerun`` (tune a config and rerun).
"""

from __future__ import annotations

import logging

from pipeline.explore_analysis import (
    by_store,
    compare,
    dimension_summary,
    period_label,
    quotes,
    search,
    since_when,
    sub_aspect_summary,
    top_complaints,
    topic_table,
    trend,
)
from pipeline.explore_frames import (
    DIMENSION_LABELS,
    LABEL_DTYPE,
    LABELS,
    POLARITY_LABELS,
    PRIORITY_DTYPE,
    Run,
    default_output_dir,
    load_run,
    load_store,
    period_bounds,
    select,
)
from pipeline.explore_plots import (
    Chart,
    plot_compare,
    plot_dimensions,
    plot_net_scores,
    plot_stores,
    plot_sub_aspects,
    plot_trend,
)
from pipeline.explore_rerun import changed_reviews, compare_runs, rerun, write_config, write_lexicon_pack

logger = logging.getLogger(__name__)

__all__ = [
    "DIMENSION_LABELS",
    "LABELS",
    "LABEL_DTYPE",
    "POLARITY_LABELS",
    "PRIORITY_DTYPE",
    "Chart",
    "Run",
    "by_store",
    "changed_reviews",
    "compare",
    "compare_runs",
    "default_output_dir",
    "dimension_summary",
    "load_run",
    "load_store",
    "period_bounds",
    "period_label",
    "plot_compare",
    "plot_dimensions",
    "plot_net_scores",
    "plot_stores",
    "plot_sub_aspects",
    "plot_trend",
    "quotes",
    "rerun",
    "search",
    "select",
    "since_when",
    "sub_aspect_summary",
    "top_complaints",
    "topic_table",
    "trend",
    "write_config",
    "write_lexicon_pack",
]
