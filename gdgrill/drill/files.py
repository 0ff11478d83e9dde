"""Drill files: one YAML file per drill, read and checked, every problem at its file and line.

A drill folder holds ``<name>.yaml`` per drill and, optionally, two shared files:
``_names.yaml`` (the names drills list by key, ``inputs: [p, g, lr]``) and ``_mistakes.yaml``
(misconceptions shared by id: title and explanation; a drill gives only the id and its rule).
The shipped folder is ``drills/`` (in a wheel ``gdgrill/_shipped/drills``, beside
``drills.json``, the same drills pre-parsed at build time); the user's folders, from
``--drills`` and ``GDGRILL_DRILLS``, see the shipped shared names and mistakes beside their own.

Checking has two levels, each problem one line naming the file, the line and the field
(``drills/sgd.yaml:12: mistakes[2].rule: …``):

* :func:`read_drill_file`: the YAML, its keys and their types, the shared names and mistake
  ids, gradient patterns, kind, group and reference — no numpy;
* :func:`behaviour_problems`: the rules run through the real parser and judge — the reference
  rule must match the Python reference, every mistake must fail on some instance and be told
  apart from the others, no variant may blow up or be a known mistake (numpy is imported).

Shipped drills get both levels in the tests and the file level in the wheel build; a user's
drill gets both the first time it is loaded and whenever it (or a shared file) changes, the
result kept in the data folder's cache (see :mod:`gdgrill.drill.loading`, which imports this
module only when a file has to be read) so later loads skip YAML and numpy alike.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple

from gdgrill.decks import Problem, _deck_loader, _is_shipped_source, _LineDict, _line_of, _read_yaml
from gdgrill.drill.catalog import GRADIENT_PATTERNS, GROUPS, KINDS, Drill, Instance, Mutant, Variable, Variant
from gdgrill.drill.loading import MISTAKES_FILE, NAMES_FILE, Shared, drill_files, shared_stamp, shipped_shared, shipped_sources
from gdgrill.paths import user_drill_dirs

if TYPE_CHECKING:
    from gdgrill.drill.language import RefusedAnswer

# `gdgrill drill list` and `gdgrill drill check PATH` are subcommands: no drill may take their names.
RESERVED = ("list", "check", "practise")

# Patterns as text: `re` compiles each on first use, so a day that reads no drill file pays nothing.
NAME_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ID_RE = r"^[a-z0-9][a-z0-9_-]*$"
IDENT_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"
# YAML 1.1 reads 1e-8 as text (it wants 1.0e-8); a drill file means the number.
FLOAT_E = r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"

DRILL_KEYS = {
    "name", "title", "summary", "group", "tier", "kind", "reference", "task", "target", "inputs",
    "outputs", "reference_rule", "roles", "hints", "instances", "mistakes", "variants", "rtol", "atol",
}
REQUIRED_KEYS = (
    "name", "title", "summary", "group", "tier", "kind", "reference", "task", "target", "inputs",
    "reference_rule", "hints", "instances", "mistakes",
)
VARIABLE_KEYS = {"name", "symbol", "aliases", "meaning", "words"}
INSTANCE_KEYS = {"label", "hp", "grads", "steps", "shape", "seed"}
MISTAKE_KEYS = {"id", "title", "rule", "explanation"}
VARIANT_KEYS = {"id", "title", "rule", "note"}
MAX_STEPS = 1000
MAX_ELEMENTS = 4096  # per instance's parameters: the judge runs every rule over each


# -- YAML: the deck loader, plus the lines of list items and 1e-8 as a number ------------------


class _LineList(list):
    """A list that remembers the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


_LOADER: Any = None


def _drill_loader() -> Any:
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    class DrillLoader(_deck_loader()):  # type: ignore[misc]
        def construct_object(self, node: Any, deep: bool = False) -> Any:
            if node in self.constructed_objects:
                raise yaml.constructor.ConstructorError(
                    None, None, "anchors and aliases (*name) are not allowed in drill files", node.start_mark
                )
            return super().construct_object(node, deep=deep)

    def construct_seq(loader: Any, node: Any) -> Iterator[_LineList]:
        data = _LineList()
        data.line = node.start_mark.line + 1
        data.item_lines = [item.start_mark.line + 1 for item in node.value]
        yield data
        data.extend(loader.construct_sequence(node, deep=True))

    DrillLoader.add_constructor("tag:yaml.org,2002:seq", construct_seq)
    DrillLoader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(FLOAT_E), list("-+0123456789."))
    _LOADER = DrillLoader
    return _LOADER


def _read(path: Path, expected: str) -> tuple[Any, list[Problem]]:
    return _read_yaml(path, _drill_loader(), "drill", expected)


# -- What a checked file gives ------------------------------------------------------------------


class RuleAt(NamedTuple):
    """Where a rule's text starts in its file: the line of its first line, whether its lines
    are the file's lines (a ``|`` block), and the file column before its first character."""

    line: int
    block: bool
    column: int = 0


class DrillFile(NamedTuple):
    drill: Drill
    path: Path
    lines: dict[str, int]  # "reference", "mistakes[2]", … -> the line of that key or item
    rules: dict[str, RuleAt]  # "reference_rule", "mistakes[2].rule", "variants[0].rule"

    def line(self, where: str) -> int:
        return self.lines.get(where, 0)

    def refusal(self, where: str, refused: "RefusedAnswer") -> Problem:
        """The parser's refusal of one of the file's rules, at the file's own line."""
        at = self.rules.get(where)
        if at is None:
            return Problem(self.path, 0, f"{where}: {refused.reason}")
        if at.block or refused.line == 1:
            return Problem(self.path, at.line + refused.line - 1, f"{where}: col {at.column + refused.col}: {refused.reason}")
        return Problem(self.path, at.line, f"{where}: rule line {refused.line}, col {refused.col}: {refused.reason}")


# -- Reading one file -----------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _item_line(items: Any, index: int) -> int:
    if isinstance(items, _LineList) and index < len(items.item_lines):
        return items.item_lines[index]
    return getattr(items, "line", 0)


class _Reader:
    """Collects the problems of one file, each at its line, naming the field."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []

    def bad(self, line: int, where: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, f"{where}: {message}" if where else message))

    def mapping(self, node: Any, where: str, allowed: set[str], required: Iterable[str], line: int = 0) -> bool:
        """Whether ``node`` is a mapping; every unknown key and missing required key is a problem."""
        if not isinstance(node, dict):
            self.bad(line or _line_of(node), where, f"must be a mapping with {', '.join(required)}")
            return False
        prefix = f"{where}." if where else ""
        for key in node:
            if key not in allowed:
                self.bad(_line_of(node, str(key)), f"{prefix}{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in node:
                self.bad(_line_of(node), where, f"missing key {key!r}")
        return True

    def text(self, node: dict, key: str, where: str, one_line: bool = False) -> str | None:
        value = node.get(key)
        if key not in node:
            return None
        if not isinstance(value, str) or not value.strip():
            self.bad(_line_of(node, key), where, "must be non-empty text")
            return None
        if one_line and "\n" in value.strip():
            self.bad(_line_of(node, key), where, "must be one line")
            return None
        return value.strip()

    def texts(self, node: dict, key: str, where: str, non_empty: bool = False) -> tuple[str, ...]:
        value = node.get(key, [])
        if not isinstance(value, list) or (non_empty and not value):
            self.bad(_line_of(node, key), where, "must be a non-empty list of text" if non_empty else "must be a list of text")
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.bad(_item_line(value, i), f"{where}[{i}]", "must be non-empty text")
            else:
                out.append(item.strip())
        return tuple(out)

    def integer(self, node: dict, key: str, where: str, low: int, high: int, default: int) -> int:
        if key not in node:
            return default
        value = node[key]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.bad(_line_of(node, key), where, f"must be a whole number from {low} to {high}")
            return default
        return value

    def number(self, node: dict, key: str, where: str, default: float) -> float:
        if key not in node:
            return default
        value = node[key]
        if not _is_number(value) or value < 0 or value != value:
            self.bad(_line_of(node, key), where, "must be a number ≥ 0")
            return default
        return float(value)

    def choice(self, node: dict, key: str, where: str, choices: Iterable[str]) -> str | None:
        value = self.text(node, key, where)
        known = list(choices)
        if value is not None and value not in known:
            self.bad(_line_of(node, key), where, f"{value!r} is not one of {', '.join(known)}")
            return None
        return value

    def variable(self, node: Any, where: str, line: int) -> Variable | None:
        start = len(self.problems)
        if not self.mapping(node, where, VARIABLE_KEYS, ("name", "meaning"), line):
            return None
        name = self.text(node, "name", f"{where}.name")
        if name is not None and not re.match(IDENT_RE, name):
            self.bad(_line_of(node, "name"), f"{where}.name", f"{name!r} is not a name (letters, digits and _; not starting with a digit)")
        symbol = self.text(node, "symbol", f"{where}.symbol") if "symbol" in node else name
        meaning = self.text(node, "meaning", f"{where}.meaning")
        aliases = self.texts(node, "aliases", f"{where}.aliases")
        words = self.texts(node, "words", f"{where}.words")
        if len(self.problems) > start or name is None or meaning is None:
            return None
        return Variable(name, symbol or name, aliases, meaning, words)


def _rule_text(reader: _Reader, node: dict, key: str, where: str, rules: dict[str, RuleAt], text_lines: list[str]) -> str | None:
    """A rule's text (stripped), remembering where its first line sits in the file."""
    raw = node.get(key)
    if key not in node:
        return None
    if not isinstance(raw, str) or not raw.strip():
        reader.bad(_line_of(node, key), where, "must be a rule (text in the answer language)")
        return None
    line, style, column = node.value_at.get(key, (0, None, 0)) if isinstance(node, _LineDict) else (0, None, 0)
    if style == "|":  # the rule's lines are the file's, indented
        first = line + 1 + raw[: len(raw) - len(raw.lstrip())].count("\n")
        text = text_lines[first - 1] if 0 < first <= len(text_lines) else ""
        rules[where] = RuleAt(first, True, len(text) - len(text.lstrip()))
    else:  # one line (a folded or quoted rule's later lines are not the file's)
        lead = len(raw) - len(raw.lstrip())
        rules[where] = RuleAt(line, False, column + lead + (1 if style in ('"', "'") else 0))
    return raw.strip()


def _prose(text: str) -> str:
    return " ".join(text.split())


def read_drill_file(path: Path, shared: Shared) -> tuple[DrillFile | None, list[Problem]]:
    """Read and check one drill file at the file level; the drill (None if broken) and every problem."""
    data, problems = _read(path, "a mapping with a drill's keys (name, title, task, instances, …)")
    if problems:
        return None, problems
    r = _Reader(path)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        return None, [Problem(path, 1, f"top level is {kind}; expected a mapping with a drill's keys (name, title, task, …)")]
    try:
        text_lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        text_lines = []
    r.mapping(data, "", DRILL_KEYS, REQUIRED_KEYS)
    lines: dict[str, int] = {key: _line_of(data, key) for key in data if isinstance(key, str)}
    rules: dict[str, RuleAt] = {}

    name = r.text(data, "name", "name")
    if name is not None:
        if not re.match(NAME_RE, name):
            r.bad(lines["name"], "name", f"{name!r} must be lowercase letters and digits, words joined by '-'")
        elif name in RESERVED:
            r.bad(lines["name"], "name", f"{name!r} is a subcommand of 'gdgrill drill'; choose another name")
        elif name != path.stem:
            r.bad(lines["name"], "name", f"{name!r} must match the file name ({name}.yaml holds the drill {name})")
    title = r.text(data, "title", "title", one_line=True)
    summary = r.text(data, "summary", "summary", one_line=True)
    task = r.text(data, "task", "task")
    group = r.choice(data, "group", "group", GROUPS)
    kind = r.choice(data, "kind", "kind", KINDS)
    reference = r.text(data, "reference", "reference")
    if reference is not None and kind == "optimizer":  # the other kinds' references: when the rules run
        from gdgrill.drill.references import get_reference

        try:
            get_reference(reference)
        except KeyError as exc:
            r.bad(lines["reference"], "reference", str(exc.args[0]))
    tier = r.integer(data, "tier", "tier", 1, 4, 1)

    variables: dict[str, list[Variable]] = {}
    for key in ("inputs", "outputs"):
        items = data.get(key, [])
        found: list[Variable] = []
        if not isinstance(items, list) or (key == "inputs" and not items):
            r.bad(lines.get(key, 0), key, "must be a non-empty list of names" if key == "inputs" else "must be a list of names")
            items = []
        for i, item in enumerate(items):
            where, line = f"{key}[{i}]", _item_line(items, i)
            if isinstance(item, str):
                if item not in shared.names:
                    r.bad(line, where, f"no shared name {item!r} in {NAMES_FILE} (known: {', '.join(shared.names)}); or give a mapping with name, symbol, aliases, meaning")
                    continue
                found.append(shared.names[item])
            else:
                var = r.variable(item, where, line)
                if var is not None:
                    found.append(var)
        variables[key] = found
    seen_names: dict[str, str] = {}
    for key in ("inputs", "outputs"):
        for i, var in enumerate(variables[key]):
            if var.name in seen_names:
                r.bad(_item_line(data.get(key), i), f"{key}[{i}]", f"{var.name!r} is already {seen_names[var.name]}")
            seen_names.setdefault(var.name, f"{key}[{i}]")
    # The target may be a name of the rule's own (ASGD's averaged θ): running the reference
    # rule, which must assign it, is the check.
    target = r.text(data, "target", "target")
    if target is not None and not re.match(IDENT_RE, target):
        r.bad(lines["target"], "target", f"{target!r} is not a name (letters, digits and _; not starting with a digit)")

    reference_rule = _rule_text(r, data, "reference_rule", "reference_rule", rules, text_lines)
    hints = r.texts(data, "hints", "hints", non_empty=True) if "hints" in data else ()

    roles: list[tuple[str, str]] = []
    raw_roles = data.get("roles", {})
    if not isinstance(raw_roles, dict):
        r.bad(lines.get("roles", 0), "roles", "must map each name the reference rule assigns to what it holds, in words")
    else:
        for key, words in raw_roles.items():
            if not isinstance(key, str) or not re.match(IDENT_RE, key) or not isinstance(words, str) or not words.strip():
                r.bad(_line_of(raw_roles, str(key)), f"roles.{key}", "must be a name mapped to what it holds, in words")
            else:
                roles.append((key, words.strip()))

    instances = _instances(r, data, lines)
    mutants = _mistakes(r, data, shared, lines, rules, text_lines)
    variants = _variants(r, data, lines, rules, text_lines)
    rtol = r.number(data, "rtol", "rtol", 1e-9)
    atol = r.number(data, "atol", "atol", 1e-13)

    if r.problems:
        return None, r.problems
    assert name and title and summary and task and group and kind and reference and target and reference_rule
    drill = Drill(
        name=name, title=title, summary=summary, tier=tier, kind=kind, reference=reference, task=task, target=target,
        inputs=tuple(variables["inputs"]), reference_rule=reference_rule, hints=hints, instances=instances,
        mutants=mutants, variants=variants, outputs=tuple(variables["outputs"]), rtol=rtol, atol=atol,
        roles=tuple(roles), group=group,
    )
    return DrillFile(drill, path, lines, rules), []


def _instances(r: _Reader, data: dict, lines: dict[str, int]) -> tuple[Instance, ...]:
    items = data.get("instances", [])
    if not isinstance(items, list) or not items:
        r.bad(lines.get("instances", 0), "instances", "must be a non-empty list of instances (label, hp, grads, steps, shape, seed)")
        return ()
    out: list[Instance] = []
    for i, item in enumerate(items):
        where, start = f"instances[{i}]", len(r.problems)
        if not r.mapping(item, where, INSTANCE_KEYS, ("label",), _item_line(items, i)):
            continue
        label = r.text(item, "label", f"{where}.label", one_line=True)
        hp = item.get("hp", {})
        if not isinstance(hp, dict):
            r.bad(_line_of(item, "hp"), f"{where}.hp", "must map hyper-parameter names to numbers")
            hp = {}
        for key, value in hp.items():
            if not isinstance(key, str) or not re.match(IDENT_RE, key):
                r.bad(_line_of(hp, str(key)), f"{where}.hp.{key}", "is not a name")
            elif not _is_number(value):
                r.bad(_line_of(hp, key), f"{where}.hp.{key}", f"must be a number, not {value!r}")
        grads = r.choice(item, "grads", f"{where}.grads", GRADIENT_PATTERNS) if "grads" in item else "normal"
        steps = r.integer(item, "steps", f"{where}.steps", 1, MAX_STEPS, 8)
        seed = r.integer(item, "seed", f"{where}.seed", 0, 2**31 - 1, 0)
        shape: tuple[int, ...] = (5,)
        if "shape" in item:
            raw = item["shape"]
            if not (isinstance(raw, list) and 1 <= len(raw) <= 3 and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in raw)):
                r.bad(_line_of(item, "shape"), f"{where}.shape", "must be a list of 1 to 3 whole numbers ≥ 1, e.g. [5] or [4, 3]")
            else:
                shape = tuple(raw)
                size = 1
                for n in shape:
                    size *= n
                if size > MAX_ELEMENTS:
                    r.bad(_line_of(item, "shape"), f"{where}.shape", f"{size} elements; at most {MAX_ELEMENTS}")
        if len(r.problems) == start and label is not None and grads is not None:
            out.append(Instance(label, dict(hp), grads, steps, shape, seed))
    return tuple(out)


def _mistakes(r: _Reader, data: dict, shared: Shared, lines: dict[str, int], rules: dict[str, RuleAt], text_lines: list[str]) -> tuple[Mutant, ...]:
    items = data.get("mistakes", [])
    if not isinstance(items, list) or not items:
        r.bad(lines.get("mistakes", 0), "mistakes", "must be a non-empty list of known mistakes (id and rule, plus title and explanation unless shared)")
        return ()
    out: list[Mutant] = []
    ids: dict[str, str] = {}
    for i, item in enumerate(items):
        where, start = f"mistakes[{i}]", len(r.problems)
        lines[where] = _item_line(items, i)
        if not r.mapping(item, where, MISTAKE_KEYS, ("id", "rule"), lines[where]):
            continue
        lines[where] = _line_of(item)
        mistake_id = r.text(item, "id", f"{where}.id")
        if mistake_id is not None and not re.match(ID_RE, mistake_id):
            r.bad(_line_of(item, "id"), f"{where}.id", f"{mistake_id!r} must be a lowercase id of letters, digits, '-' or '_'")
        elif mistake_id is not None and mistake_id in ids:
            r.bad(_line_of(item, "id"), f"{where}.id", f"{mistake_id!r} is already {ids[mistake_id]}")
        elif mistake_id is not None:
            ids[mistake_id] = where
        rule = _rule_text(r, item, "rule", f"{where}.rule", rules, text_lines)
        own = [k for k in ("title", "explanation") if k in item]
        title = r.text(item, "title", f"{where}.title", one_line=True)
        explanation = r.text(item, "explanation", f"{where}.explanation")
        if len(own) == 1:
            r.bad(_line_of(item, own[0]), where, f"gives {own[0]} without {({'title', 'explanation'} - set(own)).pop()}: a drill's own mistake needs both (a shared one neither)")
        elif not own and mistake_id is not None and mistake_id not in shared.mistakes:
            r.bad(_line_of(item, "id"), f"{where}.id", f"no shared mistake {mistake_id!r} in {MISTAKES_FILE}; give title and explanation for a drill's own mistake")
        if len(r.problems) > start or mistake_id is None or rule is None:
            continue
        if not own:
            title, explanation = shared.mistakes[mistake_id]
        assert title is not None and explanation is not None
        out.append(Mutant(mistake_id, title, rule, _prose(explanation)))
    return tuple(out)


def _variants(r: _Reader, data: dict, lines: dict[str, int], rules: dict[str, RuleAt], text_lines: list[str]) -> tuple[Variant, ...]:
    items = data.get("variants", [])
    if not isinstance(items, list):
        r.bad(lines.get("variants", 0), "variants", "must be a list of accepted variants (id, title, rule, note)")
        return ()
    out: list[Variant] = []
    for i, item in enumerate(items):
        where, start = f"variants[{i}]", len(r.problems)
        lines[where] = _item_line(items, i)
        if not r.mapping(item, where, VARIANT_KEYS, ("id", "title", "rule", "note"), lines[where]):
            continue
        variant_id = r.text(item, "id", f"{where}.id")
        if variant_id is not None and not re.match(ID_RE, variant_id):
            r.bad(_line_of(item, "id"), f"{where}.id", f"{variant_id!r} must be a lowercase id of letters, digits, '-' or '_'")
        title = r.text(item, "title", f"{where}.title", one_line=True)
        rule = _rule_text(r, item, "rule", f"{where}.rule", rules, text_lines)
        note = r.text(item, "note", f"{where}.note")
        if len(r.problems) == start and variant_id and title and rule and note:
            out.append(Variant(variant_id, title, rule, _prose(note)))
    return tuple(out)


# -- The shared files --------------------------------------------------------------------------


def read_shared(folder: Path, base: Shared | None = None) -> tuple[Shared, list[Problem]]:
    """``base`` (the shipped shared names and mistakes) plus ``folder``'s own; every problem."""
    names = dict(base.names) if base else {}
    mistakes = dict(base.mistakes) if base else {}
    sources = dict(base.sources) if base else {}
    problems: list[Problem] = []
    names_file, mistakes_file = folder / NAMES_FILE, folder / MISTAKES_FILE
    for file in (names_file, mistakes_file):
        if not file.is_file():
            continue
        data, found = _read(file, "a mapping of shared names" if file == names_file else "a mapping of shared mistakes by id")
        if found:
            problems += found
            continue
        r = _Reader(file)
        if not isinstance(data, dict):
            r.bad(1, "", "top level must be a mapping, keyed by " + ("name" if file == names_file else "mistake id"))
        for key, value in (data.items() if isinstance(data, dict) else ()):
            line = _line_of(data, str(key))
            if not isinstance(key, str) or not re.match(ID_RE, key):
                r.bad(line, str(key), "must be a lowercase key of letters, digits, '-' or '_'")
                continue
            kind = "name" if file == names_file else "mistake"
            if f"{kind}:{key}" in sources:
                r.bad(line, key, f"is already a shared {kind} ({sources[f'{kind}:{key}']})")
                continue
            if file == names_file:
                var = r.variable(value, key, line)
                if var is not None:
                    names[key] = var
            else:
                start = len(r.problems)
                if r.mapping(value, key, {"title", "explanation"}, ("title", "explanation"), line):
                    title = r.text(value, "title", f"{key}.title", one_line=True)
                    explanation = r.text(value, "explanation", f"{key}.explanation")
                    if len(r.problems) == start and title and explanation:
                        mistakes[key] = (title, _prose(explanation))
            sources[f"{kind}:{key}"] = f"{file}:{line}"
        problems += r.problems
    return Shared(names, mistakes, sources, shared_stamp(folder, base)), problems


# -- Running the rules: the behaviour level ------------------------------------------------------


def behaviour_problems(df: DrillFile) -> list[Problem]:
    """Run the file's rules through the real parser and judge (imports numpy): the reference
    rule must match the Python reference, every mistake must fail on some instance and differ
    from the other mistakes (else the judge could never name it), and no variant may blow up
    where the reference does not, or be one of the mistakes."""
    import numpy as np

    from gdgrill.drill import judge as J
    from gdgrill.drill.language import RefusedAnswer

    drill, out = df.drill, []
    try:
        J.parse_for(drill, drill.reference_rule)
    except RefusedAnswer as refused:  # (a target it never assigns, say): said before the reference runs
        return [df.refusal("reference_rule", refused)]
    # Not judge.problems() / reference_trajectories(): those keep the first drill of a name
    # for the whole process, and a file being checked may be a new version of one.
    try:
        with np.errstate(all="ignore"):
            cases = [J.make_problem(drill, inst) for inst in drill.instances]
            expected = [np.asarray(J.reference_trajectory(drill, pr), dtype=np.float64) for pr in cases]
    except (KeyError, ValueError, TypeError, ArithmeticError, IndexError) as exc:
        reason = exc.args[0] if exc.args else type(exc).__name__
        return [Problem(df.path, df.line("reference"), f"reference: the Python reference {drill.reference!r} cannot run these instances: {reason}")]

    def runs(where: str, text: str) -> list[Any] | None:
        try:
            rule = J.parse_for(drill, text)
            return [J.rule_trajectory(drill, rule, pr) for pr in cases]
        except RefusedAnswer as refused:
            out.append(df.refusal(where, refused))
            return None

    def agree(a: list[Any], b: list[Any]) -> bool:
        return all(np.allclose(x, y, rtol=drill.rtol, atol=drill.atol, equal_nan=True) for x, y in zip(a, b))

    mine = runs("reference_rule", drill.reference_rule)
    if mine is not None:
        found = [d for d in (J.first_difference(drill, pr, y, e) for pr, y, e in zip(cases, mine, expected)) if d]
        if found:
            out.append(Problem(df.path, df.line("reference_rule"), f"reference_rule: does not match the Python reference {drill.reference!r}: {found[0].describe()}"))
    mistakes: list[tuple[str, Mutant, list[Any]]] = []
    for i, m in enumerate(drill.mutants):
        where = f"mistakes[{i}]"
        theirs = runs(f"{where}.rule", m.rule)
        if theirs is None:
            continue
        if agree(theirs, expected):
            out.append(Problem(df.path, df.line(where), f"{where} ({m.id}): passes on every instance, so it is no mistake the judge could name; add an instance where it fails"))
            continue
        twin = next(((w, other) for w, other, t in mistakes if agree(theirs, t)), None)
        if twin is not None:
            out.append(Problem(df.path, df.line(where), f"{where} ({m.id}): gives the same values as {twin[0]} ({twin[1].id}) on every instance, so the judge would always name that one; add an instance that tells them apart"))
            continue
        mistakes.append((where, m, theirs))
    for i, v in enumerate(drill.variants):
        where = f"variants[{i}]"
        theirs = runs(f"{where}.rule", v.rule)
        if theirs is None:
            continue
        blown = next((pr.instance.label for pr, t, e in zip(cases, theirs, expected) if not np.isfinite(t).all() and np.isfinite(e).all()), None)
        if blown is not None:
            out.append(Problem(df.path, df.line(where), f"{where} ({v.id}): turns NaN or infinite on '{blown}' where the reference stays finite, so it is no right answer"))
            continue
        twin = next(((w, m) for w, m, t in mistakes if agree(theirs, t)), None)
        if twin is not None:
            out.append(Problem(df.path, df.line(where), f"{where} ({v.id}): gives the same values as {twin[0]} ({twin[1].id}): a known mistake cannot also be accepted"))
    return out


# -- `gdgrill drill check PATH` ----------------------------------------------------------------------


class Checked(NamedTuple):
    """One file `drill check` read: its drill (or shared entries) and its summary line."""

    path: Path
    summary: str


def check_path(path: Path, extra: Iterable[Path] = ()) -> tuple[list[Checked], list[Problem]]:
    """Check a drill file or folder at both levels, and its names against the shipped drills
    and the user's other folders (``extra``, GDGRILL_DRILLS); every problem, sorted."""
    if not path.exists():
        return [], [Problem(path, 0, "no such file or folder")]
    folder = path if path.is_dir() else path.parent
    files = drill_files(path) if path.is_dir() or not path.name.startswith("_") else []
    if path.is_dir() and not files and not any((folder / n).is_file() for n in (NAMES_FILE, MISTAKES_FILE)):
        return [], [Problem(path, 0, "no drill files (*.yaml) in this folder")]
    # The drills/ folder of a source checkout is the shipped set itself, maybe edited: its
    # files are checked against each other, not against an installed copy of themselves.
    source = _is_shipped_source(folder.resolve(), "drills")
    base = None if source else shipped_shared()
    shared, problems = read_shared(folder, base)
    checked: list[Checked] = []
    if not problems and (path.is_dir() or path.name.startswith("_")):
        counts = {
            NAMES_FILE: f"{len(shared.names) - len(base.names if base else ())} shared name(s)",
            MISTAKES_FILE: f"{len(shared.mistakes) - len(base.mistakes if base else ())} shared mistake(s)",
        }
        checked += [Checked(folder / n, f"{folder / n}: {count}") for n, count in counts.items() if (folder / n).is_file()]
    mine = {f.resolve() for f in files}
    others: dict[str, Path] = {}
    if not source:
        others.update({n: f for n, f in shipped_sources().items() if f.resolve() not in mine})
    for extra_path in user_drill_dirs(list(extra)):
        if extra_path.exists():
            others.update({f.stem: f for f in drill_files(extra_path) if f.resolve() not in mine and not f.name.startswith("_")})
    for file in files:
        df, found = read_drill_file(file, shared)
        if df is None:
            problems += found
            continue
        if df.drill.name in others:
            problems.append(Problem(file, df.line("name"), f"name: drill name {df.drill.name!r} is already used by {others[df.drill.name]}"))
            continue
        behaviour = behaviour_problems(df)
        problems += behaviour
        if not behaviour:
            d = df.drill
            checked.append(Checked(file, f"{file}: {d.name} ({d.group}, tier {d.tier}): {len(d.instances)} instance(s), {len(d.mutants)} mistake(s), {len(d.variants)} variant(s)"))
    problems.sort(key=lambda p: (str(p.path), p.line))
    return checked, problems
