"""Benchmark: how long the test suite takes, in all and by group (the markers of pytest.ini).

Runs pytest once over the suite (or the groups named) as `make test` does (pytest-xdist, one worker
more than the cores unless -n says otherwise) with a JUnit report, and prints the wall time, the seconds the
tests took added up (about what one worker would take), and, for each group, its tests and the
seconds they took (a session fixture's set-up counts for the first test that uses it). A test
with several markers counts in the first group listed below; "fast" is everything
`make test-fast` runs. Then the seconds of each group that `make test` gives one worker
(tests/conftest.py's group_of), longest first: the longest bounds the wall time. Figures only:
nothing is asserted, the machine is noisy. Goals: `make test` within 8 minutes plus the VM test,
`make test-fast` within 60 s.

usage: python bench/test_suite.py [-m EXPRESSION] [-n WORKERS] [-- extra pytest arguments]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # as pytest.ini's pythonpath: conftest imports the tests' modules
from conftest import group_of as scheduling_group  # noqa: E402

GROUPS = ("vm", "browser", "postgres", "sandbox", "nbgrader")  # in the order a test is counted


def node_ids(expression):
    """The ids of the tests that a marker expression selects."""
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", expression],
                            cwd=ROOT, capture_output=True, text=True)
    return {line.strip() for line in result.stdout.splitlines() if "::" in line}


def junit_times(path):
    """{(module file name, test name): seconds} from a JUnit report."""
    times = {}
    for case in ElementTree.parse(path).iter("testcase"):
        module = next(part for part in case.get("classname").split(".") if part.startswith("test_"))
        times[(f"{module}.py", case.get("name"))] = float(case.get("time", 0))
    return times


def group_of(node_id, members):
    return next((group for group in GROUPS if node_id in members[group]), "fast")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", dest="expression", default="", help="run only the tests this marker expression selects")
    parser.add_argument("-n", dest="workers", default=str(len(os.sched_getaffinity(0)) + 1),
                        help="pytest-xdist workers, as `make test` (0: none)")
    parser.add_argument("pytest_args", nargs="*", help="more arguments for pytest (after --)")
    args = parser.parse_args(argv)
    members = {group: node_ids(group) for group in GROUPS}
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", "-n", args.workers,
                   *(["-m", args.expression] if args.expression else []), *args.pytest_args]
        start = time.monotonic()
        result = subprocess.run(command, cwd=ROOT)
        wall = time.monotonic() - start
        times = junit_times(report)
    totals, counts = defaultdict(float), defaultdict(int)
    for (module, name), seconds in times.items():
        node_id = f"tests/{module}::{name}"
        group = group_of(node_id, members)
        totals[group] += seconds
        counts[group] += 1
    print(f"\nwall time {wall:.0f} s for {len(times)} tests with {args.workers} workers (pytest exit {result.returncode}); "
          f"the tests took {sum(times.values()):.0f} s in all")
    for group in (*GROUPS, "fast"):
        if counts[group]:
            print(f"  {group:<9} {counts[group]:>4} tests  {totals[group]:>7.1f} s")
    by_worker_group = defaultdict(float)
    for (module, name), seconds in times.items():
        by_worker_group[scheduling_group(Path(module).stem)] += seconds
    print("by the group one worker runs:")
    for group, seconds in sorted(by_worker_group.items(), key=lambda item: -item[1]):
        print(f"  {group:<24} {seconds:>7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
