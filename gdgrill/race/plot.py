"""Drawing a race: in the terminal with Unicode (no plotting library), or as a PNG with
matplotlib (the optional ``plot`` extra).

The terminal figure has three parts, each sized to the console (best at 80–100 columns):

* the surface — its contour as shaded bands with dotted iso-lines, every path drawn with
  braille dots in its optimizer's colour and each iterate marked with the optimizer's letter
  (so paths stay apart under NO_COLOR), ``●`` the start and ``+`` the minimum;
* loss vs step, one sparkline per optimizer on a shared log scale of loss − min (linear loss
  on the saddle, which has no minimum), ``✗`` where a run diverged;
* the table: η, final loss, steps to the goal, floor crossings (the zig-zag), diverged.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gdgrill.race.run import Race, Run

MAX_WIDTH = 100
COLOURS = {
    "sgd": "red",
    "momentum": "bright_blue",
    "nesterov": "cyan",
    "rmsprop": "magenta",
    "adagrad": "bright_magenta",
    "adam": "green",
    "adamw": "bright_green",
    "amsgrad": "bright_cyan",
    "lion": "yellow",
    "nadam": "bright_red",
    "radam": "blue",
    "adamax": "bright_yellow",
    "adadelta": "dark_orange",
    "adafactor": "purple",
    "rprop": "chartreuse3",
    "asgd": "grey62",
    "muon": "deep_pink2",
    "lamb": "orange3",
    "lars": "steel_blue",
    "lookahead": "plum2",
    "schedule-free-adamw": "spring_green2",
    "yours": "bright_white",
}
PNG_COLOURS = {
    "sgd": "#d62728",
    "momentum": "#1f77b4",
    "nesterov": "#17becf",
    "rmsprop": "#9467bd",
    "adagrad": "#e377c2",
    "adam": "#2ca02c",
    "adamw": "#8c564b",
    "amsgrad": "#7f7f7f",
    "lion": "#ff7f0e",
    "nadam": "#e41a1c",
    "radam": "#377eb8",
    "adamax": "#bcbd22",
    "adadelta": "#a65628",
    "adafactor": "#984ea3",
    "rprop": "#4daf4a",
    "asgd": "#999999",
    "muon": "#f781bf",
    "lamb": "#ff7f00",
    "lars": "#4682b4",
    "lookahead": "#dda0dd",
    "schedule-free-adamw": "#00cd66",
    "yours": "#000000",
}
BANDS = 8
LETTERS_PER_PATH = 8
SHADES = [f"on color({n})" for n in (232, 233, 234, 235, 236, 237, 238, 239)]
ISO = "·"
START, MINIMUM, OFF = "●", "+", "✗"
BAD = "bold red"
SPARKS = " ▁▂▃▄▅▆▇█"
# braille dot bits by (row, column) inside a 2-wide, 4-high cell
_BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_GAP_FLOOR = 1e-12


def colour_of(run: Run) -> str:
    return COLOURS.get(run.label, "white")


def figure_width(console: Console) -> int:
    return max(40, min(console.width, MAX_WIDTH))


# -- The contour and the paths ------------------------------------------------------------------


def _bands(race: Race, cols: int, rows: int) -> np.ndarray:
    """Band index (0 = lowest loss) of the surface at every cell's centre, (rows, cols)."""
    s = race.surface
    (x0, x1), (y0, y1) = s.bounds
    xs = x0 + (np.arange(cols) + 0.5) / cols * (x1 - x0)
    ys = y1 - (np.arange(rows) + 0.5) / rows * (y1 - y0)
    z = s.value(xs[None, :], ys[:, None])
    if s.min_value is not None:
        z = np.log10(np.maximum(z - s.min_value, 0) + _GAP_FLOOR)
        z = np.maximum(z, z.max() - 4)  # four decades of levels is what the eye can read
    lo, hi = float(z.min()), float(z.max())
    scaled = (z - lo) / (hi - lo or 1.0)
    return np.minimum((scaled * BANDS).astype(int), BANDS - 1)


def _clip_segment(a: tuple[float, float], b: tuple[float, float], width: float, height: float) -> tuple[float, float, float, float] | None:
    """The part of segment a→b inside [0, width) × [0, height) (Liang–Barsky), or None."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, a[0]), (dx, width - 1e-9 - a[0]), (-dy, a[1]), (dy, height - 1e-9 - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return a[0] + t0 * dx, a[1] + t0 * dy, a[0] + t1 * dx, a[1] + t1 * dy


def _segment_pixels(a: tuple[float, float], b: tuple[float, float], width: int, height: int) -> Iterator[tuple[int, int]]:
    """The pixels a straight line from a to b passes through, clipped to the canvas."""
    clipped = _clip_segment(a, b, width, height)
    if clipped is None:
        return
    xa, ya, xb, yb = clipped
    n = int(max(abs(xb - xa), abs(yb - ya))) + 1
    for i in range(n + 1):
        t = i / n
        yield int(xa + t * (xb - xa)), int(ya + t * (yb - ya))


class _Canvas:
    """Character cells, each with a character, a style, and braille dots that paths add."""

    def __init__(self, cols: int, rows: int):
        self.cols, self.rows = cols, rows
        self.chars = [[" "] * cols for _ in range(rows)]
        self.styles: list[list[str]] = [[""] * cols for _ in range(rows)]
        self.shade: list[list[str]] = [[""] * cols for _ in range(rows)]
        self.dots = np.zeros((rows, cols), dtype=np.int32)
        self.marked = np.zeros((rows, cols), dtype=bool)  # a letter or marker owns the cell

    def dot(self, px: int, py: int, style: str) -> None:
        r, c = py // 4, px // 2
        if self.marked[r, c]:
            return
        self.dots[r, c] |= _BRAILLE_BITS[py % 4][px % 2]
        self.chars[r][c] = chr(0x2800 + int(self.dots[r, c]))
        self.styles[r][c] = style

    def mark(self, r: int, c: int, char: str, style: str) -> None:
        if 0 <= r < self.rows and 0 <= c < self.cols:
            self.chars[r][c] = char
            self.styles[r][c] = style
            self.marked[r, c] = True

    def lines(self) -> list[Text]:
        out = []
        for r in range(self.rows):
            line = Text()
            for c in range(self.cols):
                style = " ".join(s for s in (self.styles[r][c], self.shade[r][c]) if s)
                line.append(self.chars[r][c], style=style or None)
            out.append(line)
        return out


def contour_lines(race: Race, cols: int, rows: int, runs: Sequence[Run] | None = None) -> list[Text]:
    """The surface with the paths of ``runs`` (default: every run) drawn over it: ``rows``
    lines of ``cols`` cells."""
    s = race.surface
    (x0, x1), (y0, y1) = s.bounds
    canvas = _Canvas(cols, rows)
    bands = _bands(race, cols, rows)
    for r in range(rows):
        for c in range(cols):
            canvas.shade[r][c] = SHADES[bands[r, c]]
            edge = (c + 1 < cols and bands[r, c + 1] != bands[r, c]) or (r + 1 < rows and bands[r + 1, c] != bands[r, c])
            if edge:
                canvas.chars[r][c] = ISO
                canvas.styles[r][c] = "dim"

    def to_pixels(path: np.ndarray) -> np.ndarray:
        px = (path[:, 0] - x0) / (x1 - x0) * (2 * cols)
        py = (y1 - path[:, 1]) / (y1 - y0) * (4 * rows)
        return np.stack([px, py], axis=1)

    def cell(point: np.ndarray) -> tuple[int, int]:
        return int(math.floor(point[1] / 4)), int(math.floor(point[0] / 2))

    # The first-listed optimizer is drawn last, so it ends up on top.
    drawn = list(reversed(race.runs if runs is None else runs))
    pixels = [to_pixels(run.path) for run in drawn]
    for run, pts in zip(drawn, pixels):
        style = colour_of(run)
        points = [(float(x), float(y)) for x, y in pts]
        for a, b in zip(points[:-1], points[1:]):
            for px, py in _segment_pixels(a, b, 2 * cols, 4 * rows):
                canvas.dot(px, py, style)
    # Letters at a few iterates (and the last) name each path even without colour; at every
    # iterate they would bury the lines they label.
    every = max(1, race.steps // LETTERS_PER_PATH)
    for run, pts in zip(drawn, pixels):
        style = f"bold {colour_of(run)}"
        for point in (*pts[every::every], pts[-1]):
            canvas.mark(*cell(point), run.letter, style)
    if s.minimum is not None:
        canvas.mark(*cell(to_pixels(np.array([s.minimum]))[0]), MINIMUM, "bold")
    canvas.mark(*cell(to_pixels(np.array([s.start]))[0]), START, "bold")
    return canvas.lines()


def _panel_title(run: Run) -> Text:
    title = Text()
    title.append(f" {run.letter} ", style=f"bold {colour_of(run)}")
    title.append(f"{run.label} η={run.entrant.lr:g} ")
    return title


def _panel_subtitle(run: Run) -> Text:
    if run.diverged:
        return Text(f" diverged, step {run.stop_step} ", style=BAD)
    return Text(f" {run.final_loss:.1e} · {run.sign_flips} crossings ", style="dim")


def path_panels(race: Race, width: int) -> RenderableType:
    """One small panel per run, all on the same contour, two or three to a row: seven paths
    from one start overlap too much to read on a single terminal plot."""
    per_row = 2 if width < 96 else 3
    panel_w = width // per_row
    cols = panel_w - 2
    rows = max(6, min(10, cols // 4))
    grid = Table.grid(padding=0)
    for _ in range(per_row):
        grid.add_column(width=panel_w)
    panels = [
        Panel(Text("\n").join(contour_lines(race, cols, rows, [run])), title=_panel_title(run), subtitle=_panel_subtitle(run), padding=0, width=panel_w)
        for run in race.runs
    ]
    for i in range(0, len(panels), per_row):
        grid.add_row(*panels[i : i + per_row])
    return grid


def overlay_panel(race: Race, width: int) -> RenderableType:
    """Every path on one plot (clearest with a few optimizers)."""
    cols = width - 2
    rows = max(10, min(20, cols // 5))
    return Panel(Text("\n").join(contour_lines(race, cols, rows)), padding=0, width=width)


def legend(race: Race) -> Text:
    text = Text()
    for i, run in enumerate(race.runs):
        if i:
            text.append("  ")
        text.append(run.letter, style=f"bold {colour_of(run)}")
        text.append(f" {run.label}")
    return text


# -- Loss vs step ---------------------------------------------------------------------------------


def _loss_scale(race: Race) -> tuple[str, np.ndarray | None]:
    """What the loss chart plots, and the transform applied (None: the loss itself)."""
    if race.surface.min_value is None:
        return "loss", None
    return "loss − min, log scale", np.array([race.surface.min_value])


def _plotted(race: Race, run: Run) -> np.ndarray:
    if race.surface.min_value is None:
        return run.loss
    return np.log10(np.maximum(run.loss - race.surface.min_value, 0) + _GAP_FLOOR)


def _fmt_axis(race: Race, v: float) -> str:
    return f"{10**v:.0e}" if race.surface.min_value is not None else f"{v:.3g}"


def loss_lines(race: Race, width: int) -> list[Text]:
    """One sparkline per run over a shared scale; a header line says what the scale is."""
    label_w = max(len(r.label) for r in race.runs) + 3
    tail_w = 22
    cols = max(10, min(width - label_w - tail_w - 2, race.steps + 1))
    series = [_plotted(race, run) for run in race.runs]
    finite = np.concatenate([v[np.isfinite(v)] for v in series]) if series else np.array([0.0])
    hi = float(finite.max()) if finite.size else 1.0
    lo = float(finite.min()) if finite.size else 0.0
    if race.surface.min_value is not None:
        lo = max(lo, hi - 16)  # below ~1e-16 of the start there is nothing left to see
    span = hi - lo or 1.0
    edges = np.linspace(0, race.steps + 1, cols + 1)

    what, _ = _loss_scale(race)
    header = Text(f"{what}: ", style="bold")
    header.append(f"{SPARKS[1]} {_fmt_axis(race, lo)} … {SPARKS[-1]} {_fmt_axis(race, hi)}", style="dim")
    header.append(f"   steps 0 → {race.steps}", style="dim")
    lines = [header]
    for run, values in zip(race.runs, series):
        line = Text()
        line.append(f"{run.letter} ", style=f"bold {colour_of(run)}")
        line.append(f"{run.label:<{label_w - 2}}")
        crossed = False
        for c in range(cols):
            start, end = int(edges[c]), max(int(edges[c + 1]), int(edges[c]) + 1)
            bucket = values[start:end]
            if bucket.size == 0:
                if run.diverged and not crossed:
                    line.append(OFF, style=BAD)
                    crossed = True
                else:
                    line.append(" ")
                continue
            worst = float(np.max(bucket))  # the worst loss in the bucket shows spikes
            level = 1 + int(round((min(max(worst, lo), hi) - lo) / span * (len(SPARKS) - 2)))
            line.append(SPARKS[level], style=colour_of(run))
        line.append("  ")
        if run.diverged:
            line.append(f"diverged at step {run.stop_step}", style=BAD)
        else:
            line.append(f"{run.loss[0]:.1e} → {run.final_loss:.1e}", style="dim")
        lines.append(line)
    return lines


# -- The table ------------------------------------------------------------------------------------


def results_table(race: Race) -> Table:
    _, goal_label = race.goal
    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
    table.add_column("")
    table.add_column("optimizer", no_wrap=True)
    table.add_column("η", justify="right")
    table.add_column("final loss", justify="right")
    table.add_column("first at goal", justify="right")
    table.add_column("crossings", justify="right")
    table.add_column("diverged", justify="right")
    for run in race.runs:
        if run.diverged:
            diverged = Text(f"yes, step {run.stop_step}", style=BAD)
        elif run.stop_reason == "escaped":
            diverged = Text(f"no (escaped, step {run.stop_step})")
        else:
            diverged = Text("no")
        table.add_row(
            Text(run.letter, style=f"bold {colour_of(run)}"),
            run.label,
            f"{run.entrant.lr:g}",
            f"{run.final_loss:.2e}",
            "—" if run.steps_to_goal is None else str(run.steps_to_goal),
            str(run.sign_flips),
            diverged,
        )
    return table


def summary_line(race: Race) -> Text:
    """The facts a reader should take away, in one line."""
    text = Text()
    alive = [r for r in race.runs if not r.diverged]
    if alive:
        best = min(alive, key=lambda r: r.final_loss)
        text.append("lowest loss: ", style="dim")
        text.append(best.label, style=f"bold {colour_of(best)}")
    zigzag = max(race.runs, key=lambda r: r.sign_flips)
    if zigzag.sign_flips:
        text.append(("  ·  " if text else "") + "most crossings: ", style="dim")
        text.append(f"{zigzag.label} ({zigzag.sign_flips})", style=f"bold {colour_of(zigzag)}")
    diverged = [r.label for r in race.runs if r.diverged]
    if text:
        text.append("  ·  ", style="dim")
    text.append("diverged: ", style="dim")
    text.append(", ".join(diverged) if diverged else "none", style=BAD if diverged else "")
    return text


# -- The whole figure --------------------------------------------------------------------------------


def figure(race: Race, width: int, overlay: bool = False) -> RenderableType:
    """The terminal figure for ``race``, ``width`` columns wide: the paths (one panel per
    optimizer, or all on one with ``overlay``), the loss charts, the table."""
    s = race.surface
    (x0, x1), (y0, y1) = s.bounds
    noise = f", noise seed {race.seed}" if s.noise else ""
    title = Text(f"{s.name}: {s.formula} · {race.steps} steps{noise}", style="bold")
    axes = Text(f"x {x0:g} … {x1:g} →, y {y0:g} … {y1:g} ↑   {START} start" + (f"  {MINIMUM} minimum" if s.minimum is not None else ""), style="dim")
    paths = overlay_panel(race, width) if overlay or len(race.runs) == 1 else path_panels(race, width)
    parts: list[RenderableType] = [title, paths, axes]
    if overlay:
        parts.append(legend(race))
    _, goal_label = race.goal
    crossings = {
        "rosenbrock": "of the curved valley floor y = x²",
        "saddle": "of x = 0 (oscillation along the stable axis; y is the escape direction)",
    }.get(s.name, "of the valley floor (the zig-zag)")
    note = Text(f"goal: {goal_label} (first at goal: the first step that reaches it) · crossings: {crossings}", style="dim")
    parts += [Text(), *loss_lines(race, width), Text(), results_table(race), note, summary_line(race)]
    return Group(*parts)


def print_race(race: Race, console: Console, overlay: bool = False) -> None:
    console.print(figure(race, figure_width(console), overlay))


# -- PNG ------------------------------------------------------------------------------------------------


def write_png(race: Race, path: Path | str) -> None:
    """The same figure with matplotlib: contour and paths beside loss vs step.
    matplotlib must be importable (the caller says how to install it when it is not)."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    s = race.surface
    (x0, x1), (y0, y1) = s.bounds
    fig = Figure(figsize=(13, 5.2), layout="constrained")
    ax_map, ax_loss = fig.subplots(1, 2, width_ratios=(1.35, 1))
    xs, ys = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 200))
    z = s.value(xs, ys)
    if s.min_value is not None:
        z = np.log10(np.maximum(z - s.min_value, 0) + _GAP_FLOOR)
        z = np.maximum(z, z.max() - 4)
    ax_map.contourf(xs, ys, z, levels=BANDS * 2, cmap="Greys_r", alpha=0.75)
    ax_map.contour(xs, ys, z, levels=BANDS * 2, colors="white", linewidths=0.4, alpha=0.6)
    for run in race.runs:
        colour = PNG_COLOURS.get(run.label, "black")
        xy = run.path
        ax_map.plot(xy[:, 0], xy[:, 1], "-o", color=colour, markersize=2, linewidth=1, label=f"{run.letter} {run.label}")
        ax_map.annotate(run.letter, xy[-1], color=colour, fontweight="bold", xytext=(3, 3), textcoords="offset points")
    ax_map.plot(*s.start, "o", color="black", markersize=6)
    if s.minimum is not None:
        ax_map.plot(*s.minimum, "+", color="black", markersize=10, markeredgewidth=2)
    ax_map.set_xlim(x0, x1)
    ax_map.set_ylim(y0, y1)
    ax_map.set_xlabel("x")
    ax_map.set_ylabel("y")
    ax_map.set_title(f"{s.name}: {s.formula}")
    ax_map.legend(loc="best", fontsize="small")

    for run in race.runs:
        colour = PNG_COLOURS.get(run.label, "black")
        steps = np.arange(len(run.loss))
        if s.min_value is not None:
            gap = np.maximum(run.loss - s.min_value, _GAP_FLOOR)
            ax_loss.semilogy(steps, gap, color=colour, linewidth=1.2, label=_png_label(run))
        else:
            ax_loss.plot(steps, run.loss, color=colour, linewidth=1.2, label=_png_label(run))
        if run.diverged:
            ax_loss.plot(steps[-1], (gap if s.min_value is not None else run.loss)[-1], "x", color=colour, markersize=9)
    ax_loss.set_xlim(0, race.steps)
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss − min" if s.min_value is not None else "loss")
    ax_loss.set_title(f"loss vs step ({race.steps} steps)")
    ax_loss.legend(loc="best", fontsize="small")
    fig.savefig(path, dpi=110, format="png")


def _png_label(run: Run) -> str:
    tail = f"diverged at {run.stop_step}" if run.diverged else f"{run.sign_flips} crossings"
    return f"{run.label} (η={run.entrant.lr:g}; {tail})"

