"""Parsed YAML kept as JSON beside the user's data, so the daily path skips YAML (and its
import) while the source is unchanged: one file's parse (:func:`cached_parse`), or many
files' in one cache keyed by each file's stamp (:class:`StampedCache`, for the decks and the
drills). A module of its own: the quiz imports it without the loaders."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path
from typing import Any, Callable


def cached_parse(source: Path, cache: Path | None, parse: Callable[[], Any]) -> Any:
    """``parse()`` (JSON-able data read from ``source``), kept in ``cache`` keyed by the
    source's size and mtime and the gdgrill version, so the daily path can skip YAML (and
    its import). A missing, stale or unreadable cache is rebuilt; an unwritable one only
    costs the parse."""
    import json
    import os

    from gdgrill import __version__

    st = source.stat()
    key = [st.st_size, st.st_mtime_ns, __version__]
    if cache is not None:
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            if data.get("key") == key:
                return data["data"]
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            pass
    result = parse()
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"key": key, "data": result}), encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only data folder: parse each time
    return result


class StampedCache:
    """JSON-able values keyed by a file's path and a stamp of it (size, mtime, …), kept in
    one JSON file beside the user's data: a day whose files did not change skips YAML (and
    its import) entirely. A missing, stale or unreadable cache is simply rebuilt; it is
    never the truth. ``version`` changes with gdgrill, so a new one re-validates all."""

    def __init__(self, path: Path | None, version: str):
        self.path = path
        self.version = version
        self.entries: dict[str, Any] = {}
        self.dirty = False
        if path is None:
            return
        import json

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == version and isinstance(data.get("files"), dict):
                self.entries = data["files"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.entries = {}

    def get(self, key: str, stamp: list[Any]) -> Any:
        """The value stored for ``key`` under exactly ``stamp``; None when absent or stale."""
        entry = self.entries.get(key)
        if isinstance(entry, dict) and entry.get("stamp") == stamp:
            return entry.get("value")
        return None

    def put(self, key: str, stamp: list[Any], value: Any) -> None:
        if self.path is not None:
            self.entries[key] = {"stamp": stamp, "value": value}
            self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        import json

        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"version": self.version, "files": self.entries}), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            with suppress(OSError):  # a read-only or odd home only costs speed
                tmp.unlink(missing_ok=True)


def file_stamp(file: Path) -> list[Any] | None:
    """What says a file changed: its size and modification time (None if unreadable)."""
    try:
        st = file.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]
