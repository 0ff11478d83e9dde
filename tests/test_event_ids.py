"""Every event carries a globally unique id that increases with the row order (m007)."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from gdgrill.eventids import LOW_MASK, format_uid, is_uid, next_uid, parse_uid
from gdgrill.scheduler import Grade
from gdgrill.store import open_store

D0 = date(2026, 3, 2)
TABLES = ("reviews", "practice_ratings", "assessments", "grills", "plans", "suspensions")


@given(st.integers(0, (1 << 48) - 1), st.integers(0, LOW_MASK))
def test_an_id_reads_back_as_the_time_and_bits_it_was_made_of(ms, low):
    uid = format_uid(ms, low)
    assert is_uid(uid) and parse_uid(uid) == (ms, low)
    assert uid[14] == "7" and uid[19] in "89ab"  # a version-7 UUID, RFC 9562 variant


@given(st.integers(0, (1 << 47)), st.integers(0, LOW_MASK), st.integers(0, (1 << 47)), st.integers(0, (1 << 80)))
def test_the_next_id_is_always_greater_even_when_the_clock_stands_still_or_goes_back(ms, low, now, entropy):
    after = format_uid(ms, low)
    nxt = next_uid(after, now, entropy)
    assert nxt > after
    if now > ms:
        assert parse_uid(nxt)[0] == now


def test_ids_order_as_their_times():
    assert format_uid(1000, LOW_MASK) < format_uid(1001, 0)


def _old_database(home: Path) -> None:
    """A database as gdgrill left it before event ids (m001..m006), with every kind of row."""
    from gdgrill.migrations import MIGRATIONS

    home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home / "progress.db", isolation_level=None)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, migration in MIGRATIONS[:6]:
        migration(conn)
        conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01')", (name,))
    conn.execute("INSERT INTO items VALUES (1, 'd/a'), (2, 'd/b')")
    rows = [
        (1, 1, "2026-03-02T10:00:05+00:00", "2026-03-02", "pass", "quiz", 2, None, None, None, None),
        (2, 2, "2026-03-02T10:00:05+00:00", "2026-03-02", "fail", "quiz", 2, "x", 1.5, None, None),
        (3, 2, "2026-03-02T10:00:06+00:00", "2026-03-02", "undo", "quiz", 0, None, None, None, 2),
        (4, 1, "2026-03-01T09:00:00+00:00", "2026-03-01", "pass", "quiz", 2, None, None, None, None),  # clock went back
        (5, 1, "t", "2026-03-02", "pass", "quiz", 2, None, None, None, None),  # unreadable time
    ]
    conn.executemany("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("INSERT INTO plans (set_at, day, interview, per_day, focus) VALUES ('2026-03-01T08:00:00+00:00', '2026-03-01', '2026-04-01', 20, 'phone')")
    conn.execute("INSERT INTO suspensions (item, set_at, day, suspended) VALUES ('d/b', '2026-03-01T08:00:00+00:00', '2026-03-01', 1)")
    conn.execute("INSERT INTO practice_ratings (problem, rated_at, day, rating, hints_used, answer) VALUES ('p', '2026-03-01T08:00:00+00:00', '2026-03-01', 'lean', 1, 'mine')")
    conn.execute("INSERT INTO assessments (taken_at, day, ratings, total) VALUES ('2026-03-01T08:00:00+00:00', '2026-03-01', '{\"a\": 3}', 3)")
    conn.execute("INSERT INTO grills (taken_at, day, score, total, bands, seconds) VALUES ('2026-03-01T08:00:00+00:00', '2026-03-01', 40, 50, '[]', 600)")
    conn.close()


def _uids(home: Path) -> dict[str, list[tuple[int, str]]]:
    conn = sqlite3.connect(home / "progress.db")
    try:
        return {t: conn.execute(f"SELECT id, uid FROM {t} ORDER BY id").fetchall() for t in TABLES}
    finally:
        conn.close()


def test_migrating_gives_every_old_row_an_id_that_increases_with_its_row_order(tmp_path):
    home = tmp_path / "h"
    _old_database(home)
    with open_store(home) as store:
        assert [r.id for r in store.log()] == [1, 2, 3, 4, 5]  # rows and their ids kept
        assert store.history("d/b") == []  # the undo still takes row 2 back
    uids = _uids(home)
    for table in TABLES:
        ids = [u for _, u in uids[table]]
        assert ids and all(is_uid(u) for u in ids)
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
    reviews = [u for _, u in uids["reviews"]]
    stamp = datetime(2026, 3, 2, 10, 0, 6, tzinfo=timezone.utc).timestamp() * 1000
    assert [parse_uid(u)[0] for u in reviews][2:] == [stamp] * 3  # never earlier than the row before


def test_two_copies_of_one_database_migrate_to_the_same_ids_and_another_database_does_not(tmp_path):
    _old_database(tmp_path / "laptop")
    shutil.copytree(tmp_path / "laptop", tmp_path / "desktop")
    other = tmp_path / "other"
    _old_database(other)
    conn = sqlite3.connect(other / "progress.db")
    conn.execute("UPDATE reviews SET answer = 'y' WHERE id = 2")  # one different answer
    conn.commit()
    conn.close()
    for home in ("laptop", "desktop", "other"):
        open_store(tmp_path / home).close()
    laptop, desktop, unrelated = (_uids(tmp_path / h) for h in ("laptop", "desktop", "other"))
    assert laptop == desktop  # a sync of the two will not double their shared history
    assert laptop["reviews"][1] != unrelated["reviews"][1]
    assert laptop["reviews"][0] == unrelated["reviews"][0]  # the very same row: the same event


def test_every_new_event_gets_an_id_after_the_newest_even_with_a_clock_set_back(tmp_path):
    home = tmp_path / "h"
    _old_database(home)
    past = datetime(2001, 1, 1, tzinfo=timezone.utc)
    with open_store(home) as store:
        store.record_review("d/a", Grade.PASS, "quiz", day=D0, at=past)
        store.record_reviews([{"item": "d/a", "grade": "pass", "mode": "review"}, {"item": "d/b", "grade": "fail", "mode": "review"}], day=D0)
        store.undo(store.log()[-1].id, day=D0)
        store.set_plan(date(2026, 5, 1), 10, "phone", day=D0)
        store.clear_plan(day=D0)
        store.suspend("d/a", day=D0)
        store.record_practice("p", "strong", 0, day=D0, answer="a")
        store.record_assessment({"a": 1}, day=D0)
        store.record_grill(1, 2, [], None, day=D0)
    for table, rows in _uids(home).items():
        ids = [u for _, u in rows]
        assert ids == sorted(ids) and len(set(ids)) == len(ids), table
        assert all(is_uid(u) for u in ids)
