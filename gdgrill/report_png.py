"""The report's charts as one PNG figure (``gdgrill report --png FILE``): the study
calendar, readiness over time per deck and the forecast. Needs matplotlib (the ``plot``
extra), imported here only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import IO, Any

from gdgrill.report import HISTORY_WEEKS, WEEKDAYS, shade
from gdgrill.report_html import CELL_COLOURS, PALETTE


def write_report_png(report: dict[str, Any], fh: IO[bytes]) -> None:
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    fig = Figure(figsize=(11, 8.2), layout="constrained")
    ax_cal, ax_ready, ax_due = fig.subplots(3, 1, height_ratios=(1, 1.6, 1.1))
    days = report["calendar"]
    by_day = {date.fromisoformat(d["day"]): d["reviews"] for d in days}
    first, last = min(by_day), max(by_day)
    peak = max(by_day.values())
    start = first - timedelta(days=first.weekday())
    weeks = (last - start).days // 7 + 1
    grid = [[float("nan")] * weeks for _ in range(7)]
    for day, n in by_day.items():
        w = (day - start).days // 7
        grid[day.weekday()][w] = shade(n, peak)
    ax_cal.imshow(grid, cmap=ListedColormap(CELL_COLOURS), vmin=-0.5, vmax=4.5, aspect="equal")
    ax_cal.set_yticks(range(7), WEEKDAYS)
    months = [w for w in range(weeks) if w == 0 or (start + timedelta(weeks=w)).month != (start + timedelta(weeks=w - 1)).month]
    ax_cal.set_xticks(months, [(start + timedelta(weeks=w)).strftime("%b") for w in months], fontsize="small")
    ax_cal.set_title(f"Study calendar, last {HISTORY_WEEKS} weeks (darker: more reviews; busiest day {peak})")
    h = report["history"]
    xs = [date.fromisoformat(d) for d in h["days"]]
    ax_ready.plot(xs, [v * 100 for v in h["overall"]], color="#222", linestyle="--", linewidth=2, label="overall")
    for k, deck in enumerate(h["decks"]):
        ax_ready.plot(xs, [v * 100 for v in deck["readiness"]], color=PALETTE[k % len(PALETTE)], linewidth=1.6, label=deck["id"])
    ax_ready.set_ylim(0, 100)
    ax_ready.set_ylabel("readiness %")
    ax_ready.set_title(f"Readiness over {HISTORY_WEEKS} weeks")
    ax_ready.legend(fontsize="small", ncol=4, loc="upper left")
    ax_ready.grid(alpha=0.25)
    forecast = report["forecast"]
    ax_due.bar([f["day"][5:] for f in forecast], [f["due"] for f in forecast], color="#2f6fde")
    ax_due.set_title("Due in the next 21 days")
    ax_due.tick_params(axis="x", labelsize="small", rotation=60)
    fig.savefig(fh, dpi=100, format="png", metadata={"Software": None})
