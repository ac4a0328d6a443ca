"""What each case should give, and what each known mistake gives instead, computed by the grader."""
import copy
import functools
import warnings

import numpy as np

from helpers import cases, mistakes, oracle
from helpers.checks import cnn_checks


def right_result(spec, args):
    """The right result of spec's function on args, from the independent oracle."""
    return getattr(oracle, spec["function"])(*copy.deepcopy(args))


def tolerance(spec):
    return cnn_checks.TOLERANCE[spec.get("dtype", "float64")]


def mistake_records(spec, args, right):
    """{slug: record} of the function's known mistakes on args, for those whose result differs from right."""
    found = {}
    for mistake in mistakes.for_function(spec["function"]):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # a buggy function may average an empty slice
            record = cnn_checks.call(spec["function"], mistakes.built(mistake.slug), copy.deepcopy(args))
        if cnn_checks.judge(spec["function"], record, right, tolerance(spec)).passed:
            continue  # this input does not reveal the mistake
        record.get("raised", {}).pop("where", None)  # matching needs type and message; the line is the mistake's code
        found[mistake.slug] = record
    return found


@functools.lru_cache(maxsize=None)
def _hidden_case(case_id):
    spec = next(spec for spec in cases.HIDDEN + cases.VISIBLE if spec["id"] == case_id)
    args = cases.args_of(spec)
    return spec, args, right_result(spec, args)


def judge_case(case_id, record):
    """The verdict on a recorded result of the case with this id (mistakes computed only on failure)."""
    spec, args, right = _hidden_case(case_id)
    verdict = cnn_checks.judge(spec["function"], record, right, tolerance(spec))
    if verdict.passed:
        return verdict
    return cnn_checks.judge(spec["function"], record, right, tolerance(spec),
                        _mistakes_of(case_id), mistakes.MESSAGES)


@functools.lru_cache(maxsize=None)
def _mistakes_of(case_id):
    spec, args, right = _hidden_case(case_id)
    return mistake_records(spec, args, right)
