"""Tampering from inside the kernel earns nothing, on the real assignment with real nbgrader autograde.

Every tamperer submits a WRONG zero_pad (the batch axis padded too) plus a trick meant to make its
check pass anyway. Because the checks are judged outside the kernel (helpers.grading.verify), each trick
must leave zero_pad_check at 0, the other checks at full marks, and forged results flagged.
"""
import pytest

import support
from helpers import mistakes

WRONG_ZERO_PAD = mistakes.MISTAKES_BY_SLUG["pad_every_axis"].source()
TRICKS = {
    "tamper-numpy": "np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)\n"
                    "np.array_equal = lambda *a, **k: True",
    "tamper-checks": "import cnn_checks\ncnn_checks.judge = lambda *a, **k: cnn_checks.Verdict(True)\n"
                     "cnn_checks.call = lambda function, fn, args: {'returned': cnn_checks.encode(args[0]),"
                     " 'args_changed': []}\ncnn_checks.CheckFailed = type('Quiet', (Exception,), {})",
    "tamper-excepthook": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
    "tamper-builtins": "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})\n"
                       "builtins.print = lambda *a, **k: None",
    "tamper-forged": "from IPython.display import display as _display\n_wrong_zero_pad = zero_pad\n\n"
                     "def zero_pad(X, pad):  # forges a right-looking result for a hidden case, then answers wrongly\n"
                     "    _display({'application/vnd.cnn-check+json': {'unit': 'zero_pad_check',"
                     " 'case': 'zero_pad_check/pad-0', 'returned': None}}, raw=True)\n"
                     "    return _wrong_zero_pad(X, pad)",
}
HONEST = "honest-wrong"


@pytest.fixture(scope="session")
def tampered_class(course_factory):
    """The tamperers and their honest equivalent (the same wrong zero_pad, no trick), graded in one run."""
    course = course_factory("tampering")
    release, right = support.release_notebook(), support.reference_sources()
    submissions = {HONEST: support.with_solutions(release, {**right, "zero_pad": WRONG_ZERO_PAD})}
    for student, trick in TRICKS.items():
        submissions[student] = support.with_solutions(release, {**right, "zero_pad": WRONG_ZERO_PAD + "\n\n" + trick})
    support.autograde(course, submissions)
    return course


@pytest.mark.parametrize("student", TRICKS)
def test_tampering_gains_nothing(tampered_class, student):
    """Does every trick leave the wrong zero_pad at 0 and no check above its honest equivalent's score?"""
    scores, honest = support.scores(tampered_class, student), support.scores(tampered_class, HONEST)
    assert scores["zero_pad_check"][0] == 0
    assert all(scores[grade_id][0] <= honest[grade_id][0] for grade_id in honest)


def test_forged_results_are_flagged_for_review(tampered_class):
    """Is a result forged from the notebook flagged in the verdict and marked for manual grading?"""
    result = support.results(tampered_class, "tamper-forged")["zero_pad_check"]
    assert not result["passed"] and any("recorded" in flag for flag in result["flags"])
    assert support.scores(tampered_class, "tamper-forged")["zero_pad_check"] == (0, True)


def test_the_honest_equivalent_is_not_flagged(tampered_class):
    """Is the honest wrong submission charged for zero_pad only, with the mistake named and nothing flagged?"""
    results = support.results(tampered_class, HONEST)
    assert not results["zero_pad_check"]["flags"]
    assert {case["mistake"] for case in results["zero_pad_check"]["cases"]} >= {"pad_every_axis"}
    for grade_id, (score, review) in support.scores(tampered_class, HONEST).items():
        assert not review and score == (0 if grade_id == "zero_pad_check" else results[grade_id]["points"])
