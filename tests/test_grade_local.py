"""Do local worker processes survive the death of one of them without losing or repeating a student?

The workers are real forked processes; the grading function is replaced before they fork, so
these tests take a second and exercise only the pool: hand-out, death, retry, stop.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from helpers.tools.grade import local
from helpers.tools.grade.local import LocalPool, WorkerLost
from helpers.tools.grade.worker import Job

REPO = Path(__file__).resolve().parents[1]


def fake_grading(tmp_path):
    """A grade_job that kills its process for 'doomed' always and for 'flaky' once."""
    def grade(job):
        if job.student == "doomed":
            os._exit(9)
        marker = tmp_path / "flaky-died-once"
        if job.student == "flaky" and not marker.exists():
            marker.touch()
            os._exit(9)
        return f"graded {job.student}"
    return grade


def test_dead_worker_is_replaced_and_its_student_retried_once(tmp_path, monkeypatch):
    """Is a student whose worker dies graded by a new worker, and reported after a second death, while all others finish once?"""
    monkeypatch.setattr(local, "grade_job", fake_grading(tmp_path))
    monkeypatch.setattr(local, "probe", lambda course: None)
    students = ["a", "doomed", "b", "flaky", "c", "d"]
    pool = LocalPool(2, str(tmp_path), str(tmp_path / "workers.log"))
    try:
        answers = [(job.student, answer) for job, answer in
                   pool.run([Job(str(tmp_path), "cnn", s, "run", None) for s in students])]
        assert pool.size == 2
    finally:
        pool.close()
    assert sorted(student for student, _ in answers) == sorted(students)
    results = dict(answers)
    assert results["flaky"] == "graded flaky"
    assert all(results[s] == f"graded {s}" for s in "abcd")
    assert isinstance(results["doomed"], WorkerLost)
    assert str(results["doomed"]) == "the worker process grading it died 2 times (last exit code 9)"


def test_close_stops_idle_workers(tmp_path, monkeypatch):
    """Are the worker processes gone after close()?"""
    monkeypatch.setattr(local, "probe", lambda course: None)
    pool = LocalPool(2, str(tmp_path), str(tmp_path / "workers.log"))
    processes = [process for process, _ in pool.workers.values()]
    pool.close()
    assert [process.is_alive() for process in processes] == [False, False]
    assert pool.size == 0


COORDINATOR = '''
import signal, sys, time
from helpers.tools.grade import local
from helpers.tools.grade.worker import Job

def stubborn(job):
    """Grades for a while, deaf to SIGTERM (as a busy nbgrader may be)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    open(f"{sys.argv[1]}/started-{job.student}", "w").close()
    time.sleep(3)
    return "graded"

local.grade_job, local.probe = stubborn, lambda course: None
pool = local.LocalPool(2, sys.argv[1], f"{sys.argv[1]}/workers.log")
list(pool.run([Job(sys.argv[1], "cnn", s, "run", None) for s in "abcd"]))
'''


def test_workers_end_when_the_coordinator_is_killed(tmp_path):
    """When the coordinator is killed while its workers grade (and ignore SIGTERM), do the workers end once
    their student is done, instead of waiting for a next job forever?"""
    coordinator = subprocess.Popen([sys.executable, "-c", COORDINATOR, str(tmp_path)], cwd=REPO)
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("started-*"))) < 2:
        assert time.monotonic() < deadline and coordinator.poll() is None, "the workers did not start grading"
        time.sleep(0.1)
    workers = psutil.Process(coordinator.pid).children()
    assert len(workers) == 2
    coordinator.kill()
    coordinator.wait()
    _, alive = psutil.wait_procs(workers, timeout=30)
    for process in alive:
        process.kill()  # nothing left behind, even when the test fails
    assert alive == []
