"""A consistent copy of the progress database, taken while other gdgrill processes write.

SQLite's online backup API copies the pages under one read transaction: with the log in
WAL mode a quiz in another terminal keeps writing meanwhile, and the copy holds exactly
the events committed when the backup began. The copy is checked (``PRAGMA
integrity_check``) and switched to a single file (no ``-wal`` beside it) before it is
renamed into place, so a backup that exists is a whole one.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from gdgrill.errors import UserError
from gdgrill.store import Store


def backup_name(moment: datetime) -> str:
    return f"progress-{moment:%Y%m%d-%H%M%S}.db"


def backup_store(store: Store, folder: Path, moment: datetime) -> Path:
    """Copy ``store``'s database to ``folder`` (created when missing) as
    progress-YYYYMMDD-HHMMSS.db (with -2, -3 … when that name is taken); return its path."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{folder}: cannot create the backup folder ({exc.strerror})") from None
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder")
    name = backup_name(moment)
    target = folder / name
    n = 2
    while target.exists():
        target = folder / name.replace(".db", f"-{n}.db")
        n += 1
    tmp = folder / f".{target.name}.tmp-{os.getpid()}"
    try:
        dest = sqlite3.connect(tmp, isolation_level=None)
        try:
            store.conn.backup(dest)  # all pages in one step, under one read transaction
            dest.execute("PRAGMA journal_mode = DELETE")
            verdict = dest.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dest.close()
        if verdict != "ok":
            raise UserError(f"{target}: the copy failed its integrity check ({verdict}); no backup was written")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{target}: cannot write the backup ({exc}); the database is untouched") from None
    except OSError as exc:
        raise UserError(f"{target}: cannot write the backup ({exc.strerror})") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            try:
                leftover.unlink()
            except OSError:
                pass
    return target
