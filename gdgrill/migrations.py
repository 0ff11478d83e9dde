"""The progress database's schema, as an ordered list of named migrations.

Each migration runs once, inside a transaction, and is recorded in ``_migrations``. A
database that records a migration this version does not know comes from a newer gdgrill
and is refused untouched. Never edit a shipped migration: append a new one.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

Migration = Callable[[sqlite3.Connection], None]


def m001_review_log(db: sqlite3.Connection) -> None:
    # The append-only log every card and drill state is derived from. An undo is a row of
    # its own (grade 'undo', undoes = the row it takes back), never a deletion or an edit.
    # `effect` records, once and for all at insert, what the row counts for:
    # 2 = a ladder review (moves the card and counts in pass rates), 1 = counts in pass
    # rates only (a grill pass), 0 = neither (cram practice, undo events). Integers keep
    # the report's million-row scan to integer comparisons.
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE)")
    db.execute(
        """
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            reviewed_at TEXT NOT NULL,
            day TEXT NOT NULL,
            grade TEXT NOT NULL CHECK (grade IN ('pass', 'fail', 'undo')),
            mode TEXT NOT NULL,
            effect INTEGER NOT NULL CHECK (effect IN (0, 1, 2)),
            answer TEXT,
            seconds REAL,
            detail TEXT,
            undoes INTEGER REFERENCES reviews (id)
        )
        """
    )
    # Covering index: the report's one pass over a million-row log never touches the table.
    db.execute("CREATE INDEX reviews_ladder ON reviews (item_id, id, effect, grade, day)")
    # Covering index for the recent-days windows and the study streak.
    db.execute("CREATE INDEX reviews_day ON reviews (day, item_id, grade, effect)")
    db.execute("CREATE INDEX reviews_undoes ON reviews (undoes) WHERE undoes IS NOT NULL")
    # The ladder's misses (a miss resets a card), to find each card's last one quickly.
    db.execute("CREATE INDEX reviews_misses ON reviews (item_id, id) WHERE effect = 2 AND grade = 'fail'")


def m002_practice_assess_grill(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE practice_ratings (
            id INTEGER PRIMARY KEY,
            problem TEXT NOT NULL,
            rated_at TEXT NOT NULL,
            day TEXT NOT NULL,
            rating TEXT NOT NULL CHECK (rating IN ('strong', 'lean', 'no_hire')),
            hints_used INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute(
        """
        CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            taken_at TEXT NOT NULL,
            day TEXT NOT NULL,
            ratings TEXT NOT NULL,
            total INTEGER NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE grills (
            id INTEGER PRIMARY KEY,
            taken_at TEXT NOT NULL,
            day TEXT NOT NULL,
            score INTEGER NOT NULL,
            total INTEGER NOT NULL,
            bands TEXT NOT NULL,
            seconds REAL
        )
        """
    )


def m003_plans(db: sqlite3.Connection) -> None:
    # The interview plan as events, like the review log: each row sets a plan, or clears it
    # (interview NULL); the current plan is the newest row. Nothing is updated in place, so
    # an old gdgrill's rows stay meaningful and two logs can be merged.
    db.execute(
        """
        CREATE TABLE plans (
            id INTEGER PRIMARY KEY,
            set_at TEXT NOT NULL,
            day TEXT NOT NULL,
            interview TEXT,
            per_day INTEGER CHECK (per_day IS NULL OR per_day >= 1),
            focus TEXT CHECK (focus IS NULL OR focus IN ('phone', 'research'))
        )
        """
    )


def m004_easy_grade(db: sqlite3.Connection) -> None:
    # A third grade, 'easy' (a pass that skips the next checkpoint). SQLite cannot change a
    # CHECK constraint in place: the table is rebuilt (create, copy, drop, rename), every
    # row and id kept, and its indexes made again.
    db.execute(
        """
        CREATE TABLE reviews_m004 (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            reviewed_at TEXT NOT NULL,
            day TEXT NOT NULL,
            grade TEXT NOT NULL CHECK (grade IN ('pass', 'fail', 'undo', 'easy')),
            mode TEXT NOT NULL,
            effect INTEGER NOT NULL CHECK (effect IN (0, 1, 2)),
            answer TEXT,
            seconds REAL,
            detail TEXT,
            undoes INTEGER REFERENCES reviews (id)
        )
        """
    )
    db.execute("INSERT INTO reviews_m004 SELECT * FROM reviews")
    db.execute("DROP TABLE reviews")
    db.execute("ALTER TABLE reviews_m004 RENAME TO reviews")
    db.execute("CREATE INDEX reviews_ladder ON reviews (item_id, id, effect, grade, day)")
    db.execute("CREATE INDEX reviews_day ON reviews (day, item_id, grade, effect)")
    db.execute("CREATE INDEX reviews_undoes ON reviews (undoes) WHERE undoes IS NOT NULL")
    db.execute("CREATE INDEX reviews_misses ON reviews (item_id, id) WHERE effect = 2 AND grade = 'fail'")


def m005_suspensions(db: sqlite3.Connection) -> None:
    # Suspending a card is an event, like everything else: each row suspends ``item``
    # ('deck/card') or lifts its suspension (suspended = 0); the newest row per item is in
    # force. The review log is not touched, so an unsuspended card resumes where it stood.
    db.execute(
        """
        CREATE TABLE suspensions (
            id INTEGER PRIMARY KEY,
            item TEXT NOT NULL,
            set_at TEXT NOT NULL,
            day TEXT NOT NULL,
            suspended INTEGER NOT NULL CHECK (suspended IN (0, 1))
        )
        """
    )
    db.execute("CREATE INDEX suspensions_item ON suspensions (item, id)")


def m006_practice_answers(db: sqlite3.Connection) -> None:
    # The answer typed or pasted before the reveal, kept with its self-rating. Rows written
    # before this step (and ratings given without typing) have NULL here.
    db.execute("ALTER TABLE practice_ratings ADD COLUMN answer TEXT")


# The event tables and the column holding the moment each row was written.
EVENT_TABLES = {
    "reviews": "reviewed_at",
    "practice_ratings": "rated_at",
    "assessments": "taken_at",
    "grills": "taken_at",
    "plans": "set_at",
    "suspensions": "set_at",
}


def _stamp_ms(value: object, cache: dict) -> int | None:
    ms = cache.get(value, -1)
    if ms == -1:
        from datetime import datetime, timezone

        try:
            moment = datetime.fromisoformat(value)  # type: ignore[arg-type]
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            ms = int(moment.timestamp() * 1000)
        except (TypeError, ValueError, OverflowError):
            ms = None  # unreadable: the id takes the previous row's time
        cache[value] = ms
    return ms


def m007_event_ids(db: sqlite3.Connection) -> None:
    # Every event gets a globally unique id (`uid`, see gdgrill.eventids) so two logs can
    # be merged, and `origin`: NULL for an event made here (or imported from a file), else
    # the machine id of the sync file it was merged from. Every insert path of the store
    # stamps the id (SQLite cannot add a NOT NULL column without a default, and a trigger
    # refusing NULL would cost a third of a bulk merge's time).
    #
    # The existing rows' ids are deterministic, so two copies of one database migrated on
    # two machines give their shared rows the same ids (a later sync does not double them):
    # the row's time (never earlier than the row before it), then its row id (so ids
    # increase with row order) and a CRC of the row (so unrelated databases differ).
    import zlib

    from gdgrill.eventids import format_uid

    cache: dict = {}
    for table, stamp in EVENT_TABLES.items():
        db.execute(f"ALTER TABLE {table} ADD COLUMN uid TEXT")
        db.execute(f"ALTER TABLE {table} ADD COLUMN origin TEXT")
        names = [row[1] for row in db.execute(f"PRAGMA table_info({table})")][:-2]
        at = names.index(stamp)
        ids = []
        last = 0
        for row in db.execute(f"SELECT * FROM {table} ORDER BY id"):
            ms = _stamp_ms(row[at], cache)
            if ms is not None and ms > last:
                last = ms
            fingerprint = zlib.crc32("\x1f".join(map(str, (table, *row))).encode("utf-8", "surrogatepass"))
            ids.append((format_uid(last, (row[0] & ((1 << 42) - 1)) << 32 | fingerprint), row[0]))
        db.executemany(f"UPDATE {table} SET uid = ? WHERE id = ?", ids)
        db.execute(f"CREATE UNIQUE INDEX {table}_uid ON {table} (uid)")
    # Which version of each machine's sync file this log has merged (its closing line's
    # checksum): an unchanged file is not read again. Kept here, not beside the database,
    # so a restored backup forgets exactly the merges it does not hold.
    db.execute("CREATE TABLE sync_files (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, merged_at TEXT NOT NULL)")

MIGRATIONS: list[tuple[str, Migration]] = [
    ("m001_review_log", m001_review_log),
    ("m002_practice_assess_grill", m002_practice_assess_grill),
    ("m003_plans", m003_plans),
    ("m004_easy_grade", m004_easy_grade),
    ("m005_suspensions", m005_suspensions),
    ("m006_practice_answers", m006_practice_answers),
    ("m007_event_ids", m007_event_ids),
]
