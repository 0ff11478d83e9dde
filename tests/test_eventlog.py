"""`gdgrill export log`, `gdgrill import log` and `gdgrill backup`: every event out and back
in, idempotently, in time order, with bad files refused whole."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.scheduler import Grade
from gdgrill.store import open_store

runner = CliRunner()
D0 = date(2026, 3, 2)
ROOT = Path(__file__).resolve().parent.parent


def gd(home: Path, *args: str, today: date | None = None):
    env = {"GDGRILL_HOME": str(home)}
    if today is not None:
        env["GDGRILL_TODAY"] = today.isoformat()
    return runner.invoke(app, list(args), env=env)


def ok(home: Path, *args: str, today: date | None = None) -> str:
    result = gd(home, *args, today=today)
    assert result.exit_code == 0, result.output
    return result.stdout


def every_kind_of_event(home: Path, day: date = D0) -> None:
    """A log holding each kind of event the store writes."""
    with open_store(home) as store:
        first = store.record_review("optimizers/adam-bias-correction", Grade.PASS, "quiz", day=day, answer="bias to 0", seconds=4.5)
        store.record_review("quick-fire/adam-default-betas", Grade.FAIL, "timed", day=day, answer="0.9, 0.99", detail={"read_as": "0.9, 0.99"})
        store.record_review("optimizers/adam-bias-correction", Grade.EASY, "quiz", day=day + timedelta(days=3))
        store.record_review("foundations/gd-update-rule", Grade.PASS, "cram", day=day)
        store.record_review("foundations/gd-update-rule", Grade.PASS, "grill", day=day, scheduling=False)
        store.record_review("drill/sgd-momentum", Grade.PASS, "drill", day=day, detail={"attempts": 2})
        store.undo(first, day=day)
        store.set_plan(date(2026, 4, 1), 25, "research", day=day)
        store.clear_plan(day=day)
        store.set_plan(date(2026, 4, 15), 30, "phone", day=day)
        store.suspend("foundations/gd-update-rule", day=day)
        store.record_practice("adam-vs-sgd", "lean", 1, day=day, answer="line one\nline two")
        store.record_practice("warmup-why", "strong", 0, day=day)
        store.record_assessment({"optimizers": 4, "schedules": 2}, day=day)
        store.record_grill(38, 50, [{"tier": 1, "score": 20}], 612.5, day=day)


def tables(home: Path) -> dict[str, list[tuple]]:
    """Every row of every event table, read straight from SQLite."""
    conn = sqlite3.connect(home / "progress.db")
    try:
        out = {}
        for table in ("items", "reviews", "plans", "suspensions", "practice_ratings", "assessments", "grills"):
            out[table] = conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        return out
    finally:
        conn.close()


def exported(home: Path, tmp: Path, fmt: str = "jsonl") -> list[dict]:
    path = tmp / f"{home.name}-export.{fmt}"
    ok(home, "export", "log", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:-1]]


def report(home: Path, today: date = D0 + timedelta(days=5)) -> dict:
    return json.loads(ok(home, "report", "--format", "json", today=today))


def test_every_kind_of_event_is_exported_with_its_fields_and_a_unique_id(tmp_path):
    home = tmp_path / "a"
    every_kind_of_event(home)
    path = tmp_path / "log.jsonl"
    assert ok(home, "export", "log", str(path)).strip() == f"exported 15 events to {path} (jsonl)"
    lines = path.read_text(encoding="utf-8").splitlines()
    head, *body, tail = (json.loads(line) for line in lines)
    assert head["format"] == "gdgrill-log" and head["version"] == 1
    assert tail["end"] == "gdgrill-log" and tail["events"] == 15
    kinds = [e["kind"] for e in body]
    assert sorted(set(kinds)) == ["assessment", "grill", "plan", "practice", "review", "suspension", "undo"]
    assert len({e["id"] for e in body}) == 15
    by_kind = {k: [e for e in body if e["kind"] == k] for k in set(kinds)}
    undo = by_kind["undo"][0]
    target = next(e for e in body if e["id"] == undo["undoes"])
    assert target["item"] == undo["item"] == "optimizers/adam-bias-correction" and target["grade"] == "pass"
    reviews = by_kind["review"]
    assert [r["counts"] for r in reviews] == ["ladder", "ladder", "ladder", "none", "stats", "ladder"]
    assert reviews[1]["detail"] == {"read_as": "0.9, 0.99"} and reviews[0]["seconds"] == 4.5
    assert any(r["item"] == "drill/sgd-momentum" for r in reviews)
    assert [p["answer"] for p in by_kind["practice"]] == ["line one\nline two", None]
    assert [(p["interview"], p["per_day"], p["focus"]) for p in by_kind["plan"]] == [
        ("2026-04-01", 25, "research"), (None, None, None), ("2026-04-15", 30, "phone"),
    ]
    assert by_kind["suspension"][0]["suspended"] is True
    assert by_kind["assessment"][0]["ratings"] == {"optimizers": 4, "schedules": 2}
    assert by_kind["grill"][0]["bands"] == [{"tier": 1, "score": 20}] and by_kind["grill"][0]["seconds"] == 612.5
    assert [e["id"] for e in body] == sorted(e["id"] for e in body)  # oldest first


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_log_imported_into_a_fresh_home_gives_the_same_events_and_the_same_report(tmp_path, fmt):
    a, b = tmp_path / "a", tmp_path / "b"
    every_kind_of_event(a)
    path = tmp_path / f"log.{fmt}"
    ok(a, "export", "log", str(path))
    line = ok(b, "import", "log", str(path)).strip()
    assert line.startswith(f"imported 15 new events from {path} (6 reviews, 1 undo, 3 plans, 1 suspension, 2 practice ratings, 1 assessment, 1 grill)")
    assert exported(b, tmp_path) == exported(a, tmp_path)
    assert report(b) == report(a)
    with open_store(b) as store:
        assert store.suspended() == {"foundations/gd-update-rule"} and store.plan().per_day == 30


def test_importing_a_log_twice_changes_nothing(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    every_kind_of_event(a)
    path = tmp_path / "log.jsonl"
    ok(a, "export", "log", str(path))
    ok(b, "import", "log", str(path))
    before = tables(b)
    again = ok(b, "import", "log", str(path)).strip()
    assert again == f"imported 0 new events from {path}; 15 already here"
    assert tables(b) == before
    ok(a, "import", "log", str(path))  # into the home it came from: nothing either
    assert len(tables(a)["reviews"]) == 7


def test_two_homes_that_merge_each_others_logs_hold_the_same_events_in_the_same_order(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    card = "optimizers/adam-bias-correction"
    # Interleaved in time: a, b, a, b ... so each merge puts the other's events between its own.
    with open_store(a) as sa, open_store(b) as sb:
        steps = [
            lambda: sa.record_review(card, Grade.PASS, "quiz", day=D0),
            lambda: sb.record_review(card, Grade.FAIL, "quiz", day=D0),
            lambda: sa.set_plan(date(2026, 4, 1), 20, "phone", day=D0),
            lambda: sa.suspend(card, day=D0),
            lambda: sb.set_plan(date(2026, 5, 1), 30, "research", day=D0),  # the newer plan wins everywhere
            lambda: sa.record_review(card, Grade.PASS, "quiz", day=D0 + timedelta(days=3)),
            lambda: sb.suspend(card, day=D0),
            lambda: sa.unsuspend(card, day=D0),  # newer: the card ends unsuspended on both
        ]
        for step in steps:
            step()
            time.sleep(0.003)  # ids order events by their millisecond: keep these apart
    pa, pb = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    ok(a, "export", "log", str(pa))
    ok(b, "export", "log", str(pb))
    ok(a, "import", "log", str(pb))
    ok(b, "import", "log", str(pa))
    assert exported(a, tmp_path) == exported(b, tmp_path)
    assert report(a) == report(b)
    for home in (a, b):
        with open_store(home) as store:
            assert [r.grade for r in store.log(card)] == ["pass", "fail", "pass"]
            assert store.plan().interview == date(2026, 5, 1)
            assert store.suspended() == set()
            ids = store.conn.execute("SELECT uid FROM reviews ORDER BY id").fetchall()
            assert ids == sorted(ids)


def test_an_undo_made_on_another_machine_takes_back_the_review_here(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    card = "optimizers/adam-bias-correction"
    with open_store(a) as store:
        store.record_review(card, Grade.PASS, "quiz", day=D0)
    ok(a, "export", "log", str(tmp_path / "a.jsonl"))
    ok(b, "import", "log", str(tmp_path / "a.jsonl"))
    with open_store(b) as store:
        (review,) = store.log(card)
        store.undo(review.id, day=D0)
        assert store.history(card) == []
    ok(b, "export", "log", str(tmp_path / "b.jsonl"))
    assert "1 undo" in ok(a, "import", "log", str(tmp_path / "b.jsonl"))
    with open_store(a) as store:
        assert store.history(card) == [] and card not in store.states()
        assert [r.grade for r in store.log(card)] == ["pass", "undo"]


def _log_with(tmp_path: Path, *events: dict, trailer: bool = False) -> Path:
    lines = [json.dumps({"format": "gdgrill-log", "version": 1, "machine": None})] + [json.dumps(e) for e in events]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = {
    "id": "01a233f0-1260-784e-942e-8cc7dc911ca8", "kind": "review", "at": "2026-03-02T09:00:00+00:00", "day": "2026-03-02",
    "item": "optimizers/adam-bias-correction", "grade": "pass", "mode": "quiz", "counts": "ladder",
    "answer": None, "seconds": None, "detail": None,
}
LATER = "01a233f0-1261-784e-942e-8cc7dc911ca8"


@pytest.mark.parametrize(
    "bad, where",
    [
        ({**GOOD, "grade": "great"}, ":3: grade: 'great': expected pass, fail, easy"),
        ({**GOOD, "id": "42"}, ":3: id: '42': expected an event id"),
        ({**GOOD, "day": "yesterday"}, ":3: day: 'yesterday': expected a date as YYYY-MM-DD"),
        ({**GOOD, "at": "2026-03-02 09:00"}, ":3: at: '2026-03-02 09:00': expected a date and time with its UTC offset"),
        ({**GOOD, "colour": "red"}, ":3: colour: not a field of a review event"),
        ({**GOOD, "counts": "stats", "grade": "fail"}, ":3: counts: a counted miss always moves the ladder"),
        ({**GOOD, "kind": "vibe"}, ":3: kind: 'vibe': expected review, undo"),
        ({"id": LATER, "kind": "undo", "at": GOOD["at"], "day": GOOD["day"], "item": GOOD["item"], "mode": "quiz",
          "undoes": "01a233f0-1260-7000-8000-000000000000"}, ":3: undoes: no review 01a233f0-1260-7000-8000-000000000000"),
        ({"id": LATER, "kind": "undo", "at": GOOD["at"], "day": GOOD["day"], "item": "optimizers/other", "mode": "quiz",
          "undoes": GOOD["id"]}, ":3: item: 'optimizers/other', but the review it takes back is of 'optimizers/adam-bias-correction'"),
        ({**GOOD, "id": LATER, "grade": "fail"}, None),  # a second event is fine: see the id clash case below
    ],
)
def test_a_malformed_log_is_refused_in_one_line_naming_file_line_and_field_and_nothing_is_saved(tmp_path, bad, where):
    home = tmp_path / "h"
    every_kind_of_event(home)
    before = tables(home)
    path = _log_with(tmp_path, GOOD, bad)
    result = gd(home, "import", "log", str(path))
    if where is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"gdgrill: error: {path}{where}"), line
    assert tables(home) == before  # not even the good first event


def test_a_cut_or_edited_log_is_refused_by_its_trailer(tmp_path):
    home, other = tmp_path / "h", tmp_path / "o"
    every_kind_of_event(other)
    path = tmp_path / "log.jsonl"
    ok(other, "export", "log", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:5] + lines[-1:]) + "\n", encoding="utf-8")
    result = gd(home, "import", "log", str(cut))
    assert result.exit_code == 2 and f"{cut}:6: events: the log says 15 events but holds 4" in result.stderr
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join(lines).replace('"grade": "fail"', '"grade": "pass"') + "\n", encoding="utf-8")
    result = gd(home, "import", "log", str(edited))
    assert result.exit_code == 2 and "sha256: the events do not match their checksum" in result.stderr
    assert not (home / "progress.db").exists() or tables(home)["reviews"] == []
    # Without its trailer (a hand-trimmed file) the events are still checked one by one.
    trimmed = tmp_path / "trimmed.jsonl"
    trimmed.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    assert "imported 4 new events" in ok(home, "import", "log", str(trimmed))


def test_other_files_are_refused_with_what_they_are(tmp_path):
    home = tmp_path / "h"
    newer = tmp_path / "newer.jsonl"
    newer.write_text('{"format": "gdgrill-log", "version": 9}\n', encoding="utf-8")
    result = gd(home, "import", "log", str(newer))
    assert result.exit_code == 2 and f"{newer}:1: version: written by a newer gdgrill" in result.stderr
    notes = tmp_path / "notes.jsonl"
    notes.write_text('{"hello": 1}\n', encoding="utf-8")
    assert f"{notes}:1: format: expected a gdgrill log" in gd(home, "import", "log", str(notes)).stderr
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text('{"format": "gdgrill-log", "version": 1}\n{"id": \n', encoding="utf-8")
    assert f"{garbage}:2: malformed JSON" in gd(home, "import", "log", str(garbage)).stderr
    missing = gd(home, "import", "log", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and "cannot read the log" in missing.stderr
    csv = tmp_path / "bad.csv"
    csv.write_text("id,kind,at,day,item,grade,mode,counts,seconds\n"
                   f"{GOOD['id']},review,{GOOD['at']},2026-03-02,d/c,pass,quiz,ladder,slow\n", encoding="utf-8")
    result = gd(home, "import", "log", str(csv))
    assert result.exit_code == 2 and f"{csv}:2: seconds: 'slow': expected a number" in result.stderr


def test_the_same_id_with_different_contents_is_refused(tmp_path):
    home = tmp_path / "h"
    path = _log_with(tmp_path, GOOD, {**GOOD, "grade": "fail"})
    result = gd(home, "import", "log", str(path))
    assert result.exit_code == 2 and f"{path}:3: id: {GOOD['id']} is also the id of a different event ({path}:2)" in result.stderr


def test_a_dry_run_counts_without_saving(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    every_kind_of_event(a)
    ok(a, "export", "log", str(tmp_path / "log.jsonl"))
    assert "would import 15 new events" in ok(b, "import", "log", "--dry-run", str(tmp_path / "log.jsonl"))
    with open_store(b) as store:
        assert store.log() == [] and store.plan() is None


def test_export_to_standard_output_and_csv_by_suffix(tmp_path):
    home = tmp_path / "h"
    every_kind_of_event(home)
    lines = ok(home, "export", "log", "-").splitlines()
    assert json.loads(lines[0])["format"] == "gdgrill-log" and len(lines) == 17
    ok(home, "export", "log", str(tmp_path / "log.csv"))
    import csv

    with open(tmp_path / "log.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:6] == ["id", "kind", "at", "day", "item", "grade"] and len(rows) == 16
    assert ["line one\nline two"] == [r[rows[0].index("answer")] for r in rows if r[1] == "practice" and r[8]]
    result = gd(home, "export", "log", str(tmp_path / "x"), "--format", "xml")
    assert result.exit_code == 2 and "--format 'xml': expected jsonl or csv" in result.stderr


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import date
    from pathlib import Path
    from gdgrill.store import open_store
    with open_store(Path(sys.argv[1])) as store:
        for n in range(100000):
            store.record_review(f"d/c{n % 50}", "pass", "quiz", day=date(2026, 3, 2))
            if n == 20:
                print("writing", flush=True)
    """
)


def test_a_backup_taken_while_another_gdgrill_writes_is_whole_and_consistent(tmp_path):
    home = tmp_path / "h"
    open_store(home).close()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(home)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        out = ok(home, "backup", str(tmp_path / "backups"))
        assert writer.poll() is None  # still writing while the copy was taken
    finally:
        writer.kill()
        writer.wait()
    (copy,) = (tmp_path / "backups").iterdir()
    assert out.strip() == f"backed up to {copy}" and copy.name.startswith("progress-") and copy.suffix == ".db"
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        ids = [r[0] for r in conn.execute("SELECT id FROM reviews ORDER BY id")]
    finally:
        conn.close()
    assert n >= 21 and ids == list(range(1, n + 1))  # a prefix of the log: every committed grade up to a moment
    # The copy is a working home: it opens, and a second backup does not overwrite the first.
    restored = tmp_path / "restored"
    restored.mkdir()
    (restored / "progress.db").write_bytes(copy.read_bytes())
    with open_store(restored) as store:
        assert len(store.log()) == n
    ok(home, "backup", str(tmp_path / "backups"))
    assert len(list((tmp_path / "backups").iterdir())) == 2


def test_backup_without_a_database_says_so(tmp_path):
    result = gd(tmp_path / "empty", "backup", str(tmp_path / "b"))
    assert result.exit_code == 2 and "no progress database yet" in result.stderr


def test_a_merge_that_rewrites_most_of_a_table_leaves_its_indexes_and_states_as_a_replay_gives(tmp_path, monkeypatch):
    import gdgrill.eventlog as eventlog
    from gdgrill.scheduler import card_state

    monkeypatch.setattr(eventlog, "REBUILD_MIN_ROWS", 1)  # take the bulk path on a small log
    a, b = tmp_path / "a", tmp_path / "b"
    cards = [f"optimizers/c{i}" for i in range(4)]
    with open_store(a) as sa, open_store(b) as sb:
        for n in range(12):
            store = sa if n % 3 else sb
            store.record_review(cards[n % 4], Grade.FAIL if n % 5 == 0 else Grade.PASS, "quiz", day=D0 + timedelta(days=n))
            time.sleep(0.002)
            if n == 4:  # a takes back its review of day 4, then b grades on: the undo moves with a's rows
                sa.undo(sa.log()[-1].id, day=D0 + timedelta(days=4))
                time.sleep(0.002)
    ok(a, "export", "log", str(tmp_path / "a.jsonl"))
    ok(b, "import", "log", str(tmp_path / "a.jsonl"))  # b's 4 rows move among a's 8
    conn = sqlite3.connect(b / "progress.db")
    indexes = sorted(r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews'"))
    conn.close()
    fresh = tmp_path / "fresh"
    open_store(fresh).close()
    conn = sqlite3.connect(fresh / "progress.db")
    assert indexes == sorted(r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews'"))
    conn.close()
    with open_store(b) as store:
        log = store.log()
        assert [r.day for r in log if r.grade != "undo"] == [D0 + timedelta(days=n) for n in range(12)]
        (undo,) = [r for r in log if r.grade == "undo"]
        taken_back = next(r for r in log if r.id == undo.undoes)
        assert taken_back.day == D0 + timedelta(days=4) and taken_back.item == cards[0] and undo.id > taken_back.id
        assert D0 + timedelta(days=4) not in [r.day for r in store.history(cards[0])]
        for card in cards:
            assert store.states()[card] == card_state(store.history(card))
        assert store.summaries()[cards[0]].all_time.reviews == 2
    ok(b, "export", "log", str(tmp_path / "b.jsonl"))
    ok(a, "import", "log", str(tmp_path / "b.jsonl"))  # and back: the same log on both
    assert exported(a, tmp_path) == exported(b, tmp_path)
