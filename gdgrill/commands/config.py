"""`gdgrill config`: show, get, set and unset the settings in config.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gdgrill.cli import out, user_errors
from gdgrill.cli_options import DecksOption, HomeOption

KEY_HELP = "decks, new_per_day, rollover_hour or maintenance_days."

config_app = typer.Typer(
    help="Show and change your settings (config.toml in the data folder). Without a command: "
    "every setting, its value and where it comes from (flag, env, file or default).",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _home(ctx: typer.Context, home: Optional[Path]) -> Optional[Path]:
    """--home given after the subcommand, else before it (gdgrill config --home DIR set ...)."""
    return home if home is not None else (ctx.obj or {}).get("home")


@config_app.callback()
def show(
    ctx: typer.Context,
    home: HomeOption = None,
    new: Annotated[
        Optional[int], typer.Option("--new", min=0, help="Show the settings as 'gdgrill quiz --new N' would see them.", show_default=False)
    ] = None,
    decks: DecksOption = None,
) -> None:
    """Every setting with its value and where it comes from (flag, env, file or default),
    and the config file's path. A flag beats the environment variable, which beats
    config.toml, which beats the default; deck folders from all of them load."""
    ctx.obj = {"home": home}
    if ctx.invoked_subcommand is not None:
        return
    from gdgrill.config import SETTINGS, settings
    from gdgrill.decks import user_deck_paths

    with user_errors():
        s = settings(home, new_per_day=new)
        exists = s.file.text is not None
        note = "" if exists else "  (not created yet: 'gdgrill config set KEY VALUE' writes it)"
        out.print(f"config file: {s.file.path}{note}", markup=False, soft_wrap=True)
        width = max(len(k) for k in SETTINGS)
        rows: list[tuple[str, str, str]] = []
        for key, spec in SETTINGS.items():
            if key == "decks":
                folders = [(str(p), "flag") for p in decks or ()]
                folders += [(str(p) + ("" if p.exists() else "  (missing)"), "file") for p in s.decks]
                folders += [(str(p), f"env {spec.env}") for p in user_deck_paths(None)]
                for i, (shown, source) in enumerate(folders or [("none (only the shipped decks)", "default")]):
                    rows.append((key if i == 0 else "", shown, source))
                continue
            source = s.sources[key]
            rows.append((key, str(s.value(key)), f"env {spec.env}" if source == "env" else source))
        value_width = max(len(r[1]) for r in rows)
        for key, shown, source in rows:
            out.print(f"  {key:<{width}}  {shown:<{value_width}}  {source}", markup=False, soft_wrap=True)
        out.print("Change: gdgrill config set KEY VALUE | add-deck DIR | remove-deck DIR | unset KEY", markup=False, style="muted", soft_wrap=True)
        out.print("A flag (--new, --decks) or a GDGRILL_* variable overrides the file for one run.", markup=False, style="muted", soft_wrap=True)


@config_app.command("path")
def path(ctx: typer.Context, home: HomeOption = None) -> None:
    """Print where the config file is (or would be written)."""
    from gdgrill.paths import config_path, home_dir

    with user_errors():
        out.print(str(config_path(home_dir(_home(ctx, home)))), markup=False, soft_wrap=True)


@config_app.command("get")
def get(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help=KEY_HELP, show_default=False)],
    home: HomeOption = None,
) -> None:
    """Print one setting's effective value (decks: the config file's and $GDGRILL_DECKS's
    folders, one a line)."""
    from gdgrill.config import setting, settings

    with user_errors():
        spec = setting(key)
        s = settings(_home(ctx, home))
        if key == "decks":
            from gdgrill.decks import user_deck_paths

            for folder in [*s.decks, *user_deck_paths(None)]:
                out.print(str(folder), markup=False, soft_wrap=True)
            return
        out.print(str(s.value(spec.key)), markup=False)


def _overridden(key: str) -> None:
    import os

    from gdgrill.config import SETTINGS

    spec = SETTINGS[key]
    if key != "decks" and os.environ.get(spec.env):
        out.print(f"note: {spec.env}={os.environ[spec.env]} overrides it while it is set", markup=False, style="warn")


@config_app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help=KEY_HELP, show_default=False)],
    value: Annotated[
        str,
        typer.Argument(
            help="A whole number (rollover_hour 0-23, maintenance_days 1-3650, new_per_day 0 or more); "
            "for decks, existing folders separated by ':' (they replace the list).",
            show_default=False,
        ),
    ],
    home: HomeOption = None,
) -> None:
    """Save a setting in config.toml (the value is checked first; nothing else in the
    file changes, comments included)."""
    from gdgrill.config import set_value

    with user_errors():
        home = _home(ctx, home)
        written = set_value(home, key, value)
        shown = ", ".join(written.values[key]) if key == "decks" else str(written.values[key])
        out.print(f"{key} = {shown or '(none)'}  (saved in {written.path})", markup=False)
        _overridden(key)


@config_app.command("unset")
def unset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help=KEY_HELP, show_default=False)],
    home: HomeOption = None,
) -> None:
    """Remove a setting from config.toml: it goes back to its default."""
    from gdgrill.config import SETTINGS, unset_value

    with user_errors():
        home = _home(ctx, home)
        if key not in SETTINGS:  # a typo in the file: removing it is the repair
            if unset_value(home, key):
                out.print(f"{key}: removed from the config file (it is not a setting)", markup=False)
            return
        default = SETTINGS[key].default
        shown = "no deck folders of your own" if key == "decks" else str(default)
        if unset_value(home, key):
            out.print(f"{key}: removed from the config file (default: {shown})", markup=False)
        else:
            out.print(f"{key}: was not set in the config file (default: {shown})", markup=False)
        _overridden(key)


@config_app.command("add-deck")
def add_deck(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A folder of *.yaml decks (or one deck file).", show_default=False)],
    home: HomeOption = None,
) -> None:
    """Load this deck folder every day (it is checked first: its decks must be valid and
    their ids new)."""
    from gdgrill.config import add_deck as add

    with user_errors():
        path, added = add(_home(ctx, home), str(folder))
        out.print(f"decks: {'added' if added else 'already has'} {path}", markup=False, soft_wrap=True)


@config_app.command("remove-deck")
def remove_deck(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A deck folder listed by 'gdgrill config' (it need not exist).", show_default=False)],
    home: HomeOption = None,
) -> None:
    """Stop loading this deck folder (your progress on its cards is kept)."""
    from gdgrill.config import remove_deck as remove

    with user_errors():
        path, removed = remove(_home(ctx, home), str(folder))
        out.print(f"decks: {'removed' if removed else 'was not listed:'} {path}", markup=False, soft_wrap=True)
