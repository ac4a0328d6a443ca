"""What a grading run shows: a progress bar with count, rate and ETA, and the closing summary.

On a terminal the bar is redrawn in place and failures are printed above it as they happen; when
the stream is not a terminal (a log file, CI) each finished student gets one plain line instead.
"""
import time
from dataclasses import dataclass, field

BAR_WIDTH = 24


def clock(seconds: float) -> str:
    """Seconds as m:ss (or h:mm:ss)."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts finished students out of `total`; writes to `stream` (a TTY gets a redrawn bar)."""

    def __init__(self, total: int, stream, label: str, tty: bool | None = None):
        self.total, self.stream, self.label = total, stream, label
        self.tty = stream.isatty() if tty is None else tty
        self.done = self.failed = 0
        self.started = time.monotonic()
        if self.tty:
            self._draw()

    def update(self, student: str, failure: str | None = None) -> None:
        """One more student finished; `failure` says why it could not be graded."""
        self.done += 1
        self.failed += failure is not None
        if self.tty:
            if failure:
                self.stream.write(f"\r\x1b[K{student}: FAILED: {failure}\n")
            self._draw()
        else:
            verdict = f"FAILED: {failure}" if failure else "graded"
            self.stream.write(f"[{self.done}/{self.total}] {student} {verdict}  ({self._rate_eta()})\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _rate_eta(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        eta = clock((self.total - self.done) / rate) if rate else "-:--"
        return f"{rate:.2f}/s, ETA {eta}"

    def _draw(self) -> None:
        filled = BAR_WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        failed = f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\r\x1b[K{self.label} [{bar}] {self.done}/{self.total} ({self._rate_eta()}{failed})")
        self.stream.flush()


@dataclass
class Summary:
    """The result of a run: who was graded, who failed and why, who was skipped."""

    graded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    not_graded: list[str] = field(default_factory=list)  # left when the run was interrupted or stopped
    stopped: str | None = None  # why the run stopped by itself (the gradebook went away)
    notes: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 0
    interrupted: bool = False

    def exit_code(self) -> int:
        return 130 if self.interrupted else 1 if self.failed or self.stopped else 0

    def text(self) -> str:
        rate = f", {len(self.graded) / self.seconds:.2f} submissions/s" if self.graded and self.seconds else ""
        lines = [f"graded {len(self.graded)}, failed {len(self.failed)}, skipped {len(self.skipped)} "
                 f"(already graded) in {self.seconds:.1f} s{rate}, {self.workers} worker(s)"]
        if self.failed:
            lines.append("failed:")
            lines += [f"  {student}: {reason}" for student, reason in sorted(self.failed.items())]
        if self.notes:
            lines.append("notes:")
            lines += [f"  {student}: {note}" for student, notes in sorted(self.notes.items()) for note in notes]
        if self.interrupted or self.stopped:
            lines.append(f"{'interrupted' if self.interrupted else 'stopped'}: {len(self.not_graded)} not graded yet; "
                         "run the command again (without --force) to grade only those")
        if self.stopped:
            lines.append(f"stopped because {self.stopped}")
        return "\n".join(lines)
