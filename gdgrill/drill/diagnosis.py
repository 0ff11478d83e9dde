"""Say *where* a wrong rule goes wrong, and how to fix it, the way an interviewer would.

``diagnose(drill, rule, trajectories, misconception)`` runs only after a fail and returns a
:class:`Diagnosis`: one or two sentences, plus the pieces behind them.

1. **The first wrong statement.** The user's rule and the drill's reference rule (written in
   the same language, with named state: m, v, v̂_max, the momentum buffer, the accumulator, the
   schedule's lr) are run side by side, recording the value of every statement after every
   step. Each of the user's statements is mapped to the reference quantity it stands for, by
   value (it matches the reference's m at every step, or a constant multiple of it: v = μv − ηg
   is −η times torch's buffer), else by name and alias (exp_avg is m, velocity is the buffer),
   else by the statement it agreed with for longest. The first statement (by step, then by
   line) whose value departs from its counterpart is the one named. Inside it, the user's
   expression is aligned with the reference's, term by term, down to the smallest piece that
   differs; a schedule says which phase (warmup, the cosine) goes wrong.
2. **The repair.** Single edits of the user's own rule are tried, cheapest and most telling
   first: moving, deleting or adding a statement (the decay before or after the step, L2 ↔
   decoupled), then edits of one term — β ↔ 1 − β, ε in or out of the root, a bias correction
   added or dropped, t ± 1, g ↔ g², square ↔ abs, sign, sum ↔ mean ↔ norm, min ↔ max, + ↔ −,
   × ↔ ÷, a missing factor (η, 1 − β, λ, …) or an extra one, one name for another, a constant —
   then a term of the reference put in place of one of the user's, then two such edits on the
   wrong line, then the wrong line rewritten as the reference computes it. The first edit that
   makes the whole rule pass every instance is reported as ``repair`` ({line, from, to}) and in
   words ("your v averages g; the reference averages g²").
3. **NaN and inf** are traced to the operation that made them from finite values: the square
   root of a negative number, a division by zero, an overflow.

The search is bounded by a number of candidate runs (deterministic, so the same answer gets
the same diagnosis on any machine), and each candidate stops at its first wrong step. numpy
only; torch is never imported here.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from gdgrill.drill.catalog import Drill, Mutant
from gdgrill.drill.language import (
    Assign,
    Bin,
    Call,
    Cmp,
    Expr,
    Num,
    Rule,
    Unary,
    Var,
    alias_key,
    compile_expression,
    iter_vars,
    numpy_backend,
)
from gdgrill.drill.schedules import get_schedule

# The search is bounded by work, counted as statements evaluated (one statement on one step
# of one instance) plus RUN_COST per candidate: deterministic, and close to proportional to time.
WORK_BUDGET = 20_000  # about 50 ms; the repairs found in the tests need at most ~19,000
KNOWN_MISTAKE_WORK = 6_000  # when the mistake is catalogued, the repair is only a bonus
RUN_COST = 30
MAX_PAIR_NODES = 16  # two-edit search only on lines this small
MAX_SECONDS = 1.0  # a safety net only; the candidate budget is what bounds the search
BETAS = ("b1", "b2", "mu", "rho")  # hyper-parameters written both as β and as 1 − β

# How people name the reference's state (compared without underscores, case-folded).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "buf": ("buf", "buffer", "momentumbuffer", "velocity", "vel", "momentum", "mom", "v", "z", "b", "u", "m", "dp", "d"),
    "m": ("m", "expavg", "m1", "mom", "momentum", "firstmoment", "mean", "s", "mt"),
    "v": ("v", "expavgsq", "v2", "r", "cache", "sq", "squareavg", "eg2", "avgsq", "secondmoment", "ms", "s", "vt"),
    "s": ("s", "g2", "gsq", "acc", "accum", "accumulator", "sumsq", "statesum", "cache", "h", "r", "v"),
    "v_max": ("vmax", "maxv", "vhatmax", "maxexpavgsq", "vhat", "vmaxhat"),
    "m_hat": ("mhat", "mcorr", "mc", "shat", "mhatt"),
    "v_hat": ("vhat", "vcorr", "vc", "rhat", "vhatt"),
    "c": ("c", "update", "u", "interp", "direction", "ct", "d", "upd"),
}


# -- What a diagnosis holds -------------------------------------------------------------------


@dataclass(frozen=True)
class Repair:
    """One edit of the user's rule that makes it pass. ``edit`` is replace, move, delete or
    insert; ``before`` the user's text that changes and ``after`` what to write instead (a
    moved statement is the same text; ``moves_to`` is the line it goes before, or after
    when it is the last)."""

    line: int
    col: int
    before: str
    after: str
    edit: str = "replace"
    moves_to: int | None = None
    kind: str = ""
    statement: int = 0  # 1-based, among the rule's statements (several may share a line)
    position: str | None = None  # a move goes "before" or "after" line moves_to

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "col": self.col, "statement": self.statement, "from": self.before, "to": self.after, "edit": self.edit}
        if self.edit == "move":
            out["moves_to"] = self.moves_to
            out["position"] = self.position
        return out


@dataclass(frozen=True)
class Departure:
    """The user's first statement whose value leaves the reference's."""

    line: int
    statement: int  # 1-based, among the rule's statements
    name: str  # as the user writes it
    reference: str | None  # the reference name it stands for
    role: str | None  # what that holds, in words
    step: int
    instance: str
    yours: float
    expected: float

    def to_dict(self) -> dict[str, Any]:
        from gdgrill.serialize import json_number

        return {
            "line": self.line,
            "statement": self.statement,
            "name": self.name,
            "reference": self.reference,
            "role": self.role,
            "step": self.step,
            "instance": self.instance,
            "yours": json_number(self.yours),
            "reference_value": json_number(self.expected),
        }


@dataclass(frozen=True)
class NonFinite:
    """Where a NaN or inf first arose: the line, the step, and what made it."""

    line: int
    step: int
    instance: str
    value: str  # "nan" | "inf"
    kind: str  # "sqrt-of-negative" | "log-of-non-positive" | "division-by-zero" | "overflow" | "invalid"
    text: str  # the sentence


@dataclass
class Diagnosis:
    text: str
    repair: Repair | None = None
    departure: Departure | None = None
    nonfinite: NonFinite | None = None
    searched: int = 0  # candidate rules run
    work: int = 0  # statements evaluated by the search (see WORK_BUDGET)
    seconds: float = 0.0

    @property
    def specific(self) -> bool:
        """Whether it names a place (a repair or the first wrong statement)."""
        return self.repair is not None or self.departure is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "repair": self.repair.to_dict() if self.repair else None,
            "first_wrong_statement": self.departure.to_dict() if self.departure else None,
            "nonfinite": (
                {"line": self.nonfinite.line, "step": self.nonfinite.step, "instance": self.nonfinite.instance, "value": self.nonfinite.value, "cause": self.nonfinite.kind}
                if self.nonfinite
                else None
            ),
        }


# -- Trees: walking, rebuilding, writing back as text ------------------------------------------------


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Unary):
        return (e.operand,)
    if isinstance(e, (Bin, Cmp)):
        return (e.left, e.right)
    if isinstance(e, Call):
        return e.args
    return ()


def with_children(e: Expr, kids: Sequence[Expr]) -> Expr:
    """``e`` with new children; the result is a new node (no span: it is not the user's text)."""
    if isinstance(e, Unary):
        return Unary(e.op, kids[0], e.pos)
    if isinstance(e, Bin):
        return Bin(e.op, kids[0], kids[1], e.pos)
    if isinstance(e, Cmp):
        return Cmp(e.op, kids[0], kids[1], e.pos)
    if isinstance(e, Call):
        return Call(e.func, tuple(kids), e.pos)
    return e


Path = tuple[int, ...]


def nodes(e: Expr, path: Path = ()) -> Iterator[tuple[Path, Expr]]:
    yield path, e
    for k, child in enumerate(children(e)):
        yield from nodes(child, path + (k,))


def node_at(e: Expr, path: Path) -> Expr:
    for k in path:
        e = children(e)[k]
    return e


def replace_at(e: Expr, path: Path, new: Expr) -> Expr:
    if not path:
        return new
    kids = list(children(e))
    kids[path[0]] = replace_at(kids[path[0]], path[1:], new)
    return with_children(e, kids)


def size(e: Expr) -> int:
    return sum(1 for _ in nodes(e))


def _precedence(e: Expr) -> int:
    if isinstance(e, Cmp):
        return 0
    if isinstance(e, Bin):
        return {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2, "@": 2, "**": 4}[e.op]
    if isinstance(e, Unary) or (isinstance(e, Num) and e.value < 0):
        return 3
    return 5


_SHOWN_FUNCTIONS = {"maximum": "max", "minimum": "min"}


class Writer:
    """Writes trees back as text: the user's own spelling for every piece they typed (kept
    from the source), ASCII arithmetic for what the diagnosis adds."""

    def __init__(self, source: str, spellings: dict[str, str]):
        self.source = source
        self.spellings = spellings

    def original(self, e: Expr) -> str | None:
        if e.span is None:
            return None
        text = self.source[e.span[0] : e.span[1]]
        if not text.strip() or "\n" in text:
            return None
        return " ".join(text.split())

    def name(self, name: str) -> str:
        return self.spellings.get(name, name)

    def __call__(self, e: Expr, keep_original: bool = True) -> str:
        if keep_original:
            text = self.original(e)
            if text is not None:
                return text
        if isinstance(e, Num):
            return _number(e.value)
        if isinstance(e, Var):
            return self.name(e.name)
        if isinstance(e, Unary):
            return "-" + self._child(e.operand, 3, strict=True)
        if isinstance(e, Cmp):
            return f"{self(e.left)} {e.op} {self(e.right)}"
        if isinstance(e, Bin):
            prec = _precedence(e)
            if e.op == "**":
                return f"{self._child(e.left, 4, strict=True)}^{self._child(e.right, 4, strict=False)}"
            left = self._child(e.left, prec, strict=False)
            right = self._child(e.right, prec, strict=_right_needs_brackets(e.op, e.right))
            sep = f" {e.op} " if e.op in "+-" else e.op
            return f"{left}{sep}{right}"
        if isinstance(e, Call) and e.func == "transpose":
            return f"{self._child(e.args[0], 5, strict=False)}ᵀ"
        if isinstance(e, Call):
            name = _SHOWN_FUNCTIONS.get(e.func, e.func)
            return f"{name}({', '.join(self(a) for a in e.args)})"
        return "?"

    def _child(self, e: Expr, prec: int, strict: bool) -> str:
        text = self(e)
        p = _precedence(e)
        need = p < prec or (strict and p == prec)
        return f"({text})" if need else text


def line_label(rule: Rule, s: Assign, index: int | None = None) -> str:
    """"3" for the statement on line 3, "1 (statement 4)" when one line holds several
    (LaTeX ``\\\\`` breaks, ``;``), "5 (pass 2 of 5 through the loop)" for a line of a
    ``repeat`` loop when ``index`` (among the rule's statements) says which pass."""
    sharing = [t for t in rule.statements if t.line == s.line]
    if len(sharing) == 1:
        return str(s.line)
    if all(t is s for t in sharing):  # one line of a loop, unrolled
        if index is None:
            return str(s.line)
        return f"{s.line} (pass {sum(1 for t in rule.statements[: index + 1] if t is s)} of {len(sharing)} through the loop)"
    return f"{s.line} (statement {rule.statements.index(s) + 1})"


def _needs_brackets(parent: Expr, index: int, child: Expr) -> bool:
    """Whether ``child``, written as the ``index``-th operand of ``parent``, needs brackets."""
    if not isinstance(parent, (Bin, Unary)):
        return False
    mine = _precedence(child)
    if isinstance(parent, Unary):
        return mine < 3
    theirs = _precedence(parent)
    if parent.op == "**":
        return mine <= 4 if index == 0 else mine < 4
    return mine < theirs or (index == 1 and mine == theirs and _right_needs_brackets(parent.op, child))


def _right_needs_brackets(op: str, right: Expr) -> bool:
    """Whether a right operand of the same precedence needs brackets: a - (b - c), a/(b*c), a % (b*c),
    and around or after a matrix product, a*(B@C) and A@(B*C) (elementwise and matrix
    products do not associate)."""
    return op in ("-", "/", "%", "@") or (op == "*" and isinstance(right, Bin) and right.op == "@")


def _number(value: float) -> str:
    if value == math.pi:
        return "pi"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def spellings_of(rule: Rule, drill: Drill) -> dict[str, str]:
    """{canonical name: how the user wrote it}, falling back on the drill's symbols."""
    out = {v.name: v.symbol for v in (*drill.inputs, *drill.outputs)}
    seen: set[str] = set()
    for s in rule.statements:
        for _, e in nodes(s.value):
            if isinstance(e, Var) and e.name not in seen and e.span is not None:
                text = _TIME_INDEX.sub("", rule.source[e.span[0] : e.span[1]].strip())
                if text and "\n" not in text:
                    out[e.name] = text
                    seen.add(e.name)
    return out


_TIME_INDEX = re.compile(r"(?<=.)(?:_\{\s*t\s*(?:[-+−]\s*1\s*)?\}|_t)$")


# -- Running a rule: cases, traces, the fast pass/fail check -----------------------------------------


@dataclass
class Case:
    """One instance, ready to run: hyper-parameters as float64, gradients, the reference's
    target after each step."""

    label: str
    hp: dict[str, Any]
    grads: list[np.ndarray] | None
    p0: np.ndarray | None
    shape: tuple[int, ...]
    steps: int
    expected: np.ndarray
    tolerance: np.ndarray  # atol + rtol·|expected|, per step
    zero: Any  # the state's starting value
    # the accepted variants' targets (e.g. Adam's ε̂ form): passing as one of them passes too
    alternatives: tuple[tuple[np.ndarray, np.ndarray], ...] = ()


_CASES: dict[str, list[Case]] = {}


def make_cases(drill: Drill) -> list[Case]:
    """The drill's instances, ready to run (computed once per process)."""
    if drill.name in _CASES:
        return _CASES[drill.name]
    from gdgrill.drill.judge import _known_trajectories, problems, reference_trajectories

    variants = [_known_trajectories(drill, "variant:" + v.id, v.rule) for v in drill.variants]
    cases = []
    for k, (pr, ref) in enumerate(zip(problems(drill), reference_trajectories(drill))):
        hp = {name: np.float64(value) for name, value in pr.instance.hp.items()}
        grads = None if pr.grads is None else [np.asarray(g, dtype=np.float64) for g in pr.grads]
        shape = () if drill.kind == "schedule" else pr.instance.shape
        with np.errstate(invalid="ignore"):
            tolerance = drill.atol + drill.rtol * np.abs(ref)
        zero = np.zeros(shape) if shape else np.float64(0.0)
        with np.errstate(invalid="ignore"):
            alternatives = tuple((v[k], drill.atol + drill.rtol * np.abs(v[k])) for v in variants)
        cases.append(Case(pr.instance.label, hp, grads, pr.p0, shape, pr.steps, ref, tolerance, zero, alternatives))
    _CASES[drill.name] = cases
    return cases


class Runner:
    """Runs statement lists over the drill's cases. Compiled statements are cached, so a
    candidate that changes one line compiles one line."""

    def __init__(self, drill: Drill, cases: list[Case]):
        self.drill = drill
        self.cases = cases
        self.inputs = tuple(v.name for v in drill.inputs)
        self.functions = numpy_backend()
        self._memo: dict[int, Any] = {}  # compiled sub-trees, shared by all candidates
        self._vars: dict[int, tuple[frozenset[str], Expr]] = {}
        self.runs = 0
        self.work = 0  # see WORK_BUDGET
        self.rtol, self.atol = drill.rtol, drill.atol
        from gdgrill.drill.judge import step_inputs

        # g, and what the judge derives from it (GradScaler's found_inf), for every step
        self.given_at = {id(c): step_inputs(drill, c.grads) for c in cases if c.grads is not None}

    def compiled(self, s: Assign) -> Callable[[dict[str, Any]], Any]:
        return compile_expression(s.value, self.functions, self._memo)

    def names_read(self, e: Expr) -> frozenset[str]:
        """The names ``e`` reads (memoised per node: an edited tree costs its new nodes)."""
        hit = self._vars.get(id(e))
        if hit is not None:
            return hit[0]
        if isinstance(e, Var):
            names = frozenset((e.name,))
        else:
            kids = children(e)
            names = frozenset().union(*(self.names_read(k) for k in kids)) if kids else frozenset()
        self._vars[id(e)] = (names, e)
        return names

    def state_of(self, statements: Sequence[Assign]) -> tuple[tuple[str, ...], bool]:
        """(the names read before they are assigned, whether every name read is known)."""
        given = set(self.inputs)
        assigned = {s.target for s in statements}
        seen: set[str] = set()
        state: list[str] = []
        for s in statements:
            for name in self.names_read(s.value):
                if name in given or name in seen:
                    continue
                if name not in assigned:
                    return (), False
                if name not in state:
                    state.append(name)
            seen.add(s.target)
        return tuple(state), True

    def _start(self, case: Case, state: Sequence[str]) -> dict[str, Any]:
        # one zero array for every state: the language has no in-place operations
        env: dict[str, Any] = dict.fromkeys(state, case.zero)
        if self.drill.kind == "optimizer":
            env["p"] = case.p0
        return env

    def _enter_step(self, env: dict[str, Any], case: Case, k: int) -> None:
        env.update(case.hp)
        env["t"] = np.float64(k + 1)
        if case.grads is not None:
            env.update(self.given_at[id(case)][k])

    def close(self, a: Any, b: np.ndarray, tolerance: Any = None) -> bool:
        """The judge's test (np.isclose with the drill's tolerances, NaN equal to NaN).
        Callers run it under np.errstate(all="ignore")."""
        if type(a) is not np.ndarray or a.shape != b.shape:
            a = np.asarray(a, dtype=np.float64)
            if a.shape != b.shape:
                try:
                    a = np.broadcast_to(a, b.shape)
                except ValueError:
                    return False
        ok = np.abs(a - b) <= (self.atol + self.rtol * np.abs(b) if tolerance is None else tolerance)
        if ok.all():
            return True
        return bool(np.all(ok | (a == b) | (np.isnan(a) & np.isnan(b))))

    def passes(self, statements: Sequence[Assign], order: Sequence[int]) -> bool:
        """Whether the statements reproduce the reference on every case (stopping at the
        first wrong step). ``order`` is the order the cases are tried in."""
        state, known = self.state_of(statements)
        if not known or not any(s.target == self.drill.target for s in statements):
            return False
        program = [(s.target, self.compiled(s)) for s in statements]
        target = self.drill.target
        self.runs += 1
        self.work += RUN_COST
        # which targets the candidate still follows: the reference (0), or variant v (v + 1);
        # it must follow the same one on every case
        alive = set(range(1 + len(self.cases[0].alternatives))) if self.cases else {0}
        with np.errstate(all="ignore"):
            for index in order:
                case = self.cases[index]
                targets = ((case.expected, case.tolerance), *case.alternatives)
                env = self._start(case, state)
                try:
                    for k in range(case.steps):
                        self.work += len(program)
                        self._enter_step(env, case, k)
                        for name, fn in program:
                            env[name] = fn(env)
                        value = env[target]
                        alive = {a for a in alive if self.close(value, targets[a][0][k], targets[a][1][k])}
                        if not alive:
                            return False
                except (ArithmeticError, TypeError, ValueError, RuntimeError, IndexError):
                    return False
        return True

    def trace(self, statements: Sequence[Assign], case: Case, before: bool = False) -> list[list[Any]]:
        """values[i][k]: the value statement i assigns at step k (float64 arrays). With
        ``before``, also the environment before each statement (for NaN tracing)."""
        state, _ = self.state_of(statements)
        program = [(s.target, self.compiled(s)) for s in statements]
        values: list[list[Any]] = [[] for _ in statements]
        envs: list[list[dict[str, Any]]] = [[] for _ in statements]
        env = self._start(case, state)
        with np.errstate(all="ignore"):
            for k in range(case.steps):
                self._enter_step(env, case, k)
                for i, (name, fn) in enumerate(program):
                    if before:
                        envs[i].append(dict(env))
                    try:
                        env[name] = fn(env)
                    except (ArithmeticError, TypeError, ValueError, RuntimeError, IndexError):
                        env[name] = np.full(case.shape, np.nan) if case.shape else np.float64(np.nan)
                    values[i].append(np.asarray(env[name], dtype=np.float64))
        if before:
            return [values, envs]  # type: ignore[list-item]
        return values


# -- 1. The first wrong statement --------------------------------------------------------------------


def _key(name: str) -> str:
    return alias_key(name).lower().rstrip("_")


@dataclass
class Mapping:
    """How the user's statements line up with the reference's."""

    counterpart: list[int | None]  # user statement -> reference statement it stands for
    exact: list[bool]  # it matches (or is a constant multiple of) its counterpart at every step
    identical: list[bool]  # it matches its counterpart itself, not a multiple of it
    depart_step: list[float]  # first step (1-based) where it leaves its counterpart; inf if never
    depart_case: list[int]


def _first_mismatch(runner: Runner, mine: list[Any], ref: list[Any]) -> int | None:
    """The first step index where two value sequences differ, None if they never do."""
    with np.errstate(all="ignore"):
        for k, (a, b) in enumerate(zip(mine, ref)):
            if not runner.close(a, np.asarray(b, dtype=np.float64)):
                return k
    return None


def _ratio(mine: list[Any], ref: list[Any]) -> float | None:
    """c when mine = c·ref at every step (see :func:`_proportional`)."""
    a = np.concatenate([np.ravel(x) for x in mine])
    b = np.concatenate([np.ravel(np.asarray(x, dtype=np.float64)) for x in ref])
    big = np.abs(b) > 1e-12 * max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    return float(a[big][0] / b[big][0]) if big.any() else None


def scale_words(drill: Drill, ratios: list[float | None], cases: list[Case]) -> str | None:
    """The constant a user's quantity is off by, named from the hyper-parameters when it is
    one of η, μ, β, 1 − β, 1/(1 − β), λ (or minus one of them): "μ", "1/(1 − β₁)"."""
    if any(r is None for r in ratios):
        return None
    if all(math.isclose(r, -1.0, rel_tol=1e-6) for r in ratios):  # type: ignore[arg-type]
        return "−1"
    names = [n for n in cases[0].hp if n != "t"]
    forms: list[tuple[str, Callable[[float], float]]] = []
    for n in names:
        sym = drill.symbol(n)
        forms += [(sym, lambda h: h), (f"1/{sym}", lambda h: 1 / h if h else math.inf), (f"(1 − {sym})", lambda h: 1 - h), (f"1/(1 − {sym})", lambda h: 1 / (1 - h) if h != 1 else math.inf)]
    for sign, prefix in ((1.0, ""), (-1.0, "−")):
        for k, (words, f) in enumerate(forms):
            n = names[k // 4]
            if all(r is not None and math.isclose(r, sign * f(float(c.hp[n])), rel_tol=1e-6) for r, c in zip(ratios, cases)):
                return prefix + words
    if all(r is not None and math.isclose(r, ratios[0], rel_tol=1e-6) for r in ratios):  # type: ignore[arg-type]
        return f"{ratios[0]:.4g}"
    return None


def _stacked(values: list[Any], shape: tuple[int, ...]) -> np.ndarray | None:
    """A statement's values over the steps as one (steps, *shape) array; a quantity with a
    shape of its own (a Gram matrix X·Xᵀ) keeps it; None when its shape changes from step to step."""
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    try:
        return np.stack([np.broadcast_to(a, shape) for a in arrays])
    except ValueError:
        pass
    try:
        return np.stack(arrays)
    except ValueError:
        return None


def _first_mismatch_stacked(runner: Runner, mine: np.ndarray | None, ref: np.ndarray | None) -> int | None:
    """The first step index where two stacked value sequences differ (None: never)."""
    if mine is None or ref is None or mine.shape != ref.shape:
        return 0
    with np.errstate(all="ignore"):
        ok = (np.abs(mine - ref) <= runner.atol + runner.rtol * np.abs(ref)) | (mine == ref) | (np.isnan(mine) & np.isnan(ref))
    per_step = ok.reshape(len(ok), -1).all(axis=1)
    return None if per_step.all() else int(np.argmin(per_step))


def _proportional(mine: list[Any], ref: list[Any]) -> bool:
    """mine = c·ref for one constant c (not 0, not 1) at every step: the same quantity in
    another convention (v = μv − ηg is −η times torch's buffer)."""
    a = np.concatenate([np.ravel(x) for x in mine])
    b = np.concatenate([np.ravel(np.asarray(x, dtype=np.float64)) for x in ref])
    if a.shape != b.shape or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    big = np.abs(b) > 1e-12 * max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    if big.sum() < 2:
        return False
    ratios = a[big] / b[big]
    c = ratios[0]
    if not np.isfinite(c) or abs(c) < 1e-12 or abs(c - 1) < 1e-9:
        return False
    return bool(np.allclose(ratios, c, rtol=1e-7) and np.allclose(a[~big], 0, atol=1e-12 * max(1.0, abs(c))))


def map_statements(drill: Drill, runner: Runner, user: Sequence[Assign], ref: Sequence[Assign], user_traces: list[list[list[Any]]], ref_traces: list[list[list[Any]]]) -> Mapping:
    n_user, n_ref = len(user), len(ref)
    depart = [[math.inf] * n_ref for _ in range(n_user)]
    depart_case = [[-1] * n_ref for _ in range(n_user)]
    stacked_user = [[_stacked(values, case.shape) for values in ut] for ut, case in zip(user_traces, runner.cases)]
    stacked_ref = [[_stacked(values, case.shape) for values in rt] for rt, case in zip(ref_traces, runner.cases)]
    for c in range(len(user_traces)):
        for i in range(n_user):
            for j in range(n_ref):
                k = _first_mismatch_stacked(runner, stacked_user[c][i], stacked_ref[c][j])
                if k is not None and k + 1 < depart[i][j]:
                    depart[i][j], depart_case[i][j] = k + 1, c

    def scaled(i: int, j: int) -> bool:  # only asked of statements that match nothing
        return all(_proportional(ut[i], rt[j]) for ut, rt in zip(user_traces, ref_traces))

    counterpart: list[int | None] = []
    exact: list[bool] = []
    identical: list[bool] = []
    for i, s in enumerate(user):
        best = max(range(n_ref), key=lambda j: (depart[i][j], ref[j].target == s.target, -abs(j - i)))
        if depart[i][best] == math.inf:
            counterpart.append(best)
            exact.append(True)
            identical.append(True)
            continue
        identical.append(False)
        scaled_to = [j for j in range(n_ref) if scaled(i, j)]
        if scaled_to:
            counterpart.append(scaled_to[0])
            exact.append(True)
            continue
        counterpart.append(_intended(drill, i, user, ref, depart))
        exact.append(False)
    steps = [depart[i][j] if j is not None else math.inf for i, j in enumerate(counterpart)]
    cases = [depart_case[i][j] if j is not None else -1 for i, j in enumerate(counterpart)]
    for i, ok in enumerate(exact):
        if ok:
            steps[i] = math.inf
    return Mapping(counterpart, exact, identical, steps, cases)


def _intended(drill: Drill, i: int, user: Sequence[Assign], ref: Sequence[Assign], depart: list[list[float]]) -> int | None:
    """The reference statement a wrong user statement stands for: by name (or alias), the
    drill's target by position, else the one it agreed with for longest."""
    name = user[i].target
    same_target = [j for j, r in enumerate(ref) if r.target == name]
    if same_target and (name == drill.target or len(same_target) > 1):
        # the k-th assignment from the end matches the reference's (the target; a quantity the
        # reference iterates, Newton–Schulz's X; or a state it sets twice, as Lookahead's
        # slow = where(t == 1, p, slow) then the sync)
        from_end = sum(1 for s in user[i + 1 :] if s.target == name)
        return same_target[max(0, len(same_target) - 1 - from_end)]
    key = _key(name)
    for j, r in enumerate(ref):
        if _key(r.target) == key and r.target != drill.target:
            return j
    for j, r in enumerate(ref):
        if key in SYNONYMS.get(r.target, ()):
            return j
    best = max(range(len(ref)), key=lambda j: depart[i][j])
    if depart[i][best] > 1:
        return best
    return None


# -- 3. NaN and inf ---------------------------------------------------------------------------------


def _finite(x: Any) -> bool:
    return bool(np.all(np.isfinite(np.asarray(x, dtype=np.float64))))


def trace_nonfinite(drill: Drill, runner: Runner, rule: Rule, write: Writer) -> NonFinite | None:
    """Where the first NaN/inf arises from finite values (None when the rule stays finite)."""
    statements = rule.statements
    best: tuple[int, int, int, Any] | None = None  # (step, line index, case, env)
    for c, case in enumerate(runner.cases):
        values, envs = runner.trace(statements, case, before=True)
        for k in range(case.steps):
            hit = next((i for i in range(len(statements)) if not _finite(values[i][k])), None)
            if hit is not None:
                if best is None or (k, hit) < best[:2]:
                    best = (k, hit, c, envs[hit][k])
                break
    if best is None:
        return None
    k, i, c, env = best
    s = statements[i]
    label = line_label(rule, s, i)
    node, kind, operand = _culprit(s.value, env)
    shown = drill.symbol(s.target) if s.target in drill.names else write.name(s.target)
    value = np.asarray(runner.trace(statements, runner.cases[c])[i][k])
    what = "NaN" if np.isnan(value).any() else "inf"
    where = f"at step {k + 1} on '{runner.cases[c].label}'"
    if kind == "sqrt-of-negative":
        detail = f"line {label} takes the square root of a negative number: `{write(operand)}` is {_fmt(_most_negative(operand, env))} there"
    elif kind == "log-of-non-positive":
        detail = f"line {label} takes the log of a number ≤ 0 (`{write(operand)}`)"
    elif kind == "division-by-zero":
        detail = f"line {label} divides by zero: `{write(operand)}` is 0 at step {k + 1}"
    elif kind == "overflow":
        detail = f"line {label} overflows: `{write(node)}` exceeds the largest float"
    else:
        detail = f"line {label} computes `{write(node)}`, which is undefined there" if node is not None else f"line {label} turns it {what}"
    text = f"Your {shown} becomes {what} {where}: {detail}."
    return NonFinite(s.line, k + 1, runner.cases[c].label, "nan" if what == "NaN" else "inf", kind, text)


def _most_negative(e: Expr | None, env: dict[str, Any]) -> float:
    if e is None:
        return float("nan")
    with np.errstate(all="ignore"):
        x = np.asarray(compile_expression(e)(env), dtype=np.float64)
    return float(np.min(x))


def _culprit(e: Expr, env: dict[str, Any]) -> tuple[Expr | None, str, Expr | None]:
    """The innermost node whose value is non-finite although its operands are finite."""
    found: list[tuple[Expr, str, Expr | None]] = []

    def value(x: Expr) -> Any:
        with np.errstate(all="ignore"):
            try:
                return np.asarray(compile_expression(x)(env), dtype=np.float64)
            except (ArithmeticError, TypeError, ValueError, RuntimeError, IndexError):
                return np.asarray(np.nan)

    def visit(x: Expr) -> bool:
        """True when x is non-finite; records the culprit on the way up."""
        kids = children(x)
        bad_kids = [visit(k) for k in kids]
        if any(bad_kids):
            return True
        if isinstance(x, Var):
            return not _finite(env.get(x.name, 0.0))
        v = value(x)
        if _finite(v):
            return False
        found.append(_classify(x, [value(k) for k in kids]))
        return True

    visit(e)
    if not found:
        return None, "invalid", None
    return found[0]


def _classify(x: Expr, operands: list[Any]) -> tuple[Expr, str, Expr | None]:
    if isinstance(x, Call) and x.func == "sqrt" and np.any(operands[0] < 0):
        return x, "sqrt-of-negative", x.args[0]
    if isinstance(x, Bin) and x.op == "**" and np.any(operands[0] < 0):
        return x, "sqrt-of-negative" if isinstance(x.right, Num) and 0 < x.right.value < 1 else "invalid", x.left
    if isinstance(x, Call) and x.func == "log":
        return x, "log-of-non-positive", x.args[0]
    if isinstance(x, Bin) and x.op == "/" and np.any(operands[1] == 0):
        return x, "division-by-zero", x.right
    if isinstance(x, Call) and x.func == "pow" and np.any(operands[0] < 0):
        return x, "invalid", x.args[0]
    return x, "overflow", x


# -- 2. The repair search -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    statements: tuple[Assign, ...]
    kind: str
    line_index: int  # the statement changed (the original index)
    path: Path | None = None  # within it, the node replaced
    old: Expr | None = None
    new: Expr | None = None
    moves_to: int | None = None  # for a move: the original index it now precedes (len = at the end)
    inserted: Assign | None = None


def _with_statement(statements: Sequence[Assign], i: int, value: Expr) -> tuple[Assign, ...]:
    s = statements[i]
    new = Assign(s.target, value, s.line, s.col, s.span)
    # a line of a `repeat` loop is one statement repeated: an edit of the line edits every pass
    return tuple(new if t is s else t for t in statements)


def _in_loop(statements: Sequence[Assign], i: int) -> bool:
    """Whether statement i is a pass of a `repeat` loop's line (the same statement, repeated)."""
    return sum(1 for t in statements if t is statements[i]) > 1


def _pi() -> Num:
    return Num(math.pi)


def _one_minus(e: Expr) -> Expr:
    return Bin("-", Num(1.0), e)


def _is_bias_divisor(e: Expr) -> str | None:
    """1 - b^t (or b**t, with t ± 1): the beta it corrects, else None."""
    if isinstance(e, Bin) and e.op == "-" and isinstance(e.left, Num) and e.left.value == 1:
        r = e.right
        if isinstance(r, Bin) and r.op == "**" and isinstance(r.left, Var) and r.left.name in BETAS:
            if any(v.name == "t" for v in iter_vars(r.right)):
                return r.left.name
    return None


# Edits in the order they are tried: the more telling the mistake, the earlier.
PRIORITY = {
    "complement": 0, "weights": 0, "eps-out": 0, "eps-in": 0, "t-shift": 0, "brackets": 0,
    "eps-add": 1, "bias-add": 1, "bias-drop": 1, "square": 1, "unsquare": 1, "abs-to-square": 1, "norm": 1, "function": 1,
    "square-to-abs": 2,
    "function-drop": 1, "compare": 1, "sign-drop": 1, "sqrt-drop": 2, "sign": 2, "branches": 2, "op": 2,
    "name": 3, "negate": 3, "factor": 3, "factor-drop": 3, "term-drop": 3, "divisor-drop": 3, "sqrt": 3,
    "order": 4, "number": 4, "drop": 5,
}  # fmt: skip


def classify(old: Expr, new: Expr) -> str:
    """The kind of edit a reference term put in place of the user's amounts to, when it is
    one of the simple ones (a factor added or dropped, a function applied, …)."""
    if isinstance(new, Bin) and new.op == "*" and old in (new.left, new.right):
        return "factor"
    if isinstance(new, Call) and len(new.args) == 1 and new.args[0] == old:
        return {"sqrt": "sqrt", "sign": "sign"}.get(new.func, "reference")
    if isinstance(new, Bin) and new.op == "**" and new.left == old and isinstance(new.right, Num) and new.right.value == 2:
        return "square"
    if any(d == new for path, d in nodes(old) if path):
        return refine("drop", old, new)
    return "reference"


def refine(kind: str, old: Expr, new: Expr) -> str:
    """A "drop" (a node replaced by one of its descendants) named for what it removes."""
    if kind != "drop":
        return kind
    if isinstance(old, Bin):
        if old.op == "/" and new == old.left:
            return "bias-drop" if _is_bias_divisor(old.right) else "divisor-drop"
        if old.op in "+-" and isinstance(old.left, Var) and old.left.name == "t" and new == old.left and isinstance(old.right, Num):
            return "t-shift"
        if old.op == "**" and isinstance(old.right, Num) and old.right.value == 2 and new == old.left:
            return "unsquare"
        if old.op == "*" and old.left == old.right and new == old.left:
            return "unsquare"
        if old.op == "-" and isinstance(old.left, Num) and old.left.value == 1 and new == old.right and isinstance(new, Var) and new.name in BETAS:
            return "complement"
        if old.op == "*" and new in (old.left, old.right):
            return "factor-drop"
        if old.op in "+-" and new in (old.left, old.right):
            return "term-drop"
    if isinstance(old, Call) and len(old.args) == 1 and new == old.args[0]:
        return {"sign": "sign-drop", "sqrt": "sqrt-drop"}.get(old.func, "function-drop")
    if isinstance(old, Unary) and new == old.operand:
        return "negate"
    return "drop"


class Search:
    """Generates the single edits of a rule."""

    def __init__(self, drill: Drill, rule: Rule, reference: Rule, runner: Runner):
        self.drill = drill
        self.rule = rule
        self.statements = rule.statements
        self.reference = reference
        self.runner = runner
        names = [v.name for v in drill.inputs]
        self.inputs = names
        self.scalars = [n for n in names if n not in ("p", "g")]
        self.arrays = [n for n in names if n in ("p", "g")]
        self.betas = [n for n in names if n in BETAS]
        self.has_eps = "eps" in names
        self.has_t = "t" in names
        coefficients: list[Expr] = [Var(n) for n in self.scalars if n != "t"]
        coefficients += [_one_minus(Var(b)) for b in self.betas]
        self.coefficients = coefficients
        self.factors = coefficients + [Var(n) for n in self.arrays] + [Num(2.0), Num(0.5), _pi()]

    def array_valued(self, e: Expr) -> bool:
        """Whether ``e`` reads an array (θ, g, a state) rather than only hyper-parameters."""
        return any(n not in self.scalars for n in self.runner.names_read(e))

    def available(self, i: int) -> list[str]:
        """Names statement i may read: the inputs, state, and what earlier lines assign."""
        before = {s.target for s in self.statements[:i]}
        return list(dict.fromkeys([*self.inputs, *sorted(before | set(self.rule.state))]))

    # -- edits of one node ---------------------------------------------------------------------
    def node_edits(self, e: Expr, i: int, in_denominator: bool, broad: bool) -> Iterator[tuple[str, Expr]]:
        if isinstance(e, Var):
            x = e.name
            if x in self.betas:
                yield "complement", _one_minus(e)
            if x == "t":
                yield "t-shift", Bin("+", e, Num(1.0))
                yield "t-shift", Bin("-", e, Num(1.0))
            if x not in self.scalars:
                yield "square", Bin("**", e, Num(2.0))
                yield "sign", Call("sign", (e,))
                if in_denominator or x in self.rule.state:
                    yield "sqrt", Call("sqrt", (e,))
                if self.has_t:
                    for b in self.betas:
                        yield "bias-add", Bin("/", e, _one_minus(Bin("**", Var(b), Var("t"))))
            for y in self.available(i):
                if y != x:
                    yield "name", Var(y)
            yield "number", Num(1.0)
        elif isinstance(e, Num):
            c = e.value
            if 0 < c < 1:
                yield "number", Num(1.0 - c)
            if c != 1:
                yield "number", Num(1.0)
            yield "number", Num(-c)
            yield "number", Num(2 * c)
            yield "number", Num(c / 2)
        elif isinstance(e, Bin):
            l, r = e.left, e.right
            if e.op in "+-":
                yield "op", Bin("-" if e.op == "+" else "+", l, r, e.pos)
            if e.op in "*/":
                yield "op", Bin("/" if e.op == "*" else "*", l, r, e.pos)
            if e.op in "-/":
                yield "order", Bin(e.op, r, l, e.pos)
            if (e.op == "**" and isinstance(r, Num) and r.value == 2) or (e.op == "*" and l == r):
                yield "square-to-abs", Call("abs", (l,))
            if e.op in "+-" and isinstance(l, Bin) and isinstance(r, Bin) and l.op == "*" and r.op == "*":
                yield "weights", Bin(e.op, Bin("*", r.left, l.right), Bin("*", l.left, r.right), e.pos)
                yield "weights", Bin(e.op, Bin("*", l.left, r.right), Bin("*", r.left, l.right), e.pos)
            if e.op == "+" and self.has_eps:
                for inside, eps in ((l, r), (r, l)):
                    if isinstance(eps, Var) and eps.name == "eps" and isinstance(inside, Call) and inside.func == "sqrt":
                        yield "eps-in", Call("sqrt", (Bin("+", inside.args[0], eps),))
            yield from self.brackets(e)
        elif isinstance(e, Call):
            swaps = {"maximum": ("minimum",), "minimum": ("maximum",), "sum": ("mean", "norm"), "mean": ("sum", "norm"), "norm": ("sum", "mean"), "cos": ("sin",), "sin": ("cos",)}
            for f in swaps.get(e.func, ()):
                yield "function", Call(f, e.args, e.pos)
            if e.func == "where":
                yield "branches", Call("where", (e.args[0], e.args[2], e.args[1]), e.pos)
            if e.func == "abs":
                yield "abs-to-square", Bin("**", e.args[0], Num(2.0))
            inner = e.args[0] if e.args else None
            if e.func in ("sum", "mean") and (isinstance(inner, Call) and inner.func == "abs" or isinstance(inner, Bin) and inner.op == "**"):
                yield "norm", Call("norm", (inner.args[0] if isinstance(inner, Call) else inner.left,))  # type: ignore[union-attr]
            if e.func == "sqrt" and isinstance(inner, Call) and inner.func == "mean":
                core = inner.args[0]
                yield "norm", Call("norm", (core.left if isinstance(core, Bin) and core.op == "**" else core,))
            if e.func == "sqrt" and self.has_eps:
                inner = e.args[0]
                if isinstance(inner, Bin) and inner.op == "+":
                    for a, b in ((inner.left, inner.right), (inner.right, inner.left)):
                        if isinstance(b, Var) and b.name == "eps":
                            yield "eps-out", Bin("+", Call("sqrt", (a,)), b)
                yield "eps-add", Bin("+", e, Var("eps"))
        elif isinstance(e, Cmp):
            flips = {"<": ("<=", ">"), "<=": ("<", ">="), ">": (">=", "<"), ">=": (">", "<=")}
            for op in flips.get(e.op, ()):
                yield "compare", Cmp(op, e.left, e.right, e.pos)
        if isinstance(e, Num):
            return
        for path, d in nodes(e):
            if 0 < len(path) <= 3:
                yield refine("drop", e, d), d
        if not isinstance(e, Var):
            for y in self.available(i):
                if y not in self.inputs:
                    yield "name", Var(y)  # a whole term where the reference reads a state (g² → v)
        if not isinstance(e, Unary):
            yield "negate", Unary("-", e)
        for f in self.factors if broad else self.coefficients:
            if f != e:
                # a coefficient goes in front (lr*wd), an array behind (wd*p)
                yield "factor", Bin("*", e, f) if isinstance(f, Var) and f.name in self.arrays else Bin("*", f, e)
        if in_denominator and not isinstance(e, Var):
            yield "sqrt", Call("sqrt", (e,))
        if broad and isinstance(e, Bin) and e.op in "+-" and self.array_valued(e):
            yield "sign", Call("sign", (e,))

    def brackets(self, e: Bin) -> Iterator[tuple[str, Expr]]:
        """A term added to the whole expression that belongs to a part of it (missing
        brackets): ``a - b/c + eps`` → ``a - b/(c + eps)``."""
        term, rest = e.right, e.left
        if not isinstance(term, (Var, Num)) or e.op == "**":
            return
        for path, node in nodes(rest):
            if 0 < len(path) <= 4 and not isinstance(node, Num):
                yield "brackets", replace_at(rest, path, Bin(e.op, node, term))

    def single_edits(self, i: int, broad: bool) -> list[tuple[str, int, Path, Expr, Expr]]:
        """(kind, statement, path, old node, new node) for every one-node edit of statement i
        (cheap: the candidate rule is only built when it is tried, see :meth:`build`)."""
        value = self.statements[i].value
        return [(kind, i, path, e, new) for path, e in nodes(value) for kind, new in self.node_edits(e, i, _in_denominator(value, path), broad)]

    def build(self, edit: tuple[str, int, Path, Expr, Expr]) -> Candidate | None:
        kind, i, path, old, new = edit
        s = self.statements[i]
        value = replace_at(s.value, path, new)
        if isinstance(value, Var) and value.name == s.target:
            return None  # x = x: that is removing the line, tried as such
        return Candidate(_with_statement(self.statements, i, value), kind, i, path, old, new)

    # -- edits of whole statements ------------------------------------------------------------------
    def statement_edits(self) -> Iterator[Candidate]:
        st = self.statements
        n = len(st)
        # moving or deleting one pass of a loop's line, or inserting a line between two of its
        # passes, is not an edit of the text: only whole lines outside loops move
        loop = [_in_loop(st, i) for i in range(n)]
        for i in range(n):
            if loop[i]:
                continue
            for j in range(n + 1):
                if j in (i, i + 1) or (0 < j < n and loop[j - 1] and loop[j]):
                    continue
                order = list(range(n))
                order.remove(i)
                order.insert(j if j < i else j - 1, i)
                yield Candidate(tuple(st[k] for k in order), "move", i, moves_to=j)
        for i in range(n):
            rest = st[:i] + st[i + 1 :]
            if rest and not loop[i]:
                yield Candidate(rest, "delete", i)
        given = set(self.inputs)
        decay_statements = [
            Assign(r.target, _rename(r.value, {}), r.line, r.col)  # the reference's text is not the user's: no spans
            for r in self.reference.statements
            if r.target in given and all(v.name in given for v in iter_vars(r.value))
        ]
        for r in decay_statements:
            for j in range(n + 1):
                if 0 < j < n and loop[j - 1] and loop[j]:
                    continue
                yield Candidate(st[:j] + (r,) + st[j:], "insert", min(j, n - 1), moves_to=j, inserted=r)
            if "wd" not in {v.name for v in iter_vars(r.value)}:
                continue
            for i, s in enumerate(st):
                if loop[i] or "wd" not in {v.name for v in iter_vars(s.value)}:
                    continue
                if s.target != r.target:  # a whole line of the other form of decay
                    yield Candidate(st[:i] + (r,) + st[i + 1 :], "decay-form", i, inserted=r)
                for path, node in nodes(s.value):  # a decay term inside the step, moved out as the reference does it
                    if isinstance(node, Bin) and node.op in "+-" and "wd" in {v.name for v in iter_vars(node.right)} and "wd" not in {v.name for v in iter_vars(node.left)}:
                        kept = replace(s, value=replace_at(s.value, path, node.left))
                        yield Candidate((r,) + st[:i] + (kept,) + st[i + 1 :], "decay-form", i, path, node, node.left, inserted=r)

    def reference_terms(self, mapping: dict[str, str]) -> list[Expr]:
        """The reference's sub-expressions, in the user's names, smallest first."""
        seen: list[Expr] = []
        for r in self.reference.statements:
            for _, e in nodes(_rename(r.value, mapping)):
                if not isinstance(e, (Num, Var)) and e not in seen and size(e) <= 12:
                    seen.append(e)
        seen.sort(key=size)
        return seen

    def reference_swaps(self, i: int, terms: list[Expr]) -> Iterator[Candidate]:
        s = self.statements[i]
        for path, e in nodes(s.value):
            mine = set(self.runner.names_read(e))
            for term in terms:
                if term == e:
                    continue
                if mine & set(self.runner.names_read(term)) or isinstance(e, Num):
                    yield Candidate(_with_statement(self.statements, i, replace_at(s.value, path, term)), "reference", i, path, e, term)

    def pairs(self, i: int) -> Iterator[Candidate]:
        s = self.statements[i]
        if size(s.value) > MAX_PAIR_NODES:
            return
        edits = [(path, kind, new) for path, e in nodes(s.value) for kind, new in self.node_edits(e, i, _in_denominator(s.value, path), False) if kind in _PAIR_KINDS]
        edits.sort(key=lambda x: PRIORITY.get(x[1], 9))
        for a in range(len(edits)):
            pa, ka, na = edits[a]
            for b in range(a + 1, len(edits)):
                pb, kb, nb = edits[b]
                if pa[: len(pb)] == pb or pb[: len(pa)] == pa:
                    continue
                value = replace_at(replace_at(s.value, pa, na), pb, nb)
                common = _common_prefix(pa, pb)
                yield Candidate(_with_statement(self.statements, i, value), "pair", i, common, node_at(s.value, common), node_at(value, common))


_PAIR_KINDS = {"complement", "name", "number", "op", "negate", "t-shift", "square", "unsquare", "abs-to-square", "function", "factor", "factor-drop", "term-drop", "divisor-drop", "bias-drop"}


def _common_prefix(a: Path, b: Path) -> Path:
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return a[:k]


def _in_denominator(e: Expr, path: Path) -> bool:
    node = e
    for k in path:
        if isinstance(node, Bin) and node.op == "/" and k == 1:
            return True
        node = children(node)[k]
    return False


def _rename(e: Expr, mapping: dict[str, str]) -> Expr:
    if isinstance(e, Var):
        return Var(mapping.get(e.name, e.name)) if e.name in mapping else Var(e.name)
    kids = children(e)
    if not kids:
        return replace(e, span=None)
    return with_children(e, [_rename(k, mapping) for k in kids])


# -- 4. Words -------------------------------------------------------------------------------------


_NORM_WORDS = {"sum": "the sum", "mean": "the mean", "norm": "the L2 norm ‖·‖"}


def _describe_norm(e: Expr) -> str | None:
    """'the L1 norm (the sum of |g|)' for sum(abs(g)), and the like."""
    if isinstance(e, Call) and e.func in ("sum", "mean") and isinstance(e.args[0], Call) and e.args[0].func == "abs":
        return "the L1 norm (the sum of |g|)" if e.func == "sum" else "the mean of |g|"
    if isinstance(e, Call) and e.func == "sqrt" and isinstance(e.args[0], Call) and e.args[0].func == "mean":
        return "the RMS of g (the root of the mean of g²)"
    if isinstance(e, Call) and e.func == "sum" and isinstance(e.args[0], Bin) and e.args[0].op == "**":
        return "the squared norm ‖g‖² (no square root)"
    if isinstance(e, Call) and e.func == "norm":
        return "the L2 norm ‖g‖"
    return None


class Describer:
    """Puts a repair into words."""

    def __init__(self, drill: Drill, rule: Rule, write: Writer):
        self.drill = drill
        self.rule = rule
        self.write = write

    def shown(self, name: str) -> str:
        return self.drill.symbol(name) if name in self.drill.names else self.write.name(name)

    def repair_of(self, c: Candidate) -> Repair:
        return replace(self._repair_of(c), statement=c.line_index + 1)

    def _repair_of(self, c: Candidate) -> Repair:
        st = self.rule.statements
        s = st[c.line_index]
        if c.kind == "move":
            text = _statement_text(self.rule, s, self.write)
            target = c.moves_to or 0
            if target < len(st):
                return Repair(s.line, s.col, text, text, "move", st[target].line, c.kind, position="before")
            return Repair(s.line, s.col, text, text, "move", st[-1].line, c.kind, position="after")
        if c.kind == "delete":
            return Repair(s.line, s.col, _statement_text(self.rule, s, self.write), "", "delete", None, c.kind)
        if c.kind == "insert":
            assert c.inserted is not None
            j = c.moves_to or 0
            line = st[j].line if j < len(st) else st[-1].line + 1
            return Repair(line, 1, "", _assignment_text(c.inserted, self.write), "insert", None, c.kind)
        if c.kind == "decay-form" and c.old is not None and c.inserted is not None:
            return Repair(s.line, s.col, _statement_text(self.rule, s, self.write), f"{_assignment_text(c.inserted, self.write)}; {self.write.name(s.target)} = {self.write(replace_at(s.value, c.path or (), c.new or c.old))}", "replace", None, c.kind)
        if c.kind in ("decay-form", "rewrite"):
            assert c.inserted is not None
            return Repair(s.line, s.col, _statement_text(self.rule, s, self.write), _assignment_text(c.inserted, self.write), "replace", None, c.kind)
        assert c.old is not None and c.new is not None
        if not c.path and c.old.span is None:  # the whole value of `p -= …`: say the whole line
            return Repair(s.line, s.col, _statement_text(self.rule, s, self.write), _assignment_text(replace(s, value=c.new), self.write), "replace", None, c.kind)
        col = _column(self.rule.source, c.old.span[0]) if c.old.span is not None else s.col
        after = self.write(c.new)
        if c.path and _needs_brackets(node_at(s.value, c.path[:-1]), c.path[-1], c.new):
            after = f"({after})"  # so that `to` can be pasted in place of `from`
        return Repair(s.line, col, self.write(c.old), after, "replace", None, c.kind)

    def sentence(self, c: Candidate, r: Repair) -> str:
        """What the repair says about the mistake, then the repair itself."""
        why = self.why(c)
        st = self.rule.statements
        here = line_label(self.rule, st[c.line_index])
        if r.edit == "move":
            j = c.moves_to or 0
            where, other = ("before", st[j]) if j < len(st) else ("after", st[-1])
            fix = f"Move line {here} {where} line {line_label(self.rule, other)} and it passes."
        elif r.edit == "delete":
            fix = f"Remove line {here} (`{r.before}`) and it passes."
        elif r.edit == "insert":
            j = c.moves_to or 0
            fix = f"Add `{r.after}` " + (f"before line {line_label(self.rule, st[j])}" if j < len(st) else "at the end") + " and it passes."
        elif c.kind == "decay-form" and c.old is not None:
            term = c.old.right if isinstance(c.old, Bin) else c.old
            sign = "- " if isinstance(c.old, Bin) and c.old.op == "-" else "+ "
            fix = f"Drop `{sign}{self.write(term)}` from line {here} and start with `{_assignment_text(c.inserted, self.write)}`, and it passes."  # type: ignore[arg-type]
        elif c.kind in ("decay-form", "rewrite"):
            fix = f"Write line {here} as `{r.after}` and it passes."
        else:
            fix = f"Change `{r.before}` to `{r.after}` on line {here}{self.branch(c)} and it passes."
        return f"{why} {fix}" if why else fix

    def branch(self, c: Candidate) -> str:
        """", in the branch for t <= warmup" when the edit sits in a where() branch."""
        if c.path is None:
            return ""
        node = self.rule.statements[c.line_index].value
        words = ""
        for k in c.path:
            if isinstance(node, Call) and node.func == "where" and k in (1, 2):
                cond = self.write(node.args[0])
                read = {v.name for v in iter_vars(node.args[0])}
                if self.drill.kind == "schedule" and {"t", "warmup"} <= read:
                    warm_first = isinstance(node.args[0], Cmp) and node.args[0].op in ("<", "<=") and isinstance(node.args[0].left, Var) and node.args[0].left.name == "t"
                    phase = ("warmup", "decay") if warm_first else ("decay", "warmup")
                    words = f", in the {phase[k - 1]} branch (where({cond}, …))"
                else:
                    words = f", in the branch for {cond}" if k == 1 else f", in the branch for not ({cond})"
            node = children(node)[k]
        return words

    def _move(self, c: Candidate) -> str:
        st = self.rule.statements
        i = c.line_index
        s = st[i]
        j = c.moves_to or 0
        later = j > i
        jumped = st[i + 1 : j] if later else st[j:i]
        x = s.target
        reads = lambda t, name: any(v.name == name for v in iter_vars(t.value))  # noqa: E731
        decay = lambda t: "wd" in {v.name for v in iter_vars(t.value)} and t.target == "p"  # noqa: E731
        if decay(s) or any(decay(t) for t in jumped):
            if (decay(s) and not later) or (not decay(s) and later):
                return "You decay θ after the step; the reference decays the θ from before it (decay first)."
            return "You decay θ before this step's other terms read it; the reference decays it afterwards."
        if later:
            used = next((t for t in jumped if t.target in {v.name for v in iter_vars(s.value)}), None)
            if used is not None:
                return f"Line {line_label(self.rule, s)} ({self.shown(x)}) uses {self.shown(used.target)} before line {line_label(self.rule, used)} updates it; the reference updates {self.shown(used.target)} first."
            reader = next((t for t in jumped if reads(t, x)), None)
            if reader is not None:
                return f"Line {line_label(self.rule, reader)} ({self.shown(reader.target)}) reads the {self.shown(x)} line {line_label(self.rule, s)} has just updated; the reference uses the previous step's {self.shown(x)} there and updates {self.shown(x)} afterwards."
        else:
            reader = next((t for t in jumped if reads(t, x)), None)
            if reader is not None:
                return f"Your {self.shown(x)} is updated after line {line_label(self.rule, reader)} ({self.shown(reader.target)}) uses it; the reference updates {self.shown(x)} first."
            used = next((t for t in jumped if t.target in {v.name for v in iter_vars(s.value)}), None)
            if used is not None:
                return f"Line {line_label(self.rule, s)} ({self.shown(x)}) reads the {self.shown(used.target)} line {line_label(self.rule, used)} has just updated; the reference uses the previous step's {self.shown(used.target)}."
        return f"Line {line_label(self.rule, s)} ({self.shown(x)}) is in the wrong place."

    def why(self, c: Candidate) -> str:
        st = self.rule.statements
        s = st[c.line_index]
        line = line_label(self.rule, s)
        who = self.shown(s.target)
        W = self.write
        if c.kind == "move":
            return self._move(c)
        if c.kind == "delete":
            return f"Line {line} is not part of the reference rule" + (" (it applies the weight decay a second time)." if "wd" in {v.name for v in iter_vars(s.value)} else ".")
        if c.kind == "insert":
            assert c.inserted is not None
            role = _decay_words(c.inserted)
            return f"Your rule is missing {role}." if role else "Your rule is missing a line of the reference."
        if c.kind == "decay-form":
            assert c.inserted is not None
            if c.old is not None and isinstance(c.old, Bin) and not _is_decoupled_decay(c.old.right) and c.inserted.target == "g":
                if s.target != "p":
                    return f"The decay term {self.write(c.old.right)} on line {line} is not the reference's: the reference adds λ·θ to the gradient (g + λ·θ)."
                return f"Line {line} adds {self.write(c.old.right)} to θ outside the gradient step; the reference adds λ·θ to the gradient (L2), so it is scaled by η and subtracted with it."
            if c.inserted.target == "p":
                return f"Line {line} adds λ·θ to the gradient (L2); this drill decays θ directly (decoupled, as AdamW does)."
            return f"Line {line} decays θ directly (decoupled, as AdamW does); this drill adds λ·θ to the gradient (L2), as torch.optim.{'Adam' if 'b1' in self.drill.names else 'SGD'} does."
        if c.kind == "rewrite":
            return ""
        old, new = c.old, c.new
        assert old is not None and new is not None
        k = c.kind
        if k == "complement":
            beta = new if isinstance(new, Var) else old
            b = W(beta)
            return f"On line {line}, {b} and 1 − {b} are the wrong way round."
        if k == "weights":
            return f"On line {line} the two weights are swapped."
        if k == "eps-out":
            return f"On line {line} ε is inside the square root; the reference adds it after the root."
        if k == "eps-in":
            return f"On line {line} ε is outside the square root; here the reference puts it inside."
        if k == "eps-add":
            return f"On line {line} ε is missing from the denominator."
        if k == "brackets":
            return f"Line {line} is missing brackets: `{W(old)}` adds {W(old.right) if isinstance(old, Bin) else 'a term'} to the whole expression."
        if k == "bias-add":
            b = _is_bias_divisor(new.right) if isinstance(new, Bin) else None
            return f"Your {W(old)} on line {line} is not bias-corrected; the reference divides it by 1 − {self.shown(b or 'b1')}ᵗ."
        if k == "bias-drop":
            assert isinstance(old, Bin)
            return f"The bias correction of {W(old.left)} on line {line} is not in the reference."
        if k == "t-shift":
            if isinstance(old, Var):
                return f"Line {line} is one step off: the reference has {W(new)} where you have {W(old)}."
            return f"Line {line} uses {W(old)} where the reference uses {W(new)} (t is 1 at the first step and counts this step)."
        if k == "square":
            if isinstance(old, Var) and old.name == "g" and s.target != self.drill.target:
                return f"Your {who} on line {line} is built from {W(old)}; the reference's is built from {W(old)}² (it averages the squared gradient)."
            return f"Line {line} uses {W(old)} where the reference has {W(old)}²."
        if k == "unsquare":
            return f"Line {line} squares {W(new)}; the reference uses {W(new)} itself."
        if k == "abs-to-square":
            assert isinstance(old, Call)
            return f"Line {line} uses |{W(old.args[0])}| where the reference has {W(old.args[0])}²."
        if k == "square-to-abs":
            return f"Line {line} squares where the reference takes the absolute value."
        if k == "norm":
            return f"Line {line} uses {_describe_norm(old) or W(old)}; the reference uses the L2 norm ‖{W(new.args[0]) if isinstance(new, Call) else 'g'}‖."
        if k == "sign":
            return f"The reference takes the sign of {W(old)} on line {line}."
        if k == "sign-drop":
            return f"Line {line} takes the sign of {W(new)}; the reference uses {W(new)} itself."
        if k == "sqrt-drop":
            return f"Line {line} takes the square root of {W(new)}; the reference does not."
        if k == "function-drop":
            assert isinstance(old, Call)
            a, b = _describe_norm(old), _describe_norm(new)
            if a and b:
                return f"Line {line} uses {a}; the reference uses {b}."
            return f"The reference does not apply {_SHOWN_FUNCTIONS.get(old.func, old.func)}() to {W(new)} on line {line}."
        if k == "function":
            assert isinstance(old, Call) and isinstance(new, Call)
            a, b = _describe_norm(old), _describe_norm(new)
            if a and b:
                return f"Line {line} uses {a}; the reference uses {b}."
            shown = lambda f: _SHOWN_FUNCTIONS.get(f, f)  # noqa: E731
            return f"Line {line} takes the {shown(old.func)} where the reference takes the {shown(new.func)}."
        if k == "branches":
            return f"The two branches of where() on line {line} are swapped."
        if k == "compare":
            return f"The condition on line {line} is off at the boundary (< versus ≤)."
        if k == "op":
            assert isinstance(old, Bin) and isinstance(new, Bin)
            words = {"+": "adds", "-": "subtracts", "*": "multiplies by", "/": "divides by"}
            return f"Line {line} {words[old.op]} {W(old.right)} where the reference {words[new.op]} it."
        if k == "order":
            return f"On line {line} the two sides of `{W(old)}` are the wrong way round."
        if k == "negate":
            return f"The sign of `{W(new if isinstance(old, Unary) else old)}` on line {line} is flipped."
        if k == "name":
            if not isinstance(old, Var):
                return f"Line {line} uses `{W(old)}` where the reference reads {W(new)}."
            return f"Line {line} uses {W(old)} where the reference uses {W(new)}."
        if k == "factor":
            assert isinstance(new, Bin)
            factor = new.right if new.left == old else new.left
            return f"`{W(old)}` on line {line} is missing a factor {W(factor)}."
        if k == "factor-drop":
            assert isinstance(old, Bin)
            other = old.right if new == old.left else old.left
            return f"The factor {W(other)} on line {line} is not in the reference."
        if k == "term-drop":
            assert isinstance(old, Bin)
            other = old.right if new == old.left else old.left
            return f"The term {W(other)} on line {line} is not in the reference."
        if k == "divisor-drop":
            assert isinstance(old, Bin)
            return f"The reference does not divide by {W(old.right)} on line {line}."
        if k == "sqrt":
            return f"A square root is missing on line {line}: the reference takes √ of {W(old)}."
        if k == "number":
            if isinstance(old, Num):
                return f"The constant {W(old)} on line {line} differs from the reference's."
            return f"Line {line} has {W(old)} where the reference has {W(new)}."
        if k == "reference":
            return f"On line {line} the reference has `{W(new)}` where you have `{W(old)}`."
        if k == "pair":
            return f"Line {line} differs from the reference in two places."
        return f"On line {line} the reference has just `{W(new)}` where you have `{W(old)}`."


def _is_decoupled_decay(e: Expr) -> bool:
    """lr*wd*p in any order (the decoupled decay term)."""
    factors: list[str] = []

    def walk(x: Expr) -> bool:
        if isinstance(x, Bin) and x.op == "*":
            return walk(x.left) and walk(x.right)
        if isinstance(x, Var):
            factors.append(x.name)
            return True
        return False

    return walk(e) and sorted(factors) == ["lr", "p", "wd"]


def _decay_words(s: Assign) -> str:
    read = {v.name for v in iter_vars(s.value)}
    if "wd" in read and s.target == "g":
        return "the weight decay (L2: λ·θ added to the gradient)"
    if "wd" in read and s.target == "p":
        return "the weight decay (θ decayed directly by η·λ·θ)"
    return ""


def _column(source: str, index: int) -> int:
    return index - (source.rfind("\n", 0, index) + 1) + 1


def _statement_text(rule: Rule, s: Assign, write: Writer) -> str:
    if s.span is not None:
        text = rule.source[s.span[0] : s.span[1]]
        if text.strip() and "\n" not in text:
            return " ".join(text.split())
    return _assignment_text(s, write)


def _assignment_text(s: Assign, write: Writer) -> str:
    return f"{write.name(s.target)} = {write(s.value)}"


# -- 1b. Inside the wrong statement: which term, which phase -------------------------------------------


def _inline(statements: Sequence[Assign], upto: int, keep: set[str]) -> Expr:
    """Statement ``upto``'s value with earlier temporaries substituted in (names in ``keep``
    — state and inputs — stay names, and so do names assigned more than once: an iterated
    quantity, Newton–Schulz's X, would otherwise grow a tree exponential in the iterations)."""
    assigned = [s.target for s in statements]
    keep = keep | {name for name in assigned if assigned.count(name) > 1}
    env: dict[str, Expr] = {}
    for s in statements[:upto]:
        env[s.target] = _substitute(s.value, env, keep)
    return _substitute(statements[upto].value, env, keep)


def _substitute(e: Expr, env: dict[str, Expr], keep: set[str]) -> Expr:
    if isinstance(e, Var):
        return env[e.name] if e.name in env and e.name not in keep else e
    kids = children(e)
    if not kids:
        return e
    new = [_substitute(k, env, keep) for k in kids]
    return e if all(a is b for a, b in zip(new, kids)) else with_children(e, new)


def align(mine: Expr, theirs: Expr, env_mine: dict[str, Any], env_theirs: dict[str, Any], close: Callable[[Any, Any], bool]) -> tuple[Expr, Expr]:
    """The smallest pair of matching-shape sub-terms whose values differ (top-down: descend
    while exactly one pair of children differs)."""

    def val(e: Expr, env: dict[str, Any]) -> Any:
        with np.errstate(all="ignore"):
            try:
                return np.asarray(compile_expression(e)(env), dtype=np.float64)
            except (ArithmeticError, TypeError, ValueError, RuntimeError, IndexError, KeyError):
                return None

    while True:
        a_kids, b_kids = children(mine), children(theirs)
        same_shape = type(mine) is type(theirs) and len(a_kids) == len(b_kids) and a_kids and getattr(mine, "op", None) == getattr(theirs, "op", None) and getattr(mine, "func", None) == getattr(theirs, "func", None)
        if not same_shape:
            return mine, theirs
        pairs = list(zip(a_kids, b_kids))
        if isinstance(mine, Bin) and mine.op in "+*":
            straight = [(x, y) for x, y in pairs]
            crossed = [(a_kids[0], b_kids[1]), (a_kids[1], b_kids[0])]
            ok_crossed = sum(1 for x, y in crossed if _equal(val(x, env_mine), val(y, env_theirs), close))
            ok_straight = sum(1 for x, y in straight if _equal(val(x, env_mine), val(y, env_theirs), close))
            pairs = crossed if ok_crossed > ok_straight else straight
        differing = [(x, y) for x, y in pairs if not _equal(val(x, env_mine), val(y, env_theirs), close)]
        if len(differing) != 1:
            return mine, theirs
        mine, theirs = differing[0]


def _equal(a: Any, b: Any, close: Callable[[Any, Any], bool]) -> bool:
    if a is None or b is None:
        return False
    try:
        with np.errstate(all="ignore"):
            return close(a, np.asarray(b, dtype=np.float64))
    except ValueError:
        return False


# -- The whole diagnosis --------------------------------------------------------------------------------


_REFERENCE_RULES: dict[str, Rule] = {}
_REFERENCE_TRACES: dict[str, list[list[list[Any]]]] = {}


def reference_rule(drill: Drill) -> Rule:
    if drill.name not in _REFERENCE_RULES:
        from gdgrill.drill.judge import parse_for

        _REFERENCE_RULES[drill.name] = parse_for(drill, drill.reference_rule)
    return _REFERENCE_RULES[drill.name]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _bare(role: str) -> str:
    """'the momentum buffer (…)' → 'momentum buffer (…)', to follow "the reference's"."""
    return role[4:] if role.startswith("the ") else role


def diagnose(drill: Drill, rule: Rule, yours: list[np.ndarray], misconception: Mutant | None = None, *, budget: int | None = None) -> Diagnosis:
    """Localise the mistake in ``rule`` (which fails ``drill``) and look for a repair."""
    started = time.perf_counter()
    if budget is None:
        budget = KNOWN_MISTAKE_WORK if misconception is not None else WORK_BUDGET
    cases = make_cases(drill)
    runner = Runner(drill, cases)
    ref = reference_rule(drill)
    write = Writer(rule.source, spellings_of(rule, drill))

    user_traces = [runner.trace(rule.statements, c) for c in cases]
    if drill.name not in _REFERENCE_TRACES:
        _REFERENCE_TRACES[drill.name] = [runner.trace(ref.statements, c) for c in cases]
    ref_traces = _REFERENCE_TRACES[drill.name]
    mapping = map_statements(drill, runner, rule.statements, ref.statements, user_traces, ref_traces)
    # the reference's names as the user calls them (for rewriting reference terms)
    to_user: dict[str, str] = {}
    for i, j in enumerate(mapping.counterpart):
        if j is not None and mapping.exact[i]:
            rt = ref.statements[j].target
            if rt not in to_user and rt not in drill.names:
                to_user[rt] = rule.statements[i].target
    departure, first = _departure(drill, rule, ref, mapping, user_traces, ref_traces, cases, write)
    nonfinite = trace_nonfinite(drill, runner, rule, write) if not all(np.isfinite(y).all() for y in yours) else None

    # cases in the order a wrong candidate is most likely to fail
    first_case = mapping.depart_case[first] if first is not None and mapping.depart_case[first] >= 0 else 0
    order = [first_case] + [k for k in range(len(cases)) if k != first_case]
    search = Search(drill, rule, ref, runner)
    aligned = _alignment(drill, rule, ref, first, mapping, cases, runner)
    repair_candidate = _search(search, runner, order, first, to_user, mapping, ref, started, budget, aligned)

    describe = Describer(drill, rule, write)
    parts: list[str] = []
    if misconception is not None:
        parts.append(f"{misconception.title}.")
    if nonfinite is not None:
        parts.append(nonfinite.text)
    repair = None
    if repair_candidate is not None:
        repair = describe.repair_of(repair_candidate)
        i = repair_candidate.line_index
        j = mapping.counterpart[i] if i < len(mapping.counterpart) else None
        if repair_candidate.kind not in ("move", "insert", "delete") and j is not None and mapping.exact[i] and not mapping.identical[i]:
            # the line is right up to a constant: that constant is the mistake
            factor = scale_words(drill, [_ratio(ut[i], rt[j]) for ut, rt in zip(user_traces, ref_traces)], cases)
            s_i = rule.statements[i]
            name = describe.shown(s_i.target)
            role = drill.role(ref.statements[j].target)
            ref_words = f"the reference's {_bare(role)}" if role else f"the reference's {ref.statements[j].target}"
            if factor == "−1":
                parts.append(f"Your {name} on line {line_label(rule, s_i)} is the negative of {ref_words}.")
            elif factor:
                parts.append(f"Your {name} on line {line_label(rule, s_i)} is {factor} times {ref_words}.")
            first_values = (float(np.ravel(user_traces[0][i][0])[0]), float(np.ravel(ref_traces[0][j][0])[0]))
            departure = Departure(s_i.line, i + 1, name, ref.statements[j].target, role, 1, cases[0].label, *first_values)
        parts.append(describe.sentence(repair_candidate, repair))
        if repair_candidate.kind == "rewrite" and departure is not None:
            parts.insert(len(parts) - 1, _departure_sentence(departure, drill, rule))
    elif departure is not None:
        parts.append(_departure_sentence(departure, drill, rule))
        extra = _inside(drill, rule, ref, first, mapping, aligned, write, to_user)
        if extra:
            parts.append(extra)
        missing = _missing_state(drill, rule, ref, mapping, write)
        if missing:
            parts.append(missing)
    if not parts:
        parts.append("It matches none of the known mistakes, and no single change of it passes.")
    return Diagnosis(" ".join(parts), repair, departure, nonfinite, runner.runs, runner.work, time.perf_counter() - started)


def _departure(drill: Drill, rule: Rule, ref: Rule, mapping: Mapping, user_traces: Any, ref_traces: Any, cases: list[Case], write: Writer) -> tuple[Departure | None, int | None]:
    candidates = [(mapping.depart_step[i], i) for i in range(len(rule.statements)) if mapping.counterpart[i] is not None and mapping.depart_step[i] != math.inf]
    if not candidates:
        return None, None
    step, i = min(candidates)
    j = mapping.counterpart[i]
    assert j is not None
    c = mapping.depart_case[i]
    k = int(step) - 1
    mine, theirs = _comparable(user_traces[c][i][k], ref_traces[c][j][k])
    gap = np.abs(mine - theirs)
    gap[np.isnan(gap)] = np.inf
    at = int(np.argmax(gap))
    s = rule.statements[i]
    ref_name = ref.statements[j].target
    name = drill.symbol(s.target) if s.target in drill.names else write.name(s.target)
    return Departure(s.line, i + 1, name, ref_name, drill.role(ref_name), int(step), cases[c].label, float(mine[at]), float(theirs[at])), i


def _comparable(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Two values as flat float64 arrays of one size (a scalar is spread; a misfit shape
    compares first elements)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    try:
        x, y = np.broadcast_arrays(x, y)
    except ValueError:
        x, y = x.ravel()[:1], y.ravel()[:1]
    return np.ravel(x), np.ravel(y)


def _departure_sentence(d: Departure, drill: Drill, rule: Rule) -> str:
    role = f" ({d.role})" if d.role else ""
    when = _phase(drill, d)
    return f"Line {line_label(rule, rule.statements[d.statement - 1], d.statement - 1)} is the first to go wrong: your {d.name}{role} departs from the reference's {when}: yours {_fmt(d.yours)}, the reference's {_fmt(d.expected)}."


def _phase(drill: Drill, d: Departure) -> str:
    if drill.kind != "schedule":
        return f"at step {d.step} on '{d.instance}'"
    hp = next(i.hp for i in drill.instances if i.label == d.instance)
    phase = get_schedule(drill.reference).phase(d.step, hp)
    where = f"at t = {d.step} on '{d.instance}'"
    if not phase:
        return where
    warmup = hp.get("warmup")
    return f"{phase}, {where}" + (f" (W = {warmup:g})" if warmup is not None else "")


def _alignment(drill: Drill, rule: Rule, ref: Rule, i: int | None, mapping: Mapping, cases: list[Case], runner: Runner) -> tuple[Expr, Expr] | None:
    """(the user's sub-term, the reference's) where the first wrong statement differs, at
    the step it first does; the user's side is a node of the statement as written."""
    if i is None or mapping.counterpart[i] is None:
        return None
    j = mapping.counterpart[i]
    assert j is not None
    case = cases[mapping.depart_case[i]]
    k = int(mapping.depart_step[i]) - 1
    # the reference's temporaries (m̂, v̂, c) inlined; its state and the drill's names stay
    # names, read from the reference's own environment just before that statement
    theirs = _inline(ref.statements, j, set(ref.state) | set(drill.names))
    a, b = align(rule.statements[i].value, theirs, _env_at(runner, rule.statements, case, k, i), _env_at(runner, ref.statements, case, k, j), runner.close)
    return a, b


def _inside(drill: Drill, rule: Rule, ref: Rule, i: int | None, mapping: Mapping, found: tuple[Expr, Expr] | None, write: Writer, to_user: dict[str, str]) -> str:
    """Which term of the wrong statement differs, in words."""
    if i is None or found is None:
        return ""
    j = mapping.counterpart[i]
    assert j is not None
    a, b = found
    if a is rule.statements[i].value:
        full = _inline(ref.statements, j, set(ref.state))
        shown = write(_rename(full, to_user), keep_original=False)
        return f"The reference computes {write.name(to_user.get(ref.statements[j].target, ref.statements[j].target))} = {shown}."
    return f"On that line, `{write(a)}` is where it differs: the reference has `{write(_rename(b, to_user), keep_original=False)}` there."


def _env_at(runner: Runner, statements: Sequence[Assign], case: Case, k: int, i: int) -> dict[str, Any]:
    _, envs = runner.trace(statements, case, before=True)
    return envs[i][k]


def _missing_state(drill: Drill, rule: Rule, ref: Rule, mapping: Mapping, write: Writer) -> str:
    """A reference state variable the user's rule has no counterpart for (signSGD in Lion)."""
    covered = {ref.statements[j].target for j in mapping.counterpart if j is not None}
    missing = [n for n in ref.state if n not in covered and n not in drill.names]
    if not missing or len(rule.state) >= len(ref.state):
        return ""
    words = [f"{n} ({drill.role(n)})" if drill.role(n) else n for n in missing]
    if not rule.state:
        return f"Your rule keeps no state between steps; the reference keeps {', '.join(words)}."
    return f"Your rule has nothing standing for the reference's {', '.join(words)}."


def _search(search: Search, runner: Runner, order: list[int], first: int | None, to_user: dict[str, str], mapping: Mapping, ref: Rule, started: float, budget: int, aligned: tuple[Expr, Expr] | None = None) -> Candidate | None:
    """The first candidate (in the order below) that passes every case:

    0. when the first wrong line's differing term is known (see :func:`align`): the
       reference's term in its place, then the edits inside that term;
    1. one-term edits of the first wrong line and of the lines that only match the reference
       up to a constant factor (a missing 1 − β there shows up later), most telling first;
    2. a statement moved, deleted or added (the reference's decay line), or the decay's form;
    3. one-term edits of the other lines, nearest first;
    4. a term of the reference in place of one of the user's;
    5. two one-term edits on the first wrong line (then the next nearest);
    6. the first wrong line rewritten as the reference computes it."""
    n = len(search.statements)
    anchor = first if first is not None else n - 1
    scaled = [i for i in range(n) if mapping.exact[i] and mapping.counterpart[i] is not None and not _same_values(mapping, i)]
    # temporaries with no counterpart that the first wrong line reads this step (the mistake
    # may be in `grad = g + 2*wd*p`, which θ's line only passes on)
    feeding = [i for i in range(anchor) if mapping.counterpart[i] is None and search.statements[i].target in runner.names_read(search.statements[anchor].value)]
    focus = [i for i in scaled if i != anchor] + feeding + [anchor]
    rest = sorted((i for i in range(n) if i not in focus), key=lambda i: (abs(i - anchor), i))
    hashes = _Hasher()
    seen: set[Any] = {hashes.of(search.statements)}

    def ranked(lines: list[int], broad_line: int | None) -> Iterator[Candidate]:
        edits = [e for i in lines for e in search.single_edits(i, broad=i == broad_line)]
        rank = {i: k for k, i in enumerate(lines)}
        edits.sort(key=lambda e: (PRIORITY.get(e[0], 9), rank[e[1]]))
        for edit in edits:
            cand = search.build(edit)
            if cand is not None:
                yield cand

    def targeted() -> Iterator[Candidate]:
        if aligned is None or first is None:
            return
        a, b = aligned
        value = search.statements[first].value
        where = next((path for path, e in nodes(value) if e is a), None)
        if not where:  # not found, or the whole line: nothing narrower than tier 1
            return
        inside = [e for e in search.single_edits(first, broad=True) if e[2][: len(where)] == where]
        inside.sort(key=lambda e: PRIORITY.get(e[0], 9))
        b_user = _rename(b, to_user)
        theirs = Candidate(_with_statement(search.statements, first, replace_at(value, where, b_user)), classify(a, b_user), first, where, a, b_user)
        told = False
        for edit in inside:
            if not told and PRIORITY.get(edit[0], 9) > 2:
                told = True
                yield theirs  # after the telling edits of that term, before the blunt ones
            cand = search.build(edit)
            if cand is not None:
                yield cand
        if not told:
            yield theirs

    def tiers() -> Iterator[Iterable[Candidate]]:
        if scaled:  # a line off by a constant: its own edits first (m = β·m + g)
            yield ranked([i for i in scaled if i != anchor], None)
        yield targeted()
        yield ranked(focus, anchor)
        yield search.statement_edits()
        yield ranked(rest, None)
        terms = search.reference_terms(to_user)
        for i in [*focus, *rest]:
            yield search.reference_swaps(i, terms)
        for i in [anchor, *rest[:1]]:
            yield search.pairs(i)

    for tier in tiers():
        for cand in tier:
            key = hashes.of(cand.statements)
            if key in seen:
                continue
            seen.add(key)
            if runner.work >= budget or time.perf_counter() - started > MAX_SECONDS:
                break
            if runner.passes(cand.statements, order):
                return cand
        else:
            continue
        break
    # the last resort costs one run, so it is tried even when the budget is spent
    if first is not None and mapping.counterpart[first] is not None:
        for cand in _rewrite(search, first, ref.statements[mapping.counterpart[first]], to_user):
            if hashes.of(cand.statements) not in seen and runner.passes(cand.statements, order):
                return cand
    return None


def _same_values(mapping: Mapping, i: int) -> bool:
    return mapping.identical[i]


def _rewrite(search: Search, i: int, r: Assign, to_user: dict[str, str]) -> Iterator[Candidate]:
    new = _with_statement(search.statements, i, _rename(r.value, to_user))
    yield Candidate(new, "rewrite", i, inserted=new[i])


class _Hasher:
    """Structural hashes of statement lists, memoised per node (candidates share most of
    their sub-trees with the user's rule, so each costs only its new nodes)."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[int, Expr]] = {}

    def node(self, e: Expr) -> int:
        hit = self.memo.get(id(e))
        if hit is not None:
            return hit[0]
        if isinstance(e, Num):
            h = hash(("n", e.value))
        elif isinstance(e, Var):
            h = hash(("v", e.name))
        else:
            label = getattr(e, "op", None) or getattr(e, "func", None)
            h = hash((type(e).__name__, label, tuple(self.node(k) for k in children(e))))
        self.memo[id(e)] = (h, e)
        return h

    def of(self, statements: Sequence[Assign]) -> tuple[Any, ...]:
        return tuple((s.target, self.node(s.value)) for s in statements)
