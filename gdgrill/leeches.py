"""Leeches: cards missed again and again, and what to do instead of grinding them.

A card missed :data:`LEECH_MISSES` (4) or more times on the ladder is a leech: more of the
same flashcard is unlikely to fix it. What helps is approaching the idea from another side:
the card's own follow-up questions, the practice problem that shares most of its tags, or
setting the card aside with ``gdgrill decks suspend``. The report lists leeches with this
advice; the quiz shows :func:`leech_note` after the miss that makes a card one.
"""

from __future__ import annotations

from typing import Any, Iterable, NamedTuple, Sequence

from gdgrill.content import ProblemRef
from gdgrill.decks import Card

LEECH_MISSES = 4


def is_leech(misses: int) -> bool:
    return misses >= LEECH_MISSES


def misses_of(summary_or_lapses: Any) -> int:
    """Ladder misses from an int, a :class:`~gdgrill.scheduler.CardState` (``lapses``) or
    a :class:`~gdgrill.store.ItemSummary` (its all-time fails)."""
    if isinstance(summary_or_lapses, int):
        return summary_or_lapses
    if hasattr(summary_or_lapses, "all_time"):
        return int(summary_or_lapses.all_time.fails)
    return int(summary_or_lapses.lapses)


def related_problem(card: Card, problems: Iterable[ProblemRef]) -> ProblemRef | None:
    """The practice problem sharing most tags with ``card`` (ties: the one with fewer tags,
    i.e. the more focused; then file order); None when none shares a tag."""
    tags = set(card.tags)
    best: tuple[int, int, int] | None = None
    chosen = None
    for index, problem in enumerate(problems):
        shared = len(tags & set(problem.tags))
        if not shared:
            continue
        rank = (-shared, len(problem.tags), index)
        if best is None or rank < best:
            best, chosen = rank, problem
    return chosen


class Leech(NamedTuple):
    card: Card
    misses: int
    followups: tuple[str, ...]
    problem: ProblemRef | None

    @property
    def suspend_command(self) -> str:
        return f"gdgrill decks suspend {self.card.key}"

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON shape of a leech."""
        return {
            "item": self.card.key,
            "title": " ".join(self.card.question.split()),
            "misses": self.misses,
            "followups": list(self.followups),
            "problem": {"id": self.problem.id, "title": self.problem.title} if self.problem else None,
            "suspend": self.suspend_command,
            "advice": advice_lines(self),
        }


def leech(card: Card, summary_or_lapses: Any, problems: Iterable[ProblemRef]) -> Leech | None:
    """``card`` as a leech with what to offer, or None when it is not one."""
    misses = misses_of(summary_or_lapses)
    if not is_leech(misses):
        return None
    return Leech(card, misses, card.followups, related_problem(card, problems))


def find_leeches(
    cards: Sequence[Card], summaries: dict[str, Any], suspended: set[str], problems: Sequence[ProblemRef]
) -> list[Leech]:
    """Every leech among ``cards`` (most misses first), leaving out suspended cards: those
    are already set aside. ``summaries`` maps card keys to ItemSummary or CardState."""
    found = []
    for card in cards:
        summary = summaries.get(card.key)
        if summary is None or card.key in suspended:
            continue
        found_one = leech(card, summary, problems)
        if found_one is not None:
            found.append(found_one)
    found.sort(key=lambda l: -l.misses)  # stable: deck order breaks ties
    return found


def advice_lines(found: Leech) -> list[str]:
    """What to do about a leech, one suggestion a line (without the heading)."""
    lines = [f"follow-up: {f}" for f in found.followups]
    if found.problem is not None:
        lines.append(f"practice: gdgrill practice {found.problem.id} ({found.problem.title})")
    lines.append(f"or set it aside: {found.suspend_command}")
    return lines


def leech_note(card: Card, summary_or_lapses: Any, problems: Iterable[ProblemRef]) -> list[str] | None:
    """The lines the quiz shows after a miss that leaves ``card`` a leech (missed 4+
    times), or None when it is not one: the heading, then its follow-ups, the related
    practice problem and how to suspend it. ``summary_or_lapses`` is the card's misses (an
    int, its CardState or ItemSummary) including this one; ``problems`` come from
    :func:`gdgrill.content.problem_refs` (cached: no yaml on the quiz path)."""
    found = leech(card, summary_or_lapses, problems)
    if found is None:
        return None
    heading = f"Leech: {card.key} missed {found.misses} times. Another pass at the card rarely fixes it; try instead:"
    return [heading, *(f"  • {line}" for line in advice_lines(found))]


def after_miss(store: Any, problems: Any) -> Any:
    """The quiz's ``after_grade`` hook: after a ladder miss that leaves a card a leech, the
    :func:`leech_note`. ``problems`` is called (once, on the first leech) for the practice
    problems, so a session without leeches never loads them."""
    loaded: list[ProblemRef] | None = None

    def hook(card: Card, grade: Any) -> list[str]:
        nonlocal loaded
        if grade.passed:
            return []
        state = store.states_for([card.key]).get(card.key)
        if state is None or not is_leech(state.lapses):
            return []
        if loaded is None:
            loaded = list(problems())
        return leech_note(card, state, loaded) or []

    return hook
