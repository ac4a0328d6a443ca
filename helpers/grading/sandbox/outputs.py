"""A cell's output allowance: bytes of text and bytes of other data kept, then a note that it was cut.

Applied to each output as it arrives from the kernel, so that a cell printing gigabytes costs the
grader no more memory than the allowance. Text is stream text, error messages and tracebacks, and
every text/* representation of a display; other data (images, JSON such as check records) has its
own, larger allowance so that a flood of prints never pushes a cell's recorded results out.
"""
import json

from nbformat.v4 import new_output

ERROR_FLOOR = 4096  # bytes of an error message and traceback kept even when the text allowance is spent
TRIMMED = {"stream", "error", "display_data", "execute_result", "update_display_data"}


def note(text_limit: int, data_limit: int) -> dict:
    """The stdout output that says the cell's output was cut (stdout: stderr would fail a test cell)."""
    return new_output("stream", name="stdout", text=(
        f"\n[output cut: this cell's output went over what the grader keeps per cell "
        f"({text_limit} bytes of text, {data_limit} bytes of other data); the rest was dropped]\n"
    ))


def clip(text: str, limit: int) -> str:
    """The longest prefix of `text` that is at most `limit` bytes in UTF-8."""
    encoded = text.encode()
    return text if len(encoded) <= limit else encoded[:limit].decode(errors="ignore")


class Budget:
    """What is left of one cell's allowance. trim() cuts an output's content (a dict) in place to fit."""

    def __init__(self, text_limit: int, data_limit: int):
        self.text = text_limit
        self.data = data_limit
        self.cut = False
        self.noted = False

    def take_text(self, text: str) -> str:
        kept = clip(text, self.text)
        self.text -= len(kept.encode())
        self.cut |= len(kept) < len(text)
        return kept

    def take_data(self, value) -> bool:
        size = len(value) if isinstance(value, str) else len(json.dumps(value))
        if size > self.data:
            self.cut = True
            return False
        self.data -= size
        return True

    def trim_error(self, content: dict) -> None:
        """Errors are always kept, so that the cell still fails, with their text cut to the allowance."""
        allowance = max(self.text, ERROR_FLOOR) // 2
        evalue = clip(content.get("evalue", ""), allowance)
        traceback, used = [], 0
        for line in content.get("traceback", []):
            if used + len(line.encode()) > allowance:
                traceback.append("... [traceback cut]")
                break
            traceback.append(line)
            used += len(line.encode())
        self.cut |= evalue != content.get("evalue", "") or traceback != content.get("traceback", [])
        content["evalue"], content["traceback"] = evalue, traceback
        self.text = max(0, self.text - used - len(evalue.encode()))

    def trim(self, kind: str, content: dict) -> bool:
        """Cut the content of an output (or iopub message) of type `kind`; False when nothing is left."""
        if kind == "stream":
            content["text"] = self.take_text(content.get("text", ""))
            return bool(content["text"])
        if kind == "error":
            self.trim_error(content)
            return True
        if kind in TRIMMED:
            data = content.get("data", {})
            for mime, value in list(data.items()):
                if mime.startswith("text/") and isinstance(value, str):
                    data[mime] = self.take_text(value)
                    keep = bool(data[mime])
                else:
                    keep = self.take_data(value)
                if not keep:
                    del data[mime]
            return bool(data)
        return True
