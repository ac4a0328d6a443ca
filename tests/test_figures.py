"""The lesson's figures: committed PNGs in sync with helpers/figures.py, valid and small."""
import struct
import subprocess
import sys

import pytest

from helpers import figures
from helpers.course import ROOT

COMMITTED = figures.DEFAULT_OUT_DIR
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The figures drawn now into an empty folder: {file name: bytes}."""
    out = tmp_path_factory.mktemp("figures")
    paths = figures.write_figures(out)
    return {path.name: path.read_bytes() for path in paths}


def png_size(data):
    """(width, height) read from a PNG's IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG file"
    assert data[12:16] == b"IHDR", "PNG without an IHDR chunk first"
    return struct.unpack(">II", data[16:24])


def test_every_figure_the_lesson_links_is_drawn(fresh):
    """Does write_figures write exactly the four files the lesson links to?"""
    assert set(fresh) == {"padding.png", "conv_stride.png", "pooling.png", "pool_backward.png"}


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_committed_figure_matches_a_fresh_drawing(fresh, name):
    """Is the committed PNG byte for byte what helpers/figures.py draws now (run `python -m helpers figures`)?"""
    committed = COMMITTED / name
    assert committed.is_file(), f"{committed.relative_to(ROOT)} is missing: run `python -m helpers figures`"
    assert committed.read_bytes() == fresh[name], (
        f"{committed.relative_to(ROOT)} is out of date: run `python -m helpers figures` and commit it")


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_figure_is_a_readable_png_of_reasonable_size(fresh, name):
    """Is each figure a PNG 700-1000 px wide, at most 1000 px high and under 150 kB?"""
    width, height = png_size(fresh[name])
    assert 700 <= width <= 1000 and 300 <= height <= 1000, (width, height)
    assert 5_000 < len(fresh[name]) < 150_000, len(fresh[name])


def test_drawing_twice_gives_the_same_bytes(fresh, tmp_path):
    """Does a second drawing in the same process give the same bytes (no timestamps, no state carried over)?"""
    again = {path.name: path.read_bytes() for path in figures.write_figures(tmp_path)}
    assert again == fresh


def test_main_writes_into_the_given_folder(tmp_path, capsys):
    """Does `main(["--out", DIR])` return 0, create DIR and write every figure there?"""
    out = tmp_path / "new" / "images"
    assert figures.main(["--out", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == sorted(figures.FIGURES)
    assert "wrote" in capsys.readouterr().out


def test_main_reports_a_folder_it_cannot_create(tmp_path, capsys):
    """Does main return 1 and name the folder when --out is an existing file?"""
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert figures.main(["--out", str(blocker)]) == 1
    assert str(blocker) in capsys.readouterr().err


def test_help_from_the_command_line():
    """Does `python -m helpers figures --help` exit 0 and describe --out?"""
    result = subprocess.run([sys.executable, "-m", "helpers", "figures", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--out DIR" in result.stdout and "padding.png" in result.stdout
