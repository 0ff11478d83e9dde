"""The report as one self-contained HTML page (``gdgrill report --html FILE``).

Everything is inline: the styles, and the charts drawn as SVG from the report's own
figures (the study calendar, readiness over time per deck, the forecast bars, the loss
curves of your worst curve cards). No script, no external file, no network: the page
opens anywhere, from a mail attachment as well as from disk.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from html import escape
from typing import TYPE_CHECKING, Any, Iterable

from gdgrill.report import HISTORY_WEEKS, SHADES, WEEKDAYS, _pct, calendar_legend, plan_line, shade

if TYPE_CHECKING:
    from gdgrill.curves import Curve

PALETTE = ("#2f6fde", "#d9480f", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599", "#c2255c", "#5c940d")
CELL_COLOURS = ("#ebedf0", "#c6e48b", "#7bc96f", "#239a3b", "#196127")

CSS = """\
body { font: 15px/1.45 -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif; color: #1d1d1f;
       background: #fafafa; margin: 0; }
main { max-width: 980px; margin: 0 auto; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; }
.muted { color: #6b6b70; } .ok { color: #2b8a3e; } .warn { color: #c77700; } .bad { color: #c92a2a; }
.headline { font-size: 20px; font-weight: 600; margin: 8px 0 2px; }
section { background: #fff; border: 1px solid #e3e3e8; border-radius: 8px; padding: 4px 18px 14px; margin-top: 16px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child, .text { text-align: left; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font: 11px sans-serif; fill: #555; }
figure { margin: 12px 0; } figcaption { font-size: 13px; color: #444; }
code { font-size: 13px; background: #f1f1f4; padding: 1px 4px; border-radius: 3px; }
ul { margin: 4px 0; padding-left: 20px; }
"""


def render_html(report: dict[str, Any], curves: dict[str, "Curve"] | None = None) -> str:
    """The page for ``report`` (build_report's dict); ``curves`` maps curve names to the
    loaded curves of the report's worst curve cards."""
    o, s = report["overall"], report["streak"]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>gdgrill report — {escape(report['today'])}</title>",
        f"<style>\n{CSS}</style></head><body><main>",
        f'<header><h1>gdgrill report</h1><div class="muted">{escape(report["today"])}</div>',
        f'<p class="headline {"ok" if o["readiness"] >= 0.8 else "warn"}" id="readiness-now">Readiness {_pct(o["readiness"])}'
        f' — {escape(o["verdict"])}</p>',
        f'<p>{o["seen"]} of {o["items"]} seen · {o["mastered"]} mastered · {o["due_today"]} due today · '
        f'streak {s["current"]} day(s), longest {s["longest"]}</p>',
    ]
    if report.get("plan"):
        parts.append(f'<p class="muted">{escape(plan_line(report["plan"]))}</p>')
    parts.append("</header>")
    if report.get("calendar"):
        parts += [
            f'<section id="calendar"><h2>Study calendar, last {HISTORY_WEEKS} weeks</h2>',
            calendar_svg(report["calendar"]),
            f'<p class="muted">{escape(calendar_legend(report["calendar"]))}</p></section>',
        ]
    if report.get("history"):
        h = report["history"]
        series = [("overall", h["overall"])] + [(d["id"], d["readiness"]) for d in h["decks"]]
        parts += [
            f'<section id="readiness"><h2>Readiness over {HISTORY_WEEKS} weeks</h2>',
            readiness_svg(h["days"], series),
            "</section>",
        ]
    parts += ['<section id="forecast"><h2>Due in the next 21 days</h2>', forecast_svg(report["forecast"]), "</section>"]
    parts += ['<section id="decks"><h2>By deck</h2>', _table(report["decks"], "deck", lambda r: r["id"]), "</section>"]
    parts += ['<section id="tiers"><h2>By tier</h2>', _table(report["tiers"], "tier", lambda r: f'{r["tier"]} {r["name"]}'), "</section>"]
    parts.append('<section id="weakest"><h2>Weakest cards</h2>')
    if report["weakest"]:
        parts.append("<ul>" + "".join(
            f'<li><code>{escape(w["item"])}</code> — {w["misses"]} miss(es) in {w["reviews"]} reviews: {escape(w["title"])}</li>'
            for w in report["weakest"]) + "</ul>")
    else:
        parts.append('<p class="muted">none yet</p>')
    if report["regrill"]:
        parts.append("<p><b>Re-grill</b> (back at the bottom of the ladder after a miss): "
                     + ", ".join(f"<code>{escape(r['item'])}</code>" for r in report["regrill"]) + "</p>")
    if report["leeches"]:
        parts.append("<p><b>Leeches</b> (missed 4+ times):</p><ul>" + "".join(
            f'<li><code>{escape(x["item"])}</code> — {x["misses"]} misses: {escape(x["title"])}'
            + "<ul>" + "".join(f"<li>{escape(a)}</li>" for a in x["advice"]) + "</ul></li>"
            for x in report["leeches"]) + "</ul>")
    parts.append("</section>")
    shown = [c for c in report.get("curves", []) if curves and c["curve"] in curves]
    if shown:
        parts.append('<section id="curves"><h2>The curves of your worst cards</h2>')
        for c in shown:
            parts.append(
                f"<figure>{curve_svg(curves[c['curve']])}<figcaption><code>{escape(c['item'])}</code> — "  # type: ignore[index]
                f"{c['misses']} miss(es) in {c['reviews']} reviews: {escape(c['title'])}</figcaption></figure>"
            )
        parts.append("</section>")
    extra = []
    if report["grills"]:
        g = report["grills"][-1]
        extra.append(f"<li>Last grill ({escape(g['day'])}): {g['score']}/{g['total']}</li>")
    if report["assessments"]:
        extra.append("<li>Self-assessment totals (of 35): " + " → ".join(str(a["total"]) for a in report["assessments"][-5:]) + "</li>")
    if report["practice"]:
        extra.append("<li>Practice ratings: " + ", ".join(f"{escape(p['problem'])} {escape(p['rating'])}" for p in report["practice"][-5:]) + "</li>")
    if extra:
        parts.append('<section id="practice"><h2>Practice</h2><ul>' + "".join(extra) + "</ul></section>")
    parts.append('<p class="muted">Made by gdgrill from your progress log.</p></main></body></html>')
    return "\n".join(parts) + "\n"


def _table(rows: list[dict[str, Any]], first: str, label) -> str:
    head = f"<tr><th>{first}</th><th>cards</th><th>seen</th><th>mastered</th><th>due</th><th>pass 30d</th><th>ready</th><th class=\"text\">verdict</th></tr>"
    body = "".join(
        f"<tr><td>{escape(label(r))}</td><td>{r['items']}</td><td>{r['seen']}</td><td>{r['mastered']}</td><td>{r['due_today']}</td>"
        f"<td>{_pct(r['pass_rate_30d'])}</td><td>{_pct(r['readiness'])}</td><td class=\"text\">{escape(r['verdict'])}</td></tr>"
        for r in rows
    )
    return f"<table>{head}{body}</table>"


def calendar_svg(days: list[dict[str, Any]]) -> str:
    """A cell per day (weeks as columns, Monday on top), coloured like the text shades."""
    by_day = {date.fromisoformat(d["day"]): d["reviews"] for d in days}
    first, last = min(by_day), max(by_day)
    peak = max(by_day.values())
    start = first - timedelta(days=first.weekday())
    weeks = (last - start).days // 7 + 1
    size, gap, left, top = 13, 3, 34, 16
    width, height = left + weeks * (size + gap) + 14, top + 7 * (size + gap)  # room for a last month's name
    out = [f'<svg class="calendar" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width * 2}" '
           f'role="img" aria-label="reviews a day, last {weeks} weeks">']
    for wd in (0, 2, 4):
        out.append(f'<text x="0" y="{top + wd * (size + gap) + size - 2}">{WEEKDAYS[wd]}</text>')
    month = None
    for w in range(weeks):
        monday = start + timedelta(weeks=w)
        if monday.month != month:
            month = monday.month
            out.append(f'<text x="{left + w * (size + gap)}" y="11">{monday.strftime("%b")}</text>')
        for wd in range(7):
            day = monday + timedelta(days=wd)
            if day not in by_day:
                continue
            n = by_day[day]
            level = shade(n, peak)
            out.append(
                f'<rect x="{left + w * (size + gap)}" y="{top + wd * (size + gap)}" width="{size}" height="{size}" rx="2"'
                f' fill="{CELL_COLOURS[level]}" data-day="{day.isoformat()}" data-reviews="{n}" data-shade="{SHADES[level]}">'
                f"<title>{day.isoformat()}: {n} review{'s' if n != 1 else ''}</title></rect>"
            )
    out.append("</svg>")
    return "".join(out)


def _polyline(points: Iterable[tuple[float, float]], colour: str, attrs: str = "") -> str:
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"{attrs}/>'


def readiness_svg(days: list[str], series: list[tuple[str, list[float]]]) -> str:
    """A line per deck (and overall, thicker), readiness 0-100 % against the weekly days."""
    width, height, left, right, top, bottom = 720, 260, 40, 130, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(days) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / n

    def y(v: float) -> float:
        return top + plot_h * (1 - v)

    out = [f'<svg class="readiness" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" role="img"'
           ' aria-label="readiness over time per deck">']
    for v in (0, 0.25, 0.5, 0.75, 1):
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>'
                   f'<text x="4" y="{y(v) + 4:.1f}">{round(v * 100)}%</text>')
    for i in (0, len(days) // 2, len(days) - 1):
        out.append(f'<text x="{x(i) - 28:.1f}" y="{height - 6}">{escape(days[i])}</text>')
    for k, (name, values) in enumerate(series):
        colour = "#222" if k == 0 else PALETTE[(k - 1) % len(PALETTE)]
        extra = f' data-deck="{escape(name)}"' + (' stroke-dasharray="5,3"' if k == 0 else "")
        out.append(_polyline(((x(i), y(v)) for i, v in enumerate(values)), colour, extra))
        out.append(f'<text x="{left + plot_w + 8}" y="{top + 14 * k + 10}" style="fill:{colour}">{escape(name)} '
                   f'{_pct(values[-1])}</text>')
    out.append("</svg>")
    return "".join(out)


def forecast_svg(forecast: list[dict[str, Any]]) -> str:
    """A bar per day: how many items fall due (day 0 counts everything overdue)."""
    width, height, left, bottom, top = 720, 150, 30, 22, 14
    peak = max((f["due"] for f in forecast), default=0) or 1
    bar = (width - left) / max(len(forecast), 1)
    out = [f'<svg class="forecast" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" role="img"'
           ' aria-label="items due on each of the next days">']
    plot_h = height - bottom - top
    for i, f in enumerate(forecast):
        h = plot_h * f["due"] / peak
        x0 = left + i * bar + 2
        out.append(f'<rect x="{x0:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 4:.1f}" height="{h:.1f}" fill="#2f6fde"'
                   f' data-day="{escape(f["day"])}" data-due="{f["due"]}"><title>{escape(f["day"])}: {f["due"]} due</title></rect>')
        if f["due"]:
            out.append(f'<text x="{x0 + 1:.1f}" y="{top + plot_h - h - 3:.1f}">{f["due"]}</text>')
        if i % 7 == 0:
            out.append(f'<text x="{x0:.1f}" y="{height - 6}">{escape(f["day"][5:])}</text>')
    out.append("</svg>")
    return "".join(out)


def curve_svg(curve: "Curve") -> str:
    """A loss curve: each series a line (broken where the loss was not finite), log or
    linear as the curve says, its markers as dashed lines."""
    width, height, left, right, top, bottom = 640, 240, 48, 12, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    log = curve.y_scale == "log"

    def tr(v: float) -> float:
        return math.log10(v) if log else v

    finite = [tr(v) for s in curve.series for v in s.values if math.isfinite(v) and (v > 0 or not log)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if hi == lo:
        hi = lo + 1
    steps = [st for s in curve.series for st in s.steps]
    s0, s1 = min(steps), max(steps)
    s1 = s1 if s1 > s0 else s0 + 1

    def x(step: float) -> float:
        return left + plot_w * (step - s0) / (s1 - s0)

    def y(v: float) -> float:
        return top + plot_h * (1 - (tr(v) - lo) / (hi - lo))

    out = [f'<svg class="curve" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" role="img"'
           f' aria-label="{escape(curve.y_label)} against step" data-curve="{escape(curve.name)}">',
           f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#ddd"/>']
    for value in (lo, hi):
        label = f"{10 ** value:.3g}" if log else f"{value:.3g}"
        out.append(f'<text x="2" y="{top + plot_h * (1 - (value - lo) / (hi - lo)) + 4:.1f}">{label}</text>')
    out.append(f'<text x="{left}" y="{height - 6}">step {s0}</text><text x="{left + plot_w - 60}" y="{height - 6}">step {s1}</text>')
    for marker in curve.markers:
        out.append(f'<line x1="{x(marker.step):.1f}" x2="{x(marker.step):.1f}" y1="{top}" y2="{top + plot_h}" stroke="#999"'
                   f' stroke-dasharray="4,3"><title>{escape(marker.label)}</title></line>')
    for k, series in enumerate(curve.series):
        colour = PALETTE[k % len(PALETTE)]
        tag = f' data-series="{escape(series.name)}"'
        segment: list[tuple[float, float]] = []
        for step, value in zip(series.steps, series.values):
            if math.isfinite(value) and (value > 0 or not log):
                segment.append((x(step), y(value)))
            elif segment:
                out.append(_polyline(segment, colour, tag))
                segment = []
        if segment:
            out.append(_polyline(segment, colour, tag))
        out.append(f'<text x="{left + 8}" y="{top + 14 + 14 * k}" style="fill:{colour}">{escape(series.name)}</text>')
    out.append("</svg>")
    return "".join(out)
