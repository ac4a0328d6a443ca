"""A backward function that estimates its gradients from the forward pass earns nothing.

Finite differences of conv_forward or pool_forward give gradients right to many digits, so every
case passes; the exercise is the chain rule. With the backward part counting, a real autograde
gives such functions 0 points with a message saying why, and the visible check says so too.
"""
import inspect
import subprocess
import sys

import pytest

import support
from helpers import alternatives
from helpers.course import tool_env

NUMERICAL = {
    "conv_backward": '''
def conv_backward(dZ, cache):
    """Gradients of sum(Z * dZ) by central differences of conv_forward (linear: a step of 1 is exact)."""
    A_prev, W, b, hparameters = (*(np.array(part, dtype=float) for part in cache[:3]), cache[3])
    grads = []
    for x in (A_prev, W, b):
        grad = np.zeros(x.shape)
        for k in np.ndindex(x.shape):
            saved = x[k]
            x[k] = saved + 1.0
            up = conv_forward(A_prev, W, b, hparameters)[0]
            x[k] = saved - 1.0
            down = conv_forward(A_prev, W, b, hparameters)[0]
            x[k] = saved
            grad[k] = np.sum((up - down) * dZ) / 2.0
        grads.append(grad)
    return tuple(grads)
''',
    "pool_backward": '''
def pool_backward(dA, cache, mode="max"):
    """Gradient of sum(A * dA) by central differences of pool_forward."""
    A_prev, hparameters = np.array(cache[0], dtype=float), cache[1]
    grad = np.zeros(A_prev.shape)
    for k in np.ndindex(A_prev.shape):
        saved = A_prev[k]
        A_prev[k] = saved + 1e-6
        up = pool_forward(A_prev, hparameters, mode)[0]
        A_prev[k] = saved - 1e-6
        down = pool_forward(A_prev, hparameters, mode)[0]
        A_prev[k] = saved
        grad[k] = np.sum((up - down) * dA) / 2e-6
    return grad
''',
}
FAST_FORWARD = {  # vectorized forward passes keep the finite differences cheap
    name: inspect.getsource(getattr(alternatives, f"{name}__sliding_window")).replace(f"def {name}__sliding_window(",
                                                                                       f"def {name}(")
    for name in ("conv_forward", "pool_forward")
}


@pytest.fixture(scope="session")
def counting_course(course_factory):
    """A course built with the backward part counting (130 points), a right and a numerical student graded."""
    course = course_factory("chain-rule")
    built = subprocess.run([sys.executable, "-m", "helpers", "build"], cwd=course,
                           env=tool_env(CNN_BACKWARD_COUNTS="1"), capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-3000:]
    release, right = support.release_notebook(course), support.reference_sources()
    support.autograde(course, {"right": support.with_solutions(release, {**right, **FAST_FORWARD}),
                               "numerical": support.with_solutions(release, {**right, **FAST_FORWARD, **NUMERICAL})})
    return course


@pytest.mark.parametrize("function", NUMERICAL)
def test_numerical_gradients_earn_nothing(counting_course, function):
    """Is a backward function that calls a forward function worth 0, with the reason, while every case passes?"""
    grade_id = f"{function}_check"
    assert support.scores(counting_course, "right")[grade_id][0] == 10
    assert support.scores(counting_course, "numerical")[grade_id][0] == 0
    result = support.results(counting_course, "numerical")[grade_id]
    failing = [case for case in result["cases"] if not case["passed"]]
    assert [case["label"] for case in failing] == ["gradients by the chain rule, not from the forward pass"]
    assert "chain rule" in failing[0]["message"] and function in failing[0]["message"]


def test_the_visible_check_says_so():
    """Does the visible check refuse a numerical conv_backward with the same reason?"""
    from helpers.checks import cnn_checks
    namespace = {"np": cnn_checks.np}
    for source in (*FAST_FORWARD.values(), NUMERICAL["conv_backward"]):
        exec(source, namespace)
    with pytest.raises(cnn_checks.CheckFailed, match="chain rule"):
        cnn_checks.check_conv_backward(namespace["conv_backward"])


def test_the_rule_leaves_other_scores_alone(counting_course):
    """Does the numerical student keep every other check's points?"""
    right, numerical = support.scores(counting_course, "right"), support.scores(counting_course, "numerical")
    assert sum(score for score, _ in right.values()) == 130
    assert {g: s for g, s in numerical.items() if g not in ("conv_backward_check", "pool_backward_check")} == \
           {g: s for g, s in right.items() if g not in ("conv_backward_check", "pool_backward_check")}
