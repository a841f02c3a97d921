"""The command-line contract: flags, one-line errors, exit codes."""

import re
import subprocess
import sys

import pandas as pd
import pytest

from pipeline.cli import main
from tests.conftest import ROOT


def test_cli_help_lists_every_contract_flag(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--config", "--input", "--output-dir", "--text-column", "--id-column", "--date-column", "--rating-column", "--from", "--to"):
        assert flag in out
    assert "validate" in out and "exit codes" in out


def test_cli_unknown_flag_is_one_line_exit_2(capsys):
    assert main(["--bogus"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: [command line] unrecognized arguments: --bogus")
    assert "\n" not in err


def test_cli_bad_config_exit_2(tmp_path, capsys):
    p = tmp_path / "c.yaml"
    p.write_text("topics:\n  pases: 3\n", encoding="utf-8")
    assert main(["validate", "--config", str(p)]) == 2
    assert "[topics -> pases] Extra inputs are not permitted" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["default.yaml", "hotel.yaml", "restaurant.yaml"])
def test_cli_validate_bundled_config(capsys, name):
    assert main(["validate", "--config", str(ROOT / "configs" / name)]) == 0
    out = capsys.readouterr().out
    assert "config ok" in out
    assert "note:" not in out  # no shipped pack narrows a generic opinion of another


def test_cli_validate_notes_a_generic_opinion_a_pack_narrows(tmp_path, capsys):
    import shutil

    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    pack = tmp_path / "configs" / "lexicons" / "hotel.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("bound_negative: [小, 硬, 软, 旧, 潮, 闷, 暗]", "bound_negative: [小, 硬, 软, 旧, 潮, 闷, 暗, 差]"), encoding="utf-8")
    assert main(["validate", "--config", str(tmp_path / "configs" / "hotel.yaml")]) == 0
    out = capsys.readouterr().out
    assert "note: 1 generic opinion(s) of an earlier pack are bound in a later one" in out
    assert "差 (general.yaml:" in out and "-> hotel.yaml:" in out


def test_cli_unknown_stage_lists_known(tmp_path, capsys):
    code = main(["--config", str(ROOT / "configs" / "hotel.yaml"), "--output-dir", str(tmp_path), "--from", "sentimnet"])
    assert code == 2
    assert "unknown stage 'sentimnet'; known stages: ingest, clean, segment" in capsys.readouterr().err


def test_cli_missing_input_file_exit_3(tmp_path, capsys):
    code = main(["--config", str(ROOT / "configs" / "hotel.yaml"), "--input", str(tmp_path / "nope.csv"), "--output-dir", str(tmp_path / "o"), "--to", "clean"])
    assert code == 3
    assert "input file not found" in capsys.readouterr().err


def test_cli_missing_text_column_exit_3(tmp_path, capsys):
    dump = tmp_path / "d.csv"
    dump.write_text("id,body\n1,很好\n", encoding="utf-8")
    code = main(["--config", str(ROOT / "configs" / "hotel.yaml"), "--input", str(dump), "--output-dir", str(tmp_path / "o"), "--text-column", "review", "--id-column", "id", "--to", "clean"])
    assert code == 3
    assert "found columns: ['id', 'body']" in capsys.readouterr().err


def test_cli_from_without_cache_explains(tmp_path, capsys):
    code = main(["--config", str(ROOT / "configs" / "hotel.yaml"), "--output-dir", str(tmp_path / "o"), "--from", "sentiment"])
    assert code == 4
    assert "needs the cached output of 'segment'" in capsys.readouterr().err


def test_cli_run_py_only_calls_main():
    proc = subprocess.run([sys.executable, str(ROOT / "run.py"), "--help"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "--output-dir" in proc.stdout


def _labelled(tmp_path):
    """A labelled file from the bundled sample: a label column, and star ratings with a gap."""
    df = pd.read_csv(ROOT / "data" / "sample" / "hotel_reviews.csv", dtype=str, keep_default_na=False).head(80)
    rating = pd.to_numeric(df["rating"], errors="coerce")
    df["label"] = ["正面" if r >= 4 else "负面" if r <= 2 else "" for r in rating]
    df.loc[df.index[:3], "rating"] = ""  # unrated reviews are left out, not an error
    path = tmp_path / "labelled.csv"
    df.to_csv(path, index=False)
    return path, df


@pytest.mark.parametrize("flags", [["--label-column", "label"], ["--rating-column", "rating"]], ids=["labels", "ratings"])
def test_cli_evaluate_sentiment_prints_the_figures(tmp_path, capsys, flags):
    path, df = _labelled(tmp_path)
    code = main(["evaluate-sentiment", "--config", str(ROOT / "configs" / "hotel.yaml"), "--labels", str(path), "--id-column", "id", "--quiet", *flags])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "accuracy=" in out and "macro_f1=" in out and "confusion [[tn fp] [fn tp]]" in out
    rated = pd.to_numeric(df["rating"], errors="coerce")
    labelled = int((df["label"] != "").sum()) if flags[0] == "--label-column" else int(((rated >= 4) | (rated <= 2)).sum())
    n = int(re.search(r"n=(\d+) accuracy=", out).group(1))
    used, rejected, unlabelled = map(int, re.search(r"labels used: (\d+) of 80 rows \((\d+) rejected by the pipeline, (\d+) without a usable label\)", out).groups())
    assert used == n and used + rejected + unlabelled == len(df) == 80  # every row accounted for
    assert 0 < used <= labelled


def test_cli_stdout_closed_early_is_no_internal_error():
    # `python run.py evaluate-sentiment ... | head -1`: the reader leaves before the output ends.
    code = (
        "import sys; from pipeline import cli; "
        "cli.SUBCOMMANDS['spam'] = lambda argv: [print('x' * 100) for _ in range(100_000)] and 0; "
        "sys.exit(cli.main(['spam']))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == 141
    assert "internal error" not in err and "BrokenPipeError" not in err


def test_cli_sigterm_unwinds_the_run_and_exits_143(tmp_path, capsys, monkeypatch):
    """SIGTERM (a cron time limit, ``kill``) ends the run with exit code 143 and a line in its
    log, after it closed its pool and let go of its lock; the outputs of the run before stay
    as they were, and the next run completes."""
    import multiprocessing
    import os
    import shutil
    import signal

    from pipeline import runner

    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    yaml = tmp_path / "configs" / "pooled.yaml"
    yaml.write_text((ROOT / "configs" / "hotel.yaml").read_text(encoding="utf-8") + "\nengine: {sample_size: 200, chunk_size: 20}\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["--config", str(yaml), "--input", str(ROOT / "data" / "sample" / "hotel_reviews.csv"), "--output-dir", str(out), "--quiet"]
    assert main([*args, "--run-date", "2026-11-01"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name not in ("run.log", "manifest.json", "state.sqlite")}
    collect = runner._collect

    def terminated_after_the_first_partition(*a, **k):
        collect(*a, **k)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(runner, "_collect", terminated_after_the_first_partition)
    handler = signal.getsignal(signal.SIGTERM)
    capsys.readouterr()
    assert main([*args, "--run-date", "2026-11-08", "--full", "--engine", "processes", "--workers", "2"]) == 143
    assert capsys.readouterr().err.strip() == "error: terminated (SIGTERM)"
    assert signal.getsignal(signal.SIGTERM) is handler  # the handler was the run's only
    assert not multiprocessing.active_children()  # the pool was closed
    assert not (out / ".run.lock").exists()
    assert "terminated (SIGTERM) before the run finished: rerun to complete it" in (out / "run.log").read_text(encoding="utf-8")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name not in ("run.log", "manifest.json", "state.sqlite")} == before
    monkeypatch.setattr(runner, "_collect", collect)
    assert main([*args, "--run-date", "2026-11-08", "--full", "--engine", "processes", "--workers", "2"]) == 0
