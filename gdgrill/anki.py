"""The decks as an Anki package (``gdgrill export anki FILE.apkg``), through genanki (the
optional ``anki`` extra).

One Anki deck per gdgrill deck (``gdgrill::<title>``). Each card becomes a note whose guid
comes from its ``deck_id/card_id``, and the note type and deck ids from fixed names, so
importing a re-export updates the notes in Anki instead of adding copies. The front holds
the question (and a curve card's loss curve as a PNG, when matplotlib is installed); the
back the model answer, the key points, the accepted answers of a quick-fire card, the
follow-ups and references. Formulas stay the Unicode the decks are written in (β1, √v̂,
∇L), with ``x_t``, ``λ_max`` and ``x_{t−1}`` set as subscripts; line breaks and indented formula
lines are kept. Tags: ``gdgrill``, the deck id, ``tier1``…``tier4`` and the card's own tags.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, NamedTuple

from gdgrill.errors import UserError

if TYPE_CHECKING:
    from gdgrill.decks import Card, Deck

NEEDS = "gdgrill export anki needs genanki: pip install 'gdgrill[anki]'"
MODEL_NAME = "gdgrill card"
FIELDS = ("Question", "Curve", "Answer", "KeyPoints", "More", "Item")

CSS = """\
.card { font-family: -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif; font-size: 19px;
        text-align: left; color: #1d1d1f; background: #fff; max-width: 46em; margin: 0 auto; line-height: 1.45; }
.nightMode .card, .card.nightMode { color: #e8e8e8; background: #1e1e1e; }
.question { font-weight: 600; }
.curve img { max-width: 100%; margin-top: .6em; }
.answer, .points, .more { margin-top: .6em; }
.points ul, .more ul { margin: .2em 0 0 1.2em; padding: 0; }
.more { font-size: 16px; opacity: .85; }
.item { margin-top: 1em; font-size: 12px; opacity: .6; font-family: monospace; }
sub { font-size: 70%; }
"""
FRONT = '<div class="question">{{Question}}</div>{{#Curve}}<div class="curve">{{Curve}}</div>{{/Curve}}'
BACK = (
    '{{FrontSide}}<hr id="answer"><div class="answer">{{Answer}}</div>'
    '{{#KeyPoints}}<div class="points"><b>Key points</b>{{KeyPoints}}</div>{{/KeyPoints}}'
    '{{#More}}<div class="more">{{More}}</div>{{/More}}<div class="item">{{Item}}</div>'
)


def stable_id(name: str) -> int:
    """An Anki id (a deck's, the note type's) from a name: the same on every export."""
    digest = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")
    return (1 << 30) + digest % (1 << 30)


MODEL_ID = stable_id("gdgrill model: card v1")

# A single-letter variable (optionally with a hat or tilde) followed by _x or _{…}: a
# subscript. A name with several letters before the underscore (weight_decay) is code.
_LETTER = r"(?<![A-Za-z0-9_])([A-Za-z\u0370-\u03ff][\u0300-\u036f]?)"
_BRACED_SUB = re.compile(_LETTER + r"_\{([^{}\n]{1,24})\}")
_PLAIN_SUB = re.compile(_LETTER + r"_([A-Za-z0-9\u0370-\u03ff]{1,4})(?![A-Za-z0-9_])")


def formula_html(text: str) -> str:
    """Card text as HTML: escaped, with subscripts set, line breaks and indentation kept."""
    escaped = html.escape(text.strip("\n"), quote=False)
    escaped = _BRACED_SUB.sub(r"\1<sub>\2</sub>", escaped)
    escaped = _PLAIN_SUB.sub(r"\1<sub>\2</sub>", escaped)
    lines = []
    for line in escaped.split("\n"):
        stripped = line.lstrip(" ")
        lines.append("&nbsp;" * (len(line) - len(stripped)) + stripped)
    return "<br>".join(lines)


def _list(items: Iterable[str]) -> str:
    items = list(items)
    return "<ul>" + "".join(f"<li>{formula_html(i)}</li>" for i in items) + "</ul>" if items else ""


def tag(text: str) -> str:
    """An Anki tag (no spaces)."""
    return re.sub(r"\s+", "_", text.strip())


def card_tags(card: "Card") -> list[str]:
    return list(dict.fromkeys(["gdgrill", tag(card.deck), f"tier{card.tier}", *(tag(t) for t in card.tags if t.strip())]))


def card_fields(card: "Card", picture: str | None) -> list[str]:
    """The note's fields, in FIELDS order; ``picture`` is the curve's media file name."""
    more = []
    if card.accept:
        more.append("<b>Also accepted</b>" + _list(card.accept))
    if card.followups:
        more.append("<b>Follow-ups</b>" + _list(card.followups))
    if card.references:
        more.append("<b>References</b>" + _list(card.references))
    curve = f'<img src="{html.escape(picture)}">' if picture else ""
    return [
        formula_html(card.question), curve, formula_html(card.answer), _list(card.key_points), "".join(more),
        html.escape(card.key),
    ]


class AnkiExport(NamedTuple):
    path: Path
    decks: int
    notes: int
    pictures: int


def curve_pictures(names: Iterable[str], cache: Path) -> dict[str, Path]:
    """A PNG of each named curve, drawn once and kept in ``cache`` (named by the curve
    file's hash, so an edited curve is drawn again); {} without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return {}
    from gdgrill.curves import load_curve, write_curve_png
    from gdgrill.paths import shipped_curves_dir

    out = {}
    for name in sorted(set(names)):
        source = shipped_curves_dir() / f"{name}.json"
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
        png = cache / f"gdgrill-{name}-{digest}.png"
        if not png.exists():
            cache.mkdir(parents=True, exist_ok=True)
            tmp = png.with_name(f".{png.name}.tmp-{os.getpid()}")
            write_curve_png(load_curve(name), tmp, show_markers=False)  # the question must not give it away
            os.replace(tmp, png)
        out[name] = png
    return out


def export_anki(decks: "list[Deck]", path: Path, pictures: dict[str, Path]) -> AnkiExport:
    """Write ``decks`` to ``path`` (.apkg), replacing it whole; ``pictures`` maps curve
    names to PNG files (see :func:`curve_pictures`)."""
    try:
        import genanki
    except ImportError:
        raise UserError(NEEDS) from None
    model = genanki.Model(
        MODEL_ID, MODEL_NAME, fields=[{"name": f} for f in FIELDS],
        templates=[{"name": "Card", "qfmt": FRONT, "afmt": BACK}], css=CSS, sort_field_index=0,
    )
    anki_decks = []
    notes = 0
    media: dict[str, Path] = {}
    for deck in decks:
        anki_deck = genanki.Deck(stable_id(f"gdgrill deck: {deck.id}"), f"gdgrill::{deck.title}", description=deck.description)
        for card in deck.cards:
            picture = pictures.get(card.curve) if card.curve else None
            name = f"gdgrill-{card.curve}.png" if picture else None
            if picture:
                media[name] = picture  # type: ignore[index]
            note = genanki.Note(
                model=model, fields=card_fields(card, name), tags=card_tags(card), guid=genanki.guid_for("gdgrill", card.key),
            )
            anki_deck.add_note(note)
            notes += 1
        anki_decks.append(anki_deck)
    staging = path.with_name(f".{path.name}.media-{os.getpid()}")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        staging.mkdir(exist_ok=True)
        files = []
        for name, source in media.items():  # Anki names media by file name: copy under the stable one
            target = staging / name
            target.write_bytes(source.read_bytes())
            files.append(str(target))
        genanki.Package(anki_decks, media_files=files).write_to_file(str(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        raise UserError(f"{path}: cannot write the Anki package ({exc.strerror or exc})") from None
    finally:
        for leftover in [tmp, *staging.glob("*")] if staging.exists() else [tmp]:
            try:
                leftover.unlink()
            except OSError:
                pass
        try:
            staging.rmdir()
        except OSError:
            pass
    return AnkiExport(path, len(anki_decks), notes, len(media))

