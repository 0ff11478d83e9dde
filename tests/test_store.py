"""The progress database: schema, append-only log, refusals that leave files untouched."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdgrill.scheduler import Grade, card_state
from gdgrill.store import StoreError, open_store

D0 = date(2026, 3, 2)


def schema(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))
    finally:
        conn.close()


def test_an_empty_database_migrates_to_the_exact_schema(tmp_path):
    with open_store(tmp_path) as store:
        applied = [r[0] for r in store.conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert applied == [
        "m001_review_log", "m002_practice_assess_grill", "m003_plans", "m004_easy_grade", "m005_suspensions",
        "m006_practice_answers", "m007_event_ids",
    ]
    names = [(kind, name) for kind, name, _ in schema(tmp_path / "progress.db")]
    assert names == [
        ("index", "assessments_uid"),
        ("index", "grills_uid"),
        ("index", "plans_uid"),
        ("index", "practice_ratings_uid"),
        ("index", "reviews_day"),
        ("index", "reviews_ladder"),
        ("index", "reviews_misses"),
        ("index", "reviews_uid"),
        ("index", "reviews_undoes"),
        ("index", "suspensions_item"),
        ("index", "suspensions_uid"),
        ("table", "_migrations"),
        ("table", "assessments"),
        ("table", "grills"),
        ("table", "items"),
        ("table", "plans"),
        ("table", "practice_ratings"),
        ("table", "reviews"),
        ("table", "suspensions"),
        ("table", "sync_files"),
    ]
    conn = sqlite3.connect(tmp_path / "progress.db")
    columns = [row[1] for row in conn.execute("PRAGMA table_info(reviews)")]
    assert columns == [
        "id", "item_id", "reviewed_at", "day", "grade", "mode", "effect", "answer", "seconds", "detail", "undoes",
        "uid", "origin",
    ]
    assert [row[1] for row in conn.execute("PRAGMA table_info(items)")] == ["id", "key"]
    assert [row[1] for row in conn.execute("PRAGMA table_info(practice_ratings)")] == [
        "id", "problem", "rated_at", "day", "rating", "hints_used", "answer", "uid", "origin",
    ]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_applies_nothing_twice(tmp_path):
    open_store(tmp_path).close()
    before = schema(tmp_path / "progress.db")
    with open_store(tmp_path) as store:
        assert store.conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == 7
    assert schema(tmp_path / "progress.db") == before


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_that_is_not_sqlite_is_refused_and_left_byte_for_byte(tmp_path):
    db = tmp_path / "progress.db"
    db.write_bytes(b"my precious notes, not a database\n" * 100)
    before = digest(db)
    with pytest.raises(StoreError, match="not a gdgrill progress database"):
        open_store(tmp_path)
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.db"]


def test_a_corrupt_database_is_refused_and_left_untouched(tmp_path):
    with open_store(tmp_path) as store:
        for i in range(50):
            store.record_review(f"d/c{i}", Grade.PASS, "quiz", day=D0)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = tmp_path / "progress.db"
    raw = bytearray(db.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # wreck the schema page, keep the header
    db.write_bytes(bytes(raw))
    before = digest(db)
    with pytest.raises(StoreError, match="corrupt"):
        open_store(tmp_path)
    assert digest(db) == before


def test_a_database_from_a_newer_gdgrill_is_refused_untouched(tmp_path):
    with open_store(tmp_path) as store:
        store.conn.execute("INSERT INTO _migrations VALUES ('m099_from_the_future', '2030-01-01')")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = tmp_path / "progress.db"
    before = digest(db)
    with pytest.raises(StoreError, match="newer gdgrill"):
        open_store(tmp_path)
    assert digest(db) == before


def test_every_grade_is_appended_and_undo_is_an_event_not_a_deletion(tmp_path):
    with open_store(tmp_path) as store:
        first = store.record_review("d/a", Grade.PASS, "quiz", day=D0, answer="0.9", seconds=3.5)
        store.record_review("d/a", Grade.FAIL, "quiz", day=D0 + timedelta(days=3))
        store.undo(first, day=D0 + timedelta(days=3))
        rows = store.log("d/a")
        assert [r.grade for r in rows] == ["pass", "fail", "undo"]
        assert rows[2].undoes == first and rows[0].answer == "0.9" and rows[0].seconds == 3.5
        assert [r.grade for r in store.history("d/a")] == [Grade.FAIL]


def test_cram_reviews_are_logged_but_do_not_move_the_schedule(tmp_path):
    with open_store(tmp_path) as store:
        store.record_review("d/a", Grade.PASS, "quiz", day=D0)
        store.record_review("d/a", Grade.FAIL, "cram", day=D0 + timedelta(days=1))
        assert store.states()["d/a"].due == D0 + timedelta(days=3)
        assert len(store.log("d/a")) == 2


events = st.lists(
    st.tuples(st.sampled_from(["d/a", "d/b", "d/c"]), st.integers(0, 9), st.booleans(), st.booleans()), max_size=40
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events)
def test_the_fast_state_query_agrees_with_replaying_every_history(tmp_path_factory, evs):
    home = tmp_path_factory.mktemp("h")
    with open_store(home) as store:
        d, ids = D0, []
        for item, gap, passed, undo in evs:
            d += timedelta(days=gap)
            ids.append(store.record_review(item, Grade.PASS if passed else Grade.FAIL, "quiz", day=d))
            if undo and ids:
                store.undo(ids.pop(0), day=d)
        fast = store.states()
        slow = {i: card_state(store.history(i)) for i in ("d/a", "d/b", "d/c") if store.history(i)}
        assert fast == slow
        assert store.states_for(slow) == slow
        live = [r for r in store.log() if r.grade != "undo" and r.id not in {x.undoes for x in store.log()}]
        for key, summary in store.summaries(d).items():
            mine = [r for r in live if r.item == key]
            assert summary.all_time.reviews == len(mine) and summary.all_time.fails == sum(r.grade == "fail" for r in mine)
            recent = [r for r in mine if (d - r.day).days < 7]
            assert (summary.week.reviews, summary.week.passes) == (len(recent), sum(r.grade == "pass" for r in recent))
        # The states on past days (the report's readiness over time) agree with replaying up to each day.
        days = [D0 + timedelta(days=k) for k in range(0, 200, 9)]
        for key, summary in store.summaries(d, history=days).items():
            history = store.history(key)
            assert summary.state == (card_state(history) if history else summary.state)
            assert list(summary.history) == [card_state([r for r in history if r.day <= day]) for day in days]


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import date
    from pathlib import Path
    from gdgrill.store import open_store
    with open_store(Path(sys.argv[1])) as store:
        for i in range(int(sys.argv[3])):
            store.record_review(f"{sys.argv[2]}/{i}", "pass", "quiz", day=date(2026, 3, 2))
    """
)


def test_two_processes_grading_at_once_lose_nothing(tmp_path):
    open_store(tmp_path).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name, "300"]) for name in ("left", "right")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with open_store(tmp_path) as store:
        items = [r.item for r in store.log()]
    assert len(items) == len(set(items)) == 600


def test_an_unwritable_home_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the data folder"):
        open_store(blocker / "home")


def test_the_maintenance_gap_is_configurable_and_checked(tmp_path, monkeypatch):
    from gdgrill.errors import UserError

    ladder = [D0 + timedelta(days=d) for d in (0, 3, 7, 14, 21)]
    monkeypatch.setenv("GDGRILL_MAINTENANCE_DAYS", "45")
    with open_store(tmp_path) as store:
        for d in ladder:
            store.record_review("d/a", Grade.PASS, "quiz", day=d)
        assert store.states()["d/a"].due == ladder[-1] + timedelta(days=45)
        assert store.states_for(["d/a"])["d/a"].due == ladder[-1] + timedelta(days=45)
    monkeypatch.setenv("GDGRILL_MAINTENANCE_DAYS", "soon")
    with pytest.raises(UserError, match="GDGRILL_MAINTENANCE_DAYS"):
        open_store(tmp_path)


def test_someone_elses_sqlite_database_is_refused_untouched(tmp_path):
    db = tmp_path / "progress.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE foo (x)")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = digest(db)
    with pytest.raises(StoreError, match="did not create"):
        open_store(tmp_path)
    assert digest(db) == before


def test_a_review_cannot_be_undone_twice(tmp_path):
    with open_store(tmp_path) as store:
        first = store.record_review("d/a", Grade.PASS, "quiz", day=D0)
        store.undo(first, day=D0)
        with pytest.raises(StoreError, match="no review"):
            store.undo(first, day=D0)


def test_an_undo_cannot_itself_be_undone_so_the_taken_back_grade_stays_gone(tmp_path):
    with open_store(tmp_path) as store:
        store.record_review("d/a", Grade.PASS, "quiz", day=D0)
        miss = store.record_review("d/a", Grade.FAIL, "quiz", day=D0 + timedelta(days=3))
        undo = store.undo(miss, day=D0 + timedelta(days=3))
        with pytest.raises(StoreError, match=f"no review #{undo} to undo"):
            store.undo(undo, day=D0 + timedelta(days=3))
        assert [r.grade for r in store.log()] == ["pass", "fail", "undo"]
        assert store.history("d/a") == [(D0, Grade.PASS)]
        with pytest.raises(StoreError, match="no review #99 to undo"):
            store.undo(99, day=D0)


def test_odd_digits_in_the_maintenance_setting_are_refused(tmp_path, monkeypatch):
    from gdgrill.errors import UserError

    monkeypatch.setenv("GDGRILL_MAINTENANCE_DAYS", "³")
    with pytest.raises(UserError, match="GDGRILL_MAINTENANCE_DAYS"):
        open_store(tmp_path)


def test_study_days_skip_days_whose_only_grade_was_undone(tmp_path):
    with open_store(tmp_path) as store:
        store.record_review("d/a", Grade.PASS, "quiz", day=D0)
        taken_back = store.record_review("d/a", Grade.FAIL, "quiz", day=D0 + timedelta(days=1))
        store.undo(taken_back, day=D0 + timedelta(days=1))
        store.record_review("d/b", Grade.PASS, "cram", day=D0 + timedelta(days=3))
        assert store.study_days() == [D0 + timedelta(days=3), D0]


def test_a_counted_miss_always_moves_the_ladder(tmp_path):
    with open_store(tmp_path) as store:
        with pytest.raises(ValueError, match="moves the ladder"):
            store.record_review("d/a", Grade.FAIL, "grill", day=D0, scheduling=False)
        store.record_review("d/a", Grade.FAIL, "cram", day=D0)  # practice only: fine
        assert store.log() and "d/a" not in store.states()


def test_a_database_from_before_the_easy_grade_keeps_every_row_and_takes_easy(tmp_path):
    from gdgrill.migrations import MIGRATIONS

    conn = sqlite3.connect(tmp_path / "progress.db", isolation_level=None)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, migration in MIGRATIONS[:3]:  # as gdgrill left it before m004
        migration(conn)
        conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01')", (name,))
    conn.execute("INSERT INTO items VALUES (1, 'd/a')")
    conn.execute("INSERT INTO reviews VALUES (1, 1, 't', '2026-03-02', 'pass', 'quiz', 2, 'x', 1.5, NULL, NULL)")
    conn.execute("INSERT INTO reviews VALUES (2, 1, 't', '2026-03-02', 'undo', 'quiz', 0, NULL, NULL, NULL, 1)")
    conn.execute("INSERT INTO reviews VALUES (7, 1, 't', '2026-03-02', 'fail', 'quiz', 2, NULL, NULL, NULL, NULL)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO reviews VALUES (8, 1, 't', '2026-03-02', 'easy', 'quiz', 2, NULL, NULL, NULL, NULL)")
    conn.close()
    with open_store(tmp_path) as store:
        rows = [(r.id, r.grade, r.undoes, r.answer) for r in store.log()]
        assert rows == [(1, "pass", None, "x"), (2, "undo", 1, None), (7, "fail", None, None)]
        assert store.history("d/a") == [(D0, Grade.FAIL)]  # the undo still takes row 1 back
        store.record_review("d/a", Grade.EASY, "quiz", day=D0 + timedelta(days=1))
        assert store.states()["d/a"].checkpoint_day == 7  # easy at day 0 skips day 3
    indexes = {name for kind, name, _ in schema(tmp_path / "progress.db") if kind == "index"}
    assert {"reviews_day", "reviews_ladder", "reviews_misses", "reviews_undoes"} <= indexes
