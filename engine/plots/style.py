"""The look shared by every figure, and the one way figures are written to disk.

Colours are the Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"),
which stays distinguishable under the common forms of colour blindness. The style is
applied with :func:`matplotlib.rc_context` around drawing and saving only, so the
caller's global matplotlib settings are never changed. Figures are built as
:class:`matplotlib.figure.Figure` objects with an Agg canvas, never through
``pyplot``: no window is opened and no global figure registry is touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from engine.errors import LmmInputError

#: Okabe-Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Colours for categories (groups, facets), in the order they are handed out.
#: Yellow is left out: it is too light for lines on white.
CATEGORY_COLOURS: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["black"],
)

#: Meaning-bearing colours.
ABOVE_ZERO = OKABE_ITO["vermillion"]
BELOW_ZERO = OKABE_ITO["blue"]
NEUTRAL = "#7F7F7F"
REFERENCE_LINE = "#555555"

#: Figure formats a caller may ask for.
FIGURE_FORMATS = ("png", "svg", "pdf")

SAVE_DPI = 150

_RC: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.prop_cycle": cycler(color=list(CATEGORY_COLOURS)),
    "axes.facecolor": "white",
    "figure.facecolor": "white",
    "figure.titlesize": 11,
    "figure.titleweight": "bold",
    "grid.color": "#E3E3E3",
    "grid.linewidth": 0.6,
    "grid.linestyle": "-",
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "xtick.major.size": 3,
    "ytick.major.size": 3,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "lines.linewidth": 1.5,
    "savefig.facecolor": "white",
    "svg.fonttype": "none",
}


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply the project's figure style for the duration of a ``with`` block only."""
    with mpl.rc_context(_RC):
        yield


def new_figure(width: float, height: float) -> MplFigure:
    """A pyplot-free figure of the given size in inches, with an Agg canvas."""
    fig = MplFigure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def check_format(fmt: str) -> str:
    """The lower-cased format, or an input error naming the formats on offer."""
    clean = fmt.lower().lstrip(".")
    if clean not in FIGURE_FORMATS:
        raise LmmInputError(
            f"Figures can be saved as {', '.join(FIGURE_FORMATS)}, not {fmt!r}; "
            "choose one of these formats."
        )
    return clean


def file_stem(*parts: str) -> str:
    """A file name stem built from words, safe on every file system: ``caterpillar_batch_cask``."""
    words = [re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_") for p in parts if p]
    return "_".join(w for w in words if w) or "figure"


def save_figure(fig: MplFigure, out_dir: str | Path, stem: str, fmt: str) -> Path:
    """Write ``fig`` to ``out_dir/stem.fmt`` (creating the folder) and return the path."""
    fmt = check_format(fmt)
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise LmmInputError(_unusable_folder(folder, err)) from None
    path = folder / f"{stem}.{fmt}"
    fig.savefig(path, format=fmt, dpi=SAVE_DPI)
    return path


def _unusable_folder(folder: Path, err: OSError) -> str:
    """Why figures cannot go to ``folder``, and how to choose another one."""
    fix = "choose another folder with `--out DIR` or `set the output folder to DIR`"
    if isinstance(err, FileExistsError) or (folder.exists() and not folder.is_dir()):
        return f"The output folder '{folder}' is a file, not a folder; {fix}."
    if isinstance(err, PermissionError):
        return f"I may not write to the output folder '{folder}'; {fix}."
    return f"I cannot create the output folder '{folder}' ({err.strerror}); {fix}."


def subject_line_style(n_lines: int) -> tuple[float, float]:
    """(alpha, line width) for one thin line per subject: fainter as there are more."""
    alpha = float(np.clip(3.0 / np.sqrt(max(n_lines, 1)), 0.08, 0.6))
    width = 0.8 if n_lines <= 50 else 0.5
    return alpha, width
