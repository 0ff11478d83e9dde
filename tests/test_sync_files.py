"""What a sync reads in its folder and how it names what it found; the first file of a
machine written beside the merge; a sync that fails leaves nothing of its own behind."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import gdgrill.sync as sync_module
from gdgrill.cli import app
from gdgrill.eventlog import LogError
from gdgrill.scheduler import Grade
from gdgrill.store import StoreError, open_store
from gdgrill.sync import machine_id, sync, sync_file_name

runner = CliRunner()
D0 = date(2026, 3, 2)
CARD = "optimizers/adam-bias-correction"
STAMP = "2026-03-02T00:00:00+00:00"


def study(home: Path, n: int) -> None:
    with open_store(home) as store:
        for _ in range(n):
            store.record_review(CARD, Grade.PASS, "quiz", day=D0, seconds=3.25)


def run_sync(home: Path, folder: Path):
    with open_store(home) as store:
        return sync(store, home, folder, STAMP)


def cli_sync(home: Path, folder: Path) -> str:
    """What `gdgrill sync` prints, on stdout and stderr (a skipped file is reported there)."""
    result = runner.invoke(app, ["sync", str(folder)], env={"GDGRILL_HOME": str(home), "GDGRILL_TODAY": D0.isoformat()})
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr


@pytest.mark.parametrize("hostname, expected", [
    ("laptop", "laptop"),
    ("My.Laptop_Name!!", "my-laptop-name"),
    ("--edge--", "edge"),
    ("a" * 23 + ".b" + "c" * 10, "a" * 23),  # cut to 24 characters, then no dash left at the end
    ("x" * 30, "x" * 24),
    ("-" * 30 + "abc", "abc"),  # the dashes go before the cut
    ("!!!", "machine"),
    ("", "machine"),
])
def test_a_machine_id_is_made_of_the_host_name_in_lowercase_letters_digits_and_dashes(monkeypatch, hostname, expected):
    import socket

    monkeypatch.setattr(socket, "gethostname", lambda: hostname)
    assert sync_module._host() == expected


def test_only_sync_files_in_the_folder_are_read_and_each_is_named_by_its_machine(tmp_path):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    study(b, 2)
    run_sync(b, shared)
    other = sync_file_name(machine_id(b))
    (shared / "notes.jsonl").write_text("not a log\n")  # not named gdgrill-*
    (shared / "gdgrill-phone.txt").write_text("not a log\n")  # not *.jsonl
    (shared / "gdgrill-folder.jsonl").mkdir()  # not a file
    study(a, 1)
    first = cli_sync(a, shared)
    assert "notes.jsonl" not in first and "gdgrill-phone.txt" not in first and "gdgrill-folder" not in first
    assert f"  {other} ({machine_id(b)}): 2 events, 2 new (2 reviews)" in first
    again = cli_sync(a, shared)  # every file as merged before: named the same way
    assert f"  {other} ({machine_id(b)}): 2 events, 0 new" in again
    assert f"  {sync_file_name(machine_id(a))} (this machine's file): 1 event, 0 new" in again


def test_a_file_whose_header_names_no_machine_is_named_by_its_file_name(tmp_path):
    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    lines = [json.dumps({"format": "gdgrill-log", "version": 1, "machine": None})]
    lines.append(json.dumps({"end": "gdgrill-log", "events": 0, "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}))
    (shared / "gdgrill-tablet-1234abcd.jsonl").write_text("\n".join(lines) + "\n")
    assert "  gdgrill-tablet-1234abcd.jsonl (tablet-1234abcd): 0 events, 0 new" in cli_sync(a, shared)


def test_a_machine_with_one_event_writes_its_file_on_its_first_sync(tmp_path):
    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    study(a, 1)
    result = run_sync(a, shared)
    assert result.rewrote and result.written == 1
    assert (shared / sync_file_name(machine_id(a))).exists()


def test_a_first_sync_writes_this_machines_file_from_its_snapshot_not_after_the_merge(tmp_path, monkeypatch):
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared"
    shared.mkdir()
    study(b, 2)
    run_sync(b, shared)
    study(a, 3)
    machine_id(a)  # made (and saved) before the sync

    def no_second_write(*args, **kwargs):
        raise AssertionError("written again after the merge")

    monkeypatch.setattr(sync_module, "write_atomically", no_second_write)
    result = run_sync(a, shared)
    assert result.rewrote and result.written == 3


def test_when_the_snapshot_cannot_be_read_the_file_is_written_after_the_merge(tmp_path, monkeypatch):
    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    study(a, 2)

    def no_reader(self):
        raise StoreError("no second connection")

    monkeypatch.setattr(sync_module.Store, "reader", no_reader)
    result = run_sync(a, shared)
    assert result.rewrote and result.written == 2
    assert sorted(p.name for p in shared.iterdir()) == [sync_file_name(machine_id(a))]


def test_a_sync_that_fails_leaves_no_temporary_file_of_its_own(tmp_path, monkeypatch):
    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    study(a, 2)
    (shared / "gdgrill-other-0a0b0c0d.jsonl").write_text(
        json.dumps({"format": "gdgrill-log", "version": 1, "machine": "other-0a0b0c0d"}) + "\n"
        + json.dumps({"end": "gdgrill-log", "events": 0, "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}) + "\n")

    def broken_merge(*args, **kwargs):
        raise LogError("the database went away")

    monkeypatch.setattr(sync_module, "merge", broken_merge)
    with pytest.raises(LogError):
        run_sync(a, shared)
    assert sorted(p.name for p in shared.iterdir()) == ["gdgrill-other-0a0b0c0d.jsonl"]


def test_a_sync_passes_over_the_lines_of_its_own_file_it_holds(tmp_path, monkeypatch):
    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    study(a, 4)
    run_sync(a, shared)
    own = shared / sync_file_name(machine_id(a))
    own.write_bytes(own.read_bytes().replace(b'"kind"', b'"kind"', 1))  # the same file, not the version recorded:
    with open_store(a) as store:
        store.conn.execute("DELETE FROM sync_files")  # read again, its lines all held here
    seen = []
    parse = sync_module.parse_jsonl
    monkeypatch.setattr(sync_module, "parse_jsonl", lambda *args, **kw: seen.append(parse(*args, **kw)) or seen[-1])
    result = run_sync(a, shared)
    assert [(len(p.events), p.known) for p in seen] == [(0, 4)] and not result.rewrote


def test_a_file_that_cannot_be_read_or_is_cut_short_is_skipped_with_its_reason_and_nothing_of_it_counted(tmp_path, monkeypatch):
    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    locked, cut = shared / "gdgrill-locked-00000001.jsonl", shared / "gdgrill-cut-00000002.jsonl"
    locked.write_text("{}\n")
    cut.write_text(json.dumps({"format": "gdgrill-log", "version": 1, "machine": "cut-00000002"}) + "\n")
    read_bytes = Path.read_bytes

    def unreadable(path):
        if path.name == locked.name:
            raise PermissionError(13, "Permission denied")
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    result = run_sync(a, shared)
    by_name = {f.name: f for f in result.files}
    assert by_name[locked.name] == sync_module.FileResult(locked.name, None, 0, sync_module.Counter(),
                                                          f"{locked}: cannot read it (Permission denied)")
    skipped = by_name[cut.name]
    assert (skipped.machine, skipped.events, skipped.added) == (None, 0, sync_module.Counter())
    assert skipped.skipped == f"{cut}: no closing line: the file is still being written or was cut short"


def _sync_file(folder: Path, machine: str, events: list[dict]) -> Path:
    import hashlib

    body = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)
    head = json.dumps({"format": "gdgrill-log", "version": 1, "machine": machine}, separators=(",", ":"))
    tail = json.dumps({"end": "gdgrill-log", "events": len(events), "sha256": hashlib.sha256(body.encode()).hexdigest()},
                      separators=(",", ":"))
    path = folder / sync_file_name(machine)
    path.write_text(f"{head}\n{body}{tail}\n", encoding="utf-8")
    return path


def test_a_file_whose_events_do_not_fit_is_skipped_with_its_reason_and_the_others_are_merged(tmp_path):
    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    at = "2026-03-02T09:00:00+00:00"
    good = {"id": "01a233f0-1260-784e-942e-8cc7dc911ca8", "kind": "review", "at": at, "day": "2026-03-02", "item": CARD,
            "grade": "pass", "mode": "quiz", "counts": "ladder", "answer": None, "seconds": None, "detail": None}
    stray = {"id": "01a233f0-1261-784e-942e-8cc7dc911ca8", "kind": "undo", "at": at, "day": "2026-03-02", "item": CARD,
             "mode": "quiz", "undoes": "01a233f0-1250-784e-942e-8cc7dc911ca8"}  # a review nobody has
    study(a, 1)
    run_sync(a, shared)  # this machine's file is there too
    fine = _sync_file(shared, "desk-00000001", [good])
    bad = _sync_file(shared, "phone-00000002", [stray])
    result = run_sync(a, shared)
    by_name = {f.name: f for f in result.files}
    assert by_name[bad.name].skipped == (f"{bad}:2: undoes: no review 01a233f0-1250-784e-942e-8cc7dc911ca8 in the file or"
                                         " the database to take back")
    assert by_name[fine.name].skipped is None and sum(by_name[fine.name].added.values()) == 1
    assert [f.name for f in result.files][0] == sync_file_name(machine_id(a))  # this machine's file first, then by name
    assert [f.name for f in result.files][1:] == sorted([fine.name, bad.name])
    with open_store(a) as store:
        assert [r.grade for r in store.log()] == ["pass", "pass"]  # its own, and the other machine's


def test_a_machine_id_is_made_once_and_read_back_the_same_even_for_a_host_name_with_dashes(tmp_path, monkeypatch):
    import socket

    monkeypatch.setattr(socket, "gethostname", lambda: "my-old-laptop")
    home = tmp_path / "deep" / "er" / "home"  # its folders are made on first use
    made = machine_id(home)
    assert made.startswith("my-old-laptop-") and len(made) == len("my-old-laptop-") + 8
    assert machine_id(home) == made and machine_id(home, create=False) == made


def test_a_machine_id_that_cannot_be_read_or_saved_is_one_clear_error(tmp_path, monkeypatch):
    from gdgrill.paths import machine_id_path
    from gdgrill.sync import SyncError

    home = tmp_path / "h"
    machine_id_path(home).mkdir(parents=True)  # a folder where the id file goes
    with pytest.raises(SyncError) as err:
        machine_id(home)
    assert str(err.value).startswith(f"{machine_id_path(home)}: cannot read this machine's sync id (")
    def full_disk(path, write):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sync_module, "write_atomically", full_disk)
    other = tmp_path / "other"
    with pytest.raises(SyncError) as err:
        machine_id(other)
    assert str(err.value) == f"{machine_id_path(other)}: cannot save this machine's sync id (No space left on device)"


def test_a_sync_file_that_cannot_be_written_is_one_clear_error_and_the_merge_is_kept(tmp_path):
    from gdgrill.sync import SyncError

    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    study(a, 1)
    (shared / sync_file_name(machine_id(a))).mkdir()  # something in the way of this machine's file
    with pytest.raises(SyncError) as err:
        run_sync(a, shared)
    own = shared / sync_file_name(machine_id(a))
    assert str(err.value).startswith(f"{own}: cannot write this machine's sync file (")
    assert str(err.value).endswith("); the merge is saved")


def test_a_first_sync_file_written_beside_the_merge_that_cannot_be_put_in_place_is_one_clear_error(tmp_path, monkeypatch):
    import errno

    from gdgrill.sync import SyncError

    a, shared = tmp_path / "a", tmp_path / "shared"
    shared.mkdir()
    study(a, 2)

    def no_room(tmp, path):  # as put_in_place fails: the temporary file removed, the error raised
        sync_module.discard(tmp)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sync_module, "put_in_place", no_room)  # this machine's first file: written aside, then moved
    with pytest.raises(SyncError) as err:
        run_sync(a, shared)
    own = shared / sync_file_name(machine_id(a))
    assert str(err.value) == f"{own}: cannot write this machine's sync file (No space left on device); the merge is saved"
    assert not own.exists() and [p.name for p in shared.iterdir()] == []  # nothing half-written is left
