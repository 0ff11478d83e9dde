"""`gdgrill export …`, `gdgrill import log` and `gdgrill backup`: your progress out of (and
back into) the database; imported only when one of them runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from gdgrill.cli import load_decks, open_progress, out, user_errors
from gdgrill.cli_options import DecksOption, HomeOption
from gdgrill.errors import UserError

LOG_FORMATS = ("jsonl", "csv")

export_app = typer.Typer(
    help="Export your progress log (every event, JSON lines or CSV) or the decks as an Anki package.",
    no_args_is_help=True, rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False,
)
import_app = typer.Typer(
    help="Merge an exported progress log back in (events already here are skipped).",
    no_args_is_help=True, rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False,
)



@export_app.callback()
def _export() -> None:
    """Export your progress log (every event, JSON lines or CSV) or the decks as an Anki package."""


@import_app.callback()
def _import() -> None:
    """Merge an exported progress log back in (events already here are skipped)."""


def _log_format(value: Optional[str], path: str) -> str | None:
    if value is None:
        return "csv" if path.lower().endswith(".csv") else None
    if value not in LOG_FORMATS:
        raise UserError(f"--format {value!r}: expected jsonl or csv")
    return value


@export_app.command("log")
def export_log(
    file: Annotated[str, typer.Argument(metavar="FILE", help="Where to write the log ('-': standard output).", show_default=False)],
    format: Annotated[
        Optional[str], typer.Option("--format", "-f", help="jsonl (every detail, re-importable) or csv (for spreadsheets) [default: csv for a .csv FILE, else jsonl].", show_default=False)
    ] = None,
    home: HomeOption = None,
) -> None:
    """Write every event of your progress log: reviews and drills, undos, practice ratings
    with their answers, self-assessments, grills, plans and suspensions, each with its
    globally unique id, oldest first. 'gdgrill import log FILE' merges it back."""
    from gdgrill import clock
    from gdgrill.eventlog import events, export_jsonl, header, write_atomically, write_csv

    with user_errors():
        fmt = _log_format(format, file) or "jsonl"
        with open_progress(home, write=False) as store:
            head = header(None, clock.now_utc().isoformat(timespec="seconds"))
            if fmt == "csv":
                import io

                def write(fh) -> int:
                    text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=True)
                    try:
                        return write_csv(text, events(store))
                    finally:
                        text.detach()
            else:
                def write(fh) -> int:
                    return export_jsonl(fh, store, head).events

            if file == "-":
                n = write(sys.stdout.buffer)
                sys.stdout.buffer.flush()
                return
            try:
                n = write_atomically(Path(file), write)
            except OSError as exc:
                raise UserError(f"{file}: cannot write the log ({exc.strerror})") from None
        out.print(f"exported {n} event{'s' if n != 1 else ''} to {file} ({fmt})", markup=False, soft_wrap=True)


@export_app.command("anki")
def export_anki(
    file: Annotated[Path, typer.Argument(metavar="FILE.apkg", help="The Anki package to write.", show_default=False)],
    deck: Annotated[Optional[list[str]], typer.Option("--deck", "-d", help="Only this deck (repeatable) [default: every deck].")] = None,
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """Write the decks as an Anki package: one Anki deck per gdgrill deck (gdgrill::TITLE),
    the model answer and key points on the back, tags gdgrill, the deck id, tier1-tier4
    and the card's tags, a curve card's loss curve as a picture (needs matplotlib). Notes
    keep their ids from deck_id/card_id, so importing a new export into Anki updates them
    instead of adding copies. Needs genanki: pip install 'gdgrill[anki]'."""
    from gdgrill.anki import NEEDS, curve_pictures
    from gdgrill.anki import export_anki as write_package
    from gdgrill.paths import curve_pictures_dir, home_dir

    with user_errors():
        try:
            import genanki  # noqa: F401
        except ImportError:
            raise UserError(NEEDS) from None
        library = load_decks(decks, home)
        chosen = library.decks
        if deck:
            known = {d.id: d for d in library.decks}
            unknown = [d for d in deck if d not in known]
            if unknown:
                raise UserError(f"--deck {unknown[0]!r}: no such deck (known: {', '.join(sorted(known))})")
            chosen = [known[d] for d in dict.fromkeys(deck)]
        pictures = curve_pictures((c.curve for d in chosen for c in d.cards if c.curve), curve_pictures_dir(home_dir(home)))
        result = write_package(list(chosen), file, pictures)
        line = f"wrote {result.notes} notes in {result.decks} deck{'s' if result.decks != 1 else ''} to {file}"
        if pictures or not any(c.curve for d in chosen for c in d.cards):
            line += f" ({result.pictures} curve pictures)" if result.pictures else ""
        else:
            line += " (no curve pictures: pip install 'gdgrill[plot]' for them)"
        out.print(line, markup=False, soft_wrap=True)


@import_app.command("log")
def import_log(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A log written by 'gdgrill export log' (or a sync file).", show_default=False)],
    format: Annotated[
        Optional[str], typer.Option("--format", "-f", help="jsonl or csv [default: what the file holds].", show_default=False)
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file and count what is new, without saving.")] = False,
    home: HomeOption = None,
) -> None:
    """Merge an exported log into your progress database: events already here (the same
    id) are skipped, so importing a file twice changes nothing; the rest are placed in
    time order and every card's state is recomputed from the merged log. The whole file
    is checked first: one bad field (reported as FILE:LINE: field: what is wrong) and
    nothing is saved."""
    from gdgrill.eventlog import describe, merge, parse_log

    with user_errors():
        fmt = _log_format(format, str(file)) if format else None
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise UserError(f"{file}: cannot read the log ({exc.strerror})") from None
        parsed = parse_log(data, str(file), fmt)
        with open_progress(home, write=not dry_run) as store:
            result = merge(store, [(parsed.events, None)], dry_run=dry_run)
        n = sum(result.added.values())
        verb = "would import" if dry_run else "imported"
        line = f"{verb} {n} new event{'s' if n != 1 else ''} from {file}"
        if n:
            line += f" ({describe(result.added)})"
        if result.known:
            line += f"; {result.known} already here"
        out.print(line, markup=False, soft_wrap=True)


def backup(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The folder to write the copy into (created when missing).", show_default=False)],
    home: HomeOption = None,
) -> None:
    """Write a consistent copy of your progress database into DIR, as
    progress-YYYYMMDD-HHMMSS.db, using SQLite's backup API: safe while a quiz in another
    terminal keeps grading. To restore, copy it back as progress.db into your data folder."""
    from gdgrill import clock
    from gdgrill.backup import backup_store
    from gdgrill.paths import database_path, home_dir

    with user_errors():
        if not database_path(home_dir(home)).exists():
            raise UserError(f"{database_path(home_dir(home))}: no progress database yet: nothing to back up")
        with open_progress(home, write=False) as store:
            target = backup_store(store, folder, clock.now_utc().astimezone())
        out.print(f"backed up to {target}", markup=False, soft_wrap=True)
