"""The bulk paths of export, import and sync (issue 14, speed): lines written by SQLite are
the lines Python writes, a review read in bulk is the review the field checks read (and a
bad one is refused with the same line), old sync files still merge, and this machine's file
grows by its new events instead of being written again."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import gdgrill.eventlog as eventlog
import gdgrill.sync as sync_module
from gdgrill.cli import app
from gdgrill.eventlog import (
    LogError, event_lines, events, export_jsonl, header, held_ids, parse_jsonl, write_jsonl,
)
from gdgrill.scheduler import Grade
from gdgrill.store import open_store
from gdgrill.sync import machine_id, sync, sync_file_name
from test_eventlog import every_kind_of_event

runner = CliRunner()
D0 = date(2026, 3, 2)
STAMP = "2026-03-02T00:00:00+00:00"
SPACED = json.JSONEncoder(ensure_ascii=False).encode
COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
AWKWARD = 'a "quoted" \\ back\\slash\ttab\nline\x01\x1f\x7f é € \u2028 \ufeff 😀 {"id": ", "kind":'


def ok(home: Path, *args: str) -> str:
    result = runner.invoke(app, list(args), env={"GDGRILL_HOME": str(home), "GDGRILL_TODAY": D0.isoformat()})
    assert result.exit_code == 0, result.output
    return result.stdout


def awkward_log(home: Path) -> None:
    """Every kind of event, and values SQL might write differently from Python: text that
    JSON escapes, real numbers, details, an undo of a review made with an answer."""
    every_kind_of_event(home)
    with open_store(home) as store:
        first = store.record_review(f"d/{AWKWARD}", Grade.PASS, AWKWARD, day=D0, answer=AWKWARD, seconds=0.1 + 0.2)
        store.record_review("d/c", Grade.FAIL, "timed", day=D0, seconds=1e-05, detail={"z": [1, 2.5], "é": AWKWARD})
        store.record_review("d/c", Grade.EASY, "quiz", day=D0, seconds=12.345, answer="")
        store.record_review("d/c", Grade.PASS, "quiz", day=D0, seconds=1e16)
        store.undo(first, day=D0)
        store.suspend(f"d/{AWKWARD}", day=D0)
        store.record_practice(AWKWARD, "no_hire", 3, day=D0, answer=AWKWARD)


@pytest.mark.parametrize("compact", [False, True])
def test_lines_written_by_sqlite_are_those_python_writes_for_every_kind_of_event(tmp_path, compact):
    home = tmp_path / "h"
    awkward_log(home)
    encode = COMPACT if compact else SPACED
    with open_store(home) as store:
        assert list(event_lines(store, compact=compact)) == [encode(e) for e in events(store)]
        assert list(event_lines(store, machine="elsewhere", compact=compact)) == [encode(e) for e in events(store, machine="elsewhere")]
        # Values SQL does not write alike (a damaged row: a real number where a whole one
        # belongs) are written by Python, in their place.
        store.conn.execute("UPDATE practice_ratings SET hints_used = 2.5 WHERE id = 1")
        assert list(event_lines(store, compact=compact)) == [encode(e) for e in events(store)]


def test_an_export_is_written_byte_for_byte_as_before_and_the_same_without_sqlites_help(tmp_path, monkeypatch):
    home = tmp_path / "h"
    awkward_log(home)
    with open_store(home) as store:
        before = io.BytesIO()
        write_jsonl(before, events(store), header(None, STAMP))  # the records, encoded by Python alone
        fast = io.BytesIO()
        export_jsonl(fast, store, header(None, STAMP))
        # An SQLite that escaped text its own way would write nothing itself.
        monkeypatch.setattr(eventlog, "_quotes_alike", {sqlite3.sqlite_version: False})
        slow = io.BytesIO()
        export_jsonl(slow, store, header(None, STAMP))
    assert fast.getvalue() == before.getvalue() == slow.getvalue()
    assert fast.getvalue().split(b"\n")[1].startswith(b'{"id": "')  # an export keeps its spaces


# -- a review read in bulk is the one the field checks read --------------------------------

UID = "01a233f0-1260-784e-942e-8cc7dc911ca8"
GOOD = {
    "id": UID, "kind": "review", "at": "2026-03-02T09:00:00+00:00", "day": "2026-03-02",
    "item": "optimizers/adam-bias-correction", "grade": "pass", "mode": "quiz", "counts": "ladder",
    "answer": None, "seconds": None, "detail": None,
}
TEXT = st.text(st.sampled_from('ab/ "\\\t\n\x00\x1f\x7fé€\u2028\ud800😀{}:,'), max_size=6)
# Values each field may hold in a file, odd ones first among them.
ODD = {
    "id": [UID, UID.upper(), UID.replace("-7", "-4", 1), "42", UID + "0", None, 7],
    "at": [
        "2026-03-02T09:00:00+00:00", "2026-03-02T23:59:59-23:59", "2024-02-29T09:00:00+05:30", "2026-02-29T09:00:00+00:00",
        "2026-03-02T24:00:00+00:00", "2026-03-02T09:60:00+00:00", "2026-03-02T09:00:60+00:00", "2026-03-02T09:00:00+24:00",
        "2026-03-02T09:00:00", "2026-03-02 09:00:00+00:00", "2026-03-02T09:00:00.5+00:00", "0000-01-01T00:00:00+00:00",
        "2026-13-01T00:00:00+00:00", "2026-03-02T09:00:00Z", None,
    ],
    "day": ["2026-03-02", "2024-02-29", "2026-02-29", "2026-02-30", "0000-01-01", "20260302", "2026-3-2", "٢٠٢٦-03-02", None, 20260302],
    "item": ["d/c", "/", "d/", "/c", "a//b", "//", "d/c/e", "", 'd/"c"', "d/c\\", "d/\ud800", None, 3],
    "grade": ["pass", "fail", "easy", "undo", "", "PASS", None],
    "mode": ["quiz", "", "q\tz", None, 1],
    "counts": ["ladder", "stats", "none", "x", None],
    "answer": [None, "", "0.9, 0.999", 'say "no"', "a\\b", "\x00", 0.9],
    "seconds": [None, 0, 5, -5, -0.5, -0.0, 0.0, 0.1, 4.25, 1e-07, 1e16, 10**15, 10**16, float("inf"), float("nan"), "5", True],
    "detail": [
        None, {}, {"a": 1}, [1], "x", {"key_points": 3, "key_points_hit": [0, 2]}, {"key_points_hit": [], "key_points": 0},
        {"auto": True, "read_as": "3.2", "override": False}, {"misconception": None}, {"a": -0}, {"a": 10**17},
        {"a": 1.5}, {"a": {"b": 1}}, {"a": [1, "x"]}, {"a": 'say "no"'}, {"a": "back\\slash"}, {"é": 1}, {"1a": 1}, {"": 1},
    ],
}
FIELD = {name: st.sampled_from(values) for name, values in ODD.items()}
FIELD.update(item=FIELD["item"] | TEXT, mode=FIELD["mode"] | TEXT, answer=FIELD["answer"] | TEXT,
             seconds=FIELD["seconds"] | st.integers(-5, 10**20) | st.floats(allow_nan=True, allow_infinity=True),
             detail=FIELD["detail"] | st.dictionaries(
                 TEXT | st.sampled_from(["key_points", "key_points_hit", "auto", "read_as"]),
                 st.none() | st.booleans() | st.integers(-10**17, 10**17) | TEXT | st.lists(st.integers(-3, 10**16), max_size=3)
                 | st.floats(allow_nan=False), max_size=3))


@st.composite
def review_line(draw) -> str:
    record = dict(GOOD)
    for name in draw(st.lists(st.sampled_from(sorted(FIELD)), max_size=3, unique=True)):
        record[name] = draw(FIELD[name])
    if draw(st.integers(0, 9)) == 0:
        del record[draw(st.sampled_from(sorted(record)))]
    if draw(st.integers(0, 9)) == 0:
        record["colour"] = "red"
    layout = draw(st.sampled_from([(", ", ": "), (",", ":")]))
    return json.dumps(record, ensure_ascii=draw(st.booleans()), separators=layout)


def edited(line: str, edits: list[tuple[int, int, str]]) -> str:
    for where, kind, char in edits:
        at = where % (len(line) + 1)
        line = line[:at] + char + line[at:] if kind == 0 else line[:at] + line[at + 1:] if kind == 1 else line[:at] + char + line[at + 1:]
    return line


EDIT = st.tuples(st.integers(0, 400), st.integers(0, 2), st.sampled_from('"\\ ,:{}0-7af/\tx'))


def read_both_ways(lines: list[str]) -> tuple[object, object]:
    """What parse_jsonl makes of a log of ``lines`` (after one good review), and what the
    checks line by line make of them (_decoded_lines: every line decoded by json and
    checked by parse_event, as every line was before the bulk path): the events, or the
    error."""
    data = ("\n".join([SPACED(eventlog.header(None, STAMP)), SPACED(GOOD), *lines]) + "\n").encode("utf-8", "surrogatepass")

    def line_by_line():
        body = eventlog._decode(data, "log.jsonl").split("\n")[1:-1]
        return eventlog._decoded_lines(list(enumerate(body, 2)), "log.jsonl")

    def outcome(read):
        try:
            return [tuple(e) for e in read()]
        except LogError as exc:
            return str(exc)

    return outcome(lambda: parse_jsonl(data, "log.jsonl").events), outcome(line_by_line)


@pytest.mark.parametrize("layout", [(", ", ": "), (",", ":")])
def test_each_odd_value_of_each_field_is_read_in_bulk_as_the_field_checks_read_it(layout):
    for name, values in ODD.items():
        for value in values:
            for ensure_ascii in (False, True):
                line = json.dumps({**GOOD, name: value}, ensure_ascii=ensure_ascii, separators=layout)
                bulk, checked = read_both_ways([line])
                assert bulk == checked, line


@settings(max_examples=300)
@given(st.lists(review_line(), min_size=1, max_size=3))
def test_a_review_read_in_bulk_is_the_one_the_field_checks_read_and_a_bad_one_is_refused_alike(lines):
    bulk, checked = read_both_ways(lines)
    assert bulk == checked


@settings(max_examples=300)
@given(st.sampled_from([SPACED(GOOD), COMPACT(GOOD), COMPACT({**GOOD, "answer": "it is 0.9", "seconds": 4.25})]),
       st.lists(EDIT, min_size=1, max_size=3))
def test_a_review_line_edited_anywhere_is_read_in_bulk_as_the_field_checks_read_it(line, edits):
    bulk, checked = read_both_ways([edited(line, edits)])
    assert bulk == checked


def test_a_bad_review_among_many_is_refused_with_its_line_and_field_in_either_layout(tmp_path):
    home = tmp_path / "h"
    for encode in (SPACED, COMPACT):
        lines = [encode({**GOOD, "id": f"01a233f0-{1260 + n:04x}-784e-942e-8cc7dc911ca8"}) for n in range(50)]
        lines[30] = lines[30].replace('"pass"', '"great"')
        path = tmp_path / "bad.jsonl"
        path.write_text("\n".join([SPACED(header(None, STAMP)), *lines]) + "\n", encoding="utf-8")
        result = runner.invoke(app, ["import", "log", str(path)], env={"GDGRILL_HOME": str(home)})
        assert result.exit_code == 2
        assert result.stderr.strip() == f"gdgrill: error: {path}:32: grade: 'great': expected pass, fail, easy"


# -- sync files, old and new ----------------------------------------------------------------


def study(home: Path, n: int, day: date = D0) -> None:
    with open_store(home) as store:
        for k in range(n):
            store.record_review(f"optimizers/c{k % 7}", Grade.PASS if k % 3 else Grade.FAIL, "quiz", day=day, seconds=1.5 + k)
            time.sleep(0.002)


def test_a_sync_file_written_with_spaces_by_an_older_gdgrill_still_merges_and_its_known_lines_are_passed_over(tmp_path):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    study(b, 5)
    sync_run(b, shared)  # b's file, compact
    old = shared / sync_file_name("phone-12345678")
    with open_store(b) as store:
        with open(old, "wb") as fh:  # the same events, as the version before compact sync files wrote them
            write_jsonl(fh, events(store), header("phone-12345678", STAMP))
        made = [e["id"] for e in events(store)]
    new = shared / sync_file_name(machine_id(b))
    assert old.read_bytes().split(b"\n")[1].startswith(b'{"id": "') and new.read_bytes().split(b"\n")[1].startswith(b'{"id":"')
    result = sync_run(a, shared)
    assert result.added == {"review": 5}  # each event once, though two files hold it
    with open_store(a) as store:
        assert [e["id"] for e in events(store)] == made
        for written in (old, new):
            parsed = parse_jsonl(written.read_bytes(), written.name, need_trailer=True, known=held_ids(store))
            assert (len(parsed.events), parsed.known) == (0, 5)


def sync_run(home: Path, folder: Path):
    with open_store(home) as store:
        return sync(store, home, folder, STAMP)


def whole_file(home: Path) -> bytes:
    """This machine's sync file as written whole from its log."""
    out = io.BytesIO()
    with open_store(home) as store:
        export_jsonl(out, store, header(machine_id(home), STAMP), machine=machine_id(home), compact=True)
    return out.getvalue()


def test_this_machines_file_grows_by_its_new_events_into_the_file_a_whole_write_gives(tmp_path, monkeypatch):
    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    study(a, 4)
    calls = []
    real = sync_module.append_jsonl
    monkeypatch.setattr(sync_module, "append_jsonl", lambda *args, **kw: calls.append("append") or real(*args, **kw))
    sync_run(a, shared)
    own = shared / sync_file_name(machine_id(a))
    assert calls == [] and own.read_bytes() == whole_file(a)  # the first time: written whole
    study(a, 3, D0 + timedelta(days=1))
    with open_store(a) as store:  # an undo and a plan made here count too
        store.undo(store.log()[-1].id, day=D0 + timedelta(days=1))
        store.set_plan(date(2026, 4, 1), 20, "phone", day=D0 + timedelta(days=1))
    result = sync_run(a, shared)
    assert calls == ["append"] and result.rewrote and result.written == 9
    assert own.read_bytes() == whole_file(a)
    assert len(parse_jsonl(own.read_bytes(), own.name, need_trailer=True).events) == 9


def test_this_machines_file_is_written_whole_when_it_is_not_the_version_last_written_or_misses_older_events(tmp_path, monkeypatch):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    study(a, 3)
    sync_run(a, shared)
    own = shared / sync_file_name(machine_id(a))
    calls = []
    real = sync_module.append_jsonl
    monkeypatch.setattr(sync_module, "append_jsonl", lambda *args, **kw: calls.append("append") or real(*args, **kw))
    # Replaced by the spaced layout of an older gdgrill: written whole, compact.
    with open_store(a) as store, open(own, "wb") as fh:
        write_jsonl(fh, events(store, machine=machine_id(a)), header(machine_id(a), STAMP))
    study(a, 1, D0 + timedelta(days=1))
    sync_run(a, shared)
    assert calls == [] and own.read_bytes() == whole_file(a)
    # An event imported here, older than the file's last: written whole, in id order.
    study(b, 1)
    with open_store(b) as store:
        store.conn.execute("UPDATE reviews SET uid = '00000000-0000-7000-8000-000000000001'")
    ok(b, "export", "log", str(tmp_path / "b.jsonl"))
    ok(a, "import", "log", str(tmp_path / "b.jsonl"))
    result = sync_run(a, shared)
    assert calls == [] and result.written == 5 and own.read_bytes() == whole_file(a)
    assert parse_jsonl(own.read_bytes(), own.name).events[0].uid == "00000000-0000-7000-8000-000000000001"


# -- merging in bulk --------------------------------------------------------------------------


def test_a_log_partly_held_here_adds_only_its_new_events_and_items_and_reads_the_same_as_a_fresh_import(tmp_path):
    a, b, fresh = tmp_path / "a", tmp_path / "b", tmp_path / "fresh"
    study(a, 5)
    ok(a, "export", "log", str(tmp_path / "first.jsonl"))
    with open_store(a) as store:  # later events, two of them of a new card
        for k in range(1200):
            store.record_review("schedules/new-card" if k % 600 == 0 else f"optimizers/c{k % 7}", Grade.PASS, "quiz", day=D0 + timedelta(days=1))
    ok(a, "export", "log", str(tmp_path / "all.jsonl"))
    ok(b, "import", "log", str(tmp_path / "first.jsonl"))
    # Most of the file is held (it is looked up first) ...
    assert ok(b, "import", "log", str(tmp_path / "all.jsonl")).strip() == f"imported 1200 new events from {tmp_path / 'all.jsonl'} (1200 reviews); 5 already here"
    ok(fresh, "import", "log", str(tmp_path / "all.jsonl"))
    conn_b, conn_fresh = sqlite3.connect(b / "progress.db"), sqlite3.connect(fresh / "progress.db")
    try:
        for table in ("items", "reviews"):
            assert conn_b.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() == conn_fresh.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        conn_b.close()
        conn_fresh.close()
    # ... or only a little of it: one held event among many new ones is found all the same.
    c = tmp_path / "c"
    with open_store(a) as store:
        last = store.log()[-1]
    with open_store(c) as store:
        store.record_review(last.item, Grade.FAIL, "quiz", day=D0)
        store.conn.execute("UPDATE reviews SET uid = ?", (store_uid(a, last.id),))
    line = ok(c, "import", "log", str(tmp_path / "all.jsonl")).strip()
    assert line == f"imported 1204 new events from {tmp_path / 'all.jsonl'} (1204 reviews); 1 already here"


def store_uid(home: Path, review_id: int) -> str:
    with open_store(home) as store:
        return store.conn.execute("SELECT uid FROM reviews WHERE id = ?", (review_id,)).fetchone()[0]


def test_a_bulk_merge_leaves_the_tables_checks_on(tmp_path, monkeypatch):
    monkeypatch.setattr(eventlog, "REBUILD_MIN_ROWS", 1)  # the bulk path on a small log
    a, b = tmp_path / "a", tmp_path / "b"
    study(a, 6)
    study(b, 6)
    ok(a, "export", "log", str(tmp_path / "a.jsonl"))
    ok(b, "import", "log", str(tmp_path / "a.jsonl"))  # b's rows move after a's
    with open_store(b) as store:
        assert store.conn.execute("PRAGMA ignore_check_constraints").fetchone()[0] == 0
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute("INSERT INTO reviews (item_id, reviewed_at, day, grade, mode, effect, uid) VALUES (1, 'x', 'x', 'great', 'quiz', 2, 'u')")
        uids = [u for (u,) in store.conn.execute("SELECT uid FROM reviews ORDER BY id")]
        assert uids == sorted(uids) and len(uids) == 12


def test_a_lone_surrogate_written_as_a_json_escape_is_imported_as_a_replacement_character(tmp_path):
    home = tmp_path / "h"
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join([SPACED(header(None, STAMP)), json.dumps({**GOOD, "answer": "x\ud800y"})]) + "\n", encoding="utf-8")
    assert "imported 1 new event" in ok(home, "import", "log", str(path))
    with open_store(home) as store:
        assert [r.answer for r in store.log()] == ["x\ufffdy"]
