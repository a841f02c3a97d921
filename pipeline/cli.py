"""Command line: ``python run.py [flags]`` runs the pipeline; subcommands do the rest.

Exit codes: 0 success; 2 bad config or flags; 3 unreadable input or missing column;
4 a stage failed; 5 another run holds the lock; 6 the engine could not run the partitions
(a Dask scheduler that cannot be reached, has no workers or workers that cannot run this
project; a worker that died under a partition); 1 any other expected failure;
70 an unexpected internal error (a bug: the log has the traceback); 130 interrupted
(Ctrl-C); 141 the reader of stdout went away (``| head``), as for a program killed by
SIGPIPE; 143 terminated (SIGTERM: a cron time limit, ``kill``), after the run let go of
its workers and its lock and said so in its log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Callable

from pipeline.errors import ConfigError, PipelineError

logger = logging.getLogger("pipeline")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "default.yaml"
EXIT_INTERNAL = 70
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so the run unwinds (its engine closed, its
    lock released, temporary files removed) instead of ending where it stood. Not an
    ``Exception``, so that no ``except Exception`` on the way swallows it."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()

EPILOG = """subcommands (python run.py SUBCOMMAND --help for their flags):
  validate             check a config (and its dictionaries and lexicons) without running
  train-sentiment      train the sentiment model on your own labelled reviews
  evaluate-sentiment   accuracy, macro-F1, AUC and confusion matrix on a labelled file
  evaluate-dimensions  per-dimension precision/recall/F1 and polarity accuracy on aspect labels
  suggest-terms        propose new lexicon terms from a corpus, for a person to review

exit codes: 0 ok, 2 bad config or flags, 3 bad input, 4 stage failure, 5 locked, 6 engine failure (cluster unusable, a worker died), 1 other, 70 internal error, 130 interrupted, 141 stdout closed, 143 terminated (SIGTERM)
"""


class _Parser(argparse.ArgumentParser):
    """argparse that raises ConfigError instead of exiting, so errors stay one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"[command line] {message}. See --help.")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", type=Path, default=None, help=f"YAML config (default: {DEFAULT_CONFIG.relative_to(PROJECT_ROOT)})")
    p.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors on the console (for cron)")
    p.add_argument("--verbose", "-v", action="store_true", help="debug logging")


def build_run_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="run.py",
        description="Mine Chinese customer reviews into SERVQUAL dimensions, sentiment, topics and routed actions.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(p)
    p.add_argument("--input", "-i", type=Path, help="review dump (csv, tsv, xlsx, json, jsonl, parquet); overrides input.path")
    p.add_argument("--output-dir", "-o", type=Path, help="output folder; overrides output.dir")
    p.add_argument("--text-column", help="input column holding the review text; overrides input.columns.text")
    p.add_argument("--id-column", help="input column holding the review id; overrides input.columns.id")
    p.add_argument("--date-column", help="input column holding the review date; overrides input.columns.date")
    p.add_argument("--rating-column", help="input column holding the star rating; overrides input.columns.rating")
    p.add_argument("--from", dest="start", metavar="STAGE", help="first stage to run; earlier stages come from the cache")
    p.add_argument("--to", dest="end", metavar="STAGE", help="last stage to run")
    p.add_argument("--retrain-topics", action="store_true", help="refit the topic model instead of reusing the saved one")
    p.add_argument("--actions-return", type=Path, help="actions file staff filled in (xlsx or csv: status, closed_at); overrides feedback.actions_return")
    p.add_argument("--engine", choices=["auto", "local", "processes", "dask"], help="where partitions run; overrides engine.kind (auto: a pool of --workers processes when the machine has more than one core)")
    p.add_argument("--workers", type=int, help="worker processes for --engine processes or a Dask LocalCluster; overrides engine.workers")
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786): the run's partitions go to its workers (implies --engine dask); overrides engine.address")
    p.add_argument("--full", action="store_true", help="reprocess every review, not only those new or changed since earlier runs")
    p.add_argument("--run-date", type=dt.date.fromisoformat, help="date due dates count from when a review has none (YYYY-MM-DD; default today)")
    p.add_argument("--log-file", type=Path, help="also log here (default: <output-dir>/run.log)")
    return p


def _overrides(args: argparse.Namespace) -> dict:
    def path(p: Path | None) -> str | None:
        return str(p.resolve()) if p is not None else None

    flags = {"id": "id_column", "date": "date_column", "rating": "rating_column"}
    required = [f for f, attr in flags.items() if getattr(args, attr, None)]
    engine, scheduler = getattr(args, "engine", None), getattr(args, "scheduler", None)
    if scheduler:
        if engine not in (None, "dask"):
            raise ConfigError(f"--scheduler sends the partitions to a Dask cluster: it needs --engine dask, not --engine {engine}")
        engine = "dask"
    return {
        "input.required_columns": required or None,
        "input.path": path(getattr(args, "input", None)),
        "output.dir": path(getattr(args, "output_dir", None)),
        "input.columns.text": getattr(args, "text_column", None),
        "input.columns.id": getattr(args, "id_column", None),
        "input.columns.date": getattr(args, "date_column", None),
        "input.columns.rating": getattr(args, "rating_column", None),
        "topics.retrain": True if getattr(args, "retrain_topics", False) else None,
        "output.incremental": False if getattr(args, "full", False) else None,
        "feedback.actions_return": path(getattr(args, "actions_return", None)),
        "engine.kind": engine,
        "engine.workers": getattr(args, "workers", None),
        "engine.address": getattr(args, "scheduler", None),
    }


def setup_logging(quiet: bool, verbose: bool, log_file: Path | None) -> None:
    """Console logging on stderr (and a log file when given); progress-free, one line per event."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    level = logging.DEBUG if verbose else logging.INFO
    root.setLevel(level)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING if quiet else level)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    # Tracebacks go to the log file only; the console gets the one-line reason from main().
    console.addFilter(lambda record: record.exc_info is None)
    root.addHandler(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setLevel(level)
        fh.setFormatter(fmt)
        root.addHandler(fh)
    for noisy in ("gensim", "jieba", "smart_open"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def _load(args: argparse.Namespace, overrides: dict | None = None):
    from pipeline.config import load_config

    return load_config(args.config or DEFAULT_CONFIG, overrides)


def cmd_run(argv: list[str]) -> int:
    args = build_run_parser().parse_args(argv)
    setup_logging(args.quiet, args.verbose, None)
    config = _load(args, _overrides(args))
    log_file = args.log_file or Path(config.output.dir) / "run.log"
    setup_logging(args.quiet, args.verbose, log_file)
    from pipeline.runner import run_pipeline

    result = run_pipeline(config, start=args.start, end=args.end, run_date=args.run_date)
    if not args.quiet:
        print(f"{result.accepted} reviews classified, {result.rejected} rejected, {result.rows_read} read → {result.output_dir}")
    return 0


def cmd_validate(argv: list[str]) -> int:
    p = _Parser(prog="run.py validate", description="Validate a config, its dictionaries and lexicons, without running.")
    _add_common(p)
    args = p.parse_args(argv)
    setup_logging(args.quiet, args.verbose, None)
    config = _load(args)
    from pipeline.resources import build_matcher, build_segmenter

    matcher = build_matcher(config)
    build_segmenter(config, matcher)
    print(f"config ok: {args.config or DEFAULT_CONFIG} (name={config.name}, {len(config.dimensions.dimensions)} dimensions, hash {config.fingerprint()})")
    narrowed = matcher.lexicon.narrowed
    if narrowed:
        # Allowed (温暖 is about staff only in restaurant reviews), but easy to do by mistake: a
        # bound 差 would stop judging 服务差.
        terms = ", ".join(f"{t} ({was} -> {now})" for t, was, now in narrowed)
        print(f"note: {len(narrowed)} generic opinion(s) of an earlier pack are bound in a later one and judge only those sub-aspects' targets: {terms}")
    return 0


SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {"validate": cmd_validate}


def _register_optional() -> None:
    """Subcommands whose modules may be absent in a partial install register themselves here."""
    try:
        from pipeline.cli_eval import SUBCOMMANDS as extra
    except ImportError:
        return
    SUBCOMMANDS.update(extra)


def _silence_stdout() -> None:
    """Point the stdout file descriptor at /dev/null (nothing to do without one)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):  # no file descriptor behind stdout (tests)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``run.py``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _register_optional()
    # Only the main thread may set a handler (a run started from another thread keeps the
    # process's own); the one found is put back on the way out.
    own = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if own else None
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return SUBCOMMANDS[argv[0]](argv[1:])
        return cmd_run(argv)
    except Terminated:
        logger.info("terminated (SIGTERM) before the run finished: rerun to complete it")  # the log file keeps it
        print("error: terminated (SIGTERM)", file=sys.stderr)
        return EXIT_TERMINATED
    except PipelineError as exc:
        logger.debug("failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``... | head``): not a failure of ours. Point stdout at
        # /dev/null so the interpreter's last flush does not raise again; exit like a
        # program killed by SIGPIPE, as shell tools do.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # a bug: say so on one line, keep the traceback in the log
        logger.exception("internal error")
        print(f"internal error: {type(exc).__name__}: {exc} (see the log for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if own:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
