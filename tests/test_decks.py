"""Deck loading and validation: every bad deck is one clear line, exit 2, never a traceback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.decks import check_deck_file, check_path, load_library
from gdgrill.paths import shipped_decks_dir

runner = CliRunner()
HEAD = "deck: {id: bad, title: Bad, description: A broken deck.}\ncards:\n"

BAD_DECKS = {
    "tab-indent": ("deck:\n\tid: x\n", 2, "tab"),
    "unclosed-quote": ('deck: {id: "x, title: X}\ncards: []\n', 1, "invalid YAML"),
    "python-tag": ("deck: !!python/object/apply:os.system ['echo pwned']\n", 1, "not allowed"),
    "alias-bomb": (
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "cards: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
        1,
        "aliases",
    ),
    "empty": ("", None, "empty file"),
    "top-level-list": ("- id: a\n- id: b\n", 1, "top level is a list"),
    "question-not-string": (HEAD + "  - id: q1\n    question: [what, is, this]\n    answer: x\n", 4, "card 'q1': field 'question'"),
    "missing-answer": (HEAD + "  - id: q1\n    question: What?\n", 3, "card 'q1': missing required field 'answer'"),
    "duplicate-ids": (
        HEAD + "  - id: q1\n    question: A?\n    answer: a\n  - id: q1\n    question: B?\n    answer: b\n",
        6,
        "card 'q1': duplicate card id",
    ),
    "unknown-field": (HEAD + "  - id: q1\n    question: A?\n    answer: a\n    keypoints: [x]\n", 6, "unknown field 'keypoints'"),
    "bad-tier": (HEAD + "  - id: q1\n    question: A?\n    answer: a\n    tier: 7\n", 6, "'tier' must be 1, 2, 3 or 4"),
    "bad-checkpoint": (HEAD + "  - id: q1\n    question: A?\n    answer: a\n    checkpoints: {5: x}\n", 6, "checkpoints"),
}


@pytest.mark.parametrize("name", sorted(BAD_DECKS))
def test_a_bad_deck_is_one_line_naming_file_line_and_card_with_exit_2(tmp_path, name):
    text, line, needle = BAD_DECKS[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    result = runner.invoke(app, ["decks", "check", str(path)])
    assert time.perf_counter() - started < 5  # no hang, not even on the alias bomb
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.output + result.stderr
    assert str(path) in lines[0] and needle in lines[0]
    if line is not None:
        assert f"{path}:{line}:" in lines[0]


def test_non_utf8_bytes_are_reported_with_their_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(HEAD.encode() + b"  - id: q1\n    question: caf\xe9?\n    answer: a\n")
    result = runner.invoke(app, ["decks", "check", str(path)])
    assert result.exit_code == 2 and f"{path}:4:" in result.stderr and "UTF-8" in result.stderr


def test_check_lists_every_problem_of_a_folder_not_just_the_first(tmp_path):
    (tmp_path / "a.yaml").write_text(HEAD + "  - id: q1\n    question: A?\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text(HEAD.replace("id: bad", "id: other") + "  - id: Q 2\n    question: B?\n    answer: b\n", encoding="utf-8")
    result = runner.invoke(app, ["decks", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 2


def test_the_shipped_decks_are_all_valid():
    decks, problems = check_path(shipped_decks_dir())
    assert problems == []
    assert {d.id for d in decks} == {"foundations", "schedules", "optimizers", "diagnostics", "quick-fire"}


def test_user_decks_are_added_to_the_shipped_ones_by_flag_and_by_environment(sample_decks, monkeypatch):
    assert load_library([sample_decks]).deck("sample") is not None
    monkeypatch.setenv("GDGRILL_DECKS", str(sample_decks))
    library = load_library()
    assert library.deck("sample") is not None and library.deck("optimizers") is not None


def test_a_broken_user_deck_stops_the_quiz_with_one_line(tmp_path):
    (tmp_path / "x.yaml").write_text(HEAD + "  - id: q1\n    question: A?\n", encoding="utf-8")
    result = runner.invoke(app, ["quiz", "--decks", str(tmp_path)], input="")
    assert result.exit_code == 2 and "missing required field 'answer'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_user_deck_may_not_reuse_a_shipped_deck_id(tmp_path):
    (tmp_path / "dup.yaml").write_text(HEAD.replace("id: bad", "id: optimizers") + "  - id: q\n    question: A?\n    answer: a\n", encoding="utf-8")
    result = runner.invoke(app, ["decks", "list", "--decks", str(tmp_path)])
    assert result.exit_code == 2 and "already used" in result.stderr


def test_editing_a_cards_text_keeps_its_history(sample_decks):
    path = sample_decks / "sample.yaml"
    runner.invoke(app, ["quiz", "--decks", str(sample_decks), "--deck", "sample", "--limit", "1"], input="0.9, 0.999\n\n")
    path.write_text(path.read_text(encoding="utf-8").replace("Default Adam betas?", "What are Adam's default betas?"), encoding="utf-8")
    result = runner.invoke(app, ["decks", "list", "--decks", str(sample_decks)])
    row = next(line for line in result.output.splitlines() if line.lstrip("│ ").startswith("sample"))
    assert "2 " in row  # two of three cards still new: the edited one kept its review


def test_decks_show_prints_a_card_in_full(sample_decks):
    result = runner.invoke(app, ["decks", "show", "sample", "momentum", "--decks", str(sample_decks)])
    assert result.exit_code == 0 and "zig-zag components cancel" in result.output
    missing = runner.invoke(app, ["decks", "show", "sample", "nope", "--decks", str(sample_decks)])
    assert missing.exit_code == 2 and "no card 'nope'" in missing.stderr


def test_check_deck_file_returns_cards_with_stable_keys(sample_decks):
    deck, problems = check_deck_file(sample_decks / "sample.yaml")
    assert problems == [] and [c.key for c in deck.cards] == ["sample/betas", "sample/momentum", "sample/stability"]
    assert deck.card("momentum").checkpoints == {0: "Recall the heavy-ball update.", 3: "Explain it without notes in three sentences."}


def test_the_deck_cache_is_reused_refreshed_on_edit_and_survives_corruption(sample_decks, tmp_path):
    cache = tmp_path / "cache" / "decks.json"
    first = load_library([sample_decks], include_shipped=False, cache=cache)
    assert cache.exists()
    assert load_library([sample_decks], include_shipped=False, cache=cache) == first
    path = sample_decks / "sample.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Default Adam betas?", "Adam's default betas?"), encoding="utf-8")
    edited = load_library([sample_decks], include_shipped=False, cache=cache)
    assert edited.card("sample/betas").question == "Adam's default betas?"
    cache.write_text("{not json", encoding="utf-8")
    assert load_library([sample_decks], include_shipped=False, cache=cache) == edited
    path.write_text(HEAD + "  - id: q1\n    question: A?\n", encoding="utf-8")  # broken after caching
    with pytest.raises(Exception, match="missing required field 'answer'"):
        load_library([sample_decks], include_shipped=False, cache=cache)


def test_shipped_decks_are_parsed_once_per_process_yet_an_edit_or_a_new_data_folder_is_seen(tmp_path, monkeypatch):
    import shutil

    from gdgrill import decks as decks_module

    installed = tmp_path / "installed"
    shutil.copytree(shipped_decks_dir(), installed)
    monkeypatch.setattr(decks_module, "shipped_decks_dir", lambda: installed)
    monkeypatch.setattr(decks_module, "shipped_index_path", lambda: tmp_path / "no-index.json")  # a source checkout
    parsed: list[str] = []
    real = decks_module.check_deck_file
    monkeypatch.setattr(decks_module, "check_deck_file", lambda f, shipped: parsed.append(f.name) or real(f, shipped))
    first = load_library(cache=tmp_path / "a" / "decks.json")
    assert len(parsed) == 5
    # A second load in this process, even with another data folder, parses nothing ...
    again = load_library(cache=tmp_path / "b" / "decks.json")
    assert len(parsed) == 5 and again == first
    # ... and still leaves that folder's cache whole, for the next process.
    kept = json.loads((tmp_path / "b" / "decks.json").read_text(encoding="utf-8"))["files"]
    assert sorted(Path(k).name for k in kept) == sorted(f.name for f in installed.glob("*.yaml"))
    # An edited shipped file is read again.
    deck = installed / "schedules.yaml"
    deck.write_text(deck.read_text(encoding="utf-8").replace("question:", "question: Edited.", 1), encoding="utf-8")
    edited = load_library(cache=tmp_path / "a" / "decks.json")
    assert parsed[5:] == ["schedules.yaml"] and edited != first
    assert any(c.question.startswith("Edited.") for c in edited.decks[[d.id for d in edited.decks].index("schedules")].cards)


def test_the_same_folder_named_twice_loads_once(sample_decks, monkeypatch):
    monkeypatch.setenv("GDGRILL_DECKS", str(sample_decks))
    library = load_library([sample_decks, sample_decks / "sample.yaml"])
    assert [d.id for d in library.decks].count("sample") == 1


def test_an_empty_deck_folder_is_a_one_line_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["decks", "list", "--decks", str(empty)])
    assert result.exit_code == 2 and "no deck files" in result.stderr


def test_check_reports_problems_in_line_order_and_a_clash_with_a_shipped_deck(tmp_path):
    text = HEAD + "  - id: q1\n    question: A?\n    answer: a\n    tier: 9\n  - id: q2\n    question: B?\n  - id: q3\n    question: [x]\n    answer: c\n"
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["decks", "check", str(tmp_path / "a.yaml")])
    lines = [int(line.split(".yaml:")[1].split(":")[0]) for line in result.stderr.strip().splitlines()]
    assert lines == sorted(lines) and len(lines) == 3
    (tmp_path / "b.yaml").write_text(HEAD.replace("id: bad", "id: optimizers") + "  - id: q\n    question: A?\n    answer: a\n", encoding="utf-8")
    clash = runner.invoke(app, ["decks", "check", str(tmp_path / "b.yaml")])
    assert clash.exit_code == 2 and "already used by" in clash.stderr
    assert runner.invoke(app, ["decks", "check", str(shipped_decks_dir())]).exit_code == 0


def test_a_duplicate_key_is_an_error_not_a_silent_overwrite(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(HEAD + "  - id: q1\n    question: A?\n    answer: first\n    answer: second\n", encoding="utf-8")
    result = runner.invoke(app, ["decks", "check", str(path)])
    assert result.exit_code == 2 and f"{path}:6:" in result.stderr and "duplicate key 'answer'" in result.stderr


def test_check_catches_a_missing_curve_and_an_accept_list_that_takes_a_wrong_answer(tmp_path):
    (tmp_path / "c.yaml").write_text(
        HEAD
        + "  - id: q1\n    question: A?\n    answer: a\n    curve: no-such-curve\n"
        + "  - id: q2\n    question: B?\n    answer: '0.5'\n    accept: ['0.5']\n    reject: ['.50']\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["decks", "check", str(tmp_path / "c.yaml")])
    assert result.exit_code == 2
    assert "stored loss curve" in result.stderr and "reject entry '.50' is accepted" in result.stderr


def test_tags_are_matched_whatever_their_case(tmp_path):
    (tmp_path / "t.yaml").write_text(HEAD + "  - id: q1\n    question: A?\n    answer: a\n    tags: [Warmup]\n", encoding="utf-8")
    library = load_library([tmp_path], include_shipped=False)
    assert [c.id for c in library.select(tags=["warmup"])] == ["q1"] and library.select(tags=["WARMUP"])


def test_a_home_that_is_a_file_is_one_line_not_a_traceback(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    result = runner.invoke(app, ["quiz", "--home", str(blocker)], input="")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_cache_from_another_gdgrill_version_or_shape_is_rebuilt(sample_decks, tmp_path):
    import json

    cache = tmp_path / "cache.json"
    for junk in ({"version": 1, "files": {}}, {"version": "x", "files": []}, [1, 2]):
        cache.write_text(json.dumps(junk), encoding="utf-8")
        assert load_library([sample_decks], include_shipped=False, cache=cache).deck("sample") is not None
