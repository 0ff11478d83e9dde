"""The progress log as portable events: every event exported to JSON lines or CSV, and
such a file merged back (``gdgrill import log``, ``gdgrill sync``) without doubling anything.

An event is a flat record: its globally unique ``id`` (see :mod:`gdgrill.eventids`), its
``kind`` (review, undo, plan, suspension, practice, assessment, grill), when it was written
(``at``, UTC) and on which study ``day``, and the fields of its kind (README.md lists them).
A JSON-lines log opens with a header line and closes with a trailer holding the number of
events and the SHA-256 of their lines, so a file cut short is known for what it is. CSV is
for spreadsheets: the same fields as columns, one event a row.

Merging is idempotent and order-independent: an event whose id the database holds is
skipped, and each table's rows are kept in the order of their ids (the rows after the
first merged one are renumbered after the table's last id). Two databases that hold the
same events therefore hold them in the same order and replay them to the same states.
A merge is one transaction: a bad event anywhere leaves the database untouched.

Logs of 100,000 events move in bulk: SQLite writes the lines (Python only what it cannot
write alike), reviews as gdgrill writes them are read by one pattern (any other line by the
field checks, which name the first bad line), and they are merged through a temporary table
keyed on id, inside SQLite.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import re
import sqlite3
from collections import Counter
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, NamedTuple, Sequence

from gdgrill.errors import UserError
from gdgrill.eventids import is_uid
from gdgrill.store import LADDER, NO_EFFECT, STATS_ONLY, DamagedValue, Store
from gdgrill.text import clean_text

FORMAT = "gdgrill-log"
VERSION = 1
KINDS = ("review", "undo", "plan", "suspension", "practice", "assessment", "grill")
COUNTS = {LADDER: "ladder", STATS_ONLY: "stats", NO_EFFECT: "none"}
EFFECTS = {name: effect for effect, name in COUNTS.items()}

# The fields of each kind after the common ones (id, kind, at, day), in export order.
FIELDS: dict[str, tuple[str, ...]] = {
    "review": ("item", "grade", "mode", "counts", "answer", "seconds", "detail"),
    "undo": ("item", "mode", "undoes"),
    "plan": ("interview", "per_day", "focus"),
    "suspension": ("item", "suspended"),
    "practice": ("problem", "rating", "hints_used", "answer"),
    "assessment": ("ratings", "total"),
    "grill": ("score", "total", "bands", "seconds"),
}
COMMON = ("id", "kind", "at", "day")
CSV_COLUMNS = COMMON + tuple(dict.fromkeys(f for fields in FIELDS.values() for f in fields))
TABLE_OF = {
    "review": "reviews", "undo": "reviews", "plan": "plans", "suspension": "suspensions",
    "practice": "practice_ratings", "assessment": "assessments", "grill": "grills",
}


class LogError(UserError):
    pass


class Event(NamedTuple):
    """One checked event, ready to merge: ``values`` are its kind's fields, typed."""

    uid: str
    kind: str
    at: str
    day: str
    values: dict[str, Any]
    where: str  # file:line, for errors found while merging


# -- reading the database ------------------------------------------------------------------


def _decoded(value: Any, column: str, kind: type) -> Any:
    if value is None:
        return None
    try:
        decoded = json.loads(value)
    except (TypeError, ValueError):
        raise DamagedValue(column, value, "JSON") from None
    if not isinstance(decoded, kind):
        raise DamagedValue(column, value, f"a JSON {kind.__name__}")
    return decoded


def _own(origin_me: str | None) -> tuple[str, tuple]:
    """SQL (and its parameter) keeping the events made on this machine (origin NULL or
    this machine's id), or every event when ``origin_me`` is None."""
    if origin_me is None:
        return "1", ()
    return "(x.origin IS NULL OR x.origin = ?)", (origin_me,)


def _review_events(conn, own: tuple[str, tuple]) -> Iterator[dict[str, Any]]:
    where, params = own
    rows = conn.execute(
        "SELECT x.uid, x.reviewed_at, x.day, i.key, x.grade, x.mode, x.effect, x.answer, x.seconds, x.detail, t.uid"
        " FROM reviews x JOIN items i ON i.id = x.item_id LEFT JOIN reviews t ON t.id = x.undoes"
        f" WHERE {where} ORDER BY x.id",
        params,
    )
    for uid, at, day, item, grade, mode, effect, answer, seconds, detail, undoes in rows:
        if grade == "undo":
            yield {"id": uid, "kind": "undo", "at": at, "day": day, "item": item, "mode": mode, "undoes": undoes}
        else:
            yield {
                "id": uid, "kind": "review", "at": at, "day": day, "item": item, "grade": grade, "mode": mode,
                "counts": COUNTS.get(effect, effect), "answer": answer, "seconds": seconds,
                "detail": _decoded(detail, "reviews.detail", dict),
            }


def _simple_events(conn, own, kind: str, table: str, stamp: str, columns: str, convert) -> Iterator[dict[str, Any]]:
    where, params = own
    for uid, at, day, *rest in conn.execute(f"SELECT x.uid, x.{stamp}, x.day, {columns} FROM {table} x WHERE {where} ORDER BY x.id", params):
        yield {"id": uid, "kind": kind, "at": at, "day": day, **convert(*rest)}


# The tables after reviews as events: kind, table, the column of its time, its fields as
# SQL, and a function of their values to the record's fields.
_SIMPLE = (
    ("plan", "plans", "set_at", "x.interview, x.per_day, x.focus", lambda i, p, f: {"interview": i, "per_day": p, "focus": f}),
    ("suspension", "suspensions", "set_at", "x.item, x.suspended", lambda i, s: {"item": i, "suspended": bool(s)}),
    ("practice", "practice_ratings", "rated_at", "x.problem, x.rating, x.hints_used, x.answer",
     lambda p, r, h, a: {"problem": p, "rating": r, "hints_used": h, "answer": a}),
    ("assessment", "assessments", "taken_at", "x.ratings, x.total",
     lambda r, t: {"ratings": _decoded(r, "assessments.ratings", dict), "total": t}),
    ("grill", "grills", "taken_at", "x.score, x.total, x.bands, x.seconds",
     lambda s, t, b, sec: {"score": s, "total": t, "bands": _decoded(b, "grills.bands", list), "seconds": sec}),
)


def _stream(conn, table: int, own: tuple[str, tuple]) -> Iterator[dict[str, Any]]:
    """The records of table number ``table`` (0: reviews, then _SIMPLE's), in id order."""
    return _review_events(conn, own) if table == 0 else _simple_events(conn, own, *_SIMPLE[table - 1])


def events(store: Store, *, machine: str | None = None) -> Iterator[dict[str, Any]]:
    """Every event in the database, oldest id first; with ``machine``, only those made on
    it (what its sync file carries). Read in one snapshot; iterate inside ``with store``."""
    own = _own(machine)
    with store._errors(), store._snapshot():
        # The tables' rows are in id order already; one merge gives the log's time order.
        yield from heapq.merge(*(_stream(store.conn, n, own) for n in range(len(_SIMPLE) + 1)), key=lambda e: e["id"])


# A record as its line in a log: with a space after each colon and comma (an export, to
# read), or without (a sync file).
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _object_sql(kind: str, fields: tuple[tuple[str, str], ...], compact: bool) -> str:
    """SQL writing an event's line as ``_COMPACT`` (or ``_ENCODE``) writes its record: id,
    kind, then each (name, SQL of its value) of ``fields``; a value that is JSON text
    already (true, false) is wrapped in json()."""
    if compact:
        return f"json_object('id', x.uid, 'kind', '{kind}', " + ", ".join(f"'{name}', {value}" for name, value in fields) + ")"
    parts = ["""'{"id": '""", "json_quote(x.uid)"]
    text = f', "kind": "{kind}"'
    for name, value in fields:
        # json_object() takes json(...) as JSON; joined by hand, it is the text itself.
        value = value[5:-1] if value.startswith("json(") else f"json_quote({value})"
        parts += [f"'{text}, \"{name}\": '", value]
        text = ""
    return " || ".join(parts + [f"'{text}}}'"])


def _fields(*names: str) -> tuple[tuple[str, str], ...]:
    """(name, column) of each ``name`` (column x.name) or ``name=column``."""
    return tuple((n.partition("=")[0], n.partition("=")[2]) if "=" in n else (n, f"x.{n}") for n in names)


# json_object() and json_quote() write text, whole numbers and NULL as the encoders do
# (text columns hold only text, NULL or a blob, which neither writes); a real number they
# write their own way, so the lines with one (a review's seconds, a grill), and those with
# JSON columns (a review's detail, an assessment, a grill) are finished or written by
# Python. Each table's SQL, in _stream's numbering: (the whole line when SQL writes it, else
# NULL; the line of a review up to its answer when Python adds seconds and detail, else
# NULL; seconds; detail).
_REVIEW_FIELDS = _fields("at=x.reviewed_at", "day", "item=i.key", "grade", "mode") + (
    ("counts", "CASE x.effect WHEN 2 THEN 'ladder' WHEN 1 THEN 'stats' ELSE 'none' END"),
) + _fields("answer")


def _line_sql(table: int, compact: bool) -> str:
    if table == 0:
        undo = _object_sql("undo", _fields("at=x.reviewed_at", "day", "item=i.key", "mode", "undoes=t.uid"), compact)
        whole = _object_sql("review", _REVIEW_FIELDS + _fields("seconds", "detail=NULL"), compact)
        head = _object_sql("review", _REVIEW_FIELDS, compact)
        return (f"CASE WHEN x.grade = 'undo' THEN {undo} WHEN x.effect IN (0, 1, 2) AND x.detail IS NULL"
                f" AND typeof(x.seconds) != 'real' THEN {whole} END, CASE WHEN x.grade IS NOT 'undo' AND x.effect IN (0, 1, 2)"
                f" AND (x.detail IS NOT NULL OR typeof(x.seconds) = 'real') THEN {head} END, x.seconds, x.detail")
    if table == 1:
        line = "CASE WHEN typeof(x.per_day) IN ('integer', 'null') THEN " + _object_sql(
            "plan", _fields("at=x.set_at", "day", "interview", "per_day", "focus"), compact) + " END"
    elif table == 2:
        line = "CASE WHEN typeof(x.suspended) = 'integer' THEN " + _object_sql("suspension", _fields("at=x.set_at", "day", "item") + (
            ("suspended", "json(CASE WHEN x.suspended THEN 'true' ELSE 'false' END)"),), compact) + " END"
    elif table == 3:
        line = "CASE WHEN typeof(x.hints_used) IN ('integer', 'null') THEN " + _object_sql(
            "practice", _fields("at=x.rated_at", "day", "problem", "rating", "hints_used", "answer"), compact) + " END"
    else:  # assessments and grills
        line = "NULL"
    return f"{line}, NULL, NULL, NULL"


_quotes_alike: dict[str, bool] = {}  # by SQLite version


def _sql_quotes_alike(conn) -> bool:
    """Whether this SQLite writes text in JSON as the encoders do (how it escapes is not
    part of its documented interface): checked once, on every character either escapes."""
    alike = _quotes_alike.get(sqlite3.sqlite_version)
    if alike is None:
        probe = "".join(map(chr, range(128))) + "\u00e9\u20ac\u2028\u2029\ufeff\U0001f600"
        written = conn.execute("SELECT json_quote(?), json_object('k', ?)", (probe, probe)).fetchone()
        alike = _quotes_alike[sqlite3.sqlite_version] = written == (_ENCODE(probe), _COMPACT({"k": probe}))
    return alike


def _number(value: Any, encode) -> str:
    return repr(value) if type(value) is float and value - value == 0 else encode(value)


def _table_lines(conn, table: int, where: str, params: tuple, compact: bool) -> Iterator[tuple[list[str], list[str]]]:
    """The events of table number ``table`` (see :func:`_stream`) in id order, a few
    thousand at a time: (their ids, their lines)."""
    if table == 0:
        source = "reviews x JOIN items i ON i.id = x.item_id LEFT JOIN reviews t ON t.id = x.undoes"
    else:
        source = f"{_SIMPLE[table - 1][1]} x"
    encode = _COMPACT if compact else _ENCODE
    colon, comma = (":", ",") if compact else (": ", ", ")
    rows = conn.execute(f"SELECT x.uid, x.id, {_line_sql(table, compact)} FROM {source} WHERE {where} ORDER BY x.id", params)
    details: dict[str | None, str] = {}  # a detail column's text -> its JSON in the line (most repeat)
    while chunk := rows.fetchmany(4096):
        lines = list(map(itemgetter(2), chunk))
        if None in lines:
            left: dict[str, tuple[int, int]] = {}  # the lines Python writes: uid -> (place, id)
            for place, (uid, rowid, line, head, seconds, detail) in enumerate(chunk):
                if line is not None:
                    continue
                if head is None:
                    left[uid] = (place, rowid)
                    continue
                written = details.get(detail)
                if written is None:
                    written = details[detail] = encode(_decoded(detail, "reviews.detail", dict))
                lines[place] = f'{head[:-1]}{comma}"seconds"{colon}{_number(seconds, encode)}{comma}"detail"{colon}{written}}}'
            if left:
                ids = json.dumps([rowid for _, rowid in left.values()])
                for record in _stream(conn, table, (f"{where} AND x.id IN (SELECT value FROM json_each(?))", (*params, ids))):
                    lines[left[record["id"]][0]] = encode(record)
        yield list(map(itemgetter(0), chunk)), lines


def _line_chunks(store: Store, machine: str | None, compact: bool, after: str | None = None) -> Iterator[list[str]]:
    """:func:`event_lines` (``after``: those with a greater id), a few thousand at a time."""
    conn = store.conn
    if not _sql_quotes_alike(conn):
        encode = _COMPACT if compact else _ENCODE
        records = events(store, machine=machine)
        yield from _chunked(map(encode, records if after is None else (r for r in records if r["id"] > after)))
        return
    where, params = _own(machine)
    if after is not None:
        where, params = f"{where} AND x.uid > ?", (*params, after)
    with store._errors(), store._snapshot():
        tables = [n for n, table in enumerate(dict.fromkeys(TABLE_OF.values()))
                  if conn.execute(f"SELECT 1 FROM {table} x WHERE {where} LIMIT 1", params).fetchone()]
        if len(tables) == 1:  # most logs: only reviews, or nothing else made on this machine
            yield from (lines for _, lines in _table_lines(conn, tables[0], where, params, compact))
            return
        streams = [((uid, line) for uids, lines in _table_lines(conn, n, where, params, compact) for uid, line in zip(uids, lines))
                   for n in tables]
        # The same merge as events(): ties of ids in _stream's order.
        yield from _chunked(map(itemgetter(1), heapq.merge(*streams, key=itemgetter(0))))


def _chunked(items: Iterable[Any], size: int = 4096) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def event_lines(store: Store, *, machine: str | None = None, compact: bool = False) -> Iterator[str]:
    """The lines of :func:`events`, exactly as ``_ENCODE`` (``compact``: ``_COMPACT``)
    writes their records, most of them made inside SQLite (Python writes what SQL cannot
    write alike: real numbers, the JSON columns). Read in one snapshot; iterate inside
    ``with store``."""
    for chunk in _line_chunks(store, machine, compact):
        yield from chunk


def count_events(store: Store, *, machine: str | None = None, after: str | None = None) -> int:
    """How many events the database holds (with ``machine``, made on it; with ``after``,
    with a greater id)."""
    where, params = _own(machine)
    if after is not None:
        where, params = f"{where} AND x.uid > ?", (*params, after)
    with store._errors():
        return sum(
            store.conn.execute(f"SELECT COUNT(*) FROM {table} x WHERE {where}", params).fetchone()[0]
            for table in dict.fromkeys(TABLE_OF.values())
        )


# -- writing files ---------------------------------------------------------------------------


def header(machine: str | None, exported_at: str) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "machine": machine, "exported_at": exported_at}


class Written(NamedTuple):
    events: int
    sha256: str  # the checksum its closing line holds


def write_jsonl(fh: IO[bytes], records: Iterable[dict[str, Any]], head: dict[str, Any]) -> Written:
    """Write a JSON-lines log (header, events, trailer)."""
    return write_lines(fh, map(_ENCODE, records), head)


def write_lines(fh: IO[bytes], lines: Iterable[str], head: dict[str, Any], *, compact: bool = False) -> Written:
    """Write a JSON-lines log of events already written as lines (see :func:`event_lines`)."""
    return _write_chunks(fh, _chunked(lines), head, compact)


def _write_chunks(fh: IO[bytes], chunks: Iterable[list[str]], head: dict[str, Any], compact: bool,
                  body: "LogBody | None" = None) -> Written:
    """Write a log: ``head``, the event lines of ``body`` (an older version's) if given,
    those of ``chunks``, and the closing line that counts them all."""
    encode = _COMPACT if compact else _ENCODE
    fh.write(encode(head).encode("utf-8") + b"\n")
    digest = hashlib.sha256()
    n = 0
    if body is not None:
        digest.update(body.lines)
        fh.write(body.lines)
        n = body.events
    for chunk in chunks:
        block = ("\n".join(chunk) + "\n").encode("utf-8", "surrogatepass")
        digest.update(block)
        fh.write(block)
        n += len(chunk)
    fh.write(encode({"end": FORMAT, "events": n, "sha256": digest.hexdigest()}).encode("utf-8") + b"\n")
    return Written(n, digest.hexdigest())


def export_jsonl(fh: IO[bytes], store: Store, head: dict[str, Any], *, machine: str | None = None, compact: bool = False) -> Written:
    """Write the events of ``store`` (with ``machine``, those made on it) as a JSON-lines
    log; ``compact``: without spaces after colons and commas (a sync file: a tenth smaller,
    and faster to write and read)."""
    return _write_chunks(fh, _line_chunks(store, machine, compact), head, compact)


class LogBody(NamedTuple):
    """The event lines of a whole sync file as gdgrill wrote it, checked against its
    closing line: what a newer version of the file starts with."""

    lines: bytes  # every event line, each with its newline
    events: int
    last: str  # the id of the last event


def log_body(data: bytes) -> LogBody | None:
    """The events of ``data`` when it is a whole compact log (header, events in id order as
    :func:`export_jsonl` writes them, trailer) whose lines match their checksum; else None."""
    tail = closing_line(data)
    if tail is None or not data.startswith(b'{"format":"') or not data.endswith(b"\n"):
        return None
    start = data.index(b"\n") + 1
    end = data.rfind(b"\n", 0, len(data) - 1) + 1  # where the closing line starts
    lines = data[start:end] if start <= end else b""
    if hashlib.sha256(lines).hexdigest() != tail["sha256"] or lines.count(b"\n") != tail["events"]:
        return None
    if not lines:
        return LogBody(lines, 0, "")
    last = lines[lines.rfind(b"\n", 0, len(lines) - 1) + 1:]
    if not last.startswith(ID_PREFIX.encode()):
        return None
    return LogBody(lines, tail["events"], last[len(ID_PREFIX): len(ID_PREFIX) + 36].decode("ascii", "replace"))


def append_jsonl(fh: IO[bytes], body: LogBody, store: Store, head: dict[str, Any], *, machine: str) -> Written:
    """Write ``body`` (the events of a sync file) followed by the events of ``store`` made
    on ``machine`` with greater ids: the file :func:`export_jsonl` would write when those
    are all its events, without reading the old ones out of the database again."""
    return _write_chunks(fh, _line_chunks(store, machine, True, after=body.last or None), head, True, body)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def write_csv(fh: IO[str], records: Iterable[dict[str, Any]]) -> int:
    import csv

    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for record in records:
        writer.writerow([_csv_cell(record.get(c)) for c in CSV_COLUMNS])
        n += 1
    return n


def write_atomically(path: Path, write) -> Any:
    """Call ``write(binary file)`` on a temporary file beside ``path``, flush it to disk,
    then rename it over ``path``: readers see the old file or the whole new one, never a
    part (a kill or a full disk leaves ``path`` as it was)."""
    tmp, result = write_aside(path, write)
    put_in_place(tmp, path)
    return result


def write_aside(path: Path, write) -> tuple[Path, Any]:
    """The first half of :func:`write_atomically`: ``write(binary file)`` into a temporary
    file beside ``path``, flushed to disk. Returns (that file, what ``write`` returned); on
    any error the file is removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        with open(tmp, "wb") as fh:
            result = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        discard(tmp)
        raise
    return tmp, result


def discard(tmp: Path) -> None:
    try:
        tmp.unlink()
    except OSError:
        pass


def put_in_place(tmp: Path, path: Path) -> None:
    """The second half of :func:`write_atomically`: rename ``tmp`` over ``path``."""
    path = Path(path)
    try:
        os.replace(tmp, path)
    except BaseException:
        discard(tmp)
        raise
    try:  # the rename itself reaches the disk
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


# -- reading files ---------------------------------------------------------------------------


def _fail(where: str, field: str | None, message: str) -> LogError:
    return LogError(f"{where}: {field}: {message}" if field else f"{where}: {message}")


def _text(where, obj, field, *, optional=False, choices=None) -> str | None:
    value = obj.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(where, field, "expected a non-empty string" + (" or null" if optional else ""))
    if choices and value not in choices:
        raise _fail(where, field, f"{value!r}: expected " + ", ".join(choices))
    return clean_text(value)


def _note(where, obj, field) -> str | None:
    """Free text that may be empty or missing (a typed answer)."""
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(where, field, "expected a string or null")
    return clean_text(value)


def _whole(where, obj, field, *, optional=False, low=None) -> int | None:
    value = obj.get(field)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low):
        raise _fail(where, field, f"{value!r}: expected a whole number" + (f" of at least {low}" if low is not None else ""))
    return value


def _real(where, obj, field) -> float | None:
    value = obj.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        raise _fail(where, field, f"{value!r}: expected a number of seconds or null")
    return value


def _day(where, obj, field, *, optional=False) -> str | None:
    value = obj.get(field)
    if value is None and optional:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise _fail(where, field, f"{value!r}: expected a date as YYYY-MM-DD") from None


def _moment(where, obj) -> str:
    value = obj.get("at")
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _fail(where, "at", f"{value!r}: expected a date and time with its UTC offset, e.g. 2026-03-02T09:30:00+00:00")
    return value


def _item(where, obj, field="item") -> str:
    value = _text(where, obj, field)
    if "/" not in value.strip("/"):
        raise _fail(where, field, f"{value!r}: expected deck/card or drill/name")
    return value


def _kind_values(where: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    if kind == "review":
        grade = _text(where, obj, "grade", choices=("pass", "fail", "easy"))
        counts = _text(where, obj, "counts", choices=tuple(EFFECTS))
        if counts == "stats" and grade == "fail":
            raise _fail(where, "counts", "a counted miss always moves the ladder: expected ladder")
        detail = obj.get("detail")
        if detail is not None and not isinstance(detail, dict):
            raise _fail(where, "detail", "expected an object or null")
        return {
            "item": _item(where, obj), "grade": grade, "mode": _text(where, obj, "mode"), "counts": counts,
            "answer": _note(where, obj, "answer"), "seconds": _real(where, obj, "seconds"), "detail": detail or None,
        }
    if kind == "undo":
        undoes = obj.get("undoes")
        if not is_uid(undoes):
            raise _fail(where, "undoes", f"{undoes!r}: expected the id of the review it takes back")
        return {"item": _item(where, obj), "mode": _text(where, obj, "mode"), "undoes": undoes}
    if kind == "plan":
        interview = _day(where, obj, "interview", optional=True)
        per_day = _whole(where, obj, "per_day", optional=True, low=1)
        focus = _text(where, obj, "focus", optional=True, choices=("phone", "research"))
        if interview is not None and (per_day is None or focus is None):
            raise _fail(where, "per_day" if per_day is None else "focus", "a plan with an interview date needs per_day and focus")
        return {"interview": interview, "per_day": per_day, "focus": focus}
    if kind == "suspension":
        suspended = obj.get("suspended")
        if not isinstance(suspended, bool):
            raise _fail(where, "suspended", f"{suspended!r}: expected true or false")
        return {"item": _item(where, obj), "suspended": suspended}
    if kind == "practice":
        return {
            "problem": _text(where, obj, "problem"), "rating": _text(where, obj, "rating", choices=("strong", "lean", "no_hire")),
            "hints_used": _whole(where, obj, "hints_used", low=0),
            "answer": _note(where, obj, "answer"),
        }
    if kind == "assessment":
        ratings = obj.get("ratings")
        if not isinstance(ratings, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in ratings.items()
        ):
            raise _fail(where, "ratings", "expected an object of whole-number ratings")
        return {"ratings": ratings, "total": _whole(where, obj, "total")}
    bands = obj.get("bands")
    if not isinstance(bands, list) or not all(isinstance(b, dict) for b in bands):
        raise _fail(where, "bands", "expected a list of objects")
    return {"score": _whole(where, obj, "score", low=0), "total": _whole(where, obj, "total", low=0), "bands": bands,
            "seconds": _real(where, obj, "seconds")}


_REVIEW_KEYS = frozenset(COMMON + FIELDS["review"])
_GRADES = frozenset(("pass", "fail", "easy"))
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _quick_review(obj: dict[str, Any], where: str) -> Event | None:
    """A review as gdgrill exports it, accepted in one pass (most of a log is reviews);
    None sends anything else through the field-by-field checks, which say what is wrong."""
    if obj.keys() != _REVIEW_KEYS:
        return None
    uid, at, day, item, grade, mode, counts = (
        obj["id"], obj["at"], obj["day"], obj["item"], obj["grade"], obj["mode"], obj["counts"]
    )
    answer, seconds, detail = obj["answer"], obj["seconds"], obj["detail"]
    if not (
        is_uid(uid) and type(day) is str and _DAY.match(day) and type(item) is str and "/" in item.strip("/")
        and grade in _GRADES and type(mode) is str and mode and counts in EFFECTS
        and (counts != "stats" or grade != "fail")
        and (answer is None or type(answer) is str)
        and (seconds is None or (type(seconds) in (int, float) and seconds >= 0))
        and (detail is None or type(detail) is dict) and type(at) is str
    ):
        return None
    try:
        moment = datetime.fromisoformat(at)
        date.fromisoformat(day)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    if not item.isascii():
        obj["item"] = clean_text(item)
    if answer is not None and not answer.isascii():
        obj["answer"] = clean_text(answer)
    if not mode.isascii():
        obj["mode"] = clean_text(mode)
    if detail == {}:  # as the field checks read it: no detail
        obj["detail"] = None
    return Event(uid, "review", at, day, obj, where)


def parse_event(obj: Any, where: str) -> Event:
    """One exported record checked field by field; a LogError names ``where`` and the field."""
    if type(obj) is dict and obj.get("kind") == "review":
        quick = _quick_review(obj, where)
        if quick is not None:
            return quick
    if not isinstance(obj, dict):
        raise _fail(where, None, "expected an event object")
    kind = obj.get("kind")
    if kind not in FIELDS:
        raise _fail(where, "kind", f"{kind!r}: expected " + ", ".join(KINDS))
    unknown = [k for k in obj if k not in COMMON and k not in FIELDS[kind]]
    if unknown:
        raise _fail(where, unknown[0], f"not a field of a {kind} event (expected {', '.join(COMMON + FIELDS[kind])})")
    uid = obj.get("id")
    if not is_uid(uid):
        raise _fail(where, "id", f"{uid!r}: expected an event id (a version-7 UUID, as gdgrill exports)")
    at = _moment(where, obj)
    day = _day(where, obj, "day")
    values = _kind_values(where, kind, obj)
    if kind == "undo" and values["undoes"] >= uid:
        raise _fail(where, "undoes", "an undo comes after the review it takes back: its id must be greater")
    return Event(uid, kind, at, day, values, where)  # type: ignore[arg-type]


def _review_line(colon: str, comma: str) -> "re.Pattern[str]":
    """A review's line as gdgrill writes it (``colon`` and ``comma`` between the fields) in
    which no string needs unescaping. A line it matches holds exactly the review that
    json.loads and parse_event read from it, once the dates and the item pass their checks
    (see _fast_reviews); any other line is read by those two."""
    text = r'[^"\\\x00-\x1f]'  # what a JSON string holds as it stands
    day = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
    clock = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
    fields = (
        ("id", '"([0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})"'),
        ("kind", '"review"'),
        ("at", f'"(({day})T{clock}:[0-5][0-9][+-]{clock})"'),
        ("day", f'"({day})"'),
        ("item", f'"({text}+)"'),
        ("grade", '"(pass|fail|easy)"'),
        ("mode", f'"({text}+)"'),
        ("counts", '"(ladder|stats|none)"'),
        ("answer", f'(null|"{text}*")'),
        ("seconds", r"(null|(?:0|[1-9][0-9]{0,14})(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"),
        ("detail", f"(null|{_flat_object(colon, comma, text)})"),
    )
    return re.compile(r"\{" + comma.join(f'"{name}"{colon}{value}' for name, value in fields) + r"\}")


def _flat_object(colon: str, comma: str, text: str) -> str:
    """A review's detail as gdgrill writes it: a JSON object of plain values (true, false,
    null, whole numbers, ``text`` (a string's characters), lists of whole numbers)."""
    whole = "-?(?:0|[1-9][0-9]{0,15})"
    value = rf'(?:true|false|null|{whole}|"{text}*"|\[(?:{whole}(?:{comma}{whole})*)?\])'
    member = f'"[A-Za-z_][A-Za-z0-9_]*"{colon}{value}'
    return rf"\{{(?:{member}(?:{comma}{member})*)?\}}"


_DETAILS: dict[str, str | None] = {}


def _detail(token: str) -> str | None:
    """A detail's column text, as :func:`_row` stores it, from its JSON in a line
    :func:`_review_line` matched (decoded once per text; most repeat)."""
    if token in _DETAILS:
        return _DETAILS[token]
    value = json.loads(token)
    stored = json.dumps(value, sort_keys=True) if value else None
    if len(_DETAILS) < 65536:
        _DETAILS[token] = stored
    return stored


_REVIEW_LINE = _review_line(":", ",")  # a sync file's
_SPACED_REVIEW_LINE = _review_line(": ", ", ")  # an export's
# The same, one line of a text of many: no match spans two lines (a line break is none of
# the characters the pattern allows), so n lines that give n matches are all reviews.
_REVIEW_LINES = {p: re.compile(f"^{p.pattern}$", re.MULTILINE) for p in (_REVIEW_LINE, _SPACED_REVIEW_LINE)}


def _valid_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _fast_reviews(numbers: Sequence[int], raws: list[str]) -> tuple[list[int], list[tuple], list[int], list[str]]:
    """The lines (numbers, texts) that hold a review as gdgrill writes it, as their line
    numbers and the pattern's groups (id, at, at's day, day, item, grade, mode, counts,
    answer, seconds and detail as JSON), and the other lines' numbers and texts."""
    first, then = (_REVIEW_LINE, _SPACED_REVIEW_LINE) if raws and raws[0].startswith(ID_PREFIX) else (_SPACED_REVIEW_LINE, _REVIEW_LINE)
    groups = _REVIEW_LINES[first].findall("\n".join(raws)) if raws else []
    if len(groups) == len(raws):  # every line a review in one layout: read in one pass
        return _checked_groups(list(numbers), groups, [], [], numbers, raws)
    matches = list(map(first.fullmatch, raws))
    if None in matches:  # the other layout (a file put together by hand), or not a review as gdgrill writes it
        matches = [m or then.fullmatch(raw) for m, raw in zip(matches, raws)]
    if None in matches:
        slow = [i for i, m in enumerate(matches) if m is None]
        slow_numbers, slow_raws = [numbers[i] for i in slow], [raws[i] for i in slow]
        fast = [i for i, m in enumerate(matches) if m is not None]
        fast_numbers, matches = [numbers[i] for i in fast], [matches[i] for i in fast]
    else:
        slow_numbers, slow_raws, fast_numbers = [], [], list(numbers)
    groups = list(map(re.Match.groups, matches))
    return _checked_groups(fast_numbers, groups, slow_numbers, slow_raws, numbers, raws)


def _checked_groups(fast_numbers: list[int], groups: list[tuple], slow_numbers: list[int], slow_raws: list[str],
                    numbers: Sequence[int], raws: list[str]) -> tuple[list[int], list[tuple], list[int], list[str]]:
    """:func:`_fast_reviews`'s result, once the lines the pattern matched (``fast_numbers``,
    their ``groups``) pass what the pattern leaves to check, once per value: real dates, an
    item deck/card, no counted miss outside the ladder. A line that fails joins the others
    (``slow_numbers``, ``slow_raws``), to be read by the field checks (``numbers`` and
    ``raws``: every line's number and text)."""
    if not groups:
        return fast_numbers, groups, slow_numbers, slow_raws
    days = set(map(itemgetter(2), groups)) | set(map(itemgetter(3), groups))
    bad_days = {d for d in days if not _valid_day(d)}
    bad_items = {i for i in set(map(itemgetter(4), groups)) if "/" not in i.strip("/")}
    if bad_days or bad_items or ("fail", "stats") in set(zip(map(itemgetter(5), groups), map(itemgetter(7), groups))):
        text_of, keep = dict(zip(numbers, raws)), []
        for n, g in zip(fast_numbers, groups):
            if g[2] in bad_days or g[3] in bad_days or g[4] in bad_items or (g[5], g[7]) == ("fail", "stats"):
                slow_numbers.append(n)
                slow_raws.append(text_of[n])
            else:
                keep.append((n, g))
        fast_numbers, groups = [n for n, _ in keep], [g for _, g in keep]
        order = sorted(range(len(slow_numbers)), key=slow_numbers.__getitem__)
        slow_numbers, slow_raws = [slow_numbers[i] for i in order], [slow_raws[i] for i in order]
    return fast_numbers, groups, slow_numbers, slow_raws


def _answer(token: str) -> str | None:
    """A review's answer from its JSON in a line :func:`_review_line` matched (no escapes)."""
    return None if token == "null" else token[1:-1]


def _seconds(token: str) -> int | float | None:
    """A review's seconds from its JSON, as json.loads reads it (an int unless written
    with a fraction or exponent)."""
    return None if token == "null" else int(token) if token.isdigit() else float(token)


class Events(Sequence):
    """The checked events of one log file, in its order: most of its reviews as the groups
    of :func:`_fast_reviews` (merged without ever becoming an :class:`Event`), with their
    line numbers, the other events as (line, Event)."""

    def __init__(self, name: str, reviews: list[tuple], lines: list[int], others: list[tuple[int, Event]]):
        self.name = name
        self.reviews = reviews
        self.lines = lines
        self.others = others
        self._all: list[Event] | None = None

    def numbered(self) -> Iterator[tuple[int, Event]]:
        """(line, event) of each event, in file order."""
        name = self.name
        reviews = (
            (n, Event(uid, "review", at, day, {
                "id": uid, "kind": "review", "at": at, "day": day, "item": item, "grade": grade, "mode": mode,
                "counts": counts, "answer": _answer(answer), "seconds": _seconds(seconds), "detail": json.loads(detail) or None,
            }, f"{name}:{n}"))
            for n, (uid, at, _, day, item, grade, mode, counts, answer, seconds, detail) in zip(self.lines, self.reviews)
        )
        return heapq.merge(reviews, self.others, key=itemgetter(0))

    def __len__(self) -> int:
        return len(self.reviews) + len(self.others)

    def __getitem__(self, index):
        if self._all is None:
            self._all = [e for _, e in self.numbered()]
        return self._all[index]

    def __iter__(self) -> Iterator[Event]:
        return (e for _, e in self.numbered())

    @classmethod
    def of(cls, events: Iterable[Event]) -> "Events":
        """Events already checked one by one (a CSV file, a list)."""
        return cls("", [], [], list(enumerate(events)))


def _checked(numbers: Sequence[int], raws: list[str], name: str) -> Events:
    """The events of the lines ``raws`` (numbered ``numbers``): its reviews as gdgrill
    writes them read in bulk, the other lines decoded and checked one by one, with the
    same result and the same first error as when every line is (see _decoded_lines)."""
    fast_numbers, groups, slow_numbers, slow_raws = _fast_reviews(numbers, raws)
    objs = []
    for raw in slow_raws:
        try:
            objs.append(json.loads(raw))
        except ValueError:
            # A line that is not one JSON value: read the file as the checks line by line
            # read it (which names the first such line), never in part.
            body = list(zip(numbers, raws))
            return Events(name, [], [], [(n, e) for (n, _), e in zip(body, _decoded_lines(body, name))])
    # A line read in bulk holds a well-formed review: the first bad line is among these.
    return Events(name, groups, fast_numbers, [(n, _event(obj, f"{name}:{n}")) for n, obj in zip(slow_numbers, objs)])


class ParsedLog(NamedTuple):
    events: Sequence[Event]  # an Events when read from a JSON-lines file
    machine: str | None  # the header's machine (a sync file), or None
    complete: bool  # a trailer was found and matched the events
    known: int = 0  # event lines passed over as already held (see parse_jsonl's ``known``)
    sha256: str | None = None  # the trailer's checksum, when there is one


def closing_line(data: bytes) -> dict[str, Any] | None:
    """A log's trailer (events, sha256) read off its last line alone, or None."""
    end = len(data)
    while end and data[end - 1] in b" \t\n\r\x0b\x0c":  # data.rstrip(), without copying the file
        end -= 1
    last = data[data.rfind(b"\n", 0, end) + 1: end]
    if not last.lstrip().startswith(b'{"end"'):
        return None
    try:
        obj = json.loads(last)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) and isinstance(obj.get("sha256"), str) and isinstance(obj.get("events"), int) else None


def held_ids(store: Store) -> set[str]:
    """Every event id the database holds."""
    with store._errors():
        return {u for table in dict.fromkeys(TABLE_OF.values()) for (u,) in store.conn.execute(f"SELECT uid FROM {table}")}


class KnownIds:
    """The event ids ``store`` holds, for :func:`parse_jsonl`'s ``known``, read (once) only
    when a file's lines need them: a sample of a file's ids of which the database holds none
    (another machine's file seen for the first time) passes the file over whole. The merge
    leaves out held events anyway, so a held event the sample missed costs time, not
    correctness."""

    SAMPLE = 64

    def __init__(self, store: Store):
        self.store = store
        self._ids: set[str] | None = None

    def for_lines(self, raws: list[str]) -> "set[str] | frozenset[str]":
        if self._ids is not None:
            return self._ids
        sample = [raw[7:43] if raw.startswith(ID_PREFIX) else raw[8:44] for raw in raws[:: max(1, len(raws) // self.SAMPLE)]]
        marks = ", ".join("?" * len(sample))
        tables = dict.fromkeys(TABLE_OF.values())
        with self.store._errors():
            if sample and all(self.store.conn.execute(f"SELECT 1 FROM {t} WHERE uid IN ({marks}) LIMIT 1", sample).fetchone() is None
                              for t in tables):
                return frozenset()
        self._ids = held_ids(self.store)
        return self._ids


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LogError(f"{name}:{line}: not UTF-8 text") from None


def _header(raw: str, where: str) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        raise _fail(where, None, f"malformed JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise _fail(where, "format", f'expected a gdgrill log: the first line is {{"format": "{FORMAT}", …}}')
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail(where, "version", f"{version!r}: expected 1")
    if version > VERSION:
        raise _fail(where, "version", f"written by a newer gdgrill (log version {version}); upgrade gdgrill to read it")
    machine = obj.get("machine")
    if machine is not None and not (isinstance(machine, str) and machine):
        raise _fail(where, "machine", f"{machine!r}: expected a machine id or null")
    return obj


# How gdgrill writes every event line: its id first (a sync file's; an export's, spaced).
ID_PREFIX = '{"id":"'
SPACED_ID_PREFIX = '{"id": "'


def parse_jsonl(data: bytes, name: str, *, need_trailer: bool = False,
                known: "set[str] | frozenset[str] | KnownIds" = frozenset()) -> ParsedLog:
    """A JSON-lines log checked line by line. The header must come first; a trailer, when
    present (required with ``need_trailer``), must match the events before it.

    With a trailer, the checksum vouches for every line, so lines whose id (written first
    by gdgrill) is in ``known`` (a set, or a :class:`KnownIds`) are counted and passed over
    without decoding: a sync reads only what is new to it."""
    text = _decode(data, name)
    lines = text.split("\n")
    if _clean(text, lines):  # as gdgrill writes a log: line n is lines[n - 1]
        numbers: Sequence[int] = range(1, len(lines))
        raws = lines[:-1]
    else:
        body = [(n, raw.rstrip("\r")) for n, raw in enumerate(lines, 1) if raw.strip()]
        numbers, raws = [n for n, _ in body], [raw for _, raw in body]
    if not raws:
        raise LogError(f"{name}: an empty file, not a gdgrill log")
    head = _header(raws[0], f"{name}:{numbers[0]}")
    numbers, raws = numbers[1:], raws[1:]
    trailer: tuple[int, dict[str, Any]] | None = None
    if raws and raws[-1].lstrip().startswith('{"end"'):
        n, raw = numbers[-1], raws[-1]
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            raise _fail(f"{name}:{n}", None, f"malformed JSON ({getattr(exc, 'msg', exc)})") from None
        if isinstance(obj, dict) and "end" in obj:
            trailer = (n, obj)
            numbers, raws = numbers[:-1], raws[:-1]
    if trailer is not None:
        n, obj = trailer
        where = f"{name}:{n}"
        if obj.get("events") != len(raws):
            raise _fail(where, "events", f"the log says {obj.get('events')!r} events but holds {len(raws)}: it was cut or edited")
        digest = hashlib.sha256((("\n".join(raws) + "\n") if raws else "").encode("utf-8", "surrogatepass")).hexdigest()
        if obj.get("sha256") != digest:
            raise _fail(where, "sha256", "the events do not match their checksum: the file was changed after it was written")
    elif need_trailer:
        raise LogError(f"{name}: no closing line: the file is still being written or was cut short")
    skipped = 0
    if isinstance(known, KnownIds):
        known = known.for_lines(raws) if trailer is not None else frozenset()
    if known and trailer is not None and not (
        known.isdisjoint(map(itemgetter(slice(7, 43)), raws)) and known.isdisjoint(map(itemgetter(slice(8, 44)), raws))
    ):
        todo = [i for i, raw in enumerate(raws)
                if not ((raw[7:43] in known and raw.startswith(ID_PREFIX)) or (raw[8:44] in known and raw.startswith(SPACED_ID_PREFIX)))]
        skipped = len(raws) - len(todo)
        if skipped:
            numbers, raws = [numbers[i] for i in todo], [raws[i] for i in todo]
    return ParsedLog(_checked(numbers, raws, name), head.get("machine"), trailer is not None, skipped, trailer[1].get("sha256") if trailer else None)


_SPACE_LINE = re.compile(r"\n[^\S\n]+\n")


def _clean(text: str, lines: list[str]) -> bool:
    """Whether ``text`` (split into ``lines``) ends its last line and has no line that
    is blank or ends in a carriage return: each line is then as it reads."""
    return (len(lines) > 1 and lines[-1] == "" and "\r" not in text and "\n\n" not in text
            and lines[0].strip() != "" and lines[-2].strip() != "" and _SPACE_LINE.search(text) is None)


def _decoded_lines(body: list[tuple[int, str]], name: str) -> list[Event]:
    """The events of ``body`` (line number, text), each line decoded and checked."""
    # One decode for the whole file (a line that is not one JSON value is found line by line).
    try:
        objs = json.loads("[" + ",".join(raw for _, raw in body) + "]") if body else []
    except ValueError:
        objs = None
    if objs is None or len(objs) != len(body):
        objs = []
        for n, raw in body:
            try:
                objs.append(json.loads(raw))
            except ValueError as exc:
                raise _fail(f"{name}:{n}", None, f"malformed JSON ({getattr(exc, 'msg', exc)})") from None
    return [_event(obj, f"{name}:{n}") for (n, _), obj in zip(body, objs)]


def _event(obj: Any, where: str) -> Event:
    if type(obj) is dict and "kind" not in obj and ("end" in obj or "format" in obj):
        raise _fail(where, None, "another log's first or closing line inside this one (two files joined?)")
    return parse_event(obj, where)


_CSV_TYPES = {
    "seconds": "real", "per_day": "whole", "hints_used": "whole", "total": "whole", "score": "whole",
    "suspended": "bool", "detail": "json", "ratings": "json", "bands": "json",
}


def _csv_value(where: str, field: str, cell: str) -> Any:
    if cell == "":
        return None
    kind = _CSV_TYPES.get(field)
    try:
        if kind == "real":
            return float(cell)
        if kind == "whole":
            return int(cell)
        if kind == "json":
            return json.loads(cell)
    except ValueError:
        expected = {"real": "a number", "whole": "a whole number", "json": "JSON"}[kind]
        raise _fail(where, field, f"{cell!r}: expected {expected}") from None
    if kind == "bool":
        if cell.lower() not in ("true", "false"):
            raise _fail(where, field, f"{cell!r}: expected true or false")
        return cell.lower() == "true"
    return cell


def parse_csv(data: bytes, name: str) -> ParsedLog:
    """A CSV export (a header row naming the columns, then one event a row). An empty cell
    is a missing value."""
    import csv
    import io

    text = _decode(data, name)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        columns = next(reader)
    except StopIteration:
        raise LogError(f"{name}: an empty file, not a gdgrill log") from None
    except csv.Error as exc:
        raise LogError(f"{name}:1: malformed CSV ({exc})") from None
    missing = [c for c in COMMON if c not in columns]
    if missing:
        raise _fail(f"{name}:1", missing[0], "a column every gdgrill log has is missing (export with 'gdgrill export log FILE --format csv')")
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise _fail(f"{name}:1", unknown[0], "not a column of a gdgrill log")
    events = []
    try:
        for row in reader:
            where = f"{name}:{reader.line_num}"
            if not any(row):
                continue
            if len(row) != len(columns):
                raise _fail(where, None, f"{len(row)} cells where the header names {len(columns)}")
            cells = dict(zip(columns, row))
            kind = cells.get("kind")
            fields = COMMON + FIELDS.get(kind, ())
            stray = [c for c in columns if c not in fields and cells[c] != ""]
            if kind in FIELDS and stray:
                raise _fail(where, stray[0], f"not a field of a {kind} event: leave it empty")
            obj = {c: _csv_value(where, c, cells[c]) for c in fields if c in cells}
            events.append(parse_event(obj, where))
    except csv.Error as exc:
        raise LogError(f"{name}:{reader.line_num}: malformed CSV ({exc})") from None
    return ParsedLog(events, None, False)


def parse_log(data: bytes, name: str, format: str | None = None) -> ParsedLog:
    """A log file in ``format`` (jsonl or csv; None: JSON lines when it starts with '{')."""
    if format is None:
        format = "jsonl" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" else "csv"
    return parse_jsonl(data, name) if format == "jsonl" else parse_csv(data, name)


# -- merging ---------------------------------------------------------------------------------

# Each table's columns as a merge writes them (after id): uid first.
_COLUMNS = {
    "reviews": ("uid", "origin", "item_id", "reviewed_at", "day", "grade", "mode", "effect", "answer", "seconds", "detail", "undoes"),
    "plans": ("uid", "origin", "set_at", "day", "interview", "per_day", "focus"),
    "suspensions": ("uid", "origin", "item", "set_at", "day", "suspended"),
    "practice_ratings": ("uid", "origin", "problem", "rated_at", "day", "rating", "hints_used", "answer"),
    "assessments": ("uid", "origin", "taken_at", "day", "ratings", "total"),
    "grills": ("uid", "origin", "taken_at", "day", "score", "total", "bands", "seconds"),
}


def _row(e: Event, origin: str | None) -> tuple:
    """An event as its table's row (see _COLUMNS); a review's or an undo's item as its key,
    for :func:`_merge_reviews` to turn into the item's id."""
    v = e.values
    if e.kind == "review":
        detail = json.dumps(v["detail"], sort_keys=True) if v["detail"] else None
        return (e.uid, origin, v["item"], e.at, e.day, v["grade"], v["mode"], EFFECTS[v["counts"]],
                v["answer"], v["seconds"], detail, None)
    if e.kind == "undo":
        return (e.uid, origin, v["item"], e.at, e.day, "undo", v["mode"], NO_EFFECT, None, None, None, v["undoes"])
    if e.kind == "plan":
        return (e.uid, origin, e.at, e.day, v["interview"], v["per_day"], v["focus"])
    if e.kind == "suspension":
        return (e.uid, origin, v["item"], e.at, e.day, int(v["suspended"]))
    if e.kind == "practice":
        return (e.uid, origin, v["problem"], e.at, e.day, v["rating"], v["hints_used"], v["answer"])
    if e.kind == "assessment":
        return (e.uid, origin, e.at, e.day, json.dumps(v["ratings"]), v["total"])
    return (e.uid, origin, e.at, e.day, v["score"], v["total"], json.dumps(v["bands"]), v["seconds"])


def _absent(conn, table: str, uids: list[str]) -> set[str]:
    """The ``uids`` that ``table`` does not hold: looked up a few hundred at a time, or,
    for many, read off the id index from the smallest of them on."""
    if len(uids) > 2000:
        held = {u for (u,) in conn.execute(f"SELECT uid FROM {table} WHERE uid >= ?", (min(uids),))}
        return {u for u in uids if u not in held}
    held = set()
    for i in range(0, len(uids), 500):
        chunk = uids[i: i + 500]
        marks = ", ".join("?" * len(chunk))
        held.update(u for (u,) in conn.execute(f"SELECT uid FROM {table} WHERE uid IN ({marks})", chunk))
    return set(uids) - held


def _check_undos(conn, undos: list[Event], arriving) -> None:
    """Each new undo takes back a review held here or arriving with it, of its item.
    ``arriving(uid)``: (kind, item) of the new event with that id, or None."""
    for e in undos:
        found = arriving(e.values["undoes"])
        if found is None:
            row = conn.execute(
                "SELECT r.grade, i.key FROM reviews r JOIN items i ON i.id = r.item_id WHERE r.uid = ?", (e.values["undoes"],)
            ).fetchone()
            found = None if row is None else ("undo" if row[0] == "undo" else "review", row[1])
        if found is None or found[0] not in ("review", "undo"):
            raise _fail(e.where, "undoes", f"no review {e.values['undoes']} in the file or the database to take back")
        if found[0] == "undo":
            raise _fail(e.where, "undoes", "names an undo: only a review can be taken back")
        if found[1] != e.values["item"]:
            raise _fail(e.where, "item", f"{e.values['item']!r}, but the review it takes back is of {found[1]!r}")


def _set_indexes_aside(conn, table: str, writing: int, *, uid_too: bool = False) -> list[tuple[str, str]]:
    """Writing a large share of a table row by row costs more in index updates than
    building its indexes again from the finished table: then its indexes (but the event id
    one, unless ``uid_too``) are dropped, to be made again by the caller inside the same
    transaction."""
    if writing < REBUILD_MIN_ROWS:
        return []
    kept = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    if writing * 2 < kept:
        return []
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL AND (? OR name != ?)",
        (table, uid_too, f"{table}_uid"),
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    return indexes


def _insert_many(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT ``rows`` into ``table``, many rows a statement (cheaper than executemany's one)."""
    import itertools

    per = max(1, min(1000, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))
    one = "(" + ", ".join("?" * len(columns)) + ")"
    full = f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * per)
    whole = len(rows) - len(rows) % per
    for i in range(0, whole, per):
        conn.execute(full, list(itertools.chain.from_iterable(rows[i: i + per])))
    if whole < len(rows):
        rest = rows[whole:]
        conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * len(rest)),
                     list(itertools.chain.from_iterable(rest)))


# The columns of the reviews on their way in: the table's (see _COLUMNS), then the batch
# each came in.
_STAGED = _COLUMNS["reviews"] + ("batch",)


class _Staged(NamedTuple):
    rows: int  # new reviews and undos in temp._incoming
    by_batch: list[Counter]  # of them, by kind
    undos: list[Event]  # the new undos, in file order (to check)


def _stage_reviews(conn, batches: list[tuple["Events", str | None]], repeats: set[tuple[int, int]]) -> _Staged:
    """Put the reviews and undos of ``batches`` that the database does not hold, and that
    do not repeat an earlier one, into temp._incoming, each with its item's id (new items
    are added: those of the events held here are known, as they are)."""
    slow = [[(n, e) for n, e in events.others if e.kind in ("review", "undo") and (b, n) not in repeats]
            for b, (events, _) in enumerate(batches)]
    # Each batch's reviews read in bulk (see _fast_reviews), those that repeat none.
    fast = [[g for n, g in zip(events.lines, events.reviews) if (b, n) not in repeats] if repeats else events.reviews
            for b, (events, _) in enumerate(batches)]
    uids = [g[0] for groups in fast for g in groups] + [e.uid for events in slow for _, e in events]
    sample = uids[:: max(1, len(uids) // 64)]
    if sample and conn.execute(
        f"SELECT 1 FROM reviews WHERE uid IN ({', '.join('?' * len(sample))}) LIMIT 1", sample
    ).fetchone() is not None:
        # Some are held here (a file merged before): those are left out now, and the rest
        # is not looked up again once staged.
        new = _absent(conn, "reviews", uids)
        fast = [[g for g in groups if g[0] in new] for groups in fast]
        slow = [[(n, e) for n, e in events if e.uid in new] for events in slow]
    else:
        new = None
    keys = list(dict.fromkeys([g[4] for groups in fast for g in groups] + [e.values["item"] for events in slow for _, e in events]))
    ids = _item_ids(conn, keys)
    if len(ids) < len(keys):  # items first seen here, added in the order they come
        conn.executemany("INSERT INTO items (key) VALUES (?)", [(k,) for k in keys if k not in ids])
        ids = _item_ids(conn, keys)
    conn.execute("DROP TABLE IF EXISTS temp._incoming")
    conn.execute(f"CREATE TEMP TABLE _incoming ({', '.join(_STAGED)}, PRIMARY KEY (uid)) WITHOUT ROWID")
    rows: list[tuple] = []
    by_batch = [Counter() for _ in batches]
    for b, (_, origin) in enumerate(batches):
        start = len(rows)
        rows += [
            (uid, origin, ids[item], at, day, grade, mode, EFFECTS[counts], _answer(answer), _seconds(seconds), _detail(detail), None, b)
            for uid, at, _, day, item, grade, mode, counts, answer, seconds, detail in fast[b]
        ]
        by_batch[b]["review"] = len(rows) - start
        for _, e in slow[b]:
            uid, _, item, *rest = _row(e, origin)
            rows.append((uid, origin, ids[item], *rest, b))
            by_batch[b][e.kind] += 1
    _insert_many(conn, "temp._incoming", _STAGED, rows)
    held = [] if new is not None else conn.execute(
        "SELECT m.uid, m.batch, m.grade FROM _incoming m JOIN reviews r ON r.uid = m.uid").fetchall()
    if held:
        conn.execute("DELETE FROM _incoming WHERE uid IN (SELECT m.uid FROM _incoming m JOIN reviews r ON r.uid = m.uid)")
        for _, b, grade in held:
            by_batch[b]["undo" if grade == "undo" else "review"] -= 1
    gone = {uid for uid, _, _ in held}
    undos = [e for events in slow for _, e in events if e.kind == "undo" and e.uid not in gone]
    return _Staged(len(rows) - len(held), by_batch, undos)


def _merge_reviews(conn, staged: int, undos: bool) -> None:
    """Insert the ``staged`` rows of temp._incoming (an undo's undoes as the target's uid;
    ``undos``: there are some) so that ids keep the order of uids, as :func:`_merge_table`
    does, in bulk: the table's rows after the first new uid join them there (a table keyed
    on uid, so read in uid order), and all are written after the table's last id in one
    statement."""
    columns = _COLUMNS["reviews"]
    names = ", ".join(columns)
    (first,) = conn.execute("SELECT MIN(uid) FROM _incoming").fetchone()
    # Two statements: SQLite reads a lone MIN or MAX off an index, two together by a scan.
    (base,) = conn.execute("SELECT COALESCE(MAX(id), 0) FROM reviews").fetchone()
    (newest,) = conn.execute("SELECT MAX(uid) FROM reviews").fetchone()
    cut = None if newest is None or first > newest else conn.execute("SELECT MIN(id) FROM reviews WHERE uid > ?", (first,)).fetchone()[0]
    moved = 0 if cut is None else conn.execute("SELECT COUNT(*) FROM reviews WHERE id >= ?", (cut,)).fetchone()[0]
    if moved:
        undos = undos or conn.execute("SELECT 1 FROM reviews WHERE undoes IS NOT NULL AND id >= ? LIMIT 1", (cut,)).fetchone() is not None
        taken = ", ".join("CASE WHEN x.undoes IS NOT NULL THEN (SELECT t.uid FROM reviews t WHERE t.id = x.undoes) END"
                          if c == "undoes" else f"x.{c}" for c in columns)
        conn.execute(f"INSERT INTO _incoming ({names}) SELECT {taken} FROM reviews x WHERE x.id >= ?", (cut,))
    # Appended rows keep the indexes up to date for less than their rebuilding costs,
    # unless they outnumber the table's several times; moved rows do not.
    aside = _set_indexes_aside(conn, "reviews", staged + moved, uid_too=True) if moved or staged > 4 * base else []
    plain = ", ".join("NULL" if c == "undoes" else c for c in columns)
    # Every row was checked (a new one by the log's checks, a moved one when first
    # written), and the table's CHECKs, evaluated row by row, would double the cost.
    conn.execute("PRAGMA ignore_check_constraints = ON")
    try:
        if aside or not moved:
            # New ids after the last one (the moved rows' old copies still hold theirs).
            conn.execute(f"INSERT INTO reviews ({names}) SELECT {plain} FROM _incoming ORDER BY uid")
            if moved:
                conn.execute("DELETE FROM reviews WHERE id BETWEEN ? AND ?", (cut, base))
        else:  # a few rows moved: the id index forbids two copies of one
            conn.execute("DELETE FROM reviews WHERE id >= ?", (cut,))
            conn.execute(f"INSERT INTO reviews (id, {names}) SELECT ? + row_number() OVER (ORDER BY uid), {plain} FROM _incoming", (base,))
    finally:
        conn.execute("PRAGMA ignore_check_constraints = OFF")
    for _, sql in aside:
        conn.execute(sql)
    if undos:  # point each undo at its review's id, now that every row has one
        conn.execute(
            "UPDATE reviews SET undoes = (SELECT t.id FROM _incoming m JOIN reviews t ON t.uid = m.undoes WHERE m.uid = reviews.uid)"
            " WHERE id > ? AND grade = 'undo'",
            (base,),
        )


def _merge_table(store: Store, table: str, rows: list[tuple]) -> None:
    """Insert ``rows`` (uid first) so that ids keep the order of uids: the table's rows
    after the first new uid move, with the new ones, after the table's last id. The moving
    is done inside SQLite, through a temporary table."""
    conn = store.conn
    columns = _COLUMNS[table]
    names = ", ".join(columns)
    first = min(r[0] for r in rows)
    base, newest = conn.execute(f"SELECT COALESCE(MAX(id), 0), MAX(uid) FROM {table}").fetchone()
    if newest is None or first > newest:  # all newer than what is here: appended as they are
        rows.sort(key=lambda r: r[0])
        aside = _set_indexes_aside(conn, table, len(rows))
        marks = ", ".join("?" * (len(columns) + 1))
        conn.executemany(f"INSERT INTO {table} (id, {names}) VALUES ({marks})", ((base + n, *r) for n, r in enumerate(rows, 1)))
        for _, sql in aside:
            conn.execute(sql)
        return
    conn.execute("DROP TABLE IF EXISTS temp._merging")
    conn.execute(f"CREATE TEMP TABLE _merging AS SELECT {names} FROM {table} WHERE 0")
    conn.executemany(f"INSERT INTO _merging ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
    conn.execute(f"INSERT INTO _merging ({names}) SELECT {names} FROM {table} x WHERE x.uid > ?", (first,))
    conn.execute(f"DELETE FROM {table} WHERE uid > ?", (first,))
    aside = _set_indexes_aside(conn, table, conn.execute("SELECT COUNT(*) FROM _merging").fetchone()[0])
    # Sorted once into a table whose row ids are the new order, then copied in that order.
    conn.execute("DROP TABLE IF EXISTS temp._sorted")
    conn.execute(f"CREATE TEMP TABLE _sorted AS SELECT {names} FROM _merging ORDER BY uid")
    conn.execute(f"INSERT INTO {table} (id, {names}) SELECT ? + rowid, {names} FROM _sorted ORDER BY rowid", (base,))
    for _, sql in aside:
        conn.execute(sql)
    conn.execute("DROP TABLE temp._merging")
    conn.execute("DROP TABLE temp._sorted")


class MergeResult(NamedTuple):
    added: Counter  # new events by kind
    known: int  # events the database held already
    by_batch: list[Counter]  # new events by kind, for each batch (an event in two: the first)


REBUILD_MIN_ROWS = 20_000
MERGE_CACHE_KIB = -262144  # 256 MiB at most (pages are only taken as needed)


class _DryRun(Exception):
    pass


def _repeats(batches: list[tuple[Events, str | None]]) -> set[tuple[int, int]]:
    """(batch, line) of each event whose id came earlier in the batches, with the same
    contents (a different one is refused with both places)."""
    uids = [g[0] for events, _ in batches for g in events.reviews] + [e.uid for events, _ in batches for _, e in events.others]
    if len(set(uids)) == len(uids):
        return set()
    first: dict[str, Event] = {}
    repeats = set()
    for b, (events, _) in enumerate(batches):
        for n, e in events.numbered():
            prior = first.get(e.uid)
            if prior is None:
                first[e.uid] = e
            elif prior[:5] != e[:5]:
                raise _fail(e.where, "id", f"{e.uid} is also the id of a different event ({prior.where})")
            else:
                repeats.add((b, n))
    return repeats


def merge(
    store: Store, batches: Iterable[tuple[Sequence[Event], str | None]], *, dry_run: bool = False, record=None
) -> MergeResult:
    """Merge batches of events, each with the origin to record (None: made here, or
    imported; a machine id: merged from that machine's sync file), in one transaction.
    Events the database holds are skipped; a bad undo raises a LogError and nothing is
    written. ``dry_run``: count what would be added, write nothing. ``record(conn)``, when
    given, writes its own bookkeeping inside the same transaction."""
    batches = [(events if isinstance(events, Events) else Events.of(events), origin) for events, origin in batches]
    repeats = _repeats(batches)  # (batch, line) of the events to leave out
    result = None
    conn = store.conn
    # Renumbering rows rewrites every index of the table: give SQLite room for them
    # (its default cache is 2 MB), for this merge only.
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {MERGE_CACHE_KIB}")
    conn.execute("PRAGMA temp_store = MEMORY")  # the rows being renumbered, and their sort
    try:
        with store._errors(), store._transaction():
            staged = _stage_reviews(conn, batches, repeats)
            by_batch = staged.by_batch
            # The other events, by table.
            by_table: dict[str, list[tuple[Event, str | None, int]]] = {}
            for b, (events, origin) in enumerate(batches):
                for n, e in events.others:
                    if e.kind not in ("review", "undo") and (b, n) not in repeats:
                        by_table.setdefault(TABLE_OF[e.kind], []).append((e, origin, b))
            for table, tagged in by_table.items():
                new = _absent(conn, table, [e.uid for e, _, _ in tagged])
                by_table[table] = [t for t in tagged if t[0].uid in new]
            if staged.undos:
                others = {e.uid: (e.kind, e.values.get("item")) for tagged in by_table.values() for e, _, _ in tagged}

                def arriving(uid: str) -> tuple[str, str] | None:
                    row = conn.execute("SELECT m.grade, i.key FROM _incoming m JOIN items i ON i.id = m.item_id WHERE m.uid = ?", (uid,)).fetchone()
                    return others.get(uid) if row is None else ("undo" if row[0] == "undo" else "review", row[1])

                _check_undos(conn, staged.undos, arriving)
            if staged.rows:
                _merge_reviews(conn, staged.rows, bool(staged.undos))
            conn.execute("DROP TABLE temp._incoming")
            for table, tagged in by_table.items():
                if tagged:
                    _merge_table(store, table, [_row(e, origin) for e, origin, _ in tagged])
                for e, _, b in tagged:
                    by_batch[b][e.kind] += 1
            added: Counter = Counter()
            for counts in by_batch:
                added.update(counts)
            if record is not None:
                record(conn)
            total = sum(len(events) for events, _ in batches) - len(repeats)
            result = MergeResult(+added, total - sum(added.values()), [+c for c in by_batch])
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")
    return result  # type: ignore[return-value]


def _item_ids(conn, keys: list[str]) -> dict[str, int]:
    """The ids of those of the items ``keys`` ('deck/card') that the database knows."""
    ids: dict[str, int] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i: i + 500]
        ids.update(conn.execute(f"SELECT key, id FROM items WHERE key IN ({', '.join('?' * len(chunk))})", chunk))
    return ids


def describe(added: Counter) -> str:
    """'3 reviews, 1 undo, 1 plan' for a count of events by kind."""
    names = {"review": ("review", "reviews"), "undo": ("undo", "undos"), "plan": ("plan", "plans"),
             "suspension": ("suspension", "suspensions"), "practice": ("practice rating", "practice ratings"),
             "assessment": ("assessment", "assessments"), "grill": ("grill", "grills")}
    parts = [f"{added[k]} {names[k][added[k] != 1]}" for k in KINDS if added.get(k)]
    return ", ".join(parts) if parts else "nothing new"
