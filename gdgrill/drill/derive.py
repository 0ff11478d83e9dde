"""The derive stage of adam-bias: derive the bias before writing the rule.

``gdgrill drill adam-bias --derive`` asks, in order:

1. **expectation** — E[m_t] in terms of μ, β₁ and t, for a stationary gradient (E[g_k] = μ)
   and m₀ = 0. The answer is μ·(1 − β₁ᵗ).
2. **correction** — the bias-corrected estimate m̂_t. The rule: *an answer that uses m is
   the estimate itself* and must equal m/(1 − β₁ᵗ); *an answer without m is the factor m_t
   is multiplied by* and must equal 1/(1 − β₁ᵗ) (it is checked as m·answer). So
   ``m/(1 - b1^t)`` and ``1/(1 - b1^t)`` pass; the divisor ``1 - b1^t`` alone does not (read
   as a factor it would make the bias worse, and the explanation says so).
3. **rule** — the update rule, graded by the adam-bias drill's own judge.

An expression answer may start with its left-hand side (``E[m_t] = …``, ``m̂ = …``, ``m_hat = …``),
which is ignored. How an expression is checked:

* It is parsed by the drill's safe parser (:mod:`gdgrill.drill.language`; a name directly before
  a bracket is a product, so ``μ(1 − β₁ᵗ)`` reads as ``μ·(1 − β₁ᵗ)``). Only arithmetic and the
  scalar functions in :data:`SCALAR_FUNCTIONS` are allowed; constant exponents above
  :data:`MAX_EXPONENT` and formulas over :data:`MAX_FORMULA_NODES` nodes are refused.
  User text never reaches sympy's string parser (no ``sympify``/``parse_expr``).
* **symbolic** (when sympy is installed): the parsed tree is converted node by node into sympy
  (:func:`to_sympy`) and ``simplify(yours − expected) == 0`` proves the answer right.
* **numeric**: otherwise — sympy missing, simplification timed out (:data:`SIMPLIFY_SECONDS`)
  or returned something non-zero — both formulas are evaluated on :data:`SAMPLES` fixed
  samples (β₁, β₂ ∈ (0, 1), t ∈ {1..50}, μ, m ∈ [−5, 5]) and compared with a relative
  tolerance. The numeric check decides: a proof always passes; a failed proof passes only if
  every sample agrees, and a sample that disagrees is shown as a counterexample. (sympy's
  ``simplify`` is not complete — e.g. forms with sign or max — so "not proved" is not "wrong".)
* A wrong answer is matched against the stage's known misconceptions (numerically, on the
  same samples) to say what it most likely confuses.

``--derive --answer FILE`` (see :func:`split_answer`): either three sections separated by
lines of ``---`` (E[m_t], m̂_t, the rule), or, without ``---``, the first line is E[m_t], the
second m̂_t and the rest the rule; blank and ``#`` lines are skipped::

    E[m_t] = μ(1 − β₁ᵗ)
    m_hat = m/(1 − β₁ᵗ)
    m = β₁·m + (1 − β₁)·g
    v = β₂·v + (1 − β₂)·g²
    θ = θ − η·m/(1 − β₁ᵗ)/(√(v/(1 − β₂ᵗ)) + ε)

All three parts are graded. Exit 0 when all pass, 2 when any is refused, else 1. One attempt
is saved (item ``drill/adam-bias``, mode ``derive``, the per-stage verdicts in ``detail``);
nothing is saved when a part is refused. ``--json`` prints the drill's usual object for the
rule, except that ``verdict`` is the overall verdict and ``message`` a one-line summary, plus::

    "derive": {
      "verdict": "pass" | "fail" | "refused",        # overall
      "expectation" | "correction": {
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
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from gdgrill.drill.catalog import DRILLS
from gdgrill.serialize import json_number as _json_number
from gdgrill.drill.language import (
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

DRILL_NAME = "adam-bias"
MAX_EXPONENT = 20  # a constant power above this is refused: sympy would expand (1 + μ)^1e6
MAX_FORMULA_NODES = 200  # E[m_t] needs ~10; keeps simplify's work bounded
SIMPLIFY_SECONDS = 3.0
SAMPLES = 400
RTOL = 1e-9
ATOL = 1e-12

# Functions that mean something for a scalar formula, and their sympy names.
SCALAR_FUNCTIONS = {
    "sqrt": "sqrt", "abs": "Abs", "sign": "sign", "exp": "exp", "log": "log", "cos": "cos",
    "sin": "sin", "tanh": "tanh", "maximum": "Max", "minimum": "Min", "pow": "Pow",
}  # fmt: skip


@dataclass(frozen=True)
class Name:
    name: str  # canonical (what the formulas and samples use)
    symbol: str  # how the prompt writes it
    aliases: tuple[str, ...]
    meaning: str


MU = Name("mu", "μ", ("µ", "mean"), "the mean gradient: E[g_k] = μ at every step")
B1 = Name("b1", "β₁", ("β1", "beta1", "beta_1"), "decay of the first moment m")
B2 = Name("b2", "β₂", ("β2", "beta2", "beta_2"), "decay of the second moment v")
T = Name("t", "t", ("step",), "the step number; m has had t updates")
M = Name("m", "m", ("m_t", "mt"), "m_t, the (biased) first moment after t steps")


@dataclass(frozen=True)
class Misconception:
    id: str
    title: str
    formula: str  # in the answer language, over the stage's names
    explanation: str


@dataclass(frozen=True)
class Stage:
    id: str  # "expectation" | "correction"
    title: str
    question: str
    names: tuple[Name, ...]
    expected: str  # the canonical answer, in the answer language
    shown: str  # the same, as a whiteboard would write it
    derivation: str  # shown when the user reveals the answer
    label: re.Pattern[str]  # an optional left-hand side the answer may start with
    misconceptions: tuple[Misconception, ...]
    factor_of: str | None = None  # an answer without this name is a factor multiplying it

    @property
    def alias_table(self) -> dict[str, tuple[str, ...]]:
        return {n.name: (n.symbol, *n.aliases) for n in self.names}

    def display(self, name: str) -> str:
        for n in self.names:
            if n.name == name:
                return n.symbol
        return name

    def misconception(self, misconception_id: str) -> Misconception:
        for m in self.misconceptions:
            if m.id == misconception_id:
                return m
        raise KeyError(misconception_id)


def _mc(id: str, title: str, formula: str, explanation: str) -> Misconception:
    return Misconception(id, title, formula, " ".join(explanation.split()))


EXPECTATION = Stage(
    id="expectation",
    title="E[m_t] for a stationary gradient",
    question=(
        "m₀ = 0 and m_t = β₁·m_{t−1} + (1 − β₁)·g_t. The gradients are stationary: E[g_k] = μ at "
        "every step. Write E[m_t] in terms of μ, β₁ and t."
    ),
    names=(MU, B1, B2, T),
    expected="mu*(1 - b1^t)",
    shown="E[m_t] = μ·(1 − β₁ᵗ)",
    derivation=(
        "Unrolling from m₀ = 0: m_t = (1 − β₁)·Σ_{k=1..t} β₁^(t−k)·g_k. Take expectations: "
        "E[m_t] = μ·(1 − β₁)·(1 + β₁ + … + β₁^(t−1)) = μ·(1 − β₁ᵗ) (a geometric series). The missing "
        "μ·β₁ᵗ is the weight still sitting on the zero initial value."
    ),
    label=re.compile(r"^\s*E\s*[\[(]\s*m\s*(?:_?t|ₜ|_\{\s*t\s*\})?\s*[\])]\s*=(?!=)"),
    misconceptions=(
        _mc(
            "init-weight",
            "β₁ᵗ is the weight of the initialisation, not the mean",
            "mu*b1^t",
            """After t steps the zero initial value m₀ still carries weight β₁ᵗ; μ·β₁ᵗ is the part of
            μ that is *missing* from E[m_t], not E[m_t] itself: E[m_t] = μ − μ·β₁ᵗ.""",
        ),
        _mc(
            "corrected-estimate",
            "That is the corrected estimate, not E[m_t]",
            "mu/(1 - b1^t)",
            """Dividing by 1 − β₁ᵗ is the bias *correction* (m̂_t = m_t/(1 − β₁ᵗ)). E[m_t] itself is
            the biased quantity: smaller than μ, μ·(1 − β₁ᵗ), because m starts at 0.""",
        ),
        _mc(
            "power-misplaced",
            "(1 − β₁)ᵗ instead of 1 − β₁ᵗ",
            "mu*(1 - b1)^t",
            """The weights on g_1 … g_t are (1 − β₁)·β₁^(t−k); they sum to 1 − β₁ᵗ (a geometric series),
            not (1 − β₁)ᵗ, which shrinks to 0 as t grows instead of approaching 1.""",
        ),
        _mc(
            "off-by-one-plus",
            "One step too many: β₁^(t+1)",
            "mu*(1 - b1^(t + 1))",
            """After t updates m₀ has been multiplied by β₁ exactly t times, so its weight is β₁ᵗ. At
            t = 1, E[m₁] = (1 − β₁)·μ; your form gives (1 − β₁²)·μ.""",
        ),
        _mc(
            "off-by-one-minus",
            "One step too few: β₁^(t−1)",
            "mu*(1 - b1^(t - 1))",
            """With t counting updates from 1, m₁ = (1 − β₁)·g₁, so E[m₁] = (1 − β₁)·μ; your form gives 0
            at t = 1 (it counts t from 0).""",
        ),
        _mc(
            "ignores-zero-init",
            "Ignores the zero initialisation",
            "mu",
            """E[m_t] = μ only if m starts at the mean. m₀ = 0 pulls the early averages toward 0: E[m_t] =
            μ·(1 − β₁ᵗ), which reaches μ only as t → ∞. That gap is why Adam needs bias correction.""",
        ),
        _mc(
            "first-step-only",
            "Only the first step",
            "(1 - b1)*mu",
            """(1 − β₁)·μ is E[m₁]. Every later step adds (1 − β₁)·β₁^(t−k)·μ more; summed over t steps
            that is μ·(1 − β₁ᵗ).""",
        ),
        _mc(
            "wrong-beta",
            "β₂ instead of β₁",
            "mu*(1 - b2^t)",
            """β₂ is the decay of the second moment v (the mean of g²); m averages g with β₁, so its bias
            is 1 − β₁ᵗ.""",
        ),
    ),
)

CORRECTION = Stage(
    id="correction",
    title="The bias correction",
    question=(
        "So m_t is biased toward 0. Write the bias-corrected estimate m̂_t in terms of m (m_t), β₁ "
        "and t — e.g. m̂ = … — or just the factor that m_t is multiplied by."
    ),
    names=(M, B1, B2, T),
    expected="m/(1 - b1^t)",
    shown="m̂_t = m_t / (1 − β₁ᵗ)",
    derivation=(
        "E[m_t] = μ·(1 − β₁ᵗ), and 1 − β₁ᵗ is known (no data needed), so dividing it out gives an "
        "unbiased estimate: E[m_t/(1 − β₁ᵗ)] = μ. At t = 1 with β₁ = 0.9 that multiplies m by 10; "
        "the factor tends to 1 as t grows."
    ),
    label=re.compile(r"^\s*(?:m\u0302|m_?hat)(?:_?t|ₜ|_\{\s*t\s*\})?\s*=(?!=)"),
    factor_of="m",
    misconceptions=(
        _mc(
            "multiplied-not-divided",
            "Multiplied by the bias instead of dividing it out",
            "m*(1 - b1^t)",
            """m·(1 − β₁ᵗ) has expectation μ·(1 − β₁ᵗ)²: further from μ, not closer. The correction divides
            by 1 − β₁ᵗ. (An answer without m is read as the factor m_t is multiplied by, so the divisor
            1 − β₁ᵗ alone reads as this mistake: write 1/(1 − β₁ᵗ) or m/(1 − β₁ᵗ).)""",
        ),
        _mc(
            "uncorrected",
            "No correction",
            "m",
            """m̂ = m leaves the bias in: E[m_t] = μ·(1 − β₁ᵗ), only 10% of μ at t = 1 for β₁ = 0.9.""",
        ),
        _mc(
            "init-weight",
            "Divided by the weight of the initialisation",
            "m/b1^t",
            """β₁ᵗ is the weight left on m₀ = 0, i.e. the *missing* share; the share m actually holds is
            1 − β₁ᵗ, and that is what to divide by.""",
        ),
        _mc(
            "power-misplaced",
            "(1 − β₁)ᵗ instead of 1 − β₁ᵗ",
            "m/(1 - b1)^t",
            """The bias factor comes from the weight β₁ᵗ on the zero initial value: E[m_t] = (1 − β₁ᵗ)·μ.
            (1 − β₁)ᵗ shrinks to 0 geometrically, so dividing by it blows m̂ up exponentially.""",
        ),
        _mc(
            "off-by-one-plus",
            "Correction with t+1",
            "m/(1 - b1^(t + 1))",
            """After t updates the weight on m₀ is β₁ᵗ, with t counting from 1. Using t + 1 under-corrects
            every step (at t = 1, by a factor 1.9 for β₁ = 0.9).""",
        ),
        _mc(
            "off-by-one-minus",
            "Correction with a 0-based t",
            "m/(1 - b1^(t - 1))",
            """With t counted from 0 the first correction is 1 − β₁⁰ = 0: a division by zero at the very
            first step. t is the number of updates so far, including this one.""",
        ),
        _mc(
            "one-step-weight",
            "Divided by 1 − β₁, the weight of one gradient",
            "m/(1 - b1)",
            """1 − β₁ is the weight of the newest gradient, not the share m holds after t steps (1 − β₁ᵗ).
            Dividing by it makes m̂ ≈ μ/(1 − β₁), ten times too large for β₁ = 0.9 once t is large.""",
        ),
        _mc(
            "first-order",
            "1 + β₁ᵗ: a first-order approximation",
            "m*(1 + b1^t)",
            """1/(1 − β₁ᵗ) ≈ 1 + β₁ᵗ only when β₁ᵗ is small, i.e. late, when the correction no longer
            matters. Early on it is far off: at t = 1 with β₁ = 0.9 it gives 1.9 instead of 10.""",
        ),
        _mc(
            "wrong-beta",
            "β₂ instead of β₁",
            "m/(1 - b2^t)",
            """1 − β₂ᵗ corrects v (the second moment); m's bias comes from β₁, so m̂ = m/(1 − β₁ᵗ).""",
        ),
    ),
)

STAGES: tuple[Stage, ...] = (EXPECTATION, CORRECTION)
STAGE_IDS = (EXPECTATION.id, CORRECTION.id, "rule")


# -- Parsing a formula ------------------------------------------------------------------------


class _FormulaConverter(Converter):
    """The drill's converter, plus the whiteboard's implicit product: a name or a bracket
    directly before a bracket multiplies it (``μ(1 − β₁ᵗ)``, ``(1 − β₁)(μ)``)."""

    def __init__(self, pos: Any, aliases: Mapping[str, str], known: set[str]):
        super().__init__(pos, aliases)
        self.known = known

    def _is_product(self, node: ast.Call) -> bool:
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            return False
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in FUNCTIONS or func.id in FUNCTION_ALIASES:
                return False
            return self.canonical(func.id) in self.known
        return not isinstance(func, (ast.Attribute, ast.Lambda, ast.Subscript))

    def expr(self, node: ast.AST) -> Expr:
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


def parse_formula(stage: Stage, text: str, line: int = 1) -> Expr:
    """Parse one answer line for ``stage`` (an optional ``E[m_t] =`` / ``m̂ =`` is skipped).
    ``line`` is where the text sits in a longer answer, for the refusal's position. Raises
    :class:`RefusedAnswer` for anything outside the language or the stage's names."""
    if not isinstance(text, str):
        raise RefusedAnswer("the answer must be text")
    label = stage.label.match(text)
    body = text[label.end() :] if label else text
    col = 1 + (label.end() if label else 0) + (len(body) - len(body.lstrip()))
    body = body.strip()
    if not body:
        what = "E[m_t]" if stage is EXPECTATION else "m̂_t"
        raise RefusedAnswer(f"empty answer: write {what} as a formula", line, col)
    if "\n" in body:
        raise RefusedAnswer("write the formula on one line", line, col)
    aliases = build_alias_table(stage.alias_table)
    known = {n.name for n in stage.names}
    try:
        tree, pos = parse_python(body, "eval")
        check_caps(tree, pos)
        expr = _FormulaConverter(pos, aliases, known).expr(tree.body)  # type: ignore[attr-defined]
        _check_formula(stage, expr, known)
    except RefusedAnswer as refusal:
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


def _sympy_symbols(sp: Any) -> dict[str, Any]:
    # The domain the question sets: β ∈ (0, 1) (sympy can only say positive), t a positive
    # integer, μ and m real.
    return {
        "mu": sp.Symbol("mu", real=True),
        "m": sp.Symbol("m", real=True),
        "b1": sp.Symbol("beta1", positive=True),
        "b2": sp.Symbol("beta2", positive=True),
        "t": sp.Symbol("t", integer=True, positive=True),
    }


def symbolic_equal(yours: Expr, expected: Expr, timeout: float | None = None) -> tuple[bool, str]:
    """(True, note) when sympy proves ``yours − expected`` simplifies to 0; (False, why not)
    when it cannot say: sympy missing, timed out, gave up, or the difference did not simplify
    to 0 (which is not a proof of a difference: the numeric check decides then)."""
    try:
        import sympy as sp
    except ImportError:
        sp = None
    if sp is None:  # None too when the test suite hides an installed sympy
        return False, "sympy is not installed"
    timeout = SIMPLIFY_SECONDS if timeout is None else timeout
    symbols = _sympy_symbols(sp)
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


_NICE_POINTS = [  # shown first as counterexamples: easy to check by hand
    {"b1": 0.9, "b2": 0.999, "t": 1.0, "mu": 1.0, "m": 1.0},
    {"b1": 0.9, "b2": 0.999, "t": 2.0, "mu": 1.0, "m": 1.0},
    {"b1": 0.5, "b2": 0.9, "t": 3.0, "mu": 2.0, "m": 2.0},
    {"b1": 0.9, "b2": 0.999, "t": 10.0, "mu": -1.0, "m": -1.0},
]


def samples(n: int = SAMPLES, seed: int = 20240607) -> dict[str, np.ndarray]:
    """The fixed points the numeric check uses: the nice points, then seeded random ones."""
    rng = np.random.default_rng(seed)
    k = n - len(_NICE_POINTS)
    drawn = {
        "b1": rng.uniform(0.01, 0.99, k),
        "b2": rng.uniform(0.01, 0.999, k),
        "t": rng.integers(1, 51, k).astype(np.float64),
        "mu": rng.uniform(-5.0, 5.0, k),
        "m": rng.uniform(-5.0, 5.0, k),
    }
    return {name: np.concatenate([[p[name] for p in _NICE_POINTS], values]) for name, values in drawn.items()}


_SAMPLES: dict[str, np.ndarray] | None = None


def _values(expr: Expr) -> np.ndarray:
    global _SAMPLES
    if _SAMPLES is None:
        _SAMPLES = samples()
    n = len(_SAMPLES["t"])
    try:
        with np.errstate(all="ignore"):
            value = evaluate(expr, _SAMPLES)
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    except (ArithmeticError, TypeError, ValueError):
        return np.full(n, np.nan)


def _agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # inf agrees with inf (and nan with nan): a mistake that divides by zero at t = 1 is
    # still recognised; the expected formulas are finite on every sample.
    return np.isclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True)


def numeric_equal(yours: Expr, expected: Expr) -> tuple[bool, int | None]:
    """Whether the two agree on every sample; if not, the index of the first that differs."""
    mine, want = _values(yours), _values(expected)
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


_PARSED: dict[tuple[str, str], Expr] = {}


def _known(stage: Stage, formula: str) -> Expr:
    key = (stage.id, formula)
    if key not in _PARSED:
        _PARSED[key] = parse_formula(stage, formula)
    return _PARSED[key]


def _as_estimate(stage: Stage, expr: Expr) -> Expr:
    """For the correction stage, an answer without m is the factor multiplying m."""
    if stage.factor_of and all(v.name != stage.factor_of for v in iter_vars(expr)):
        return Bin("*", Var(stage.factor_of), expr)
    return expr


def _counterexample(stage: Stage, index: int, yours: Expr, expected: Expr) -> dict[str, Any]:
    assert _SAMPLES is not None
    used = {v.name for v in iter_vars(yours)} | {v.name for v in iter_vars(expected)}
    at = {n.name: float(_SAMPLES[n.name][index]) for n in stage.names if n.name in used}
    if "t" in at:
        at["t"] = int(at["t"])
    return {"at": at, "yours": _json_number(_values(yours)[index]), "expected": _json_number(_values(expected)[index])}



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
    factor_note = " (read as the factor m_t is multiplied by)" if yours is not typed else ""
    expected = _known(stage, stage.expected)

    proved, why = symbolic_equal(yours, expected)
    if proved:
        return StageResult(stage.id, "pass", f"Correct{factor_note}: {stage.shown}.", text, "symbolic", why)
    same, index = numeric_equal(yours, expected)
    note = f"{why}; checked on {SAMPLES} sampled points"
    if same:
        return StageResult(stage.id, "pass", f"Correct{factor_note}: {stage.shown}.", text, "numeric", note)
    assert index is not None
    example = _counterexample(stage, index, yours, expected)
    misconception = diagnose(stage, yours)
    where = describe_counterexample(stage, example)
    if misconception:
        message = f"Not quite{factor_note} — {misconception.title}. {where[0].upper()}{where[1:]}."
    else:
        message = f"Not quite{factor_note}: {where}."
    return StageResult(stage.id, "fail", message, text, "numeric", note, misconception, example)


def diagnose(stage: Stage, yours: Expr) -> Misconception | None:
    """The first known misconception that agrees with ``yours`` on every sample."""
    mine = _values(yours)
    for m in stage.misconceptions:
        if _agree(mine, _values(_as_estimate(stage, _known(stage, m.formula)))).all():
            return m
    return None


# -- The whole derivation ---------------------------------------------------------------------------


@dataclass
class DeriveResult:
    expectation: StageResult
    correction: StageResult
    rule: "Verdict"

    @property
    def stages(self) -> tuple[Any, Any, Any]:
        return (self.expectation, self.correction, self.rule)

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
        return " · ".join(f"{label}: {s.verdict}" for label, s in zip(("E[m_t]", "correction", "rule"), self.stages))

    def to_dict(self) -> dict[str, Any]:
        """The ``derive`` object of ``--json``: the overall verdict and each stage's."""
        rule = {k: v for k, v in self.rule.to_dict().items() if k != "drill"}
        rule["stage"] = "rule"
        return {"verdict": self.verdict, "expectation": self.expectation.to_dict(), "correction": self.correction.to_dict(), "rule": rule}


@dataclass(frozen=True)
class DeriveAnswer:
    """An answer file split into its three parts; ``*_line`` are 1-based lines in the file."""

    expectation: str
    expectation_line: int
    correction: str
    correction_line: int
    rule: str
    rule_line: int


_SEPARATOR = re.compile(r"^\s*-{3,}\s*$")


def _formula_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    return [(n, s) for n, s in lines if s.strip() and not s.lstrip().startswith("#")]


def split_answer(text: str) -> DeriveAnswer:
    """Split a ``--derive --answer`` file. Two layouts:

    * three sections separated by lines of ``---``: E[m_t], m̂_t, the update rule;
    * no ``---``: the first line is E[m_t], the second m̂_t, the rest the rule.

    Blank lines and ``#`` comment lines are skipped; a formula may keep its left-hand side
    (``E[m_t] = …``, ``m_hat = …``). A missing part is a :class:`UserError`."""
    numbered = list(enumerate(text.split("\n"), start=1))
    usage = "--derive answers have three parts: E[m_t], then m̂_t, then the update rule (one line each, or sections separated by ---)"
    if any(_SEPARATOR.match(s) for _, s in numbered):
        sections: list[list[tuple[int, str]]] = [[]]
        for n, s in numbered:
            if _SEPARATOR.match(s):
                sections.append([])
            else:
                sections[-1].append((n, s))
        if len(sections) != 3:
            raise UserError(f"found {len(sections)} sections; {usage}")
        formulas = []
        for section, what in zip(sections[:2], ("E[m_t]", "m̂_t")):
            lines = _formula_lines(section)
            if len(lines) != 1:
                raise UserError(f"the {what} section has {len(lines)} formula lines, not 1; {usage}")
            formulas.append(lines[0])
        rule_lines = sections[2]
    else:
        lines = _formula_lines(numbered)
        if len(lines) < 3:
            raise UserError(f"found {len(lines)} lines; {usage}")
        formulas = lines[:2]
        rule_lines = [(n, s) for n, s in numbered if n > formulas[1][0]]
    if not _formula_lines(rule_lines):
        raise UserError(f"the update rule is missing; {usage}")
    (l1, e), (l2, c) = formulas
    return DeriveAnswer(e, l1, c, l2, "\n".join(s for _, s in rule_lines), rule_lines[0][0])


def judge_rule(text: str, first_line: int = 1, torch_device: str | None = None) -> "Verdict":
    """Stage 3: the adam-bias drill's own judge; a refusal points at the line in the file."""
    from gdgrill.drill.judge import judge

    verdict = judge(DRILLS[DRILL_NAME], text, torch_device=torch_device)
    if verdict.refusal is not None and first_line > 1:
        verdict.refusal = _shifted(verdict.refusal, first_line, 1)
        verdict.message = verdict.refusal.message
    return verdict


def grade_answer(text: str, torch_device: str | None = None) -> DeriveResult:
    """Grade a whole ``--derive`` answer file (see :func:`split_answer`)."""
    parts = split_answer(text)
    return DeriveResult(
        check_stage(EXPECTATION, parts.expectation, parts.expectation_line),
        check_stage(CORRECTION, parts.correction, parts.correction_line),
        judge_rule(parts.rule, parts.rule_line, torch_device),
    )
