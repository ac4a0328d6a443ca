"""Does a text quote the hidden tests? (HiddenText, for the feedback preprocessor.)

Limits. HiddenText recognizes a run of MIN_QUOTE characters of a hidden line (ignoring whitespace,
invisible characters and letter case) that the notebook's other cells and the released files do
not also hold, in plain text, behind Python, JSON or HTML escapes, reversed, in rot13, as lists of
character codes, in base64, base32 or hex (also zlib, gzip, bz2 or lzma compressed), two levels
deep; and two or more of the hidden tests' numbers of 3 digits or more (their seeds) in one text.
It cannot recognize an encoding it does not know (encryption, arithmetic on the numbers,
homoglyphs, a custom alphabet), pieces shorter than MIN_QUOTE shown out of order (e.g. spread over
two interleaved outputs), the shapes and hyper-parameters of the hidden cases told without the
code (small numbers, common in honest output too), nor one bit per case told through pass or
fail. Files the kernel writes into its working folder are copied into feedback/ by nbgrader
before any preprocessor runs: keeping them out is the sandbox's job (helpers/grading/sandbox: the kernel
works on a throwaway copy of the folder).
"""
import base64
import binascii
import bz2
import codecs
import functools
import html
import lzma
import re
import unicodedata
import zlib
from pathlib import Path

from nbgrader.utils import is_locked

from helpers.checks import cnn_checks, cnn_record

MIN_QUOTE = 20  # hidden lines at least this long (whitespace-normalized) count as quotable
MAX_DECODED = 4_000_000  # bytes a compressed token may expand to before it is read
DEPTH = 2  # encodings inside encodings read this deep
# Shipped beside the notebook: what they say is public.
RELEASED = (Path(cnn_checks.__file__), Path(cnn_record.__file__), cnn_checks.DATA_FILE)


def hidden_lines(nb):
    """The whitespace-normalized lines of every hidden region, at least MIN_QUOTE characters long."""
    return {_normal(line) for region in split_sources(nb)[1] for line in region.splitlines()
            if len(line.strip()) >= MIN_QUOTE}


def split_sources(nb, begin="BEGIN HIDDEN TESTS", end="END HIDDEN TESTS"):
    """(every cell's source without its hidden regions, the hidden regions), marker lines hidden.

    Hidden regions are those of the instructor's locked cells: a student's cell that mentions the
    markers is the student's own text.
    """
    public, regions = [], []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if begin in line and is_locked(cell):
                inside = True
                regions.append("")
            if inside:
                regions[-1] += line + "\n"
            else:
                public.append(line)
            if end in line:
                inside = False
    return "\n".join(public), regions


def _normal(text):
    return re.sub(r"\s+", " ", text).strip()


def compact(text):
    """text without whitespace or invisible characters, compatibility-normalized and casefolded."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()


_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+")
_BLOB = re.compile(r"[A-Za-z0-9+/=]{40,}")  # the check data's base64 arrays: nothing there to quote
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # colours in tracebacks split the code they show
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_NUMBER = re.compile(r"(?<![\w.])\d{3,}(?!\w|\.\d)")
_CODES = re.compile(r"(?:\d{1,7}[\s,;]+){11,}\d{1,7}")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{24,}")
_BASE32 = re.compile(r"[A-Z2-7]{24,}")
_HEX = re.compile(r"[0-9a-fA-F]{24,}")


def unescape(text):
    """text with backslash escapes (Python's and JSON's) replaced by what they stand for."""
    def replace(match):
        code = match.group(1)
        if code[0] in "uUx" and len(code) > 1:
            value = int(code[1:], 16)
            return chr(value) if value < 0x110000 else ""
        return _SIMPLE_ESCAPES.get(code, code)
    return _ESCAPE.sub(replace, text)


def strip_html(text):
    """The text an HTML snippet shows: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def _decompressed(data):
    """data, or what it decompresses to if it starts like zlib, gzip, bz2 or lzma data."""
    try:
        if data[:1] == b"\x78":
            return zlib.decompressobj().decompress(data, MAX_DECODED)
        if data[:2] == b"\x1f\x8b":
            return zlib.decompressobj(wbits=31).decompress(data, MAX_DECODED)
        if data[:3] == b"BZh":
            return bz2.BZ2Decompressor().decompress(data, MAX_DECODED)
        if data[:5] == b"\xfd7zXZ":
            return lzma.LZMADecompressor().decompress(data, MAX_DECODED)
    except (zlib.error, OSError, ValueError, EOFError, lzma.LZMAError):
        pass
    return data


def _token_bytes(token, pattern):
    """The byte strings a base64, base32 or hex token may stand for (every start offset tried)."""
    if pattern is _HEX:
        return [bytes.fromhex(token[start:len(token) - (len(token) - start) % 2]) for start in (0, 1)]
    decoded = []
    for start in range(4 if pattern is _BASE64 else 8):
        body = token[start:]
        try:
            if pattern is _BASE64:
                body = body.replace("-", "+").replace("_", "/")
                decoded.append(base64.b64decode(body[:len(body) - len(body) % 4]))
            else:
                decoded.append(base64.b32decode(body[:len(body) - len(body) % 8]))
        except (binascii.Error, ValueError):
            continue
    return decoded


def decodings(text):
    """Texts that base64, base32 or hex tokens, or lists of character codes, in text stand for."""
    found = []
    joined = re.sub(r"\s+", "", text)  # wrapped base64 (one line of 76 characters each) joins up
    for pattern in (_BASE64, _BASE32, _HEX):
        for token in pattern.findall(joined):
            found += [_decompressed(data).decode("utf-8", "ignore") for data in _token_bytes(token, pattern)]
    for run in _CODES.findall(text):
        codes = [int(number) for number in re.findall(r"\d+", run)]
        found.append("".join(chr(code) for code in codes if code < 0x110000))
    return found


class HiddenText:
    """Recognizes text that quotes the hidden tests (see the module docstring for what and how)."""

    def __init__(self, nb, released=RELEASED):
        """nb: the autograded notebook, hidden regions still in its cells' sources; released: public files."""
        public, regions = split_sources(nb)
        public_pieces = set(_pieces(compact(public))) | _released_pieces(released)
        lines = {compact(line) for line in hidden_lines(nb)}
        self.pieces = {piece for line in lines for piece in _pieces(line)} - public_pieces
        public_text = compact(public) + "".join(_released_text(released))
        self.short = {line for line in lines if len(line) < MIN_QUOTE and line not in public_text}
        self.numbers = {number for region in regions for number in _NUMBER.findall(region)} - set(_NUMBER.findall(public))

    def quoted_in(self, text, depth=0):
        """Whether text quotes MIN_QUOTE characters of a hidden line, or names two of the hidden numbers."""
        text = _ANSI.sub("", text)
        plain = {text, unescape(text), unescape(unescape(text)), strip_html(text)}
        for view in plain:
            if len(self.numbers.intersection(_NUMBER.findall(view))) >= 2:
                return True
            squeezed = compact(view)
            for candidate in (squeezed, squeezed[::-1], codecs.encode(squeezed, "rot13")):
                if not self.pieces.isdisjoint(_pieces(candidate)) or any(line in candidate for line in self.short):
                    return True
        return depth < DEPTH and any(self.quoted_in(decoded, depth + 1) for view in plain for decoded in decodings(view))


@functools.lru_cache(maxsize=4)
def _released_text(released):
    """The compacted text of each released file, base64 blobs left out."""
    return tuple(compact(_BLOB.sub(" ", path.read_text(encoding="utf-8"))) for path in released)


@functools.lru_cache(maxsize=4)
def _released_pieces(released):
    return frozenset(piece for text in _released_text(released) for piece in _pieces(text))


def _pieces(text):
    """Every run of MIN_QUOTE characters of text (text is compacted: whitespace does not count)."""
    return (text[start:start + MIN_QUOTE] for start in range(len(text) - MIN_QUOTE + 1))
