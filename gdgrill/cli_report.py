"""`gdgrill report`: imported only when the report runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gdgrill.cli import load_decks, new_per_day, open_progress, out, user_errors
from gdgrill.cli_options import DecksOption, HomeOption
from gdgrill.errors import UserError


def _report_items(library, home=None):
    from gdgrill.cli import load_drill_catalog
    from gdgrill.report import Item

    items = [Item(c.key, c.deck, c.tier, c.question.splitlines()[0]) for c in library.cards]
    items += [Item(f"drill/{d.name}", "drills", d.tier, d.title) for d in load_drill_catalog(home=home).values()]
    titles = {d.id: d.title for d in library.decks}
    titles["drills"] = "Derive-and-verify drills"
    return items, titles


def _problems(home):
    """The practice problems leeches are pointed at (cached: the report stays off yaml)."""
    from gdgrill.content import problem_refs
    from gdgrill.paths import home_dir, problems_cache_path

    return problem_refs(problems_cache_path(home_dir(home)))


def report(
    format: Annotated[str, typer.Option("--format", "-f", help="text, md or json.")] = "text",
    out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the report to this file.")] = None,
    html: Annotated[
        Optional[Path],
        typer.Option("--html", metavar="FILE", help="Write the report as one self-contained HTML page: calendar, readiness over time, forecast, your worst cards' curves.", show_default=False),
    ] = None,
    png: Annotated[
        Optional[Path],
        typer.Option("--png", metavar="FILE", help="Write the calendar, readiness over time and forecast as a PNG figure (needs matplotlib: pip install 'gdgrill[plot]').", show_default=False),
    ] = None,
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """Where you stand: readiness per deck and tier, a 12-week study calendar, readiness
    over time per deck, weakest cards, what to re-grill, the streak and what falls due over
    the next 21 days. --html FILE writes the same as one self-contained page (with the
    curves of your worst curve cards), --png FILE the charts as a figure."""
    from gdgrill import clock
    from gdgrill.report import build_report, render_json, render_markdown, render_text

    with user_errors():
        if format not in ("text", "md", "json"):
            raise UserError(f"--format {format!r}: expected text, md or json")
        library = load_decks(decks, home)
        items, titles = _report_items(library, home)
        today = clock.today(home=home)
        with open_progress(home, write=False) as store:
            plan = None
            if store.plan() is not None:
                from gdgrill.daily import plan_summary

                plan = plan_summary(library.cards, store, today, new_per_day(None, home))
            data = build_report(items, titles, store, today, plan, library.cards, _problems(home))
        if html is not None or png is not None:
            _write_pictures(data, html, png)
            return
        if format == "json":
            text = render_json(data)
        elif format == "md":
            text = render_markdown(data)
        else:
            text = None
        if out_file is not None:
            if text is None:
                from io import StringIO

                from rich.console import Console

                buf = StringIO()
                render_text(data, Console(file=buf, width=120, no_color=True, highlight=False))
                text = buf.getvalue()
            try:
                out_file.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UserError(f"{out_file}: cannot write the report ({exc.strerror})") from None
            out.print(f"report written to {out_file}", markup=False)
        elif text is not None:
            typer.echo(text, nl=False)
        else:
            render_text(data, out)


def _write_pictures(data, html: Optional[Path], png: Optional[Path]) -> None:
    from gdgrill.eventlog import write_atomically

    if png is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UserError("matplotlib is needed for --png: pip install 'gdgrill[plot]'") from None
    if html is not None:
        from gdgrill.curves import load_curve
        from gdgrill.report_html import render_html

        page = render_html(data, {c["curve"]: load_curve(c["curve"]) for c in data["curves"]})
        try:
            write_atomically(html, lambda fh: fh.write(page.encode("utf-8")))
        except OSError as exc:
            raise UserError(f"{html}: cannot write the report ({exc.strerror})") from None
        out.print(f"HTML report written to {html}", markup=False, soft_wrap=True)
    if png is not None:
        from gdgrill.report_png import write_report_png

        try:
            write_atomically(png, lambda fh: write_report_png(data, fh))
        except OSError as exc:
            raise UserError(f"{png}: cannot write the figure ({exc.strerror})") from None
        out.print(f"figure written to {png}", markup=False, soft_wrap=True)
