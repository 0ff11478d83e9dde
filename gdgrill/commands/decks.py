"""`gdgrill decks ...`: list, show, search, suspend and validate decks; imported only when a decks command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gdgrill.cli import err, load_decks, open_progress, out, user_errors
from gdgrill.cli_options import DecksOption, HomeOption
from gdgrill.console import error_line
from gdgrill.errors import ExitCode

decks_app = typer.Typer(help="List, show and validate decks.", no_args_is_help=True, rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False)


@decks_app.command("list")
def decks_list(home: HomeOption = None, decks: DecksOption = None) -> None:
    """Every deck with its cards, how many are due today and how many are mastered."""
    from rich.table import Table

    from gdgrill import clock
    from gdgrill.scheduler import Status

    with user_errors():
        library = load_decks(decks, home)
        today = clock.today()
        with open_progress(home) as store:
            states = store.states()
        table = Table(title=f"Decks ({today.isoformat()})", title_justify="left")
        for col in ("deck", "title", "cards", "due today", "new", "mastered", "source"):
            table.add_column(col, justify="right" if col in ("cards", "due today", "new", "mastered") else "left")
        for d in library.decks:
            st = [states.get(c.key) for c in d.cards]
            table.add_row(
                d.id,
                d.title,
                str(len(d.cards)),
                str(sum(1 for s in st if s and s.is_due(today))),
                str(sum(1 for s in st if s is None)),
                str(sum(1 for s in st if s and s.status is Status.MASTERED)),
                "shipped" if d.shipped else str(d.source),
            )
        out.print(table)


@decks_app.command("show")
def decks_show(
    deck: Annotated[str, typer.Argument(help="Deck id, e.g. optimizers.")],
    card: Annotated[Optional[str], typer.Argument(help="Card id: show that card in full.")] = None,
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """A deck's cards (id, tier, question), or one card in full with its answer."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from gdgrill.decks import DeckError
    from gdgrill.text import reflow

    with user_errors():
        library = load_decks(decks, home)
        d = library.deck(deck)
        if d is None:
            raise DeckError(f"no deck named {deck!r} (decks: {', '.join(x.id for x in library.decks)})")
        if card is None:
            table = Table(title=f"{d.title} — {d.description}", title_justify="left")
            for col in ("card", "tier", "question"):
                table.add_column(col)
            for c in d.cards:
                table.add_row(c.id, str(c.tier), c.question.splitlines()[0])
            out.print(table)
            return
        c = d.card(card)
        if c is None:
            raise DeckError(f"deck {deck!r} has no card {card!r} (see 'gdgrill decks show {deck}')")
        body = Text(reflow(c.question) + "\n\n", style="title") + Text(reflow(c.answer))
        if c.key_points:
            body.append("\n\nKey points:", style="title")
            for i, p in enumerate(c.key_points, 1):
                body.append(f"\n  {i}. {p}")
        if c.accept:
            body.append("\n\nAccepted: " + " | ".join(c.accept), style="muted")
        for day, prompt in sorted(c.checkpoints.items()):
            body.append(f"\nday {day}: {prompt}", style="muted")
        if c.references:
            body.append("\n\nReferences: " + "; ".join(c.references), style="muted")
        out.print(Panel(body, title=f"{c.key} · tier {c.tier} · {', '.join(c.tags)}", title_align="left"))


@decks_app.command("check")
def decks_check(path: Annotated[Path, typer.Argument(help="A deck file or a folder of *.yaml decks.")]) -> None:
    """Validate deck files: exit 0 when clean, 2 with every problem listed (file:line: card: problem)."""
    from gdgrill.decks import check_path

    with user_errors():
        found, problems = check_path(path)
        for problem in problems:
            error_line(err, str(problem))
        if problems:
            raise typer.Exit(code=int(ExitCode.USAGE))
        cards = sum(len(d.cards) for d in found)
        out.print(f"ok: {len(found)} deck(s), {cards} card(s)", markup=False)


@decks_app.command("tags")
def decks_tags(home: HomeOption = None, decks: DecksOption = None) -> None:
    """Every tag with how many cards carry it (use them with 'gdgrill quiz --tag TAG')."""
    with user_errors():
        counts = load_decks(decks, home).tag_counts()
        width = max(len(t) for t in counts) if counts else 0
        for tag, n in counts.items():
            out.print(f"{tag:<{width}}  {n}", markup=False)
