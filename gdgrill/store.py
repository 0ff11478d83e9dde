"""The progress database: an append-only SQLite log of every grade, plus practice ratings,
self-assessments and grill results.

Card and drill states are never stored: they are derived from the log by the pure
scheduler (:mod:`gdgrill.scheduler`), so nothing graded is lost and any figure can be
recomputed. Every write is its own transaction, committed before the call returns; WAL
mode and a busy timeout let two gdgrill processes write at once.

Opening refuses, with a one-line :class:`StoreError` and without writing a byte, a file
that is not SQLite, a corrupt database, and one written by a newer gdgrill.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Sequence

from gdgrill.errors import UserError
from gdgrill.eventids import fresh_uid
from gdgrill.migrations import MIGRATIONS
from gdgrill.paths import database_path
from gdgrill.text import clean_text
from gdgrill.scheduler import DEFAULT_MAINTENANCE_DAYS, NEW_STATE, CardState, Grade, Review, card_state, replay, states_on

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
NON_SCHEDULING_MODES = frozenset({"cram", "relearn"})  # practised without touching the ladder
# What a logged row counts for (the `effect` column; see migrations.m001_review_log).
NO_EFFECT, STATS_ONLY, LADDER = 0, 1, 2


class StoreError(UserError):
    pass


class DamagedValue(ValueError):
    """A value in an intact database that gdgrill cannot read (a hand edit, a bad tool)."""

    def __init__(self, column: str, value: Any, expected: str):
        super().__init__(f"{column} holds {value!r}, not {expected}")


def _day(value: Any, column: str = "reviews.day") -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise DamagedValue(column, value, "a date (YYYY-MM-DD)") from None


_GRADES = {g.value: g for g in Grade}


def _grade(value: Any) -> Grade:
    grade = _GRADES.get(value)
    if grade is None:
        raise DamagedValue("reviews.grade", value, "a grade (" + ", ".join(_GRADES) + ")")
    return grade


def _json(value: Any, column: str, kind: type, expected: str) -> Any:
    try:
        decoded = json.loads(value)
    except (TypeError, ValueError):
        raise DamagedValue(column, value, expected) from None
    if not isinstance(decoded, kind):
        raise DamagedValue(column, value, expected)
    return decoded


def _ratings(value: Any) -> dict[str, int]:
    ratings = _json(value, "assessments.ratings", dict, "a JSON object of ratings")
    if not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in ratings.items()):
        raise DamagedValue("assessments.ratings", value, "a JSON object of whole-number ratings")
    return ratings


def _bands(value: Any) -> list[dict[str, Any]]:
    bands = _json(value, "grills.bands", list, "a JSON list of bands")
    if not all(isinstance(b, dict) for b in bands):
        raise DamagedValue("grills.bands", value, "a JSON list of bands")
    return bands


def _number(value: Any, column: str, *, whole: bool = False, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    ok = isinstance(value, int) if whole else isinstance(value, (int, float))
    if not ok or isinstance(value, bool):
        raise DamagedValue(column, value, "a whole number" if whole else "a number")
    return value


class LoggedReview(NamedTuple):
    id: int
    item: str
    reviewed_at: str
    day: date
    grade: str
    mode: str
    answer: str | None
    seconds: float | None
    detail: dict[str, Any] | None
    undoes: int | None


class ItemStats(NamedTuple):
    """Counts over an item's graded, not-undone reviews (cram practice excluded)."""

    reviews: int
    passes: int
    fails: int

    @property
    def pass_rate(self) -> float | None:
        return self.passes / self.reviews if self.reviews else None


class StoredPlan(NamedTuple):
    interview: date
    per_day: int
    focus: str  # 'phone' (tiers 1-2 first) or 'research'
    set_on: date


class ItemSummary(NamedTuple):
    state: CardState
    all_time: ItemStats
    week: ItemStats
    month: ItemStats
    history: tuple[CardState, ...] = ()  # the state at the end of each day asked for (see summaries)


MIN_FREE_BYTES = 256 * 1024  # below this a grade may not fit: refuse before asking


def _free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(path if path.exists() else path.parent)
    except (OSError, AttributeError):  # no statvfs on Windows
        return None
    return st.f_bavail * st.f_frsize


def _read_only_reason(path: Path) -> str | None:
    """Why the database cannot be written, when that is the cause: a read-only mount, an
    unwritable file or folder. None when it looks writable."""
    try:
        st = os.statvfs(path.parent)
        if st.f_flag & getattr(os, "ST_RDONLY", 1):
            return "it is on a read-only file system"
    except (OSError, AttributeError):
        pass
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    if not os.access(path.parent, os.W_OK):
        return f"its folder {path.parent} is read-only"
    return None


def failure_message(path: Path, exc: sqlite3.DatabaseError) -> str:
    """One line for an SQLite failure, naming the real cause: a healthy file on a
    read-only mount or a full disk is not called corrupt."""
    text = str(exc)
    reason = _read_only_reason(path)
    if reason or "readonly" in text:
        return f"{path}: cannot write the progress database: {reason or 'it is read-only'} ({text}); nothing was saved"
    free = _free_bytes(path)
    if "full" in text or (free is not None and free < MIN_FREE_BYTES):
        return f"{path}: the disk is full ({text}); free some space and run the command again"
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        return f"{path}: the progress database is busy ({text}); another gdgrill is writing: try again"
    if isinstance(exc, sqlite3.OperationalError) and "I/O" not in text and "malformed" not in text:
        return f"{path}: {text}"
    return f"{path}: the progress database is corrupt ({text}); left untouched"


def damaged_message(path: Path, exc: DamagedValue) -> str:
    return (
        f"{path}: a damaged value in the progress database: {exc}; left untouched"
        " (fix that row with sqlite3, or restore a backup)"
    )


def _utc_iso(moment: datetime | None) -> str:
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _refuse_unless_sqlite(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the progress database ({exc.strerror})") from None
    if header and header != SQLITE_HEADER:
        raise StoreError(f"{path}: not a gdgrill progress database (not an SQLite file); left untouched")


def _applied_migrations(conn: sqlite3.Connection) -> list[str]:
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if not has_table:
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that cannot write. On a read-only mount SQLite cannot create the WAL's
    shared-memory file; with no WAL file present nothing is pending, so the file is opened
    as immutable."""
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        if Path(f"{path}-wal").exists() or _read_only_reason(path) is None:
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)


def _check_readonly(path: Path) -> None:
    """Look at an existing database without writing: corrupt or newer files are refused."""
    _refuse_unless_sqlite(path)
    if path.stat().st_size == 0:
        return
    try:
        conn = _connect_readonly(path)
        try:
            applied = _applied_migrations(conn)
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name != '_migrations'"
            ).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(failure_message(path, exc)) from None
    if tables and not applied:
        raise StoreError(f"{path}: an SQLite database that gdgrill did not create; left untouched (use another --home)")
    known = {name for name, _ in MIGRATIONS}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise StoreError(
            f"{path}: written by a newer gdgrill (schema step {unknown[0]!r}); upgrade gdgrill to use it (file left untouched)"
        )


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database lacks, each in its own transaction; return them."""
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = []
    for name, migration in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                conn.execute("COMMIT")
                continue
            migration(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, _utc_iso(None)))
            conn.execute("COMMIT")
            done.append(name)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return done


class Store:
    """An open progress database. Use :func:`open_store`; close it (or use ``with``)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, maintenance_days: int = DEFAULT_MAINTENANCE_DAYS):
        self.conn = conn
        self.path = path
        self.maintenance_days = maintenance_days  # the gap between maintenance checks
        self._item_ids: dict[str, int] = {}

    # -- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def reader(self) -> "Store":
        """Another connection to the same database, to read from on another thread (a
        connection belongs to the thread that made it). WAL: it reads while this one writes."""
        try:
            conn = _connect(self.path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(failure_message(self.path, exc)) from None
        return Store(conn, self.path, self.maintenance_days)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except DamagedValue as exc:
            raise StoreError(damaged_message(self.path, exc)) from None
        except sqlite3.IntegrityError:
            raise  # a constraint gdgrill itself broke: a bug, not a corrupt file
        except sqlite3.DatabaseError as exc:
            raise StoreError(failure_message(self.path, exc)) from None

    def check_writable(self) -> None:
        """Refuse now, before the user answers anything, when a grade could not be saved
        (a read-only file or mount, an immutable file, a full disk)."""
        with self._errors():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                # A no-op write still takes the write path: a read-only file fails here.
                self.conn.execute("DELETE FROM items WHERE 0")
            finally:
                self.conn.execute("ROLLBACK")
        free = _free_bytes(self.path)
        if free is not None and free < MIN_FREE_BYTES:
            raise StoreError(f"{self.path}: the disk is full ({free // 1024} KiB free); free some space to save grades")

    # -- the review log ---------------------------------------------------------------
    def _item_id(self, key: str) -> int:
        item_id = self._item_ids.get(key)
        if item_id is None:
            self.conn.execute("INSERT INTO items (key) VALUES (?) ON CONFLICT (key) DO NOTHING", (key,))
            item_id = self.conn.execute("SELECT id FROM items WHERE key = ?", (key,)).fetchone()[0]
            self._item_ids[key] = item_id
        return item_id

    def record_review(
        self,
        item: str,
        grade: Grade | str,
        mode: str,
        *,
        day: date,
        answer: str | None = None,
        seconds: float | None = None,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
        scheduling: bool | None = None,
    ) -> int:
        """Append one graded review of ``item`` ('deck/card' or 'drill/name') and commit it
        before returning. ``day`` is the study day (see :func:`gdgrill.clock.today`).
        Whether it moves the ladder is ``scheduling``, by default decided by the mode (a
        mode in NON_SCHEDULING_MODES, cram, does not). Returns the review's id (what
        :meth:`undo` takes)."""
        with self._errors(), self._transaction():
            return self._insert_review(item, grade, mode, day, answer, seconds, detail, at, scheduling)

    def _insert_review(
        self, item: str, grade: Grade | str, mode: str, day: date, answer: str | None, seconds: float | None,
        detail: dict[str, Any] | None, at: datetime | None, scheduling: bool | None,
    ) -> int:
        grade = Grade(grade)
        if scheduling is None:
            scheduling = mode not in NON_SCHEDULING_MODES
        effect = LADDER if scheduling else (NO_EFFECT if mode in NON_SCHEDULING_MODES else STATS_ONLY)
        if effect == STATS_ONLY and grade is Grade.FAIL:
            raise ValueError("a counted miss always moves the ladder: record it with scheduling=True")
        cur = self.conn.execute(
            "INSERT INTO reviews (item_id, reviewed_at, day, grade, mode, effect, answer, seconds, detail, uid)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._item_id(item),
                _utc_iso(at),
                day.isoformat(),
                grade.value,
                mode,
                effect,
                clean_text(answer) if answer is not None else None,
                seconds,
                json.dumps(detail, sort_keys=True) if detail else None,
                self._new_uid("reviews"),
            ),
        )
        return int(cur.lastrowid)

    def _new_uid(self, table: str) -> str:
        """A new event's globally unique id, after the newest one in ``table`` (so ids
        increase with row order; see gdgrill.eventids). Call inside a write transaction."""
        return fresh_uid(self.conn.execute(f"SELECT MAX(uid) FROM {table}").fetchone()[0])

    def record_reviews(self, reviews: list[dict[str, Any]], *, day: date) -> list[int]:
        """Append several reviews in one transaction: all are saved or none. Each is a
        mapping of :meth:`record_review`'s arguments (``item``, ``grade``, ``mode``, and
        optionally ``answer``, ``seconds``, ``detail``)."""
        with self._errors(), self._transaction():
            return [
                self._insert_review(
                    r["item"], r["grade"], r["mode"], day, r.get("answer"), r.get("seconds"), r.get("detail"), None, None
                )
                for r in reviews
            ]

    def undo(self, review_id: int, *, day: date, at: datetime | None = None) -> int:
        """Take back review ``review_id`` by appending an undo event (nothing is deleted)."""
        with self._errors(), self._transaction():
            row = self.conn.execute(
                f"SELECT item_id, mode FROM reviews r WHERE r.id = ? AND r.grade != 'undo' AND {self._NOT_UNDONE}",
                (review_id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"{self.path}: no review #{review_id} to undo")
            cur = self.conn.execute(
                "INSERT INTO reviews (item_id, reviewed_at, day, grade, mode, effect, undoes, uid)"
                " VALUES (?, ?, ?, 'undo', ?, 0, ?, ?)",
                (row[0], _utc_iso(at), day.isoformat(), row[1], review_id, self._new_uid("reviews")),
            )
        return int(cur.lastrowid)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            self._item_ids.clear()  # ids inserted in the rolled-back transaction are gone
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    _SELECT_LOG = (
        "SELECT r.id, i.key, r.reviewed_at, r.day, r.grade, r.mode, r.answer, r.seconds, r.detail, r.undoes"
        " FROM reviews r JOIN items i ON i.id = r.item_id"
    )

    def log(self, item: str | None = None) -> list[LoggedReview]:
        """Every row of the log (undo events and undone rows included), oldest first."""
        if item is None:
            return self._rows("", ())
        return self._rows("WHERE i.key = ?", (item,))

    def _rows(self, where: str, params: tuple[Any, ...]) -> list[LoggedReview]:
        with self._errors():
            rows = self.conn.execute(f"{self._SELECT_LOG} {where} ORDER BY r.id", params).fetchall()
            return [
                LoggedReview(
                    r[0], r[1], r[2], _day(r[3]), r[4], r[5], r[6], _number(r[7], "reviews.seconds", optional=True),
                    _json(r[8], "reviews.detail", dict, "a JSON object") if r[8] else None, r[9],
                )
                for r in rows
            ]

    _NOT_UNDONE = "r.id NOT IN (SELECT undoes FROM reviews WHERE undoes IS NOT NULL)"

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads that see one state of the log (WAL: a read transaction)."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    @property
    def _not_undone(self) -> str:
        """SQL that keeps rows no undo event took back. Most logs hold no undo at all; then
        the clause is dropped, which saves a lookup per row on a million-row scan."""
        has_undo = self.conn.execute("SELECT 1 FROM reviews WHERE undoes IS NOT NULL LIMIT 1").fetchone()
        return self._NOT_UNDONE if has_undo else "1"

    @property
    def _live(self) -> str:
        """SQL for a live scheduling review: it moves the ladder and was not undone."""
        return f"r.effect = {LADDER} AND {self._not_undone}"

    def history(self, item: str) -> list[Review]:
        """The reviews the scheduler replays for ``item``: live, scheduling, oldest first."""
        with self._errors():
            rows = self.conn.execute(
                f"SELECT r.day, r.grade FROM reviews r JOIN items i ON i.id = r.item_id"
                f" WHERE i.key = ? AND {self._live} ORDER BY r.id",
                (item,),
            ).fetchall()
            return [Review(_day(d), _grade(g)) for d, g in rows]

    def states_for(self, items: Iterable[str], maintenance_days: int | None = None) -> dict[str, CardState]:
        """States of the given items (those with a live review), each replayed in full."""
        out = {}
        for item in items:
            history = self.history(item)
            if history:
                out[item] = card_state(history, maintenance_days or self.maintenance_days)
        return out

    def introduced_on(self, day: date) -> int:
        """How many cards the quiz introduced on ``day``: items whose first live review on
        the ladder was a quiz review that day (drills and grill misses do not use up the
        new-card allowance)."""
        with self._errors():
            row = self.conn.execute(
                f"SELECT COUNT(*) FROM reviews WHERE id IN (SELECT MIN(r.id) FROM reviews r WHERE {self._live}"
                " GROUP BY r.item_id) AND day = ? AND mode IN ('quiz', 'timed', 'review')",
                (day.isoformat(),),
            ).fetchone()
        return int(row[0])

    def summaries(
        self, today: date | None = None, maintenance_days: int | None = None, history: Sequence[date] = ()
    ) -> dict[str, ItemSummary]:
        """Every reviewed item's scheduler state, and its pass counts (all time, last 7
        and 30 days up to ``today``), from one consistent snapshot of the log; with
        ``history`` (ascending days), also its state at the end of each of those days.

        The counts cover every graded, not-undone review except cram practice (a grill's
        passes count too, though they leave the ladder alone); the state replays only the
        ladder's reviews. A miss resets the ladder whatever came before it, so each item
        is replayed from its last miss on (from its last miss before ``history[0]``, when
        days are asked for), starting from counts of the reviews before; the states equal
        a full replay (a test checks this)."""
        maintenance_days = maintenance_days or self.maintenance_days
        never = "9999-12-31"  # no window without a today: those counts stay zero
        week = (today - timedelta(days=6)).isoformat() if today else never
        month = (today - timedelta(days=29)).isoformat() if today else never
        graded = f"r.effect >= {STATS_ONLY} AND {{undone}}"
        with self._errors(), self._snapshot():
            not_undone = self._not_undone
            rows = self.conn.execute(
                f"""
                SELECT r.item_id, COUNT(*), SUM(r.effect) - COUNT(*)
                FROM reviews r WHERE {graded.format(undone=not_undone)} GROUP BY r.item_id
                """
            ).fetchall()
            misses = {
                item_id: (count, last)
                for item_id, count, last in self.conn.execute(
                    f"""
                    SELECT r.item_id, COUNT(*), MAX(r.id) FROM reviews r INDEXED BY reviews_misses
                    WHERE r.effect = {LADDER} AND r.grade = 'fail' AND {not_undone} GROUP BY r.item_id
                    """
                )
            }
            # The last 30 days through the day index: a range, not a pass over the log.
            recent = {
                item_id: counts
                for item_id, *counts in self.conn.execute(
                    f"""
                    SELECT r.item_id, SUM(r.day >= :week), SUM(r.day >= :week AND r.grade != 'fail'),
                           COUNT(*), SUM(r.grade != 'fail')
                    FROM reviews r INDEXED BY reviews_day
                    WHERE r.day >= :month AND {graded.format(undone=not_undone)} GROUP BY r.item_id
                    """,
                    {"week": week, "month": month},
                )
            }
            keys = dict(self.conn.execute("SELECT id, key FROM items"))
            for item_id, *_ in rows:
                if item_id not in keys:
                    raise DamagedValue("reviews.item_id", item_id, "the id of a row in items")
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS _last_miss (item_id INTEGER PRIMARY KEY, from_id INTEGER NOT NULL)")
            self.conn.execute("DELETE FROM _last_miss")
            self.conn.executemany(
                "INSERT INTO _last_miss VALUES (?, ?)", [(r[0], misses.get(r[0], (0, 0))[1]) for r in rows if r[2]]
            )
            if history:
                # An item missed since the first day asked for is replayed from its last miss
                # before that day (its misses walked backwards), so every day's state is known.
                self.conn.execute(
                    f"""
                    UPDATE _last_miss SET from_id = COALESCE((
                        SELECT r.id FROM reviews r INDEXED BY reviews_misses
                        WHERE r.item_id = _last_miss.item_id AND r.effect = {LADDER} AND r.grade = 'fail'
                          AND r.day < :since AND {not_undone}
                        ORDER BY r.id DESC LIMIT 1), 0)
                    WHERE from_id > 0 AND (SELECT x.day FROM reviews x WHERE x.id = _last_miss.from_id) >= :since
                    """,
                    {"since": history[0].isoformat()},
                )
            # CROSS JOIN keeps _last_miss as the outer loop: one index range per item.
            suffix = self.conn.execute(
                f"""
                SELECT r.item_id, r.day || ' ' || r.grade FROM _last_miss m
                CROSS JOIN reviews r ON r.item_id = m.item_id AND r.id >= m.from_id
                WHERE r.effect = {LADDER} AND {not_undone} ORDER BY m.item_id, r.id
                """
            ).fetchall()
        with self._errors():
            return self._summarise(rows, misses, recent, keys, suffix, maintenance_days, history)

    @staticmethod
    def _summarise(rows, misses, recent, keys, suffix, maintenance_days, history=()) -> dict[str, ItemSummary]:
        # The suffix arrives grouped by item, in id order: replay each group in one call.
        from itertools import groupby
        from operator import itemgetter

        # Each row is (item id, "day grade"): one shared (date, Grade) pair per distinct one.
        pairs = {}
        for key in {r[1] for r in suffix}:
            day, _, grade = key.rpartition(" ")
            pairs[key] = (_day(day), _grade(grade))
        pair, second = pairs.__getitem__, itemgetter(1)
        by_item = {item_id: list(map(pair, map(second, rows_))) for item_id, rows_ in groupby(suffix, key=itemgetter(0))}
        states: dict[int, CardState] = {}
        histories: dict[int, tuple[CardState, ...]] = {}
        marks = (*history, date.max)
        fail = Grade.FAIL
        for item_id, _, ladder in rows:  # effect is 1 or 2 here, so SUM(effect) - COUNT(*) counts the 2s
            if ladder:
                ladder_fails = misses.get(item_id, (0, None))[0]
                group = by_item.get(item_id, [])
                replayed_fails = sum(1 for _, g in group if g is fail)
                start = CardState(rung=0, due=None, reviews=ladder - len(group), lapses=ladder_fails - replayed_fails)
                if history:
                    *sampled, states[item_id] = states_on(start, group, marks, maintenance_days)
                    histories[item_id] = tuple(sampled)
                else:
                    states[item_id] = replay(start, group, maintenance_days)
        out = {}
        for item_id, total, _ in rows:
            if item_id not in keys:
                raise DamagedValue("reviews.item_id", item_id, "the id of a row in items")
            # Every counted miss is a ladder miss (record_review enforces it).
            fails = misses.get(item_id, (0, None))[0]
            wn, wp, mn, mp = recent.get(item_id, (0, 0, 0, 0))
            out[keys[item_id]] = ItemSummary(
                state=states.get(item_id, NEW_STATE),
                all_time=ItemStats(total, total - fails, fails),
                week=ItemStats(wn, wp, wn - wp),
                month=ItemStats(mn, mp, mn - mp),
                history=histories.get(item_id, (NEW_STATE,) * len(history)),
            )
        return out

    def states(self, maintenance_days: int | None = None) -> dict[str, CardState]:
        """The scheduler's state of every item that has a live review on the ladder."""
        return {key: s.state for key, s in self.summaries(None, maintenance_days).items() if s.state.reviews}

    def study_days(self) -> list[date]:
        """Days with at least one live graded review (any mode), newest first."""
        # A skip scan over the day index: one seek per distinct day instead of a pass
        # over every row, then a check that the day holds a graded, not-undone review.
        with self._errors():
            rows = self.conn.execute(
                f"""
                WITH RECURSIVE d(day) AS (
                    SELECT MIN(day) FROM reviews
                    UNION ALL
                    SELECT (SELECT MIN(day) FROM reviews WHERE day > d.day) FROM d WHERE d.day IS NOT NULL
                )
                SELECT d.day FROM d WHERE d.day IS NOT NULL AND EXISTS (
                    SELECT 1 FROM reviews r WHERE r.day = d.day AND r.grade != 'undo' AND {self._not_undone}
                )
                ORDER BY d.day DESC
                """
            ).fetchall()
            return [_day(r[0]) for r in rows]

    def memory_histories(self) -> dict[str, list[tuple[date, int]]]:
        """Every item's graded, not-undone reviews as (day, FSRS rating), oldest first: what
        the memory model replays. Unlike the ladder's history this keeps cram and grill
        answers too: each one was a real act of recall."""
        from gdgrill.memory import AGAIN, EASY, GOOD

        ratings = {"pass": GOOD, "fail": AGAIN, "easy": EASY}
        out: dict[str, list[tuple[date, int]]] = {}
        days: dict[str, date] = {}
        with self._errors(), self._snapshot():
            keys = dict(self.conn.execute("SELECT id, key FROM items"))
            rows = self.conn.execute(
                f"SELECT r.item_id, r.day, r.grade FROM reviews r INDEXED BY reviews_ladder"
                f" WHERE r.grade != 'undo' AND {self._not_undone} ORDER BY r.item_id, r.id"
            ).fetchall()
        with self._errors():
            for item_id, day, grade in rows:
                d = days.get(day)
                if d is None:
                    d = days[day] = _day(day)
                key = keys.get(item_id)
                if key is None:
                    raise DamagedValue("reviews.item_id", item_id, "the id of a row in items")
                group = out.get(key)
                if group is None:
                    group = out[key] = []
                rating = ratings.get(grade)
                group.append((d, rating if rating is not None else ratings[_grade(grade).value]))
        return out

    def reviewed_on(self, day: date) -> set[str]:
        """The items with a live ladder review on ``day``: what today's budget has spent."""
        with self._errors():
            rows = self.conn.execute(
                f"SELECT DISTINCT i.key FROM reviews r INDEXED BY reviews_day JOIN items i ON i.id = r.item_id"
                f" WHERE r.day = ? AND {self._live}",
                (day.isoformat(),),
            ).fetchall()
        return {r[0] for r in rows}

    def reviews_per_day(self, since: date) -> dict[date, int]:
        """How many graded, not-undone reviews (any mode) each day from ``since`` on held:
        the report's study calendar. Days without one are left out."""
        with self._errors():
            rows = self.conn.execute(
                f"SELECT r.day, COUNT(*) FROM reviews r INDEXED BY reviews_day"
                f" WHERE r.day >= ? AND r.grade != 'undo' AND {self._not_undone} GROUP BY r.day",
                (since.isoformat(),),
            ).fetchall()
            return {_day(d): n for d, n in rows}

    # -- the interview plan -----------------------------------------------------------
    def set_plan(self, interview: date, per_day: int, focus: str, *, day: date, at: datetime | None = None) -> int:
        with self._errors(), self._transaction():
            cur = self.conn.execute(
                "INSERT INTO plans (set_at, day, interview, per_day, focus, uid) VALUES (?, ?, ?, ?, ?, ?)",
                (_utc_iso(at), day.isoformat(), interview.isoformat(), per_day, focus, self._new_uid("plans")),
            )
        return int(cur.lastrowid)

    def clear_plan(self, *, day: date, at: datetime | None = None) -> bool:
        """Clear the plan (an event, like everything else); False when none was set."""
        if self.plan() is None:
            return False
        with self._errors(), self._transaction():
            self.conn.execute(
                "INSERT INTO plans (set_at, day, uid) VALUES (?, ?, ?)", (_utc_iso(at), day.isoformat(), self._new_uid("plans"))
            )
        return True

    def plan(self) -> "StoredPlan | None":
        """The current plan (the newest plan event), or None when none is set."""
        with self._errors():
            row = self.conn.execute("SELECT interview, per_day, focus, day FROM plans ORDER BY id DESC LIMIT 1").fetchone()
        if row is None or row[0] is None:
            return None
        try:
            per_day = _number(row[1], "plans.per_day", whole=True)
            if row[2] not in (None, "phone", "research"):
                raise DamagedValue("plans.focus", row[2], "phone or research")
            return StoredPlan(_day(row[0], "plans.interview"), per_day, row[2] or "phone", _day(row[3], "plans.day"))
        except DamagedValue as exc:
            raise StoreError(f"{self.path}: the stored plan is damaged ({exc}); run 'gdgrill plan --clear'") from None

    # -- suspended cards --------------------------------------------------------------
    def suspend(self, key: str, *, day: date, at: datetime | None = None) -> bool:
        """Suspend ``key`` ('deck/card'): it leaves every queue until unsuspended; its
        history stays. Appends an event; False (and nothing written) when already suspended."""
        return self._set_suspended(key, True, day, at)

    def unsuspend(self, key: str, *, day: date, at: datetime | None = None) -> bool:
        """Lift a suspension (an event); False (and nothing written) when ``key`` was not suspended."""
        return self._set_suspended(key, False, day, at)

    def _set_suspended(self, key: str, suspended: bool, day: date, at: datetime | None) -> bool:
        with self._errors(), self._transaction():
            row = self.conn.execute(
                "SELECT suspended FROM suspensions WHERE item = ? ORDER BY id DESC LIMIT 1", (key,)
            ).fetchone()
            if bool(row and row[0]) == suspended:
                return False
            self.conn.execute(
                "INSERT INTO suspensions (item, set_at, day, suspended, uid) VALUES (?, ?, ?, ?, ?)",
                (key, _utc_iso(at), day.isoformat(), int(suspended), self._new_uid("suspensions")),
            )
        return True

    def suspended(self) -> set[str]:
        """The items suspended now (the newest event for each says so)."""
        with self._errors():
            rows = self.conn.execute(
                "SELECT s.item FROM suspensions s WHERE s.id = (SELECT MAX(id) FROM suspensions WHERE item = s.item)"
                " AND s.suspended = 1"
            ).fetchall()
        return {r[0] for r in rows}

    # -- practice, assessment, grill ------------------------------------------------
    def record_practice(
        self, problem: str, rating: str, hints_used: int, *, day: date, at: datetime | None = None, answer: str | None = None
    ) -> int:
        """Save one self-rated attempt; ``answer`` is the text typed before the reveal (None:
        rated without typing). Callers clean the text first (``reviewing.clean_text``)."""
        with self._errors(), self._transaction():
            cur = self.conn.execute(
                "INSERT INTO practice_ratings (problem, rated_at, day, rating, hints_used, answer, uid) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    problem, _utc_iso(at), day.isoformat(), rating, hints_used,
                    clean_text(answer) if answer is not None else None, self._new_uid("practice_ratings"),
                ),
            )
        return int(cur.lastrowid)

    def practice_ratings(self) -> list[dict[str, Any]]:
        """Every rated attempt, oldest first: problem, rated_at, day, rating, hints_used, answer."""
        with self._errors():
            rows = self.conn.execute(
                "SELECT problem, rated_at, day, rating, hints_used, answer FROM practice_ratings ORDER BY id"
            ).fetchall()
            return [
                dict(
                    problem=r[0], rated_at=r[1], day=_day(r[2], "practice_ratings.day").isoformat(), rating=r[3],
                    hints_used=_number(r[4], "practice_ratings.hints_used", whole=True), answer=r[5],
                )
                for r in rows
            ]

    def record_assessment(self, ratings: dict[str, int], *, day: date, at: datetime | None = None) -> int:
        with self._errors(), self._transaction():
            cur = self.conn.execute(
                "INSERT INTO assessments (taken_at, day, ratings, total, uid) VALUES (?, ?, ?, ?, ?)",
                (_utc_iso(at), day.isoformat(), json.dumps(ratings), sum(ratings.values()), self._new_uid("assessments")),
            )
        return int(cur.lastrowid)

    def assessments(self) -> list[dict[str, Any]]:
        with self._errors():
            rows = self.conn.execute("SELECT taken_at, day, ratings, total FROM assessments ORDER BY id").fetchall()
            return [
                dict(
                    taken_at=r[0], day=_day(r[1], "assessments.day").isoformat(), ratings=_ratings(r[2]),
                    total=_number(r[3], "assessments.total", whole=True),
                )
                for r in rows
            ]

    def record_grill(
        self, score: int, total: int, bands: list[dict[str, Any]], seconds: float | None, *, day: date, at: datetime | None = None
    ) -> int:
        with self._errors(), self._transaction():
            cur = self.conn.execute(
                "INSERT INTO grills (taken_at, day, score, total, bands, seconds, uid) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_utc_iso(at), day.isoformat(), score, total, json.dumps(bands), seconds, self._new_uid("grills")),
            )
        return int(cur.lastrowid)

    def grills(self) -> list[dict[str, Any]]:
        with self._errors():
            rows = self.conn.execute("SELECT taken_at, day, score, total, bands, seconds FROM grills ORDER BY id").fetchall()
            return [
                dict(
                    taken_at=r[0], day=_day(r[1], "grills.day").isoformat(), score=_number(r[2], "grills.score", whole=True),
                    total=_number(r[3], "grills.total", whole=True), bands=_bands(r[4]),
                    seconds=_number(r[5], "grills.seconds", optional=True),
                )
                for r in rows
            ]


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to the database at ``path`` that waits for another writer's lock."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def open_store(home: Path, maintenance_days: int | None = None, *, write: bool = True) -> Store:
    """Open (creating and migrating if needed) the progress database in ``home``.
    ``maintenance_days`` defaults to the setting (GDGRILL_MAINTENANCE_DAYS, else
    config.toml in ``home``, else 30).

    ``write=True`` (the quiz, a drill, anything that saves) checks at once that a grade
    could be saved, so nothing is asked that would be lost. ``write=False`` (the report,
    listings) also works where the database cannot be written: a read-only mount, an
    immutable file. It then reads the file as it is, or, when this gdgrill's schema has
    steps the file lacks, a migrated copy in memory."""
    if maintenance_days is None:
        from gdgrill.config import settings

        maintenance_days = settings(home).maintenance_days
    path = database_path(home)
    exists = path.exists()
    if exists:
        _check_readonly(path)
    if not write and (not exists or _read_only_reason(path)):
        return _open_readonly(path, maintenance_days) if exists else _open_empty(path, maintenance_days)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if not write:
            return _open_empty(path, maintenance_days)
        raise StoreError(f"{home}: cannot create the data folder ({exc.strerror})") from None
    try:
        conn = _connect(path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        if not write and exists and ("readonly" in str(exc) or _read_only_reason(path)):
            return _open_readonly(path, maintenance_days)
        raise StoreError(failure_message(path, exc)) from None
    store = Store(conn, path, maintenance_days)
    if write:
        try:
            store.check_writable()
        except StoreError:
            store.close()
            raise
    return store


def _open_empty(path: Path, maintenance_days: int) -> Store:
    """No database yet and none wanted: an empty one in memory (nothing is created)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    return Store(conn, path, maintenance_days)


def _open_readonly(path: Path, maintenance_days: int) -> Store:
    try:
        conn = _connect_readonly(path)
        known = {name for name, _ in MIGRATIONS}
        if set(_applied_migrations(conn)) != known:
            memory = sqlite3.connect(":memory:", isolation_level=None)
            conn.backup(memory)
            conn.close()
            conn = memory
            migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(failure_message(path, exc)) from None
    return Store(conn, path, maintenance_days)

