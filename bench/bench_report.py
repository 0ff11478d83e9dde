"""The report over a synthetic 10,000 cards and 1,000,000 review events (goal <= 1 s), and
loading the shipped decks (goal <= 30 ms).

    python bench/bench_report.py [--cards 10000] [--events 1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _util import median_time  # noqa: E402
from gdgrill.decks import load_library  # noqa: E402
from gdgrill.eventids import next_uid  # noqa: E402
from gdgrill.report import Item, build_report  # noqa: E402
from gdgrill.store import open_store  # noqa: E402

TODAY = date(2026, 11, 25)


def fill(home: Path, cards: int, events: int, seed: int = 7) -> list[Item]:
    rng = random.Random(seed)
    items = [Item(f"deck{i % 5}/card{i}", f"deck{i % 5}", 1 + i % 4, f"Question {i}?") for i in range(cards)]
    start = TODAY - timedelta(days=730)
    rows = []
    for n in range(events):
        item_id = rng.randrange(cards) + 1
        day = start + timedelta(days=rng.randrange(731))
        grade = "pass" if rng.random() < 0.8 else "fail"
        rows.append((item_id, f"{day.isoformat()}T12:00:00+00:00", day.isoformat(), grade, "quiz", 2))
    rows.sort(key=lambda r: r[2])  # the log is appended in time order
    uid = None
    for n, row in enumerate(rows):  # event ids increase with row order, as the store makes them
        uid = next_uid(uid, int(datetime.fromisoformat(row[1]).timestamp() * 1000), rng.getrandbits(74))
        rows[n] = (*row, uid)
    with open_store(home) as store:
        # Bulk load straight into the schema (the public API commits one row at a time).
        store.conn.execute("BEGIN")
        store.conn.executemany("INSERT INTO items (id, key) VALUES (?, ?)", [(i + 1, it.key) for i, it in enumerate(items)])
        store.conn.executemany(
            "INSERT INTO reviews (item_id, reviewed_at, day, grade, mode, effect, uid) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
        store.conn.execute("COMMIT")
        # A log that grew one grade at a time is checkpointed as it goes (SQLite's
        # autocheckpoint); fold this bulk load's write-ahead log in the same way.
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return items




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="gdgrill-bench-"))
    started = time.perf_counter()
    items = fill(home, args.cards, args.events)
    print(f"synthetic log: {args.cards:,} cards, {args.events:,} events (built in {time.perf_counter() - started:.1f} s)")

    def report() -> None:
        with open_store(home) as store:
            build_report(items, {}, store, TODAY)

    t = median_time(report, args.runs)
    print(f"report over the log        : {t * 1000:7.1f} ms median (goal <= 1000 ms)  {'OK' if t <= 1.0 else 'OVER'}")
    n = len(load_library().cards)
    cache = home / "cache" / "decks.json"
    load_library(cache=cache)  # the first run of the day after an install or a deck edit fills it
    warm = median_time(lambda: load_library(cache=cache), 20)
    print(f"load shipped decks ({n} cards), daily path (validated cache): {warm * 1000:6.1f} ms median (goal <= 30 ms)  {'OK' if warm <= 0.030 else 'OVER'}")
    # Cold: a fresh process with nothing cached and nothing imported but the loader.
    probe = (
        "import time, sys; from gdgrill.decks import load_library; t = time.perf_counter(); load_library();"
        " print(time.perf_counter() - t)"
    )
    root = Path(__file__).resolve().parent.parent
    colds = [float(subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True).stdout)
             for _ in range(7)]
    cold = sorted(colds)[len(colds) // 2]
    print(f"load shipped decks, cold from the source tree (YAML parse + validation): {cold * 1000:6.1f} ms median of 7 fresh processes")
    # Cold from an installed wheel: hatch_build.py ships the decks pre-parsed.
    with tempfile.TemporaryDirectory() as tmp:
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp, str(root)],
            capture_output=True, text=True,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if built.returncode or not wheels:
            print("load shipped decks, cold from an installed wheel: skipped (building a wheel needs hatchling: pip install -e '.[test]')")
            return
        site = Path(tmp) / "site"
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheels[0])], check=True)
        env = dict(os.environ, PYTHONPATH=str(site))
        colds = [float(subprocess.run([sys.executable, "-c", probe], cwd=tmp, env=env, capture_output=True, text=True, check=True).stdout)
                 for _ in range(7)]
        wheel_cold = sorted(colds)[len(colds) // 2]
        print(f"load shipped decks, cold from an installed wheel (pre-parsed): {wheel_cold * 1000:6.1f} ms median of 7 (goal <= 30 ms)  {'OK' if wheel_cold <= 0.030 else 'OVER'}")

if __name__ == "__main__":
    main()
