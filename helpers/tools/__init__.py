"""Commands around nbgrader (`python -m helpers COMMAND`): build, demo, class grading, report,
kill matrix, screenshots. They use the content and the grading machinery; nothing imports them back."""
