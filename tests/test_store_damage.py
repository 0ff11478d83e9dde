"""A damaged or unwritable progress database, met by every command: one line naming the
problem, exit 2, the file untouched — never a traceback, never a lost answer.

"Damaged" here is an intact SQLite file holding a value gdgrill cannot read (a hand edit
with sqlite3, a bad tool), a flipped byte, a truncated file. "Unwritable" is a healthy
file on a read-only mount, an immutable file, a full disk: those are not "corrupt", and
the commands that only read (report, decks list, due) still work.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gdgrill import store as store_module
from gdgrill.cli import app
from gdgrill.scheduler import Grade
from gdgrill.store import StoreError, open_store
from helpers import make_unwritable, restore

D0 = date(2026, 3, 2)
runner = CliRunner()

# Every command that opens the database, with the input an interactive one gets.
COMMANDS = [
    (["report"], ""),
    (["report", "--format", "json"], ""),
    (["quiz", "--limit", "1"], "\np\n"),
    (["due", "--format", "json"], ""),
    (["decks", "list"], ""),
    (["plan"], ""),
    (["practice"], ""),
    (["grill"], ""),
]


def populate(home: Path) -> None:
    """A log with one row of everything: passes, a miss, an undo, cram, a drill, a plan,
    a practice rating, an assessment, a grill."""
    with open_store(home) as s:
        s.record_review("optimizers/adam-bias-correction", Grade.PASS, "quiz", day=D0, answer="m/(1-b1^t)", seconds=3.5,
                        detail={"key_points_hit": [1, 2], "key_points": 3})
        s.record_review("foundations/batch-regimes", Grade.FAIL, "quiz", day=D0, answer="no idea")
        rid = s.record_review("foundations/batch-regimes", Grade.PASS, "quiz", day=D0)
        s.undo(rid, day=D0)
        s.record_review("quick-fire/adam-default-betas", Grade.PASS, "cram", day=D0, answer="0.9, 0.999")
        s.record_review("drill/adam-bias", Grade.PASS, "drill", day=D0, answer="m = ...")
        s.set_plan(date(2026, 3, 30), 40, "phone", day=D0)
        s.record_practice("loss-spike-at-step-40k", "lean", 1, day=D0)
        s.record_assessment({"gd": 3, "momentum": 4}, day=D0)
        s.record_grill(41, 50, [{"band": "1-10", "missed": 1}], 600.0, day=D0)
        s.suspend("foundations/gradient-steepest-ascent", day=D0)
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def files_digest(home: Path) -> str:
    h = hashlib.sha256()
    for name in ("progress.db", "progress.db-wal"):
        p = home / name
        h.update(p.read_bytes() if p.exists() and p.stat().st_size else b"")
    return h.hexdigest()


# Which commands read each table (all of them read the review log).
READERS = {
    "plans": ("report", "quiz", "due", "plan"),
    "practice_ratings": ("report", "practice"),
    "assessments": ("report",),
    "grills": ("report",),
    "suspensions": ("report", "quiz", "due", "decks"),
}


def run_everything(home: Path, table: str | None = None) -> list[str]:
    """Run each command (those that read ``table``); return what went wrong (empty:
    every answer was acceptable)."""
    problems = []
    for args, stdin in COMMANDS:
        if table in READERS and args[0] not in READERS[table]:
            continue
        before = files_digest(home)
        result = runner.invoke(app, args, input=stdin)
        text = result.output + (result.stderr if result.stderr_bytes is not None else "")
        where = " ".join(args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems.append(f"{where}: {type(result.exception).__name__}: {result.exception}")
        elif "Traceback" in text:
            problems.append(f"{where}: traceback")
        elif result.exit_code == 2:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            if len(lines) != 1 or not lines[0].startswith("gdgrill: error: "):
                problems.append(f"{where}: not one error line: {lines}")
            if files_digest(home) != before:
                problems.append(f"{where}: refused, but the file changed")
        elif result.exit_code != 0:
            problems.append(f"{where}: exit {result.exit_code}")
    return problems


# (table, column, bad value): a value of the wrong type or out of its domain per column.
# Values a column's CHECK would refuse get in with ignore_check_constraints, as a tool
# that bypassed gdgrill would write them.
DAMAGE = [
    ("items", "key", 123),
    ("items", "key", "no-slash"),
    ("reviews", "item_id", 9999),
    ("reviews", "item_id", "abc"),
    ("reviews", "reviewed_at", "yesterday-ish"),
    ("reviews", "day", "2026-13-45"),
    ("reviews", "day", 20260302),
    ("reviews", "grade", "maybe"),
    ("reviews", "mode", 42),
    ("reviews", "effect", 7),
    ("reviews", "effect", "x"),
    ("reviews", "answer", b"\xff\xfe"),
    ("reviews", "answer", 42),
    ("reviews", "seconds", "slow"),
    ("reviews", "detail", "{not json"),
    ("reviews", "detail", "[1, 2]"),
    ("reviews", "undoes", 99999),
    ("reviews", "undoes", "x"),
    ("plans", "interview", "soon"),
    ("plans", "per_day", "x"),
    ("plans", "focus", "zzz"),
    ("plans", "day", "x"),
    ("practice_ratings", "problem", 42),
    ("practice_ratings", "day", "x"),
    ("practice_ratings", "rating", "meh"),
    ("practice_ratings", "hints_used", "x"),
    ("assessments", "day", "x"),
    ("assessments", "ratings", "{"),
    ("assessments", "ratings", "[1]"),
    ("assessments", "ratings", '{"gd": "x"}'),
    ("assessments", "total", "x"),
    ("grills", "day", "x"),
    ("grills", "score", "x"),
    ("grills", "total", 0),
    ("grills", "bands", "{"),
    ("grills", "seconds", "x"),
    ("suspensions", "item", 42),
    ("suspensions", "day", "x"),
    ("suspensions", "suspended", "x"),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> bytes:
    home = tmp_path_factory.mktemp("pristine")
    populate(home)
    return (home / "progress.db").read_bytes()


def test_the_populated_database_is_accepted_by_every_command(isolated_home, pristine):
    isolated_home.mkdir(parents=True)
    (isolated_home / "progress.db").write_bytes(pristine)
    assert run_everything(isolated_home) == []


@pytest.mark.parametrize("table,column,value", DAMAGE, ids=[f"{t}.{c}={v!r}" for t, c, v in DAMAGE])
def test_a_bad_value_in_any_column_is_one_line_and_the_file_untouched(isolated_home, pristine, table, column, value):
    isolated_home.mkdir(parents=True)
    db = isolated_home / "progress.db"
    db.write_bytes(pristine)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    changed = conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = (SELECT max(rowid) FROM {table})", (value,))
    assert changed.rowcount == 1
    conn.commit()
    conn.close()
    assert run_everything(isolated_home, table) == []


def test_the_issue_reproduction_names_the_column_and_the_value(isolated_home, pristine):
    isolated_home.mkdir(parents=True)
    db = isolated_home / "progress.db"
    db.write_bytes(pristine)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE reviews SET day = '2026-13-45' WHERE id = (SELECT max(id) FROM reviews)")
    conn.commit()
    conn.close()
    for args in (["quiz"], ["report"], ["decks", "list"], ["grill"]):
        result = runner.invoke(app, args, input="\n")
        assert result.exit_code == 2, args
        assert "reviews.day holds '2026-13-45'" in result.stderr, args


@pytest.mark.parametrize("seed", range(6))
def test_flipped_bytes_and_truncation_are_one_line_and_the_file_untouched(isolated_home, pristine, seed):
    rng = random.Random(seed)
    raw = bytearray(pristine)
    if seed % 3 == 2:
        raw = raw[: rng.randrange(100, len(raw) - 1)]  # a copy cut short
    else:
        for _ in range(8):
            raw[rng.randrange(100, len(raw))] ^= 1 << rng.randrange(8)
    isolated_home.mkdir(parents=True)
    (isolated_home / "progress.db").write_bytes(bytes(raw))
    assert run_everything(isolated_home) == []


# -- unwritable, not corrupt -------------------------------------------------------------


@pytest.fixture
def readonly_home(isolated_home, pristine):
    isolated_home.mkdir(parents=True)
    (isolated_home / "progress.db").write_bytes(pristine)
    (isolated_home / "cache").mkdir()
    locked = make_unwritable([isolated_home / "progress.db", isolated_home])
    try:
        with pytest.raises(OSError):
            (isolated_home / "probe").write_text("x")  # the folder really is read-only
        yield isolated_home
    finally:
        restore(locked)


def test_a_read_only_database_still_gives_the_report_and_listings(readonly_home):
    before = files_digest(readonly_home)
    for args in (["report"], ["report", "--format", "json"], ["decks", "list"], ["due", "--format", "json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.stderr)
        assert "corrupt" not in result.output + result.stderr
    report = runner.invoke(app, ["report", "--format", "json"])
    assert '"seen": ' in report.output  # the stored reviews were read, not an empty log
    assert files_digest(readonly_home) == before


def test_the_quiz_refuses_a_read_only_database_before_asking_anything(readonly_home):
    result = runner.invoke(app, ["quiz"], input="my careful answer\np\n")
    assert result.exit_code == 2
    assert "read-only" in result.stderr and "corrupt" not in result.stderr
    assert "question" not in result.output  # no card was shown, so no answer was lost


def test_an_old_schema_on_a_read_only_mount_is_read_through_a_migrated_copy(isolated_home):
    from gdgrill.migrations import MIGRATIONS

    isolated_home.mkdir(parents=True)
    db = isolated_home / "progress.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, migration in MIGRATIONS[:2]:  # as a gdgrill from before the plan left it
        migration(conn)
        conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01')", (name,))
    conn.execute("INSERT INTO items VALUES (1, 'optimizers/adam-bias-correction')")
    conn.execute("INSERT INTO reviews VALUES (1, 1, 't', '2026-03-02', 'pass', 'quiz', 2, NULL, NULL, NULL, NULL)")
    conn.close()
    before = files_digest(isolated_home)
    locked = make_unwritable([db, isolated_home])
    try:
        with open_store(isolated_home, write=False) as s:
            assert s.plan() is None and s.suspended() == set()
            assert s.states()["optimizers/adam-bias-correction"].checkpoint_day == 3
        result = runner.invoke(app, ["report", "--format", "json"])
        assert result.exit_code == 0 and '"seen": 1' in result.output
    finally:
        restore(locked)
    assert files_digest(isolated_home) == before


def test_a_full_disk_is_named_and_refused_before_the_first_card(isolated_home, pristine, monkeypatch):
    isolated_home.mkdir(parents=True)
    (isolated_home / "progress.db").write_bytes(pristine)
    monkeypatch.setattr(store_module, "_free_bytes", lambda path: 4096)
    result = runner.invoke(app, ["quiz"], input="an answer\np\n")
    assert result.exit_code == 2
    assert "disk is full" in result.stderr and "corrupt" not in result.stderr
    assert "question" not in result.output


def test_a_disk_io_error_on_a_full_disk_is_not_called_corrupt(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "_free_bytes", lambda path: 0)
    message = store_module.failure_message(tmp_path / "progress.db", sqlite3.OperationalError("disk I/O error"))
    assert "disk is full" in message and "corrupt" not in message


def test_a_write_that_fails_mid_session_is_an_error_line_not_a_saved_claim(isolated_home):
    with open_store(isolated_home) as s:
        s.conn.execute("PRAGMA query_only = ON")  # every write now fails, as on a disk gone bad
        with pytest.raises(StoreError):
            s.record_review("sample/betas", Grade.PASS, "quiz", day=D0)


def test_an_interactive_drill_refuses_a_read_only_database_before_the_rule_is_typed(readonly_home):
    result = runner.invoke(app, ["drill", "adam-bias", "--no-torch"], input="m = b1*m + (1-b1)*g\n\n")
    assert result.exit_code == 2 and "read-only" in result.stderr
    assert "Type your rule" not in result.output
    unsaved = runner.invoke(app, ["drill", "adam-bias", "--no-torch", "--no-save"], input="\n")
    assert "Type your rule" in unsaved.output  # practising without saving still works
