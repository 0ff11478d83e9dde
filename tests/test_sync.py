"""`gdgrill sync DIR`: machines that study offline and sync through a shared folder end with
the same log and the same report; half-written files and kills lose nothing."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

import gdgrill.sync as sync_module
from gdgrill.cli import app
from gdgrill.eventids import next_uid
from gdgrill.eventlog import parse_jsonl
from gdgrill.scheduler import Grade
from gdgrill.store import open_store
from gdgrill.sync import SyncError, machine_id, sync, sync_file_name

runner = CliRunner()
D0 = date(2026, 3, 2)
ROOT = Path(__file__).resolve().parent.parent
CARD = "optimizers/adam-bias-correction"


def gd(home: Path, *args: str, today: date = D0, input: str | None = None):
    return runner.invoke(app, list(args), input=input, env={"GDGRILL_HOME": str(home), "GDGRILL_TODAY": today.isoformat()})


def ok(home: Path, *args: str, today: date = D0, input: str | None = None) -> str:
    result = gd(home, *args, today=today, input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def run_sync(home: Path, folder: Path):
    with open_store(home) as store:
        return sync(store, home, folder, "2026-03-02T00:00:00+00:00")


def log_lines(home: Path, tmp: Path) -> list[dict]:
    path = tmp / f"{home.name}-{time.monotonic_ns()}.jsonl"
    ok(home, "export", "log", str(path))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:-1]]


def test_two_homes_studying_on_alternate_days_through_several_syncs_end_with_identical_reports(tmp_path):
    laptop, desktop, shared = tmp_path / "laptop", tmp_path / "desktop", tmp_path / "Dropbox" / "gdgrill"
    shared.mkdir(parents=True)
    grades = iter("pfpepfppepfpppfepppp" * 3)
    for n in range(8):
        day = D0 + timedelta(days=n)
        home = laptop if n % 2 == 0 else desktop
        ok(home, "sync", str(shared), today=day)
        answers = "".join(f"my answer\n{next(grades)}\n" for _ in range(4))
        ok(home, "quiz", "--limit", "4", "--deck", "optimizers", input=answers, today=day)
        if n == 3:
            ok(home, "plan", "--interview", "2026-03-30", "--per-day", "12", today=day)
        if n == 5:  # a wrong grade taken back on the other machine's review
            with open_store(home) as store:
                review = next(r for r in reversed(store.log()) if r.grade != "undo")
                store.undo(review.id, day=day)
        ok(home, "sync", str(shared), today=day)
    ok(laptop, "sync", str(shared), today=D0 + timedelta(days=8))  # the laptop catches up with the last day
    final = D0 + timedelta(days=9)
    reports = [json.loads(ok(h, "report", "--format", "json", today=final)) for h in (laptop, desktop)]
    assert reports[0] == reports[1]
    a, b = log_lines(laptop, tmp_path), log_lines(desktop, tmp_path)
    assert a == b and sum(e["kind"] == "review" for e in a) >= 8 * 3
    assert sum(e["kind"] == "undo" for e in a) == 1 and sum(e["kind"] == "plan" for e in a) == 1
    # Each machine's file holds what was made there; together, the whole log.
    files = {p.name: parse_jsonl(p.read_bytes(), p.name, need_trailer=True) for p in shared.iterdir()}
    assert len(files) == 2 and sum(len(f.events) for f in files.values()) == len(a)
    due = [ok(h, "due", "--format", "json", today=final) for h in (laptop, desktop)]
    assert due[0] == due[1]


def test_the_same_card_graded_on_both_machines_before_a_sync_is_kept_as_two_reviews(tmp_path):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    ok(a, "review", CARD, "--grade", "pass")
    ok(b, "review", CARD, "--grade", "fail")
    for home in (a, b, a):
        run_sync(home, shared)
    for home in (a, b):
        with open_store(home) as store:
            assert sorted(r.grade for r in store.log(CARD)) == ["fail", "pass"]
            assert store.summaries()[CARD].all_time.reviews == 2
    assert log_lines(a, tmp_path) == log_lines(b, tmp_path)


def test_merging_is_idempotent_and_the_order_of_syncs_does_not_matter(tmp_path):
    homes = [tmp_path / name for name in "abc"]
    for n, home in enumerate(homes):
        with open_store(home) as store:
            for k in range(3):
                store.record_review(f"optimizers/c{k}", Grade.PASS if (n + k) % 3 else Grade.FAIL, "quiz", day=D0 + timedelta(days=k))
                time.sleep(0.002)
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    for home in homes:  # every machine leaves its file in both folders
        run_sync(home, one)
        run_sync(home, two)
    run_sync(homes[0], one)  # a reads the folder, b and c each pull in another order
    run_sync(homes[2], two)
    run_sync(homes[1], two)
    logs = [log_lines(h, tmp_path) for h in homes]
    assert logs[0] == logs[1] == logs[2] and len(logs[0]) == 9
    before = sqlite3.connect(homes[0] / "progress.db").execute("SELECT * FROM reviews ORDER BY id").fetchall()
    again = run_sync(homes[0], one)
    assert sum(again.added.values()) == 0 and not again.rewrote
    assert sqlite3.connect(homes[0] / "progress.db").execute("SELECT * FROM reviews ORDER BY id").fetchall() == before


def test_a_half_written_or_still_arriving_file_is_never_merged_in_part(tmp_path):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    with open_store(b) as store:
        for k in range(5):
            store.record_review(f"optimizers/c{k}", Grade.PASS, "quiz", day=D0)
    run_sync(b, shared)
    (name,) = [p.name for p in shared.iterdir()]
    whole = (shared / name).read_bytes()
    arriving = tmp_path / "arriving"
    arriving.mkdir()
    for cut in (len(whole) // 3, whole.rindex(b"\n", 0, len(whole) - 1) + 1, len(whole) - 5):
        (arriving / name).write_bytes(whole[:cut])
        result = run_sync(a, arriving)
        (skipped,) = [f for f in result.files if f.name == name]
        assert skipped.skipped and sum(result.added.values()) == 0
        with open_store(a) as store:
            assert store.log() == []
    (arriving / name).write_bytes(whole)
    assert sum(run_sync(a, arriving).added.values()) == 5


def test_the_sync_command_reports_each_file_and_skips_a_cut_one_with_its_reason(tmp_path):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    ok(b, "review", CARD, "--grade", "pass")
    ok(b, "sync", str(shared))
    b_id = (b / "machine-id").read_text().strip()
    out = ok(a, "sync", str(shared))
    a_id = (a / "machine-id").read_text().strip()
    assert out.splitlines()[0] == f"sync through {shared} (this machine: {a_id})"
    assert f"  {sync_file_name(b_id)} ({b_id}): 1 event, 1 new (1 review)" in out
    assert out.splitlines()[-1] == f"wrote this machine's 0 events to {shared / sync_file_name(a_id)}"
    cut = shared / sync_file_name("phone-00000000")
    cut.write_text('{"format": "gdgrill-log", "version": 1, "machine": "phone-00000000"}\n', encoding="utf-8")
    result = gd(a, "sync", str(shared))
    assert result.exit_code == 0
    assert f"{cut.name}: skipped: {cut}: no closing line: the file is still being written or was cut short" in result.stderr
    assert f"{shared / sync_file_name(a_id)} already holds this machine's 0 events" in result.stdout
    missing = gd(a, "sync", str(tmp_path / "nope"))
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1 and "no such folder" in missing.stderr


def test_the_machine_id_is_made_once_and_made_again_in_a_folder_copied_to_another_host(tmp_path, monkeypatch):
    home = tmp_path / "h"
    monkeypatch.setattr(sync_module, "_host", lambda: "laptop")
    first = machine_id(home)
    assert first.startswith("laptop-") and len(first) == len("laptop-") + 8
    assert machine_id(home) == first and (home / "machine-id").read_text().strip() == first
    monkeypatch.setattr(sync_module, "_host", lambda: "desktop")
    second = machine_id(home)
    assert second.startswith("desktop-") and second != first


def test_a_second_sync_at_once_is_refused(tmp_path):
    import fcntl

    from gdgrill.paths import sync_lock_path

    home, shared = tmp_path / "h", tmp_path / "s"
    shared.mkdir()
    lock = sync_lock_path(home)
    lock.parent.mkdir(parents=True)
    with open(lock, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        with pytest.raises(SyncError, match="another 'gdgrill sync' is running"):
            run_sync(home, shared)


def _bulk_home(home: Path, events: int, offset_ms: int, seed: int) -> None:
    """A home with ``events`` reviews (bulk-loaded the way the store writes them)."""
    rng = random.Random(seed)
    with open_store(home) as store:
        store.conn.execute("BEGIN")
        store.conn.executemany("INSERT INTO items (id, key) VALUES (?, ?)", [(i + 1, f"optimizers/c{i}") for i in range(300)])
        uid, rows = None, []
        start = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp() * 1000) + offset_ms
        for k in range(events):
            ms = start + k * 60_000
            uid = next_uid(uid, ms, rng.getrandbits(74))
            at = datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="seconds")
            rows.append((rng.randrange(300) + 1, at, at[:10], "pass" if rng.random() < 0.8 else "fail", "quiz", 2, uid))
        store.conn.executemany(
            "INSERT INTO reviews (item_id, reviewed_at, day, grade, mode, effect, uid) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
        store.conn.execute("COMMIT")


def _sync_process(home: Path, folder: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), GDGRILL_HOME=str(home), GDGRILL_TODAY=D0.isoformat())
    return subprocess.Popen([sys.executable, "-m", "gdgrill", "sync", str(folder)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_sync_killed_at_random_points_loses_nothing_and_leaves_only_whole_files(tmp_path):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    _bulk_home(a, 6000, 0, 1)
    _bulk_home(b, 6000, 30_000, 2)  # interleaved with a's: a merge renumbers most rows
    run_sync(b, shared)
    # How long an uninterrupted sync of a takes, on a copy: the kills fall within it.
    probe = tmp_path / "probe"
    (probe / "shared").mkdir(parents=True)
    (probe / "home").mkdir()
    (probe / "home" / "progress.db").write_bytes((a / "progress.db").read_bytes())
    for f in shared.iterdir():
        (probe / "shared" / f.name).write_bytes(f.read_bytes())
    started = time.monotonic()
    assert _sync_process(probe / "home", probe / "shared").wait(timeout=120) == 0
    took = time.monotonic() - started
    rng = random.Random(14)
    for _ in range(6):
        proc = _sync_process(a, shared)
        time.sleep(rng.uniform(0.05, 1.0) * took)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        conn = sqlite3.connect(a / "progress.db")
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            held = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
            uids = [r[0] for r in conn.execute("SELECT uid FROM reviews ORDER BY id")]
        finally:
            conn.close()
        assert held in (6000, 12000) and uids == sorted(uids)  # all of b's events or none
        for f in shared.iterdir():
            if not f.name.startswith("."):  # a temporary file may be left; never a partial sync file
                parse_jsonl(f.read_bytes(), f.name, need_trailer=True)
    assert _sync_process(a, shared).wait(timeout=120) == 0
    assert not [f for f in shared.iterdir() if f.name.startswith(".")]  # the next sync cleans up
    run_sync(b, shared)
    for home in (a, b):
        with open_store(home) as store:
            assert store.conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 12000
    assert log_lines(a, tmp_path) == log_lines(b, tmp_path)


def test_an_unchanged_file_is_not_read_again_but_a_restored_backup_merges_it_anew(tmp_path, monkeypatch):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    ok(b, "review", CARD, "--grade", "pass")
    ok(b, "review", "optimizers/adam-update-rule", "--grade", "fail")
    run_sync(b, shared)
    open_store(a).close()
    ok(a, "backup", str(tmp_path / "backups"))  # a, before it ever synced
    run_sync(a, shared)
    reads = []
    real = sync_module.parse_jsonl
    monkeypatch.setattr(sync_module, "parse_jsonl", lambda data, name, **kw: reads.append(name) or real(data, name, **kw))
    again = run_sync(a, shared)
    assert reads == [] and sum(again.added.values()) == 0
    assert {f.name: f.events for f in again.files} == {sync_file_name(machine_id(a)): 0, sync_file_name(machine_id(b)): 2}
    ok(b, "review", CARD, "--grade", "easy")  # b's file changes: read again, only its new line decoded
    run_sync(b, shared)
    reads.clear()
    third = run_sync(a, shared)
    assert reads == [str(shared / sync_file_name(machine_id(b)))] and sum(third.added.values()) == 1
    (backup,) = (tmp_path / "backups").iterdir()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{a / 'progress.db'}{suffix}").unlink(missing_ok=True)
    (a / "progress.db").write_bytes(backup.read_bytes())  # the backup knows none of those merges
    restored = run_sync(a, shared)
    assert sum(restored.added.values()) == 3
    with open_store(a) as store:
        assert len(store.log()) == 3


def _own_file_events(home: Path, folder: Path) -> list[str]:
    parsed = parse_jsonl((folder / sync_file_name(machine_id(home))).read_bytes(), "own", need_trailer=True)
    return [e.uid for e in parsed.events]


def test_a_first_sync_writes_this_machines_whole_file_beside_the_merge_and_leaves_no_temporary_file(tmp_path):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    with open_store(b) as store:
        for k in range(5):
            store.record_review(CARD, Grade.PASS, "quiz", day=D0, seconds=1.25 + k)
    run_sync(b, shared)
    with open_store(a) as store:
        made_here = [store.record_review(CARD, Grade.FAIL, "quiz", day=D0, seconds=2.5) for _ in range(3)]
        uids = [r[0] for r in store.conn.execute("SELECT uid FROM reviews ORDER BY id")]
    result = run_sync(a, shared)
    assert sum(result.added.values()) == 5 and result.written == len(made_here) and result.rewrote
    assert _own_file_events(a, shared) == uids  # its own events only, none of b's
    assert sorted(p.name for p in shared.iterdir()) == sorted([sync_file_name(machine_id(a)), sync_file_name(machine_id(b))])


def test_a_review_saved_here_while_the_first_sync_merges_is_in_this_machines_file(tmp_path, monkeypatch):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    with open_store(b) as store:
        store.record_review(CARD, Grade.PASS, "quiz", day=D0)
    run_sync(b, shared)
    with open_store(a) as store:
        store.record_review(CARD, Grade.FAIL, "quiz", day=D0)
    merge = sync_module.merge

    def merge_while_a_quiz_saves_a_grade(*args, **kwargs):
        import threading

        for thread in threading.enumerate():  # the file of this machine's events, written from a snapshot
            if thread.name == "gdgrill-sync-write":
                thread.join()
        with open_store(a) as other:  # another gdgrill on this machine saves a grade meanwhile
            other.record_review("optimizers/sgd", Grade.PASS, "quiz", day=D0)
        return merge(*args, **kwargs)

    monkeypatch.setattr(sync_module, "merge", merge_while_a_quiz_saves_a_grade)
    result = run_sync(a, shared)
    assert result.written == 2
    with open_store(a) as store:
        mine = [r[0] for r in store.conn.execute("SELECT uid FROM reviews WHERE origin IS NULL ORDER BY id")]
    assert _own_file_events(a, shared) == mine and len(mine) == 2
    assert not [p for p in shared.iterdir() if p.name.startswith(".")]  # the snapshot's file was thrown away
