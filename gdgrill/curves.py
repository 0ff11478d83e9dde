"""Loss curves from real tiny training runs: load the shipped files and draw them.

The curves are made by ``data/make_curves.py`` (see its docstring for the file format,
``gdgrill-curve/1``) and ship inside the wheel. Diagnostics cards name one with ``curve:``
and the quiz draws it above the question.

This module is on the quiz's light path: plain ``json``, ``math`` and Rich only — never
numpy or torch.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal

from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.text import Text

from gdgrill.errors import UserError
from gdgrill.paths import shipped_curves_dir

FORMAT = "gdgrill-curve/1"
MAX_CURVE_BYTES = 1024 * 1024
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

Charset = Literal["auto", "unicode", "ascii"]


@dataclass(frozen=True)
class Series:
    """One run's values by step; a loss that was inf or NaN is held as ``nan``."""

    name: str
    steps: tuple[int, ...]
    values: tuple[float, ...]

    def first_nonfinite_step(self) -> int | None:
        for step, value in zip(self.steps, self.values):
            if not math.isfinite(value):
                return step
        return None


@dataclass(frozen=True)
class Marker:
    step: int
    label: str


@dataclass(frozen=True)
class Curve:
    name: str
    description: str
    y_label: str
    y_scale: str  # "linear" or "log"
    series: tuple[Series, ...]
    markers: tuple[Marker, ...] = ()

    def series_named(self, name: str) -> Series:
        for series in self.series:
            if series.name == name:
                return series
        raise KeyError(name)


# ---- loading ----------------------------------------------------------------------------

def curve_names(folder: Path | None = None) -> list[str]:
    """The names of the stored curves, sorted."""
    folder = shipped_curves_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if NAME_RE.match(p.stem))


def load_curve(name: str, folder: Path | None = None) -> Curve:
    """Read a stored curve by name; a missing or corrupt one raises :class:`UserError`."""
    folder = shipped_curves_dir() if folder is None else folder
    path = folder / f"{name}.json"
    if not NAME_RE.match(name) or not path.is_file():
        known = ", ".join(curve_names(folder)) or "none"
        raise UserError(f"no stored loss curve named {name!r} (known: {known})")
    try:
        if path.stat().st_size > MAX_CURVE_BYTES:
            raise UserError(f"{path}: curve file is larger than {MAX_CURVE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read curve file ({exc})") from None
    curve = parse_curve(text, path)
    if curve.name != name:
        raise UserError(f"{path}: curve file says its name is {curve.name!r}")
    return curve


def parse_curve(text: str, source: Path | str = "<curve>") -> Curve:
    """Validate a ``gdgrill-curve/1`` document; every problem is one line naming the source."""

    def bad(message: str) -> UserError:
        return UserError(f"{source}: {message}")

    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise bad(f"not a {FORMAT} curve file")
    strings = {}
    for key in ("name", "description", "y_label"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise bad(f"field {key!r} must be a non-empty string")
        strings[key] = raw[key]
    y_scale = raw.get("y_scale", "linear")
    if y_scale not in ("linear", "log"):
        raise bad("field 'y_scale' must be 'linear' or 'log'")
    series_raw = raw.get("series")
    if not isinstance(series_raw, list) or not series_raw:
        raise bad("field 'series' must be a non-empty list")
    series = tuple(_parse_series(item, i, bad) for i, item in enumerate(series_raw))
    markers_raw = raw.get("markers", [])
    if not isinstance(markers_raw, list):
        raise bad("field 'markers' must be a list")
    markers = []
    for i, item in enumerate(markers_raw):
        if not (isinstance(item, dict) and _is_int(item.get("step")) and isinstance(item.get("label"), str)):
            raise bad(f"marker {i} needs an integer 'step' and a string 'label'")
        markers.append(Marker(item["step"], item["label"]))
    return Curve(series=series, markers=tuple(markers), y_scale=y_scale, **strings)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_series(item: object, index: int, bad) -> Series:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise bad(f"series {index} needs a string 'name'")
    steps, values = item.get("steps"), item.get("values")
    if not isinstance(steps, list) or not isinstance(values, list) or not steps or len(steps) != len(values):
        raise bad(f"series {item['name']!r}: 'steps' and 'values' must be lists of the same, non-zero length")
    if not all(_is_int(s) for s in steps) or any(b <= a for a, b in zip(steps, steps[1:])):
        raise bad(f"series {item['name']!r}: 'steps' must be increasing integers")
    parsed = []
    for value in values:
        if value is None:  # the run's loss was inf or NaN at this step
            parsed.append(math.nan)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            parsed.append(float(value))
        else:
            raise bad(f"series {item['name']!r}: values must be numbers or null")
    return Series(item["name"], tuple(steps), tuple(parsed))


# ---- drawing ----------------------------------------------------------------------------

SERIES_STYLES = ("bold cyan", "bold magenta", "bold yellow", "bold green")
ASCII_GLYPHS = ("*", "o", "+", "#")
# Braille: bit for the dot at (column 0..1, row 0..3) inside one character cell.
BRAILLE_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
MIN_WIDTH, MIN_HEIGHT = 24, 6


def render_curve(
    curve: Curve,
    width: int = 70,
    height: int = 14,
    log_y: bool | None = None,
    show_markers: bool = True,
    charset: Charset = "auto",
) -> "CurveChart":
    """A Rich renderable drawing ``curve`` as a line chart of exactly ``height`` lines.

    ``log_y=None`` follows the curve's own ``y_scale``. ``show_markers=False`` hides the
    stored event markers (a milestone, a corrupted batch), which may give a diagnosis away.
    ``charset="auto"`` draws with Braille dots in colour, and with one ASCII glyph per
    series when colour is off (NO_COLOR, not a terminal) or the console cannot encode
    Unicode.
    """
    return CurveChart(curve, width, height, curve.y_scale == "log" if log_y is None else log_y, show_markers, charset)


@dataclass(frozen=True)
class CurveChart:
    curve: Curve
    width: int = 70
    height: int = 14
    log_y: bool = False
    show_markers: bool = True
    charset: Charset = "auto"

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = min(self.width, options.max_width)
        return Measurement(width, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        if self.charset == "auto":
            unicode = not (options.ascii_only or console.no_color or console.color_system is None)
        else:
            unicode = self.charset == "unicode"
        yield from self.lines(min(self.width, options.max_width), unicode)

    def lines(self, width: int, unicode: bool) -> list[Text]:
        """The chart as ``height`` lines of at most ``width`` cells."""
        width, height = max(width, MIN_WIDTH), max(self.height, MIN_HEIGHT)
        return _Plot(self, width, height, unicode).draw()


class _Plot:
    def __init__(self, chart: CurveChart, width: int, height: int, unicode: bool):
        self.chart, self.curve, self.unicode = chart, chart.curve, unicode
        self.log = chart.log_y
        self.rows = height - 3  # legend above; axis and step labels below
        finite = [self._y(v) for s in self.curve.series for v in s.values]
        finite = [v for v in finite if v is not None]
        self.lo, self.hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
        if self.hi - self.lo < 1e-12:
            self.lo, self.hi = self.lo - 0.5, self.hi + 0.5
        labelled = (0, (self.rows - 1) // 2, self.rows - 1) if self.rows >= 5 else (0, self.rows - 1)
        self.labels = {row: self._label(self.hi - (self.hi - self.lo) * row / (self.rows - 1)) for row in labelled}
        self.label_width = max(len(t) for t in self.labels.values())
        self.cols = width - self.label_width - 2
        steps = [s for series in self.curve.series for s in series.steps]
        self.first_step, self.last_step = min(steps), max(steps)
        self.dots_x = self.cols * (2 if unicode else 1)
        self.dots_y = self.rows * (4 if unicode else 1)

    # coordinates
    def _y(self, value: float) -> float | None:
        if not math.isfinite(value) or (self.log and value <= 0):
            return None
        return math.log10(value) if self.log else value

    def _label(self, y: float) -> str:
        value = 10**y if self.log else y
        return "%.3g" % value

    def _dot_x(self, step: int) -> int:
        span = self.last_step - self.first_step
        return 0 if span == 0 else round((step - self.first_step) / span * (self.dots_x - 1))

    def _dot_y(self, y: float) -> int:  # 0 = top
        return self.dots_y - 1 - round((y - self.lo) / (self.hi - self.lo) * (self.dots_y - 1))

    def _column(self, step: int) -> int:
        return self._dot_x(step) // (2 if self.unicode else 1)

    # drawing
    def draw(self) -> list[Text]:
        bits = [[0] * self.cols for _ in range(self.rows)]
        owner = [[-1] * self.cols for _ in range(self.rows)]
        for index, series in enumerate(self.curve.series):
            previous = None
            for step, value in zip(series.steps, series.values):
                y = self._y(value)
                if y is None:
                    previous = None  # a gap: the line is not drawn through inf/NaN
                    continue
                point = (self._dot_x(step), self._dot_y(y))
                for x, yy in _segment(previous or point, point):
                    self._set(bits, owner, x, yy, index)
                previous = point
        overlay: dict[tuple[int, int], tuple[str, str]] = {}
        notes: list[tuple[str, str]] = []
        if self.chart.show_markers:
            for marker in self.curve.markers:
                if self.first_step <= marker.step <= self.last_step:
                    col = self._column(marker.step)
                    for row in range(self.rows):
                        if owner[row][col] < 0:
                            overlay[(row, col)] = ("┊" if self.unicode else ":", "dim")
                    notes.append((f"{'┊' if self.unicode else ':'} {marker.label} (step {marker.step})", "dim"))
        cross = "✗" if self.unicode else "X"
        for series in self.curve.series:
            step = series.first_nonfinite_step()
            if step is not None:
                overlay[(0, self._column(step))] = (cross, "bold red")
                who = f" in {series.name}" if len(self.curve.series) > 1 else ""
                notes.append((f"{cross} NaN/inf from step {step}{who}", "bold red"))

        lines = [self._legend(notes)]
        axis = "│┤└─┴" if self.unicode else "||+-+"
        for row in range(self.rows):
            line = Text(no_wrap=True, overflow="crop")
            line.append(self.labels.get(row, "").rjust(self.label_width) + " ", style="dim")
            line.append(axis[1] if row in self.labels else axis[0], style="dim")
            for col in range(self.cols):
                if (row, col) in overlay:
                    line.append(*overlay[(row, col)])
                elif owner[row][col] >= 0:
                    style = SERIES_STYLES[owner[row][col] % len(SERIES_STYLES)]
                    glyph = chr(0x2800 + bits[row][col]) if self.unicode else ASCII_GLYPHS[owner[row][col] % len(ASCII_GLYPHS)]
                    line.append(glyph, style=style)
                else:
                    line.append(" ")
            lines.append(line)
        ticks = [axis[3]] * self.cols
        if self.chart.show_markers:
            for marker in self.curve.markers:
                if self.first_step <= marker.step <= self.last_step:
                    ticks[self._column(marker.step)] = axis[4]
        lines.append(Text(" " * (self.label_width + 1) + axis[2] + "".join(ticks), style="dim", no_wrap=True, overflow="crop"))
        lines.append(self._step_labels())
        return lines

    def _set(self, bits, owner, x: int, y: int, index: int) -> None:
        if self.unicode:
            col, row = x // 2, y // 4
            bits[row][col] |= BRAILLE_BITS[x % 2][y % 4]
        else:
            col, row = x, y
        owner[row][col] = index

    def _legend(self, notes: list[tuple[str, str]]) -> Text:
        legend = Text(no_wrap=True, overflow="ellipsis")
        for index, series in enumerate(self.curve.series):
            if index:
                legend.append("   ")
            sample = "──" if self.unicode else ASCII_GLYPHS[index % len(ASCII_GLYPHS)] * 2
            legend.append(sample, style=SERIES_STYLES[index % len(SERIES_STYLES)])
            legend.append(" " + series.name)
        for note, style in notes:
            legend.append("   ")
            legend.append(note, style=style)
        scale = f"{self.curve.y_label}{', log scale' if self.log else ''}"
        room = self.label_width + 2 + self.cols - legend.cell_len - 3
        if room >= len(scale):
            legend.append(" " * (room - len(scale) + 3) + scale, style="dim")
        elif self.log and room >= len("log scale"):
            legend.append(" " * (room - len("log scale") + 3) + "log scale", style="dim")
        legend.truncate(self.label_width + 2 + self.cols, overflow="ellipsis")
        return legend

    def _step_labels(self) -> Text:
        cells = [" "] * self.cols

        def put(text: str, start: int) -> None:
            start = max(0, min(start, self.cols - len(text)))
            if all(c == " " for c in cells[max(0, start - 1): start + len(text) + 1]):
                cells[start: start + len(text)] = list(text)

        put(str(self.first_step), 0)
        last = str(self.last_step)
        put(last, self.cols - len(last))
        middle = self.first_step + (self.last_step - self.first_step) // 2
        if middle not in (self.first_step, self.last_step):
            put(str(middle), self._column(middle) - len(str(middle)) // 2)
        prefix = ("step".rjust(self.label_width + 1) if self.label_width >= 4 else " " * (self.label_width + 1)) + " "
        return Text(prefix + "".join(cells), style="dim", no_wrap=True, overflow="crop")


def _segment(a: tuple[int, int], b: tuple[int, int]) -> Iterator[tuple[int, int]]:
    """The dots on the straight line from ``a`` to ``b``, both ends included."""
    (x0, y0), (x1, y1) = a, b
    n = max(abs(x1 - x0), abs(y1 - y0))
    if n == 0:
        yield a
        return
    for i in range(n + 1):
        yield round(x0 + (x1 - x0) * i / n), round(y0 + (y1 - y0) * i / n)


# ---- PNG ------------------------------------------------------------------------------------

def write_curve_png(curve: Curve, path: Path | str, show_markers: bool = True) -> None:
    """The curve as a PNG figure (an Anki card's picture, the HTML report's worst cards).
    Needs matplotlib (the ``plot`` extra), imported here only: the caller says how to
    install it when it is missing."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    fig = Figure(figsize=(6.4, 3.4), layout="constrained")
    ax = fig.subplots()
    for series in curve.series:
        ys = [v if math.isfinite(v) else float("nan") for v in series.values]
        ax.plot(series.steps, ys, linewidth=1.3, label=series.name)
        bad = series.first_nonfinite_step()
        if bad is not None:
            ax.axvline(bad, color="red", linestyle=":", linewidth=1)
    if show_markers:
        for marker in curve.markers:
            ax.axvline(marker.step, color="grey", linestyle="--", linewidth=0.8)
            ax.annotate(marker.label, (marker.step, 1), xycoords=("data", "axes fraction"), fontsize="x-small",
                        rotation=90, va="top", ha="right", color="grey")
    if curve.y_scale == "log":
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(curve.y_label)
    if len(curve.series) > 1:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.25)
    fig.savefig(path, dpi=100, format="png", metadata={"Software": None})
