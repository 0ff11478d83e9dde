"""Deck files: safe YAML loading, validation with file/line/card in every message, and
the library of shipped plus user decks.

A deck is a YAML mapping with ``deck:`` (id, title, description) and ``cards:`` (a list).
Loading never constructs Python objects from tags, refuses anchors and aliases (no alias
bombs), refuses unknown fields (a typo must not silently drop data), and turns every
problem into a :class:`DeckError` naming the file, the line and the card.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import os
import re
from dataclasses import dataclass
from types import MappingProxyType
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, NamedTuple

from gdgrill import __version__
from gdgrill.errors import UserError
from gdgrill.parsecache import StampedCache, file_stamp
from gdgrill.paths import shipped_curves_dir, shipped_decks_dir, shipped_index_path

MAX_DECK_BYTES = 4 * 1024 * 1024
CHECKPOINT_KEYS = (0, 3, 7, 14, 21)
TIERS = (1, 2, 3, 4)
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
RUBRIC_KEYS = ("strong", "lean", "no_hire")

# The order a learner meets the shipped decks in (new cards: lowest tier first, then this).
SHIPPED_ORDER = ("foundations", "schedules", "optimizers", "diagnostics", "quick-fire")
DECK_FIELDS = {"id", "title", "description", "timed_seconds"}
CARD_FIELDS = {
    "id", "question", "answer", "key_points", "tier", "tags", "accept", "reject",
    "hints", "rubric", "checkpoints", "followups", "references", "curve", "check",
}
REQUIRED_CARD_FIELDS = ("id", "question", "answer")

class DeckError(UserError):
    pass


if TYPE_CHECKING:
    from gdgrill.answers import Verdict


class Problem(NamedTuple):
    path: Path
    line: int
    message: str
    card: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        who = f" card {self.card!r}:" if self.card else ""
        return f"{where}:{who} {self.message}"


class Card(NamedTuple):
    deck: str
    id: str
    question: str
    answer: str
    key_points: tuple[str, ...] = ()
    tier: int = 1
    tags: tuple[str, ...] = ()
    accept: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    rubric: dict[str, str] | None = None
    checkpoints: Mapping[int, str] = MappingProxyType({})
    followups: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    curve: str | None = None
    source: Path | None = None
    line: int = 0
    # How an auto-checked answer is read (unit, percent, tolerance, names, variables,
    # given, kilo, direction): see gdgrill.answers.Spec.
    check: Mapping[str, Any] | None = None

    def verdict(self, typed: str) -> "Verdict":
        """The auto-check of ``typed`` against this card's accept entries."""
        from gdgrill.answers import check

        return check(typed, self.accept, self.check, self.question)

    @property
    def key(self) -> str:
        """The card's identity in the progress log: stable across edits of its text."""
        return f"{self.deck}/{self.id}"

    @property
    def auto_checked(self) -> bool:
        return bool(self.accept)

    def prompt_for(self, checkpoint_day: int | None) -> str | None:
        if checkpoint_day is None:
            return None
        return self.checkpoints.get(checkpoint_day)


class Deck(NamedTuple):
    id: str
    title: str
    description: str
    cards: tuple[Card, ...]
    source: Path
    timed_seconds: float | None = None
    shipped: bool = False

    def card(self, card_id: str) -> Card | None:
        return next((c for c in self.cards if c.id == card_id), None)


# -- YAML with line numbers, and nothing unsafe ----------------------------------------
class _LineDict(dict):
    """A mapping that remembers where it and each of its keys start (1-based lines), and
    where each value starts: (line, scalar style — '|', '>', '"', "'" or None for plain — and
    0-based column)."""

    line: int = 0
    key_lines: dict[str, int]
    value_at: dict[str, tuple[int, str | None, int]]


_LOADER: Any = None


def _deck_loader() -> Any:
    """The safe YAML loader class (C-accelerated when available), built on first use so
    that a day whose decks come from the cache never imports yaml."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class DeckLoader(base):  # type: ignore[misc, valid-type]
        def construct_object(self, node: Any, deep: bool = False) -> Any:
            if node in self.constructed_objects:
                raise yaml.constructor.ConstructorError(
                    None, None, "anchors and aliases (*name) are not allowed in deck files", node.start_mark
                )
            return super().construct_object(node, deep=deep)

    def construct_map(loader: Any, node: Any) -> Iterator[_LineDict]:
        data = _LineDict()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        data.value_at = {}
        yield data
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in data.key_lines:  # the later one would silently win
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
                    )
                data.key_lines[key_node.value] = key_node.start_mark.line + 1
                data.value_at[key_node.value] = (
                    value_node.start_mark.line + 1, getattr(value_node, "style", None), value_node.start_mark.column
                )
        data.update(loader.construct_mapping(node, deep=True))

    DeckLoader.add_constructor("tag:yaml.org,2002:map", construct_map)
    _LOADER = DeckLoader
    return _LOADER


def _yaml_problem(path: Path, text_lines: list[str], exc: Any, what: str = "deck") -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if "end of stream" in str(getattr(exc, "problem", "")) and getattr(exc, "context_mark", None) is not None:
        mark = exc.context_mark  # an unclosed quote: point at where it opened
    line = mark.line + 1 if mark is not None else 0
    if 0 < line <= len(text_lines) and "\t" in text_lines[line - 1][: len(text_lines[line - 1]) - len(text_lines[line - 1].lstrip())]:
        return Problem(path, line, "invalid YAML: tab character used for indentation (use spaces)")
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"{context}: {reason}" if context and "alias" not in str(reason) else str(reason)
    if "could not determine a constructor" in text:
        tag = str(exc).split("tag '", 1)[-1].split("'", 1)[0]
        text = f"tag {tag!r} is not allowed ({what} files are plain data)"
    return Problem(path, line, f"invalid YAML: {text}")


def _read_yaml(
    path: Path, loader: Any = None, what: str = "deck", expected: str = "a mapping with 'deck:' and 'cards:'"
) -> tuple[Any, list[Problem]]:
    """The YAML in ``path`` as plain data (mappings remember their lines), or the problem
    that stops it. ``loader`` (a subclass of the deck loader), ``what`` and ``expected``
    let other YAML files (drills, practice problems) share the same safe reading."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(path, 0, f"cannot read: {exc.strerror}")]
    if len(raw) > MAX_DECK_BYTES:
        return None, [Problem(path, 0, f"file is {len(raw)} bytes; {what} files are limited to {MAX_DECK_BYTES}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(path, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")]
    if "\x00" in text:
        return None, [Problem(path, text[: text.index("\x00")].count("\n") + 1, "contains a NUL byte")]
    if not text.strip():
        return None, [Problem(path, 0, f"empty file: expected {expected}")]
    import yaml

    try:
        reader = (loader or _deck_loader())(text)
        try:
            data = reader.get_single_data()
        finally:
            reader.dispose()
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(path, text.splitlines(), exc, what)]
    except RecursionError:
        return None, [Problem(path, 0, "invalid YAML: nested too deeply")]
    return data, []


# -- validation ------------------------------------------------------------------------
def _line_of(mapping: Any, key: str | None = None) -> int:
    if isinstance(mapping, _LineDict):
        if key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return mapping.line
    return 0


def _spec(raw: Any) -> Any:
    from gdgrill.answers import Spec

    return Spec.from_mapping(raw)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _validate_card(path: Path, deck_id: str, raw: Any, index: int, problems: list[Problem]) -> Card | None:
    if not isinstance(raw, dict):
        problems.append(Problem(path, 0, f"cards[{index}] must be a mapping with id, question and answer"))
        return None
    card_id = raw.get("id")
    label = card_id if isinstance(card_id, str) else f"#{index + 1}"
    start = len(problems)

    def bad(key: str | None, message: str) -> None:
        problems.append(Problem(path, _line_of(raw, key), message, label))

    for key in raw:
        if key not in CARD_FIELDS:
            bad(str(key), f"unknown field {key!r} (allowed: {', '.join(sorted(CARD_FIELDS))})")
    for key in REQUIRED_CARD_FIELDS:
        if key not in raw:
            bad(None, f"missing required field {key!r}")
    if "id" in raw and not (isinstance(card_id, str) and ID_RE.match(card_id)):
        bad("id", "field 'id' must be a lowercase id of letters, digits, '-' or '_'")
    for key in ("question", "answer"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            bad(key, f"field {key!r} must be a non-empty string")
    for key in ("key_points", "tags", "accept", "reject", "hints", "followups", "references"):
        if key in raw and not _is_str_list(raw[key]):
            bad(key, f"field {key!r} must be a list of non-empty strings")
    if "tier" in raw and not (isinstance(raw["tier"], int) and not isinstance(raw["tier"], bool) and raw["tier"] in TIERS):
        bad("tier", "field 'tier' must be 1, 2, 3 or 4")
    if "rubric" in raw:
        rubric = raw["rubric"]
        if not (isinstance(rubric, dict) and set(rubric) <= set(RUBRIC_KEYS) and all(isinstance(v, str) for v in rubric.values())):
            bad("rubric", f"field 'rubric' must map {', '.join(RUBRIC_KEYS)} to strings")
    if "checkpoints" in raw:
        cps = raw["checkpoints"]
        if not (isinstance(cps, dict) and all(k in CHECKPOINT_KEYS for k in cps) and all(isinstance(v, str) and v.strip() for v in cps.values())):
            bad("checkpoints", "field 'checkpoints' must map ladder days 0, 3, 7, 14, 21 to prompts")
    if "curve" in raw:
        curve = raw["curve"]
        if not (isinstance(curve, str) and ID_RE.match(curve) and (shipped_curves_dir() / f"{curve}.json").is_file()):
            names = sorted(p.stem for p in shipped_curves_dir().glob("*.json"))
            bad("curve", f"field 'curve' must name a stored loss curve ({', '.join(names)})")
    spec_ok = True
    if "check" in raw:
        from gdgrill.answers import spec_problems

        for message in spec_problems(raw["check"]):
            bad("check", message)
            spec_ok = False
        if "accept" not in raw:
            bad("check", "field 'check' needs 'accept' beside it")
    if spec_ok and _is_str_list(raw.get("accept")):
        from gdgrill.answers import is_accepted, read

        spec = raw.get("check")
        for entry in raw["accept"]:
            if read(entry, _spec(spec), entry=True) is None or not is_accepted(entry, [entry], spec):
                bad("accept", f"accept entry {entry!r} cannot be read as an answer (a number, range, formula, values or phrase)")
        for wrong in raw.get("reject", ()) if _is_str_list(raw.get("reject")) else ():
            if is_accepted(wrong, raw["accept"], spec):
                bad("reject", f"reject entry {wrong!r} is accepted by the accept list: the auto-check would pass it")
    if "reject" in raw and "accept" not in raw:
        bad("reject", "field 'reject' needs 'accept' beside it")
    if len(problems) > start:
        return None
    return Card(
        deck=deck_id,
        id=card_id,
        question=raw["question"].strip(),
        answer=raw["answer"].strip(),
        key_points=tuple(raw.get("key_points", ())),
        tier=raw.get("tier", 1),
        tags=tuple(t.strip().lower() for t in raw.get("tags", ())),
        accept=tuple(raw.get("accept", ())),
        reject=tuple(raw.get("reject", ())),
        hints=tuple(raw.get("hints", ())),
        rubric=dict(raw["rubric"]) if "rubric" in raw else None,
        checkpoints={int(k): v.strip() for k, v in raw.get("checkpoints", {}).items()},
        followups=tuple(raw.get("followups", ())),
        references=tuple(raw.get("references", ())),
        curve=raw.get("curve"),
        source=path,
        line=_line_of(raw),
        check=dict(raw["check"]) if "check" in raw else None,
    )


def check_deck_file(path: Path, shipped: bool = False) -> tuple[Deck | None, list[Problem]]:
    """Parse and validate one deck file; return the deck (None if broken) and every problem."""
    data, problems = _read_yaml(path)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        return None, [Problem(path, 1, f"top level is {kind}; expected a mapping with 'deck:' and 'cards:'")]
    for key in data:
        if key not in ("deck", "cards"):
            problems.append(Problem(path, _line_of(data, key), f"unknown top-level field {key!r} (expected 'deck' and 'cards')"))
    meta = data.get("deck")
    if not isinstance(meta, dict):
        problems.append(Problem(path, _line_of(data, "deck"), "missing 'deck:' mapping with id, title and description"))
        meta = {}
    for key in meta:
        if key not in DECK_FIELDS:
            problems.append(Problem(path, _line_of(meta, key), f"deck: unknown field {key!r} (allowed: {', '.join(sorted(DECK_FIELDS))})"))
    for key in ("id", "title", "description"):
        if key in meta and not (isinstance(meta[key], str) and meta[key].strip()):
            problems.append(Problem(path, _line_of(meta, key), f"deck: field {key!r} must be a non-empty string"))
        elif key not in meta and isinstance(data.get("deck"), dict):
            problems.append(Problem(path, _line_of(meta), f"deck: missing required field {key!r}"))
    deck_id = meta.get("id") if isinstance(meta.get("id"), str) else path.stem
    if isinstance(meta.get("id"), str) and not ID_RE.match(meta["id"]):
        problems.append(Problem(path, _line_of(meta, "id"), "deck: field 'id' must be a lowercase id of letters, digits, '-' or '_'"))
    timed = meta.get("timed_seconds")
    if timed is not None and (isinstance(timed, bool) or not isinstance(timed, (int, float)) or timed <= 0):
        problems.append(Problem(path, _line_of(meta, "timed_seconds"), "deck: field 'timed_seconds' must be a positive number"))
    raw_cards = data.get("cards")
    if not isinstance(raw_cards, list) or not raw_cards:
        problems.append(Problem(path, _line_of(data, "cards"), "'cards:' must be a non-empty list"))
        raw_cards = []
    cards: list[Card] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_cards):
        card_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(card_id, str):  # checked even when the card has other problems
            if card_id in seen:
                problems.append(Problem(path, _line_of(raw), f"duplicate card id (first defined on line {seen[card_id]})", card_id))
            else:
                seen[card_id] = _line_of(raw)
        card = _validate_card(path, deck_id, raw, index, problems)
        if card is not None:
            cards.append(card)
    if problems:
        return None, problems
    deck = Deck(
        id=deck_id,
        title=meta["title"].strip(),
        description=meta["description"].strip(),
        cards=tuple(cards),
        source=path,
        timed_seconds=float(timed) if timed is not None else None,
        shipped=shipped,
    )
    return deck, []


def deck_files(path: Path) -> list[Path]:
    """The deck files a path names: the file itself, or a folder's *.yaml / *.yml files."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def _is_shipped_source(folder: Path, name: str = "decks") -> bool:
    """Whether ``folder`` is the ``decks/`` (or ``name``) folder of a gdgrill source checkout
    (beside a pyproject.toml naming the project gdgrill): the files the wheel ships."""
    pyproject = folder.parent / "pyproject.toml"
    if folder.name != name or not pyproject.is_file():
        return False
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"""^name\s*=\s*["']gdgrill["']\s*$""", text, re.MULTILINE) is not None


def check_path(path: Path) -> tuple[list[Deck], list[Problem]]:
    """Validate a deck file or a folder of them; every problem is reported, not just the first."""
    if not path.exists():
        return [], [Problem(path, 0, "no such file or folder")]
    files = deck_files(path)
    if not files:
        return [], [Problem(path, 0, "no deck files (*.yaml) in this folder")]
    decks: list[Deck] = []
    problems: list[Problem] = []
    # A user deck may not reuse a shipped deck's id (it would not load beside them). The
    # decks/ folder of a source checkout is the shipped set itself, maybe edited: its files
    # are checked against each other, not against an installed copy (a wheel's).
    checked = {f.resolve() for f in files}
    folder = files[0].resolve().parent
    shipped_dir = folder if _is_shipped_source(folder) else shipped_decks_dir()
    shipped = [f.resolve() for f in deck_files(shipped_dir) if f.resolve() not in checked]
    ids: dict[str, Path] = {}
    for f in shipped:
        data, found = _read_yaml(f)
        if not found and isinstance(data, dict) and isinstance(data.get("deck"), dict):
            ids[str(data["deck"].get("id"))] = f
    for file in files:
        deck, found = check_deck_file(file)
        problems.extend(found)
        if deck is None:
            continue
        if deck.id in ids:
            problems.append(Problem(file, 0, f"deck id {deck.id!r} is already used by {ids[deck.id]}"))
            continue
        ids[deck.id] = file.resolve()
        decks.append(deck)
    problems.sort(key=lambda p: (str(p.path), p.line))
    return decks, problems


@dataclass(frozen=True)
class Library:
    """Every loaded deck, shipped first, then the user's own."""

    decks: tuple[Deck, ...]

    def deck(self, deck_id: str) -> Deck | None:
        return next((d for d in self.decks if d.id == deck_id), None)

    @property
    def cards(self) -> list[Card]:
        return [card for deck in self.decks for card in deck.cards]

    def card(self, key: str) -> Card | None:
        deck_id, _, card_id = key.partition("/")
        deck = self.deck(deck_id)
        return deck.card(card_id) if deck else None

    def select(self, deck_ids: Iterable[str] = (), tier: int | None = None, tags: Iterable[str] = ()) -> list[Card]:
        """Cards of the named decks (all when none named), optionally of one tier and
        carrying any of ``tags``."""
        wanted = list(deck_ids)
        for deck_id in wanted:
            if self.deck(deck_id) is None:
                if deck_id == "drills":
                    raise DeckError("drills are practised with 'gdgrill drill NAME' (see 'gdgrill drill list'), not in the quiz")
                known = ", ".join(d.id for d in self.decks)
                raise DeckError(f"no deck named {deck_id!r} (decks: {known})")
        cards = [c for d in self.decks if not wanted or d.id in wanted for c in d.cards]
        if tier is not None:
            cards = [c for c in cards if c.tier == tier]
        wanted_tags = {t.lower() for t in tags}
        if wanted_tags:
            known_tags = {t for c in cards for t in c.tags}
            if not wanted_tags & known_tags:
                raise DeckError(f"no card is tagged {', '.join(sorted(wanted_tags))} here (see 'gdgrill decks tags')")
            cards = [c for c in cards if wanted_tags & set(c.tags)]
        return cards

    def tag_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for card in self.cards:
            for tag in card.tags:
                counts[tag] = counts.get(tag, 0) + 1
        return dict(sorted(counts.items()))


def user_deck_paths(extra: Iterable[Path] | None = None) -> list[Path]:
    """--decks paths first, then the entries of GDGRILL_DECKS (os.pathsep-separated)."""
    paths = [Path(p).expanduser() for p in (extra or [])]
    env = os.environ.get("GDGRILL_DECKS", "")
    paths += [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    return paths


CACHE_VERSION = f"2:{__version__}"  # a new gdgrill re-validates every deck


def _deck_to_json(deck: Deck) -> dict[str, Any]:
    return {
        "id": deck.id,
        "title": deck.title,
        "description": deck.description,
        "timed_seconds": deck.timed_seconds,
        "cards": [
            {
                "id": c.id, "question": c.question, "answer": c.answer, "key_points": c.key_points, "tier": c.tier,
                "tags": c.tags, "accept": c.accept, "reject": c.reject, "hints": c.hints, "rubric": c.rubric,
                "checkpoints": {str(k): v for k, v in c.checkpoints.items()}, "followups": c.followups,
                "references": c.references, "curve": c.curve, "line": c.line, "check": c.check,
            }
            for c in deck.cards
        ],
    }


def _deck_from_json(data: dict[str, Any], path: Path, shipped: bool) -> Deck:
    cards = []
    for c in data["cards"]:
        fields = dict(c)
        for key in ("key_points", "tags", "accept", "reject", "hints", "followups", "references"):
            fields[key] = tuple(fields[key])
        fields["checkpoints"] = {int(k): v for k, v in fields["checkpoints"].items()}
        cards.append(Card(deck=data["id"], source=path, **fields))
    return Deck(data["id"], data["title"], data["description"], tuple(cards), path, data["timed_seconds"], shipped)


def _size(file: Path) -> int | None:
    try:
        return file.stat().st_size
    except OSError:
        return None


class _DeckCache(StampedCache):
    """Validated decks keyed by file path, size and mtime."""

    def __init__(self, path: Path | None):
        super().__init__(path, CACHE_VERSION)

    def load(self, file: Path, shipped: bool) -> tuple[Deck | None, list[Problem]]:
        stamp = file_stamp(file)
        if stamp is None:
            return check_deck_file(file, shipped)
        key = str(file.resolve())
        cached = self.get(key, stamp)
        if cached is not None:
            try:
                return _deck_from_json(cached, file, shipped), []
            except (KeyError, TypeError, ValueError):
                pass
        deck, problems = check_deck_file(file, shipped)
        if deck is not None:
            self.put(key, stamp, _deck_to_json(deck))
        return deck, problems


def build_shipped_index(decks_dir: Path, out: Path) -> int:
    """Validate the decks in ``decks_dir`` and write them, parsed, to ``out`` as JSON.

    The wheel's build hook (hatch_build.py) ships this index beside the YAML, so a fresh
    install loads its decks without parsing YAML. Raises DeckError on a broken deck."""
    import json

    files: dict[str, Any] = {}
    for file in deck_files(decks_dir):
        deck, problems = check_deck_file(file, shipped=True)
        if problems:
            raise DeckError(str(problems[0]))
        assert deck is not None
        files[file.name] = {"size": file.stat().st_size, "deck": _deck_to_json(deck)}
    out.write_text(json.dumps({"version": CACHE_VERSION, "files": files}), encoding="utf-8")
    return len(files)


def _shipped_index() -> dict[str, Any]:
    """The pre-parsed shipped decks a wheel carries, by file name ({} when absent/stale)."""
    path = shipped_index_path()
    if not path.is_file():
        return {}
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or not isinstance(data.get("files"), dict):
        return {}
    return data["files"]


# The shipped decks read in this process, by file, with the stamp they were read at: a
# process that loads the library again (a long session, a test run) parses each YAML once,
# as the shipped drills are read once per process. The data folder's cache is still kept
# up to date, so the next process skips YAML as it would have.
_SHIPPED_DECKS: dict[str, tuple[list[Any], Deck]] = {}


def _shipped_deck(file: Path, store: _DeckCache) -> tuple[Deck | None, list[Problem]]:
    key, stamp = str(file.resolve()), file_stamp(file)
    held = _SHIPPED_DECKS.get(key)
    if held is not None and stamp is not None and held[0] == stamp:
        if store.get(key, stamp) is None:
            store.put(key, stamp, _deck_to_json(held[1]))
        return held[1], []
    deck, problems = store.load(file, True)
    if deck is not None and not problems and stamp is not None:
        _SHIPPED_DECKS[key] = (stamp, deck)
    return deck, problems


def load_library(extra: Iterable[Path] | None = None, include_shipped: bool = True, cache: Path | None = None) -> Library:
    """Load the shipped decks plus the user's; raise :class:`DeckError` on the first problem.
    ``cache`` names a JSON file of already-validated decks to reuse and refresh."""
    decks: list[Deck] = []
    sources: list[tuple[Path, bool]] = []
    if include_shipped:
        shipped = deck_files(shipped_decks_dir())
        shipped.sort(key=lambda f: SHIPPED_ORDER.index(f.stem) if f.stem in SHIPPED_ORDER else len(SHIPPED_ORDER))
        sources += [(f, True) for f in shipped]
    for path in user_deck_paths(extra):
        if not path.exists():
            raise DeckError(f"{path}: no such deck file or folder")
        files = deck_files(path)
        if not files:
            raise DeckError(f"{path}: no deck files (*.yaml) in this folder")
        sources += [(f, False) for f in files]
    # The same file named twice (--decks and GDGRILL_DECKS, say) is loaded once.
    unique: dict[Path, tuple[Path, bool]] = {}
    for file, shipped in sources:
        unique.setdefault(file.resolve(), (file, shipped))
    sources = list(unique.values())
    store = _DeckCache(cache)
    index = _shipped_index() if include_shipped else {}
    seen: dict[str, Path] = {}
    for file, shipped in sources:
        entry = index.get(file.name) if shipped else None
        if isinstance(entry, dict) and entry.get("size") == _size(file):
            deck, problems = _deck_from_json(entry["deck"], file, True), []
        elif shipped:
            deck, problems = _shipped_deck(file, store)
        else:
            deck, problems = store.load(file, shipped)
        if problems:
            raise DeckError(str(problems[0]) + (f" (and {len(problems) - 1} more; run 'gdgrill decks check {file}')" if len(problems) > 1 else ""))
        assert deck is not None
        if deck.id in seen:
            raise DeckError(f"{file}: deck id {deck.id!r} is already used by {seen[deck.id]}")
        seen[deck.id] = file
        decks.append(deck)
    store.save()
    return Library(tuple(decks))
