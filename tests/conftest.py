from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The CLI's consoles are made when gdgrill.cli is imported, and a console made while COLUMNS
# is set keeps that width for good. A test worker (pytest-xdist) starts with COLUMNS=80 set,
# which would pin them before the per-test COLUMNS=120 below: no width comes from outside.
for _size in ("COLUMNS", "LINES"):
    os.environ.pop(_size, None)

# CI runs the same examples on every run (derandomised: the seed comes from each test's
# source), so a red build is reproducible and no outcome depends on luck. Local runs draw new
# random examples each time, and twice as many, to hunt for what the fixed set misses. Tests
# that set max_examples themselves keep it. HYPOTHESIS_PROFILE=ci|dev chooses explicitly.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=200, deadline=None)
_in_ci = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _in_ci else "dev"))

SAMPLE_DECK = """\
deck:
  id: sample
  title: Sample
  description: A small deck for tests.
cards:
  - id: betas
    question: Default Adam betas?
    answer: β1 = 0.9, β2 = 0.999
    accept: ["0.9, 0.999"]
    reject: ["0.9, 0.99"]
    key_points: [β1 = 0.9, β2 = 0.999]
    tier: 1
    tags: [adam]
  - id: momentum
    question: Why does momentum help in a narrow valley?
    answer: It averages the gradient, so the zig-zag across the walls cancels and the push along the floor adds up.
    key_points: [zig-zag components cancel, consistent direction accumulates, effective step grows by 1/(1-β)]
    tier: 2
    tags: [momentum]
    checkpoints:
      0: Recall the heavy-ball update.
      3: Explain it without notes in three sentences.
  - id: stability
    question: When does GD on a quadratic diverge?
    answer: When η > 2/λ_max.
    key_points: [η < 2/λ_max is stable, the top eigen-direction oscillates and grows past it]
    tier: 3
    tags: [stability]
"""


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder and a fixed, known 'today'."""
    home = tmp_path / "home"
    monkeypatch.setenv("GDGRILL_HOME", str(home))
    monkeypatch.setenv("GDGRILL_TODAY", "2026-03-02")
    monkeypatch.delenv("GDGRILL_DECKS", raising=False)
    monkeypatch.delenv("GDGRILL_DRILLS", raising=False)
    monkeypatch.delenv("GDGRILL_ROLLOVER_HOUR", raising=False)
    monkeypatch.delenv("GDGRILL_NEW_PER_DAY", raising=False)
    monkeypatch.delenv("GDGRILL_MAINTENANCE_DAYS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    return home


@pytest.fixture
def sample_decks(tmp_path: Path) -> Path:
    folder = tmp_path / "mydecks"
    folder.mkdir()
    (folder / "sample.yaml").write_text(SAMPLE_DECK, encoding="utf-8")
    return folder


if os.environ.get("MUTANT_UNDER_TEST"):
    # Under mutation testing (bench/mutation.py) every mutant's tests run in a process forked
    # from one that already ran them: a result cached then would hide the mutant. Each test
    # starts with gdgrill's caches empty.
    import sys

    @pytest.fixture(autouse=True)
    def _empty_caches() -> None:
        for name, module in list(sys.modules.items()):
            if not name.startswith("gdgrill") or module is None:
                continue
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
        answers = sys.modules.get("gdgrill.answers")
        if answers is not None:
            answers._BACKEND = None
        for name, caches in _DICT_CACHES.items():
            module = sys.modules.get(name)
            for cache in caches if module is not None else ():
                getattr(module, cache).clear()

    # The module-level dicts that cache a computation (the judge's compiled rules and
    # trajectories, the diagnosis's cases, the derive stages' samples, ...).
    _DICT_CACHES = {
        "gdgrill.drill.judge": ("_COMPILED", "_PROBLEMS", "_REFERENCE", "_RULE_CACHE", "_ORIGINS"),
        "gdgrill.drill.diagnosis": ("_CASES", "_REFERENCE_RULES", "_REFERENCE_TRACES"),
        "gdgrill.drill.derive": ("_SAMPLES", "_PARSED"),
        "gdgrill.eventlog": ("_quotes_alike", "_DETAILS"),
        "gdgrill.config": ("_read",),
        "gdgrill.decks": ("_SHIPPED_DECKS",),
    }


# typer builds the whole click command tree from the functions' signatures on every
# invoke (a few ms each, thousands of times in this suite); the tree depends only on the app,
# so each test invocation reuses the one built for it.
import typer.main as _typer_main  # noqa: E402
import typer.testing as _typer_testing  # noqa: E402

_built_commands: dict[int, tuple[object, object]] = {}


def _command_of(app):
    built = _built_commands.get(id(app))
    if built is None or built[0] is not app:
        built = _built_commands[id(app)] = (app, _typer_main.get_command(app))
    return built[1]


_typer_testing._get_command = _command_of


# The longest tests (each a second or more: real torch runs, subprocesses, a pty) go first,
# so that the workers' last tests are short ones and no worker is left running a long test
# alone at the end.
_LONGEST = (
    "test_curves.py::test_make_curves_regenerates_the_stored_files_byte_for_byte",
    "test_drill_diagnosis.py::test_random_edits_of_every_reference_never_break_the_judge",
    "test_sync.py::test_a_sync_killed_at_random_points_loses_nothing_and_leaves_only_whole_files",
    "test_report_browser.py::",
    "test_pty.py::",
    "test_anki.py::test_every_deck_becomes_an_anki_deck",
    "test_packaging.py::",
    "test_plan_cli.py::test_a_far_interview_leaves_the_ladder_exactly_as_it_is",
)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: not any(part in item.nodeid for part in _LONGEST))  # stable: the rest keep their order
