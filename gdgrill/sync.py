"""Sync between machines through a folder the user already syncs (Syncthing, Dropbox, a git
repository, a USB stick), without a server.

Each machine has an id, made on first use and kept in its data folder. A sync

1. reads every machine's file in the folder (``gdgrill-<machine>.jsonl``, this machine's
   own included) and checks it whole: a file without its closing line, or whose events do
   not match the closing line's count and checksum (still arriving, cut short, edited), is
   skipped, never merged in part;
2. merges the events of all the good files into the local log in one transaction
   (:func:`gdgrill.eventlog.merge`: events already here are skipped, and every table is
   kept in the order of its event ids, so the states recomputed from the log are the same
   on every machine that holds the same events);
3. writes this machine's own events (those made here) to its file: to a temporary file
   first, flushed to disk, then renamed over the old one, so the folder only ever holds
   whole files. When the old one is the version this database last wrote, its events are
   copied over and only the newer ones written.

A kill at any point loses nothing: step 2 is one SQLite transaction and step 3 a rename,
and the next sync picks up where this one stopped. Two grades of one card on two machines
are two events with two ids: both are kept.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple

from gdgrill.errors import UserError
from gdgrill.eventlog import (
    KnownIds, LogError, Written, append_jsonl, closing_line, count_events, discard, export_jsonl, header, log_body, merge,
    parse_jsonl, put_in_place, write_aside, write_atomically,
)
from gdgrill.paths import machine_id_path, sync_lock_path
from gdgrill.store import Store

PREFIX = "gdgrill-"
SUFFIX = ".jsonl"
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\Z")


class SyncError(UserError):
    pass


def _host() -> str:
    import socket

    name = re.sub(r"[^a-z0-9-]+", "-", socket.gethostname().lower()).strip("-")[:24].strip("-")
    return name or "machine"


def machine_id(home: Path, *, create: bool = True) -> str | None:
    """This machine's sync id, ``<host>-<8 hex digits>``, read from the data folder; made
    (and saved) on first use, and made again when the folder was copied from another host
    (its id names that host), so two machines never write one file."""
    path = machine_id_path(home)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise SyncError(f"{path}: cannot read this machine's sync id ({exc.strerror})") from None
    host = _host()
    if _ID.match(text) and text.rsplit("-", 1)[0] == host:
        return text
    if not create:
        return None
    made = f"{host}-{os.urandom(4).hex()}"
    try:
        home.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda fh: fh.write(f"{made}\n".encode()))
    except OSError as exc:
        raise SyncError(f"{path}: cannot save this machine's sync id ({exc.strerror})") from None
    return made


def sync_file_name(machine: str) -> str:
    return f"{PREFIX}{machine}{SUFFIX}"


class FileResult(NamedTuple):
    name: str
    machine: str | None
    events: int
    added: Counter
    skipped: str | None  # why the file was left out, or None


class SyncResult(NamedTuple):
    machine: str
    folder: Path
    files: list[FileResult]
    added: Counter  # events merged in, by kind
    written: int  # this machine's events in its file
    rewrote: bool  # False: the file already held them all


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One sync at a time per data folder (a second one is refused, not queued)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the database transaction still holds
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SyncError(f"{path}: another 'gdgrill sync' is running for this data folder; try again when it ends") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class _WrittenAside(threading.Thread):
    """This machine's whole file, written from a snapshot of its events on a thread of its
    own while the other files are read and merged (most of the writing and all of the merge
    run inside SQLite, which lets go of Python's lock meanwhile). Used when this machine has
    no file in the folder yet: what the merge adds comes from other machines, so the
    snapshot is the file, unless events were made here meanwhile (then counted, and the
    file written again)."""

    def __init__(self, store: Store, path: Path, me: str, exported_at: str):
        super().__init__(name="gdgrill-sync-write", daemon=True)
        self.store, self.path, self.me, self.exported_at = store, path, me, exported_at
        self.result: tuple[Path, Written] | None = None

    def run(self) -> None:
        try:
            with self.store.reader() as reader:
                self.result = write_aside(self.path, lambda fh: export_jsonl(
                    fh, reader, header(self.me, self.exported_at), machine=self.me, compact=True))
        except Exception:  # any trouble: the file is written the usual way after the merge, which reports it
            self.result = None

    def take(self, own: int) -> Written | None:
        """The file, put in place when it holds the ``own`` events made here; else None
        (and nothing of it is left)."""
        self.join()
        if self.result is None:
            return None
        (tmp, written), self.result = self.result, None
        if written.events != own:
            discard(tmp)
            return None
        put_in_place(tmp, self.path)
        return written

    def abandon(self) -> None:
        """Wait for the thread and remove its file, unless it was taken."""
        self.join()
        if self.result is not None:
            discard(self.result[0])
            self.result = None


def _remember(conn, versions: list[tuple[str, str]], merged_at: str) -> None:
    """Record (file name, sha256) of each file version this database now holds whole."""
    conn.executemany(
        "INSERT INTO sync_files (name, sha256, merged_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, merged_at = excluded.merged_at",
        [(name, sha, merged_at) for name, sha in versions],
    )


def _unwritable(path: Path, exc: OSError) -> SyncError:
    return SyncError(f"{path}: cannot write this machine's sync file ({exc.strerror}); the merge is saved")


def _named(path: Path) -> str:
    """The machine a sync file is named for."""
    return path.name[len(PREFIX):-len(SUFFIX)]


def _sync_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX) and p.is_file())


def sync(store: Store, home: Path, folder: Path, exported_at: str) -> SyncResult:
    """Merge every machine's file in ``folder`` into ``store``, then write this machine's
    own events to its file there. Files that are not whole are skipped (and reported)."""
    if not folder.is_dir():
        raise SyncError(f"{folder}: no such folder (create it, or give the folder you sync between machines)")
    me = machine_id(home)
    assert me is not None
    own_name = sync_file_name(me)
    with _locked(sync_lock_path(home)), ExitStack() as cleanup:
        for stale in folder.glob(f".{own_name}.tmp-*"):  # left by a sync killed while writing
            try:
                stale.unlink()
            except OSError:
                pass
        results: dict[str, FileResult] = {}
        batches: dict[str, tuple[list, str]] = {}
        checksums: dict[str, str] = {}
        own_held = -1  # events in this machine's file as found (-1: no whole file)
        own_data = b""  # that file, when it is the version this database last wrote
        with store._errors():
            merged_before = dict(store.conn.execute("SELECT name, sha256 FROM sync_files"))
        aside = None
        if not (folder / own_name).exists() and store.path.is_file():
            aside = _WrittenAside(store, folder / own_name, me, exported_at)
            aside.start()
            cleanup.callback(aside.abandon)  # a sync that fails leaves no file of it behind
        known = KnownIds(store)
        for path in _sync_files(folder):
            try:
                data = path.read_bytes()
                tail = closing_line(data)
                if tail is not None and merged_before.get(path.name) == tail["sha256"]:
                    # This very version was merged before (and this database still holds
                    # that merge): nothing in it can be new.
                    if path.name == own_name:
                        own_held, own_data = tail["events"], data
                    results[path.name] = FileResult(path.name, me if path.name == own_name else _named(path), tail["events"], Counter(), None)
                    continue
                parsed = parse_jsonl(data, str(path), need_trailer=True, known=known)
            except (LogError, OSError) as exc:
                reason = str(exc) if isinstance(exc, LogError) else f"{path}: cannot read it ({exc.strerror})"
                results[path.name] = FileResult(path.name, None, 0, Counter(), reason)
                continue
            origin = me if path.name == own_name else (parsed.machine or _named(path))
            held = len(parsed.events) + parsed.known
            if path.name == own_name:
                own_held = held
            batches[path.name] = (parsed.events, origin)
            checksums[path.name] = parsed.sha256  # type: ignore[assignment]
            results[path.name] = FileResult(path.name, origin, held, Counter(), None)
        # Merge all good files in one transaction; a file whose events do not fit (an undo
        # of a review nobody has) is left out with its reason, and the rest merged.
        added: Counter = Counter()

        def remember(conn) -> None:
            _remember(conn, [(name, checksums[name]) for name in batches], exported_at)

        while batches:
            try:
                merged = merge(store, list(batches.values()), record=remember)
            except LogError as exc:
                culprit = next((n for n in batches if str(exc).startswith(str(folder / n) + ":")), None)
                if culprit is None:
                    raise
                del batches[culprit]
                results[culprit] = results[culprit]._replace(skipped=str(exc))
                continue
            added = merged.added
            for name, counts in zip(batches, merged.by_batch):
                results[name] = results[name]._replace(added=counts)
            break
        own = count_events(store, machine=me)
        rewrote = own != own_held
        written = None
        if aside is not None:
            try:
                written = aside.take(own)
            except OSError as exc:
                raise _unwritable(folder / own_name, exc) from None
        if written is None and rewrote:
            # The file as this database last wrote it, when it holds every event made here
            # up to its last one: only the newer ones are added (into a whole new file).
            body = log_body(own_data) if own_data else None
            if body is not None and own - count_events(store, machine=me, after=body.last or None) != body.events:
                body = None

            def write(fh):
                if body is not None:
                    return append_jsonl(fh, body, store, header(me, exported_at), machine=me)
                return export_jsonl(fh, store, header(me, exported_at), machine=me, compact=True)

            try:
                written = write_atomically(folder / own_name, write)
            except OSError as exc:
                raise _unwritable(folder / own_name, exc) from None
        if written is not None:
            with store._errors(), store._transaction():  # this version holds nothing new for us: not read next time
                _remember(store.conn, [(own_name, written.sha256)], exported_at)
    files = sorted(results.values(), key=lambda f: (f.name != own_name, f.name))
    return SyncResult(me, folder, files, added, own, rewrote)

