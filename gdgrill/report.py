"""The self-grading report: where you stand per deck and tier, what is weak, what is due.

:func:`build_report` returns a plain dict (the stable JSON shape, ``schema`` 1, documented
in README.md); the renderers turn it into text (Rich), Markdown or JSON.

Readiness of one item is how far up the ladder it stands: 0 when new or just missed,
k/5 at checkpoint k, 1 when mastered. A group's readiness is the mean over its items.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Sequence

from gdgrill.leeches import LEECH_MISSES, find_leeches
from gdgrill.scheduler import MASTERED, CardState, Status, forecast
from gdgrill.store import ItemSummary, Store

if TYPE_CHECKING:
    from gdgrill.content import ProblemRef
    from gdgrill.decks import Card

SCHEMA_VERSION = 1
TIER_NAMES = {1: "phone screen", 2: "modern optimisation", 3: "MLE loop", 4: "research-engineer depth"}
SHORT_TIER_NAMES = {1: "phone", 2: "modern", 3: "MLE", 4: "research"}
READY = 0.8  # the syllabus' aim before an interview
FORECAST_DAYS = 21
HISTORY_WEEKS = 12  # the study calendar and readiness over time look this far back
WORST_CURVES = 4  # curve cards the HTML report draws


@dataclass(frozen=True)
class Item:
    """Anything on the ladder: a card ('deck/card') or a drill ('drill/name')."""

    key: str
    group: str
    tier: int
    title: str


def readiness(state: CardState) -> float:
    return min(state.rung, MASTERED) / MASTERED if state.reviews else 0.0


SHAKY_PASS_RATE = 0.7


def verdict(score: float, seen: int, recent_pass_rate: float | None = None) -> str:
    """Plain words for a readiness score (and the last 30 days' pass rate, if any)."""
    if seen == 0:
        return "not started"
    if recent_pass_rate is not None and recent_pass_rate < SHAKY_PASS_RATE:
        return f"shaky: {recent_pass_rate * 100:.0f}% passed lately; re-grill the misses before going deeper"
    if score >= READY:
        return "ready: keep it warm with the maintenance checks"
    if score >= 0.5:
        return "getting there: keep the daily quiz going"
    if score >= 0.2:
        return "climbing: cards are moving up the ladder"
    return "just started: most cards are at the first checkpoints"


def _summary(keys: list[str], facts: dict[str, tuple]) -> dict[str, Any]:
    """Sum the per-item facts (see :func:`_facts`) over a group of items."""
    seen = learning = mastered = due = wn = wp = mn = mp = 0
    score = 0.0
    for key in keys:
        f = facts.get(key)
        if f is None:
            continue
        s_seen, s_learning, s_mastered, s_due, s_score, (w_n, w_p), (m_n, m_p) = f
        seen += s_seen
        learning += s_learning
        mastered += s_mastered
        due += s_due
        score += s_score
        wn, wp, mn, mp = wn + w_n, wp + w_p, mn + m_n, mp + m_p
    mean = score / len(keys) if keys else 0.0
    month_rate = round(mp / mn, 3) if mn else None
    return {
        "items": len(keys),
        "seen": seen,
        "learning": learning,
        "mastered": mastered,
        "due_today": due,
        "pass_rate_7d": round(wp / wn, 3) if wn else None,
        "pass_rate_30d": month_rate,
        "readiness": round(mean, 3),
        "verdict": verdict(mean, seen, month_rate),
    }


def _facts(summary: ItemSummary, today: date, suspended: bool = False) -> tuple:
    state = summary.state
    status = state.status
    return (
        1 if state.reviews or summary.all_time.reviews else 0,  # tested: on the ladder or in a grill
        1 if status is Status.LEARNING else 0,
        1 if status is Status.MASTERED else 0,
        1 if state.is_due(today) and not suspended else 0,  # a suspended card is never asked
        readiness(state),
        (summary.week.reviews, summary.week.passes),
        (summary.month.reviews, summary.month.passes),
    )


def streaks(study_days: list[date], today: date) -> dict[str, Any]:
    """Consecutive study days: the run ending today (or yesterday, if not yet studied
    today) and the longest run ever. ``study_days`` is newest first."""
    days = sorted(set(study_days))
    longest = run = 0
    previous: date | None = None
    for d in days:
        run = run + 1 if previous is not None and (d - previous).days == 1 else 1
        longest = max(longest, run)
        previous = d
    current = 0
    day_set = set(days)
    cursor = today if today in day_set else today - timedelta(days=1)
    while cursor in day_set:
        current += 1
        cursor -= timedelta(days=1)
    return {"current": current, "longest": longest, "studied_today": today in day_set}


def calendar(per_day: dict[date, int], today: date, weeks: int = HISTORY_WEEKS) -> list[dict[str, Any]]:
    """Reviews on each of the last ``weeks`` weeks' days, oldest first, ending today."""
    days = 7 * weeks
    return [
        {"day": (d := today - timedelta(days=days - 1 - i)).isoformat(), "reviews": per_day.get(d, 0)} for i in range(days)
    ]


def history_days(today: date, weeks: int = HISTORY_WEEKS) -> list[date]:
    """The days readiness over time is sampled on: weekly, ending today."""
    return [today - timedelta(weeks=weeks - k) for k in range(weeks + 1)]


def readiness_history(groups: dict[Any, list[str]], summaries: dict[str, ItemSummary], days: int) -> dict[Any, list[float]]:
    """Each group's readiness (the mean over its items, as in the report) at the end of
    each of the ``days`` days the summaries hold states for (Store.summaries' history).

    An item's readiness is its rung over MASTERED (a never-reviewed state is at rung 0),
    so a group's is the sum of its items' rungs on each day: summed column by column."""
    from operator import itemgetter

    rung = itemgetter(0)  # CardState is a NamedTuple: rung first
    out = {}
    for gid, keys in groups.items():
        histories = [s.history for s in map(summaries.get, keys) if s is not None]
        if not keys:
            out[gid] = [0.0] * days
            continue
        scale = MASTERED * len(keys)
        totals = [sum(map(rung, column)) for column in zip(*histories)] if histories else [0] * days
        out[gid] = [round(t / scale, 3) for t in totals]
    return out


def worst_curves(cards: Sequence[Card], all_time: dict[str, Any], n: int = WORST_CURVES) -> list[dict[str, Any]]:
    """The curve cards you miss most (misses, then pass rate), with the curve they show."""
    found = []
    for card in cards:
        stats = all_time.get(card.key)
        if card.curve and stats is not None and stats.fails:
            found.append((-stats.fails, stats.pass_rate or 0.0, card.key, card, stats))
    found.sort(key=lambda f: f[:3])
    return [
        {"item": key, "title": " ".join(card.question.split()), "curve": card.curve, "misses": stats.fails, "reviews": stats.reviews}
        for _, _, key, card, stats in found[:n]
    ]


def plan_section(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report's ``plan`` object from the planner's summary (None without a plan)."""
    if summary is None:
        return None
    keys = ("interview", "days_left", "per_day", "focus", "projected_recall", "not_yet_introduced")
    return {**{k: summary[k] for k in keys}, "not_covered": len(summary["not_covered"])}


def plan_line(plan: dict[str, Any]) -> str:
    if plan["projected_recall"] is None:
        return f"Plan: interview day {plan['interview']} reached; the ladder is back in charge."
    line = (
        f"Plan: interview {plan['interview']} ({plan['days_left']} day(s) left, up to {plan['per_day']} a day)"
        f" · projected recall on the day {_pct(plan['projected_recall'])} if you keep to it"
        f" · {plan['not_yet_introduced']} card(s) not yet introduced"
    )
    if plan["not_covered"]:
        line += f" · {plan['not_covered']} out of reach at this budget (gdgrill plan --per-day N)"
    return line


def build_report(
    items: list[Item],
    group_titles: dict[str, str],
    store: Store,
    today: date,
    plan: dict[str, Any] | None = None,
    cards: Sequence[Card] = (),
    problems: Sequence[ProblemRef] = (),
) -> dict[str, Any]:
    """The report; ``plan`` is :func:`gdgrill.daily.plan_summary`'s result, if any.
    Leeches are looked for among ``cards``, with ``problems`` to point them at. Suspended
    cards keep their readiness but are never counted due, forecast, re-grilled or leeches."""
    sampled = history_days(today)
    summaries = store.summaries(today, history=sampled)
    suspended = store.suspended()
    states = {k: s.state for k, s in summaries.items()}
    all_time = {k: s.all_time for k, s in summaries.items()}
    known = {i.key: i for i in items}
    facts = {k: _facts(s, today, k in suspended) for k, s in summaries.items() if k in known}

    groups: dict[str, list[str]] = {}
    tiers: dict[int, list[str]] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item.key)
        tiers.setdefault(item.tier, []).append(item.key)

    weakest = []
    for key, stats in all_time.items():
        if key in known and stats.fails and states[key].status is not Status.MASTERED:
            weakest.append((stats.fails, stats.pass_rate or 0.0, key, stats))
    weakest.sort(key=lambda w: (-w[0], w[1], w[2]))

    regrill = [
        {"item": key, "title": known[key].title, "misses": all_time[key].fails, "due": s.due.isoformat() if s.due else None}
        for key, s in states.items()
        if key in known and s.reviews and s.rung == 0 and s.lapses and key not in suspended
    ]
    regrill.sort(key=lambda r: (-r["misses"], r["item"]))

    history = readiness_history({None: list(known), **groups}, summaries, len(sampled))

    return {
        "schema": SCHEMA_VERSION,
        "today": today.isoformat(),
        "overall": _summary(list(known), facts),
        "decks": [
            {"id": gid, "title": group_titles.get(gid, gid), **_summary(members, facts)}
            for gid, members in groups.items()
        ],
        "tiers": [
            {"tier": t, "name": TIER_NAMES.get(t, f"tier {t}"), **_summary(tiers[t], facts)}
            for t in sorted(tiers)
        ],
        "weakest": [
            {
                "item": key,
                "title": known[key].title,
                "misses": fails,
                "reviews": stats.reviews,
                "pass_rate": round(rate, 3),
            }
            for fails, rate, key, stats in weakest[:10]
        ],
        "regrill": regrill,
        "forecast": [
            {"day": (today + timedelta(days=i)).isoformat(), "due": n}
            for i, n in enumerate(
                forecast((states[k] for k in known if k in states and k not in suspended), today, FORECAST_DAYS)
            )
        ],
        "leeches": [found.to_dict() for found in find_leeches(cards, summaries, suspended, problems)],
        "curves": worst_curves(cards, all_time),
        "suspended": sorted(k for k in suspended if k in known),
        "streak": streaks(store.study_days(), today),
        "calendar": calendar(store.reviews_per_day(today - timedelta(days=7 * HISTORY_WEEKS - 1)), today),
        "history": {
            "days": [d.isoformat() for d in sampled],
            "overall": history.pop(None),
            "decks": [{"id": gid, "readiness": values} for gid, values in history.items()],
        },
        "plan": plan_section(plan),
        "practice": store.practice_ratings(),
        "assessments": store.assessments(),
        "grills": store.grills(),
    }


# -- renderers -------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


SHADES = "·░▒▓█"  # no reviews, then four levels up to the busiest day
SPARKS = "▁▂▃▄▅▆▇█"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def shade(reviews: int, peak: int) -> int:
    """0 for a day without reviews, else 1..4 by quarters of the busiest day."""
    if reviews <= 0 or peak <= 0:
        return 0
    return min(4, -(-4 * reviews // peak))


def calendar_lines(days: list[dict[str, Any]]) -> list[str]:
    """The study calendar as text: a month row, then one row per weekday (Mon..Sun) with a
    cell per week, shaded by that day's reviews; days after the last one are blank."""
    if not days:
        return []
    by_day = {date.fromisoformat(d["day"]): d["reviews"] for d in days}
    first, last = min(by_day), max(by_day)
    peak = max(by_day.values())
    start = first - timedelta(days=first.weekday())
    weeks = (last - start).days // 7 + 1
    months = [" "] * (2 * weeks + 1)
    free = 0
    for w in range(weeks):
        monday = start + timedelta(weeks=w)
        if (w == 0 or monday.month != (monday - timedelta(weeks=1)).month) and 2 * w >= free:
            name = monday.strftime("%b")
            months[2 * w: 2 * w + len(name)] = name
            free = 2 * w + len(name) + 1
    lines = ["     " + "".join(months).rstrip()]
    for wd, label in enumerate(WEEKDAYS):
        cells = []
        for w in range(weeks):
            day = start + timedelta(weeks=w, days=wd)
            cells.append(SHADES[shade(by_day[day], peak)] if day in by_day else " ")
        lines.append(f"{label}  " + " ".join(cells).rstrip())
    return lines


def calendar_legend(days: list[dict[str, Any]]) -> str:
    """What each shade stands for: the reviews a day that :func:`shade` gives it."""
    peak = max((d["reviews"] for d in days), default=0)
    parts = ["· 0"]
    for level, glyph in enumerate(SHADES[1:], 1):
        low, high = peak * (level - 1) // 4 + 1, peak * level // 4
        if low <= high:
            parts.append(f"{glyph} {low}" + (f"-{high}" if high > low else ""))
    return "reviews a day: " + "  ".join(parts)


def sparkline(values: list[float]) -> str:
    """0..1 values as a row of block heights (the same scale for every deck)."""
    return "".join(SPARKS[min(len(SPARKS) - 1, max(0, round(v * (len(SPARKS) - 1))))] for v in values)


def history_lines(report: dict[str, Any]) -> list[str]:
    """Readiness over time, one line per deck (and overall): a sparkline, then first → now."""
    h = report.get("history")
    if not h:
        return []
    rows = [("overall", h["overall"])] + [(d["id"], d["readiness"]) for d in h["decks"]]
    width = max(len(name) for name, _ in rows)
    return [f"{name:<{width}}  {sparkline(values)}  {_pct(values[0])} → {_pct(values[-1])}" for name, values in rows]


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def render_markdown(report: dict[str, Any]) -> str:
    o = report["overall"]
    lines = [
        f"# gdgrill report — {report['today']}",
        "",
        f"**Readiness {_pct(o['readiness'])}** — {o['verdict']}. "
        f"{o['seen']} of {o['items']} seen, {o['mastered']} mastered, {o['due_today']} due today. "
        f"Streak: {report['streak']['current']} day(s) (longest {report['streak']['longest']}).",
        "",
        *([plan_line(report["plan"]), ""] if report.get("plan") else []),
        "## By deck",
        "",
        "| deck | items | seen | on ladder | mastered | due today | pass 7d | pass 30d | readiness | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for d in report["decks"]:
        lines.append(
            f"| {d['id']} | {d['items']} | {d['seen']} | {d['learning']} | {d['mastered']} | {d['due_today']} | "
            f"{_pct(d['pass_rate_7d'])} | {_pct(d['pass_rate_30d'])} | {_pct(d['readiness'])} | {d['verdict']} |"
        )
    lines += ["", "## By tier", "", "| tier | items | seen | mastered | pass 30d | readiness | verdict |", "|---|---:|---:|---:|---:|---:|---|"]
    for t in report["tiers"]:
        lines.append(
            f"| {t['tier']} ({t['name']}) | {t['items']} | {t['seen']} | {t['mastered']} | {_pct(t['pass_rate_30d'])} | "
            f"{_pct(t['readiness'])} | {t['verdict']} |"
        )
    lines += ["", "## Weakest", ""]
    lines += [f"- `{w['item']}` — {w['misses']} miss(es) in {w['reviews']} reviews: {w['title']}" for w in report["weakest"]] or ["- none yet"]
    lines += ["", "## Re-grill (back at the bottom of the ladder after a miss)", ""]
    lines += [f"- `{r['item']}` (due {r['due']}): {r['title']}" for r in report["regrill"]] or ["- nothing: no card is waiting on a miss"]
    if report["leeches"]:
        lines += ["", f"## Leeches (missed {LEECH_MISSES}+ times: another pass at the card rarely fixes them)", ""]
        for leech in report["leeches"]:
            lines.append(f"- `{leech['item']}` — {leech['misses']} misses: {leech['title']}")
            lines += [f"  - {line}" for line in leech["advice"]]
    if report["suspended"]:
        lines += ["", f"Suspended ({len(report['suspended'])}, never asked): " + ", ".join(f"`{k}`" for k in report["suspended"]) + "."]
    if report.get("calendar"):
        lines += ["", f"## Study calendar, last {HISTORY_WEEKS} weeks", "", calendar_legend(report["calendar"]) + ":", "", "```",
                  *calendar_lines(report["calendar"]), "```"]
    if report.get("history"):
        h = report["history"]
        lines += ["", f"## Readiness over {HISTORY_WEEKS} weeks (weekly, {h['days'][0]} → {h['days'][-1]})", "", "```",
                  *history_lines(report), "```"]
    lines += ["", "## Due in the next 21 days", "", "| day | due |", "|---|---:|"]
    lines += [f"| {f['day']} | {f['due']} |" for f in report["forecast"]]
    if report["grills"]:
        g = report["grills"][-1]
        lines += ["", f"Last grill ({g['day']}): {g['score']}/{g['total']}."]
    if report["assessments"]:
        totals = " → ".join(str(a["total"]) for a in report["assessments"][-5:])
        lines += ["", f"Self-assessment totals (of 35): {totals}."]
    if report["practice"]:
        lines += ["", "Practice problems rated: " + ", ".join(f"{p['problem']} {p['rating']}" for p in report["practice"][-5:]) + "."]
    return "\n".join(lines) + "\n"


def render_text(report: dict[str, Any], console: Any) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    o = report["overall"]
    s = report["streak"]
    console.print(
        Text.assemble(
            ("gdgrill report ", "title"),
            (f"{report['today']}\n", "muted"),
            (f"Readiness {_pct(o['readiness'])}", "ok" if o["readiness"] >= READY else "warn"),
            f" — {o['verdict']}\n",
            f"{o['seen']} of {o['items']} seen · {o['mastered']} mastered · {o['due_today']} due today · "
            f"streak {s['current']} day(s), longest {s['longest']}",
        )
    )

    def table(title: str, first: str, rows: list[dict[str, Any]], label: Any) -> Table:
        # 80 columns: the 7-day rate stays in md/json; here the 30-day one speaks.
        t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, title_style="title")
        widths = {"30d": 4, "ready": 5}  # room for "100%"
        for col in (first, "cards", "seen", "mastered", "due", "30d", "ready"):
            t.add_column(col, justify="left" if col == first else "right", no_wrap=True, min_width=widths.get(col, len(col)))
        t.add_column("verdict", no_wrap=True, min_width=13)
        for r in rows:
            t.add_row(
                label(r), str(r["items"]), str(r["seen"]), str(r["mastered"]), str(r["due_today"]),
                _pct(r["pass_rate_30d"]), _pct(r["readiness"]), r["verdict"].split(":")[0],
            )
        return t

    if report.get("plan"):
        console.print(Text(plan_line(report["plan"]), style="key"))
    console.print(table("By deck", "deck", report["decks"], lambda r: r["id"]))
    console.print(table("By tier", "tier", report["tiers"], lambda r: f"{r['tier']} {SHORT_TIER_NAMES.get(r['tier'], '')}"))
    console.print(Text("30d: pass rate, last 30 days · ready: mean position on the 0-3-7-14-21 ladder", style="muted"))
    if report.get("calendar"):
        # assemble, not Text(style=...) + Text(...): the sum keeps the first one's style under the second
        console.print(Text.assemble((f"Study calendar, last {HISTORY_WEEKS} weeks ", "title"), (f"({calendar_legend(report['calendar'])})", "muted")))
        for line in calendar_lines(report["calendar"]):
            console.print(Text("  " + line), no_wrap=True, overflow="crop")
    if report.get("history"):
        h = report["history"]
        console.print(Text.assemble((f"Readiness over {HISTORY_WEEKS} weeks ", "title"), (f"(weekly, {h['days'][0]} → {h['days'][-1]})", "muted")))
        for line in history_lines(report):
            console.print(Text("  " + line), no_wrap=True, overflow="ellipsis")
    if report["weakest"]:
        console.print(Text("Weakest (misses / reviews):", style="title"))
        for r in report["weakest"]:
            # assemble, not Text(style=...): a Text's style would colour the whole line red
            line = Text.assemble((f"  {r['misses']:>2}/{r['reviews']:<3} ", "bad"), f"{r['item']}  ", (r["title"], "muted"))
            console.print(line, no_wrap=True, overflow="ellipsis")
    if report["regrill"]:
        names = ", ".join(r["item"] for r in report["regrill"][:12]) + (", …" if len(report["regrill"]) > 12 else "")
        console.print(Text.assemble(("Re-grill (back at the bottom of the ladder after a miss): ", "title"), names))
    if report["leeches"]:
        from rich.padding import Padding

        console.print(Text(f"Leeches (missed {LEECH_MISSES}+ times: another pass at the card rarely fixes them):", style="title"))
        for leech in report["leeches"]:
            line = Text.assemble((f"  {leech['misses']:>2}× ", "bad"), f"{leech['item']}  ", (leech["title"], "muted"))
            console.print(line, no_wrap=True, overflow="ellipsis")
            for advice in leech["advice"]:
                console.print(Padding(Text(advice, style="muted"), (0, 0, 0, 6)))
    if report["suspended"]:
        names = ", ".join(report["suspended"][:12]) + (", …" if len(report["suspended"]) > 12 else "")
        console.print(Text.assemble((f"Suspended ({len(report['suspended'])}, never asked): ", "title"), names))
    days = report["forecast"]
    peak = max((d["due"] for d in days), default=0) or 1
    console.print(Text("Due, next 21 days:", style="title"))
    for d in days:
        if d["due"]:
            console.print(Text(f"  {d['day']}  {'█' * max(1, round(20 * d['due'] / peak))} {d['due']}"))
    if not any(d["due"] for d in days):
        console.print(Text("  nothing scheduled yet: run 'gdgrill quiz' to start the ladder", style="muted"))
    if report["grills"]:
        g = report["grills"][-1]
        console.print(Text(f"Last grill ({g['day']}): {g['score']}/{g['total']}", style="title"))
    if report["assessments"]:
        totals = " → ".join(str(a["total"]) for a in report["assessments"][-5:])
        console.print(Text(f"Self-assessment totals (of 35): {totals}", style="title"))
    if report["practice"]:
        console.print(Text("Practice ratings: " + ", ".join(f"{p['problem']} {p['rating']}" for p in report["practice"][-5:])))
