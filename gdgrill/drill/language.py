"""The answer language: a whiteboard-flavoured subset of Python arithmetic, parsed and
interpreted without ever reaching ``eval``, ``exec`` or ``compile``.

Pipeline::

    user text ─► normalize() ─► ast.parse ─► whitelist check + resource caps ─► IR (Expr / Assign)
                                                                                    │
               evaluate(expr, env)  ◄──────────  compile_rule(rule, backend) ◄──────┘

* :func:`normalize` rewrites whiteboard notation into Python syntax while remembering where
  every character came from, so a refusal points at the user's own line and column:
  ``^`` → ``**``; ``·`` ``×`` → ``*``; ``−`` → ``-``; ``←`` → ``=``; subscript digits
  (``β₁`` → ``β1``); superscripts (``β₁ᵗ`` → ``β1**(t)``, ``g²`` → ``g**(2)``); combining
  hats and bars (``m̂`` → ``m_hat``, ``v̄`` → ``v_bar``); ``√x`` / ``√(…)`` → ``sqrt(…)``;
  ``‖g‖`` and ``‖g‖₂`` → ``norm(g)``; ``⊙`` → ``*``; ``½`` → ``(1/2)``; ``_{t}``, ``_{t-1}``
  subscripts dropped; ``lambda`` as a name; indentation common to every line removed (an
  answer pasted from an indented block); ``Xᵀ``, ``X^⊤``, ``X^\\top`` → ``X.T``; ``‖X‖_F`` →
  ``norm(X)``; ``repeat 5:`` → ``for _ in range(5):``.
* Matrices: ``@`` is the matrix product (``matmul(a, b)`` too), ``X.T`` / ``transpose(X)`` the
  transpose, ``norm`` of a matrix its Frobenius norm, ``rows``/``cols``/``numel`` its shape as
  plain numbers; a product of shapes that do not fit is refused naming both.
* A bounded loop, ``repeat N:`` (or ``for _ in range(N):``, N a literal from 1 to
  :data:`MAX_REPEAT`) over indented assignments, is unrolled when parsed: the rule stays a
  flat tuple of assignments for the interpreter, the judge and the diagnosis.
* ``np.sqrt(x)``, ``math.cos(x)``, ``torch.sign(x)``, ``np.linalg.norm(x)``, ``math.pi``: the
  exact prefixes in :data:`MODULE_PREFIXES` before a function or constant of the language are
  dropped when the tree is converted (nothing is looked up on a module; any other attribute is
  refused).
* :func:`parse_rule` accepts assignments only (``=``, ``+=``, ``-=``, ``*=``, ``/=``, and
  ``repeat N:`` over them); every
  other construct is refused with :class:`RefusedAnswer` (line, column, one-line reason).
* :func:`parse_expression` parses a single formula (e.g. ``mu*(1 - b1^t)``) into an
  :data:`Expr` tree over the names given; :func:`evaluate` computes it on numbers or arrays.

Resource bombs are refused before any work: length, NUL bytes, bracket depth (checked
before ``ast.parse``), whatever ``ast.parse`` raises on pathological input (RecursionError,
MemoryError), node / statement / depth caps, and constant sub-expressions that overflow
(numbers are floats, so ``9**9**9**9`` folds to an overflow and is refused at once).
"""

from __future__ import annotations

import ast
import math
import operator
import re
import unicodedata
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

from gdgrill.errors import UserError

MAX_CHARS = 4000
MAX_LINES = 80
MAX_STATEMENTS = 40
MAX_NODES = 1500
MAX_DEPTH = 60
MAX_BRACKET_DEPTH = 40


class RefusedAnswer(UserError):
    """The answer cannot be run: it does not parse, uses something outside the language,
    or is a resource bomb. ``line`` and ``col`` are 1-based, in the user's own text."""

    def __init__(self, reason: str, line: int = 1, col: int = 1):
        self.reason = reason
        self.line = line
        self.col = col
        super().__init__(f"line {line}, col {col}: {reason}")


# --------------------------------------------------------------------------------------
# The tree the interpreter runs (and that other features may walk).
# --------------------------------------------------------------------------------------


# (start, end) indices into the user's original text: what a diagnosis quotes back.
Span = tuple[int, int]


@dataclass(frozen=True)
class Num:
    value: float
    pos: tuple[int, int] = field(default=(1, 1), compare=False)
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Var:
    name: str  # canonical name (aliases already resolved)
    pos: tuple[int, int] = field(default=(1, 1), compare=False)
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Unary:
    op: str  # '-' or '+'
    operand: "Expr"
    pos: tuple[int, int] = field(default=(1, 1), compare=False)
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Bin:
    op: str  # '+', '-', '*', '/', '**', '@' (matrix product)
    left: "Expr"
    right: "Expr"
    pos: tuple[int, int] = field(default=(1, 1), compare=False)
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Cmp:
    op: str  # '<', '<=', '>', '>=', '==', '!='
    left: "Expr"
    right: "Expr"
    pos: tuple[int, int] = field(default=(1, 1), compare=False)
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Call:
    func: str  # a key of FUNCTIONS (canonical: 'max' is stored as 'maximum')
    args: tuple["Expr", ...]
    pos: tuple[int, int] = field(default=(1, 1), compare=False)
    span: Span | None = field(default=None, compare=False)


Expr = Union[Num, Var, Unary, Bin, Cmp, Call]


@dataclass(frozen=True)
class Assign:
    target: str
    value: Expr
    line: int
    col: int
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Rule:
    """A parsed update rule. ``state`` are the names read before the rule assigns them
    (they start at zero and carry over between steps); ``inputs`` the drill's names read."""

    statements: tuple[Assign, ...]
    inputs: frozenset[str]
    state: tuple[str, ...]
    assigned: frozenset[str]
    source: str


# name -> (min args, max args, description)
FUNCTIONS: dict[str, tuple[int, int, str]] = {
    "sqrt": (1, 1, "square root (also √x)"),
    "abs": (1, 1, "absolute value"),
    "sign": (1, 1, "sign: -1, 0 or +1"),
    "exp": (1, 1, "e**x"),
    "log": (1, 1, "natural log"),
    "cos": (1, 1, "cosine (radians)"),
    "sin": (1, 1, "sine (radians)"),
    "tanh": (1, 1, "hyperbolic tangent"),
    "maximum": (2, 2, "elementwise max(a, b) (also max)"),
    "minimum": (2, 2, "elementwise min(a, b) (also min)"),
    "clip": (3, 3, "clip(x, lo, hi), elementwise"),
    "norm": (1, 1, "L2 norm of all the elements: the Frobenius norm of a matrix (also ‖x‖, ‖X‖_F, fro)"),
    "sum": (1, 1, "sum of all elements"),
    "mean": (1, 1, "mean of all elements"),
    "row_mean": (1, 1, "mean of each row of a matrix (over the last axis), kept as a column"),
    "col_mean": (1, 1, "mean of each column of a matrix (over the second-to-last axis), kept as a row"),
    "where": (3, 3, "where(cond, a, b), elementwise; also `a if cond else b`"),
    "pow": (2, 2, "pow(x, y) = x**y"),
    "floor": (1, 1, "round down to a whole number (also ⌊x⌋)"),
    "matmul": (2, 2, "matrix product (also a @ b)"),
    "transpose": (1, 1, "transpose of a matrix (also Xᵀ, X.T); a number or vector is unchanged"),
    "rows": (1, 1, "number of rows of a matrix (length of a vector, 1 for a number)"),
    "cols": (1, 1, "number of columns of a matrix (1 for a vector or a number)"),
    "numel": (1, 1, "number of elements"),
}
FUNCTION_ALIASES = {
    "max": "maximum", "min": "minimum", "fmax": "maximum", "fmin": "minimum", "sgn": "sign", "ln": "log",
    "power": "pow", "clamp": "clip", "rowmean": "row_mean", "colmean": "col_mean", "fro": "norm",
}  # fmt: skip
# A bounded loop, unrolled when parsed: `repeat N:` (or `for _ in range(N):`) over indented
# assignments, N a whole number from 1 to MAX_REPEAT (Newton–Schulz needs 5).
MAX_REPEAT = 10
CONSTANTS = {"pi": math.pi, "π": math.pi}
# np.sqrt(x), math.cos(x), torch.sign(x), np.linalg.norm(x), math.pi: read as sqrt(x), cos(x), …
# Only these exact prefixes in front of a function or constant of the language; nothing is
# ever looked up on a module: the prefix is dropped when the tree is converted.
MODULE_PREFIXES = ("np", "numpy", "math", "torch", "jnp")

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_PY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "@": operator.matmul,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

# a % b, as in Python (the sign of b): "every k-th step" is t % k == 0 (Lookahead's sync,
# gradient accumulation's optimizer step)
_BINOPS[ast.Mod] = "%"
_PY_OPS["%"] = operator.mod

# --------------------------------------------------------------------------------------
# Normalization (whiteboard notation -> Python syntax), keeping an origin map.
# --------------------------------------------------------------------------------------

_SUBSCRIPT_DIGITS = {chr(0x2080 + i): str(i) for i in range(10)}
_SUPERSCRIPTS = {
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9",
    "ᵗ": "t", "ⁿ": "n", "ᵏ": "k", "⁻": "-", "⁺": "+", "⁽": "(", "⁾": ")",
}  # fmt: skip
_SIMPLE = {
    "^": "**", "·": "*", "⋅": "*", "×": "*", "∙": "*", "∗": "*", "⊙": "*", "÷": "/", "∕": "/", "½": "(1/2)",
    "⌊": "floor(", "⌋": ")", "−": "-", "–": "-", "≤": "<=", "≥": ">=", "≠": "!=", "←": "=", "≔": "=",
    "ₜ": "_t", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "ᵀ": ".T",
}  # fmt: skip
_TRANSPOSE_MARKS = ("ᵀ", "⊤")  # X^ᵀ, X^⊤ (and LaTeX X^\top) are the transpose too
_COMBINING_SUFFIX = {"\u0302": "_hat", "\u0304": "_bar", "\u0303": "_tilde"}


class _Text:
    """A string under rewriting, with the original index of every character."""

    def __init__(self, chars: list[str], origin: list[int]):
        self.chars = chars
        self.origin = origin

    def text(self) -> str:
        return "".join(self.chars)


def _char_pass(src: _Text) -> _Text:
    chars: list[str] = []
    origin: list[int] = []
    text = src.chars

    def put(piece: str, at: int) -> None:
        chars.extend(piece)
        origin.extend([at] * len(piece))

    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        at = src.origin[i]
        if c in _COMBINING_SUFFIX:
            put(_COMBINING_SUFFIX[c], at)
        elif c in _SUBSCRIPT_DIGITS:
            put(_SUBSCRIPT_DIGITS[c], at)
        elif c == "^" and i + 1 < n and text[i + 1] in _TRANSPOSE_MARKS:
            put(".T", at)
            i += 2
            continue
        elif c in _SUPERSCRIPTS:
            j = i
            put("**(", at)
            while j < n and text[j] in _SUPERSCRIPTS:
                put(_SUPERSCRIPTS[text[j]], src.origin[j])
                j += 1
            put(")", src.origin[j - 1])
            i = j
            continue
        elif c in _SIMPLE:
            put(_SIMPLE[c], at)
        elif c == "\u2016":  # ‖x‖ — handled by _norm_bars on the output
            put(c, at)
            # ‖g‖₂ / ‖g‖_2: the L2 norm, and ‖X‖_F: the Frobenius norm of a matrix, which is
            # what norm() is; the subscript is dropped
            for suffix in ("\u2082", "_2", "_{F}", "_F"):
                if "".join(text[i + 1 : i + 1 + len(suffix)]) == suffix:
                    i += len(suffix)
                    break
        elif ord(c) > 127 and not c.isspace():
            decomposed = unicodedata.normalize("NFD", c)
            if len(decomposed) == 2 and decomposed[1] in _COMBINING_SUFFIX:
                put(decomposed[0] + _COMBINING_SUFFIX[decomposed[1]], at)
            else:
                put(c, at)
        else:
            put(c, at)
        i += 1
    return _Text(chars, origin)


# Invisible characters an editor or a web page leaves in pasted text: dropped.
_INVISIBLE = {"\ufeff", "\u200b", "\u200c", "\u200d", "\u2060"}


def _line_endings(text: str) -> _Text:
    """The text as a _Text, with Windows (CRLF) and old Mac (CR) line endings turned into
    LF and byte-order marks and zero-width characters dropped."""
    chars: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        if c in _INVISIBLE:
            continue
        if c == "\r":
            if i + 1 < len(text) and text[i + 1] == "\n":
                continue
            c = "\n"
        chars.append(c)
        origin.append(i)
    return _Text(chars, origin)


# -- LaTeX ---------------------------------------------------------------------------------

_LATEX_HINT = re.compile(r"\\(?:[A-Za-z]+|[,;:!{}|\\])")
_LATEX_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "eta": "η",
    "theta": "θ", "vartheta": "θ", "lambda": "λ", "mu": "μ", "rho": "ρ", "varrho": "ρ", "tau": "τ", "pi": "π",
    "sigma": "σ", "omega": "ω", "kappa": "κ", "nu": "ν", "xi": "ξ", "zeta": "ζ", "phi": "φ", "psi": "ψ",
}  # fmt: skip
_LATEX_SYMBOLS = {
    "cdot": "*", "times": "*", "odot": "*", "ast": "*", "div": "/", "leftarrow": "=", "gets": "=",
    "Leftarrow": "=", "longleftarrow": "=", "coloneqq": "=", "le": "<=", "leq": "<=", "leqslant": "<=",
    "ge": ">=", "geq": ">=", "geqslant": ">=", "neq": "!=", "ne": "!=", "lt": "<", "gt": ">",
    "lVert": "\u2016", "rVert": "\u2016", "Vert": "\u2016", "quad": " ", "qquad": " ", "top": "ᵀ", "intercal": "ᵀ",
}  # fmt: skip
_LATEX_FUNCTIONS = {"max", "min", "cos", "sin", "exp", "log", "ln", "tanh", "sign", "sgn", "abs", "sqrt", "clip", "norm", "mean", "sum"}
_LATEX_TEXT = {"text", "mathrm", "operatorname", "mathit", "mathbf", "boldsymbol", "bm", "mathsf", "textrm", "mbox"}
_LATEX_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304", "tilde": "\u0303", "widetilde": "\u0303"}
_LATEX_SIZING = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "middle", "displaystyle", "textstyle", "limits", "nonumber", "notag"}
_TIME_SUBSCRIPT = re.compile(r"\s*t\s*(?:[-+−]\s*1\s*)?")


class _Latex:
    """Whiteboard LaTeX into the language's notation, keeping every character's origin:
    ``\\frac{a}{b}`` → ``((a)/(b))``, ``\\sqrt{x}`` → ``sqrt(x)``, ``\\hat{m}_t`` → ``m̂_t``,
    ``\\beta_1^t`` → ``β_1^t``, ``\\theta_{t+1}`` → ``θ``, ``\\cdot`` ``\\odot`` → ``*``,
    ``\\leftarrow`` → ``=``, ``\\\\`` → a new line, other braces → brackets, ``$`` ``&`` dropped.
    An unknown command is left alone, so the parser refuses it at its own column."""

    def __init__(self, src: _Text):
        self.c, self.o = src.chars, src.origin
        self.i = 0
        self.out: list[str] = []
        self.org: list[int] = []

    def run(self) -> _Text:
        chars, origin = self.sequence(closing=False)
        return _Text(chars, origin)

    def sequence(self, closing: bool) -> tuple[list[str], list[int]]:
        chars: list[str] = []
        origin: list[int] = []
        while self.i < len(self.c):
            if closing and self.c[self.i] == "}":
                self.i += 1
                return chars, origin
            piece, at = self.item()
            chars.extend(piece)
            origin.extend(at)
        return chars, origin

    def _at(self) -> int:
        return self.o[min(self.i, len(self.o) - 1)] if self.o else 0

    def argument(self) -> tuple[list[str], list[int]]:
        """A command's argument: a {group} (its content), a command, or one character."""
        while self.i < len(self.c) and self.c[self.i] in " \t":
            self.i += 1
        if self.i >= len(self.c):
            return [], []
        if self.c[self.i] == "{":
            self.i += 1
            return self.sequence(closing=True)
        if self.c[self.i] == "\\":
            return self.command()
        at = self._at()
        ch = self.c[self.i]
        self.i += 1
        return [ch], [at]

    def item(self) -> tuple[list[str], list[int]]:
        ch = self.c[self.i]
        at = self._at()
        nxt = self.c[self.i + 1] if self.i + 1 < len(self.c) else ""
        if ch == "\\":
            return self.command()
        if ch == "{":
            self.i += 1
            inner, org = self.sequence(closing=True)
            return ["(", *inner, ")"], [at, *org, self.o[self.i - 1]]
        if ch in "$&":
            self.i += 1
            return [], []
        if ch == "~":
            self.i += 1
            return [" "], [at]
        if ch == "_" and nxt == "{":
            self.i += 2
            inner, org = self.sequence(closing=True)
            text = "".join(inner)
            if _TIME_SUBSCRIPT.fullmatch(text):
                return [], []  # θ_{t+1}, m_{t-1}: the time index, not part of the name
            kept = [(c, o) for c, o in zip(inner, org) if not c.isspace()]
            return ["_", *(c for c, _ in kept)], [at, *(o for _, o in kept)]
        if ch == "^" and nxt == "{":
            self.i += 2
            inner, org = self.sequence(closing=True)
            if "".join(inner).strip() == "ᵀ":  # X^{\top}: the transpose, not a power
                return ["ᵀ"], [at]
            return ["^", "(", *inner, ")"], [at, at, *org, self.o[self.i - 1]]
        if ch == "^" and nxt == "\\":
            self.i += 1
            piece, org = self.command()
            if piece == ["ᵀ"]:  # X^\top
                return piece, [at]
            return ["^", "(", *piece, ")"], [at, at, *org, org[-1] if org else at]
        self.i += 1
        return [ch], [at]

    def command(self) -> tuple[list[str], list[int]]:
        start = self.i
        at = self._at()
        self.i += 1
        j = self.i
        while j < len(self.c) and self.c[j].isascii() and self.c[j].isalpha():
            j += 1
        if j == self.i:  # a one-character command: \, \; \\ \{ \| …
            ch = self.c[self.i] if self.i < len(self.c) else ""
            self.i += 1 if ch else 0
            simple = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "\\": "\n", "{": "(", "}": ")", "|": "\u2016"}
            if ch == "\\":  # a LaTeX line break: the next line starts at its first character
                while self.i < len(self.c) and self.c[self.i] in " \t":
                    self.i += 1
            if ch in simple:
                return list(simple[ch]), [at] * len(simple[ch])
            self.i = start + 1
            return ["\\"], [at]
        name = "".join(self.c[self.i : j])
        self.i = j
        spaced = lambda piece: piece + (" " if self._next_is_word() else "")  # noqa: E731
        if name in _LATEX_GREEK:
            piece = spaced(_LATEX_GREEK[name])
            return list(piece), [at] * len(piece)
        if name in _LATEX_SYMBOLS:
            piece = _LATEX_SYMBOLS[name]
            return list(piece), [at] * len(piece)
        if name in _LATEX_SIZING:
            if self.i < len(self.c) and self.c[self.i] == ".":
                self.i += 1  # \left. : an invisible delimiter
            return [], []
        if name in ("frac", "dfrac", "tfrac"):
            a, ao = self.argument()
            b, bo = self.argument()
            end = self.o[self.i - 1] if self.i else at
            return ["(", "(", *a, ")", "/", "(", *b, ")", ")"], [at, at, *ao, at, at, at, *bo, end, end]
        if name == "sqrt":
            while self.i < len(self.c) and self.c[self.i] in " \t":
                self.i += 1
            if self.i < len(self.c) and self.c[self.i] == "[":
                return list("\\sqrt"), [at] * 5  # \sqrt[n]{x}: refused at the backslash, with a hint
            a, ao = self.argument()
            end = self.o[self.i - 1] if self.i else at
            return ["s", "q", "r", "t", "(", *a, ")"], [at] * 5 + ao + [end]
        if name in _LATEX_ACCENTS:
            a, ao = self.argument()
            if not a:
                return [], []
            return [*a, _LATEX_ACCENTS[name]], [at, *ao[1:], ao[-1]]
        if name in _LATEX_TEXT:
            a, ao = self.argument()
            return a, [at, *ao[1:]] if ao else ao
        if name in ("begin", "end", "label", "tag"):
            self.argument()
            return [], []
        if name in _LATEX_FUNCTIONS:
            piece = spaced(name)
            return list(piece), [at] * len(piece)
        self.i = start + 1  # unknown: keep the backslash so the refusal points here
        return ["\\"], [at]

    def _next_is_word(self) -> bool:
        return self.i < len(self.c) and (self.c[self.i].isalnum() or self.c[self.i] == "\\")


def looks_like_latex(text: str) -> bool:
    """Whether ``text`` uses LaTeX commands (``\\frac``, ``\\cdot``, ``\\\\``, …)."""
    return bool(_LATEX_HINT.search(text))


_WORD_RE = re.compile(r"[\w.]+", re.UNICODE)


def _splice(t: _Text, start: int, end: int, pieces: Sequence[tuple[str, int]]) -> None:
    new_chars: list[str] = []
    new_origin: list[int] = []
    for piece, at in pieces:
        new_chars.extend(piece)
        new_origin.extend([at] * len(piece))
    t.chars[start:end] = new_chars
    t.origin[start:end] = new_origin


def _balanced_end(s: str, open_at: int) -> int | None:
    depth = 0
    for k in range(open_at, len(s)):
        if s[k] == "(":
            depth += 1
        elif s[k] == ")":
            depth -= 1
            if depth == 0:
                return k + 1
        elif s[k] == "\n":
            return None
    return None


def _sqrt_pass(t: _Text) -> None:
    # Right to left, so `√√x` becomes sqrt(sqrt(x)).
    while True:
        s = t.text()
        k = s.rfind("√")
        if k < 0:
            return
        j = k + 1
        while j < len(s) and s[j] in " \t":
            j += 1
        at = t.origin[k]
        if j < len(s) and s[j] == "(":
            _splice(t, k, j, [("sqrt", at)])
            continue
        m = _WORD_RE.match(s, j)
        if not m:
            _splice(t, k, k + 1, [("sqrt", at)])  # leaves a syntax error at the right place
            continue
        end = m.end()
        if end < len(s) and s[end] == "(":
            close = _balanced_end(s, end)
            if close is not None:
                end = close
        inner = t.chars[j:end]
        inner_origin = t.origin[j:end]
        t.chars[k:end] = list("sqrt(") + inner + [")"]
        t.origin[k:end] = [at] * 5 + inner_origin + [t.origin[end - 1]]


def _norm_bars(t: _Text) -> None:
    opening = True
    k = 0
    while k < len(t.chars):
        if t.chars[k] == "\u2016":
            at = t.origin[k]
            if opening:
                t.chars[k : k + 1] = list("norm(")
                t.origin[k : k + 1] = [at] * 5
                k += 5
            else:
                t.chars[k] = ")"
                k += 1
            opening = not opening
        else:
            k += 1


_SUBSCRIPT_BRACES = re.compile(r"_\{\s*t\s*(?:[-+]\s*1\s*)?\}|_\{([\w]*)\}")
_LAMBDA_NAME = re.compile(r"\blambda\b(?!\s*[\w\s,]*:)")


def _regex_pass(t: _Text, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]) -> None:
    s = t.text()
    for m in reversed(list(pattern.finditer(s))):
        at = t.origin[m.start()] if m.start() < len(t.origin) else (t.origin[-1] if t.origin else 0)
        _splice(t, m.start(), m.end(), [(replace(m), at)])


def _dedent(t: _Text, every_line: bool = False) -> None:
    """Remove the indentation common to every non-blank line (an answer pasted from an
    indented block): the language has no blocks, so only relative indentation is an error.
    With ``every_line`` (LaTeX, where indentation means nothing) all of it goes."""
    s = t.text()
    lines = s.split("\n")
    indents = [line[: len(line) - len(line.lstrip(" \t"))] for line in lines if line.strip(" \t\r")]
    if not indents:
        return
    if every_line:
        start = 0
        for line in lines:
            cut = len(line) - len(line.lstrip(" \t"))
            _splice(t, start, start + cut, [])
            start += len(line) - cut + 1
        return
    common = indents[0]
    for ind in indents[1:]:
        k = 0
        while k < min(len(common), len(ind)) and common[k] == ind[k]:
            k += 1
        common = common[:k]
    if not common:
        return
    start = 0
    for line in lines:
        cut = len(common) if line.startswith(common) else len(line) - len(line.lstrip(" \t"))
        _splice(t, start, start + cut, [])
        start += len(line) - cut + 1


_REPEAT = re.compile(r"^[ \t]*(repeat\b[ \t]*([^:\n]*?)(?:[ \t]+times)?[ \t]*:)", re.MULTILINE)


def _repeat_pass(t: _Text) -> None:
    """``repeat 5:`` (or ``repeat 5 times:``) at the start of a line → ``for _ in range(5):``;
    the count keeps its own origin, so a refusal of it points at it."""
    s = t.text()
    for m in reversed(list(_REPEAT.finditer(s))):
        count = [(t.chars[k], t.origin[k]) for k in range(m.start(2), m.end(2))]
        close = t.origin[m.end(1) - 1]
        _splice(t, m.start(1), m.end(1), [("for _ in range(", t.origin[m.start(1)]), *count, ("):", close)])


def normalize(text: str) -> tuple[str, list[int]]:
    """Rewrite whiteboard notation (and LaTeX) to Python syntax. Returns the new text and,
    for each of its characters (plus one past the end), the index of the character it came from."""
    t = _line_endings(text)
    latex = looks_like_latex(text)
    if latex:
        t = _Latex(t).run()
    t = _char_pass(t)
    _dedent(t, every_line=latex)
    _repeat_pass(t)
    _sqrt_pass(t)
    _norm_bars(t)
    _regex_pass(t, _SUBSCRIPT_BRACES, lambda m: ("_" + m.group(1)) if m.group(1) else "")
    _regex_pass(t, _LAMBDA_NAME, lambda m: "lambda_")
    return t.text(), t.origin + [len(text)]


# --------------------------------------------------------------------------------------
# Names and aliases
# --------------------------------------------------------------------------------------


def alias_key(name: str) -> str:
    """How aliases are matched: Unicode-compatibility folded, underscores ignored
    (so β_1, β1, beta_1 and beta1 are the same name)."""
    return unicodedata.normalize("NFKC", name).replace("_", "")


def strip_time_subscript(name: str) -> str:
    """θ_t → θ, m_hat_t → m_hat (a whiteboard ``_t`` names the current value)."""
    if len(name) > 2 and name.endswith("_t"):
        return name[:-2]
    return name


def spelling_key(name: str) -> str:
    """Two spellings are the same name when they differ only by underscores, Unicode
    compatibility forms or a trailing ``_t`` (g, g_t; β₁, beta_1 are not the same spelling)."""
    return alias_key(strip_time_subscript(name))


def resolve_name(raw: str, aliases: Mapping[str, str]) -> str:
    """The canonical name ``raw`` stands for: an alias resolved, else ``raw`` without ``_t``."""
    name = strip_time_subscript(raw)
    return aliases.get(alias_key(name), aliases.get(alias_key(raw), name))


def build_alias_table(names: Mapping[str, Iterable[str]] | Iterable[str]) -> dict[str, str]:
    """{alias key: canonical name} from {canonical: aliases} (or a plain list of names)."""
    table: dict[str, str] = {}
    items = names.items() if isinstance(names, Mapping) else ((n, ()) for n in names)
    for canonical, aliases in items:
        for alias in (canonical, *aliases):
            table.setdefault(alias_key(alias), canonical)
    return table


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


class Positions:
    def __init__(self, original: str, normalized: str, origin: list[int]):
        self.original = original
        self.normalized = normalized
        self.origin = origin
        self.norm_lines = normalized.split("\n")
        self.line_starts = [0]
        for line in self.norm_lines[:-1]:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)

    def from_original_index(self, index: int) -> tuple[int, int]:
        index = max(0, min(index, len(self.original)))
        before = self.original[:index]
        line = before.count("\n") + 1
        col = index - (before.rfind("\n") + 1) + 1
        return line, col

    def from_normalized(self, line: int, char_col0: int) -> tuple[int, int]:
        line = max(1, min(line, len(self.norm_lines)))
        index = self.line_starts[line - 1] + max(0, char_col0)
        index = min(index, len(self.origin) - 1)
        return self.from_original_index(self.origin[index])

    def of_node(self, node: ast.AST) -> tuple[int, int]:
        line = getattr(node, "lineno", 1) or 1
        byte_col = getattr(node, "col_offset", 0) or 0
        text_line = self.norm_lines[line - 1] if 0 < line <= len(self.norm_lines) else ""
        char_col = len(text_line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
        return self.from_normalized(line, char_col)

    def _normalized_index(self, line: int, byte_col: int) -> int:
        line = max(1, min(line, len(self.norm_lines)))
        text_line = self.norm_lines[line - 1]
        char_col = len(text_line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
        return self.line_starts[line - 1] + char_col

    def span_of(self, node: ast.AST) -> Span | None:
        """Where ``node`` sits in the user's own text, as (start, end) indices."""
        end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        if end_line is None or end_col is None or not self.origin:
            return None
        a = self._normalized_index(getattr(node, "lineno", 1) or 1, getattr(node, "col_offset", 0) or 0)
        b = self._normalized_index(end_line, end_col)
        if b <= a:
            return None
        last = len(self.origin) - 1
        start, end = self.origin[min(a, last)], self.origin[min(b - 1, last)] + 1
        # a rewritten piece (\\epsilon → ε, √x → sqrt(x)) maps to where its source starts:
        # the next character's origin says where that source ends
        following = self.origin[min(b, last)]
        if end < following <= end + 40:
            gap = self.original[end:following]
            end = end + len(gap.rstrip(" \t\n$&"))
        return (start, end) if start < end else None


def _precheck(text: str) -> None:
    if not isinstance(text, str):
        raise RefusedAnswer("the answer must be text")
    if "\x00" in text:
        index = text.index("\x00")
        before = text[:index]
        raise RefusedAnswer("NUL bytes are not allowed", before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1)
    if len(text) > MAX_CHARS:
        raise RefusedAnswer(f"the answer is {len(text):,} characters long; the limit is {MAX_CHARS:,}")
    if not text.strip():
        raise RefusedAnswer("the answer is empty")
    if text.count("\n") + 1 > MAX_LINES:
        raise RefusedAnswer(f"the answer has {text.count(chr(10)) + 1:,} lines; the limit is {MAX_LINES}")
    if text.count("√") > MAX_BRACKET_DEPTH:  # each √ becomes a bracket pair when rewritten
        raise RefusedAnswer(f"more than {MAX_BRACKET_DEPTH} √ signs; an update rule needs a few")
    depth = 0
    line, col = 1, 0
    for c in text:
        col += 1
        if c == "\n":
            line, col = line + 1, 0
        elif c in "([{":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                raise RefusedAnswer(f"brackets nested more than {MAX_BRACKET_DEPTH} deep", line, col)
        elif c in ")]}":
            depth = max(0, depth - 1)


def parse_python(text: str, mode: str) -> tuple[ast.AST, Positions]:
    _precheck(text)
    normalized, origin = normalize(text)
    pos = Positions(text, normalized, origin)
    try:
        with warnings.catch_warnings():
            # e.g. "'int' object is not callable" for 2(x): the whitelist refuses it properly
            warnings.simplefilter("ignore")
            tree = ast.parse(normalized, mode=mode)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col0 = (exc.offset or 1) - 1
        if isinstance(exc, IndentationError):
            if (exc.msg or "").startswith("expected an indented block"):
                reason = "the lines a `repeat N:` loop runs go under it, each indented by the same amount"
            else:
                reason = "a line is indented differently from the others (only the lines under `repeat N:` are indented: start every other line in the same column)"
            col0 = 0
        else:
            backslash = normalized.split("\n")[line - 1].find("\\") if 0 < line <= normalized.count("\n") + 1 else -1
            if backslash >= 0:
                col0 = backslash  # point at the backslash, not the character after it
            reason = _syntax_reason(normalized, line, col0, (exc.msg or "invalid syntax").rstrip("."), exc.end_offset)
        raise RefusedAnswer(f"cannot parse: {reason}", *pos.from_normalized(line, col0)) from None
    except (RecursionError, MemoryError):
        raise RefusedAnswer("the answer is nested too deeply to parse") from None
    except (ValueError, OverflowError):  # e.g. an integer literal with too many digits
        raise RefusedAnswer("cannot parse: a number has too many digits (write 1e30, not 1000…0)") from None
    return tree, pos


_IMPLICIT_PRODUCT = re.compile(r"(?:[\w)]\s+|\))(?=[^\W\d]|\()|\d(?=[^\W\d])", re.UNICODE)
_KEYWORDS_BETWEEN = re.compile(r"\b(?:if|else|for|in|is|and|or|not|lambda)\b")
IMPLICIT_PRODUCT_HINT = "write * between factors: implicit multiplication (2g, η g, (1−β)g) is not supported"


_LATEX_COMMAND_AT = re.compile(r"\\([A-Za-z]*)")
_WRITE_INSTEAD = "write one assignment per line, e.g. p = p - lr*g"


def _syntax_reason(normalized: str, line: int, col0: int, message: str, end_offset: int | None = None) -> str:
    """What Python's parser said, in the user's words, with what to write instead (never
    the tokenizer's own message)."""
    lines = normalized.split("\n")
    text_line = lines[line - 1] if 0 < line <= len(lines) else ""
    ch = text_line[col0] if 0 <= col0 < len(text_line) else ""
    if ":=" in text_line:
        return "':=' is not allowed; use a plain assignment"
    backslash = text_line.find("\\")
    if backslash >= 0 or "line continuation" in message:
        m = _LATEX_COMMAND_AT.search(text_line)
        command = m.group(0) if m and m.group(1) else ""
        if m and m.group(1) == "sqrt":
            return "\\sqrt[n]{x} is not supported; write x**(1/n)"
        if command:
            return f"the LaTeX command {command} is not understood; write it in plain notation (a/b, sqrt(x), *, θ) or use \\frac, \\sqrt, \\cdot, \\hat, \\beta …"
        return "a backslash is not part of the language; write / to divide, and one statement per line"
    if message == "invalid decimal literal":
        return f"a number runs into a name ({IMPLICIT_PRODUCT_HINT})"
    if message.startswith("leading zeros"):
        return "a number cannot start with 0 (write 0.5 or 5)"
    if message.startswith("invalid character") or message.startswith("invalid non-printable"):
        shown = ch if ch and ch.isprintable() else f"U+{ord(ch):04X}" if ch else "?"
        return f"the character {shown!r} is not part of the language (use + - * / ^ √ · and the drill's names)"
    if "never closed" in message:
        return "a bracket opened here is never closed: add the missing )"
    if message.startswith("unmatched") or "does not match opening" in message:
        return "this closing bracket has no matching opening one"
    if message.startswith("unterminated") or "string" in message:
        return "strings are not allowed"
    if message.startswith("cannot assign to"):
        return "the left of = must be a single name (e.g. m = b1*m + (1 - b1)*g)"
    if message.startswith("expected ':'") or message.startswith("expected 'else'"):
        return "if statements are not allowed; use where(cond, a, b) or `a if cond else b`"
    if "keyword argument" in message or "expression cannot contain assignment" in message:
        return "keyword arguments are not allowed; write f(x, y)"
    # two factors side by side at the error (or inside the range Python points at)
    lo = max(0, min(col0, len(text_line)) - 1)
    while lo > 0 and text_line[lo] in " \t":
        lo -= 1
    hi = max(col0 + 1, (end_offset or 0) - 1) if end_offset and end_offset > 0 else col0 + 1
    window = text_line[lo : hi + 1]
    m = _IMPLICIT_PRODUCT.search(window)
    if m and not _KEYWORDS_BETWEEN.search(text_line[max(0, lo - 6) : hi + 7]):
        return f"two factors side by side ({IMPLICIT_PRODUCT_HINT})"
    if ch and not ch.isascii() and not ch.isidentifier():
        return f"the character {ch!r} is not part of the language (use + - * / ^ √ · and the drill's names)"
    if ch and ch in "'\"":
        return "strings are not allowed"
    if not text_line[col0:].strip():
        return "the line ends before the expression does (an operator or a bracket is missing its other side)"
    return f"this is not a formula the language reads; {_WRITE_INSTEAD}"


_GENERIC_REFUSALS: dict[type, str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.Attribute: "attribute access (x.y) is not allowed; use the names themselves (θ, g), not p.data or p.grad",
    ast.Subscript: "indexing (x[i]) is not allowed; the rule works on whole arrays",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.For: "loops are not allowed; the judge runs the steps for you",
    ast.AsyncFor: "loops are not allowed; the judge runs the steps for you",
    ast.While: "loops are not allowed; the judge runs the steps for you",
    ast.NamedExpr: "':=' is not allowed; use a plain assignment",
    ast.FunctionDef: "definitions (def/class) are not allowed",
    ast.AsyncFunctionDef: "definitions (def/class) are not allowed",
    ast.ClassDef: "definitions (def/class) are not allowed",
    ast.If: "if statements are not allowed; use where(cond, a, b) or `a if cond else b`",
    ast.BoolOp: "'and'/'or' are not allowed; use where, minimum or maximum",
    ast.List: "lists, tuples, sets and dicts are not allowed",
    ast.Tuple: "lists, tuples, sets and dicts are not allowed",
    ast.Set: "lists, tuples, sets and dicts are not allowed",
    ast.Dict: "lists, tuples, sets and dicts are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Delete: "del is not allowed",
    ast.Global: "global is not allowed",
    ast.Nonlocal: "nonlocal is not allowed",
    ast.With: "with is not allowed",
    ast.Try: "try is not allowed",
    ast.Raise: "raise is not allowed",
    ast.Assert: "assert is not allowed",
    ast.Return: "return is not allowed; assign the result instead",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Await: "await is not allowed",
    ast.Slice: "indexing (x[i]) is not allowed; the rule works on whole arrays",
    ast.Pass: "pass is not allowed",
    ast.Break: "break is not allowed",
    ast.Continue: "continue is not allowed",
    ast.AnnAssign: "annotations are not allowed; write name = value",
}


_STATEMENT_WORDS = {"Match": "match statements are", "TryStar": "try is", "TypeAlias": "type aliases are"}


def refusal_reason(node: ast.AST) -> str:
    """Why ``node`` is refused, in the user's words (never a Python class name)."""
    known = _GENERIC_REFUSALS.get(type(node))
    if known is not None:
        return known
    name = type(node).__name__
    if name in _STATEMENT_WORDS:
        return f"{_STATEMENT_WORDS[name]} not allowed; the rule is a flat list of assignments (e.g. p = p - lr*g)"
    if isinstance(node, ast.stmt):
        return "each line must assign one name with = (e.g. p = p - lr*g); nothing else is allowed"
    return "this is not part of the language: use numbers, the drill's names, + - * / ** and the listed functions"


def check_caps(tree: ast.AST, pos: Positions) -> None:
    """Iterative walk: node count and depth are bounded before anything recursive runs."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise RefusedAnswer(f"the answer is too large: more than {MAX_NODES} terms (an update rule needs well under 200)")
        if depth > MAX_DEPTH:
            raise RefusedAnswer(f"the expression is nested more than {MAX_DEPTH} deep", *pos.of_node(node))
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1))


class Converter:
    """Whitelist check and conversion of a Python AST to the IR, resolving names."""

    def __init__(
        self,
        pos: Positions,
        aliases: Mapping[str, str],
        reserved: Iterable[str] = (),
        local_spellings: Mapping[str, str] | None = None,
    ):
        self.pos = pos
        self.aliases = aliases
        self.reserved = set(reserved)
        self.local_spellings = dict(local_spellings or {})

    def refuse(self, node: ast.AST, reason: str) -> RefusedAnswer:
        return RefusedAnswer(reason, *self.pos.of_node(node))

    def canonical(self, raw: str) -> str:
        if self.local_spellings:
            local = self.local_spellings.get(spelling_key(raw))
            if local is not None:
                return local
        return resolve_name(raw, self.aliases)

    def is_variable(self, raw: str) -> bool:
        return self.canonical(raw) in set(self.aliases.values())

    def names_a_variable(self, raw: str) -> bool:
        """A drill's name or the rule's own word, even where a function has that name too
        (lr_min's alias floor): as a bare name it is the variable, called it is the function."""
        return self.is_variable(raw) or spelling_key(raw) in self.local_spellings

    def expr(self, node: ast.AST) -> Expr:
        """The IR for ``node``; every node remembers where it sits in the user's text."""
        result = self.convert(node)
        if result.span is None:
            span = self.pos.span_of(node)
            if span is not None:
                result = replace(result, span=span)
        return result

    def convert(self, node: ast.AST) -> Expr:
        p = self.pos.of_node(node)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                if isinstance(value, (str, bytes)):
                    raise self.refuse(node, "strings are not allowed")
                raise self.refuse(node, f"only real numbers are allowed, not {value!r}"[:120])
            try:
                number = float(value)
            except OverflowError:
                raise self.refuse(node, "number too large") from None
            if not math.isfinite(number):
                raise self.refuse(node, "number too large")
            return Num(number, p)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return Num(CONSTANTS[node.id], p)
            if (node.id in FUNCTIONS or node.id in FUNCTION_ALIASES) and not self.names_a_variable(node.id):
                raise self.refuse(node, f"{node.id} is a function; call it as {node.id}(...)")
            return Var(self.canonical(node.id), p)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                operand = self.expr(node.operand)
                if isinstance(operand, Num):
                    return Num(-operand.value, p)
                return Unary("-", operand, p)
            if isinstance(node.op, ast.UAdd):
                return self.expr(node.operand)
            if isinstance(node.op, ast.Not):
                raise self.refuse(node, "'not' is not allowed; use where(cond, a, b)")
            raise self.refuse(node, "'~' is not allowed")
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                symbol = {ast.BitXor: "^", ast.Mod: "%", ast.FloorDiv: "//"}.get(type(node.op), type(node.op).__name__)
                if isinstance(node.op, ast.FloorDiv):
                    raise self.refuse(node, "operator '//' is not supported: write floor(a/b)")
                raise self.refuse(node, f"operator {symbol!r} is not supported (use + - * / % ** ^ or @)")
            if op == "**" and isinstance(node.right, ast.Name) and node.right.id == "T" and not self.is_variable("T"):
                raise self.refuse(node, "for the transpose write Xᵀ, X.T or transpose(X) (X^T reads as a power)")
            left, right = self.expr(node.left), self.expr(node.right)
            if op == "@":
                return self.matmul(node, left, right, p)
            return _fold(Bin(op, left, right, p), self, node)
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.refuse(node, "chained comparisons (a < b < c) are not allowed; combine two where(...) instead")
            op = _CMPOPS.get(type(node.ops[0]))
            if op is None:
                raise self.refuse(node, "only < <= > >= == != comparisons are allowed")
            return Cmp(op, self.expr(node.left), self.expr(node.comparators[0]), p)
        if isinstance(node, ast.IfExp):
            return Call("where", (self.expr(node.test), self.expr(node.body), self.expr(node.orelse)), p)
        if isinstance(node, ast.Attribute):
            dotted = _module_name(node)
            if dotted is not None and dotted[1] in CONSTANTS:
                return Num(CONSTANTS[dotted[1]], p)
            if node.attr == "T" and not (isinstance(node.value, ast.Name) and node.value.id in MODULE_PREFIXES):
                return Call("transpose", (self.expr(node.value),), p)
            raise self.refuse(node, _attribute_reason(node))
        if isinstance(node, ast.Call):
            func_name: str
            if isinstance(node.func, ast.Attribute):
                dotted = _module_name(node.func)
                if dotted is None:
                    raise self.refuse(node.func, _attribute_reason(node.func))
                func_name = dotted[1]
                shown = f"{dotted[0]}.{dotted[1]}"
            elif isinstance(node.func, ast.Name):
                func_name = shown = node.func.id
            else:
                if isinstance(node.func, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Call)):
                    raise self.refuse(node, f"a number or a bracket cannot be called: {IMPLICIT_PRODUCT_HINT}")
                raise self.refuse(node, "only the listed functions can be called")
            fname = FUNCTION_ALIASES.get(func_name, func_name)
            if fname not in FUNCTIONS:
                if isinstance(node.func, ast.Name) and (func_name in CONSTANTS or self.is_variable(func_name)):
                    raise self.refuse(node, f"{func_name} is not a function: write {func_name}*(…) (implicit multiplication is not supported)")
                raise self.refuse(node, f"unknown function {shown!r} (available: {', '.join(FUNCTIONS)}; min/max also work)")
            if node.keywords:
                raise self.refuse(node, "keyword arguments are not allowed")
            lo, hi, _ = FUNCTIONS[fname]
            if not lo <= len(node.args) <= hi:
                want = str(lo) if lo == hi else f"{lo} to {hi}"
                raise self.refuse(node, f"{func_name}() takes {want} argument{'s' if hi > 1 else ''}, got {len(node.args)}")
            args = tuple(self.expr(a) for a in node.args)
            if fname == "matmul":  # one way to write it in the tree: a @ b
                return self.matmul(node, args[0], args[1], p)
            return Call(fname, args, p)
        raise self.refuse(node, refusal_reason(node))

    def matmul(self, node: ast.AST, left: Expr, right: Expr, p: tuple[int, int]) -> Expr:
        if isinstance(left, Num) or isinstance(right, Num):
            raise self.refuse(node, "@ is the matrix product: both sides must be matrices or vectors; to scale by a number write 2*X")
        return Bin("@", left, right, p)

    def target(self, node: ast.AST) -> str:
        if not isinstance(node, ast.Name):
            if isinstance(node, (ast.Tuple, ast.List)):
                raise self.refuse(node, "assign one name per statement (no a, b = ...)")
            raise self.refuse(node, _GENERIC_REFUSALS.get(type(node), "you can only assign to a name"))
        if node.id in CONSTANTS or (node.id in FUNCTIONS or node.id in FUNCTION_ALIASES) and not self.names_a_variable(node.id):
            raise self.refuse(node, f"{node.id!r} is built in and cannot be assigned")
        name = self.canonical(node.id)
        if name in self.reserved:
            raise self.refuse(node, f"{node.id!r} is given by the drill and cannot be assigned")
        return name

    def statements(self, node: ast.stmt) -> list[Assign]:
        """The assignments ``node`` stands for: itself, or a ``repeat N:`` loop unrolled."""
        if not isinstance(node, ast.For):
            return [self.statement(node)]
        count = self.repeat_count(node)
        body: list[Assign] = []
        for inner in node.body:
            if isinstance(inner, (ast.For, ast.While, ast.AsyncFor)):
                raise self.refuse(inner, "a loop inside a loop is not allowed; write the lines out, or multiply the counts")
            body.append(self.statement(inner))
        counter = node.target.id  # type: ignore[attr-defined]  # checked by repeat_count
        for inner in node.body:
            for name in ast.walk(inner):
                if isinstance(name, ast.Name) and name.id == counter and isinstance(name.ctx, ast.Load):
                    raise self.refuse(name, f"the loop counter {counter} cannot be used: `repeat N:` only runs its lines N times")
        return body * count

    def repeat_count(self, node: ast.For) -> int:
        form = "a loop must be `repeat N:` (or `for _ in range(N):`) with N a whole number"
        call = node.iter
        if node.orelse:
            raise self.refuse(node, f"for … else is not allowed; {form}")
        if not isinstance(node.target, ast.Name):
            raise self.refuse(node.target, form)
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "range" and len(call.args) == 1 and not call.keywords):
            raise self.refuse(node, f"{form}; the judge runs the steps for you, a loop only repeats lines within one step")
        arg = call.args[0]
        value = arg.value if isinstance(arg, ast.Constant) else None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REPEAT:
            raise self.refuse(arg, f"repeat takes a whole number from 1 to {MAX_REPEAT} (written out, not a name)")
        return value

    def statement(self, node: ast.stmt) -> Assign:
        line, col = self.pos.of_node(node)
        if isinstance(node, ast.Assign):
            if len(node.targets) != 1:
                raise self.refuse(node, "one assignment per statement (no a = b = ...)")
            target = self.target(node.targets[0])
            return Assign(target, self.expr(node.value), line, col, self.pos.span_of(node))
        if isinstance(node, ast.AugAssign):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.refuse(node, "only += -= *= /= **= are allowed")
            target = self.target(node.target)
            tp = self.pos.of_node(node.target)
            value = Bin(op, Var(target, tp, self.pos.span_of(node.target)), self.expr(node.value), (line, col))
            return Assign(target, value, line, col, self.pos.span_of(node))
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                raise self.refuse(node, "strings are not allowed")
            if isinstance(node.value, ast.Compare) and isinstance(node.value.ops[0], ast.Eq):
                raise self.refuse(node, "use = to assign, not ==")
            if isinstance(node.value, (ast.Yield, ast.YieldFrom, ast.Await, ast.Lambda, ast.NamedExpr)):
                raise self.refuse(node.value, _GENERIC_REFUSALS[type(node.value)])
            raise self.refuse(node, "each line must assign a name (e.g. p = p - lr*g)")
        raise self.refuse(node, refusal_reason(node))


def _module_name(node: ast.Attribute) -> tuple[str, str] | None:
    """('np', 'sqrt') for np.sqrt, ('np.linalg', 'norm') for np.linalg.norm; None unless the
    prefix is exactly one of MODULE_PREFIXES (optionally .linalg) and the name is in the language."""
    parts = [node.attr]
    value: ast.AST = node.value
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    if not isinstance(value, ast.Name) or value.id not in MODULE_PREFIXES:
        return None
    parts.reverse()
    if len(parts) == 2 and parts[0] == "linalg" and parts[1] == "norm":
        return f"{value.id}.linalg", "norm"
    if len(parts) != 1:
        return None
    name = parts[0]
    if name in FUNCTIONS or name in FUNCTION_ALIASES or name in CONSTANTS:
        return value.id, name
    return None


def _attribute_reason(node: ast.Attribute) -> str:
    base = node.value
    if node.attr in ("t", "mT", "transpose"):
        return "for the transpose write Xᵀ, X.T or transpose(X)"
    if isinstance(base, ast.Name) and base.id in MODULE_PREFIXES:
        return f"{base.id}.{node.attr} is not in the language (functions: {', '.join(FUNCTIONS)}; constant pi)"
    if node.attr in FUNCTIONS or node.attr in FUNCTION_ALIASES:
        return f"methods are not allowed; write {node.attr}(x), not x.{node.attr}()"
    return _GENERIC_REFUSALS[ast.Attribute]


def _fold(node: Bin, conv: Converter, where: ast.AST) -> Expr:
    """Fold a constant operation at parse time; refuse one that overflows."""
    if not (isinstance(node.left, Num) and isinstance(node.right, Num)):
        return node
    a, b = node.left.value, node.right.value
    try:
        value = _PY_OPS[node.op](a, b)
    except OverflowError:
        raise conv.refuse(where, "constant expression overflows") from None
    except ZeroDivisionError:
        raise conv.refuse(where, "division by zero in a constant expression") from None
    if isinstance(value, complex):
        return node  # e.g. (-8)**(1/3): left to the array library (gives nan)
    if not math.isfinite(value):
        raise conv.refuse(where, "constant expression overflows")
    return Num(float(value), node.pos, node.span)


def parse_expression(text: str, names: Mapping[str, Iterable[str]] | Iterable[str]) -> Expr:
    """Parse one formula (e.g. ``mu*(1 - b1^t)`` or ``μ·(1 − β₁ᵗ)``) over ``names``.

    ``names`` is either canonical names or ``{canonical: aliases}``; aliases resolve to the
    canonical name. Unknown names are refused, listing the names available."""
    aliases = build_alias_table(names)
    stripped = text.strip()
    tree, pos = parse_python(stripped if stripped else text, "eval")
    check_caps(tree, pos)
    conv = Converter(pos, aliases)
    expr = conv.expr(tree.body)  # type: ignore[attr-defined]
    known = set(aliases.values())
    for var in iter_vars(expr):
        if var.name not in known:
            raise RefusedAnswer(_unknown_name_reason(var.name, sorted(known)), *var.pos)
    return expr


def _unknown_name_reason(name: str, available: Sequence[str]) -> str:
    return f"unknown name {name!r} (available: {', '.join(available)})"


def iter_vars(expr: Expr) -> Iterable[Var]:
    stack: list[Expr] = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Var):
            yield e
        elif isinstance(e, Unary):
            stack.append(e.operand)
        elif isinstance(e, (Bin, Cmp)):
            stack.extend((e.right, e.left))
        elif isinstance(e, Call):
            stack.extend(reversed(e.args))


def _local_spellings(body: Sequence[ast.stmt], aliases: Mapping[str, str], shadowable: set[str]) -> dict[str, str]:
    """{spelling key: local name} for the alias spellings that name the rule's own variable
    (see :func:`parse_rule`)."""
    called = set()
    names: list[ast.Name] = []
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called.add(id(node.func))
            elif isinstance(node, ast.Name):
                names.append(node)
    spellings: dict[str, set[str]] = {}  # input -> spelling keys used for it
    assigned: dict[str, str] = {}  # spelling key -> the raw name first assigned
    for node in names:
        if id(node) in called:
            continue
        canonical = resolve_name(node.id, aliases)
        if canonical not in aliases.values():
            continue
        key = spelling_key(node.id)
        spellings.setdefault(canonical, set()).add(key)
        if isinstance(node.ctx, ast.Store):
            assigned.setdefault(key, node.id)
    taken = set(aliases.values())
    local: dict[str, str] = {}
    for key, raw in assigned.items():
        canonical = resolve_name(raw, aliases)
        if key not in shadowable or key == alias_key(canonical) or not (spellings[canonical] - {key}):
            continue
        name = unicodedata.normalize("NFKC", strip_time_subscript(raw))
        while name in taken:
            name += "_"
        taken.add(name)
        local[key] = name
    return local


def parse_rule(
    text: str,
    inputs: Mapping[str, Iterable[str]],
    *,
    display: Mapping[str, str] | None = None,
    reserved: Iterable[str] = (),
    shadowable: Iterable[str] = (),
) -> Rule:
    """Parse a multi-line update rule over the drill's ``inputs`` ({canonical: aliases}).

    Names the rule assigns become its own variables; those read before being assigned are
    state (zero at the first step, carried between steps). A name read that is neither an
    input nor assigned anywhere is refused, listing what is available.

    Assigning an input overwrites it for the rest of the step (``g = g + wd*p``). The aliases
    in ``shadowable`` are ordinary words (step, decay, momentum, c, grad): when the rule
    assigns one of them and also uses the same input under another name, the word is the
    rule's own variable, not the input. In ``step = lr/(1 - b1^t)`` … ``b2^t``, ``step`` is a
    new name and t stays the step number; in ``momentum = mu*momentum + g``, momentum is the
    velocity (state), not μ."""
    aliases = build_alias_table(inputs)
    tree, pos = parse_python(text, "exec")
    check_caps(tree, pos)
    body = tree.body  # type: ignore[attr-defined]
    if not body:
        raise RefusedAnswer("the answer has no statements (only comments?)")
    written = [inner for node in body for inner in ([node, *node.body] if isinstance(node, ast.For) else [node])]
    if len(written) > MAX_STATEMENTS:
        raise RefusedAnswer(f"the answer has {len(written)} statements; the limit is {MAX_STATEMENTS}", *pos.of_node(written[MAX_STATEMENTS]))
    conv = Converter(pos, aliases, reserved, _local_spellings(body, aliases, {spelling_key(a) for a in shadowable}))
    statements = tuple(s for node in body for s in conv.statements(node))

    assigned = {s.target for s in statements}
    seen: set[str] = set()
    state: list[str] = []
    used_inputs: set[str] = set()
    available = [display.get(n, n) if display else n for n in inputs]
    for s in statements:
        for var in iter_vars(s.value):
            if var.name in inputs:
                used_inputs.add(var.name)
            elif var.name in seen:
                pass
            elif var.name in assigned:
                if var.name not in state:
                    state.append(var.name)
            else:
                raise RefusedAnswer(_unknown_name_reason(var.name, available), *var.pos)
        seen.add(s.target)
    return Rule(statements, frozenset(used_inputs), tuple(state), frozenset(assigned), text)


# --------------------------------------------------------------------------------------
# Backends and evaluation
# --------------------------------------------------------------------------------------


class EvaluationError(ValueError):
    """An operation of the rule cannot be computed on these values (a matrix product of
    shapes that do not fit, …); the message says why in the user's words."""


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in getattr(x, "shape", ()))


def _checked_matmul(matmul: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """The library's matrix product, refusing operands that do not fit with both shapes named."""

    def product(a: Any, b: Any) -> Any:
        try:  # the shapes are looked at only when the library refuses them: this is hot
            return matmul(a, b)
        except (ValueError, RuntimeError, TypeError):
            raise EvaluationError(_matmul_refusal(_shape(a), _shape(b))) from None

    return product


def _matmul_refusal(sa: tuple[int, ...], sb: tuple[int, ...]) -> str:
    for side, shape in (("left", sa), ("right", sb)):
        if not shape:
            return f"@ is the matrix product, but its {side} side is a number here: scale with * instead"
    inner_a, inner_b = sa[-1], sb[0] if len(sb) == 1 else sb[-2]
    if inner_a != inner_b:
        return f"@ of shapes {sa} and {sb}: the left's columns ({inner_a}) must equal the right's rows ({inner_b})"
    return f"@ cannot multiply arrays of shapes {sa} and {sb}"


def _transpose(x: Any) -> Any:
    shape = _shape(x)
    if len(shape) < 2:
        return x  # a number or a vector: as numpy's .T
    if len(shape) > 2:
        raise EvaluationError(f"transpose takes a matrix, not an array of shape {shape}")
    return x.T


def _matrix_shape(x: Any, what: str) -> tuple[int, ...]:
    shape = _shape(x)
    if len(shape) > 2:
        raise EvaluationError(f"{what}() takes a matrix, not an array of shape {shape}")
    return shape


def _rows(x: Any) -> float:
    """Rows of a matrix; a vector counts as a column (its length), a number as 1."""
    shape = _matrix_shape(x, "rows")
    return float(shape[0]) if shape else 1.0


def _cols(x: Any) -> float:
    shape = _matrix_shape(x, "cols")
    return float(shape[1]) if len(shape) == 2 else 1.0


def _numel(x: Any) -> float:
    return float(math.prod(_shape(x)))


# Shapes, not values: the same on every backend, and plain numbers (as hyper-parameters are).
_SHAPE_FUNCTIONS: dict[str, Callable[..., Any]] = {"transpose": _transpose, "rows": _rows, "cols": _cols, "numel": _numel}


@dataclass
class Backend:
    """The array library a rule runs on: its functions, and how to make a zero state."""

    name: str
    functions: dict[str, Callable[..., Any]]
    zeros_like: Callable[[Any], Any]


_NUMPY_BACKEND: Backend | None = None


def numpy_backend() -> Backend:
    global _NUMPY_BACKEND
    if _NUMPY_BACKEND is None:
        import numpy as np

        def norm(x: Any) -> Any:
            x = np.asarray(x)
            return np.sqrt(np.sum(x * x))

        def row_mean(x: Any) -> Any:
            return np.mean(x, axis=-1, keepdims=True)

        def col_mean(x: Any) -> Any:
            return np.mean(x, axis=-2, keepdims=True)

        def where(c: Any, a: Any, b: Any) -> Any:
            if np.ndim(c) == 0:  # one condition for the whole array: a or b as they are (Xᵀ or X)
                return a if c else b
            return np.where(c, a, b)

        fns: dict[str, Callable[..., Any]] = {
            "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign, "exp": np.exp, "log": np.log,
            "cos": np.cos, "sin": np.sin, "tanh": np.tanh, "maximum": np.maximum,
            "minimum": np.minimum, "clip": np.clip, "norm": norm, "sum": np.sum,
            "mean": np.mean, "where": where, "pow": np.power, "floor": np.floor, "row_mean": row_mean, "col_mean": col_mean,
            "matmul": _checked_matmul(np.matmul),
            **_SHAPE_FUNCTIONS,
        }  # fmt: skip
        _NUMPY_BACKEND = Backend("numpy", fns, np.zeros_like)
    return _NUMPY_BACKEND


def torch_backend(dtype: Any = None, device: Any = "cpu") -> Backend:
    """Functions over torch tensors of ``dtype`` on ``device``. As in torch.optim, plain
    numbers (hyper-parameters, t, 1 − β₂ᵗ) stay Python floats: a function of numbers only is
    computed in float64 and gives a number; tensors stay in ``dtype``."""
    import torch

    dtype = dtype or torch.float32

    def T(x: Any) -> Any:
        return x if isinstance(x, torch.Tensor) else torch.as_tensor(x, dtype=dtype, device=device)

    def scalars(f: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if any(isinstance(a, torch.Tensor) for a in args):
                return f(*(T(a) for a in args))
            return float(f(*(torch.as_tensor(a, dtype=torch.float64) for a in args)))

        return call

    def norm(x: Any) -> Any:
        x = T(x)
        return torch.sqrt(torch.sum(x * x))

    def where(c: Any, a: Any, b: Any) -> Any:
        if c.ndim == 0:  # one condition for the whole array: a or b as they are (Xᵀ or X)
            return a if bool(c != 0) else b
        return torch.where(c != 0, a, b)

    def clip(x: Any, lo: Any, hi: Any) -> Any:
        return torch.minimum(torch.maximum(x, lo), hi)

    def row_mean(x: Any) -> Any:
        return torch.mean(x, dim=-1, keepdim=True)

    def col_mean(x: Any) -> Any:
        return torch.mean(x, dim=-2, keepdim=True)

    fns: dict[str, Callable[..., Any]] = {
        "sqrt": scalars(torch.sqrt), "abs": scalars(torch.abs), "sign": scalars(torch.sign),
        "exp": scalars(torch.exp), "log": scalars(torch.log), "cos": scalars(torch.cos),
        "sin": scalars(torch.sin), "tanh": scalars(torch.tanh),
        "maximum": scalars(torch.maximum), "minimum": scalars(torch.minimum),
        "clip": scalars(clip), "norm": scalars(norm), "sum": scalars(torch.sum), "mean": scalars(torch.mean),
        "where": scalars(where), "pow": scalars(torch.pow), "floor": scalars(torch.floor), "row_mean": scalars(row_mean), "col_mean": scalars(col_mean),
        "matmul": scalars(_checked_matmul(torch.matmul)),
        **_SHAPE_FUNCTIONS,
    }  # fmt: skip

    def zeros_like(x: Any) -> Any:
        return torch.zeros_like(T(x))

    return Backend(f"torch:{device}", fns, zeros_like)


def _compile(expr: Expr, fns: Mapping[str, Callable[..., Any]], memo: dict[int, Any] | None = None) -> Callable[[dict[str, Any]], Any]:
    """Turn the tree into nested closures: one Python call per node, no eval/exec. With
    ``memo`` ({id(node): (closure, node)}), sub-trees compiled before are reused."""
    if memo is not None:
        hit = memo.get(id(expr))
        if hit is not None:
            return hit[0]
        fn = _compile_node(expr, fns, memo)
        memo[id(expr)] = (fn, expr)  # the node is kept alive, so its id stays its own
        return fn
    return _compile_node(expr, fns, None)


def _compile_node(expr: Expr, fns: Mapping[str, Callable[..., Any]], memo: dict[int, Any] | None) -> Callable[[dict[str, Any]], Any]:
    _compile_child = lambda e: _compile(e, fns, memo)  # noqa: E731
    if isinstance(expr, Num):
        value = expr.value
        return lambda env: value
    if isinstance(expr, Var):
        return operator.itemgetter(expr.name)
    if isinstance(expr, Unary):
        inner = _compile_child(expr.operand)
        return lambda env: -inner(env)
    if isinstance(expr, Cmp):
        # 1.0 / 0.0 rather than booleans, so (g > 0) - (g < 0) works on every backend
        cmp = _PY_OPS[expr.op]
        lhs, rhs = _compile_child(expr.left), _compile_child(expr.right)
        return lambda env: cmp(lhs(env), rhs(env)) * 1.0
    if isinstance(expr, Bin) and expr.op == "@":
        product = fns["matmul"]
        a, b = _compile_child(expr.left), _compile_child(expr.right)
        return lambda env: product(a(env), b(env))
    if isinstance(expr, Bin):
        op = _PY_OPS[expr.op]
        left = _compile_child(expr.left)
        if isinstance(expr.right, Num):
            c = expr.right.value
            return lambda env: op(left(env), c)
        right = _compile_child(expr.right)
        if isinstance(expr.left, Num):
            c0 = expr.left.value
            return lambda env: op(c0, right(env))
        return lambda env: op(left(env), right(env))
    if isinstance(expr, Call) and expr.func == "where" and len(expr.args) == 3:
        # One number as the condition picks a whole branch (see the backends' where): only
        # that branch is computed, as Python's `a if c else b` would (every k-th step rules).
        pick = fns["where"]
        cond, if_true, if_false = (_compile_child(a) for a in expr.args)

        def where(env: dict[str, Any]) -> Any:
            c = cond(env)
            if getattr(c, "ndim", 0) == 0:
                return if_true(env) if pick(c, True, False) else if_false(env)
            return pick(c, if_true(env), if_false(env))

        return where
    if isinstance(expr, Call):
        f = fns[expr.func]
        args = [_compile_child(a) for a in expr.args]
        if len(args) == 1:
            a0 = args[0]
            return lambda env: f(a0(env))
        if len(args) == 2:
            a0, a1 = args
            return lambda env: f(a0(env), a1(env))
        return lambda env: f(*[a(env) for a in args])
    raise TypeError(f"not an expression node: {expr!r}")


def compile_expression(expr: Expr, backend: Backend | None = None, memo: dict[int, Any] | None = None) -> Callable[[dict[str, Any]], Any]:
    """``expr`` as a function of the environment (nested closures over the backend's
    functions; never eval/exec). ``memo`` lets many similar trees share compiled sub-trees."""
    return _compile(expr, (backend or numpy_backend()).functions, memo)


def evaluate(expr: Expr, env: Mapping[str, Any], backend: Backend | None = None) -> Any:
    """Value of ``expr`` with names from ``env`` (numbers or arrays), on numpy by default."""
    backend = backend or numpy_backend()
    return _compile(expr, backend.functions)(dict(env))


class CompiledRule:
    """A rule bound to a backend. ``step(env)`` runs the statements once, in order, on
    ``env`` (updated in place); ``init_state(env, like)`` puts zeros in for its state."""

    def __init__(self, rule: Rule, backend: Backend):
        self.rule = rule
        self.backend = backend
        self._program = [(s.target, _compile(s.value, backend.functions)) for s in rule.statements]

    def init_state(self, env: dict[str, Any], like: Any) -> None:
        for name in self.rule.state:
            env[name] = self.backend.zeros_like(like)

    def step(self, env: dict[str, Any]) -> None:
        """Run the statements once. An error the array library raises (e.g. shapes that do
        not broadcast) is refused with the line of the statement that raised it."""
        done = 0
        try:
            for target, fn in self._program:
                env[target] = fn(env)
                done += 1
        except (ArithmeticError, TypeError, ValueError, RuntimeError, IndexError) as exc:
            s = self.rule.statements[done]
            raise RefusedAnswer(f"cannot evaluate this line: {_runtime_reason(exc)}", s.line, s.col) from None


_SHAPES = re.compile(r"shapes? ((?:\([\d, ]*\)\s*)+)")


def _runtime_reason(exc: BaseException) -> str:
    """Why the array library could not run a line, in the user's words."""
    text = str(exc)
    if isinstance(exc, EvaluationError):
        return text
    if "broadcast" in text or "must match the size" in text or "size of tensor" in text:
        shapes = _SHAPES.search(text)
        seen = f" ({shapes.group(1).strip()})" if shapes else ""
        return f"the arrays' shapes do not fit together{seen}: + - * / work elementwise on θ-shaped arrays and numbers (@ is the matrix product)"
    if isinstance(exc, ZeroDivisionError):
        return "a division by zero"
    if isinstance(exc, OverflowError):
        return "a number overflows"
    return "the array library cannot compute it (check the functions' arguments)"


def compile_rule(rule: Rule, backend: Backend | None = None) -> CompiledRule:
    return CompiledRule(rule, backend or numpy_backend())
