"""`gdgrill sync DIR`: merge the other machines' progress from a shared folder and leave this
machine's there; imported only when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gdgrill.cli import err, open_progress, out, user_errors
from gdgrill.cli_options import HomeOption


def sync(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="A folder you already sync between machines (Syncthing, Dropbox, a git repository, a USB stick).", show_default=False)
    ],
    home: HomeOption = None,
) -> None:
    """Sync your progress through DIR, without a server. Every machine's file there
    (gdgrill-<machine>.jsonl) is merged into this machine's log: events already here are
    skipped, a grade of the same card on two machines is kept as two reviews, and every
    card's state is recomputed from the merged log, so machines holding the same events
    show the same report. Then this machine's own events are written to its file (to a
    temporary file, renamed into place). A file still arriving or cut short is skipped,
    never merged in part; a kill at any point loses nothing. The machine id is made on
    first use and kept in the data folder."""
    from gdgrill import clock
    from gdgrill.eventlog import describe
    from gdgrill.paths import home_dir
    from gdgrill.sync import sync as run_sync
    from gdgrill.sync import sync_file_name

    with user_errors():
        with open_progress(home) as store:
            result = run_sync(store, home_dir(home), folder, clock.now_utc().isoformat(timespec="seconds"))
    out.print(f"sync through {result.folder} (this machine: {result.machine})", markup=False, soft_wrap=True)
    for f in result.files:
        if f.skipped:
            err.print(f"  {f.name}: skipped: {f.skipped}", style="warn", markup=False, soft_wrap=True)
            continue
        who = "this machine's file" if f.machine == result.machine else f.machine
        new = sum(f.added.values())
        line = f"  {f.name} ({who}): {_events(f.events)}, {new} new" + (f" ({describe(f.added)})" if new else "")
        out.print(line, markup=False, soft_wrap=True)
    own = f"{result.folder / sync_file_name(result.machine)}"
    if result.rewrote:
        out.print(f"wrote this machine's {_events(result.written)} to {own}", markup=False, soft_wrap=True)
    else:
        out.print(f"{own} already holds this machine's {_events(result.written)}", markup=False, soft_wrap=True)


def _events(n: int) -> str:
    return f"{n} event" + ("" if n == 1 else "s")
