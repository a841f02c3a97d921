"""Every notebook executes on the outputs of a run of the bundled sample."""

from __future__ import annotations

import pytest

from pipeline.cli import main
from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def sample_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("nb_run")
    assert main(["--output-dir", str(out), "--run-date", "2026-11-01", "--quiet"]) == 0
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_execute(path, sample_output, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("REVIEWS_OUTPUT_DIR", str(sample_output))
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_are_stripped(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), f"{path.name} has outputs; save it cleared"


def test_notebooks_cover_the_analysts_questions():
    assert [p.name for p in NOTEBOOKS] == ["01-overview.ipynb", "02-drill-into-a-dimension.ipynb", "03-tune-lexicon-and-rerun.ipynb"]
