"""Grading machinery that nbgrader loads: judging the checks (verify), what feedback hides
(feedback) and the sandbox student code runs in. Depends on the assignment's content, never on tools."""
