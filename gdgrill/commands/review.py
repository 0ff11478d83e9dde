"""`gdgrill due` and `gdgrill review`: the scripting face of the quiz (same queue, same rules)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from gdgrill.cli import NEW_HELP, load_decks, new_per_day, open_progress, out, user_errors
from gdgrill.cli_options import DecksOption, HomeOption
from gdgrill.errors import UserError

FORMATS = ("text", "json")


def _format(value: str) -> str:
    if value not in FORMATS:
        raise UserError(f"--format {value!r}: expected text or json")
    return value


def due(
    deck: Annotated[Optional[list[str]], typer.Option("--deck", "-d", help="Only this deck (repeatable).")] = None,
    new: Annotated[Optional[int], typer.Option("--new", min=0, help=NEW_HELP, show_default=False)] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """Today's queue exactly as 'gdgrill quiz' would ask it: the same order, the same
    new-card allowance, the same plan. JSON: {"schema": 1, "today", "items": [{"item",
    "kind" (card, quick-fire or drill), "new", "checkpoint", "due"}]}."""
    from gdgrill import clock
    from gdgrill.daily import todays_queue
    from gdgrill.reviewing import queue_entries

    with user_errors():
        _format(format)
        library = load_decks(decks, home)
        cards = library.select(deck or ())
        today = clock.today(home=home)
        with open_progress(home, write=False) as store:
            queue = todays_queue(library.cards, cards, store, today, new_per_day=new_per_day(new, home))
        entries = queue_entries(queue)
        if format == "json":
            typer.echo(json.dumps({"schema": 1, "today": today.isoformat(), "items": entries}, indent=2, ensure_ascii=False))
            return
        if not entries:
            out.print(f"{today.isoformat()}: nothing due.", markup=False)
        for e in entries:
            where = "new" if e["new"] else (f"day-{e['checkpoint']} checkpoint" if e["checkpoint"] is not None else "maintenance")
            out.print(f"{e['item']}  ({e['kind']}, {where})", markup=False)


def review(
    item: Annotated[Optional[str], typer.Argument(help="The item, as deck/card (see 'gdgrill due').", show_default=False)] = None,
    grade: Annotated[Optional[str], typer.Option("--grade", "-g", help="pass, easy (skips the next checkpoint) or fail (a self-graded card needs one).")] = None,
    answer: Annotated[
        Optional[str], typer.Option("--answer", "-a", help="Your answer: a quick-fire card is checked automatically; kept with the review.")
    ] = None,
    batch: Annotated[
        Optional[str],
        typer.Option(
            "--batch", metavar="FILE|-",
            help='JSON lines, each {"item": …, "grade": …} or {"item": …, "answer": …}; all recorded in one transaction, or none.',
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Judge and print the result without saving.")] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json (one object per review).")] = "text",
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """Record a review under the quiz's rules and print the verdict and next due day:
    {"item", "verdict" (pass, easy or fail), "next_due", "checkpoint"}, and for a checked
    quick-fire answer "check": {"accepted", "read_as", "expected"} (what was compared)."""
    from gdgrill import clock
    from gdgrill.reviewing import ReviewRequest, judge_all, parse_batch

    with user_errors():
        _format(format)
        if batch is not None and (item or grade or answer):
            raise UserError("--batch reads every review from its file: give no ITEM, --grade or --answer with it")
        if batch is None and item is None:
            raise UserError("give an ITEM (deck/card) with --grade or --answer, or --batch FILE")
        library = load_decks(decks, home)
        if batch is not None:
            requests = parse_batch(_read_batch(batch), library)
        else:
            requests = [ReviewRequest.checked(item, grade, answer, library, where="")]  # type: ignore[arg-type]
        today = clock.today(home=home)
        with open_progress(home, write=not dry_run) as store:
            results = judge_all(requests, library, store, today, save=not dry_run)
        for r in results:
            if format == "json":
                typer.echo(json.dumps(r, ensure_ascii=False))
            else:
                mark = {"pass": "✓ pass", "easy": "✓ easy"}.get(r["verdict"], "✗ miss")
                step = "maintenance check" if r["checkpoint"] is None else f"day-{r['checkpoint']} checkpoint"
                saved = "not saved (dry run)" if dry_run else "saved"
                out.print(f"{r['item']}: {mark} — {saved} · next on {r['next_due']} ({step})", markup=False)
                checked = r.get("check")
                if checked and not checked["accepted"]:
                    out.print(f"  read as {checked['read_as']}; expected {checked['expected']}", markup=False)


def _read_batch(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UserError(f"{source}: cannot read the batch file ({exc.strerror})") from None
