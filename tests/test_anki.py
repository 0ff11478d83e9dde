"""`gdgrill export anki`: a package Anki imports as one deck per gdgrill deck, with stable
note ids, tags, the answer and key points on the back and curve pictures."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gdgrill.anki import formula_html
from gdgrill.cli import app
from gdgrill.decks import load_library

runner = CliRunner()
LIBRARY = load_library()


def export(tmp_path: Path, *args: str, name: str = "out.apkg") -> tuple[Path, str]:
    path = tmp_path / name
    result = runner.invoke(app, ["export", "anki", str(path), *args])
    assert result.exit_code == 0, result.output
    return path, result.stdout


class Package:
    """An .apkg opened as Anki opens it: a zip holding an SQLite collection and media."""

    def __init__(self, path: Path, tmp: Path):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            assert "collection.anki2" in names and "media" in names
            tmp.mkdir()
            z.extract("collection.anki2", tmp)
            self.media_names = json.loads(z.read("media"))  # {"0": "file.png", ...}
            self.media = {name: z.read(number) for number, name in self.media_names.items()}
        conn = sqlite3.connect(tmp / "collection.anki2")
        try:
            self.decks = {int(k): v["name"] for k, v in json.loads(conn.execute("SELECT decks FROM col").fetchone()[0]).items()}
            models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
            (self.model,) = models.values()
            names = [f["name"] for f in self.model["flds"]]
            self.notes = {}
            for guid, flds, tags, nid in conn.execute("SELECT guid, flds, tags, id FROM notes"):
                fields = dict(zip(names, flds.split("\x1f")))
                self.notes[fields["Item"]] = {"guid": guid, "tags": tags.split(), "id": nid, **fields}
            self.card_decks = {nid: self.decks[did] for nid, did in conn.execute("SELECT nid, did FROM cards")}
        finally:
            conn.close()


def test_every_deck_becomes_an_anki_deck_and_every_card_a_note_with_its_answer_key_points_and_tags(tmp_path):
    path, out = export(tmp_path)
    pkg = Package(path, tmp_path / "x")
    cards = LIBRARY.cards
    assert out.strip().startswith(f"wrote {len(cards)} notes in {len(LIBRARY.decks)} decks to {path}")
    assert set(pkg.notes) == {c.key for c in cards}
    assert sorted(n for n in pkg.decks.values() if n != "Default") == sorted(f"gdgrill::{d.title}" for d in LIBRARY.decks)
    for card in cards:
        note = pkg.notes[card.key]
        assert pkg.card_decks[note["id"]] == f"gdgrill::{LIBRARY.deck(card.deck).title}"
        assert {"gdgrill", card.deck, f"tier{card.tier}", *(t.replace(" ", "_") for t in card.tags)} == set(note["tags"])
        # What Anki shows reads back as the deck's text, word for word.
        assert plain(note["Question"]) == braces(card.question.strip("\n"))
        assert plain(note["Answer"]) == braces(card.answer.strip("\n"))
        assert [plain(li) for li in re.findall(r"<li>(.*?)</li>", note["KeyPoints"])] == [braces(p) for p in card.key_points]
    adam = pkg.notes["optimizers/adam-update-rule"]["Answer"]
    assert "m<sub>t</sub> = β1·m<sub>t−1</sub> + (1 − β1)·g<sub>t</sub>" in adam
    assert "<br>&nbsp;&nbsp;m<sub>t</sub>" in adam  # the indented formula lines stay indented
    quick = next(c for c in cards if c.accept)
    assert [plain(li) for li in re.findall(r"<li>(.*?)</li>", pkg.notes[quick.key]["More"])][: len(quick.accept)] == list(quick.accept)
    template = pkg.model["tmpls"][0]
    assert "{{Answer}}" in template["afmt"] and "{{KeyPoints}}" in template["afmt"]
    assert "{{Answer}}" not in template["qfmt"]  # the answer is on the back only


def plain(html_text: str) -> str:
    """The text a field shows: subscripts written back as _x / _{xy}, breaks as new lines."""
    text = re.sub(r"<sub>([A-Za-z0-9\u0370-\u03ff]{1,4})</sub>", r"_\1", html_text)
    text = re.sub(r"<sub>(.*?)</sub>", r"_{\1}", text)
    text = text.replace("<br>", "\n").replace("&nbsp;", " ")
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def braces(text: str) -> str:
    return re.sub(r"_\{([A-Za-z0-9\u0370-\u03ff]{1,4})\}(?![A-Za-z0-9_])", r"_\1", text)


def test_curve_cards_carry_their_curve_as_a_png_on_the_front(tmp_path):
    path, out = export(tmp_path, "--deck", "diagnostics")
    pkg = Package(path, tmp_path / "x")
    curves = [c for c in LIBRARY.deck("diagnostics").cards if c.curve]
    assert curves and f"({len({c.curve for c in curves})} curve pictures)" in out
    for card in curves:
        picture = f"gdgrill-{card.curve}.png"
        assert pkg.notes[card.key]["Curve"] == f'<img src="{picture}">'
        assert pkg.media[picture][:8] == b"\x89PNG\r\n\x1a\n"
    assert set(pkg.media) == {f"gdgrill-{c.curve}.png" for c in curves}
    assert "{{Curve}}" in pkg.model["tmpls"][0]["qfmt"]


def test_a_re_export_keeps_every_note_id_so_anki_updates_instead_of_duplicating(tmp_path, sample_decks):
    first, _ = export(tmp_path, "--decks", str(sample_decks), "--deck", "sample", name="one.apkg")
    deck_file = sample_decks / "sample.yaml"
    deck_file.write_text(deck_file.read_text(encoding="utf-8").replace("When η > 2/λ_max.", "Past η = 2/λ_max."), encoding="utf-8")
    second, _ = export(tmp_path, "--decks", str(sample_decks), "--deck", "sample", name="two.apkg")
    a, b = Package(first, tmp_path / "a"), Package(second, tmp_path / "b")
    assert {k: n["guid"] for k, n in a.notes.items()} == {k: n["guid"] for k, n in b.notes.items()}
    assert len({n["guid"] for n in a.notes.values()}) == 3
    assert a.decks == b.decks and a.model["id"] == b.model["id"]
    assert "Past η = 2/λ<sub>max</sub>." == b.notes["sample/stability"]["Answer"]


def test_an_unknown_deck_or_a_missing_genanki_is_one_line_and_exit_2(tmp_path, monkeypatch):
    result = runner.invoke(app, ["export", "anki", str(tmp_path / "x.apkg"), "--deck", "nope"])
    assert result.exit_code == 2 and "--deck 'nope': no such deck (known: " in result.stderr
    monkeypatch.setitem(sys.modules, "genanki", None)  # `import genanki` now raises ImportError
    result = runner.invoke(app, ["export", "anki", str(tmp_path / "x.apkg")])
    assert result.exit_code == 2
    assert result.stderr.strip() == "gdgrill: error: gdgrill export anki needs genanki: pip install 'gdgrill[anki]'"
    assert not (tmp_path / "x.apkg").exists()


def test_without_matplotlib_the_package_is_written_without_pictures_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    path, out = export(tmp_path, "--deck", "diagnostics")
    assert "no curve pictures: pip install 'gdgrill[plot]'" in out
    pkg = Package(path, tmp_path / "x")
    assert pkg.media == {} and all(n["Curve"] == "" for n in pkg.notes.values())


@pytest.mark.parametrize(
    "text, html",
    [
        ("m_t = β1·m_{t−1} + (1 − β1)·g_t", "m<sub>t</sub> = β1·m<sub>t−1</sub> + (1 − β1)·g<sub>t</sub>"),
        ("m̂_t/(√v̂_t + ε)", "m̂<sub>t</sub>/(√v̂<sub>t</sub> + ε)"),
        ("torch's weight_decay and clip_grad_norm_", "torch's weight_decay and clip_grad_norm_"),
        ("η < 2/λ_max", "η &lt; 2/λ<sub>max</sub>"),
        ("if ‖g‖ > c & x < 1", "if ‖g‖ &gt; c &amp; x &lt; 1"),
        ("line one\n  indented formula", "line one<br>&nbsp;&nbsp;indented formula"),
        ("<script>", "&lt;script&gt;"),
    ],
)
def test_card_text_becomes_readable_html_with_subscripts_and_code_names_left_alone(text, html):
    assert formula_html(text) == html
