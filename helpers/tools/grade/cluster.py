"""Dask workers: worker.grade_job run by the workers of a Dask scheduler.

The scheduler and workers are started with Dask's own commands (`dask scheduler`, `dask worker`);
each worker process loads the course's nbgrader configuration once and grades one student at a
time. Dask re-runs the job of a worker that dies on another worker; after Dask's allowed failures
(3 by default) the student is reported as failed. Before any grading, every worker is asked to
load the course (worker.probe), so a worker that cannot see the course or import this package
is reported at once instead of failing every student.
"""
from .coursedir import CourseError, first_line
from .worker import Job, grade_job, probe


HINT = ("The scheduler and every worker need this project's environment and the course at the same path: "
        "start them from the course root with PYTHONPATH set to it (see README, Grading a whole class).")


class ClusterPool:
    """The workers of the Dask scheduler at `address`, checked to be able to grade `course`."""

    def __init__(self, address: str, course: str, timeout: float):
        from distributed import Client

        try:
            self.client = Client(address, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as error:  # ValueError: not an address Dask knows
            raise CourseError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        self.futures = []
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            self.close()
            raise CourseError(f"no Dask worker joined the scheduler at {address} within {timeout:g} s "
                              "(start workers with `dask worker ADDRESS`)") from None
        try:  # the scheduler too must be able to import this package to accept tasks
            self.client.submit(probe, course, pure=False).result(timeout=timeout)
        except TimeoutError:
            self.close()
            raise CourseError(f"the Dask cluster at {address} ran no first task within {timeout:g} s: its workers "
                              "may still be starting or too busy (try a longer --connect-timeout)") from None
        except Exception as error:
            self.close()
            raise CourseError(f"the Dask cluster at {address} cannot run the grader: {first_line(error)}\n{HINT}") from None
        answers = self.client.run(probe, course, on_error="return")
        broken = {worker: answer for worker, answer in answers.items() if isinstance(answer, BaseException)}
        if broken:
            self.close()
            lines = "\n".join(f"  {worker}: {first_line(error)}" for worker, error in broken.items())
            raise CourseError(f"Dask workers that cannot grade the course {course}:\n{lines}\n{HINT}")
        self.size = sum(self.client.nthreads().values())

    def run(self, jobs: list[Job]):
        """Yield (job, Outcome) as students finish, or (job, Exception) when Dask gave up on one."""
        from distributed import as_completed

        by_future = {self.client.submit(grade_job, job, key=f"grade-{job.run_id}-{job.student}", pure=False): job
                     for job in jobs}
        self.futures = list(by_future)
        for future in as_completed(self.futures):
            try:
                answer = future.result()
            except Exception as error:  # KilledWorker, a worker that lost its connection, ...
                answer = error
            yield by_future[future], answer

    def close(self) -> None:
        if self.futures:
            self.client.cancel(self.futures)
        self.client.close()
