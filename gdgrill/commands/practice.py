"""`gdgrill practice`: list the problems, practise one, or read its past answers."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from gdgrill.cli import open_progress, out, read_line, user_errors
from gdgrill.cli_options import HomeOption
from gdgrill.errors import UserError

ANSWER_LIMIT = 256 * 1024  # bytes; an answer file larger than this is most likely the wrong file


def keep_undecodable_input() -> None:
    """Let typed or piped bytes that are not UTF-8 through as lone surrogates (stored as
    U+FFFD) instead of a decoding error that would swallow the rest of the input; under a
    strict locale Python's stdin would raise."""
    reconfigure = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="surrogateescape")
        except (ValueError, OSError):  # not a text stream we may change: leave it
            pass


def read_answer_source(source: str) -> str:
    """The answer text from a file, or stdin for '-'. Bytes that are not UTF-8 are kept
    (as U+FFFD once saved), never refused; an unreadable source is a one-line UserError."""
    try:
        if source == "-":
            stream = getattr(sys.stdin, "buffer", None)
            data = stream.read(ANSWER_LIMIT + 1) if stream is not None else sys.stdin.read(ANSWER_LIMIT + 1).encode("utf-8", "surrogateescape")
        else:
            with open(source, "rb") as fh:
                data = fh.read(ANSWER_LIMIT + 1)
    except FileNotFoundError:
        raise UserError(f"--answer {source}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"--answer {source}: is a folder, not an answer file") from None
    except OSError as exc:
        raise UserError(f"--answer {source}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > ANSWER_LIMIT:
        raise UserError(f"--answer {source}: larger than {ANSWER_LIMIT // 1024} KiB; is it the right file? (nothing saved)")
    return data.decode("utf-8", "surrogateescape")


def practice(
    problem: Annotated[Optional[str], typer.Argument(help="Problem id; leave out to list the problems.", show_default=False)] = None,
    history: Annotated[
        bool,
        typer.Option("--history", help="Show every past attempt at the problem (date, rating, hints, your answer) beside the model answer."),
    ] = False,
    answer: Annotated[
        Optional[str],
        typer.Option(
            "--answer", "-a", metavar="FILE|-",
            help="Take the answer from FILE ('-' reads stdin) instead of typing it; then only the rating is asked.",
            show_default=False,
        ),
    ] = None,
    rating: Annotated[
        Optional[str],
        typer.Option(
            "--rating", "-r", metavar="strong|lean|no_hire",
            help="Save the attempt with this self-rating without asking or revealing anything (for scripts).",
            show_default=False,
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """List the problems, practise one (its answer saved with the rating), or show its
    history. The help users read is registered with the command in gdgrill/cli.py."""
    from gdgrill import clock
    from gdgrill.content import load_problems
    from gdgrill.decks import DeckError
    from gdgrill.practice import attempts_of, parse_rating, render_history, render_problem_list, run_practice

    with user_errors():
        chosen_rating = parse_rating(rating) if rating is not None else None
        if history and (answer is not None or rating is not None):
            raise UserError("--history only shows past attempts: leave out --answer and --rating")
        if answer == "-" and chosen_rating is None:
            raise UserError("--answer - reads the answer from stdin, so give the rating too: --rating strong|lean|no_hire")
        if problem is None and (history or answer is not None or rating is not None):
            raise UserError("give the problem id, e.g. 'gdgrill practice llm-loss-spikes --history' (see 'gdgrill practice')")
        problems = load_problems()
        chosen = next((p for p in problems if p.id == problem), None)
        if problem is not None and chosen is None:
            raise DeckError(f"no practice problem {problem!r} (see 'gdgrill practice')")
        text = read_answer_source(answer) if answer is not None else None
        with open_progress(home) as store:
            if chosen is None:
                render_problem_list(problems, store.practice_ratings(), out)
            elif history:
                render_history(chosen, attempts_of(store, chosen.id), out)
            else:
                keep_undecodable_input()
                run_practice(chosen, store, out, read_line, clock.today(home=home), answer=text, rating=chosen_rating)
