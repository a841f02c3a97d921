"""The output folder's tables: the cumulative store read back, every contract file and the manifest.

:func:`load_store` reads what earlier runs left before the report stage runs;
:func:`write_outputs` writes the cumulative store, then the contract files, each atomically
through :mod:`pipeline.io`; :func:`build_manifest` says what the run did and with what.
"""

from __future__ import annotations

import logging
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import io
from pipeline.accounting import RunState
from pipeline.arrowops import compact, expand, in_values
from pipeline.config import Config
from pipeline.partition import REJECT_COLUMNS
from pipeline.stages.base import Resources
from pipeline.stages.clean import DIGEST_COL
from pipeline.store import STORE_DIR

logger = logging.getLogger(__name__)

PACKAGES = ("pandas", "numpy", "scikit-learn", "gensim", "jieba", "snownlp", "pyarrow", "openpyxl", "XlsxWriter", "pydantic", "PyYAML", "opencc-python-reimplemented", "rjieba", "dask", "distributed")


def load_store(out_dir: Path, config: Config, replaced: pd.Series | None = None) -> dict[str, Any]:
    """What earlier runs left: cumulative feedback and mentions, the actions register, the
    run history, and the actions file staff returned (empty on the first run).

    Feedback and mentions of ``replaced`` reviews (this run's) are dropped while still in
    Arrow form, and label-like columns become categoricals: a ``--full`` rerun of a million
    reviews never holds the old copy, and the kept history takes half the memory.
    """
    store: dict[str, Any] = {}
    for name in ("feedback", "mentions", "actions"):
        p = out_dir / STORE_DIR / f"{name}.parquet"
        if not p.is_file():
            continue
        if name == "actions" or replaced is None or not len(replaced):
            store[name] = io.read_parquet(p)
        else:
            store[name] = compact(io.read_parquet(p, without_ids=replaced))
    history = out_dir / STORE_DIR / "history.json"
    store["history"] = io.read_json(history) if history.is_file() else []
    if config.feedback.actions_return is not None:
        store["returned"] = io.read_actions_file(config.feedback.actions_return)
        logger.info("read %d returned action rows from %s", len(store["returned"]), config.feedback.actions_return)
    return store


def write_outputs(out_dir: Path, res: Resources, run: RunState, counts: dict[str, int], rejects: pd.DataFrame, new_ids: pd.Series) -> None:
    """Write the cumulative store and every contract file, each atomically, two or more at a
    time (see :class:`pipeline.io.WriteBatch`)."""
    art = res.artifacts
    rejected = rejects.reindex(columns=REJECT_COLUMNS)
    feedback: pd.DataFrame = expand(art["feedback"])
    mentions: pd.DataFrame = expand(art["mentions"])
    batch = io.WriteBatch()
    # The large tables first: the batch writes two at a time.
    batch.parquet(out_dir / STORE_DIR / "feedback.parquet", feedback)
    feedback = feedback.drop(columns=[DIGEST_COL], errors="ignore")  # internal to the store
    copies: tuple[Path, ...] = ()
    this_run = None
    if counts["new"] + counts["changed"]:
        run_dir = out_dir / "runs" / run.run_id
        this_run = in_values(feedback["review_id"], new_ids)
        if this_run.all():  # a first or --full run: the same rows as the file written here
            copies = (run_dir / "classified_feedback.csv",)
    batch.csv(out_dir / "classified_feedback.csv", feedback, copies=copies)
    batch.parquet(out_dir / "classified_feedback.parquet", feedback)
    batch.parquet(out_dir / STORE_DIR / "mentions.parquet", mentions)
    batch.csv(out_dir / "aspect_mentions.csv", mentions)
    batch.parquet(out_dir / STORE_DIR / "actions.parquet", art["actions"])
    batch.csv(out_dir / "actions.csv", art["actions"])
    batch.csv(out_dir / "rejects.csv", rejected)
    if "topics" in art:
        batch.csv(out_dir / "topics.csv", art["topics"])
    batch.call(io.write_json, out_dir / STORE_DIR / "history.json", art["summary"].get("history", []))
    batch.call(io.write_json, out_dir / "summary.json", art["summary"])
    batch.call(io.write_text_atomic, out_dir / "report.html", art["html"])
    batch.call(io.write_bytes_atomic, out_dir / "actions.xlsx", art["xlsx"])
    if this_run is not None:
        if not copies:
            batch.csv(run_dir / "classified_feedback.csv", feedback[this_run])
        batch.csv(run_dir / "rejects.csv", rejected)
    batch.run()


def package_versions(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The installed version of each distribution in ``names`` ("not installed" when absent)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _versions() -> dict[str, str]:
    return {"python": platform.python_version(), **package_versions(PACKAGES)}


def build_manifest(run: RunState, res: Resources, counts: dict[str, int]) -> dict[str, Any]:
    """What the run did, from what, with which config and package versions (``manifest.json``)."""
    facts = {k: v for k, v in res.facts.items() if k != "run_info" and not k.startswith("_")}
    return {
        "run_id": run.run_id,
        "generated_at": run.started.isoformat(timespec="seconds"),
        **res.facts["run_info"],
        "config_hash": run.config.fingerprint(),
        "config": run.config.model_dump(mode="json"),
        "stages": run.stages,
        "engine": run.engine or None,
        "input": run.input_facts,
        "rows": counts,
        "facts": facts,
        "versions": _versions(),
        "timings_s": run.timings,
    }
