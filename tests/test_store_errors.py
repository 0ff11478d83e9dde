"""What the store writes and says: each event's time as given, and one line naming the real
cause of a failure or the damaged column and its value."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from gdgrill import store as store_module
from gdgrill.scheduler import Grade
from gdgrill.store import MIN_FREE_BYTES, StoreError, failure_message, open_store

D0 = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=2)))  # 07:30 UTC
UTC = "2026-03-02T07:30:00+00:00"


def test_every_event_records_the_moment_it_was_given_in_utc(tmp_path):
    with open_store(tmp_path) as store:
        rid = store.record_review("d/a", Grade.PASS, "quiz", day=D0, at=AT)
        store.undo(rid, day=D0, at=AT)
        store.set_plan(date(2026, 4, 1), 30, "phone", day=D0, at=AT)
        store.clear_plan(day=D0, at=AT)
        store.suspend("d/b", day=D0, at=AT)
        store.unsuspend("d/b", day=D0, at=AT)
        store.record_practice("p", "lean", 0, day=D0, at=AT)
        store.record_assessment({"gd": 3}, day=D0, at=AT)
        store.record_grill(4, 5, [], None, day=D0, at=AT)
        assert [r.reviewed_at for r in store.log()] == [UTC, UTC]
        assert [store.practice_ratings()[0]["rated_at"], store.assessments()[0]["taken_at"], store.grills()[0]["taken_at"]] == [UTC] * 3
    with sqlite3.connect(tmp_path / "progress.db") as conn:
        assert conn.execute("SELECT set_at FROM plans").fetchall() == [(UTC,), (UTC,)]
        assert conn.execute("SELECT set_at FROM suspensions").fetchall() == [(UTC,), (UTC,)]


def test_a_batch_of_reviews_keeps_each_ones_answer_seconds_and_detail(tmp_path):
    with open_store(tmp_path) as store:
        store.record_reviews(
            [{"item": "d/a", "grade": "pass", "mode": "grill", "answer": "0.9", "seconds": 2.5, "detail": {"auto": True}},
             {"item": "d/b", "grade": "fail", "mode": "grill"}],
            day=D0,
        )
        rows = [(r.item, r.grade, r.answer, r.seconds, r.detail) for r in store.log()]
    assert rows == [("d/a", "pass", "0.9", 2.5, {"auto": True}), ("d/b", "fail", None, None, None)]


def damage(home: Path, sql: str) -> None:
    with sqlite3.connect(home / "progress.db") as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute(sql)


@pytest.mark.parametrize(
    "sql, read, says",
    [
        ("UPDATE reviews SET seconds = 'slow'", "log", "reviews.seconds holds 'slow', not a number"),
        ("UPDATE reviews SET detail = '{not json'", "log", "reviews.detail holds '{not json', not a JSON object"),
        ("UPDATE reviews SET detail = '[1, 2]'", "log", "reviews.detail holds '[1, 2]', not a JSON object"),
        ("UPDATE reviews SET grade = 'maybe'", "history", "reviews.grade holds 'maybe', not a grade (pass, fail, easy)"),
        ("UPDATE reviews SET day = 'soon'", "log", "reviews.day holds 'soon', not a date (YYYY-MM-DD)"),
    ],
)
def test_a_damaged_value_is_named_with_its_column_and_the_fix(tmp_path, sql, read, says):
    with open_store(tmp_path) as store:
        store.record_review("d/a", Grade.PASS, "quiz", day=D0, seconds=1.0, detail={"auto": True})
    damage(tmp_path, sql)
    with open_store(tmp_path, write=False) as store, pytest.raises(StoreError) as err:
        store.log() if read == "log" else store.history("d/a")
    db = tmp_path / "progress.db"
    assert str(err.value) == (
        f"{db}: a damaged value in the progress database: {says}; left untouched (fix that row with sqlite3, or restore a backup)"
    )


@pytest.mark.parametrize(
    "exc, says",
    [
        (sqlite3.OperationalError("attempt to write a readonly database"),
         "cannot write the progress database: it is read-only (attempt to write a readonly database); nothing was saved"),
        (sqlite3.OperationalError("database or disk is full"),
         "the disk is full (database or disk is full); free some space and run the command again"),
        (sqlite3.OperationalError("database is locked"),
         "the progress database is busy (database is locked); another gdgrill is writing: try again"),
        (sqlite3.OperationalError("no such table: reviews"), "no such table: reviews"),
        (sqlite3.OperationalError("disk I/O error"), "the progress database is corrupt (disk I/O error); left untouched"),
        (sqlite3.OperationalError("database disk image is malformed"),
         "the progress database is corrupt (database disk image is malformed); left untouched"),
        (sqlite3.DatabaseError("file is not a database"), "the progress database is corrupt (file is not a database); left untouched"),
        (sqlite3.DatabaseError("database is locked"), "the progress database is corrupt (database is locked); left untouched"),
    ],
)
def test_a_failure_is_called_by_its_real_cause(tmp_path, exc, says):
    path = tmp_path / "progress.db"  # in a writable folder with room to spare
    assert failure_message(path, exc) == f"{path}: {says}"


def test_an_error_with_the_disk_nearly_full_is_called_a_full_disk(tmp_path, monkeypatch):
    path = tmp_path / "progress.db"
    error = sqlite3.OperationalError("disk I/O error")
    # the free space asked about is the database's own disk's
    monkeypatch.setattr(store_module, "_free_bytes", lambda p: MIN_FREE_BYTES - 1 if p == path else None)
    assert failure_message(path, error) == f"{path}: the disk is full (disk I/O error); free some space and run the command again"
    monkeypatch.setattr(store_module, "_free_bytes", lambda p: MIN_FREE_BYTES)  # just enough: not the cause
    assert "corrupt" in failure_message(path, error)
    monkeypatch.setattr(store_module, "_free_bytes", lambda p: None)  # unknown (no statvfs)
    assert "corrupt" in failure_message(path, error)


def old_schema_database(home: Path, extra_sql: str = "") -> Path:
    """A progress database as a gdgrill from before the interview plan left it (two schema
    steps), with one pass of ``d/a`` on D0 and a mastered ``d/m``."""
    from gdgrill.migrations import MIGRATIONS

    home.mkdir(parents=True, exist_ok=True)
    db = home / "progress.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, migration in MIGRATIONS[:2]:
        migration(conn)
        conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01')", (name,))
    conn.execute("INSERT INTO items VALUES (1, 'd/m')")
    for n, days in enumerate((0, 3, 7, 14, 21), 1):
        day = (D0 + timedelta(days=days)).isoformat()
        conn.execute("INSERT INTO reviews VALUES (?, 1, 't', ?, 'pass', 'quiz', 2, NULL, NULL, NULL, NULL)", (n, day))
    if extra_sql:
        conn.execute(extra_sql)
    conn.close()
    return db


@pytest.mark.parametrize("schema", ["current", "old"])
def test_a_read_only_database_is_read_with_the_users_maintenance_gap_and_leaves_no_file(isolated_home, tmp_path, monkeypatch, schema):
    from helpers import make_unwritable, restore

    if schema == "old":
        db = old_schema_database(isolated_home)
    else:
        with open_store(isolated_home) as store:
            for days in (0, 3, 7, 14, 21):
                store.record_review("d/m", Grade.PASS, "quiz", day=D0 + timedelta(days=days))
        db = isolated_home / "progress.db"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    locked = make_unwritable([db, isolated_home])
    try:
        with open_store(isolated_home, maintenance_days=45, write=False) as store:
            assert store.states()["d/m"].due == D0 + timedelta(days=21 + 45)
    finally:
        restore(locked)
    assert list(elsewhere.iterdir()) == []  # the migrated copy lived in memory


@pytest.mark.parametrize("writable", [True, False])
def test_an_old_database_whose_next_schema_step_clashes_is_one_line_read_only_or_not(isolated_home, writable):
    from helpers import make_unwritable, restore

    db = old_schema_database(isolated_home, "CREATE TABLE plans (x)")  # a hand-made table in the way
    locked = [] if writable else make_unwritable([db, isolated_home])
    try:
        with pytest.raises(StoreError) as err:
            open_store(isolated_home, write=writable).close()
    finally:
        restore(locked)
    message = str(err.value)
    assert message.startswith(f"{db}: ") and "table plans already exists" in message and "\n" not in message


def test_free_space_is_read_on_the_databases_disk_or_its_folders_before_it_exists(tmp_path, monkeypatch):
    asked = []
    real = store_module.os.statvfs
    monkeypatch.setattr(store_module.os, "statvfs", lambda p: asked.append(p) or real(p))
    path = tmp_path / "progress.db"
    assert store_module._free_bytes(path) > 0 and asked == [tmp_path]  # not there yet: its folder
    path.write_bytes(b"")
    assert store_module._free_bytes(path) > 0 and asked[-1] == path


def test_a_reader_is_a_second_connection_that_sees_what_the_writer_committed(tmp_path):
    from datetime import date

    from gdgrill.scheduler import Grade

    with open_store(tmp_path / "home", maintenance_days=40) as store:
        with store.reader() as reader:
            assert reader.conn is not store.conn and reader.path == store.path and reader.maintenance_days == 40
            store.record_review("sample/betas", Grade.PASS, "quiz", day=date(2026, 3, 2))
            assert [(r.item, r.grade) for r in reader.log()] == [("sample/betas", "pass")]
        (tmp_path / "home" / "progress.db").unlink()  # the writer keeps its file open; the name is now a folder
        (tmp_path / "home" / "progress.db").mkdir()
        with pytest.raises(StoreError) as refused:
            store.reader()
        assert str(refused.value) == f"{store.path}: unable to open database file"
