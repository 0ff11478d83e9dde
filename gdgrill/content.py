"""Practice problems and the self-assessment: loading and validating their YAML files.

Both ship inside the package (gdgrill/content/). They load with the same safe loader as
decks, and every problem names the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

from gdgrill.decks import RUBRIC_KEYS, DeckError, _line_of, _read_yaml
from gdgrill.parsecache import cached_parse
from gdgrill.paths import content_dir

RATINGS = ("strong", "lean", "no_hire")


@dataclass(frozen=True)
class Problem:
    id: str
    title: str
    tier: int
    tags: tuple[str, ...]
    prompt: str
    hints: tuple[str, ...]
    answer: str
    rubric: dict[str, str]


@dataclass(frozen=True)
class Area:
    id: str
    title: str
    question: str
    study: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    min: int
    max: int
    title: str
    advice: str
    target: str = ""  # the readiness goal to aim for, shown only when no interview plan is set


@dataclass(frozen=True)
class Assessment:
    scale: tuple[str, ...]
    areas: tuple[Area, ...]
    bands: tuple[Band, ...]

    def band_for(self, total: int) -> Band:
        return next(b for b in self.bands if b.min <= total <= b.max)


def _load(path: Path) -> Any:
    data, problems = _read_yaml(path)
    if problems:
        raise DeckError(str(problems[0]))
    return data


def _need(path: Path, mapping: Any, key: str, kind: type, where: str) -> Any:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if not isinstance(value, kind) or (isinstance(value, (str, list)) and not value):
        raise DeckError(f"{path}:{_line_of(mapping, key)}: {where}: field {key!r} must be a non-empty {kind.__name__}")
    return value


def load_problems(path: Path | None = None) -> list[Problem]:
    path = path or content_dir() / "problems.yaml"
    data = _load(path)
    out: list[Problem] = []
    for raw in _need(path, data, "problems", list, "top level"):
        where = f"problem {raw.get('id')!r}" if isinstance(raw, dict) else "problem"
        hints = _need(path, raw, "hints", list, where)
        rubric = _need(path, raw, "rubric", dict, where)
        if set(rubric) != set(RUBRIC_KEYS):
            raise DeckError(f"{path}:{_line_of(raw, 'rubric')}: {where}: rubric must have exactly {', '.join(RUBRIC_KEYS)}")
        out.append(
            Problem(
                id=_need(path, raw, "id", str, where),
                title=_need(path, raw, "title", str, where),
                tier=_need(path, raw, "tier", int, where),
                tags=tuple(raw.get("tags", ())),
                prompt=_need(path, raw, "prompt", str, where).strip(),
                hints=tuple(str(h) for h in hints),
                answer=_need(path, raw, "answer", str, where).strip(),
                rubric={k: str(v).strip() for k, v in rubric.items()},
            )
        )
    ids = [p.id for p in out]
    if len(ids) != len(set(ids)):
        raise DeckError(f"{path}: duplicate problem ids")
    return out


class ProblemRef(NamedTuple):
    """What other parts need to point at a practice problem (no prompt, answer or rubric)."""

    id: str
    title: str
    tier: int
    tags: tuple[str, ...]


def problem_refs(cache: Path | None = None, path: Path | None = None) -> list[ProblemRef]:
    """Every practice problem's id, title, tier and tags, from ``cache`` when it is fresh."""
    path = path or content_dir() / "problems.yaml"

    def parse() -> list[list[Any]]:
        return [[p.id, p.title, p.tier, list(p.tags)] for p in load_problems(path)]

    return [ProblemRef(i, t, tier, tuple(tags)) for i, t, tier, tags in cached_parse(path, cache, parse)]


def load_assessment(path: Path | None = None) -> Assessment:
    path = path or content_dir() / "assessment.yaml"
    data = _load(path)
    scale = tuple(str(s) for s in _need(path, data, "scale", list, "top level"))
    areas = tuple(
        Area(
            id=_need(path, a, "id", str, "area"),
            title=_need(path, a, "title", str, "area"),
            question=_need(path, a, "question", str, "area").strip(),
            study=tuple(a.get("study", ())),
            tags=tuple(a.get("tags", ())),
        )
        for a in _need(path, data, "areas", list, "top level")
    )
    bands = tuple(
        Band(min=_need(path, b, "min", int, "band"), max=_need(path, b, "max", int, "band"),
             title=_need(path, b, "title", str, "band"), advice=_need(path, b, "advice", str, "band").strip(),
             target=str(b.get("target", "")).strip())
        for b in _need(path, data, "bands", list, "top level")
    )
    lowest, highest = len(areas), 5 * len(areas)
    covered = sorted(t for b in bands for t in range(b.min, b.max + 1))
    if len(scale) != 5 or covered != list(range(lowest, highest + 1)):
        raise DeckError(f"{path}: the scale needs five entries and the bands must cover totals {lowest}-{highest} once")
    return Assessment(scale, areas, bands)

