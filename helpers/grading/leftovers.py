"""Things named after the process that made them (PREFIX<pid> or PREFIX<pid>-...): what a killed
process could not remove is recognised, and removed, by the next one."""
import os


def owner(name: str, prefix: str) -> int | None:
    """The pid in `name`, or None when `name` is not PREFIX<pid> or PREFIX<pid>-..."""
    if not name.startswith(prefix):
        return None
    pid = name[len(prefix):].split("-")[0]
    return int(pid) if pid.isdigit() else None


def alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


def orphans(folder: str, prefix: str) -> list:
    """Names in `folder` that were made by processes which are gone."""
    return [name for name in os.listdir(folder)
            if (pid := owner(name, prefix)) is not None and not alive(pid)]
