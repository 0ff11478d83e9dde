"""`gdgrill decks ...`: list, show, search, suspend and validate decks; imported only when a decks command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gdgrill.cli import err, load_decks, open_progress, out, user_errors
from gdgrill.cli_options import DecksOption, HomeOption
from gdgrill.console import error_line
from gdgrill.errors import ExitCode

decks_app = typer.Typer(help="List, search, show, suspend and validate decks.", no_args_is_help=True, rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False)


@decks_app.command("list")
def decks_list(home: HomeOption = None, decks: DecksOption = None) -> None:
    """Every deck, and the drills, with how many items are due today, new, mastered (and
    suspended, when any is)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from gdgrill import clock
    from gdgrill.cli import load_drill_catalog
    from gdgrill.manage import deck_rows

    with user_errors():
        library = load_decks(decks, home)
        today = clock.today(home=home)
        with open_progress(home, write=False) as store:
            states = store.states()
            suspended = store.suspended()
        rows = deck_rows(library, states, suspended, today, drills=sorted(load_drill_catalog(home=home)))
    # 80 columns: the suspended and source columns appear only when they say something,
    # and the title gives way (ellipsis) before any count does.
    counts = ["cards", "due", "new", "mastered"] + (["suspended"] if any(r.suspended for r in rows) else [])
    sources = not all(r.shipped for r in rows)
    table = Table(
        title=f"Decks ({today.isoformat()})", title_justify="left", title_style="title",
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
    )
    table.add_column("deck", no_wrap=True)
    table.add_column("title")
    for col in counts:
        table.add_column(col, justify="right", no_wrap=True)
    if sources:
        table.add_column("source", no_wrap=True)
    for i, r in enumerate(rows):
        values = {"cards": r.items, "due": r.due, "new": r.new, "mastered": r.mastered, "suspended": r.suspended}
        cells = [r.id, Text(r.title, no_wrap=True, overflow="ellipsis"), *(str(values[c]) for c in counts)]
        if sources:
            cells.append("shipped" if r.shipped else "yours")
        table.add_row(*cells, end_section=i + 1 < len(rows) and rows[i + 1].id == "drills")
    out.print(table)
    for r in rows:
        if not r.shipped:
            out.print(Text(f"{r.id}: {r.source}", style="muted"), soft_wrap=True)
    out.print(Text("a deck's cards: gdgrill decks show DECK · the drills: gdgrill drill list", style="muted"))


@decks_app.command("show")
def decks_show(
    target: Annotated[
        str, typer.Argument(help="A deck id (optimizers), or a card: deck/card, or a card id that only one deck has.")
    ],
    card: Annotated[Optional[str], typer.Argument(help="Card id in that deck: show that card in full.")] = None,
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """A deck's cards (id, tier, state, question), or one card in full: its answer, where
    it stands now and your own history with it (dates, grades, mode, what you typed)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from gdgrill import clock
    from gdgrill.decks import DeckError
    from gdgrill.manage import card_status, resolve_card

    with user_errors():
        library = load_decks(decks, home)
        d = library.deck(target) if card is None and "/" not in target else None
        chosen = None
        if d is None:
            ident = f"{target}/{card}" if card is not None else target
            try:
                chosen = resolve_card(library, ident)
            except DeckError as exc:
                if card is None and "/" not in target:  # neither a deck nor a card
                    raise DeckError(f"no deck named {target!r} (decks: {', '.join(x.id for x in library.decks)}), and {exc}") from None
                raise
        today = clock.today(home=home)
        with open_progress(home, write=False) as store:
            suspended = store.suspended()
            if chosen is not None:
                state = store.states_for([chosen.key]).get(chosen.key)
                rows = store.log(chosen.key)
            else:
                states = store.states()
        if chosen is not None:
            _show_card(chosen, state, chosen.key in suspended, rows, today, home)
            return
        assert d is not None
        table = Table(
            title=f"{d.title} — {d.description}", title_justify="left", title_style="title",
            box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
        )
        table.add_column("card", no_wrap=True)
        table.add_column("tier", justify="right", no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("question")  # one line each: the question gives way (ellipsis)
        for c in d.cards:
            question = Text(" ".join(c.question.split()), no_wrap=True, overflow="ellipsis")
            table.add_row(c.id, str(c.tier), card_status(c.key, states, suspended, today), question)
        out.print(table)


def _card_title(c, width: int) -> str:
    """The card's box title, its tags cut at a whole tag so it fits the box."""
    title = f"{c.key} · tier {c.tier}"
    for i, tag in enumerate(c.tags):
        extra = (" · " if i == 0 else ", ") + tag
        if len(title) + len(extra) > width - 8:
            return title + ("," if i else " ·") + " …"
        title += extra
    return title


def _show_card(c, state, suspended, rows, today, home) -> None:
    """One card in full, where it stands, the user's history with it and, for a leech,
    what to do instead."""
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.text import Text

    from gdgrill.leeches import advice_lines, leech
    from gdgrill.manage import card_history, state_line
    from gdgrill.text import reflow

    body = Text(reflow(c.question) + "\n\n", style="title") + Text(reflow(c.answer))
    if c.key_points:
        body.append("\n\nKey points:", style="title")
        for i, p in enumerate(c.key_points, 1):
            body.append(f"\n  {i}. {p}")
    if c.accept:
        body.append("\n\nAccepted: " + " | ".join(c.accept), style="muted")
    if c.followups:
        body.append("\n\nLikely follow-ups:", style="title")
        for f in c.followups:
            body.append(f"\n  • {f}")
    for day, prompt in sorted(c.checkpoints.items()):
        body.append(f"\nday {day}: {prompt}", style="muted")
    if c.references:
        body.append("\n\nReferences: " + "; ".join(c.references), style="muted")
    from gdgrill.console import Hanging

    out.print(Panel(Hanging(body), title=_card_title(c, out.width), title_align="left"))
    out.print(Text("Now: ", style="title") + Text(state_line(c.key, state, suspended, today)))
    history = card_history(rows)
    if not history:
        out.print(Text("Your history: none yet ('gdgrill quiz' asks it among the new cards).", style="muted"))
        return
    out.print(Text(f"Your history ({len(history)} review(s), oldest first):", style="title"))
    for h in history:
        line = Text(f"  {h.day.isoformat()}  ")
        line.append("✓ pass" if h.grade == "pass" else "✗ miss", style="ok" if h.grade == "pass" else "bad")
        line.append(f"  {h.mode:<6}")
        if h.note:
            line.append(f"  {h.note}", style="muted")
        if h.undone:
            line.append("  (undone: does not count)", style="warn")
        out.print(line)
        if h.answer:
            out.print(Padding(Text(f"typed: {h.answer}", style="muted"), (0, 0, 0, 14)))
    found = leech(c, state, _problems(home)) if state is not None and not suspended else None
    if found is not None:
        out.print(Text(f"A leech: missed {found.misses} times. Another pass at the card rarely fixes it; try instead:", style="warn"))
        for advice in advice_lines(found):
            out.print(Padding(Text(advice), (0, 0, 0, 4)))


def _problems(home):
    from gdgrill.content import problem_refs
    from gdgrill.paths import home_dir, problems_cache_path

    return problem_refs(problems_cache_path(home_dir(home)))


@decks_app.command("search")
def decks_search(
    words: Annotated[
        list[str],
        typer.Argument(help="Words every hit must contain (quote several words to match them as a phrase).", show_default=False),
    ],
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """Find cards whose id, question, answer, key points or tags contain all the words
    (case-insensitive; accents and Greek letters as typed). Hits in the id or question come
    first. Each shows deck/card, tier, state and the question. Exit 0 with hits, 1 with none."""
    from rich.text import Text

    from gdgrill import clock
    from gdgrill.manage import card_status, search_cards

    with user_errors():
        library = load_decks(decks, home)
        hits = search_cards(library.cards, words)
        if not hits:
            said = " ".join(repr(w) for w in words)
            err.print(
                f"no card contains all of {said}: try fewer or shorter words ('gdgrill decks tags' lists the tags)",
                markup=False, soft_wrap=True,
            )
            raise typer.Exit(code=int(ExitCode.FAILED))
        today = clock.today(home=home)
        with open_progress(home, write=False) as store:
            states = store.states()
            suspended = store.suspended()
    for hit in hits:
        c = hit.card
        head = Text(c.key, style="key")
        head.append(f" · tier {c.tier} · {card_status(c.key, states, suspended, today)}", style="muted")
        out.print(head, no_wrap=True, overflow="ellipsis")
        out.print(Text("  " + " ".join(c.question.split())), no_wrap=True, overflow="ellipsis")
    out.print(Text(f"{len(hits)} card(s) · in full: gdgrill decks show DECK/CARD", style="muted"))


@decks_app.command("suspend")
def decks_suspend(
    cards: Annotated[
        list[str], typer.Argument(help="The card(s): deck/card, or a card id that only one deck has.", show_default=False)
    ],
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """Set cards aside: never in the quiz, cram, 'gdgrill due' or the plan until
    unsuspended. Their history is kept; the report and 'decks list' count them."""
    _set_suspended(cards, True, home, decks)


@decks_app.command("unsuspend")
def decks_unsuspend(
    cards: Annotated[
        list[str], typer.Argument(help="The card(s): deck/card, or a card id that only one deck has.", show_default=False)
    ],
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """Bring suspended cards back: each resumes where it stood on the ladder."""
    _set_suspended(cards, False, home, decks)


def _set_suspended(idents: list[str], suspend: bool, home, decks) -> None:
    from gdgrill import clock
    from gdgrill.manage import resolve_card

    with user_errors():
        library = load_decks(decks, home)
        today = clock.today(home=home)
        with open_progress(home) as store:
            held = store.suspended()
            # Every name is checked before anything is written. A suspended card whose deck
            # was since removed can still be unsuspended by its full key.
            keys = [i if not suspend and i in held else resolve_card(library, i).key for i in idents]
            for key in dict.fromkeys(keys):
                changed = store.suspend(key, day=today) if suspend else store.unsuspend(key, day=today)
                if suspend:
                    line = (
                        f"suspended {key}: left out of every queue until 'gdgrill decks unsuspend {key}' (its history is kept)"
                        if changed else f"{key} was already suspended"
                    )
                else:
                    line = f"unsuspended {key}: back on the ladder where it stood" if changed else f"{key} was not suspended"
                out.print(line, markup=False, soft_wrap=True)


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
