import json
import os
import subprocess
import sys

import pytest

from pipeline.errors import LockError
from pipeline.store import LOCK_NAME, StateStore, run_lock, text_hash


def test_store_lock_blocks_a_second_run(tmp_path):
    with run_lock(tmp_path):
        with pytest.raises(LockError, match="another run is using"):
            with run_lock(tmp_path):
                pass
    assert not (tmp_path / LOCK_NAME).exists()


def test_store_stale_lock_of_dead_process_is_taken_over(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(proc.stdout)
    import socket

    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead_pid, "host": socket.gethostname(), "started": "2026-01-01"}))
    with run_lock(tmp_path) as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()


def test_store_lock_released_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with run_lock(tmp_path):
            raise RuntimeError("boom")
    assert not (tmp_path / LOCK_NAME).exists()


def test_store_state_remembers_hashes_and_runs(tmp_path):
    with StateStore(tmp_path) as st:
        st.begin_run("r1", "2026-11-01T00:00:00", "abc", "cfg")
        st.finish_run("r1", [("a", text_hash("很好")), ("b", text_hash("差"))], {"read": 2, "accepted": 2, "rejected": 0, "new": 2, "changed": 0, "unchanged": 0})
    with StateStore(tmp_path) as st:
        assert st.known_hashes(["a", "c"]) == {"a": text_hash("很好")}
        assert st.count() == 2
        runs = st.runs()
        assert runs[0]["status"] == "done" and runs[0]["new"] == 2


def test_store_known_hashes_many_ids(tmp_path):
    with StateStore(tmp_path) as st:
        st.begin_run("r1", "t", None, "c")
        st.finish_run("r1", [(str(i), "h") for i in range(2500)], {})
        assert len(st.known_hashes([str(i) for i in range(3000)])) == 2500
