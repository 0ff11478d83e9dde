"""Derive stages: derive the formulas behind a drill's rule, then write the rule.

``gdgrill drill NAME --derive`` works for every drill in
:data:`~gdgrill.drill.derivations.DERIVATIONS` (the stages themselves, as data, are in
:mod:`gdgrill.drill.derivations`). It asks each stage's formula in order, then the drill's own
update rule, graded by its judge. adam-bias, for example, asks:

1. **expectation** — E[m_t] in terms of μ, β₁ and t, for a stationary gradient (E[g_k] = μ)
   and m₀ = 0. The answer is μ·(1 − β₁ᵗ).
2. **correction** — the bias-corrected estimate m̂_t. The rule: *an answer that uses m is
   the estimate itself* and must equal m/(1 − β₁ᵗ); *an answer without m is the factor m_t
   is multiplied by* and must equal 1/(1 − β₁ᵗ) (it is checked as m·answer). So
   ``m/(1 - b1^t)`` and ``1/(1 - b1^t)`` pass; the divisor ``1 - b1^t`` alone does not (read
   as a factor it would make the bias worse, and the explanation says so).
3. **rule** — the update rule, graded by the adam-bias drill's own judge.

A stage may read an answer without a name this way (``factor_of``: the weight-decay stages read
``1 − ηλ`` as the factor θ is multiplied by, ``(1 − ηλ)·θ`` as the new θ), or as a change added to
it (``offset_of``: Adam's first step reads ``−η·sign(g)`` as Δθ₁, ``θ − η·sign(g)`` as θ₁).

An expression answer may start with its left-hand side (``E[m_t] = …``, ``m̂ = …``, ``η < …``,
``θ ← …``), which is ignored. How an expression is checked:

* It is parsed by the drill's safe parser (:mod:`gdgrill.drill.language`; a name directly before
  a bracket is a product, so ``μ(1 − β₁ᵗ)`` reads as ``μ·(1 − β₁ᵗ)``, and an unknown run of the
  stage's one-letter names is their product, so ``ηλ`` reads as ``η·λ``). Only arithmetic and the
  scalar functions in :data:`SCALAR_FUNCTIONS` are allowed; constant exponents above
  :data:`MAX_EXPONENT` and formulas over :data:`MAX_FORMULA_NODES` nodes are refused.
  User text never reaches sympy's string parser (no ``sympify``/``parse_expr``).
* **symbolic** (when sympy is installed): the parsed tree is converted node by node into sympy
  (:func:`to_sympy`), each name a symbol with its domain's assumptions (a neglected name, such as
  ε in Adam's first step, is substituted by its fixed value), and ``simplify(yours − expected) == 0``
  proves the answer right.
* **numeric**: otherwise — sympy missing, simplification timed out (:data:`SIMPLIFY_SECONDS`)
  or returned something non-zero — both formulas are evaluated on :data:`SAMPLES` fixed
  samples of the stage's names (each drawn from its :class:`~gdgrill.drill.derivations.Domain`:
  β ∈ (0, 1), t ∈ {1..50}, …; the first few are easy to check by hand) and compared with a relative
  tolerance. The numeric check decides: a proof always passes; a failed proof passes only if
  every sample agrees, and a sample that disagrees is shown as a counterexample. (sympy's
  ``simplify`` is not complete — e.g. forms with sign or max — so "not proved" is not "wrong".)
* A wrong answer is matched against the stage's known misconceptions (numerically, on the
  same samples) to say what it most likely confuses.

``--derive --answer FILE`` (see :func:`split_answer`): either one section per stage and one for
the rule, separated by lines of ``---``, or, without ``---``, one line per stage and the rest the
rule; blank and ``#`` lines are skipped. For adam-bias::

    E[m_t] = μ(1 − β₁ᵗ)
    m_hat = m/(1 − β₁ᵗ)
    m = β₁·m + (1 − β₁)·g
    v = β₂·v + (1 − β₂)·g²
    θ = θ − η·m/(1 − β₁ᵗ)/(√(v/(1 − β₂ᵗ)) + ε)

All parts are graded. Exit 0 when all pass, 2 when any is refused, else 1. One attempt
is saved (item ``drill/NAME``, mode ``derive``, the per-stage verdicts in ``detail``);
nothing is saved when a part is refused. ``--json`` prints the drill's usual object for the
rule, except that ``verdict`` is the overall verdict and ``message`` a one-line summary, plus::

    "derive": {
      "verdict": "pass" | "fail" | "refused",        # overall
      "<stage id>": {                                  # one per stage, in order ("expectation", …)
        "stage": str, "verdict": str, "answer": str, "method": "symbolic" | "numeric" | null,
        "note": str, "misconception": str | null, "misconception_title": str | null,
        "explanation": str | null, "message": str,
        "counterexample": {"at": {"mu": 1.0, "b1": 0.9, "t": 1}, "yours": x, "expected": y} | null,
        "refusal": {"line": int, "col": int, "reason": str} | null   # lines/cols in the file
      },
      "rule": {the drill's verdict object, without "drill", with "stage": "rule"}
    }

This module is the library side (no terminal, no store): :mod:`gdgrill.drill.command` reads
the answer file, asks the stages interactively, renders and saves. numpy is imported at the top
because the numeric check always runs; sympy only inside :func:`symbolic_equal`.
"""

from __future__ import annotations

import ast
import re
import threading
import zlib
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from gdgrill.drill.catalog import DRILLS
from gdgrill.drill.derivations import (  # noqa: F401  (re-exported: the stages are part of this module's face)
    B1,
    B2,
    CORRECTION,
    DERIVATIONS,
    EXPECTATION,
    NICE_POINTS,
    STAGES,
    M,
    MU,
    T,
    Derivation,
    Misconception,
    Name,
    Stage,
)
from gdgrill.serialize import json_number as _json_number
from gdgrill.drill.language import (
    CONSTANTS,
    FUNCTION_ALIASES,
    FUNCTIONS,
    Bin,
    Call,
    Cmp,
    Converter,
    Expr,
    Num,
    RefusedAnswer,
    Unary,
    Var,
    build_alias_table,
    check_caps,
    evaluate,
    iter_vars,
    parse_python,
)
from gdgrill.errors import UserError

if TYPE_CHECKING:
    from gdgrill.drill.judge import Verdict

DRILL_NAME = "adam-bias"  # the first drill with a derivation: what grade_answer grades unless told
MAX_EXPONENT = 20  # a constant power above this is refused: sympy would expand (1 + μ)^1e6
MAX_FORMULA_NODES = 200  # E[m_t] needs ~10; keeps simplify's work bounded
SIMPLIFY_SECONDS = 3.0
SAMPLES = 400
SEED = 20240607
RTOL = 1e-9
ATOL = 1e-12

# Functions that mean something for a scalar formula, and their sympy names.
SCALAR_FUNCTIONS = {
    "sqrt": "sqrt", "abs": "Abs", "sign": "sign", "exp": "exp", "log": "log", "cos": "cos",
    "sin": "sin", "tanh": "tanh", "maximum": "Max", "minimum": "Min", "pow": "Pow",
}  # fmt: skip


def derivation_for(drill: str) -> Derivation:
    """The derivation of ``drill``; a one-line :class:`UserError` naming those that exist if none."""
    try:
        return DERIVATIONS[drill]
    except KeyError:
        raise UserError(f"--derive: the {drill} drill has no derive stages (drills with them: {', '.join(DERIVATIONS)})") from None


# -- Parsing a formula ------------------------------------------------------------------------


class _FormulaConverter(Converter):
    """The drill's converter, plus two whiteboard habits: a name or a bracket directly before a
    bracket multiplies it (``μ(1 − β₁ᵗ)``, ``(1 − β₁)(μ)``), and an unknown name made only of the
    stage's one-letter names is their product (``ηλ`` is η·λ)."""

    def __init__(self, pos: Any, aliases: Mapping[str, str], known: set[str]):
        super().__init__(pos, aliases)
        self.known = known

    def _letters(self, raw: str) -> list[str] | None:
        """The names of ``raw``'s letters, when it is no name of its own but each letter is one."""
        if len(raw) < 2 or raw in CONSTANTS or self.canonical(raw) in self.known:
            return None
        names = [self.canonical(letter) for letter in raw]
        return names if all(n in self.known for n in names) else None

    def _is_product(self, node: ast.Call) -> bool:
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            return False
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in FUNCTIONS or func.id in FUNCTION_ALIASES:
                return False
            return self.canonical(func.id) in self.known or self._letters(func.id) is not None
        return not isinstance(func, (ast.Attribute, ast.Lambda, ast.Subscript))

    def expr(self, node: ast.AST) -> Expr:
        if isinstance(node, ast.Name):
            letters = self._letters(node.id)
            if letters:
                at = self.pos.of_node(node)
                product: Expr = Var(letters[0], at)
                for name in letters[1:]:
                    product = Bin("*", product, Var(name, at), at)
                return product
        if isinstance(node, ast.Call):
            if self._is_product(node):
                return Bin("*", self.expr(node.func), self.expr(node.args[0]), self.pos.of_node(node))
            func = node.func
            if isinstance(func, ast.Name) and FUNCTION_ALIASES.get(func.id, func.id) not in SCALAR_FUNCTIONS:
                raise self.refuse(node, f"unknown function {func.id!r} (available here: {', '.join(SCALAR_FUNCTIONS)})")
        return super().expr(node)


def _shifted(refusal: RefusedAnswer, line: int, col: int) -> RefusedAnswer:
    """The refusal moved to where the formula sits in the user's text."""
    return RefusedAnswer(refusal.reason, refusal.line + line - 1, refusal.col + (col - 1 if refusal.line == 1 else 0))


def _available(stage: Stage) -> str:
    return ", ".join(n.symbol if n.symbol == n.name else f"{n.symbol} ({n.name})" for n in stage.names)


# A function name, a space, then one number or name: the whiteboard's ``ln 2``, ``ln β``.
_SPACED_CALL = re.compile(r"\b(ln|log|exp|sqrt|sign|sgn|abs)[ \t]+(\d+(?:\.\d*)?|(?!\d)\w+)")


def _spaced_calls(body: str) -> tuple[str, list[int]]:
    """``ln 2/(−ln β)`` → ``ln(2)/(−ln(β))``, and for each character of the result (plus one past
    the end) the index of the character it came from, so a refusal still points into ``body``."""
    out: list[str] = []
    origin: list[int] = []
    at = 0
    for m in _SPACED_CALL.finditer(body):
        out.append(body[at : m.start(2)].rstrip(" \t"))
        origin.extend(range(at, at + len(out[-1])))
        out.append("(" + m.group(2) + ")")
        origin.extend([m.start(2), *range(m.start(2), m.end(2)), m.end(2) - 1])
        at = m.end(2)
    out.append(body[at:])
    origin.extend(range(at, len(body) + 1))
    return "".join(out), origin


def parse_formula(stage: Stage, text: str, line: int = 1) -> Expr:
    """Parse one answer line for ``stage`` (an optional left-hand side such as ``E[m_t] =``,
    ``m̂ =`` or ``η <`` is skipped). ``line`` is where the text sits in a longer answer, for the
    refusal's position. Raises :class:`RefusedAnswer` for anything outside the language or the
    stage's names."""
    if not isinstance(text, str):
        raise RefusedAnswer("the answer must be text")
    label = stage.label.match(text)
    body = text[label.end() :] if label else text
    col = 1 + (label.end() if label else 0) + (len(body) - len(body.lstrip()))
    body = body.strip()
    if not body:
        raise RefusedAnswer(f"empty answer: write {stage.part} as a formula", line, col)
    if "\n" in body:
        raise RefusedAnswer("write the formula on one line", line, col)
    aliases = build_alias_table(stage.alias_table)
    known = {n.name for n in stage.names}
    rewritten, origin = _spaced_calls(body)
    try:
        tree, pos = parse_python(rewritten, "eval")
        check_caps(tree, pos)
        expr = _FormulaConverter(pos, aliases, known).expr(tree.body)  # type: ignore[attr-defined]
        _check_formula(stage, expr, known)
    except RefusedAnswer as refusal:
        if refusal.line == 1 and 1 <= refusal.col <= len(origin):
            refusal = RefusedAnswer(refusal.reason, 1, origin[refusal.col - 1] + 1)
        raise _shifted(refusal, line, col) from None
    return expr


def _check_formula(stage: Stage, expr: Expr, known: set[str]) -> None:
    for var in iter_vars(expr):
        if var.name not in known:
            raise RefusedAnswer(f"unknown name {var.name!r} (available: {_available(stage)})", *var.pos)
    count = 0
    stack: list[Expr] = [expr]
    while stack:
        e = stack.pop()
        count += 1
        if count > MAX_FORMULA_NODES:
            raise RefusedAnswer(f"the formula is too long for this stage (more than {MAX_FORMULA_NODES} terms)")
        if isinstance(e, Cmp):
            raise RefusedAnswer("comparisons are not needed here; write a formula", *e.pos)
        if isinstance(e, Call):
            if e.func not in SCALAR_FUNCTIONS:
                raise RefusedAnswer(f"{e.func}() is not needed here (allowed: {', '.join(SCALAR_FUNCTIONS)})", *e.pos)
            if e.func == "pow":
                _check_exponent(e.args[1], e.pos)
            stack.extend(e.args)
        elif isinstance(e, Bin):
            if e.op == "**":
                _check_exponent(e.right, e.pos)
            stack.extend((e.left, e.right))
        elif isinstance(e, Unary):
            stack.append(e.operand)


def _check_exponent(exponent: Expr, pos: tuple[int, int]) -> None:
    if isinstance(exponent, Num) and abs(exponent.value) > MAX_EXPONENT:
        raise RefusedAnswer(f"exponent {exponent.value:g} is too large (the limit here is {MAX_EXPONENT})", *pos)


# -- Checking a formula -------------------------------------------------------------------------


def _exact(value: float) -> Fraction:
    """The short fraction a typed decimal meant (0.1 → 1/10), else the float's exact value."""
    short = Fraction(value).limit_denominator(10**6)
    return short if float(short) == value else Fraction(value)


def to_sympy(expr: Expr, symbols: Mapping[str, Any], sp: Any) -> Any:
    """The sympy expression for a parsed formula, built node by node from the whitelist:
    numbers (as exact rationals), the stage's symbols, + − · / ^ and :data:`SCALAR_FUNCTIONS`."""
    if isinstance(expr, Num):
        f = _exact(expr.value)
        return sp.Rational(f.numerator, f.denominator)
    if isinstance(expr, Var):
        return symbols[expr.name]
    if isinstance(expr, Unary):
        return -to_sympy(expr.operand, symbols, sp)
    if isinstance(expr, Bin):
        a, b = to_sympy(expr.left, symbols, sp), to_sympy(expr.right, symbols, sp)
        if expr.op == "+":
            return a + b
        if expr.op == "-":
            return a - b
        if expr.op == "*":
            return a * b
        if expr.op == "/":
            return a / b
        if expr.op == "**":
            return sp.Pow(a, b)
    if isinstance(expr, Call) and expr.func in SCALAR_FUNCTIONS:
        function = getattr(sp, SCALAR_FUNCTIONS[expr.func])
        return function(*(to_sympy(a, symbols, sp) for a in expr.args))
    raise RefusedAnswer(f"cannot be checked symbolically: {type(expr).__name__}")



def _sympy_symbols(sp: Any, names: Iterable[Name] = (MU, M, B1, B2, T)) -> dict[str, Any]:
    """Each name as a sympy symbol with its domain's assumptions (β ∈ (0, 1) can only be said as
    positive, t as a positive integer); a name the question neglects is its fixed value."""
    symbols: dict[str, Any] = {}
    for n in names:
        if n.domain.fixed is not None:
            f = _exact(n.domain.fixed)
            symbols[n.name] = sp.Rational(f.numerator, f.denominator)
        else:
            symbols[n.name] = sp.Symbol(n.name, **{a: True for a in n.domain.assumptions})
    return symbols


def symbolic_equal(yours: Expr, expected: Expr, timeout: float | None = None, names: Iterable[Name] = (MU, M, B1, B2, T)) -> tuple[bool, str]:
    """(True, note) when sympy proves ``yours − expected`` simplifies to 0 over ``names`` (a
    stage's); (False, why not) when it cannot say: sympy missing, timed out, gave up, or the
    difference did not simplify to 0 (which is not a proof of a difference: the numeric check
    decides then)."""
    try:
        import sympy as sp
    except ImportError:
        sp = None
    if sp is None:  # None too when the test suite hides an installed sympy
        return False, "sympy is not installed"
    timeout = SIMPLIFY_SECONDS if timeout is None else timeout
    symbols = _sympy_symbols(sp, names)
    box: list[bool | None] = []

    def work() -> None:
        try:
            diff = to_sympy(yours, symbols, sp) - to_sympy(expected, symbols, sp)
            box.append(bool(diff == 0 or sp.simplify(diff) == 0))
        except Exception:  # sympy gives up in many ways (recursion limits, unimplemented cases, …)
            box.append(None)

    # A daemon thread: a simplify that runs away is abandoned, not waited for.
    worker = threading.Thread(target=work, name="gdgrill-simplify", daemon=True)
    worker.start()
    worker.join(timeout)
    if not box:
        return False, f"sympy did not finish within {timeout:g} s"
    if box[0] is None:
        return False, "sympy could not simplify it"
    if box[0]:
        return True, "sympy: simplify(yours − expected) = 0"
    return False, "sympy did not simplify the difference to 0"



def samples(names: Iterable[Name], n: int = SAMPLES, seed: int = SEED) -> dict[str, np.ndarray]:
    """The fixed points the numeric check uses for ``names``: each name's nice values first,
    then seeded draws from its domain (the same for a name wherever it appears)."""
    k = n - NICE_POINTS
    drawn: dict[str, np.ndarray] = {}
    for name in names:
        d = name.domain
        rng = np.random.default_rng([seed, zlib.crc32(name.name.encode("utf-8"))])
        if d.fixed is not None:
            values = np.full(k, d.fixed)
        elif d.integer:
            values = rng.integers(int(d.low), int(d.high) + 1, k).astype(np.float64)
        else:
            values = rng.uniform(d.low, d.high, k)
            if d.signed:
                values = values * rng.choice((-1.0, 1.0), k)
        drawn[name.name] = np.concatenate([np.asarray(d.nice, dtype=np.float64), values])
    return drawn


_SAMPLES: dict[tuple[Name, ...], dict[str, np.ndarray]] = {}


def stage_samples(stage: Stage) -> dict[str, np.ndarray]:
    """The samples of ``stage``'s names (computed once)."""
    if stage.names not in _SAMPLES:
        _SAMPLES[stage.names] = samples(stage.names)
    return _SAMPLES[stage.names]


def _values(stage: Stage, expr: Expr) -> np.ndarray:
    points = stage_samples(stage)
    n = SAMPLES
    try:
        with np.errstate(all="ignore"):
            value = evaluate(expr, points)
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    except (ArithmeticError, TypeError, ValueError):
        return np.full(n, np.nan)


def _agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # inf agrees with inf (and nan with nan): a mistake that divides by zero at t = 1 is
    # still recognised; the expected formulas are finite on every sample.
    return np.isclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True)


def numeric_equal(stage: Stage, yours: Expr, expected: Expr) -> tuple[bool, int | None]:
    """Whether the two agree on every sample of ``stage``; if not, the index of the first that differs."""
    mine, want = _values(stage, yours), _values(stage, expected)
    ok = _agree(mine, want)
    if ok.all():
        return True, None
    return False, int(np.argmin(ok))


# -- Grading a stage --------------------------------------------------------------------------------

@dataclass
class StageResult:
    stage: str
    verdict: str  # "pass" | "fail" | "refused"
    message: str
    answer: str
    method: str | None = None  # "symbolic" | "numeric"
    note: str = ""
    misconception: Misconception | None = None
    counterexample: dict[str, Any] | None = None
    refusal: RefusedAnswer | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "verdict": self.verdict,
            "answer": self.answer,
            "method": self.method,
            "note": self.note,
            "misconception": self.misconception.id if self.misconception else None,
            "misconception_title": self.misconception.title if self.misconception else None,
            "explanation": self.misconception.explanation if self.misconception else None,
            "counterexample": self.counterexample,
            "refusal": (
                {"line": self.refusal.line, "col": self.refusal.col, "reason": self.refusal.reason} if self.refusal else None
            ),
            "message": self.message,
        }


_PARSED: dict[tuple[Stage, str], Expr] = {}


def _known(stage: Stage, formula: str) -> Expr:
    key = (stage, formula)
    if key not in _PARSED:
        _PARSED[key] = parse_formula(stage, formula)
    return _PARSED[key]


def _as_estimate(stage: Stage, expr: Expr) -> Expr:
    """How a stage reads an answer without its ``factor_of`` name (the factor multiplying it,
    as m̂_t's ``1/(1 − β₁ᵗ)``) or without its ``offset_of`` name (the change added to it, as
    Adam's first step ``−η·sign(g)``): both are made the full quantity before comparing."""
    names = {v.name for v in iter_vars(expr)}
    if stage.factor_of and stage.factor_of not in names:
        return Bin("*", Var(stage.factor_of), expr)
    if stage.offset_of and stage.offset_of not in names:
        return Bin("+", Var(stage.offset_of), expr)
    return expr


def _counterexample(stage: Stage, index: int, yours: Expr, expected: Expr) -> dict[str, Any]:
    points = stage_samples(stage)
    used = {v.name for v in iter_vars(yours)} | {v.name for v in iter_vars(expected)}
    at: dict[str, Any] = {}
    for n in stage.names:
        if n.name in used and n.domain.fixed is None:
            value = float(points[n.name][index])
            at[n.name] = int(value) if n.domain.integer else value
    return {"at": at, "yours": _json_number(_values(stage, yours)[index]), "expected": _json_number(_values(stage, expected)[index])}


def describe_counterexample(stage: Stage, example: dict[str, Any]) -> str:
    at = ", ".join(f"{stage.display(k)} = {v:g}" for k, v in example["at"].items())
    fmt = lambda x: x if isinstance(x, str) else f"{x:.6g}"  # noqa: E731
    return f"at {at}: yours {fmt(example['yours'])}, expected {fmt(example['expected'])}"


def check_stage(stage: Stage, text: str, line: int = 1) -> StageResult:
    """Grade one derivation stage. Never raises for what the user typed: a formula that
    cannot be read comes back ``refused``."""
    try:
        typed = parse_formula(stage, text, line)
    except RefusedAnswer as refusal:
        return StageResult(stage.id, "refused", refusal.message, text, refusal=refusal)
    yours = _as_estimate(stage, typed)
    reading_note = f" (read as {stage.reading})" if yours is not typed and stage.reading else ""
    expected = _as_estimate(stage, _known(stage, stage.expected))

    proved, why = symbolic_equal(yours, expected, names=stage.names)
    if proved:
        return StageResult(stage.id, "pass", f"Correct{reading_note}: {stage.shown}.", text, "symbolic", why)
    same, index = numeric_equal(stage, yours, expected)
    note = f"{why}; checked on {SAMPLES} sampled points"
    if same:
        return StageResult(stage.id, "pass", f"Correct{reading_note}: {stage.shown}.", text, "numeric", note)
    assert index is not None
    example = _counterexample(stage, index, yours, expected)
    misconception = diagnose(stage, yours)
    where = describe_counterexample(stage, example)
    if misconception:
        message = f"Not quite{reading_note} — {misconception.title}. {where[0].upper()}{where[1:]}."
    else:
        message = f"Not quite{reading_note}: {where}."
    return StageResult(stage.id, "fail", message, text, "numeric", note, misconception, example)


def diagnose(stage: Stage, yours: Expr) -> Misconception | None:
    """The first known misconception that agrees with ``yours`` on every sample."""
    mine = _values(stage, yours)
    for m in stage.misconceptions:
        if _agree(mine, _values(stage, _as_estimate(stage, _known(stage, m.formula)))).all():
            return m
    return None


# -- The whole derivation ---------------------------------------------------------------------------


@dataclass
class DeriveResult:
    """Every stage's result, then the rule's verdict. A stage's result is also an attribute
    named by its id (``result.expectation``)."""

    derivation: Derivation
    results: tuple[StageResult, ...]
    rule: "Verdict"

    def __getattr__(self, name: str) -> StageResult:
        if name.startswith("__") or name in ("derivation", "results", "rule"):
            raise AttributeError(name)
        for r in self.results:
            if r.stage == name:
                return r
        raise AttributeError(name)

    @property
    def stages(self) -> tuple[Any, ...]:
        return (*self.results, self.rule)

    @property
    def verdict(self) -> str:
        """refused if any stage was refused, else fail if any failed, else pass."""
        verdicts = [s.verdict for s in self.stages]
        if "refused" in verdicts:
            return "refused"
        return "fail" if "fail" in verdicts else "pass"

    @property
    def summary(self) -> str:
        """One line: each stage's verdict (e.g. "E[m_t]: pass · correction: fail · rule: pass")."""
        labels = [s.short for s in self.derivation.stages] + ["rule"]
        return " · ".join(f"{label}: {s.verdict}" for label, s in zip(labels, self.stages))

    def to_dict(self) -> dict[str, Any]:
        """The ``derive`` object of ``--json``: the overall verdict and each stage's."""
        rule = {k: v for k, v in self.rule.to_dict().items() if k != "drill"}
        rule["stage"] = "rule"
        return {"verdict": self.verdict, **{r.stage: r.to_dict() for r in self.results}, "rule": rule}


@dataclass(frozen=True)
class DeriveAnswer:
    """An answer file split into its parts: ``formulas`` holds (text, 1-based line) per stage id.
    ``answer.<stage id>`` and ``answer.<stage id>_line`` read them too (``answer.expectation``)."""

    formulas: Mapping[str, tuple[str, int]]
    rule: str
    rule_line: int

    def __getattr__(self, name: str) -> Any:
        formulas = self.__dict__.get("formulas", {})
        if name in formulas:
            return formulas[name][0]
        if name.endswith("_line") and name[: -len("_line")] in formulas:
            return formulas[name[: -len("_line")]][1]
        raise AttributeError(name)


_SEPARATOR = re.compile(r"^\s*-{3,}\s*$")


def _formula_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    return [(n, s) for n, s in lines if s.strip() and not s.lstrip().startswith("#")]


def split_answer(text: str, derivation: Derivation | None = None) -> DeriveAnswer:
    """Split a ``--derive --answer`` file for ``derivation`` (adam-bias's unless given). Two layouts:

    * one section per stage, then one for the update rule, separated by lines of ``---``;
    * no ``---``: one line per stage, in order, then the rest is the rule.

    Blank lines and ``#`` comment lines are skipped; a formula may keep its left-hand side
    (``E[m_t] = …``, ``m_hat = …``). A missing part is a :class:`UserError`."""
    derivation = derivation or DERIVATIONS[DRILL_NAME]
    stages = derivation.stages
    count = derivation.steps
    parts = ", then ".join(s.part for s in stages)
    usage = (
        f"--derive answers for {derivation.drill} have {derivation.steps_in_words} parts: {parts}, then the update rule "
        "(one line each, or sections separated by ---)"
    )
    numbered = list(enumerate(text.split("\n"), start=1))
    if any(_SEPARATOR.match(s) for _, s in numbered):
        sections: list[list[tuple[int, str]]] = [[]]
        for n, s in numbered:
            if _SEPARATOR.match(s):
                sections.append([])
            else:
                sections[-1].append((n, s))
        if len(sections) != count:
            raise UserError(f"found {len(sections)} sections; {usage}")
        formulas = []
        for section, stage in zip(sections[:-1], stages):
            lines = _formula_lines(section)
            if len(lines) != 1:
                raise UserError(f"the {stage.part} section has {len(lines)} formula lines, not 1; {usage}")
            formulas.append(lines[0])
        rule_lines = sections[-1]
    else:
        lines = _formula_lines(numbered)
        if len(lines) < count:
            raise UserError(f"found {len(lines)} lines; {usage}")
        formulas = lines[: len(stages)]
        rule_lines = [(n, s) for n, s in numbered if n > formulas[-1][0]]
    if not _formula_lines(rule_lines):
        raise UserError(f"the update rule is missing; {usage}")
    return DeriveAnswer(
        {stage.id: (formula, line) for stage, (line, formula) in zip(stages, formulas)},
        "\n".join(s for _, s in rule_lines),
        rule_lines[0][0],
    )


def judge_rule(text: str, first_line: int = 1, torch_device: str | None = None, drill: str = DRILL_NAME) -> "Verdict":
    """The last stage: the drill's own judge; a refusal points at the line in the file."""
    from gdgrill.drill.judge import judge

    verdict = judge(DRILLS[drill], text, torch_device=torch_device)
    if verdict.refusal is not None and first_line > 1:
        verdict.refusal = _shifted(verdict.refusal, first_line, 1)
        verdict.message = verdict.refusal.message
    return verdict


def grade_answer(text: str, torch_device: str | None = None, drill: str = DRILL_NAME) -> DeriveResult:
    """Grade a whole ``--derive`` answer file for ``drill`` (see :func:`split_answer`)."""
    derivation = derivation_for(drill)
    parts = split_answer(text, derivation)
    results = tuple(check_stage(stage, *parts.formulas[stage.id]) for stage in derivation.stages)
    return DeriveResult(derivation, results, judge_rule(parts.rule, parts.rule_line, torch_device, drill))
