"""Command line: `python -m helpers COMMAND [options]`; `python -m helpers --help` lists the commands."""
import importlib
import sys

# command -> ("module:function" that takes argv and returns an exit code, one-line description)
COMMANDS = {
    "build": ("helpers.tools.build:main", "regenerate figures, check data, the source notebook and release/"),
    "figures": ("helpers.figures:main", "draw the lesson's figures into source/<assignment>/images/"),
    "demo": ("helpers.tools.demo:main", "the demo grading run: release, three submissions, autograde, feedback, CSV"),
    "reset": ("helpers.tools.demo:reset", "remove what the demo made (gradebook, submissions, autograded, feedback)"),
    "grade": ("helpers.tools.grade:main", "autograde a whole class in parallel (local workers or a Dask cluster)"),
    "report": ("helpers.tools.report:main", "write the class report (HTML with plots, and CSV)"),
    "screenshots": ("helpers.tools.screenshots:main", "retake the README's screenshots (docs/images/) in Chromium"),
    "killmatrix": ("helpers.tools.killmatrix:main", "print which check cell catches which mutant"),
    "server-setup": ("helpers.tools.server_setup:main",
                     "set up a shared server (as root): exchange, private homes and course, late policy"),
}


def usage() -> str:
    lines = ["usage: python -m helpers COMMAND [options]", "", "commands:"]
    width = max(map(len, COMMANDS))
    lines += [f"  {name:<{width}} {description}" for name, (_, description) in COMMANDS.items()]
    lines += ["", "`python -m helpers COMMAND --help` describes a command's options."]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, function = COMMANDS[name][0].split(":")
    return getattr(importlib.import_module(module_name), function)(rest)


if __name__ == "__main__":
    sys.exit(main())
