"""Reviews outside the interactive quiz (``gdgrill review``): checking requests, judging
quick-fire answers, recording them (one transaction for a batch) and saying what is next.

The rules are the quiz's: a quick-fire answer is checked by :func:`gdgrill.answers.check`
(an explicit grade overrides it, as 'o'/'f' do in the quiz), a self-graded card needs a
grade, and each review moves the ladder exactly as a quiz grade does.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, NamedTuple

from gdgrill.decks import Library
from gdgrill.errors import UserError
from gdgrill.scheduler import NEW_STATE, Grade, apply_review
from gdgrill.store import Store
from gdgrill.text import clean_text

MODE = "review"
GRADES = {"pass": Grade.PASS, "p": Grade.PASS, "fail": Grade.FAIL, "f": Grade.FAIL, "easy": Grade.EASY, "e": Grade.EASY}


class ReviewRequest(NamedTuple):
    item: str
    grade: Grade | None
    answer: str | None

    @classmethod
    def checked(cls, item: Any, grade: Any, answer: Any, library: Library, where: str) -> "ReviewRequest":
        """A request whose item exists and whose grade/answer fit the card; ``where``
        prefixes errors (e.g. 'line 3: ')."""
        if not isinstance(item, str) or not item:
            raise UserError(f"{where}'item' must be a card as deck/card")
        if item.startswith("drill/"):
            name = item.split("/", 1)[1]
            raise UserError(f"{where}{item}: a drill is judged by running your rule: gdgrill drill {name} --answer FILE")
        card = library.card(item)
        if card is None:  # a bare card id that only one deck has, or a typo to name
            from gdgrill.decks import DeckError
            from gdgrill.manage import resolve_card

            try:
                card = resolve_card(library, item)
            except DeckError as exc:
                raise UserError(f"{where}unknown item {item!r}: {exc}") from None
            item = card.key
        parsed: Grade | None = None
        if grade is not None:
            parsed = GRADES.get(grade.strip().lower()) if isinstance(grade, str) else None
            if parsed is None:
                raise UserError(f"{where}{item}: grade {grade!r}: expected pass, easy or fail")
        if answer is not None and not isinstance(answer, str):
            raise UserError(f"{where}{item}: 'answer' must be a string")
        if parsed is None:
            if answer is None:
                raise UserError(f"{where}{item}: give a grade (pass, easy or fail) or an answer")
            if not card.auto_checked:
                raise UserError(f"{where}{item}: a self-graded card needs a grade (pass, easy or fail); its answer is kept with it")
        return cls(item, parsed, clean_text(answer) if answer is not None else None)


def parse_batch(data: bytes, library: Library) -> list[ReviewRequest]:
    """JSON lines into checked requests; the first bad line raises 'line N: …'."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(f"line {line}: not UTF-8 text") from None
    requests = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        where = f"line {n}: "
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}malformed JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise UserError(f"{where}expected an object like {{\"item\": \"deck/card\", \"grade\": \"pass\"}}")
        unknown = sorted(set(obj) - {"item", "grade", "answer"})
        if unknown:
            raise UserError(f"{where}unknown field {unknown[0]!r} (expected item, grade, answer)")
        requests.append(ReviewRequest.checked(obj.get("item"), obj.get("grade"), obj.get("answer"), library, where))
    if not requests:
        raise UserError("the batch holds no reviews")
    return requests


def judge_all(requests: list[ReviewRequest], library: Library, store: Store, today: date, *, save: bool) -> list[dict[str, Any]]:
    """Judge each request, record them all in one transaction (unless not ``save``) and
    return one result per request, each with the state after it (in input order)."""
    states = store.states_for({r.item for r in requests})
    results, rows = [], []
    for r in requests:
        card = library.card(r.item)
        assert card is not None
        detail: dict[str, Any] = {}
        grade = r.grade
        judged = None
        if card.auto_checked and r.answer is not None and r.answer.strip():
            judged = card.verdict(r.answer)
            verdict = Grade.PASS if judged.accepted else Grade.FAIL
            detail["auto"] = True
            if not judged.accepted:
                detail["read_as"] = judged.read_as
            if grade is None:
                grade = verdict
            elif grade.passed is not verdict.passed:
                detail["override"] = True
        elif grade is None:
            grade = Grade.FAIL  # a blank quick-fire answer, as in the quiz
            detail["blank"] = True
        state = apply_review(states.get(r.item, NEW_STATE), (today, grade), store.maintenance_days)  # type: ignore[arg-type]
        states[r.item] = state
        rows.append({"item": r.item, "grade": grade, "mode": MODE, "answer": r.answer or None, "detail": detail or None})
        result = {
            "item": r.item,
            "verdict": grade.value,
            "next_due": state.due.isoformat() if state.due else None,
            "checkpoint": state.checkpoint_day,
        }
        if judged is not None:  # what the auto-check compared, so a user can see why
            result["check"] = {"accepted": judged.accepted, "read_as": judged.read_as, "expected": judged.expected}
        results.append(result)
    if save:
        store.record_reviews(rows, day=today)
    return results


def queue_entries(queue: Any) -> list[dict[str, Any]]:
    """Today's queue (see :func:`gdgrill.daily.todays_queue`) as ``gdgrill due`` prints it."""
    items = [(c.key, "quick-fire" if c.auto_checked else "card") for c in queue.session.cards]
    items += [(f"drill/{name}", "drill") for name in queue.drills]
    entries = []
    for key, kind in items:
        state = queue.states.get(key)
        entries.append(
            {
                "item": key,
                "kind": kind,
                "new": state is None,
                "checkpoint": state.checkpoint_day if state else 0,
                "due": state.due.isoformat() if state and state.due else None,
            }
        )
    return entries
