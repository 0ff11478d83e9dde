"""The command line: parses arguments, calls the library, renders. No logic lives here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from gdgrill import __version__
from gdgrill.cli_options import DecksOption, HomeOption
from gdgrill.console import make_console
from gdgrill.console import user_errors as console_user_errors
from gdgrill.errors import ExitCode

app = typer.Typer(
    name="gdgrill",
    help="Grill yourself on gradient descent, optimizers, LR schedules and training diagnostics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

out = make_console()
err = make_console(stderr=True)


def user_errors() -> Any:
    """User errors: one line on stderr, exit 2; Ctrl-C: exit 130 (see console.user_errors)."""
    return console_user_errors(err)


def _version(value: bool) -> None:
    if value:
        out.print(f"gdgrill {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Spaced-repetition quizzes, derive-and-verify drills and a readiness report for ML
    interviews on optimisation. Start with 'gdgrill quiz'; see where you stand with
    'gdgrill report'."""


def open_progress(home: Optional[Path], *, write: bool = True):
    """The progress database; ``write=False`` for commands that only read it (they also
    work on a read-only one)."""
    from gdgrill.paths import home_dir
    from gdgrill.store import open_store

    return open_store(home_dir(home), write=write)


def load_decks(decks: Optional[list[Path]], home: Optional[Path] = None):
    """The shipped decks, --decks, the deck folders in config.toml and GDGRILL_DECKS."""
    from gdgrill.config import settings
    from gdgrill.decks import load_library
    from gdgrill.paths import deck_cache_path, home_dir

    return load_library([*(decks or ()), *settings(home).deck_folders()], cache=deck_cache_path(home_dir(home)))


def load_drill_catalog(drills: Optional[list[Path]] = None, home: Optional[Path] = None):
    """The shipped drills, --drills and GDGRILL_DRILLS (by name, in list order), through the
    data folder's cache: a day whose drill files did not change reads no YAML."""
    from gdgrill.drill.loading import load_drills
    from gdgrill.paths import drill_cache_path, home_dir

    return load_drills(drills or (), cache=drill_cache_path(home_dir(home)))


def new_per_day(new: Optional[int], home: Optional[Path]) -> int:
    """New cards per day: --new, else GDGRILL_NEW_PER_DAY, else config.toml, else 10."""
    from gdgrill.config import settings

    return settings(home, new_per_day=new).new_per_day


def prompter(home: Optional[Path] = None):
    """What reads the user's lines: line editing and per-prompt history in a terminal
    (kept in the data folder's cache), plain echoed lines from a pipe."""
    from gdgrill.lineinput import Prompter
    from gdgrill.paths import history_path, home_dir

    return Prompter(out, history_file=history_path(home_dir(home)))


def read_line(prompt: str) -> str:
    return prompter()(prompt)


NEW_HELP = "New cards allowed per day [default: new_per_day in 'gdgrill config', else 10]."


@app.command()
def quiz(
    deck: Annotated[Optional[list[str]], typer.Option("--deck", "-d", help="Only this deck (repeatable).")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", min=1, help="Ask at most this many cards.")] = None,
    new: Annotated[Optional[int], typer.Option("--new", min=0, help=NEW_HELP, show_default=False)] = None,
    cram: Annotated[
        bool, typer.Option("--cram", help="Practise the selected cards (weakest first) without changing the schedule.")
    ] = False,
    tier: Annotated[Optional[int], typer.Option("--tier", min=1, max=4, help="Only cards of this tier (1-4).")] = None,
    tag: Annotated[
        Optional[list[str]], typer.Option("--tag", "-t", help="Only cards with this tag, e.g. warmup (repeatable; see 'gdgrill decks tags').")
    ] = None,
    relearn: Annotated[
        bool, typer.Option("--relearn/--no-relearn", help="Ask each card you miss once more at the end of the session (default on).")
    ] = True,
    timed: Annotated[
        Optional[float],
        typer.Option(
            "--timed",
            metavar="[SECONDS]",
            help="Timed quick-fire: auto-checked cards only, a countdown each (no value or 0: the quick-fire deck's 10 s); a late answer is a miss.",
        ),
    ] = None,
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """Today's cards: due cards first (most overdue first), then new ones.

    Type an answer or just press Enter, read the model answer, then grade yourself by the
    key points you hit (or p pass, e easy: skip the next checkpoint, f fail). Quick-fire
    cards are checked automatically. Other keys at the grade prompt: m the full answer
    (long ones show their key points first), s skip, u undo the last grade, q quit. Every
    grade is saved at once. A card you miss comes back once at the end of the session.
    Prompts have line editing and history (arrow keys, Ctrl-R) in a terminal."""
    import shlex

    from gdgrill import clock
    from gdgrill.daily import opening_lines, todays_queue
    from gdgrill.errors import UserError
    from gdgrill.quiz import QuizSession, closing_lines, empty_selection, timed_selection

    with user_errors():
        library = load_decks(decks, home)
        cards = library.select(deck or (), tier, tag or ())
        if not cards:
            raise UserError(empty_selection(deck or (), tier, tag or (), library.select(deck or ())))
        again = shlex.join(["gdgrill", "quiz", *(a for d in deck or () for a in ("--deck", d)),
                            *(["--tier", str(tier)] if tier else []), *(a for t in tag or () for a in ("--tag", t))])
        time_limit = None
        if timed is not None:
            quick = library.deck("quick-fire")
            cards, time_limit = timed_selection(cards, timed, quick.timed_seconds if quick else None)
        today = clock.today(home=home)
        with open_progress(home) as store:
            queue = todays_queue(library.cards, cards, store, today, new_per_day=new_per_day(new, home), limit=limit, cram=cram)
            plan, states = queue.session, queue.states
            for line in opening_lines(queue, cards, today, cram, again):
                out.print(line, markup=False)
            if not plan.cards:
                return
            mode = "cram" if cram else ("timed" if time_limit else "quiz")
            session = QuizSession(
                store, out, prompter(home), today, states, mode=mode, time_limit=time_limit, planned=queue.today_plan is not None,
                after_grade=None if cram else leech_hook(store, home), relearn=relearn,
            )
            try:
                session.run(plan.cards)
            except KeyboardInterrupt:
                err.print(f"\ninterrupted: {session.tally.line()}", style="muted", markup=False)
                raise typer.Exit(code=int(ExitCode.INTERRUPTED)) from None
            out.print()
            asked = [c for c in cards if c.key not in queue.suspended]  # "still due" leaves suspended cards out
            for line in closing_lines(session, store.states(), asked, today):
                out.print(line, markup=False)


def leech_hook(store, home: Optional[Path]):
    """After a miss that makes a card a leech, what to try instead (see gdgrill.leeches).
    Nothing is imported until the first miss: a session of passes never pays for it."""
    hook = None

    def after_grade(card, grade):
        nonlocal hook
        if grade.passed:
            return []
        if hook is None:
            from gdgrill.content import problem_refs
            from gdgrill.leeches import after_miss
            from gdgrill.paths import home_dir, problems_cache_path

            hook = after_miss(store, lambda: problem_refs(problems_cache_path(home_dir(home))))
        return hook(card, grade)

    return after_grade


LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {}


def lazy_command(name: str, module: str, attr: str, help: str) -> None:
    """Register a command whose module is imported only when that command runs.

    The daily quiz must start fast; the drill engine's catalog and Rich tables would cost
    it ~30 ms if imported up front. The stub forwards every argument (``--help`` too) to a
    one-command Typer app built around the real function."""
    LAZY_COMMANDS[name] = (module, attr, help)

    @app.command(
        name,
        help=help,
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": False},
    )
    def _forward(ctx: typer.Context) -> None:
        real_app(name)(args=list(ctx.args), prog_name=f"gdgrill {name}")


def real_app(name: str) -> typer.Typer:
    """The Typer app behind a lazy command: the module's own app (a command group), or a
    one-command app around its function. Tests use it to check every help text."""
    import importlib

    module, attr, help = LAZY_COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    if isinstance(target, typer.Typer):
        return target
    sub = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    sub.command(name, help=help)(target)
    return sub


lazy_command(
    "report",
    "gdgrill.cli_report",
    "report",
    "Where you stand: readiness per deck and tier, weakest cards, what to re-grill, what is due.",
)
lazy_command(
    "practice",
    "gdgrill.commands.practice",
    "practice",
    "Long-form interview problems: type your answer, then the model answer and a rubric to rate it by.\n\n"
    "Type or paste your answer (any number of lines) and end it with a line holding only '.' (or Ctrl-D). "
    "On a line of its own, h shows the next hint, r reveals without typing, q quits. Rate yourself "
    "s strong, l lean or n no-hire: the answer is saved with the rating and the hints used; leaving "
    "unrated saves nothing. --history shows every past answer beside the model answer.",
)
lazy_command(
    "assess",
    "gdgrill.cli_practice",
    "assess",
    "Self-assessment: rate seven skill areas 1-5 and get a band with what to study next.",
)
lazy_command(
    "grill",
    "gdgrill.cli_practice",
    "grill",
    "A 50-question readiness pass like a mock screen, tier 1 first; aim for 40+.",
)
lazy_command(
    "plan",
    "gdgrill.commands.plan",
    "plan",
    "Get ready by a date: --interview YYYY-MM-DD [--per-day N]; shows the day-by-day load and projected recall.",
)
lazy_command(
    "due",
    "gdgrill.commands.review",
    "due",
    "Today's queue exactly as 'gdgrill quiz' would ask it (--format json for scripts).",
)
lazy_command(
    "review",
    "gdgrill.commands.review",
    "review",
    "Record one review (or --batch of them) under the quiz's rules, without the interactive quiz.",
)
lazy_command("decks", "gdgrill.commands.decks", "decks_app", "List, search, show, suspend and validate decks.")
lazy_command(
    "config",
    "gdgrill.commands.config",
    "config_app",
    "Show and change your settings: deck folders, new cards per day, rollover hour, maintenance interval.",
)
lazy_command(
    "export",
    "gdgrill.commands.export",
    "export_app",
    "Export your progress log (every event, JSON lines or CSV) or the decks as an Anki package.",
)
lazy_command(
    "import",
    "gdgrill.commands.export",
    "import_app",
    "Merge an exported progress log back in: events already here are skipped, so importing twice changes nothing.",
)
lazy_command(
    "backup",
    "gdgrill.commands.export",
    "backup",
    "Write a consistent copy of your progress database into DIR (safe while another gdgrill is writing).",
)
lazy_command(
    "sync",
    "gdgrill.commands.sync",
    "sync",
    "Sync your progress between machines through a folder you already sync (Syncthing, Dropbox, git, a USB stick).",
)
lazy_command(
    "race",
    "gdgrill.race.command",
    "race_command",
    "Race optimizers on a 2-D surface: see SGD zig-zag, momentum and Adam run the valley floor, a high LR diverge.",
)
lazy_command(
    "drill",
    "gdgrill.drill.command",
    "drill_app",
    "Type an optimizer update rule from memory; it is executed safely against the reference and judged.",
)


def optional_values(argv: list[str]) -> list[str]:
    """Let ``--timed`` stand alone (``gdgrill quiz --timed``): give it 0, meaning "the
    quick-fire deck's default", when no number follows."""
    out = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg == "--timed":
            following = argv[i + 1] if i + 1 < len(argv) else None
            try:
                float(following)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                # Another option or nothing follows: no value given. A word follows
                # (--timed abc): leave it, so it is refused as a value, not an argument.
                if following is None or following.startswith("-"):
                    out.append("0")
    return out


def main() -> None:
    import sys

    args = sys.argv[1:] or ["--help"]  # bare `gdgrill`: the help, and a clean exit
    app(args=optional_values(args), prog_name="gdgrill")
