"""The lesson's figures: zero padding, a strided convolution, max/average pooling, pooling's backward pass.

`write_figures(out_dir)` draws every figure into `out_dir` as PNG; `python -m helpers figures` does
the same from the command line. Drawing is deterministic: fixed sizes, fixed dpi, matplotlib's own
default style and no "Software" stamp, so the same matplotlib writes the same bytes every run.

Every figure is laid out in inches (axes and arrows placed by hand, nothing automatic), and every
grid is drawn cell by cell, so cell (i, j) of a grid is row i from the top, column j from the left,
exactly as `A[i, j]` indexes an (n_H, n_W) array.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
from matplotlib import style
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from helpers.course import SOURCE_DIR

DEFAULT_OUT_DIR = SOURCE_DIR / "images"
DPI = 100  # figure sizes below are in inches: 9 in wide -> 900 px

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, PURPLE = "#0072B2", "#E69F00", "#009E73", "#CC79A7"
VERMILLION, SKY, YELLOW = "#D55E00", "#56B4E9", "#F0E442"
WINDOW_COLOURS = (BLUE, ORANGE, GREEN, PURPLE)  # one per window position, in order
PADDING_GREY = "#D9D9D9"
INK = "#222222"


def _figure(width, height):
    """A blank white figure, `width` x `height` inches."""
    return Figure(figsize=(width, height), dpi=DPI, facecolor="white")


def _grid_axes(fig, left, bottom, n_rows, n_cols, cell):
    """Axes for an (n_rows, n_cols) grid of `cell`-inch squares whose lower-left corner is at (left, bottom) inches.

    Data coordinates: x in [0, n_cols] left to right, y in [0, n_rows] top to bottom.
    """
    width, height = fig.get_size_inches()
    ax = fig.add_axes((left / width, bottom / height, n_cols * cell / width, n_rows * cell / height))
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)
    ax.set_axis_off()
    return ax


def _cells(ax, fills, texts=None, *, fontsize=14, text_colour=INK, line_colour="#444444", bold=None):
    """Draw the cells of a grid: `fills` is (n_rows, n_cols) of colours, `texts` the same shape of str (or None)."""
    n_rows, n_cols = len(fills), len(fills[0])
    for i in range(n_rows):
        for j in range(n_cols):
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=fills[i][j], edgecolor=line_colour,
                                   linewidth=1, clip_on=False))
            if texts is not None and texts[i][j]:
                weight = "bold" if bold is not None and bold[i][j] else "normal"
                ax.text(j + 0.5, i + 0.5, texts[i][j], ha="center", va="center", fontsize=fontsize,
                        color=text_colour, fontweight=weight)


def _outline(ax, row, col, n_rows, n_cols, colour, linewidth=3.5, linestyle="-"):
    """A thick rectangle around the block of cells starting at (row, col), n_rows x n_cols in size."""
    ax.add_patch(Rectangle((col, row), n_cols, n_rows, fill=False, edgecolor=colour,
                           linewidth=linewidth, linestyle=linestyle, clip_on=False, zorder=3))


def _arrow(fig, start, end, label=None, *, label_offset=0.12, fontsize=12):
    """An arrow from `start` to `end` (inches from the figure's lower left), its label just above its middle."""
    fig.add_artist(FancyArrowPatch(start, end, transform=fig.dpi_scale_trans, arrowstyle="-|>",
                                   mutation_scale=22, linewidth=2, color=INK))
    if label:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + label_offset)
        fig.text(*middle, label, transform=fig.dpi_scale_trans, ha="center", va="bottom",
                 fontsize=fontsize, color=INK)


def _text(fig, x, y, text, **kwargs):
    """Text at (x, y) inches from the figure's lower left."""
    kwargs.setdefault("fontsize", 13)
    kwargs.setdefault("color", INK)
    return fig.text(x, y, text, transform=fig.dpi_scale_trans, **kwargs)


def _tint(colour, amount):
    """`colour` mixed with white: amount 1 keeps the colour, 0 gives white. Returns an RGB tuple."""
    rgb = np.array([int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)])
    return tuple(1 - amount * (1 - rgb))


def _number(value):
    """A grid number, short: 6, 3.75, 0.5."""
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------
# 1. zero padding


def colourful_image(n=5):
    """A deterministic (n, n, 3) RGB image in [0.25, 1]: red grows to the right, green downwards."""
    ramp = np.linspace(0, 1, n)
    red = 0.25 + 0.75 * ramp[None, :].repeat(n, axis=0)
    green = 0.25 + 0.6 * ramp[:, None].repeat(n, axis=1)
    blue = 0.95 - 0.6 * (red + green - 0.5) / 1.35
    return np.stack([red, green, blue], axis=-1)


def draw_padding():
    """A 5x5x3 image next to its zero-padded 9x9x3 version (pad = 2): the zeros form a black border."""
    n, pad, cell = 5, 2, 0.36
    image = colourful_image(n)
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)))
    size = n + 2 * pad
    fig = _figure(8.6, 4.6)

    left = _grid_axes(fig, 0.45, 0.5 + (size - n) * cell / 2, n, n, cell)
    _cells(left, image.tolist(), line_colour="white")
    _text(fig, 0.45 + n * cell / 2, 0.5 + (size + n) * cell / 2 + 0.15, f"one image X[i]\nshape {image.shape}",
          ha="center", va="bottom", linespacing=1.4)

    right_x = 4.9
    right = _grid_axes(fig, right_x, 0.5, size, size, cell)
    original = np.zeros((size, size), dtype=bool)
    original[pad:pad + n, pad:pad + n] = True
    texts = [["" if original[i, j] else "0" for j in range(size)] for i in range(size)]
    _cells(right, padded.tolist(), texts, fontsize=11, text_colour="#BBBBBB", line_colour="#777777")
    _outline(right, pad, pad, n, n, "white", linewidth=2.5, linestyle="--")
    _text(fig, right_x + size * cell / 2, 0.5 + size * cell + 0.15,
          f"zero_pad(X, {pad})[i]\nshape {padded.shape}", ha="center", va="bottom",
          linespacing=1.4)

    # the border's width, measured under the grid: two cells of zeros on each side
    for start in (0, pad + n):
        right.annotate("", xy=(start, size + 0.45), xytext=(start + pad, size + 0.45), annotation_clip=False,
                       arrowprops=dict(arrowstyle="<->", color=INK, linewidth=1.8, shrinkA=0, shrinkB=0))
        right.text(start + pad / 2, size + 0.65, f"pad = {pad}", ha="center", va="top", fontsize=12)
    y = 0.5 + size * cell / 2
    _arrow(fig, (0.45 + n * cell + 0.35, y), (right_x - 0.35, y), "pad height\nand width\nwith zeros",
           fontsize=12)
    return fig


# ---------------------------------------------------------------------------------------------
# 2. a strided convolution


def draw_conv_stride():
    """A 3x3 window, stride 2, over a 5x5 input padded to 7x7: four window positions and the output cell each fills."""
    n_prev, pad, f, stride = 5, 1, 3, 2
    n_out = (n_prev - f + 2 * pad) // stride + 1  # 3
    size = n_prev + 2 * pad
    positions = ((0, 0), (0, 1), (0, 2), (1, 0))
    in_cell, out_cell, column = 0.27, 0.52, 2.2
    fig = _figure(9.0, 6.5)

    is_pad = np.ones((size, size), dtype=bool)
    is_pad[pad:pad + n_prev, pad:pad + n_prev] = False
    for k, ((h, w), colour) in enumerate(zip(positions, WINDOW_COLOURS)):
        x0 = 0.2 + k * column
        vert, horiz = h * stride, w * stride
        top = _grid_axes(fig, x0 + (column - 0.2 - size * in_cell) / 2, 3.35, size, size, in_cell)
        fills = [[PADDING_GREY if is_pad[i, j] else "white" for j in range(size)] for i in range(size)]
        for i in range(vert, vert + f):
            for j in range(horiz, horiz + f):
                fills[i][j] = _tint(colour, 0.55)
        _cells(top, fills, line_colour="#999999")
        _outline(top, vert, horiz, f, f, colour)
        _text(fig, x0 + (column - 0.2) / 2, 3.35 + size * in_cell + 0.1,
              f"h = {h}, w = {w}\nrows {vert}:{vert + f}, cols {horiz}:{horiz + f}",
              ha="center", va="bottom", fontsize=12, linespacing=1.35)

        bottom = _grid_axes(fig, x0 + (column - 0.2 - n_out * out_cell) / 2, 1.2, n_out, n_out, out_cell)
        out_fills = [["white"] * n_out for _ in range(n_out)]
        out_texts = [[""] * n_out for _ in range(n_out)]
        for done_h, done_w in positions[:k]:
            out_fills[done_h][done_w] = "#EEEEEE"
            out_texts[done_h][done_w] = "done"
        out_fills[h][w] = _tint(colour, 0.55)
        out_texts[h][w] = f"Z[{h},{w}]"
        _cells(bottom, out_fills, out_texts, fontsize=10)
        _outline(bottom, h, w, 1, 1, colour, linewidth=3)
        centre_x = x0 + (column - 0.2) / 2
        _arrow(fig, (centre_x, 3.25), (centre_x, 1.2 + n_out * out_cell + 0.08))

    _text(fig, 0.2, 6.2, f"Input {n_prev}×{n_prev} (white) padded with pad = {pad} (grey) to {size}×{size};"
          f" filter f = {f}, stride = {stride}", fontsize=13, va="center")
    _text(fig, 0.2, 0.7, "Output size:", fontsize=13, va="center")
    worked = rf"\left\lfloor \dfrac{{{n_prev} - {f} + 2 \cdot {pad}}}{{{stride}}} \right\rfloor + 1 = {n_out}"
    _text(fig, 1.55, 0.7, r"$n_H = \left\lfloor \dfrac{n_{H\_prev} - f + 2\,pad}{stride} \right\rfloor + 1 = "
          + worked + "$", fontsize=15, va="center")
    _text(fig, 0.2, 0.2, "The window moves right by the stride; past the last column it moves down by the"
          " stride. Same formula for n_W.", fontsize=11, va="center")
    return fig


# ---------------------------------------------------------------------------------------------
# 3. max and average pooling

POOL_INPUT = np.array([[1, 3, 2, 0],
                       [5, 6, 1, 4],
                       [7, 2, 9, 3],
                       [0, 4, 5, 8]])


def pool(values, mode, f=2, stride=2):
    """Pool a (n, n) array with an f x f window and the given stride; mode is "max" or "average"."""
    n_out = (values.shape[0] - f) // stride + 1
    reduce = np.max if mode == "max" else np.mean
    return np.array([[reduce(values[h * stride:h * stride + f, w * stride:w * stride + f])
                      for w in range(n_out)] for h in range(n_out)])


def draw_pooling():
    """Max and average pooling (f = 2, stride = 2) of a 4x4 grid: coloured windows, the 2x2 results beside it."""
    f, cell = 2, 0.62
    n = POOL_INPUT.shape[0]
    window_colour = [[WINDOW_COLOURS[(i // f) * 2 + j // f] for j in range(n)] for i in range(n)]
    fig = _figure(8.6, 4.7)

    left = _grid_axes(fig, 0.5, 0.9, n, n, cell)
    is_max = np.zeros_like(POOL_INPUT, dtype=bool)
    for h in range(n // f):
        for w in range(n // f):
            window = POOL_INPUT[h * f:(h + 1) * f, w * f:(w + 1) * f]
            i, j = np.unravel_index(np.argmax(window), window.shape)
            is_max[h * f + i, w * f + j] = True
    _cells(left, [[_tint(c, 0.45) for c in row] for row in window_colour],
           [[_number(v) for v in row] for row in POOL_INPUT], fontsize=17, bold=is_max)
    for h in range(n // f):
        for w in range(n // f):
            _outline(left, h * f, w * f, f, f, WINDOW_COLOURS[h * 2 + w], linewidth=3.5)
    _text(fig, 0.5 + n * cell / 2, 0.9 + n * cell + 0.15, "A_prev (4×4)\nf = 2, stride = 2",
          ha="center", va="bottom", linespacing=1.4)
    _text(fig, 0.5 + n * cell / 2, 0.5, "bold: the max of each window", ha="center", va="center",
          fontsize=11)

    out_colours = [[_tint(WINDOW_COLOURS[h * 2 + w], 0.45) for w in range(2)] for h in range(2)]
    first = ", ".join(_number(v) for v in POOL_INPUT[:f, :f].ravel())
    worked = {"max": f"max({first})\n= {_number(pool(POOL_INPUT, 'max')[0, 0])}",
              "average": f"({first.replace(', ', ' + ')}) / 4\n= {_number(pool(POOL_INPUT, 'average')[0, 0])}"}
    out_x = 5.0
    for mode, bottom in (("max", 2.55), ("average", 0.55)):
        ax = _grid_axes(fig, out_x, bottom, 2, 2, cell)
        _cells(ax, out_colours, [[_number(v) for v in row] for row in pool(POOL_INPUT, mode)], fontsize=16)
        _text(fig, out_x + cell, bottom + 2 * cell + 0.12, f"{mode} pooling → 2×2", ha="center",
              va="bottom")
        _text(fig, out_x + 2 * cell + 0.3, bottom + cell, f"top-left window:\n{worked[mode]}",
              va="center", fontsize=11.5, linespacing=1.4)
        _arrow(fig, (0.5 + n * cell + 0.2, 0.9 + n * cell / 2), (out_x - 0.15, bottom + cell))
    return fig


# ---------------------------------------------------------------------------------------------
# 4. pooling's backward pass

BACKWARD_WINDOW = np.array([[2, 4],
                            [7, 1]])
UPSTREAM_DZ = 2.0


def draw_pool_backward():
    """One 2x2 window backwards: max pooling routes dz to the max's cell; average pooling gives dz/4 to each."""
    cell, dz = 0.65, UPSTREAM_DZ
    mask = BACKWARD_WINDOW == BACKWARD_WINDOW.max()
    columns = (0.3, 3.75, 7.2)  # left edge of each panel, inches
    fig = _figure(9.0, 6.0)

    def panel(col, bottom, fills, texts, title, **kwargs):
        ax = _grid_axes(fig, columns[col], bottom, len(fills), len(fills[0]), cell)
        _cells(ax, fills, texts, **kwargs)
        _text(fig, columns[col] + len(fills[0]) * cell / 2, bottom + len(fills) * cell + 0.12, title,
              ha="center", va="bottom", fontsize=12, linespacing=1.35)
        return ax

    # max pooling: window -> mask -> dz routed to the max
    top = 3.3
    _text(fig, 0.25, 5.7, "Max pooling: only the max influenced the output, so only it gets the gradient",
          fontsize=13.5, fontweight="bold", va="center")
    routed = mask * dz
    ax = panel(0, top, [["white"] * 2] * 2, [[_number(v) for v in row] for row in BACKWARD_WINDOW],
               "forward window\na_prev_slice", fontsize=18, bold=mask)
    i, j = np.argwhere(mask)[0]
    _outline(ax, i, j, 1, 1, VERMILLION)
    panel(1, top, [[_tint(VERMILLION, 0.45) if m else "white" for m in row] for row in mask],
          [[str(bool(m)) for m in row] for row in mask], "mask\n(True at the max)", fontsize=13, bold=mask)
    panel(2, top, [[_tint(VERMILLION, 0.45) if m else "white" for m in row] for row in mask],
          [[_number(v) for v in row] for row in routed], "dA_prev slice\nmask × dz", fontsize=18)
    middle = top + cell
    _arrow(fig, (columns[0] + 2 * cell + 0.15, middle), (columns[1] - 0.15, middle),
           "create_mask_from_window", fontsize=10.5)
    _arrow(fig, (columns[1] + 2 * cell + 0.15, middle), (columns[2] - 0.15, middle),
           f"× dz   (dz = {dz:g})", fontsize=10.5)

    # average pooling: dz -> dz / 4 in every cell
    bottom = 0.3
    _text(fig, 0.25, 2.55, "Average pooling: every input counted 1/4 in the mean, so each gets dz / 4",
          fontsize=13.5, fontweight="bold", va="center")
    _text(fig, 0.25, bottom + cell, "The window's values\ndo not matter here:\nonly its shape (2, 2).",
          fontsize=12, va="center", linespacing=1.4)
    spread = np.full((2, 2), dz / 4)
    panel(1, bottom + cell / 2, [[_tint(SKY, 0.6)]], [[_number(dz)]], "upstream\ngradient dz",
          fontsize=18)
    panel(2, bottom, [[_tint(SKY, 0.6)] * 2] * 2, [[_number(v) for v in row] for row in spread],
          "dA_prev slice\ndz / 4 each", fontsize=18)
    _arrow(fig, (columns[1] + cell + 0.15, bottom + cell), (columns[2] - 0.15, bottom + cell),
           "distribute_value(dz, (2, 2))", fontsize=10.5)
    return fig


# ---------------------------------------------------------------------------------------------

FIGURES = {
    "padding.png": draw_padding,
    "conv_stride.png": draw_conv_stride,
    "pooling.png": draw_pooling,
    "pool_backward.png": draw_pool_backward,
}


def write_figures(out_dir: Path) -> list[Path]:
    """Draw every figure into `out_dir` (created if missing) and return the PNG paths, in FIGURES order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    with style.context("default"):  # ignore any matplotlibrc on the machine
        for name, draw in FIGURES.items():
            path = out_dir / name
            draw().savefig(path, dpi=DPI, format="png", metadata={"Software": None})
            paths.append(path)
    return paths


def write_feature_maps(path: Path, folder: Path = SOURCE_DIR) -> Path:
    """Save the figure the photo cell of section 4.1 shows, drawn by that cell with the instructor's layers.

    For the README: it runs helpers/lesson/photo_feature_maps.py in `folder` (which holds data/photo.npy)
    with helpers.reference's conv_forward and pool_forward, and saves what the cell would show."""
    import contextlib
    import os

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers import reference

    code = (Path(__file__).resolve().parent / "lesson" / "photo_feature_maps.py").read_text(encoding="utf-8")
    namespace = {"np": np, "conv_forward": reference.conv_forward, "pool_forward": reference.pool_forward}
    shown = []
    show, plt.show = plt.show, lambda: shown.append(plt.gcf())
    try:
        with style.context("default"), contextlib.chdir(folder), contextlib.redirect_stdout(open(os.devnull, "w")):
            exec(compile(code, "photo_feature_maps.py", "exec"), namespace)
    finally:
        plt.show = show
    (figure,) = shown
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png", metadata={"Software": None}, bbox_inches="tight", pad_inches=0.1)
    plt.close(figure)
    return Path(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers figures",
        description="Draw the lesson's figures (" + ", ".join(FIGURES) + ") as PNG files.",
        epilog="examples:\n  python -m helpers figures\n  python -m helpers figures --out /tmp/figures\n"
               "  python -m helpers figures --feature-maps docs/images/feature-maps.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, metavar="DIR",
                        help=f"folder to write the PNG files into (default: {DEFAULT_OUT_DIR})")
    parser.add_argument("--feature-maps", type=Path, metavar="PNG",
                        help="instead, save the feature maps the photo cell (4.1) shows with the instructor's layers")
    args = parser.parse_args(argv)
    try:
        paths = [write_feature_maps(args.feature_maps)] if args.feature_maps else write_figures(args.out)
    except OSError as error:
        print(f"figures: cannot write into {args.out}: {error}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size // 1024} kB)")
    return 0
