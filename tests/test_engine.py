"""The same input and config give the same outputs on every engine and any chunking."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.runner import run_pipeline
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "sample" / "hotel_reviews.csv"
COMPARED = ["classified_feedback.csv", "aspect_mentions.csv", "rejects.csv", "actions.csv", "topics.csv", "summary.json"]


def _run(out, **engine):
    config = load_config(
        ROOT / "configs" / "hotel.yaml",
        # Fitted on 200 of the sample's 255 reviews: the rest of the dump runs in partitions.
        {"input.path": str(SAMPLE), "output.dir": str(out), "engine": {"sample_size": 200, **engine}},
    )
    return run_pipeline(config, run_date=dt.date(2026, 11, 1))


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    _run(out, kind="local")
    return out


@pytest.mark.parametrize(
    "engine",
    [
        {"kind": "local", "chunk_size": 100},
        {"kind": "processes", "workers": 2, "chunk_size": 100},
        {"kind": "dask", "workers": 2, "chunk_size": 70},
        {"kind": "processes", "workers": 2, "chunk_size": 100, "cache_max_rows": 0},
        {"kind": "auto", "workers": 2, "chunk_size": 100},
    ],
    ids=["local-chunked", "processes", "dask", "processes-spilled", "auto"],
)
def test_engine_outputs_identical(engine, local_run, tmp_path, caplog):
    import logging

    from pipeline.config import usable_cores

    if engine["kind"] == "dask":
        pytest.importorskip("distributed")
    with caplog.at_level(logging.INFO, logger="pipeline.runner"):
        result = _run(tmp_path, **engine)
    assert result.manifest["timings_s"]["partitions_wall"] >= 0
    ran = engine["kind"] if engine["kind"] != "auto" else ("processes" if usable_cores() > 1 else "local")
    assert result.manifest["engine"] == ran  # several partitions: the configured engine ran them
    where = {"local": "this process", "processes": "a pool of 2 worker processes", "dask": "a Dask LocalCluster of 2 workers"}[ran]
    assert f"partitions run on: {where} (engine.kind {engine['kind']})" in caplog.text
    for name in COMPARED:
        assert (tmp_path / name).read_bytes() == (local_run / name).read_bytes(), name


def test_engine_topic_fit_beside_sentiment_fit_same_outputs(local_run, tmp_path, monkeypatch):
    from pipeline.stages import STAGES

    assert STAGES["topics"].FIT_EARLY  # local_run fitted the topics beside the sentiment fit
    monkeypatch.setattr(STAGES["topics"], "FIT_EARLY", False)
    result = _run(tmp_path, kind="local")
    assert result.manifest["timings_s"]["fit:topics"] > 0  # fitted, one stage after the other
    for name in COMPARED:
        assert (tmp_path / name).read_bytes() == (local_run / name).read_bytes(), name


def test_engine_early_fit_only_when_no_row_can_drop_in_between():
    import pandas as pd

    from pipeline.runner import _may_fit_early

    tokens = pd.DataFrame({"tokens": [["房间"]], "clauses": [["房间干净"]]})
    assert _may_fit_early("topics", tokens, ["sentiment"])
    assert not _may_fit_early("topics", tokens, ["clean", "segment", "sentiment"])  # clean rejects rows
    assert not _may_fit_early("topics", tokens.drop(columns="tokens"), ["sentiment"])  # input not there yet
    assert not _may_fit_early("sentiment", tokens.assign(clause_tokens=[[["房间"]]]), [])  # its fit reads the run's resources


@pytest.mark.parametrize("cache_max_rows", [30000, 0], ids=["kept", "spilled"])
def test_engine_a_dump_that_is_its_own_fit_sample_is_finished_in_process(tmp_path, caplog, cache_max_rows):
    import logging

    import pandas as pd

    whole = tmp_path / "whole"
    with caplog.at_level(logging.INFO, logger="pipeline.runner"):
        result = _run(whole, kind="processes", workers=2, chunk_size=100, sample_size=1000, cache_max_rows=cache_max_rows)
    assert result.manifest["engine"] == "local"
    assert "the dump is its own fit sample (" in caplog.text and "finishing it in this process" in caplog.text
    assert all(result.manifest["timings_s"][s] >= 0 for s in ("clean", "segment", "sentiment", "topics", "dimensions", "feedback"))
    # The same fit sample (every ingested review) with the partitions run by the pool.
    rejects = pd.read_csv(whole / "rejects.csv", dtype=str)
    ingested = result.rows_read - int((rejects["stage"] == "ingest").sum())
    parts = tmp_path / "parts"
    again = _run(parts, kind="processes", workers=2, chunk_size=100, sample_size=ingested, cache_max_rows=cache_max_rows)
    assert again.manifest["engine"] == "processes"
    assert (rejects["stage"] == "clean").any()  # rows the stages before the fit rejected are kept
    for name in COMPARED:
        assert (whole / name).read_bytes() == (parts / name).read_bytes(), name


def test_engine_unknown_kind_is_a_config_error(tmp_path):
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[engine -> kind\] Input should be 'auto', 'local', 'processes' or 'dask'"):
        load_config(ROOT / "configs" / "hotel.yaml", {"engine.kind": "spark"})


@pytest.mark.parametrize(
    ("engine", "cores", "ran"),
    [
        ({}, 2, "processes"),  # the default: a pool of two on a machine of two cores or more
        ({}, 1, "local"),  # one core: a pool would only add its cost
        ({"workers": 1}, 8, "local"),
        ({"kind": "processes", "workers": 2}, 1, "processes"),  # asked for by name: as asked
        ({"kind": "local"}, 8, "local"),
    ],
)
def test_engine_auto_is_a_pool_when_there_are_cores_for_it(engine, cores, ran, monkeypatch):
    from pipeline import config as config_module
    from pipeline.engine import LocalEngine, ProcessEngine, make_engine
    from pipeline.stages.topics import fit_jobs

    monkeypatch.setattr(config_module, "usable_cores", lambda: cores)
    params = load_config(ROOT / "configs" / "hotel.yaml", {"engine": engine}).engine
    assert params.resolved_kind().value == ran
    made = make_engine(load_config(ROOT / "configs" / "hotel.yaml", {"engine": engine}))
    assert isinstance(made, ProcessEngine if ran == "processes" else LocalEngine)
    assert fit_jobs(params) == (params.workers if ran == "processes" else 1)


def test_engine_run_too_large_to_cache_clears_stale_cache(tmp_path):
    from pipeline.errors import StageError

    _run(tmp_path, kind="local")
    assert list((tmp_path / ".cache").glob("*.pkl"))
    _run(tmp_path, kind="local", cache_max_rows=0)
    assert not list((tmp_path / ".cache").glob("*.pkl"))
    config = load_config(ROOT / "configs" / "hotel.yaml", {"input.path": str(SAMPLE), "output.dir": str(tmp_path)})
    with pytest.raises(StageError, match="cached for dumps of up to engine.cache_max_rows"):
        run_pipeline(config, start="dimensions", run_date=dt.date(2026, 11, 1))


def test_engine_partitions_collect_garbage_less_often_and_restore_the_collector():
    import gc

    from pipeline.partition import GC_YOUNG_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with fewer_collections():
        inside = gc.get_threshold()
        # What was alive at the start is frozen for the block (the collector skips it) ...
        assert gc.get_freeze_count() > frozen
        cycle = [object()]
        cycle.append(cycle)
    assert inside == (max(before[0], GC_YOUNG_THRESHOLD), *before[1:])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen  # ... and thawed after it
    with pytest.raises(RuntimeError):
        with fewer_collections():
            raise RuntimeError("a stage failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen  # restored when a stage raises, too
    # Garbage made in the block is still collected.
    del cycle
    assert gc.collect() > 0
    # Objects the process froze itself stay frozen.
    gc.freeze()
    try:
        theirs = gc.get_freeze_count()
        with fewer_collections():
            pass
        assert gc.get_freeze_count() == theirs
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    ("engine", "jobs"),
    [
        ({"kind": "local", "workers": 3}, 1),
        ({"kind": "processes", "workers": 3}, 3),
        ({"kind": "dask", "workers": 3}, 3),
        ({"kind": "dask", "workers": 3, "address": "tcp://scheduler:8786"}, 1),
    ],
    ids=["local", "processes", "dask-local-cluster", "dask-remote"],
)
def test_engine_topic_fit_uses_the_local_workers_only(engine, jobs):
    from pipeline.stages.topics import fit_jobs

    assert fit_jobs(load_config(ROOT / "configs" / "hotel.yaml", {"engine": engine}).engine) == jobs


def test_engine_rejects_in_input_order_whatever_how_far_reading_runs_ahead(tmp_path):
    import pandas as pd

    # Chunks of 50: the sample's ingest rejects sit in every chunk, so with a pool reading
    # ahead, later chunks' ingest rejects used to land before earlier chunks' clean rejects.
    out = {}
    for kind in ("local", "processes"):
        _run(tmp_path / kind, kind=kind, workers=2, chunk_size=50, sample_size=100)
        out[kind] = (tmp_path / kind / "rejects.csv").read_bytes()
    assert out["local"] == out["processes"]
    rejects = pd.read_csv(tmp_path / "local" / "rejects.csv", dtype=str)
    assert {"ingest", "clean"} <= set(rejects["stage"])
    rows = rejects["source_row"].astype(int).tolist()
    assert rows == sorted(rows)


def test_engine_chunks_the_fit_sample_covers_are_not_cleaned_again(local_run, tmp_path, monkeypatch):
    from pipeline.stages import STAGES

    seen = []
    clean = STAGES["clean"].run
    monkeypatch.setattr(STAGES["clean"], "run", lambda df, params, res: seen.append(len(df)) or clean(df, params, res))
    result = _run(tmp_path, kind="local", chunk_size=100)
    # The sample (the first 200 reviews the ingest kept) is cleaned for the fit. The two chunks
    # it covers whole are not cleaned again; the third, which it covers in part, is (once).
    assert seen[0] == 200
    assert len(seen) == 2 and seen[1] < 100
    assert result.manifest["engine"] == "local"
    for name in COMPARED:
        assert (tmp_path / name).read_bytes() == (local_run / name).read_bytes(), name


def test_engine_a_stage_renumbering_rows_turns_the_reuse_off(local_run, tmp_path, monkeypatch, caplog):
    import logging

    from pipeline.stages import STAGES

    segment = STAGES["segment"].run
    monkeypatch.setattr(STAGES["segment"], "run", lambda df, params, res: segment(df, params, res).reset_index(drop=True))
    with caplog.at_level(logging.WARNING, logger="pipeline.runner"):
        _run(tmp_path, kind="local", chunk_size=100)
    assert "a stage renumbered the sample's rows" in caplog.text
    for name in COMPARED:
        assert (tmp_path / name).read_bytes() == (local_run / name).read_bytes(), name


def test_engine_a_local_dask_cluster_keeps_the_allocator_adaptive():
    """Its workers start without MALLOC_TRIM_THRESHOLD_ (which makes glibc map every large
    array afresh), and still with one thread per numeric library."""
    pytest.importorskip("distributed")
    import os

    from pipeline.engine import DaskEngine

    engine = DaskEngine(load_config(ROOT / "configs" / "hotel.yaml", {"engine": {"kind": "dask", "workers": 1}}))
    try:
        env = engine.client.run(lambda: {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS")})
    finally:
        engine.close()
    assert list(env.values()) == [{"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1"}]


def _dies_on_two(item, context):
    """A partition function whose worker dies (as when killed, or out of memory) on item 2."""
    import os

    if item == 2:
        os._exit(1)
    return item * 10


@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_engine_a_worker_that_dies_under_a_partition_is_an_engine_error(kind):
    from pipeline.engine import DaskEngine, ProcessEngine
    from pipeline.errors import EngineError

    config = load_config(ROOT / "configs" / "hotel.yaml", {"engine": {"kind": kind, "workers": 1}})
    if kind == "processes":
        engine, message = ProcessEngine(config), r"a worker process of the pool ended abruptly \(killed, or out of memory\?\) before partition 2 came back"
    else:
        pytest.importorskip("distributed")
        import dask

        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # no second worker to die
            engine = DaskEngine(config)
        # The worker that died held partition 1's result too: which one fails first is Dask's choice.
        message = r"Dask workers died \(killed, or out of memory\?\) before partition [12] came back, and Dask gave up on it \((KilledWorker|FutureCancelledError); distributed.scheduler.allowed-failures\)"
    results = []
    try:
        with pytest.raises(EngineError, match=message + ": no output was replaced; rerun, with fewer engine.workers"):
            for r in engine.map(_dies_on_two, [1, 2, 3], None):
                results.append(r)
    finally:
        engine.close()
    # The pool had returned the partition before it; Dask may have lost it with the worker.
    assert results == [10] if kind == "processes" else results in ([], [10])


def _dies_on_a_later_chunk(df, ctx):
    """The partition function, but its worker dies (as when the system kills it) on the chunk
    that holds the dump's last rows."""
    import os

    from pipeline.partition import StartedPartition, process_partition

    if not isinstance(df, StartedPartition) and int(df["source_row"].astype(int).max()) > 250:
        os._exit(1)
    return process_partition(df, ctx)


def test_engine_a_run_whose_worker_dies_replaces_no_output(local_run, tmp_path, monkeypatch):
    import shutil

    from pipeline import runner
    from pipeline.errors import EngineError

    out = tmp_path / "out"
    shutil.copytree(local_run, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file() and p.suffix in (".csv", ".json", ".parquet", ".xlsx", ".html")}
    monkeypatch.setattr(runner, "process_partition", _dies_on_a_later_chunk)
    config = load_config(
        ROOT / "configs" / "hotel.yaml",
        {"input.path": str(SAMPLE), "output.dir": str(out), "output.incremental": False, "engine": {"kind": "processes", "workers": 2, "chunk_size": 20, "sample_size": 200}},
    )
    with pytest.raises(EngineError, match="a worker process of the pool ended abruptly"):
        run_pipeline(config, run_date=dt.date(2026, 11, 1))
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file() and p.suffix in (".csv", ".json", ".parquet", ".xlsx", ".html")}
    assert after == before


# --- a Dask cluster of its own: a scheduler and workers started as separate programs ---------


def _start(args: list[str], cwd, env: dict | None = None):
    import os
    import subprocess
    import sys

    full = dict(os.environ, **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=cwd, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _scheduler(tmp, env: dict | None = None):
    """A scheduler program and its address (read from its scheduler file)."""
    import json
    import time

    file = tmp / "scheduler.json"
    proc = _start(["scheduler", "--scheduler-file", str(file), "--port", "0", "--no-dashboard"], tmp, env)
    deadline = time.monotonic() + 60
    while not file.is_file() or not file.read_text().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.skip("could not start a Dask scheduler here")
        time.sleep(0.2)
    return proc, json.loads(file.read_text())["address"]


def _workers(address: str, cwd, n: int, env: dict | None = None):
    return _start(["worker", address, "--nworkers", str(n), "--nthreads", "1", "--no-dashboard", "--memory-limit", "0"], cwd, env)


def _stop(*procs) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a program that does not stop is killed
            p.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler with two worker processes started outside the project folder, the project
    on their PYTHONPATH (as when it is installed on the cluster's machines)."""
    pytest.importorskip("distributed")
    import time

    from dask.distributed import Client

    tmp = tmp_path_factory.mktemp("cluster")
    scheduler, address = _scheduler(tmp, {"PYTHONPATH": str(ROOT)})  # it unpickles the tasks
    workers = _workers(address, tmp, 2, {"PYTHONPATH": str(ROOT)})
    try:
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        _stop(workers, scheduler)
        time.sleep(0.5)


def test_engine_a_dask_scheduler_of_its_own_gives_the_same_outputs(cluster, local_run, tmp_path):
    result = _run(tmp_path, kind="dask", address=cluster, chunk_size=70)
    assert result.manifest["engine"] == "dask"
    for name in COMPARED:
        assert (tmp_path / name).read_bytes() == (local_run / name).read_bytes(), name


def test_engine_an_unreachable_scheduler_fails_before_any_work(tmp_path):
    import socket

    from pipeline.cli import main
    from pipeline.errors import EngineError

    pytest.importorskip("distributed")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(EngineError, match=rf"cannot reach the Dask scheduler at {address} \(engine.address, --scheduler\) within 1 s"):
        _run(tmp_path / "out", kind="dask", address=address, connect_timeout_s=1)
    # Nothing was fitted or written: the models are fitted after the connection.
    assert not (tmp_path / "out" / "models").exists() and not (tmp_path / "out" / "manifest.json").exists()
    # On the command line: exit code 6, one line naming the address.
    import shutil

    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    yaml = tmp_path / "configs" / "cluster.yaml"
    yaml.write_text((ROOT / "configs" / "hotel.yaml").read_text(encoding="utf-8") + "\nengine: {connect_timeout_s: 1, sample_size: 200}\n", encoding="utf-8")
    args = ["--config", str(yaml), "--input", str(SAMPLE), "--output-dir", str(tmp_path / "cli"), "--scheduler", address, "--quiet"]
    assert main(args) == EngineError.exit_code == 6  # --scheduler alone means --engine dask
    assert main([*args, "--engine", "processes"]) == 2  # and contradicts another engine


def test_engine_an_address_the_engine_does_not_use_is_a_warning(tmp_path, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="pipeline.runner"):
        _run(tmp_path, kind="local", address="tcp://127.0.0.1:1")
    assert "engine.address tcp://127.0.0.1:1 is not used: engine.kind is local" in caplog.text


def test_engine_a_scheduler_address_that_is_no_address_is_a_config_error(tmp_path):
    from pipeline.errors import ConfigError

    pytest.importorskip("distributed")
    with pytest.raises(ConfigError, match=r"\[engine -> address\] missing port number in address 'scheduler'"):
        _run(tmp_path, kind="dask", address="scheduler")


def test_engine_a_scheduler_without_workers_or_with_workers_that_lack_the_project(tmp_path):
    from pipeline.errors import EngineError

    pytest.importorskip("distributed")
    with_project = {"PYTHONPATH": str(ROOT)}
    scheduler, address = _scheduler(tmp_path, with_project)
    workers = None
    try:
        with pytest.raises(EngineError, match=rf"the Dask scheduler at {address} \(engine.address, --scheduler\) has no workers \(waited 1 s\)"):
            _run(tmp_path / "none", kind="dask", address=address, connect_timeout_s=1)
        # A worker started elsewhere without the project on its path cannot import it.
        workers = _workers(address, tmp_path, 1, {"PYTHONPATH": ""})
        with pytest.raises(EngineError, match=r"a worker of the Dask scheduler at .* cannot run this project \(.*No module named 'pipeline'.*\): install the project"):
            _run(tmp_path / "bare", kind="dask", address=address, connect_timeout_s=60)
    finally:
        _stop(*(p for p in (workers, scheduler) if p is not None))
    # The scheduler unpickles the tasks: without the project it cannot either.
    (tmp_path / "bare_scheduler").mkdir()
    scheduler, address = _scheduler(tmp_path / "bare_scheduler", {"PYTHONPATH": ""})
    workers = _workers(address, tmp_path, 1, with_project)
    try:
        with pytest.raises(EngineError, match=r"the Dask scheduler at .* cannot run this project's tasks \(.*No module named 'pipeline'.*\)"):
            _run(tmp_path / "bare2", kind="dask", address=address, connect_timeout_s=60)
    finally:
        _stop(workers, scheduler)


def _sample_frame(n: int):
    """The first ``n`` reviews of the bundled sample as a partition's input frame."""
    import pandas as pd

    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).head(n)
    return pd.DataFrame({"review_id": raw["id"], "text": raw["review"], "source_row": [str(i + 2) for i in range(len(raw))]}).astype("string")


def test_engine_workers_without_the_configured_files_use_the_copies_sent_to_them(tmp_path):
    """A worker on another machine lacks the lexicons and dictionaries: the partition context
    carries them, and the worker builds its segmenter and matcher from copies."""
    import shutil
    from pathlib import Path

    import pandas as pd

    from pipeline.partition import PartitionContext, partition_resources, process_partition, release_resources
    from pipeline.resources import with_worker_files, worker_files

    here = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", here)
    config = load_config(here / "hotel.yaml", {"input.path": str(SAMPLE), "output.dir": str(tmp_path / "out")})
    files = worker_files(config)
    assert {p.name for p in map(Path, files)} >= {"general.yaml", "hotel.yaml", "hotel_userdict.txt", "stopwords.txt"}
    assert with_worker_files(config, files) is config  # on this machine the files are there as sent
    # The worker's view: every configured file gone.
    for path in files:
        Path(path).unlink()
    moved = with_worker_files(config, files)
    used = [*moved.dimensions.lexicons, *moved.segment.user_dicts, *moved.segment.stopwords]
    assert [p.name for p in used] == [Path(p).name for p in files]
    assert all(p.is_file() and p.read_bytes() == files[str(orig)] for p, orig in zip(used, files))
    # A partition scored with the copies equals the same partition scored with the files.
    for path, data in files.items():
        Path(path).write_bytes(data)
    frame = _sample_frame(40)
    stages = ["clean", "segment"]

    def mentions(res, frame):
        return [[res.matcher.match(c, t) for c, t in zip(cl, tk)] for cl, tk in zip(frame["clauses"], frame["clause_tokens"])]

    release_resources()
    try:
        with_files = process_partition(frame, PartitionContext(config, stages, dt.date(2026, 11, 1), keep_frames=True))
        expected = mentions(partition_resources(PartitionContext(config, stages, dt.date(2026, 11, 1))), with_files.frames["segment"])
        for path in files:
            Path(path).unlink()
        release_resources()
        ctx = PartitionContext(config, stages, dt.date(2026, 11, 1), keep_frames=True, files=files)
        res = partition_resources(ctx)
        assert res.matcher.lexicon.sources == tuple(map(str, moved.dimensions.lexicons))
        sent = process_partition(frame, ctx)
        found = mentions(res, sent.frames["segment"])
    finally:
        release_resources()
    assert sent.rows_out == with_files.rows_out > 30
    pd.testing.assert_frame_equal(sent.rejects, with_files.rejects)
    pd.testing.assert_frame_equal(sent.frames["segment"], with_files.frames["segment"])
    assert found == expected and sum(len(m) for r in found for m in r) > 10  # the lexicons were read


def _other_code(tmp) -> str:
    """A copy of the project's code with one file changed (as a worker with another version
    of it has), and its digest; the folder to put on a worker's PYTHONPATH is ``tmp``."""
    import shutil

    shutil.copytree(ROOT / "pipeline", tmp / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    text = tmp / "pipeline" / "text.py"
    text.write_text(text.read_text(encoding="utf-8") + "\n# another version\n", encoding="utf-8")
    return str(tmp)


def test_engine_a_partition_checks_that_its_worker_runs_the_runs_code(tmp_path):
    """A partition sent with the run's code digest (to workers on other machines) refuses to
    run on a worker whose code differs; without a digest, or with its own, it runs (and with
    one, names its worker and the worker's scoring packages)."""
    from pipeline.engine import code_digest, worker_name, worker_versions
    from pipeline.errors import EngineError
    from pipeline.partition import PartitionContext, process_partition, release_resources

    config = load_config(ROOT / "configs" / "hotel.yaml", {"input.path": str(SAMPLE), "output.dir": str(tmp_path / "out")})
    frame = _sample_frame(5)
    day = dt.date(2026, 11, 1)
    try:
        checked = process_partition(frame, PartitionContext(config, ["clean"], day, code=code_digest()))
        assert checked.rows_out == 5 and checked.worker == (worker_name(), worker_versions())
        plain = process_partition(frame, PartitionContext(config, ["clean"], day))
        assert plain.rows_out == 5 and plain.worker is None
        with pytest.raises(EngineError, match=rf"runs other code of this project \(digest {code_digest()}\) than the run's machine \(0123456789abcdef\); it joined the cluster after"):
            process_partition(frame, PartitionContext(config, ["clean"], day, code="0123456789abcdef"))
    finally:
        release_resources()


def test_engine_a_worker_with_other_code_is_refused_before_and_after_the_check(tmp_path, monkeypatch):
    """A worker running another version of the project is refused when the run connects; one
    that joins after that check is refused by the first partition it runs, and no output is
    written."""
    import time

    from pipeline import engine
    from pipeline.errors import EngineError

    pytest.importorskip("distributed")
    with_project = {"PYTHONPATH": str(ROOT)}
    (tmp_path / "other").mkdir()
    other = {"PYTHONPATH": _other_code(tmp_path / "other")}
    scheduler, address = _scheduler(tmp_path, with_project)
    procs = [scheduler]
    try:
        procs.append(_workers(address, tmp_path, 1, other))
        with pytest.raises(EngineError, match=r"worker\(s\) tcp://.* of the Dask scheduler at .* run other code of this project than this machine"):
            _run(tmp_path / "before", kind="dask", address=address, connect_timeout_s=60)
        _stop(procs.pop())
        procs.append(_workers(address, tmp_path, 1, with_project))
        connect = engine.connect

        def connect_then_swap(address, timeout):
            # The check passes on the worker with the project's code; then a worker with other
            # code joins and the checked one leaves, so every partition goes to the newcomer.
            client = connect(address, timeout)
            checked = set(client.scheduler_info()["workers"])
            procs.append(_workers(address, tmp_path, 1, other))
            client.wait_for_workers(2, timeout=120)
            client.retire_workers(list(checked), close_workers=True)
            deadline = time.monotonic() + 60
            while set(client.scheduler_info()["workers"]) & checked and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(client.scheduler_info()["workers"]) == 1 and not set(client.scheduler_info()["workers"]) & checked
            return client

        monkeypatch.setattr(engine, "connect", connect_then_swap)
        with pytest.raises(EngineError, match=r"Dask worker tcp://\S+ runs other code of this project \(digest \w+\) than the run's machine \(\w+\); it joined the cluster after the run's check"):
            _run(tmp_path / "after", kind="dask", address=address, connect_timeout_s=60)
        assert not (tmp_path / "after" / "manifest.json").exists() and not (tmp_path / "after" / "classified_feedback.csv").exists()
    finally:
        _stop(*reversed(procs))


_POOL_SCRIPT = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from pipeline.config import load_config
from pipeline.engine import ProcessEngine

def work(item, context):
    print(os.getpid(), flush=True)
    time.sleep(300)

config = load_config(sys.argv[2], {"engine": {"kind": "processes", "workers": 2}})
for _ in ProcessEngine(config).map(work, [1, 2], None):
    pass
"""


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting for its parent to read it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_engine_pool_workers_end_with_a_run_that_was_killed(tmp_path):
    """A run killed by a signal cannot close its pool: its workers notice and end, instead of
    waiting on the pool's queue for ever with their memory."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "pool.py"
    script.write_text(_POOL_SCRIPT, encoding="utf-8")
    run = subprocess.Popen([sys.executable, str(script), str(ROOT), str(ROOT / "configs" / "hotel.yaml")], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(run.stdout.readline()) for _ in range(2)]  # both busy with a partition
        assert all(map(_alive, workers)) and len(set(workers)) == 2
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    deadline = time.monotonic() + 20
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "pool workers outlived the killed run"


def test_engine_a_worker_that_joins_later_with_other_package_versions_is_a_warning(caplog):
    """The partitions of a remote cluster name their worker and its scoring packages: a worker
    the connection did not check is warned about once if its versions differ."""
    import logging

    from pipeline.engine import DaskEngine, worker_versions
    from pipeline.partition import PartitionResult, empty_rejects

    class Done:
        def __init__(self, result):
            self._result = result

        def result(self):
            return self._result

    engine = DaskEngine.__new__(DaskEngine)
    engine._checked = {"tcp://10.0.0.1:40000"}  # checked when the run connected
    mine = worker_versions()
    other = {**mine, "numpy": "0.0.1"}

    def partition(worker):
        return Done(PartitionResult(None, None, empty_rejects(), worker=worker))

    with caplog.at_level(logging.WARNING, logger="pipeline.engine"):
        assert engine._checked_result(partition(("tcp://10.0.0.1:40000", other)), 1).worker[0] == "tcp://10.0.0.1:40000"
        engine._checked_result(partition(("tcp://10.0.0.2:40000", mine)), 2)
        engine._checked_result(partition(("tcp://10.0.0.3:40000", other)), 3)
        engine._checked_result(partition(("tcp://10.0.0.3:40000", other)), 4)
        engine._checked_result(partition(None), 5)  # a LocalCluster's partitions name no worker
    warned = [r.getMessage() for r in caplog.records if "other package versions" in r.getMessage()]
    assert warned == [f"Dask worker tcp://10.0.0.3:40000 has other package versions than this machine (numpy 0.0.1 here {mine['numpy']}): its partitions may score differently"]
