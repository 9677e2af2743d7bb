"""The controller's rollout lock: one live holder per inventory; a dead holder's lock is taken over."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _controller_lock as lock


def test_the_lock_names_the_inventory_sources_not_their_order(tmp_path):
    a, b = tmp_path / "a.yml", tmp_path / "b.yml"
    assert lock.lock_path(str(tmp_path), [str(a), str(b)]) == lock.lock_path(str(tmp_path), [str(b), str(a)])
    assert lock.lock_path(str(tmp_path), [str(a)]) != lock.lock_path(str(tmp_path), [str(b)])


def test_a_live_holder_keeps_the_lock_and_is_named(tmp_path):
    path = lock.lock_path(str(tmp_path / "locks"), ["inventory.yml"])
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        taken = lock.acquire(path, "run-one", holder.pid, "remediate")
        assert taken.run_id == "run-one" and taken.took_over is None
        assert oct(os.stat(path).st_mode & 0o777) == "0o600"
        assert lock.acquire(path, "run-one-again", holder.pid).run_id == "run-one"  # the holder itself: no-op
        with pytest.raises(lock.LockHeld, match=rf"run run-one by .*\(process {holder.pid}, remediate\)"):
            lock.acquire(path, "run-two", os.getpid())
        assert not lock.release(path, os.getpid())  # only the holder releases
        assert lock.release(path, holder.pid) and not os.path.exists(path)
    finally:
        holder.kill()
        holder.wait()


def test_a_dead_holders_lock_is_taken_over(tmp_path):
    path = lock.lock_path(str(tmp_path), ["inventory.yml"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    lock.acquire(path, "killed-run", gone.pid)
    gone.wait()

    taken = lock.acquire(path, "next-run", os.getpid())

    assert taken.took_over["run_id"] == "killed-run"
    assert json.loads(open(path).read())["run_id"] == "next-run"  # noqa: SIM115


def test_a_reused_process_id_is_not_the_holder(tmp_path):
    path = lock.lock_path(str(tmp_path), ["inventory.yml"])
    lock.acquire(path, "old-run", os.getpid())
    record = json.loads(open(path).read())  # noqa: SIM115
    record["pid_start"] = "1"  # the same PID, started at another time: another process
    open(path, "w").write(json.dumps(record))  # noqa: SIM115

    assert lock.acquire(path, "new-run", os.getpid()).took_over["run_id"] == "old-run"
