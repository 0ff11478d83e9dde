from __future__ import annotations

from pathlib import Path

import pytest

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
