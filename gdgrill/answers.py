"""Quick-fire answers judged by meaning: the typed answer and each ``accept`` entry are
read into a canonical form and the forms compared, as an interviewer would.

What is read (:func:`read`):

- **numbers** in any usual spelling: ``1e-8``, ``10^-8``, ``1 × 10⁻⁸``, ``0.00000001``;
  number words (``zero`` … ``twenty``, ``thirty`` … ``ninety``, ``hundred``, ``thousand``,
  ``million``, ``billion``: ``375 million``); ``k``/``M``/``B`` suffixes (``k`` is 1024 where
  the card says so, as for batch sizes); percentages (``2 %``, ``2 percent``); fractions and
  factors (``1/10``, ``÷10``, ``/10``, ``×0.1``, ``divided by 10``, ``a tenth``, ``10x
  smaller``; on a card about a decrease ``10x`` alone is a tenth too);
- **units**: a unit word after a number (steps, epochs, tokens, images, minutes, hours,
  bits …) must be one the card allows; another unit is wrong (``5 steps`` for 5 epochs);
- **ranges** ``LOW..HIGH`` (in a card), ``2e-5 to 5e-5``, ``1-5%``, ``between 3 and 10``;
- **several values**: ordered (``0.9, 0.999``, ``(0.9, 0.999)``, ``0.9 and 0.999``) or named,
  in any order, in a short sentence (``beta2=0.999 beta1=0.9``, ``β1 is 0.9 and β2 0.999``,
  ``8 exponent bits, 7 mantissa bits``, ``E8M7``); two hedged values (``0.1 or 0.01``) are
  never an answer;
- **formulas**, parsed by the drills' safe expression language (never ``eval``) and compared
  as mathematics by evaluating both at sample points: term order and rewrites pass
  (``2/(μ+L)`` = ``2/(λ_min+λ_max)``), Greek letters and their names are one (μ/mu, λ/lambda,
  η/eta, κ/kappa …), the card adds its own aliases (``L`` for λ_max, ``k`` for κ) and fixes
  the values its question gives (β2 = 0.999 turns ``1/(1−β2)`` into 1000);
- **big-O**: ``O(…)`` compared on the inner expression up to a constant factor
  (``O(1/√T)`` = ``O(T^(-1/2))`` = ``O(1/T^0.5)``);
- failing all that, a **phrase**, compared ignoring case, punctuation and filler words.

How a card shapes the reading is its ``check:`` mapping (see :class:`Spec`). Nothing here
imports numpy or sympy: formulas are evaluated on floats with :mod:`math`.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping, NamedTuple, Sequence, Union

REL_TOL = 1e-6

# -- the card's side: what its answer is ---------------------------------------------------

UNITS = {
    "steps": ("step", "steps", "iteration", "iterations", "iter", "iters", "update", "updates"),
    "epochs": ("epoch", "epochs"),
    "tokens": ("token", "tokens", "tok", "toks"),
    "images": ("image", "images", "img", "imgs"),
    "examples": ("example", "examples", "sample", "samples", "sequence", "sequences"),
    "minutes": ("minute", "minutes", "min", "mins"),
    "hours": ("hour", "hours", "hr", "hrs", "h"),
    "seconds": ("second", "seconds", "sec", "secs", "s"),
    "bits": ("bit", "bits"),
}
_TIME = {"seconds": 1 / 60, "minutes": 1.0, "hours": 60.0}  # a time in another unit converts
_UNIT_OF = {word: unit for unit, words in UNITS.items() for word in words}
SPEC_KEYS = {"unit", "percent", "tolerance", "kilo", "names", "variables", "given", "direction"}


@dataclass(frozen=True)
class Spec:
    """What a card's ``check:`` says about its answer (every key optional):

    - ``unit``: the unit of the value (steps, epochs, tokens, images, examples, minutes,
      hours, seconds, bits); an answer in another unit is wrong;
    - ``percent``: the value is a share: ``2%``, ``2 percent`` and ``0.02`` are one, and a
      bare number of 1 or more is read as a percentage;
    - ``tolerance``: relative tolerance (default exact, 1e-6), for a measured figure;
    - ``kilo``: 1024 when ``8k`` means 8192 (batch sizes), else 1000;
    - ``names``: the names of several values, in the accept entries' order (``[β1, β2]``);
      each may be a list, its first item the name and the rest aliases;
    - ``variables``: a formula's names with their aliases (``{λ_max: [L, largest eigenvalue]}``);
    - ``given``: values the question fixes (``{β2: 0.999}``), so a formula over them is a number;
    - ``direction: down``: the answer is a decrease factor, so ``10x`` alone means ÷10."""

    unit: str | None = None
    percent: bool = False
    tolerance: float = REL_TOL
    kilo: int = 1000
    names: tuple[tuple[str, ...], ...] = ()
    variables: tuple[tuple[str, tuple[str, ...]], ...] = ()
    given: tuple[tuple[str, float], ...] = ()
    direction: str | None = None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> "Spec":
        if not raw:
            return DEFAULT_SPEC
        names = tuple(tuple(n) if isinstance(n, (list, tuple)) else (n,) for n in raw.get("names", ()))
        variables = tuple((k, tuple(v or ())) for k, v in (raw.get("variables") or {}).items())
        return cls(
            unit=raw.get("unit"),
            percent=bool(raw.get("percent", False)),
            tolerance=float(raw.get("tolerance", REL_TOL)),
            kilo=int(raw.get("kilo", 1000)),
            names=names,
            variables=variables,
            given=tuple((k, float(v)) for k, v in (raw.get("given") or {}).items()),
            direction=raw.get("direction"),
        )


DEFAULT_SPEC = Spec()


def spec_problems(raw: Any) -> list[str]:
    """What is wrong with a card's ``check:`` mapping (empty: nothing)."""
    if not isinstance(raw, dict):
        return ["field 'check' must be a mapping (unit, percent, tolerance, kilo, names, variables, given, direction)"]
    out = []
    for key in raw:
        if key not in SPEC_KEYS:
            out.append(f"check: unknown key {key!r} (allowed: {', '.join(sorted(SPEC_KEYS))})")
    if "unit" in raw and raw["unit"] not in UNITS:
        out.append(f"check.unit must be one of {', '.join(UNITS)}")
    if "percent" in raw and not isinstance(raw["percent"], bool):
        out.append("check.percent must be true or false")
    tol = raw.get("tolerance", REL_TOL)
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and 0 <= tol < 1):
        out.append("check.tolerance must be a relative tolerance from 0 to 1")
    if raw.get("kilo", 1000) not in (1000, 1024):
        out.append("check.kilo must be 1000 or 1024")
    names = raw.get("names", [])
    if not (isinstance(names, list) and all(isinstance(n, str) or (isinstance(n, list) and n and all(isinstance(a, str) for a in n)) for n in names)):
        out.append("check.names must be a list of names (or of [name, alias, ...] lists)")
    variables = raw.get("variables", {})
    if not (isinstance(variables, dict) and all(isinstance(k, str) and (v is None or (isinstance(v, list) and all(isinstance(a, str) for a in v))) for k, v in variables.items())):
        out.append("check.variables must map each name to a list of aliases")
    given = raw.get("given", {})
    if not (isinstance(given, dict) and all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) for k, v in given.items())):
        out.append("check.given must map names to numbers")
    if raw.get("direction", "down") != "down":
        out.append("check.direction can only be 'down'")
    return out


# -- readings ------------------------------------------------------------------------------


class Num(NamedTuple):
    value: float
    unit: str | None = None
    percent: bool = False  # written as a percentage

    def __str__(self) -> str:
        return f"{self.value:g}" + (f" {self.unit}" if self.unit else "")


class Span(NamedTuple):
    low: float
    high: float
    unit: str | None = None

    def __str__(self) -> str:
        return f"{self.low:g} to {self.high:g}" + (f" {self.unit}" if self.unit else "")


class Values(NamedTuple):
    items: tuple[float, ...]
    names: tuple[str, ...] | None = None  # None: in order; else each value's name

    def __str__(self) -> str:
        if self.names:
            return ", ".join(f"{n} = {v:g}" for n, v in zip(self.names, self.items))
        return "(" + ", ".join(f"{v:g}" for v in self.items) + ")"


class Form(NamedTuple):
    text: str  # as parsed (canonical names)
    expr: Any
    names: frozenset[str]

    def __str__(self) -> str:
        return f"formula {self.text}"


class BigO(NamedTuple):
    inner: Form

    def __str__(self) -> str:
        return f"O({self.inner.text})"


class Words(NamedTuple):
    text: str

    def __str__(self) -> str:
        return repr(self.text)


Reading = Union[Num, Span, Values, Form, BigO, Words]


# -- normalising text ----------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁽⁾ᵗᵀⁿᵏ", "0123456789-+()tTnk")
_SUPER_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁽⁾ᵗᵀⁿᵏ]+")
_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eps": "ε", "eta": "η",
    "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "phi": "φ", "omega": "ω",
}  # fmt: skip
_GREEK_WORD = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(_GREEK, key=len, reverse=True)) + r")(?=[_\d\s]*(?:max|min|\d|_|\b|[^A-Za-z]))")


def _prepare(text: str) -> str:
    """Unicode, superscripts, dashes and spacing made plain; case kept (formulas need it)."""
    text = _SUPER_RUN.sub(lambda m: "^(" + m.group(0).translate(_SUPERSCRIPTS) + ")", text)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("−", "-").replace("–", "-").replace("—", "-").replace("\u00a0", " ")
    text = text.replace("≤", "<=").replace("≥", ">=").replace("→", "->")
    return " ".join(text.split()).strip().rstrip(".!")


_HEDGE = re.compile(
    r"^(?:(?:~|≈|about|approx(?:\.|imately)?|roughly|around|circa|c\.|some|nearly|almost|close to|on the order of|"
    r"order of|it(?:'s| is)|that(?:'s| is)|i think|probably|typically|usually|default(?: is)?|the default(?: is)?|"
    r"answer:?|≃)\s*)+",
    re.IGNORECASE,
)
_FILLER_WORDS = {
    "the", "a", "an", "is", "are", "of", "and", "peak", "value", "default", "typical", "typically", "usually", "by",
    "about", "around", "roughly", "approximately", "approx", "some", "in", "total", "per", "roughly", "it", "its",
    "it's", "at", "with", "set", "to", "convergence", "rate", "rates", "converges", "factor", "=",
}  # fmt: skip
_PUNCT = re.compile(r"[\s()\[\]{}.,;:!?'\"`_\-]+")


@lru_cache(maxsize=4096)
def normalize_phrase(text: str) -> str:
    """A phrase as compared: case, punctuation and spacing dropped."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower().replace("−", "-"))


def _phrase(text: str) -> Words:
    words = [w for w in re.split(r"[\s,;:()]+", text.lower()) if w and w not in _FILLER_WORDS]
    return Words(normalize_phrase(" ".join(words)) if words else normalize_phrase(text))


# -- numbers, units, factors -----------------------------------------------------------------

_SMALL = {
    "zero": 0, "none": None, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SMALL.pop("none")
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_FRACTION_WORDS = {"half": 0.5, "third": 1 / 3, "quarter": 0.25, "fifth": 0.2, "tenth": 0.1, "hundredth": 0.01, "thousandth": 0.001}
_NUMBER_RE = re.compile(
    r"""
    (?P<mant>[-+]?(?:\d+(?:\.\d*)?|\.\d+))
    (?:\s*e\s*(?P<exp>[-+]?\d+))?
    (?:\s*[x*×]\s*10\s*(?:\^|\*\*)\s*\(?\s*(?P<sci>[-+]?\d+)\s*\)?)?
    (?:\s*(?:\^|\*\*)\s*\(?\s*(?P<pow>[-+]?\d+(?:\.\d+)?)\s*\)?)?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_THOUSANDS = re.compile(r"(?<![\d.])(\d{1,3})((?:,\d{3})+)(?![\d.])")


def _words_to_digits(text: str) -> str:
    """'three hundred seventy-five million' → '375000000'; 'a tenth' → '0.1'."""
    text = re.sub(
        r"(\d+(?:\.\d+)?)\s*(hundred|thousand|million|billion|trillion)\b",
        lambda m: f"{float(m.group(1)) * _SCALES[m.group(2).lower()]:.15g}",
        text,
        flags=re.IGNORECASE,
    )
    tokens = re.split(r"(\s+|-)", text)
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if not run:
            return
        total, current = 0.0, 0.0
        words = [w for w in run if w.strip() and w != "-"]
        for w in words:
            lw = w.lower()
            if lw in _SMALL:
                current += _SMALL[lw]
            elif lw in _SCALES:
                if lw == "hundred":
                    current = (current or 1) * 100
                else:
                    total += (current or 1) * _SCALES[lw]
                    current = 0.0
        value = total + current
        out.append(f"{value:.15g}")
        run.clear()

    for tok in tokens:
        lw = tok.lower()
        if lw in _SMALL or lw in _SCALES or (run and (not tok.strip() or tok == "-")):
            run.append(tok)
            continue
        if run:
            trailing = []
            while run and (not run[-1].strip() or run[-1] == "-"):
                trailing.append(run.pop())
            flush()
            out.extend(reversed(trailing))
        out.append(tok)
    if run:
        while run and (not run[-1].strip() or run[-1] == "-"):
            run.pop()
        flush()
    text = "".join(out)
    # a digit then a scale word: 375 million, 2 thousand
    text = re.sub(
        r"(\d+(?:\.\d+)?)\s*(hundred|thousand|million|billion|trillion)\b",
        lambda m: f"{float(m.group(1)) * _SCALES[m.group(2).lower()]:.15g}",
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(
        r"\b(?:a|one)\s+(half|third|quarter|fifth|tenth|hundredth|thousandth)\b",
        lambda m: f"{_FRACTION_WORDS[m.group(1).lower()]:.15g}",
        text,
        flags=re.IGNORECASE,
    )
    return text


def _number(m: re.Match[str]) -> float:
    value = float(m.group("mant"))
    if m.group("exp"):
        value *= 10.0 ** int(m.group("exp"))
    if m.group("sci"):
        value *= 10.0 ** int(m.group("sci"))
    if m.group("pow"):
        value = value ** float(m.group("pow"))
    return value


_SUFFIX = re.compile(r"^\s*(%|percent\b|pct\b|k\b|m\b|b\b|bn\b|x\b|×|times\b|fold\b)", re.IGNORECASE)
_DOWN_WORDS = r"(?:smaller|lower|less|reduction|decrease|decay|drop|down|cut|shrink)"
_FACTOR_FORMS = [
    # ÷10, /10, divide(d) by 10, reduce(d) by 10x, drop by a factor of 10, 10x smaller
    (re.compile(r"^(?:÷|/)\s*(?P<n>[\d.]+)$"), "div"),
    (re.compile(r"^(?:divide|divided|div)\s*(?:it\s*)?by\s*(?:a\s*factor\s*of\s*)?(?P<n>[\d.]+)\s*(?:x|×|times)?$", re.I), "div"),
    (re.compile(r"^(?:reduce|reduced|drop|dropped|cut|decay|decayed|decrease|decreased|lower|lowered)\s*(?:it\s*)?(?:by\s*)?(?:a\s*factor\s*of\s*)?(?P<n>[\d.]+)\s*(?:x|×|times|fold)?$", re.I), "div"),
    # "10x smaller": a tenth where the card asks for a factor (direction: down), else the
    # number of times ("how many times smaller?" — 10)
    (re.compile(r"^(?P<n>[\d.]+)\s*(?:x|×|times|-?fold)?\s*" + _DOWN_WORDS + r"(?:\s*\w+)?$", re.I), "down"),
    (re.compile(r"^(?:x|×|\*|times|multiply\s*(?:it\s*)?by|multiplied\s*by|scale\s*(?:it\s*)?by|scaled\s*by)\s*(?P<n>[\d.]+)$", re.I), "mul"),
    (re.compile(r"^(?P<n>[\d.]+)\s*(?:x|×|times|-?fold)\s*(?:larger|higher|bigger|more|greater|up|increase)?$", re.I), "mul"),
    (re.compile(r"^(?:double|doubled)$", re.I), "2"),
    (re.compile(r"^(?:triple|tripled)$", re.I), "3"),
    (re.compile(r"^(?:quadruple|quadrupled)$", re.I), "4"),
]


def _factor(text: str, spec: Spec) -> float | None:
    for pattern, kind in _FACTOR_FORMS:
        m = pattern.match(text)
        if not m:
            continue
        if kind.isdigit():
            return float(kind)
        try:
            n = float(m.group("n"))
        except ValueError:
            return None
        if kind == "div" or (kind == "down" and spec.direction == "down"):
            return 1 / n if n else None
        if kind == "down":
            return n
        # "10x" on a card about a decrease is a tenth; "x0.1" stays 0.1
        if spec.direction == "down" and n > 1 and not re.match(r"^(?:x|×|\*|multipl)", text, re.I):
            return 1 / n
        return n
    return None


def _numbers(text: str, spec: Spec) -> list[Num] | None:
    """The numbers a short answer states, each with its unit; None when it says more."""
    text = _THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), text)
    found: list[Num] = []
    pos = 0
    rest: list[str] = []
    kilo = float(spec.kilo)
    while pos < len(text):
        m = _NUMBER_RE.search(text, pos)
        if not m:
            rest.append(text[pos:])
            break
        if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "._"):
            # part of a word (beta2, fp16): not a number of the answer
            nxt = re.match(r"[\w.]*", text[m.start():])
            end = m.start() + max(nxt.end() if nxt else 0, 1)
            rest.append(text[pos:end])
            pos = end
            continue
        rest.append(text[pos : m.start()])
        try:
            value = _number(m)
        except (OverflowError, ZeroDivisionError, ValueError):
            return None
        end = m.end()
        percent = False
        unit = None
        s = _SUFFIX.match(text, end) if False else _SUFFIX.match(text[end:])
        if s:
            word = s.group(1).lower()
            if word in ("%", "percent", "pct"):
                value /= 100
                percent = True
            elif word == "k":
                value *= kilo
            elif word == "m" and spec.unit != "minutes":
                value *= kilo**2
            elif word == "m":
                unit = "minutes"
            elif word in ("b", "bn"):
                value *= kilo**3
            elif spec.direction == "down" and value > 1:  # "10x" on a card about a decrease
                value = 1 / value
            end += s.end()
        u = re.match(r"^\s*([A-Za-z]+)\b", text[end:])
        if u and unit is None and u.group(1).lower() in _UNIT_OF:
            word = u.group(1).lower()
            if not (word in ("s", "h") and spec.unit not in ("seconds", "hours", "minutes")):
                unit = _UNIT_OF[word]
                end += u.end()
        if not math.isfinite(value):
            return None
        found.append(Num(value, unit, percent))
        pos = end
    leftover = " ".join(rest)
    leftover = re.sub(r"[~≈,;()\[\]{}:=&]|\band\b", " ", leftover)
    words = [w for w in leftover.lower().split() if w not in _FILLER_WORDS and w not in _UNIT_OF]
    if words or not found:
        return None
    return found


# -- formulas ----------------------------------------------------------------------------------


def _math_backend() -> Any:
    from gdgrill.drill.language import Backend

    def pow_(a: float, b: float) -> float:
        return math.pow(a, b)

    fns = {
        "sqrt": math.sqrt, "abs": abs, "exp": math.exp, "log": math.log, "cos": math.cos, "sin": math.sin,
        "tanh": math.tanh, "maximum": max, "minimum": min, "pow": pow_, "sign": lambda x: math.copysign(1.0, x) if x else 0.0,
    }  # fmt: skip
    return Backend("math", fns, lambda x: 0.0)


_BACKEND: Any = None


def _names_of(spec: Spec, text: str) -> dict[str, tuple[str, ...]]:
    """The names a formula may use: the card's variables with their aliases, every
    identifier the text holds (Greek spelled out resolved), and the given names."""
    names: dict[str, tuple[str, ...]] = {k: v for k, v in spec.variables}
    for k, _ in spec.given:
        names.setdefault(k, ())
    alias_owner = {a for _, v in spec.variables for a in v}
    for ident in re.findall(r"[^\W\d]\w*", text):
        if ident in ("sqrt", "log", "exp", "abs", "sin", "cos", "tanh", "min", "max", "pow", "sign") or ident in alias_owner:
            continue
        names.setdefault(ident, ())
    return names


def _formula_text(text: str, spec: Spec) -> str:
    """Whiteboard spellings made parseable: multi-word aliases joined, spelled Greek as
    letters, ``ln`` as ``log``, a fractional power kept together (``T^-1/2``)."""
    for canonical, aliases in spec.variables:
        for alias in sorted(aliases, key=len, reverse=True):
            if not re.fullmatch(r"[^\W\d]\w*", alias):  # "largest eigenvalue", "fan-in"
                text = re.sub(r"(?<!\w)" + re.escape(alias) + r"(?!\w)", canonical, text, flags=re.IGNORECASE)
    text = _GREEK_WORD.sub(lambda m: _GREEK[m.group(1)], text)
    text = re.sub(r"(?<=[^\W\d])\s+(max|min)\b", r"_\1", text)  # λ max → λ_max
    text = re.sub(r"\bln\s*\(", "log(", text)
    text = re.sub(r"\bln\s*(\d+(?:\.\d+)?)", r"log(\1)", text)
    text = re.sub(r"\bsqrt\s+([^\W\d]\w*|\d+(?:\.\d+)?)", r"sqrt(\1)", text)
    text = re.sub(r"(\^|\*\*)\s*\(?\s*([-+]?\d+)\s*/\s*(\d+)\s*\)?", r"\1(\2/\3)", text)
    return text


@lru_cache(maxsize=4096)
def _parse_formula(text: str, spec: Spec) -> Form | None:
    from gdgrill.drill.language import RefusedAnswer, iter_vars, parse_expression

    prepared = _formula_text(text, spec)
    # a leading "η <" or "sharpness ≈" names what the formula is for: drop it
    prepared = re.sub(r"^\s*[^\W\d][\w ]{0,30}?\s*(?:<=|<|=|≈|~|->)\s*(?=\S)", "", prepared)
    if not re.search(r"[\d\w]", prepared) or not re.search(r"[-+*/^()√\d<>=]", prepared):
        return None  # a bare word ("linear") is a phrase, not a formula
    try:
        expr = parse_expression(prepared, _names_of(spec, prepared))
    except (RefusedAnswer, RecursionError, ValueError, TypeError, MemoryError):
        return None
    return Form(prepared, expr, frozenset(v.name for v in iter_vars(expr)))


def _value(form: Form, env: Mapping[str, float]) -> float | None:
    from gdgrill.drill.language import evaluate

    global _BACKEND
    if _BACKEND is None:
        _BACKEND = _math_backend()
    try:
        value = float(evaluate(form.expr, env, _BACKEND))
    except (ValueError, ZeroDivisionError, OverflowError, TypeError, KeyError):
        return None
    return value if math.isfinite(value) else None


_SAMPLES = 5


def _samples(names: Iterable[str], low: float, high: float, seed: int) -> list[dict[str, float]]:
    rng = random.Random(seed)
    names = sorted(names)
    return [{n: math.exp(rng.uniform(math.log(low), math.log(high))) for n in names} for _ in range(_SAMPLES)]


def _same_formula(a: Form, b: Form, given: Mapping[str, float]) -> bool:
    if a.text.replace(" ", "") == b.text.replace(" ", ""):
        return True
    free = (a.names | b.names) - set(given)
    for env in _samples(free, 1.3, 7.0, 20261201):
        env.update(given)
        x, y = _value(a, env), _value(b, env)
        if x is None and y is None:
            continue
        if x is None or y is None or not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


def _same_order(a: Form, b: Form, given: Mapping[str, float]) -> bool:
    """Equal up to a constant factor as the variables grow (what O(·) compares)."""
    free = (a.names | b.names) - set(given)
    if not free:
        return False  # O(1) and O(5): only a constant; handled as numbers
    one_each = len(a.names - set(given)) == len(b.names - set(given)) == 1
    if a.text.replace(" ", "") == b.text.replace(" ", ""):
        return True
    ratios = []
    for env in _samples(free, 30.0, 3e5, 20261202):
        env.update(given)
        if one_each:  # O(1/k²) and O(1/T²): one step count, whatever its letter
            (x_name,), (y_name,) = a.names - set(given), b.names - set(given)
            env[y_name] = env[x_name]
        x, y = _value(a, env), _value(b, env)
        if x is None and y is None:
            continue
        if x is None or y is None or x == 0 or y == 0:
            return False
        ratios.append(x / y)
    return len(ratios) >= 2 and all(math.isclose(r, ratios[0], rel_tol=1e-6) for r in ratios)


# -- reading an answer -----------------------------------------------------------------------

_RANGE_ENTRY = re.compile(r"^\s*(.+?)\s*\.\.\s*(.+?)\s*$")
_TYPED_RANGE = re.compile(
    r"^\s*(?:between\s+|from\s+)?(.+?)\s*(?:\.\.|\bto\b|\band\b|-|–|—)\s*(.+?)\s*$", re.IGNORECASE
)


def _single(text: str, spec: Spec) -> Num | None:
    nums = _numbers(text, spec)
    if nums is not None and len(nums) == 1:
        return nums[0]
    f = _factor(text, spec)
    if f is not None:
        return Num(f)
    form = _parse_formula(text, spec)
    if form is not None and not (form.names - {k for k, _ in spec.given}):
        v = _value(form, dict(spec.given))
        if v is not None:
            return Num(v)
    return None


def _range(text: str, spec: Spec, entry: bool) -> Span | None:
    m = _RANGE_ENTRY.match(text)
    if m:
        first, second = m.group(1), m.group(2)
    else:
        body = re.sub(r"^\s*(?:between|from)\s+", "", text, flags=re.IGNORECASE)
        for sep in (r"\.\.", r"\bto\b", r"(?<=\S)\s+and\s+(?=\S)" if body != text else None, r"\s*[–—]\s*", r"(?<=[\d%xk])\s*-\s*(?=[\d.])"):
            if sep is None:
                continue
            parts = re.split(sep, body, maxsplit=1, flags=re.IGNORECASE)
            if len(parts) == 2 and parts[0].strip() and parts[1].strip():
                first, second = parts[0].strip(), parts[1].strip()
                break
        else:
            return None
        if re.search(r"(?<=\d)e$", first, re.IGNORECASE):
            return None  # "2e-5" split at its exponent
    for unit in ("%", "x"):
        if second.rstrip().endswith(unit) and not first.rstrip().endswith(unit):
            first += unit
    u = re.search(r"\s+([A-Za-z]+)\s*$", second)
    if u and u.group(1).lower() in _UNIT_OF and not re.search(r"[A-Za-z]", first):
        first += " " + u.group(1)
    a, b = _single(first, spec), _single(second, spec)
    if a is None or b is None:
        return None
    unit = a.unit or b.unit
    if a.unit and b.unit and a.unit != b.unit:
        return None
    lo, hi = sorted((_as_share(a, spec), _as_share(b, spec)))
    return Span(lo, hi, unit)


_VALUE = r"(?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)(?![\w.])"
_NAMED_PAIR = r"(?<!\w)(?P<name>[^\W\d]\w*)\s*(?:=|:|\bis\b|\bof\b|->)?\s*" + _VALUE
_NUM_NAME = r"(?<![\w.])(?P<num2>[-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?P<name2>[^\W\d]\w*)"


def _name_table(spec: Spec) -> dict[str, int]:
    table: dict[str, int] = {}
    for i, names in enumerate(spec.names):
        for name in names:
            for variant in _spellings(name):
                table.setdefault(variant, i)
    return table


def _spellings(name: str) -> set[str]:
    key = _name_key(name)
    out = {key}
    m = re.match(r"^([^\W\d]+)(\d+)$", key)
    if m:
        letters, digits = m.groups()
        for spelled, letter in _GREEK.items():
            if letters == letter:
                out |= {spelled + digits, spelled[0] + digits}
    return out


def _name_key(name: str) -> str:
    key = unicodedata.normalize("NFKC", name).lower().replace("_", "").replace(" ", "").replace("-", "")
    return _GREEK_WORD.sub(lambda m: _GREEK[m.group(1)], key) if key not in _GREEK.values() else key


def _named(text: str, spec: Spec) -> Values | None:
    if not spec.names:
        return None
    table = _name_table(spec)
    lowered = text.lower()
    m = re.fullmatch(r"\s*(?:s1|1[- ])?\s*e(\d+)\s*m(\d+)\s*", lowered)  # E8M7, S1E8M7
    if m is None:
        m = re.fullmatch(r"\s*1\s*-\s*(\d+)\s*-\s*(\d+)\s*", lowered)  # sign-exponent-mantissa
    if m and len(spec.names) == 2 and {n[0] for n in spec.names} == {"exponent", "mantissa"}:
        return Values((float(m.group(1)), float(m.group(2))))
    found: dict[int, float] = {}
    rest = lowered
    for pattern in (_NAMED_PAIR, _NUM_NAME):
        for pm in list(re.finditer(pattern, rest, re.IGNORECASE)):
            name = pm.group("name") if "name" in pm.groupdict() and pm.group("name") else pm.group("name2")
            num = pm.group("num") if pm.groupdict().get("num") else pm.group("num2")
            key = _name_key(name.strip())
            key = re.sub(r"(bits?|value)$", "", key) or key
            idx = table.get(key)
            if idx is None:
                continue
            if idx in found:
                return None  # the same value named twice: a hedge
            found[idx] = float(num)
            rest = rest.replace(pm.group(0), " ", 1)
    if not found:
        return None
    leftover = [w for w in re.split(r"[\s,;()&]+", rest) if w and w not in _FILLER_WORDS and w not in ("bits", "bit", "and")]
    if leftover or len(found) != len(spec.names):
        return None
    return Values(tuple(found[i] for i in range(len(spec.names))))


@lru_cache(maxsize=8192)
def read(text: str, spec: Spec = DEFAULT_SPEC, entry: bool = False) -> Reading | None:
    """The meaning of an answer (or, ``entry=True``, of an accept entry); None for nothing."""
    text = _prepare(text)
    if not text:
        return None
    hedged = re.search(r"\bor\b|/\s*or\b|\?$", text, re.IGNORECASE)
    text = _HEDGE.sub("", text).strip()
    if not text:
        return None
    if hedged and not entry:
        return Words(normalize_phrase(text))  # "0.1 or 0.01": no one value
    m = re.fullmatch(r"\s*O\s*\((.+)\)\s*", text, re.IGNORECASE)
    if m:
        form = _parse_formula(m.group(1), spec)
        return BigO(form) if form is not None else Words(normalize_phrase(text))
    worded = _words_to_digits(text)
    named = _named(worded, spec)
    if named is not None:
        return named
    span = _range(worded, spec, entry)
    if span is not None:
        return span
    nums = _numbers(worded, spec)
    if nums is not None:
        if len(nums) == 1:
            return nums[0]
        if all(n.unit is None for n in nums):
            return Values(tuple(n.value for n in nums))
    factor = _factor(worded, spec)
    if factor is not None:
        return Num(factor)
    form = _parse_formula(text, spec)
    if form is not None:
        given = dict(spec.given)
        if not (form.names - set(given)):
            value = _value(form, given)
            if value is not None:
                return Num(value)
        return form
    return _phrase(text)


# -- comparing -----------------------------------------------------------------------------------


def _as_share(n: Num, spec: Spec) -> float:
    if spec.percent and not n.percent and n.value >= 1:
        return n.value / 100  # "2" on a card about a share means 2 %
    return n.value


def _in_unit(n: Num, spec: Spec) -> float | None:
    """The value in the card's unit, or None when its unit is another one."""
    if n.unit is None or spec.unit is None or n.unit == spec.unit:
        return n.value if n.unit is None or spec.unit is not None or n.unit in (None,) else n.value
    if n.unit in _TIME and spec.unit in _TIME:
        return n.value * _TIME[n.unit] / _TIME[spec.unit]
    return None


def _close(a: float, b: float, tol: float) -> bool:
    return math.isclose(a, b, rel_tol=max(tol, 1e-12), abs_tol=1e-15)


def _within(x: float, low: float, high: float, tol: float) -> bool:
    return low - abs(low) * tol <= x <= high + abs(high) * tol


def same(answer: Reading, entry: Reading, spec: Spec = DEFAULT_SPEC) -> bool:
    """Whether two readings mean the same answer under the card's ``spec``."""
    tol = spec.tolerance
    given = dict(spec.given)
    if isinstance(answer, Num) and answer.unit and spec.unit is None and isinstance(entry, (Num, Span)) and entry.unit is None:
        if answer.unit not in ("minutes",):  # a unit where the card names none: compare the number
            pass
    if isinstance(entry, Num):
        if isinstance(answer, Num):
            if answer.unit and entry.unit and answer.unit != entry.unit and not (answer.unit in _TIME and entry.unit in _TIME):
                return False
            a = _in_unit(answer, spec)
            if a is None:
                return False
            a = _as_share(answer._replace(value=a), spec)
            return _close(a, _as_share(entry, spec), tol)
        if isinstance(answer, Form) and not (answer.names - set(given)):
            v = _value(answer, given)
            return v is not None and _close(v, entry.value, tol)
        return False
    if isinstance(entry, Span):
        if isinstance(answer, Num):
            a = _in_unit(answer, spec)
            return a is not None and _within(_as_share(answer._replace(value=a), spec), entry.low, entry.high, tol)
        if isinstance(answer, Span):
            if answer.unit and spec.unit and answer.unit != spec.unit:
                return False
            return _within(answer.low, entry.low, entry.high, tol) and _within(answer.high, entry.low, entry.high, tol)
        return False
    if isinstance(entry, Values):
        if isinstance(answer, Values):
            return len(answer.items) == len(entry.items) and all(_close(x, y, tol) for x, y in zip(answer.items, entry.items))
        return False
    if isinstance(entry, Form):
        if isinstance(answer, Form):
            return _same_formula(answer, entry, given)
        return False
    if isinstance(entry, BigO):
        inner = answer.inner if isinstance(answer, BigO) else answer if isinstance(answer, Form) else None
        return inner is not None and _same_order(inner, entry.inner, given)
    if isinstance(entry, Words):
        if isinstance(answer, Words):
            return answer.text == entry.text != ""
        return False
    return False


def _spec_of(spec: Spec | Mapping[str, Any] | None) -> Spec:
    if isinstance(spec, Spec):
        return spec
    return Spec.from_mapping(spec)


def matches(answer: str, entry: str, spec: Spec | Mapping[str, Any] | None = None) -> bool:
    """Whether a typed ``answer`` means what one ``accept`` (or ``reject``) entry says."""
    s = _spec_of(spec)
    a, e = read(answer, s), read(entry, s, entry=True)
    if a is None or e is None:
        return False
    return same(a, e, s)


class Verdict(NamedTuple):
    accepted: bool
    read_as: str  # the canonical form the answer was read as ("" for an empty answer)
    expected: str  # the first accept entry, as a person would say it


def check(answer: str, accept: Sequence[str], spec: Spec | Mapping[str, Any] | None = None) -> Verdict:
    """Judge ``answer`` against every accept entry; say what it was read as."""
    s = _spec_of(spec)
    a = read(answer, s) if answer.strip() else None
    ok = a is not None and any((e := read(entry, s, entry=True)) is not None and same(a, e, s) for entry in accept)
    expected = accept[0].replace("..", " to ") if accept else ""
    return Verdict(ok, str(a) if a is not None else "", expected)


def is_accepted(answer: str, accept: Sequence[str], spec: Spec | Mapping[str, Any] | None = None) -> bool:
    return check(answer, accept, spec).accepted


def parse_numbers(text: str) -> tuple[float, ...] | None:
    """The numbers a short answer states, in order (None when it says more than numbers)."""
    r = read(text)
    if isinstance(r, Num):
        return (r.value,)
    if isinstance(r, Values) and r.names is None:
        return r.items
    return None
