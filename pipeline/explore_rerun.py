"""Tune and rerun from a notebook: copy a config with edits, rerun a slice of stages, diff.

    cfg = write_config("configs/default.yaml", tmp / "tuned.yaml", extra_lexicons=[pack])
    before = rerun("configs/default.yaml", tmp / "out")             # a full run
    after = rerun(cfg, tmp / "out", start="dimensions")             # only dimensions → report
    compare_runs(before, after)

Reruns go through the public command line (:func:`pipeline.cli.main`), so they behave like
``python run.py`` and reuse its cached intermediates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.errors import PipelineError
from pipeline.explore_analysis import dimension_summary
from pipeline.explore_frames import Run, load_run

logger = logging.getLogger(__name__)


def write_config(
    source: str | Path,
    dest: str | Path,
    *,
    extra_lexicons: Iterable[str | Path] = (),
    changes: Mapping[str, Any] | None = None,
) -> Path:
    """Write a validated copy of a config with absolute paths, optional extra lexicon packs
    and edited values, so it works from any folder.

    Args:
        source: The config to copy (``configs/hotel.yaml``).
        dest: Where to write the copy.
        extra_lexicons: Lexicon pack files appended to ``dimensions.lexicons`` (later packs
            may re-assign a term).
        changes: Dotted keys to new values, e.g. ``{"sentiment.neutral_high": 0.65}``.

    Returns:
        ``dest`` as a Path.

    Raises:
        ConfigError: the source, or the edited copy, is not a valid config.
    """
    from pipeline.config import load_config

    data = load_config(source).model_dump(mode="json")
    data["dimensions"]["lexicons"] = [*data["dimensions"]["lexicons"], *(str(Path(p).resolve()) for p in extra_lexicons)]
    for dotted, value in (changes or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    out = Path(dest)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_config(out)  # fail here, with the key path, rather than inside the rerun
    return out


def write_lexicon_pack(
    path: str | Path,
    dimension: str,
    sub_aspect: str,
    *,
    label: str | None = None,
    description: str = "Analyst additions.",
    **terms: Sequence[str],
) -> Path:
    """Write a one-sub-aspect lexicon pack (see ``configs/lexicons/general.yaml`` for keys).

    Args:
        path: Where to write the pack.
        dimension: Dimension key (``tangibles``).
        sub_aspect: Sub-aspect key, new or existing (``cleanliness``).
        label: The sub-aspect's Chinese name.
        description: The pack's description.
        **terms: Term lists by kind: ``targets``, ``positive``, ``negative``, ``neutral``,
            ``mentions``...

    Returns:
        ``path`` as a Path.
    """
    spec: dict[str, Any] = {"label": label} if label else {}
    spec.update({kind: list(words) for kind, words in terms.items()})
    pack = {"version": 1, "description": description, "dimensions": {dimension: {sub_aspect: spec}}}
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(pack, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def rerun(
    config: str | Path,
    output_dir: str | Path,
    *,
    start: str | None = None,
    end: str | None = None,
    run_date: str | None = None,
    extra_args: Sequence[str] = (),
) -> Run:
    """Run the pipeline (or the stages ``start``..``end``) quietly and load the outputs.

    Args:
        config: The config file.
        output_dir: The output folder (a temporary one from a notebook).
        start: First stage (``--from``); earlier stages come from the folder's cache.
        end: Last stage (``--to``).
        run_date: ``--run-date`` (due dates count from it); ``None`` for today.
        extra_args: More command-line flags.

    Returns:
        The run's outputs as a :class:`Run`.

    Raises:
        PipelineError: the run exited with a non-zero code (the reason is in its run.log).
    """
    from pipeline.cli import main

    argv = ["--config", str(config), "--output-dir", str(output_dir), "--quiet"]
    for flag, value in (("--from", start), ("--to", end), ("--run-date", run_date)):
        if value is not None:
            argv += [flag, value]
    code = main([*argv, *extra_args])
    if code != 0:
        raise PipelineError(f"the rerun exited with code {code}; see {Path(output_dir) / 'run.log'}")
    return load_run(output_dir)


def compare_runs(before: Run, after: Run) -> pd.DataFrame:
    """Per dimension: mentions, negative share and net score before and after, and changes.

    Returns:
        Columns ``dimension, label, mentions_before, mentions_after, negative_share_before,
        negative_share_after, net_score_before, net_score_after, mentions_change,
        net_score_change``.
    """
    a = dimension_summary(before).set_index("dimension")
    b = dimension_summary(after).set_index("dimension")
    out = pd.DataFrame({"label": b["label"].combine_first(a["label"])})
    for col in ("mentions", "negative_share", "net_score"):
        out[f"{col}_before"] = a[col]
        out[f"{col}_after"] = b[col]
    out["mentions_change"] = out["mentions_after"].fillna(0) - out["mentions_before"].fillna(0)
    out["net_score_change"] = out["net_score_after"] - out["net_score_before"]
    return out.reset_index()


def changed_reviews(before: Run, after: Run) -> pd.DataFrame:
    """Reviews whose dimension labels differ between two runs, with what changed.

    Returns:
        Columns ``review_id, text, changes`` (``product: — → negative; ...``), one row per
        changed review, in review id order.
    """
    keys = sorted(set(before.dimension_keys) | set(after.dimension_keys))
    a = before.feedback.set_index("review_id")
    b = after.feedback.set_index("review_id")
    rows = []
    for rid in sorted(set(a.index) & set(b.index)):
        diffs = []
        for k in keys:
            col = f"dim_{k}"
            old = a.at[rid, col] if col in a.columns else None
            new = b.at[rid, col] if col in b.columns else None
            old, new = (None if pd.isna(v) else str(v) for v in (old, new))
            if old != new:
                diffs.append(f"{k}: {old or '—'} → {new or '—'}")
        if diffs:
            rows.append({"review_id": rid, "text": b.at[rid, "text"], "changes": "; ".join(diffs)})
    return pd.DataFrame(rows, columns=["review_id", "text", "changes"])
