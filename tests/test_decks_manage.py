"""Finding and managing cards: search, suspend/unsuspend, leeches, a card's own history,
decks list at 80 columns with the drills, and checking a checkout's shipped decks."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gdgrill import decks as decks_module
from gdgrill.cli import app
from gdgrill.content import ProblemRef, problem_refs
from gdgrill.decks import Card, DeckError, check_path, load_library
from gdgrill.leeches import find_leeches, leech_note, related_problem
from gdgrill.manage import card_history, card_status, resolve_card, search_cards
from gdgrill.scheduler import CardState, Grade
from gdgrill.store import open_store

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 3, 2)  # conftest pins GDGRILL_TODAY
runner = CliRunner()

SEARCH_DECK = """\
deck:
  id: words
  title: Words
  description: Cards for the search tests.
cards:
  - id: answer-only
    question: Which optimizer keeps two moving averages?
    answer: Adam keeps m and v; its bias correction divides by (1 − β1ᵗ).
    key_points: [first moment m, second moment v]
    tags: [optimizers]
  - id: in-question
    question: Why does Adam need bias correction?
    answer: Both averages start at zero.
    tags: [adam]
  - id: bias-correction
    question: Derive the correction factor.
    answer: E[m_t] = (1 − β1ᵗ) E[g].
    tags: [derivation]
  - id: cafe
    question: What does the Café rule say about Β1?
    answer: Nothing; it is a made-up rule.
    tags: [fiction]
  - id: tagged
    question: A question about schedules.
    answer: Warm up, then decay.
    tags: [cosine-decay]
"""

OTHER_DECK = """\
deck:
  id: other
  title: Other
  description: A second deck sharing a card id.
cards:
  - id: cafe
    question: Another café card.
    answer: Also made up.
"""


@pytest.fixture
def word_decks(tmp_path: Path) -> Path:
    folder = tmp_path / "worddecks"
    folder.mkdir()
    (folder / "words.yaml").write_text(SEARCH_DECK, encoding="utf-8")
    return folder


def words_library(folder: Path):
    return load_library([folder], include_shipped=False)


# -- search ------------------------------------------------------------------------------
def test_search_needs_every_word_and_ignores_case(word_decks):
    cards = words_library(word_decks).cards
    assert [h.card.id for h in search_cards(cards, ["ADAM", "Correction"])] == ["in-question", "answer-only"]
    assert search_cards(cards, ["adam", "schedules"]) == []
    assert [h.card.id for h in search_cards(cards, ["cosine"])] == ["tagged"]  # tags are searched
    assert [h.card.id for h in search_cards(cards, ["second moment"])] == ["answer-only"]  # key points, as a phrase
    assert search_cards(cards, ["moment second"]) == []  # a quoted phrase keeps its order


def test_a_hit_in_the_id_or_question_ranks_above_one_in_the_answer(word_decks):
    cards = words_library(word_decks).cards
    # answer-only comes first in the deck, but only its answer says "bias correction".
    order = [h.card.id for h in search_cards(cards, ["bias", "correction"])]
    assert order == ["in-question", "bias-correction", "answer-only"]


def test_greek_and_accented_letters_match_as_typed_in_any_case(word_decks):
    cards = words_library(word_decks).cards
    assert [h.card.id for h in search_cards(cards, ["β1", "café"])] == ["cafe"]  # the card says Café and Β1
    assert [h.card.id for h in search_cards(cards, ["CAFÉ"])] == ["cafe"]
    assert [h.card.id for h in search_cards(cards, ["cafe"])] == ["cafe"]  # the id, not the Café of the text
    assert search_cards(cards, ["b1"]) == []  # β is not b: accents and Greek are kept
    decomposed = "cafe\u0301"  # é typed as e + combining acute
    assert [h.card.id for h in search_cards(cards, [decomposed])] == ["cafe"]


def test_decks_search_shows_key_tier_state_and_a_one_line_question_at_80_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, ["decks", "search", "bias", "correction"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    first = lines[0]
    assert "optimizers/adam-bias-correction" in first and "tier 2" in first and "new" in first
    assert lines[1].startswith("  Why does Adam divide m by (1 − β1ᵗ)") and lines[1].endswith("…")


def test_decks_search_without_hits_says_so_and_exits_1():
    result = runner.invoke(app, ["decks", "search", "adam", "zebra"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no card contains all of 'adam' 'zebra'" in result.stderr and "fewer" in result.stderr


# -- naming a card ------------------------------------------------------------------------
def test_a_bare_card_id_names_its_card_when_one_deck_has_it(word_decks, tmp_path):
    (word_decks / "other.yaml").write_text(OTHER_DECK, encoding="utf-8")
    library = words_library(word_decks)
    assert resolve_card(library, "tagged").key == "words/tagged"
    assert resolve_card(library, "other/cafe").key == "other/cafe"
    with pytest.raises(DeckError, match="in several decks: other/cafe, words/cafe; give it as deck/card"):
        resolve_card(library, "cafe")
    with pytest.raises(DeckError, match="did you mean words/answer-only"):
        resolve_card(library, "answer")
    with pytest.raises(DeckError, match="has no card 'nope'"):
        resolve_card(library, "words/nope")


def test_an_ambiguous_card_id_lists_the_candidates_and_suspends_nothing(word_decks, isolated_home):
    (word_decks / "other.yaml").write_text(OTHER_DECK, encoding="utf-8")
    result = runner.invoke(app, ["decks", "suspend", "cafe", "--decks", str(word_decks)])
    assert result.exit_code == 2
    assert "other/cafe, words/cafe" in result.stderr and "Traceback" not in result.output
    with open_store(isolated_home) as store:
        assert store.suspended() == set()


# -- suspending ---------------------------------------------------------------------------
def test_suspension_is_an_event_and_the_newest_one_wins(tmp_path):
    with open_store(tmp_path) as store:
        assert store.suspend("d/a", day=TODAY) is True
        assert store.suspend("d/a", day=TODAY) is False  # already: nothing written
        store.suspend("d/b", day=TODAY)
        assert store.suspended() == {"d/a", "d/b"}
        assert store.unsuspend("d/a", day=TODAY) is True
        assert store.unsuspend("d/a", day=TODAY) is False
        assert store.suspended() == {"d/b"}
    conn = sqlite3.connect(tmp_path / "progress.db")
    rows = conn.execute("SELECT item, suspended FROM suspensions ORDER BY id").fetchall()
    assert rows == [("d/a", 1), ("d/b", 1), ("d/a", 0)]  # appended, never updated or deleted


def test_a_suspended_card_leaves_the_quiz_due_and_cram_and_comes_back_where_it_stood(sample_decks, isolated_home):
    with open_store(isolated_home) as store:
        store.record_review("sample/momentum", Grade.FAIL, "quiz", day=TODAY - timedelta(days=1))  # due today
    due = runner.invoke(app, ["due", "--format", "json", "--decks", str(sample_decks), "--deck", "sample"])
    assert "sample/momentum" in [i["item"] for i in json.loads(due.stdout)["items"]]

    result = runner.invoke(app, ["decks", "suspend", "momentum", "--decks", str(sample_decks)])
    assert result.exit_code == 0, result.output
    assert "suspended sample/momentum" in result.stdout and "gdgrill decks unsuspend sample/momentum" in result.stdout

    due = runner.invoke(app, ["due", "--format", "json", "--decks", str(sample_decks), "--deck", "sample"])
    assert "sample/momentum" not in [i["item"] for i in json.loads(due.stdout)["items"]]
    cram = runner.invoke(app, ["quiz", "--cram", "--decks", str(sample_decks), "--deck", "sample"], input="\nq\n")
    assert "Cram: 2 card(s)" in cram.stdout and "momentum" not in cram.stdout
    quiz = runner.invoke(app, ["quiz", "--decks", str(sample_decks), "--deck", "sample", "--new", "0"])
    assert "0 card(s) due, 0 new" in quiz.stdout

    again = runner.invoke(app, ["decks", "suspend", "sample/momentum", "--decks", str(sample_decks)])
    assert again.exit_code == 0 and "already suspended" in again.stdout
    back = runner.invoke(app, ["decks", "unsuspend", "sample/momentum", "--decks", str(sample_decks)])
    assert back.exit_code == 0 and "unsuspended sample/momentum" in back.stdout
    due = runner.invoke(app, ["due", "--format", "json", "--decks", str(sample_decks), "--deck", "sample"])
    item = next(i for i in json.loads(due.stdout)["items"] if i["item"] == "sample/momentum")
    assert item["due"] == (TODAY).isoformat() and item["checkpoint"] == 0  # the miss still stands


def test_a_suspended_card_is_left_out_of_an_interview_plan():
    runner.invoke(app, ["plan", "--interview", "2026-03-20", "--per-day", "10"])
    before = json.loads(runner.invoke(app, ["plan", "--format", "json"]).stdout)
    first = json.loads(runner.invoke(app, ["due", "--format", "json"]).stdout)["items"][0]["item"]
    assert runner.invoke(app, ["decks", "suspend", first]).exit_code == 0
    items = [i["item"] for i in json.loads(runner.invoke(app, ["due", "--format", "json"]).stdout)["items"]]
    assert first not in items and len(items) == 10  # the budget goes to another card
    after = json.loads(runner.invoke(app, ["plan", "--format", "json"]).stdout)
    assert after["plan"]["not_yet_introduced"] == before["plan"]["not_yet_introduced"] - 1


def test_suspended_cards_show_in_decks_list_show_search_and_the_report(sample_decks, isolated_home):
    with open_store(isolated_home) as store:
        store.record_review("sample/momentum", Grade.FAIL, "quiz", day=TODAY - timedelta(days=1))  # due today
        store.suspend("sample/momentum", day=TODAY)
    listing = runner.invoke(app, ["decks", "list", "--decks", str(sample_decks)])
    row = next(line for line in listing.stdout.splitlines() if line.startswith("sample "))
    header = next(line for line in listing.stdout.splitlines() if line.startswith("deck "))
    assert header.split()[2:] == ["cards", "due", "new", "mastered", "suspended", "source"]
    assert row.split()[-6:] == ["3", "0", "2", "0", "1", "yours"]  # due today, but suspended: not due
    show = runner.invoke(app, ["decks", "show", "sample", "--decks", str(sample_decks)])
    assert "momentum" in show.stdout and "suspended" in show.stdout
    card = runner.invoke(app, ["decks", "show", "sample/momentum", "--decks", str(sample_decks)])
    assert "suspended (never asked until 'gdgrill decks unsuspend sample/momentum')" in card.stdout
    found = runner.invoke(app, ["decks", "search", "momentum", "--decks", str(sample_decks)])
    assert "sample/momentum · tier 2 · suspended" in found.stdout
    report = json.loads(runner.invoke(app, ["report", "--format", "json", "--decks", str(sample_decks)]).stdout)
    assert report["suspended"] == ["sample/momentum"]
    sample = next(d for d in report["decks"] if d["id"] == "sample")
    assert sample["due_today"] == 0 and report["regrill"] == []
    text = runner.invoke(app, ["report", "--decks", str(sample_decks)]).stdout
    assert "Suspended (1, never asked): sample/momentum" in text


def test_a_card_whose_deck_is_gone_can_still_be_unsuspended_by_its_key(isolated_home):
    with open_store(isolated_home) as store:
        store.suspend("retired/old-card", day=TODAY)
    result = runner.invoke(app, ["decks", "unsuspend", "retired/old-card"])
    assert result.exit_code == 0 and "unsuspended retired/old-card" in result.stdout
    missing = runner.invoke(app, ["decks", "suspend", "retired/old-card"])
    assert missing.exit_code == 2 and "no deck named 'retired'" in missing.stderr


# -- leeches ------------------------------------------------------------------------------
PROBLEMS = [
    ProblemRef("broad", "Broad problem", 2, ("momentum", "sgd", "adam", "schedules")),
    ProblemRef("focused", "Focused problem", 2, ("momentum", "sgd")),
    ProblemRef("unrelated", "Unrelated problem", 1, ("embeddings",)),
]


def card(**fields) -> Card:
    base = dict(deck="d", id="c", question="Q?", answer="A.", tags=("momentum", "sgd"), followups=("What if μ = 0.99?",))
    return Card(**{**base, **fields})


def test_the_related_problem_shares_most_tags_and_is_the_most_focused():
    assert related_problem(card(), PROBLEMS).id == "focused"  # both share 2 tags; focused has fewer
    assert related_problem(card(tags=("adam",)), PROBLEMS).id == "broad"
    assert related_problem(card(tags=("lion",)), PROBLEMS) is None


def test_a_card_missed_four_times_is_a_leech_with_its_followups_a_problem_and_suspend():
    assert leech_note(card(), 3, PROBLEMS) is None
    note = leech_note(card(), CardState(rung=0, due=TODAY, reviews=6, lapses=4), PROBLEMS)
    assert note is not None and "missed 4 times" in note[0]
    body = "\n".join(note[1:])
    assert "What if μ = 0.99?" in body
    assert "gdgrill practice focused" in body
    assert "gdgrill decks suspend d/c" in body
    bare = leech_note(card(followups=(), tags=()), 5, PROBLEMS)
    assert bare is not None and len(bare) == 2 and "gdgrill decks suspend d/c" in bare[1]


def test_find_leeches_orders_by_misses_and_skips_suspended_cards():
    cards = [card(id="a"), card(id="b"), card(id="c"), card(id="d")]
    lapses = {"d/a": 4, "d/b": 7, "d/c": 3, "d/d": 9}
    states = {k: CardState(rung=0, due=TODAY, reviews=n, lapses=n) for k, n in lapses.items()}
    found = find_leeches(cards, states, {"d/d"}, PROBLEMS)
    assert [(f.card.key, f.misses) for f in found] == [("d/b", 7), ("d/a", 4)]


def miss_four_times(store, key: str) -> None:
    for n in range(4):
        store.record_review(key, Grade.FAIL, "quiz", day=TODAY - timedelta(days=4 - n), answer=f"attempt {n + 1}")


def test_the_report_flags_leeches_with_the_advice_in_every_format(isolated_home):
    with open_store(isolated_home) as store:
        miss_four_times(store, "optimizers/adam-bias-correction")
        store.record_review("optimizers/adam-ingredients", Grade.FAIL, "quiz", day=TODAY - timedelta(days=1))
    data = json.loads(runner.invoke(app, ["report", "--format", "json"]).stdout)
    (leech,) = data["leeches"]
    assert leech["item"] == "optimizers/adam-bias-correction" and leech["misses"] == 4
    shipped = load_library().card("optimizers/adam-bias-correction")
    assert leech["followups"] == list(shipped.followups) and shipped.followups
    assert leech["problem"]["id"] == related_problem(shipped, problem_refs()).id
    assert leech["suspend"] == "gdgrill decks suspend optimizers/adam-bias-correction"
    md = runner.invoke(app, ["report", "--format", "md"]).stdout
    assert "## Leeches" in md and "`optimizers/adam-bias-correction` — 4 misses" in md
    assert f"gdgrill practice {leech['problem']['id']}" in md
    text = runner.invoke(app, ["report"]).stdout
    assert "Leeches" in text and "or set it aside: gdgrill decks suspend optimizers/adam-bias-correction" in text


def test_the_problems_index_is_cached_so_the_report_can_skip_yaml(tmp_path):
    cache = tmp_path / "problems.json"
    first = problem_refs(cache)
    assert cache.is_file() and first
    data = json.loads(cache.read_text(encoding="utf-8"))
    data["data"][0][1] = "title from the cache"
    cache.write_text(json.dumps(data), encoding="utf-8")
    assert problem_refs(cache)[0].title == "title from the cache"  # read back, not re-parsed
    cache.write_text("{not json", encoding="utf-8")
    assert problem_refs(cache) == first  # a broken cache is rebuilt


# -- a card's own history -----------------------------------------------------------------
def test_decks_show_gives_the_users_history_with_typed_answers_and_the_state(sample_decks, isolated_home, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    long_answer = "it averages the gradient so that the zig-zag across the valley cancels out " * 2
    with open_store(isolated_home) as store:
        store.record_review("sample/momentum", Grade.PASS, "quiz", day=date(2026, 2, 20), answer=long_answer.strip(),
                            detail={"key_points_hit": [1, 2], "key_points": 3})
        wrong = store.record_review("sample/momentum", Grade.FAIL, "quiz", day=date(2026, 2, 23))
        store.undo(wrong, day=date(2026, 2, 23))
        store.record_review("sample/momentum", Grade.FAIL, "cram", day=date(2026, 2, 24), answer="no idea")
    result = runner.invoke(app, ["decks", "show", "sample", "momentum", "--decks", str(sample_decks)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Your history (3 review(s), oldest first):" in out
    lines = out.splitlines()
    first = next(line for line in lines if line.startswith("  2026-02-20"))
    assert "✓ pass" in first and "quiz" in first and "2 of 3 key points" in first
    undone = next(line for line in lines if line.startswith("  2026-02-23"))
    assert "✗ miss" in undone and "undone" in undone
    assert "no idea" in out and "cram" in out
    at = lines.index(first)
    typed = lines[at + 1 : at + 3]  # the answer typed that day, wrapped under itself
    assert typed[0].startswith(" " * 14 + "typed: it averages") and typed[1].startswith(" " * 14 + "valley cancels")
    # The pass on 02-20 climbed to day 3, due 02-23; the undone miss and cram left it there.
    assert "Now: learning: the day-3 checkpoint overdue since 2026-02-23" in out


def test_card_history_folds_undo_events_into_the_review_they_took_back(tmp_path):
    with open_store(tmp_path) as store:
        kept = store.record_review("d/a", Grade.PASS, "quiz", day=TODAY, answer="0.9")
        gone = store.record_review("d/a", Grade.FAIL, "timed", day=TODAY, detail={"auto": True, "timed_out": 12.5})
        store.undo(gone, day=TODAY)
        history = card_history(store.log("d/a"))
    assert [(h.grade, h.mode, h.undone, h.note) for h in history] == [
        ("pass", "quiz", False, ""),
        ("fail", "timed", True, "too slow (12.5 s)"),
    ]
    assert history[0].answer == "0.9" and kept


def test_decks_show_of_a_new_card_says_it_has_no_history(sample_decks):
    result = runner.invoke(app, ["decks", "show", "sample/betas", "--decks", str(sample_decks)])
    assert result.exit_code == 0
    assert "Now: new: not asked yet" in result.stdout and "Your history: none yet" in result.stdout


def test_card_status_words():
    due = CardState(rung=1, due=TODAY, reviews=1)
    later = CardState(rung=2, due=TODAY + timedelta(days=4), reviews=2)
    done = CardState(rung=5, due=TODAY + timedelta(days=30), reviews=5)
    states = {"d/due": due, "d/later": later, "d/done": done}
    words = [card_status(k, states, {"d/held"}, TODAY) for k in ("d/new", "d/due", "d/later", "d/done", "d/held")]
    assert words == ["new", "due", "learning", "mastered", "suspended"]


# -- decks list: the drills, 80 columns ---------------------------------------------------
def test_decks_list_shows_the_drills_report_shows(isolated_home):
    with open_store(isolated_home) as store:
        store.record_review("drill/adam", Grade.FAIL, "drill", day=TODAY - timedelta(days=1))  # due today
    listing = runner.invoke(app, ["decks", "list"])
    row = next(line for line in listing.stdout.splitlines() if line.startswith("drills"))
    from gdgrill.drill.catalog import DRILLS

    assert row.split()[-4:] == [str(len(DRILLS)), "1", str(len(DRILLS) - 1), "0"]
    report = json.loads(runner.invoke(app, ["report", "--format", "json"]).stdout)
    drills = next(d for d in report["decks"] if d["id"] == "drills")
    assert (drills["items"], drills["due_today"]) == (len(DRILLS), 1)


def test_decks_list_fits_80_columns_without_wrapping_a_row(sample_decks, isolated_home, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    with open_store(isolated_home) as store:
        store.suspend("schedules/warmup-why", day=TODAY)
    result = runner.invoke(app, ["decks", "list", "--decks", str(sample_decks)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    footer = f"sample: {sample_decks / 'sample.yaml'}"  # a path is printed whole, to copy
    assert max(len(line) for line in lines if line != footer) <= 80
    ids = [line.split()[0] for line in lines if line.split() and line.split()[0] in
           {"foundations", "schedules", "optimizers", "diagnostics", "quick-fire", "sample", "drills"}]
    assert ids == ["foundations", "schedules", "optimizers", "diagnostics", "quick-fire", "sample", "drills"]
    schedules = next(line for line in lines if line.startswith("schedules "))
    assert schedules.split()[-2:] == ["1", "shipped"]  # every count and the source survive; the title gives way
    assert footer in lines


def test_decks_list_does_not_import_torch_or_numpy(tmp_path):
    import os
    import subprocess
    import sys

    probe = (
        "import sys, runpy; sys.argv = ['gdgrill', 'decks', 'list']\n"
        "try:\n    runpy.run_module('gdgrill', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'numpy', 'yaml') if m in sys.modules), file=sys.stderr)"
    )
    env = dict(os.environ, GDGRILL_HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, timeout=60)  # fills the deck cache
    second = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert second.stderr.strip().splitlines()[-1] == "[]", second.stderr


# -- bug 9: checking a checkout's decks/ against an installed copy ------------------------
def installed_copy(tmp_path: Path) -> Path:
    """The shipped decks as a non-editable install holds them (gdgrill/_shipped/decks)."""
    target = tmp_path / "site" / "gdgrill" / "_shipped" / "decks"
    shutil.copytree(ROOT / "decks", target)
    return target


def checkout_copy(tmp_path: Path) -> Path:
    """A contributor's source checkout: pyproject.toml and decks/."""
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "decks", checkout / "decks")
    shutil.copy(ROOT / "pyproject.toml", checkout / "pyproject.toml")
    return checkout


def test_a_checkouts_shipped_decks_check_clean_against_an_installed_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(decks_module, "shipped_decks_dir", lambda: installed_copy(tmp_path))
    found, problems = check_path(ROOT / "decks")
    assert [str(p) for p in problems] == []
    assert sorted(d.id for d in found) == ["diagnostics", "foundations", "optimizers", "quick-fire", "schedules"]
    found, problems = check_path(ROOT / "decks" / "optimizers.yaml")  # one file of it, too
    assert problems == [] and [d.id for d in found] == ["optimizers"]


def test_an_edited_shipped_deck_is_validated_as_its_replacement(tmp_path, monkeypatch):
    monkeypatch.setattr(decks_module, "shipped_decks_dir", lambda: installed_copy(tmp_path))
    checkout = checkout_copy(tmp_path)
    deck = checkout / "decks" / "schedules.yaml"
    text = deck.read_text(encoding="utf-8")
    deck.write_text(text + "  - id: new-card\n    question: A new question?\n    answer: A new answer.\n", encoding="utf-8")
    result = runner.invoke(app, ["decks", "check", str(checkout / "decks")])
    assert result.exit_code == 0, result.output
    total = len(load_library(include_shipped=True).cards)
    assert result.stdout.strip() == f"ok: 5 deck(s), {total + 1} card(s)"
    # A real problem in the edit is still found, and a clash inside the checkout too.
    deck.write_text(text.replace("id: schedules", "id: foundations", 1), encoding="utf-8")
    found, problems = check_path(checkout / "decks")
    assert [p.message for p in problems] == [f"deck id 'foundations' is already used by {(checkout / 'decks' / 'foundations.yaml').resolve()}"]


def test_a_user_deck_reusing_a_shipped_id_still_clashes(tmp_path, monkeypatch):
    installed = installed_copy(tmp_path)
    monkeypatch.setattr(decks_module, "shipped_decks_dir", lambda: installed)
    mine = tmp_path / "mydecks"
    mine.mkdir()
    shutil.copy(ROOT / "decks" / "foundations.yaml", mine / "foundations.yaml")
    found, problems = check_path(mine)
    assert [p.message for p in problems] == [f"deck id 'foundations' is already used by {(installed / 'foundations.yaml').resolve()}"]
    # A folder named decks/ that is not a gdgrill checkout is a user folder too.
    other = tmp_path / "project" / "decks"
    other.mkdir(parents=True)
    (other.parent / "pyproject.toml").write_text('[project]\nname = "something-else"\n', encoding="utf-8")
    shutil.copy(ROOT / "decks" / "foundations.yaml", other / "foundations.yaml")
    assert len(check_path(other)[1]) == 1


def test_decks_show_of_a_leech_offers_what_to_do_instead(isolated_home):
    with open_store(isolated_home) as store:
        miss_four_times(store, "optimizers/adam-bias-correction")
    shown = runner.invoke(app, ["decks", "show", "adam-bias-correction"]).stdout
    assert "A leech: missed 4 times" in shown
    assert "gdgrill decks suspend optimizers/adam-bias-correction" in shown
    assert "typed: attempt 4" in shown
    runner.invoke(app, ["decks", "suspend", "adam-bias-correction"])
    assert "A leech" not in runner.invoke(app, ["decks", "show", "adam-bias-correction"]).stdout  # already set aside


def test_the_quiz_does_not_call_a_suspended_card_still_due(sample_decks, isolated_home):
    with open_store(isolated_home) as store:
        for key in ("sample/momentum", "sample/stability"):
            store.record_review(key, Grade.FAIL, "quiz", day=TODAY - timedelta(days=1))  # both due today
        store.suspend("sample/stability", day=TODAY)
    result = runner.invoke(app, ["quiz", "--decks", str(sample_decks), "--deck", "sample", "--new", "0"], input="\np\n")
    assert "1 card(s) due, 0 new" in result.stdout and "Session done: 1 graded" in result.stdout
    assert "Still due today" not in result.stdout
