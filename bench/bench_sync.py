"""Taking progress anywhere: sync of two machines' logs of 100,000 events each (goal <= 2 s),
export and import of such a log, the Anki export of every deck (goal <= 2 s), and the report's
new sections (study calendar, readiness over time) over 1,000,000 events (the whole report
stays <= 1 s: bench/bench_report.py measures it; this prints what the new sections add).

    python bench/bench_sync.py [--events 100000] [--report-events 1000000]

The two machines' logs interleave in time (both studied the same weeks without syncing),
so the first sync renumbers every row of the merged table: the worst case. Then a day's
study: a sync that adds 100 events to this machine's file of 100,000 (the everyday case).
Each review holds what the quiz records (seconds, a typed answer on half, a detail on most).

A first sync writes this machine's file on a second thread while it merges (SQLite works
outside Python's lock), so on a machine with a free core the wall time is below the CPU
time printed beside it; on a busy one it is not.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _util import median_time  # noqa: E402
from gdgrill.eventids import next_uid  # noqa: E402
from gdgrill.store import open_store  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def fill(home: Path, events: int, cards: int, offset_s: int, seed: int) -> None:
    """``events`` reviews a minute apart from ``offset_s`` seconds after START, bulk-loaded
    into the schema the way the store writes them (increasing event ids), with what the
    quiz records: the seconds taken (to the millisecond), a typed answer on half, and on
    most the key points hit (a quick-fire card's check on a few)."""
    rng = random.Random(seed)
    rows, uid = [], None
    for k in range(events):
        moment = START + timedelta(seconds=offset_s + 60 * k)
        uid = next_uid(uid, int(moment.timestamp() * 1000), rng.getrandbits(74))
        at = moment.isoformat(timespec="seconds")
        kind = rng.random()
        if kind < 0.6:
            hit = sorted(rng.sample(range(4), rng.randrange(5)))
            detail = json.dumps({"key_points": 4, "key_points_hit": hit}, sort_keys=True)
        elif kind < 0.8:
            detail = json.dumps({"auto": True, "read_as": f"{rng.randrange(1, 99) / 10:g}"}, sort_keys=True)
        else:
            detail = None
        answer = f"the step is about {rng.randrange(100)} times smaller" if rng.random() < 0.5 else None
        rows.append((rng.randrange(cards) + 1, at, at[:10], "pass" if rng.random() < 0.8 else "fail", "quiz", 2, uid,
                     round(rng.uniform(1.5, 120), 3), answer, detail))
    with open_store(home) as store:
        store.conn.execute("BEGIN")
        store.conn.executemany("INSERT INTO items (id, key) VALUES (?, ?)", [(i + 1, f"deck{i % 5}/card{i}") for i in range(cards)])
        store.conn.executemany(
            "INSERT INTO reviews (item_id, reviewed_at, day, grade, mode, effect, uid, seconds, answer, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        store.conn.execute("COMMIT")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def timed(label: str, fn, goal: float | None = None) -> float:
    """Run ``fn`` once and print its wall time, and its CPU time: on a shared machine the
    wall time also holds the waits for a core."""
    started, cpu = time.perf_counter(), time.process_time()
    fn()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    verdict = "" if goal is None else (f"  (goal <= {goal:g} s)  " + ("OK" if took <= goal else "OVER"))
    print(f"{label:<58}: {took * 1000:8.1f} ms (cpu {cpu * 1000:6.0f}){verdict}")
    return took


def bench_sync(root: Path, events: int) -> None:
    from gdgrill.eventlog import export_jsonl, header, merge, parse_jsonl
    from gdgrill.sync import sync

    a, b, shared = root / "laptop", root / "desktop", root / "shared"
    shared.mkdir()
    fill(a, events, 2000, 0, 1)
    fill(b, events, 2000, 30, 2)  # interleaved with a's, half a minute apart
    stamp = "2026-03-02T00:00:00+00:00"
    with open_store(b) as store:
        sync(store, b, shared, stamp)  # the desktop leaves its file first (not timed)
    snapshot = root / "laptop-before.db"
    shutil.copy(a / "progress.db", snapshot)

    def first_sync() -> None:
        with open_store(a) as store:
            result = sync(store, a, shared, stamp)
        assert sum(result.added.values()) == events and result.written == events

    timed(f"sync: merge the other machine's {events:,} into {events:,}, write own", first_sync, 2.0)
    print("  (the worst case: the two logs interleave, so every row of the merged table is renumbered)")

    def again() -> None:
        with open_store(a) as store:
            result = sync(store, a, shared, stamp)
        assert sum(result.added.values()) == 0 and not result.rewrote

    timed("sync again, nothing new (reads and checks both files)", again)

    def studied() -> None:  # a day's study on the laptop, then a sync: its file grows by 100 events
        with open_store(a) as store:
            store.conn.execute("BEGIN")
            newest = store.conn.execute("SELECT MAX(uid) FROM reviews").fetchone()[0]
            rng, rows = random.Random(5), []
            for k in range(100):
                newest = next_uid(newest, int((START + timedelta(days=400, minutes=k)).timestamp() * 1000), rng.getrandbits(74))
                rows.append((1 + k, "2027-02-05T00:00:00+00:00", "2027-02-05", "pass", "quiz", 2, newest))
            store.conn.executemany(
                "INSERT INTO reviews (item_id, reviewed_at, day, grade, mode, effect, uid) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
            )
            store.conn.execute("COMMIT")

    def after_study() -> None:
        with open_store(a) as store:
            result = sync(store, a, shared, stamp)
        assert sum(result.added.values()) == 0 and result.rewrote and result.written == events + 100

    studied()
    timed(f"sync after a day's study: 100 new, own file of {events:,}", after_study)

    # The parts, on the log as it was before the sync.
    shutil.copy(snapshot, a / "progress.db")
    for suffix in ("-wal", "-shm"):
        Path(f"{a / 'progress.db'}{suffix}").unlink(missing_ok=True)
    log = root / "log.jsonl"

    def export() -> None:
        with open_store(a) as store, open(log, "wb") as fh:
            export_jsonl(fh, store, header(None, stamp))

    timed(f"export log: {events:,} events to JSON lines", export)
    data = log.read_bytes()
    parsed = []
    timed(f"read and check {events:,} events ({len(data) / 1e6:.0f} MB)", lambda: parsed.append(parse_jsonl(data, "log.jsonl")))
    fresh = root / "fresh"

    def import_fresh() -> None:
        with open_store(fresh) as store:
            merge(store, [(parsed[0].events, None)])

    timed(f"import log: {events:,} events into an empty home", import_fresh)
    timed("import the same log again (nothing new)", import_fresh)


def bench_sync_in_turn(root: Path, events: int) -> None:
    """Two machines used one after the other (the desktop's weeks all after the laptop's):
    the merge appends, nothing is renumbered."""
    from gdgrill.sync import sync

    a, b, shared = root / "laptop2", root / "desktop2", root / "shared2"
    shared.mkdir()
    fill(a, events, 2000, 0, 3)
    fill(b, events, 2000, 60 * events + 30, 4)
    stamp = "2026-03-02T00:00:00+00:00"
    with open_store(b) as store:
        sync(store, b, shared, stamp)

    def first_sync() -> None:
        with open_store(a) as store:
            result = sync(store, a, shared, stamp)
        assert sum(result.added.values()) == events

    timed(f"sync, machines used in turn: {events:,} newer into {events:,}", first_sync, 2.0)

    def second_side() -> None:
        with open_store(b) as store:
            result = sync(store, b, shared, stamp)
        assert sum(result.added.values()) == events

    timed(f"  and the other side: {events:,} older into {events:,}", second_side, 2.0)


def bench_anki(root: Path) -> None:
    from gdgrill.anki import curve_pictures, export_anki
    from gdgrill.decks import load_library

    library = load_library()
    names = [c.curve for c in library.cards if c.curve]
    cache = root / "curves"
    target = root / "all.apkg"

    def cold() -> None:
        export_anki(list(library.decks), target, curve_pictures(names, cache))

    timed(f"export anki: {len(library.cards)} cards, {len(set(names))} curves drawn (first run)", cold)
    warm = median_time(lambda: export_anki(list(library.decks), target, curve_pictures(names, cache)), 5)
    print(f"{'export anki: every deck, curve pictures cached':<58}: {warm * 1000:8.1f} ms  (goal <= 2 s)  {'OK' if warm <= 2 else 'OVER'}")


def bench_report_sections(root: Path, events: int) -> None:
    import bench_report

    from gdgrill.report import build_report, history_days

    home = root / "report"
    items = bench_report.fill(home, 10_000, events)
    today = bench_report.TODAY
    with open_store(home) as store:
        store.summaries(today)  # warm the page cache as a report run would
        calendar = median_time(lambda: store.reviews_per_day(today - timedelta(days=83)), 5)
        plain = median_time(lambda: store.summaries(today), 5)
        since = median_time(lambda: store.summaries(today, history=history_days(today)), 5)
        whole = median_time(lambda: build_report(items, {}, store, today), 5)
    print(f"{'report sections over ' + format(events, ',') + ' events: calendar':<58}: {calendar * 1000:8.1f} ms")
    print(f"{'  the states: now only':<58}: {plain * 1000:8.1f} ms")
    print(f"{'  the states: now and on 13 weekly days (readiness over time)':<58}: {since * 1000:8.1f} ms")
    print(f"{'  the whole report (goal <= 1 s)':<58}: {whole * 1000:8.1f} ms  {'OK' if whole <= 1 else 'OVER'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--report-events", type=int, default=1_000_000)
    parser.add_argument("--skip-report", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gdgrill-bench-sync-"))
    try:
        bench_sync(root, args.events)
        bench_sync_in_turn(root, args.events)
        bench_anki(root)
        if not args.skip_report:
            bench_report_sections(root, args.report_events)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
