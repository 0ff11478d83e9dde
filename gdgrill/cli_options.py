"""Typer option types shared by several commands (one definition, one help text)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

HomeOption = Annotated[
    Optional[Path],
    typer.Option(
        "--home",
        help="Folder for your progress database (default: $GDGRILL_HOME, else the platform's user data folder).",
        show_default=False,
    ),
]

DecksOption = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--decks",
        help="Extra deck folder or file to load beside the shipped decks (repeatable; also $GDGRILL_DECKS, ':'-separated, and 'gdgrill config add-deck DIR' for every day).",
        show_default=False,
    ),
]

DrillsOption = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--drills",
        help="Extra drill folder or file (*.yaml) to load beside the shipped drills (repeatable; also $GDGRILL_DRILLS, ':'-separated). Checked when first seen or changed.",
        show_default=False,
    ),
]
