"""Finding and managing cards: search, naming a card by its id, the one word for where a
card stands, the per-deck counts of ``gdgrill decks list`` and a card's own history.

Pure functions over cards, scheduler states and log rows; the store and the terminal stay
with the caller (``gdgrill decks``).
"""

from __future__ import annotations

import re

import unicodedata
from datetime import date
from typing import Iterable, NamedTuple, Sequence

from gdgrill.decks import Card, DeckError, Library
from gdgrill.scheduler import CardState, Status
from gdgrill.store import LoggedReview

# Where a search term is found, by weight: a hit in the card's id or question ranks above
# one in its tags, which ranks above one only in the answer or key points.
ID_OR_QUESTION, TAGS, ANSWER = 3, 2, 1

STATES = ("new", "due", "learning", "mastered", "suspended")


def fold(text: str) -> str:
    """Text as search compares it: case-folded (Greek and accented letters too) and in one
    Unicode form, so 'Β1' finds 'β1' and a composed 'é' finds a decomposed one. Accents are
    kept: 'resume' does not find 'résumé'."""
    return unicodedata.normalize("NFC", text).casefold()


class Hit(NamedTuple):
    card: Card
    score: int  # the sum over terms of the best place each was found (ID_OR_QUESTION, ...)


def search_cards(cards: Sequence[Card], terms: Iterable[str]) -> list[Hit]:
    """The cards whose id, question, answer, key points or tags contain every term
    (case-insensitive substrings; a term with spaces is matched as a phrase), best first:
    terms found in the id or question outrank those found only in the answer; ties keep
    the order of ``cards``. No terms: no hits."""
    wanted = [fold(t.strip()) for t in terms if t.strip()]
    if not wanted:
        return []
    hits = []
    for index, card in enumerate(cards):
        fields = (
            (ID_OR_QUESTION, fold(f"{card.key}\n{card.question}")),
            (TAGS, fold("\n".join(card.tags))),
            (ANSWER, fold("\n".join((card.answer, *card.key_points)))),
        )
        score = 0
        for term in wanted:
            best = next((weight for weight, text in fields if term in text), 0)
            if not best:
                break
            score += best
        else:
            hits.append((-score, index, Hit(card, score)))
    return [hit for *_, hit in sorted(hits)]


def _close(word: str, candidates: list[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, candidates, n=3, cutoff=0.75)


def resolve_card(library: Library, ident: str) -> Card:
    """The card ``ident`` names: 'deck/card', or a bare card id that only one deck holds.
    Raises DeckError (exit 2) naming the candidates when the id is ambiguous or unknown."""
    ident = ident.strip()
    if "/" in ident:
        deck_id, _, card_id = ident.partition("/")
        deck = library.deck(deck_id)
        if deck is None:
            raise DeckError(f"no deck named {deck_id!r} (decks: {', '.join(d.id for d in library.decks)})")
        card = deck.card(card_id)
        if card is None:
            near = _close(card_id, [c.id for c in deck.cards])
            hint = f"; did you mean {', '.join(f'{deck_id}/{n}' for n in near)}?" if near else f" (see 'gdgrill decks show {deck_id}')"
            raise DeckError(f"deck {deck_id!r} has no card {card_id!r}{hint}")
        return card
    same = [c for c in library.cards if c.id == ident]
    if len(same) == 1:
        return same[0]
    if same:
        raise DeckError(f"card id {ident!r} is in several decks: {', '.join(c.key for c in same)}; give it as deck/card")
    near = [c.key for c in library.cards if fold(ident) in c.id][:5]
    if not near:  # a typo: the ids it is closest to
        by_id = {c.id: c.key for c in library.cards}
        near = [by_id[n] for n in _close(ident, list(by_id))]
    words = " ".join(w for w in re.split(r"[-_/]+", ident) if w)
    hint = f"; did you mean {', '.join(near)}?" if near else f" (find one with 'gdgrill decks search {words}')"
    raise DeckError(f"no card with id {ident!r}{hint}")


def card_status(key: str, states: dict[str, CardState], suspended: set[str] | frozenset[str], today: date) -> str:
    """One of :data:`STATES`: suspended, else new (never reviewed), due (today or
    overdue), mastered or learning."""
    if key in suspended:
        return "suspended"
    state = states.get(key)
    if state is None or not state.reviews:
        return "new"
    if state.is_due(today):
        return "due"
    return "mastered" if state.status is Status.MASTERED else "learning"


def state_line(key: str, state: CardState | None, suspended: bool, today: date) -> str:
    """Where a card stands and when it comes back, in a sentence."""
    if state is None or not state.reviews:
        where = "new: not asked yet"
    else:
        step = "a maintenance check" if state.checkpoint_day is None else f"the day-{state.checkpoint_day} checkpoint"
        assert state.due is not None
        if state.due < today:
            when = f"overdue since {state.due.isoformat()}"
        elif state.due == today:
            when = "due today"
        else:
            when = f"due {state.due.isoformat()}"
        kind = "mastered" if state.status is Status.MASTERED else "learning"
        missed = f"; missed {state.lapses} time(s) so far" if state.lapses else ""
        where = f"{kind}: {step} {when}{missed}"
    if suspended:
        return f"suspended (never asked until 'gdgrill decks unsuspend {key}'); {where}"
    return where


class DeckRow(NamedTuple):
    id: str
    title: str
    items: int
    due: int
    new: int
    mastered: int
    suspended: int
    shipped: bool
    source: str


def _counts(keys: list[str], states: dict[str, CardState], suspended: set[str], today: date) -> tuple[int, int, int, int]:
    status = [card_status(k, states, suspended, today) for k in keys]
    return status.count("due"), status.count("new"), status.count("mastered"), status.count("suspended")


DRILLS_TITLE = "Derive-and-verify drills"


def deck_rows(
    library: Library, states: dict[str, CardState], suspended: set[str], today: date, drills: Sequence[str] = ()
) -> list[DeckRow]:
    """``gdgrill decks list``: each deck's cards, due today, new, mastered and suspended
    counts, then (when ``drills`` names any) the drills, which sit on the same ladder as
    'drill/NAME'. A suspended card counts as suspended only, never as due or new."""
    rows = [
        DeckRow(d.id, d.title, len(d.cards), *_counts([c.key for c in d.cards], states, suspended, today), d.shipped, str(d.source))
        for d in library.decks
    ]
    if drills:
        keys = [f"drill/{name}" for name in drills]
        rows.append(DeckRow("drills", DRILLS_TITLE, len(keys), *_counts(keys, states, suspended, today), True, "shipped"))
    return rows


class HistoryEntry(NamedTuple):
    day: date
    grade: str  # pass or fail
    mode: str  # quiz, timed, cram, review, grill, ...
    answer: str | None
    note: str  # how it was graded, e.g. "2 of 3 key points"; "" when nothing to add
    undone: bool  # taken back with u (an undo event); it no longer counts


def card_history(rows: Iterable[LoggedReview]) -> list[HistoryEntry]:
    """A card's reviews, oldest first, from :meth:`gdgrill.store.Store.log` rows: undo
    events fold into the review they took back."""
    rows = list(rows)
    undone = {r.undoes for r in rows if r.undoes is not None}
    return [
        HistoryEntry(r.day, r.grade, r.mode, r.answer, _grading_note(r.detail or {}), r.id in undone)
        for r in rows
        if r.grade != "undo"
    ]


def _grading_note(detail: dict) -> str:
    if "key_points" in detail and "key_points_hit" in detail:
        return f"{len(detail['key_points_hit'])} of {detail['key_points']} key points"
    if detail.get("timed_out") is not None:
        return f"too slow ({detail['timed_out']} s)"
    if detail.get("blank"):
        return "no answer"
    if detail.get("override"):
        return "auto-check overridden"
    if detail.get("auto"):
        return "auto-checked"
    return ""
