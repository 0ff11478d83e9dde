"""What a merge refuses about undos, and how a sync recognises a whole file of its own: an
undo must take back a review (never an undo, never another kind of event), found in the
file or in the database; a sync file's closing line and body are read only when they are
what gdgrill wrote."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.eventlog import KnownIds, LogBody, closing_line, export_jsonl, header, held_ids, log_body
from gdgrill.scheduler import Grade
from gdgrill.store import open_store

runner = CliRunner()
D0 = date(2026, 3, 2)
CARD = "optimizers/adam-bias-correction"
AT = "2026-03-02T09:00:00+00:00"
REVIEW = {"id": "01a233f0-1260-784e-942e-8cc7dc911ca8", "kind": "review", "at": AT, "day": "2026-03-02", "item": CARD,
          "grade": "pass", "mode": "quiz", "counts": "ladder", "answer": None, "seconds": None, "detail": None}
UNDO = {"id": "01a233f0-1261-784e-942e-8cc7dc911ca8", "kind": "undo", "at": AT, "day": "2026-03-02", "item": CARD,
        "mode": "quiz", "undoes": REVIEW["id"]}
UNDO_OF_UNDO = {**UNDO, "id": "01a233f0-1262-784e-942e-8cc7dc911ca8", "undoes": UNDO["id"]}


def log_file(tmp_path: Path, *events: dict) -> Path:
    path = tmp_path / f"log-{len(list(tmp_path.iterdir()))}.jsonl"
    lines = [json.dumps({"format": "gdgrill-log", "version": 1, "machine": None})] + [json.dumps(e) for e in events]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def imported(home: Path, path: Path):
    return runner.invoke(app, ["import", "log", str(path)], env={"GDGRILL_HOME": str(home), "GDGRILL_TODAY": D0.isoformat()})


def refused(home: Path, path: Path) -> str:
    with open_store(home) as store:
        before = store.conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    result = imported(home, path)
    assert result.exit_code == 2, result.output
    with open_store(home) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == before  # nothing saved
    (line,) = result.stderr.strip().splitlines()
    return line


# -- undos ------------------------------------------------------------------------------------


def test_an_undo_of_an_undo_in_the_same_file_is_refused_naming_its_line(tmp_path):
    path = log_file(tmp_path, REVIEW, UNDO, UNDO_OF_UNDO)
    assert refused(tmp_path / "h", path) == f"gdgrill: error: {path}:4: undoes: names an undo: only a review can be taken back"


def test_an_undo_of_an_undo_this_database_holds_is_refused(tmp_path):
    home = tmp_path / "h"
    with open_store(home) as store:
        review = store.record_review(CARD, Grade.PASS, "quiz", day=D0)
        store.undo(review, day=D0)
        undo_uid = store.conn.execute("SELECT uid FROM reviews WHERE grade = 'undo'").fetchone()[0]
    later = "ffffffff-ffff-7fff-bfff-ffffffffffff"  # after every id made today
    path = log_file(tmp_path, {**UNDO, "id": later, "undoes": undo_uid})
    assert refused(home, path) == f"gdgrill: error: {path}:2: undoes: names an undo: only a review can be taken back"


def test_an_undo_of_a_review_held_here_takes_it_back_and_one_of_another_card_is_refused(tmp_path):
    home = tmp_path / "h"
    with open_store(home) as store:
        store.record_review(CARD, Grade.FAIL, "quiz", day=D0)
        uid = store.conn.execute("SELECT uid FROM reviews").fetchone()[0]
    later = "ffffffff-ffff-7fff-bfff-ffffffffffff"
    wrong = log_file(tmp_path, {**UNDO, "id": later, "undoes": uid, "item": "optimizers/other"})
    assert refused(home, wrong) == (f"gdgrill: error: {wrong}:2: item: 'optimizers/other', but the review it takes back"
                                    f" is of '{CARD}'")
    right = log_file(tmp_path, {**UNDO, "id": later, "undoes": uid})
    assert imported(home, right).exit_code == 0
    with open_store(home) as store:
        assert store.history(CARD) == []  # the miss is taken back


def test_an_undo_naming_another_kind_of_event_is_refused_as_no_review(tmp_path):
    plan = {"id": "01a233f0-1260-784e-942e-8cc7dc911ca8", "kind": "plan", "at": AT, "day": "2026-03-02",
            "interview": "2026-04-01", "per_day": 20, "focus": "phone"}
    path = log_file(tmp_path, plan, {**UNDO, "undoes": plan["id"]})
    assert refused(tmp_path / "h", path) == (f"gdgrill: error: {path}:3: undoes: no review {plan['id']} in the file or the"
                                             " database to take back")


# -- a sync file's closing line ---------------------------------------------------------------


def whole_log(home: Path, reviews: int) -> bytes:
    with open_store(home) as store:
        for _ in range(reviews):
            store.record_review(CARD, Grade.PASS, "quiz", day=D0, seconds=2.5)
        out = io.BytesIO()
        export_jsonl(out, store, header("laptop-0a1b2c3d", AT), machine="laptop-0a1b2c3d", compact=True)
    return out.getvalue()


def test_the_closing_line_is_read_off_the_end_of_a_log(tmp_path):
    data = whole_log(tmp_path / "h", 3)
    tail = closing_line(data)
    assert tail is not None and tail["events"] == 3 and tail["end"] == "gdgrill-log"
    assert closing_line(data + b"  \n\r\t") == tail  # blank space after it is no matter
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[1]
    assert closing_line(data.replace(last, b"   " + last)) == tail  # nor before it, on its line


@pytest.mark.parametrize("ending", [
    b'{"end": "gdgrill-log", "events": "3", "sha256": "ab"}\n',  # a count that is not a number
    b'{"end": "gdgrill-log", "events": 3, "sha256": 5}\n',  # a checksum that is not text
    b'{"end": "gdgrill-log", "events": 3}\n',
    b'{"end": "gdgrill-log", "sha256": "ab"}\n',
    b'{"end" "gdgrill-log"}\n',  # not JSON
    b'{"end": "gdgrill-log", "events": 3, "sha256": "ab"}\nX',  # something after it
    b'{"id": "x"}\n',  # an event: no closing line yet
])
def test_a_log_without_a_proper_closing_line_has_none(ending):
    assert closing_line(b'{"format":"gdgrill-log"}\n' + ending) is None


def test_a_closing_line_that_is_json_but_not_an_object_is_none():
    assert closing_line(b'{"format":"gdgrill-log"}\n["end", 3]\n') is None


# -- a sync file's body, to extend -----------------------------------------------------------


def test_the_body_of_a_whole_compact_log_holds_its_lines_count_and_last_id(tmp_path):
    home = tmp_path / "h"
    data = whole_log(home, 3)
    with open_store(home) as store:
        last = store.conn.execute("SELECT MAX(uid) FROM reviews").fetchone()[0]
    lines = data.split(b"\n", 1)[1].rsplit(b"\n", 2)[0] + b"\n"
    assert log_body(data) == LogBody(lines, 3, last)


def test_the_body_of_a_log_with_no_events_is_empty(tmp_path):
    data = whole_log(tmp_path / "h", 0)
    assert log_body(data) == LogBody(b"", 0, "")


def test_a_log_is_not_extended_unless_it_is_whole_compact_and_counted_right(tmp_path):
    data = whole_log(tmp_path / "h", 3)
    assert log_body(data) is not None
    assert log_body(data[:-1]) is None  # its closing line not ended
    assert log_body(b"  " + data) is None  # not as gdgrill writes a sync file
    assert log_body(data.replace(b'{"format":"', b'{"format": "', 1)) is None  # the spaced layout of an export
    body = data.split(b"\n", 1)[1].rsplit(b"\n", 2)[0] + b"\n"
    miscounted = data.replace(b'"events":3', b'"events":4')  # the checksum still matches the lines
    assert hashlib.sha256(body).hexdigest() in miscounted.decode() and log_body(miscounted) is None
    edited = data.replace(b'"seconds":2.5', b'"seconds":2.6', 1)  # the count matches, the checksum does not
    assert log_body(edited) is None


def test_a_last_line_with_odd_bytes_where_its_id_goes_is_read_without_failing(tmp_path):
    data = whole_log(tmp_path / "h", 2)
    head, rest = data.split(b"\n", 1)
    lines = rest.rsplit(b"\n", 2)[0] + b"\n"
    first, second = lines.rstrip(b"\n").split(b"\n")
    odd = second[:7] + "é".encode() + second[9:]  # a hand-edited id, not ASCII
    body = first + b"\n" + odd + b"\n"
    trailer = json.dumps({"end": "gdgrill-log", "events": 2, "sha256": hashlib.sha256(body).hexdigest()},
                         separators=(",", ":")).encode()
    found = log_body(head + b"\n" + body + trailer + b"\n")
    assert found is not None and found.events == 2 and "\ufffd" in found.last  # replaced, never a crash


# -- merging: many ids at once, repeats, the other tables in bulk -----------------------------


def review(n: int, item: str = CARD, **changes) -> dict:
    uid = f"01a233f0-{n // 65536:04x}-7{n % 4096:03x}-8000-{n:012x}"
    return {**REVIEW, "id": uid, "item": item, **changes}


def uids_in(home: Path, table: str = "reviews") -> list[str]:
    with open_store(home) as store:
        return [u for (u,) in store.conn.execute(f"SELECT uid FROM {table} ORDER BY id")]


@pytest.mark.parametrize("held, new", [(700, 800), (1500, 200), (2500, 100)])
def test_a_log_partly_held_adds_exactly_the_events_missing_here_however_many_ids_it_looks_up(tmp_path, held, new):
    home = tmp_path / "h"
    everything = [review(n, f"d{n % 1300}/c{n}") for n in range(held + new)]
    first = log_file(tmp_path, *everything[:held])
    assert imported(home, first).exit_code == 0
    both = log_file(tmp_path, *everything[held // 5:])  # most of what is held, and the new
    result = imported(home, both)
    assert result.exit_code == 0 and f"{new} review" in result.stdout
    assert uids_in(home) == [e["id"] for e in everything]
    with open_store(home) as store:  # every item found again by its key (looked up a few hundred at a time)
        assert store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == len({e["item"] for e in everything})


def test_the_same_event_twice_in_one_log_or_in_two_files_is_taken_once(tmp_path):
    home = tmp_path / "h"
    other = review(7, "optimizers/sgd")
    twice = log_file(tmp_path, REVIEW, other, REVIEW, UNDO)
    result = imported(home, twice)
    assert result.exit_code == 0, result.output
    assert uids_in(home) == [other["id"], REVIEW["id"], UNDO["id"]]
    assert result.stdout.strip() == f"imported 3 new events from {twice} (2 reviews, 1 undo)"  # none "already here"


@pytest.mark.parametrize("detail", [
    {"z": {"deep": [1, 2]}, "a": 1},  # a nested value: read by the field checks
    {"key_points_hit": [0, 2], "key_points": 3, "auto": True},  # a flat one: read in bulk
])
def test_a_review_detail_is_stored_with_its_keys_in_order_whatever_order_the_file_has(tmp_path, detail):
    a, b = tmp_path / "a", tmp_path / "b"
    assert imported(a, log_file(tmp_path, review(1, detail=detail))).exit_code == 0
    assert imported(b, log_file(tmp_path, review(1, detail=dict(reversed(list(detail.items())))))).exit_code == 0
    for home in (a, b):
        with open_store(home) as store:
            (stored,) = store.conn.execute("SELECT detail FROM reviews").fetchone()
        assert stored == json.dumps(detail, sort_keys=True)  # as the quiz stores one


def test_the_other_tables_merged_in_bulk_keep_their_indexes_and_id_order(tmp_path, monkeypatch):
    import gdgrill.eventlog as eventlog

    monkeypatch.setattr(eventlog, "REBUILD_MIN_ROWS", 1)  # the bulk path, on a few rows
    home = tmp_path / "h"

    def suspension(n: int, suspended: bool) -> dict:
        return {"id": review(n)["id"], "kind": "suspension", "at": AT, "day": "2026-03-02", "item": f"d/c{n % 3}",
                "suspended": suspended}

    early = [suspension(n, True) for n in range(0, 12, 2)]
    late = [suspension(n, n % 4 == 1) for n in range(1, 12, 2)]
    assert imported(home, log_file(tmp_path, *early)).exit_code == 0  # appended: every row new
    assert imported(home, log_file(tmp_path, *late)).exit_code == 0  # moved among them: renumbered
    assert uids_in(home, "suspensions") == [s["id"] for s in sorted(early + late, key=lambda s: s["id"])]
    fresh = tmp_path / "fresh"
    open_store(fresh).close()

    def index_sql(h: Path) -> list[str]:
        with open_store(h) as store:
            return sorted(r[0] for r in store.conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'suspensions' AND sql IS NOT NULL"))

    assert index_sql(home) == index_sql(fresh) and index_sql(home)
    with open_store(home) as store:  # the last word on each card is the latest suspension event
        latest = {}
        for s in sorted(early + late, key=lambda s: s["id"]):
            latest[s["item"]] = s["suspended"]
        assert store.suspended() == {item for item, on in latest.items() if on}


def test_the_ids_held_here_are_read_for_a_file_only_when_a_sample_of_its_ids_shows_some(tmp_path):
    home = tmp_path / "h"
    mine = [review(n) for n in range(3)]
    assert imported(home, log_file(tmp_path, *mine)).exit_code == 0
    compact = [json.dumps(e, separators=(",", ":")) for e in mine]
    spaced = [json.dumps(e) for e in mine]
    foreign = [json.dumps(review(n)) for n in range(100, 103)]
    with open_store(home) as store:
        held = held_ids(store)
        assert KnownIds(store).for_lines(foreign) == frozenset()  # another machine's first file: passed over whole
        assert KnownIds(store).for_lines(compact) == held
        assert KnownIds(store).for_lines(spaced) == held  # an export's layout: the id one place on
        assert KnownIds(store).for_lines([foreign[0], spaced[1], foreign[2]]) == held  # one held line among three
        known = KnownIds(store)
        assert known.for_lines(compact) == held and known.for_lines(foreign) == held  # read once, then kept


# -- reading a log: line endings, an empty file, its closing line ----------------------------


def test_a_log_with_windows_line_endings_reads_as_the_same_log_and_names_lines_alike(tmp_path):
    unix = log_file(tmp_path, REVIEW, {**UNDO})
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(unix.read_bytes().replace(b"\n", b"\r\n"))
    a, b = tmp_path / "a", tmp_path / "b"
    assert imported(a, unix).exit_code == 0 and imported(b, crlf).exit_code == 0
    assert uids_in(a) == uids_in(b) == [REVIEW["id"], UNDO["id"]]
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(log_file(tmp_path, REVIEW, {**REVIEW, "id": UNDO["id"], "grade": "great"}).read_bytes().replace(b"\n", b"\r\n"))
    assert refused(tmp_path / "c", bad) == f"gdgrill: error: {bad}:3: grade: 'great': expected pass, fail, easy"


def test_an_empty_file_is_not_a_log():
    from gdgrill.eventlog import LogError, parse_jsonl

    for empty in (b"", b"\n\n", b" \r\n"):
        with pytest.raises(LogError) as err:
            parse_jsonl(empty, "empty.jsonl")
        assert str(err.value) == "empty.jsonl: an empty file, not a gdgrill log"


def _with_trailer(tmp_path: Path, events: list[dict], trailer: str, name: str = "t.jsonl") -> Path:
    lines = [json.dumps(e) for e in events]
    head = json.dumps({"format": "gdgrill-log", "version": 1, "machine": None})
    path = tmp_path / name
    path.write_text("\n".join([head, *lines, trailer]) + "\n", encoding="utf-8")
    return path


def test_a_closing_line_that_is_not_json_is_refused_with_what_json_says(tmp_path):
    path = _with_trailer(tmp_path, [REVIEW], '{"end" "gdgrill-log"}')
    assert refused(tmp_path / "h", path) == f"gdgrill: error: {path}:3: malformed JSON (Expecting ':' delimiter)"


def test_a_log_of_no_events_with_its_closing_line_imports_as_nothing_new(tmp_path):
    trailer = json.dumps({"end": "gdgrill-log", "events": 0, "sha256": hashlib.sha256(b"").hexdigest()})
    result = imported(tmp_path / "h", _with_trailer(tmp_path, [], trailer))
    assert result.exit_code == 0, result.output


def test_an_indented_closing_line_is_still_the_closing_line(tmp_path):
    body = (json.dumps(REVIEW) + "\n").encode()
    trailer = "   " + json.dumps({"end": "gdgrill-log", "events": 1, "sha256": hashlib.sha256(body).hexdigest()})
    result = imported(tmp_path / "h", _with_trailer(tmp_path, [REVIEW], trailer))
    assert result.exit_code == 0, result.output
    assert uids_in(tmp_path / "h") == [REVIEW["id"]]


def test_the_held_ids_are_sampled_across_a_long_file(tmp_path):
    home = tmp_path / "h"
    events = [review(n) for n in range(200)]
    assert imported(home, log_file(tmp_path, events[150])).exit_code == 0
    with open_store(home) as store:
        lines = [json.dumps(e, separators=(",", ":")) for e in events]
        assert KnownIds(store).for_lines(lines) == {events[150]["id"]}  # 200 lines: every third one looked at


def test_a_log_whose_line_endings_were_turned_to_crlf_still_matches_its_closing_line(tmp_path):
    # git's autocrlf, or an editor on Windows, rewrites every line ending of a synced file
    home, other = tmp_path / "h", tmp_path / "o"
    data = whole_log(home, 3)
    converted = tmp_path / "converted.jsonl"
    converted.write_bytes(data.replace(b"\n", b"\r\n"))
    result = imported(other, converted)
    assert result.exit_code == 0, result.output
    assert uids_in(other) == uids_in(home)


def test_events_held_here_that_a_sample_of_ids_missed_are_still_left_out_and_counted_as_held(tmp_path):
    home = tmp_path / "h"
    assert imported(home, log_file(tmp_path, REVIEW, UNDO)).exit_code == 0
    new = [review((0x2000 << 16) + n) for n in range(201)]  # ids after both
    # the held review second and the held undo last: a sample of every third id sees neither
    result = imported(home, log_file(tmp_path, new[0], REVIEW, *new[1:], UNDO))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("201 new events from " + str(tmp_path / "log-2.jsonl") + " (201 reviews); 2 already here")
    assert uids_in(home) == [REVIEW["id"], UNDO["id"], *(e["id"] for e in new)]


def test_a_sync_file_in_the_spaced_layout_passes_over_only_the_lines_held_here(tmp_path):
    from gdgrill.eventlog import parse_jsonl

    home = tmp_path / "h"
    held, new = review(1), review(2)
    assert imported(home, log_file(tmp_path, held)).exit_code == 0
    body = "".join(json.dumps(e) + "\n" for e in (held, new))  # an export's layout, spaces after , and :
    head = json.dumps({"format": "gdgrill-log", "version": 1, "machine": "phone-01234567"})
    trailer = json.dumps({"end": "gdgrill-log", "events": 2, "sha256": hashlib.sha256(body.encode()).hexdigest()})
    with open_store(home) as store:
        parsed = parse_jsonl(f"{head}\n{body}{trailer}\n".encode(), "f.jsonl", need_trailer=True, known=KnownIds(store))
    assert [e.uid for e in parsed.events] == [new["id"]] and parsed.known == 1


def test_an_edited_line_under_a_closing_line_is_refused_naming_the_checksum(tmp_path):
    data = whole_log(tmp_path / "h", 2)
    edited = tmp_path / "edited.jsonl"
    edited.write_bytes(data.replace(b'"seconds":2.5', b'"seconds":2.6', 1))
    assert refused(tmp_path / "o", edited) == (f"gdgrill: error: {edited}:4: sha256: the events do not match their"
                                               " checksum: the file was changed after it was written")
