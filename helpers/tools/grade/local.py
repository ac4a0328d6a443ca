"""Local workers: N forked processes, each grading one student at a time with worker.grade_job.

Forking after the coordinator has loaded nbgrader and the course's configuration saves each
worker the ~2 s an nbgrader process needs before it grades anything. A worker that dies (killed,
out of memory) is replaced and the student it held goes to a worker once more; a second death on
the same student reports it as failed. Workers run in their own session, so a Ctrl-C in the
terminal reaches only the coordinator, which stops them (SIGTERM: nbgrader cleans up as on
Ctrl-C); on Linux they also get SIGTERM if the coordinator itself dies.
"""
import collections
import ctypes
import multiprocessing
import os
import signal
import traceback
from multiprocessing.connection import wait

from .worker import Job, discard_private_copies, grade_job, probe

ATTEMPTS = 2  # times a student is handed to a worker process before a worker death counts as its failure
STOP_SECONDS = 10  # how long stopping workers may take before they are killed


class WorkerLost(Exception):
    """The process grading a student died before it answered."""


class LocalPool:
    """`size` worker processes for the course at `course`; output of workers and kernels goes to `log_path`
    (emptied first)."""

    def __init__(self, size: int, course: str, log_path: str, close_in_child: tuple[int, ...] = ()):
        self.course, self.log_path, self.close_in_child = course, log_path, close_in_child
        open(log_path, "w").close()  # the log holds this run's output only
        self.context = multiprocessing.get_context("fork")
        self.workers: dict = {}  # connection -> [process, job being graded or None]
        for _ in range(size):
            self._start()

    @property
    def size(self) -> int:
        return len(self.workers)

    def run(self, jobs: list[Job]):
        """Yield (job, Outcome) as students finish, or (job, Exception) when grading could not happen.

        A worker gets its next student before the finished one is yielded, so the time the
        coordinator takes to record a result never keeps a worker waiting.
        """
        queue = collections.deque(jobs)
        attempts = collections.Counter()
        for connection in list(self.workers):
            self._assign(connection, queue, attempts)
        while any(job for _, job in self.workers.values()):
            sentinels = {state[0].sentinel: connection for connection, state in self.workers.items()}
            for ready in wait(list(self.workers) + list(sentinels)):
                connection = sentinels.get(ready, ready)
                if connection not in self.workers:
                    continue
                process, job = self.workers[connection]
                answer = self._receive(connection)
                if answer is not None:
                    self.workers[connection][1] = None
                    self._assign(connection, queue, attempts)
                    yield job, answer
                    continue
                retry = job is not None and attempts[job.student] < ATTEMPTS
                if retry:
                    queue.appendleft(job)
                self._assign(self._replace(connection), queue, attempts)
                if job is not None and not retry:
                    yield job, WorkerLost(f"the worker process grading it died {ATTEMPTS} times "
                                          f"(last exit code {process.exitcode})")

    def _assign(self, connection, queue: collections.deque, attempts: collections.Counter) -> None:
        """Send the next queued job to this idle worker, if there is one."""
        if not queue:
            return
        job = self.workers[connection][1] = queue.popleft()
        attempts[job.student] += 1
        try:
            connection.send(job)
        except OSError:
            pass  # the process is gone: its sentinel reports it and the job is handed out again

    def close(self) -> None:
        """Stop the workers: idle ones at once, busy ones after nbgrader's clean-up."""
        for connection, (process, _) in self.workers.items():
            if process.is_alive():
                process.terminate()
            connection.close()
        for process, _ in self.workers.values():
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
        self.workers.clear()

    @staticmethod
    def _receive(connection):
        """The worker's answer, or None if the process is gone."""
        try:
            return connection.recv() if connection.poll() else None
        except (EOFError, OSError):
            return None

    def _start(self):
        parent, child = self.context.Pipe()
        # the child closes the coordinator's ends of every pipe (its own too): once the coordinator is
        # gone, no process holds them, and a worker waiting for a job reads EOF and ends
        inherited = (*self.close_in_child, parent.fileno(), *(other.fileno() for other in self.workers))
        process = self.context.Process(target=_serve, daemon=True, name="grade-worker",
                                       args=(child, self.course, self.log_path, inherited, os.getpid()))
        process.start()
        child.close()
        self.workers[parent] = [process, None]
        return parent

    def _replace(self, connection):
        """Start a worker in place of a dead one; return the new worker's connection."""
        process, _ = self.workers.pop(connection)
        connection.close()
        process.join(1)
        return self._start()


def _serve(connection, course: str, log_path: str, close_fds: tuple[int, ...], coordinator: int) -> None:
    """A worker process: grade each job received until told to stop or the coordinator is gone."""
    os.setsid()
    _die_with_parent(coordinator)
    for fd in close_fds:
        os.close(fd)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        probe(course)
        while True:
            job = connection.recv()
            try:
                answer = grade_job(job)
            except Exception:
                answer = RuntimeError(traceback.format_exc().strip().splitlines()[-1])
            connection.send(answer)
    except (EOFError, OSError, KeyboardInterrupt):
        return
    finally:
        discard_private_copies()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _die_with_parent(parent: int) -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (no-op elsewhere)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)
