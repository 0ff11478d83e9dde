"""Where gdgrill finds its shipped content and keeps the user's data."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "gdgrill"
_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str, source_dir: str) -> Path:
    # A wheel carries the content under gdgrill/_shipped/; an editable install or a
    # source checkout reads it from the repository's top level.
    inside = _PACKAGE_DIR / "_shipped" / name
    if inside.is_dir():
        return inside
    return _PACKAGE_DIR.parent / source_dir


def shipped_decks_dir() -> Path:
    return _shipped("decks", "decks")


def shipped_index_path() -> Path:
    """The pre-parsed shipped decks a wheel carries (absent in a source checkout)."""
    return _PACKAGE_DIR / "_shipped" / "decks.json"


def shipped_drills_dir() -> Path:
    return _shipped("drills", "drills")


def shipped_drill_index_path() -> Path:
    """The pre-parsed shipped drills a wheel carries (absent in a source checkout)."""
    return _PACKAGE_DIR / "_shipped" / "drills.json"


def user_drill_dirs(extra: list[Path] | tuple[Path, ...] = ()) -> list[Path]:
    """The user's drill folders (or files): --drills first, then GDGRILL_DRILLS
    (os.pathsep-separated)."""
    paths = [Path(p).expanduser() for p in extra]
    env = os.environ.get("GDGRILL_DRILLS", "")
    return paths + [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]


def shipped_curves_dir() -> Path:
    return _shipped("curves", "data/curves")


def content_dir() -> Path:
    """Practice problems and the self-assessment (they live inside the package)."""
    return _PACKAGE_DIR / "content"


def home_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the user's data: --home, then GDGRILL_HOME, then the platform's."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("GDGRILL_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def database_path(home: Path) -> Path:
    return home / "progress.db"


def deck_cache_path(home: Path) -> Path:
    return home / "cache" / "decks.json"


def drill_cache_path(home: Path) -> Path:
    """The drill files already read and checked (see gdgrill.drill.files)."""
    return home / "cache" / "drills.json"


def history_path(home: Path) -> Path:
    """What the user typed at each prompt, for Up-arrow recall in the next session."""
    return home / "cache" / "history.json"


def problems_cache_path(home: Path) -> Path:
    """The practice problems' ids, titles and tags, parsed (see content.problem_refs)."""
    return home / "cache" / "problems.json"


def config_path(home: Path) -> Path:
    return home / "config.toml"


def machine_id_path(home: Path) -> Path:
    """This machine's id for ``gdgrill sync`` (made on first use; never copy it along)."""
    return home / "machine-id"


def sync_lock_path(home: Path) -> Path:
    return home / "cache" / "sync.lock"


def curve_pictures_dir(home: Path) -> Path:
    """PNG drawings of the loss curves (Anki export, HTML report), made once each."""
    return home / "cache" / "curves"
