"""Parsed YAML kept as JSON beside the user's data, so the daily path skips YAML (and its
import) while the source is unchanged. A module of its own: the quiz imports it without
the loaders."""

from __future__ import annotations

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
