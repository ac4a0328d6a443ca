"""Set up a shared course server: instructor and students are Unix users who meet in nbgrader's exchange.

`python -m helpers server-setup` (as root) does what an admin must before the first
`nbgrader release_assignment`:
- homes: the instructor's and every student's home readable by its owner alone (mode 0700 or less);
- the course folder: owned by the instructor, mode 0700, its SQLite gradebook 0600;
- the exchange with nbgrader's modes: the root 1777 (owned by root, as nbgrader's docs ask),
  `<course_id>/` and `outbound/` 0755, `inbound/` 2733 (students can write into it, not list it),
  `feedback/` 0711 (students can read a file whose name they know, not list them), all owned by
  the instructor. Made in advance, so a student cannot claim the course's folder first;
- a block in the nbgrader config every user's nbgrader reads (default
  /etc/jupyter/nbgrader_config.py) naming the exchange and the course id;
- it reports the course's late-submission policy (`c.LateSubmissionPlugin.penalty_method` in the
  course's nbgrader_config.py) and warns when late submissions are not penalized.

It prints one line per item: what it changed, or that it was already right, so running it again
changes nothing. The course's nbgrader_config.py is read as text and never run: root does not
execute a file the instructor can write. Run the command from a checkout only root can write to,
not from inside the instructor's course, for the same reason. Exit status: 0 done, 2 refused
(not root, an unknown user, no course, a path through a symbolic link, an exchange folder
someone else owns); nothing is changed when it refuses.
"""
import argparse
import ast
import grp
import os
import pwd
import stat
import sys
from pathlib import Path

DEFAULT_EXCHANGE = "/usr/local/share/nbgrader/exchange"  # nbgrader's default Exchange.root
DEFAULT_CONFIG = "/etc/jupyter/nbgrader_config.py"  # read by every user's nbgrader
BEGIN = "# --- written by `python -m helpers server-setup`: the exchange of every user's nbgrader ---"
END = "# --- end of server-setup ---"
# Folders of <exchange>/<course_id>/ and their modes, as nbgrader's release_assignment and
# release_feedback make them (nbgrader/exchange/default, without groupshared).
EXCHANGE_MODES = {".": 0o755, "outbound": 0o755, "inbound": 0o2733, "feedback": 0o711}
EXAMPLES = """examples:
  sudo .venv/bin/python -m helpers server-setup --instructor alice --group students --course /home/alice/cnn
  sudo .venv/bin/python -m helpers server-setup --instructor alice --student bob --student carol \\
      --course /home/alice/cnn --exchange /srv/nbgrader/exchange --config /opt/course-env/etc/jupyter/nbgrader_config.py
"""


class Refused(Exception):
    """The set-up cannot be done as asked; the message says why."""


def user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise Refused(f"no user {name!r} on this machine (create it first, e.g. useradd -m {name})") from None


def group_members(name: str) -> list[str]:
    """The users of a group: its listed members and those whose primary group it is."""
    try:
        group = grp.getgrnam(name)
    except KeyError:
        raise Refused(f"no group {name!r} on this machine") from None
    primary = [entry.pw_name for entry in pwd.getpwall() if entry.pw_gid == group.gr_gid]
    return sorted(set(group.gr_mem) | set(primary))


def real_path(given: str) -> Path:
    """The absolute path, refused if a symbolic link is on it: root must not chown or chmod where a link points."""
    path = os.path.abspath(given)
    if os.path.realpath(path) != path:
        raise Refused(f"{given} leads through a symbolic link (to {os.path.realpath(path)}): give the real path")
    return Path(path)


def course_settings(course: Path) -> dict:
    """{"Section.name": value} of the plain `c.Section.name = constant` lines of the course's config, read, not run."""
    tree = ast.parse((course / "nbgrader_config.py").read_text(encoding="utf-8"))
    settings = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Attribute)
                        and isinstance(target.value.value, ast.Name) and target.value.value.id == "c"):
                    settings[f"{target.value.attr}.{target.attr}"] = node.value.value
    return settings


def fix(path: Path, mode: int, owner: pwd.struct_passwd | None = None, *, directory=True) -> str:
    """Give path (not following a symbolic link) the mode and owner; say what changed."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        before = os.fstat(fd)
        changes = []
        if owner and (before.st_uid, before.st_gid) != (owner.pw_uid, owner.pw_gid):
            os.fchown(fd, owner.pw_uid, owner.pw_gid)
            changes.append(f"owner {pwd.getpwuid(before.st_uid).pw_name} -> {owner.pw_name}")
        if stat.S_IMODE(os.fstat(fd).st_mode) != mode:  # read again: a change of owner can clear set-id bits
            os.fchmod(fd, mode)
            changes.append(f"mode {stat.S_IMODE(before.st_mode):04o} -> {mode:04o}")
    finally:
        os.close(fd)
    return ", ".join(changes) or f"already mode {mode:04o}" + (f", owner {owner.pw_name}" if owner else "")


def give(course: Path, owner: pwd.struct_passwd) -> int:
    """Make the owner own every file of the course, links themselves not followed; return how many changed."""
    changed = 0
    for _, dirs, files, dir_fd in os.fwalk(course, follow_symlinks=False):
        for name in dirs + files:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if (info.st_uid, info.st_gid) != (owner.pw_uid, owner.pw_gid):
                os.chown(name, owner.pw_uid, owner.pw_gid, dir_fd=dir_fd, follow_symlinks=False)
                changed += 1
    return changed


def config_block(exchange: Path, course_id: str) -> str:
    return "\n".join([BEGIN, "c = get_config()  # noqa: F821", f"c.Exchange.root = {str(exchange)!r}",
                      f"c.CourseDirectory.course_id = {course_id!r}", END, ""])


def write_config(path: Path, block: str) -> str:
    """Put the block into the config file (replacing an earlier one, keeping the rest); say what changed."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END) + 1
        new = text[:start] + block + text[end:]
    else:
        new = text + ("\n" if text and not text.endswith("\n") else "") + block
    if new == text:
        return "already names the exchange and the course"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    os.chmod(path, 0o644)
    return "wrote the exchange and the course id"


def plan(args) -> dict:
    """Check everything before changing anything; return what the set-up needs."""
    if os.geteuid() != 0:
        raise Refused("server-setup must run as root: it changes other users' homes and gives the course "
                      "to the instructor (run it with sudo)")
    instructor = user(args.instructor)
    students = [user(name) for name in sorted(set(args.student) | {m for g in args.group for m in group_members(g)})]
    if not students:
        raise Refused("no students: name them with --student USER or --group GROUP")
    if instructor.pw_name in {s.pw_name for s in students}:
        raise Refused(f"{instructor.pw_name} is both the instructor and a student")
    for person in [instructor, *students]:
        if not Path(person.pw_dir).is_dir():
            raise Refused(f"{person.pw_name} has no home folder {person.pw_dir}")
    course, exchange = (real_path(given) for given in (args.course, args.exchange))
    if not (course / "nbgrader_config.py").is_file():
        raise Refused(f"{course} is not an nbgrader course: it has no nbgrader_config.py")
    settings = course_settings(course)
    course_id = settings.get("CourseDirectory.course_id")
    if not course_id:
        raise Refused(f"{course}/nbgrader_config.py sets no c.CourseDirectory.course_id")
    for name in EXCHANGE_MODES:
        path = exchange / course_id / name
        if os.path.lexists(path) and path.lstat().st_uid not in (0, instructor.pw_uid):
            raise Refused(f"{path} belongs to {pwd.getpwuid(path.lstat().st_uid).pw_name}, not the instructor: "
                          "someone else made it; look at what it holds, remove it, and run server-setup again")
    return {"instructor": instructor, "students": students, "course": course, "course_id": course_id,
            "exchange": exchange, "settings": settings, "config": Path(args.config)}


def set_up(p: dict) -> None:
    """Do the set-up, printing one line per item."""
    instructor, course, exchange = p["instructor"], p["course"], p["exchange"]
    for person in [instructor, *p["students"]]:
        home = Path(person.pw_dir)
        print(f"home of {person.pw_name:<16} {home}: {fix(home, stat.S_IMODE(home.stat().st_mode) & 0o700)}")
    given = give(course, instructor)
    print(f"course {course}: " + (f"{given} files given to {instructor.pw_name}" if given
                                  else f"every file already owned by {instructor.pw_name}"))
    print(f"course {course}: {fix(course, 0o700, instructor)}")
    gradebook = course / "gradebook.db"
    if "CourseDirectory.db_url" not in p["settings"] and gradebook.exists():
        print(f"gradebook {gradebook}: {fix(gradebook, 0o600, instructor, directory=False)}")
    exchange.mkdir(mode=0o755, parents=True, exist_ok=True)
    for parent in exchange.parents:
        if not parent.stat().st_mode & stat.S_IXOTH:
            print(f"WARNING: students cannot reach the exchange: {parent} is not searchable by others (chmod o+x)")
    print(f"exchange {exchange}: {fix(exchange, 0o1777, pwd.getpwuid(0))}")
    for name, mode in EXCHANGE_MODES.items():
        path = exchange / p["course_id"] / name
        path.mkdir(exist_ok=True)
        print(f"exchange {path}: {fix(path, mode, instructor)}")
    print(f"config {p['config']}: {write_config(p['config'], config_block(exchange, p['course_id']))}")
    method = p["settings"].get("LateSubmissionPlugin.penalty_method", "none")
    if method == "none":
        print(f"WARNING: late submissions are not penalized: set c.LateSubmissionPlugin.penalty_method "
              f"in {course}/nbgrader_config.py")
    else:
        print(f"late submissions: penalty method {method!r} ({course}/nbgrader_config.py); set a due date with "
              "`nbgrader db assignment add ASSIGNMENT --duedate='YYYY-MM-DD HH:MM:SS UTC'`")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers server-setup", description=__doc__, epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instructor", required=True, metavar="USER", help="the user who owns and grades the course")
    parser.add_argument("--student", action="append", default=[], metavar="USER", help="a student (repeatable)")
    parser.add_argument("--group", action="append", default=[], metavar="GROUP",
                        help="every member of this group is a student (repeatable)")
    parser.add_argument("--course", required=True, metavar="DIR", help="the course folder (with nbgrader_config.py)")
    parser.add_argument("--exchange", default=DEFAULT_EXCHANGE, metavar="DIR",
                        help=f"nbgrader's exchange folder (default: {DEFAULT_EXCHANGE})")
    parser.add_argument("--config", default=DEFAULT_CONFIG, metavar="FILE",
                        help=f"the nbgrader config every user's nbgrader reads (default: {DEFAULT_CONFIG})")
    args = parser.parse_args(argv)
    try:
        set_up(plan(args))
    except Refused as error:
        print(f"server-setup: {error}", file=sys.stderr)
        return 2
    return 0
