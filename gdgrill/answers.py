"""Quick-fire answers judged by meaning: the typed answer and each ``accept`` entry are
read into a canonical form and the forms compared, as an interviewer would.

What is read (:func:`read`):

- **numbers** in any usual spelling: ``1e-8``, ``10^-8``, ``1 × 10⁻⁸``, ``0.00000001``;
  number words (``zero`` … ``twenty``, ``thirty`` … ``ninety``, ``hundred``, ``thousand``,
  ``million``, ``billion``: ``375 million``); ``k``/``M``/``B`` suffixes (``k`` is 1024 where
  the card says so, as for batch sizes; ``90m`` is minutes on a card that counts time); percentages (``2 %``, ``2 percent``); fractions and
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
    "epochs": ("epoch", "epochs", "ep"),
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
SPEC_KEYS = {"unit", "percent", "tolerance", "kilo", "names", "variables", "given", "direction", "define"}


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
    - ``define``: names that stand for a formula of others (``{κ: λ_max/λ_min}``), so an answer
      written in either set of names is compared as the same mathematics;
    - ``direction: down``: the answer is a decrease factor, so ``10x`` alone means ÷10."""

    unit: str | None = None
    percent: bool = False
    tolerance: float = REL_TOL
    kilo: int = 1000
    names: tuple[tuple[str, ...], ...] = ()
    variables: tuple[tuple[str, tuple[str, ...]], ...] = ()
    given: tuple[tuple[str, float], ...] = ()
    direction: str | None = None
    define: tuple[tuple[str, str], ...] = ()

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
            define=tuple((k, str(v)) for k, v in (raw.get("define") or {}).items()),
        )


def _replace_define(self: Spec) -> Spec:
    return Spec(variables=self.variables, given=self.given)


Spec._replace_define = _replace_define  # type: ignore[attr-defined]
DEFAULT_SPEC = Spec()


def spec_problems(raw: Any) -> list[str]:
    """What is wrong with a card's ``check:`` mapping (empty: nothing)."""
    if not isinstance(raw, dict):
        return ["field 'check' must be a mapping (unit, percent, tolerance, kilo, names, variables, given, direction, define)"]
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
    define = raw.get("define", {})
    if not (isinstance(define, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in define.items())):
        out.append("check.define must map names to formulas")
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


def normalize_phrase(text: str) -> str:
    """A phrase as compared: case, punctuation and spacing dropped."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower().replace("−", "-"))


normalize_phrase = lru_cache(maxsize=4096)(normalize_phrase)  # not a decorator: mutmut skips decorated functions


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


def _scaled(text: str) -> str:
    """A digit then a scale word (375 million, 2 thousand) and 'a tenth' as numbers."""
    text = re.sub(
        r"(\d+(?:\.\d+)?)\s*(hundred|thousand|million|billion|trillion)\b",
        lambda m: f"{float(m.group(1)) * _SCALES[m.group(2).lower()]:.15g}",
        text,
        flags=re.IGNORECASE,
    )
    return re.sub(
        r"\b(?:a|one)\s+(half|third|quarter|fifth|tenth|hundredth|thousandth)\b",
        lambda m: f"{_FRACTION_WORDS[m.group(1).lower()]:.15g}",
        text,
        flags=re.IGNORECASE,
    )


def _words_to_digits(text: str) -> str:
    """'three hundred seventy-five million' → '375000000'; 'a tenth' → '0.1'."""
    text = _scaled(text)
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
    return _scaled("".join(out))


_WORD_MATH = [
    (r"\bto\s+the\s+(?:power\s+of\s+)?minus\s+", "^-"),
    (r"\bto\s+the\s+(?:power\s+(?:of\s+)?)?(?=\d)", "^"),
    (r"(?<=\d)\s*e\s+minus\s+(?=\d)", "e-"),
    (r"\b(?:divided\s+by|over)\b", "/"),
    (r"\bone\s*/", "1/"),
    (r"\bplus\b", "+"),
    (r"(?<=\w)\s+minus\s+(?=\w)", " - "),
    (r"(?<=[\d)])\s+times\s+(?=[\d(])", " * "),
    (r"\bsquare\s+root\s+of\s+|\bsqrt\s+of\s+|\broot\s+", "sqrt "),
    (r"\s+squared\b", "^2"),
    (r"(?<=\d)\s+tenths?\b", "/10"),
    (r"(?<=\d)\s+hundredths?\b", "/100"),
    (r"(?<=\d)\s+thousandths?\b", "/1000"),
    (r"(?<=\d)\s+in\s+(?:a\s+|every\s+)?(?=\d)", "/"),  # one in a thousand
    (r"^(?:twice|double(?:\s+it)?|(?:it\s+)?doubles|doubled)$", "2"),
    (r"^(?:(?:it\s+)?triples|tripled)$", "3"),
    (r"^(?:(?:it\s+)?quadruples|quadrupled)$", "4"),
    (r"\b(\d+|two|three|four|five|ten|hundred)-?fold\b", r"\1x"),
    (r"(?i)(\d+)\s*h(?:ours?|rs?)?\s*(?:and\s*)?(\d+)\s*m(?:in(?:utes?|s)?)?$", None),  # 1h16m
]


def _word_math(text: str) -> str:
    """Arithmetic said in words made symbols: 'ten to the minus eight', 'two over L'."""
    for pattern, replacement in _WORD_MATH:
        if replacement is None:
            text = re.sub(pattern, lambda m: f"{int(m.group(1)) * 60 + int(m.group(2))} minutes", text)
        else:
            text = re.sub(pattern, replacement, text, flags=re.IGNORECASE)
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


_SUFFIX = re.compile(r"^\s*(%|percent\b|pct\b|k\b|m\b|b\b|bn\b|(?:x\b|×|times\b|fold\b)(?!\s*[\d(.]))", re.IGNORECASE)
_DOWN_WORDS = r"(?:smaller|lower|less|reduction|decrease|decay|drop|down|cut|shrink)"
_FACTOR_FORMS = [
    # ÷10, /10, divide(d) by 10, reduce(d) by 10x, drop by a factor of 10, 10x smaller
    (re.compile(r"^(?:÷|/)\s*(?P<n>[\d.]+)$"), "div"),
    (re.compile(r"^(?:divide|divided|div)\s*(?:it\s*)?by\s*(?:a\s*factor\s*of\s*)?(?P<n>[\d.]+)\s*(?:x|×|times)?$", re.I), "div"),
    (re.compile(r"^(?:reduce|reduced|drop|dropped|cut|decay|decayed|decrease|decreased|lower|lowered)\s*(?:it\s*|the\s*lr\s*)?by\s*(?:a\s*factor\s*of\s*)?(?P<n>[\d.]+)\s*(?:x|×|times|fold)?$", re.I), "div"),
    (re.compile(r"^(?:[\w ]{0,24}?\s)?(?:goes|go|grows?|scales?|increases?|multiplie[sd])\s*(?:\w+\s+)?(?:up\s*)?(?:by\s*)?(?:a\s*factor\s*of\s*)?(?P<n>[\d.]+)\s*(?:x|×|times|-?fold)?$", re.I), "mul"),
    # "10x smaller": a tenth where the card asks for a factor (direction: down), else the
    # number of times ("how many times smaller?" — 10)
    (re.compile(r"^(?P<n>[\d.]+)\s*(?:x|×|times|-?fold)?\s*" + _DOWN_WORDS + r"(?:\s*\w+)?$", re.I), "down"),
    (re.compile(r"^(?:x|×|\*|times|multiply\s*(?:it\s*)?by|multiplied\s*by|scale\s*(?:it\s*)?by|scaled\s*by)\s*(?P<n>[\d.]+(?:\s*/\s*[\d.]+)?)$", re.I), "mul"),
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
            top, _, bottom = m.group("n").partition("/")
            n = float(top) / float(bottom) if bottom else float(top)
        except (ValueError, ZeroDivisionError):
            return None
        if kind == "div" or (kind == "down" and spec.direction == "down"):
            return 1 / n if n else None
        if kind == "down":
            return n
        # "10x" on a card about a decrease is a tenth; "x0.1" stays 0.1
        if spec.direction == "down" and n > 1 and not re.match(r"^(?:x|×|\*|multipl)", text, re.I) and not re.search(
            r"(?i)larger|higher|bigger|more|greater|\bup\b|increase", text
        ):
            return 1 / n
        return n
    return None


def _numbers(text: str, spec: Spec) -> list[Num] | None:
    """The numbers a short answer states, each with its unit; None when it says more."""
    text = _THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), text)
    text = re.sub(r"(?<![\d.])(\d{1,3})((?: \d{3})+)(?![\d.])", lambda m: m.group(1) + m.group(2).replace(" ", ""), text)  # 65 504
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
            elif word == "m" and spec.unit not in _TIME:
                value *= kilo**2
            elif word == "m":  # on a card that counts time, "90m" is 90 minutes
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
        "tanh": math.tanh, "maximum": max, "minimum": min, "pow": pow_, "norm": abs, "sign": lambda x: math.copysign(1.0, x) if x else 0.0,
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
    text = re.sub(r"\bl\s*_?\s*(max|min)\b", r"λ_\1", text)  # l_max, lmax: λ_max
    text = re.sub(r"(?<=[^\W\d])\s+(max|min)\b", r"_\1", text)  # λ max → λ_max
    text = re.sub(r"(?i)\b(?:the|a|an)\s+", "", text)
    text = re.sub(r"\|([^|]+)\|", r"abs(\1)", text)  # |B|
    text = re.sub(r"([^\W\d]\w*)\*(?=\s*(?:[‖|)+\-/,]|$))", r"\1_star", text)  # θ*: θ_star
    # implicit products: 2λ, 2(a+b), )(, μT (a Greek letter before a Latin one)
    text = re.sub(r"(?<=\d)(?=[^\W\d_])(?![eE][-+\d])", "*", text)
    text = re.sub(r"(?<=\d)\s*(?=\()", "*", text)
    text = re.sub(r"\)\s*(?=[\w(√])", ")*", text)
    text = re.sub(r"(?<=[α-ωΑ-Ω])(?=[A-Za-z])(?!(?:max|min)\b)", "*", text)
    bars = [i for i, ch in enumerate(text) if ch == "‖"]
    for i in reversed(bars[0::2]):  # an opening norm bar right after a name or number: L‖x‖
        if i and (text[i - 1].isalnum() or text[i - 1] == ")"):
            text = text[:i] + "*" + text[i:]
    text = re.sub(r"\bln\s*\(", "log(", text)
    text = re.sub(r"\bln\s*(\d+(?:\.\d+)?)", r"log(\1)", text)
    text = re.sub(r"\bsqrt\s+([^\W\d]\w*|\d+(?:\.\d+)?)", r"sqrt(\1)", text)
    text = re.sub(r"(\^|\*\*)\s*\(?\s*([-+]?\d+)\s*/\s*(\d+)\s*\)?", r"\1(\2/\3)", text)
    return text


def _parse_formula(text: str, spec: Spec) -> Form | None:
    from gdgrill.drill.language import RefusedAnswer, iter_vars, parse_expression

    prepared = _formula_text(text, spec)
    if re.search(r"[*/^()√]", text):  # "O(L D²/T²)": a space between two names is a product
        prepared = re.sub(r"(?<=[\w)])\s+(?=[^\W\d])", "*", prepared)
    # a leading "η <" or "sharpness ≈" names what the formula is for: drop it
    prepared = re.sub(r"^\s*[^\W\d][\w ]{0,30}?\s*(?:<=|<|=|≈|~|->)\s*(?=\S)", "", prepared)
    if not re.search(r"[\d\w]", prepared) or not re.search(r"[-+*/^()√\d<>=]", prepared):
        return None  # a bare word ("linear") is a phrase, not a formula
    try:
        expr = parse_expression(prepared, _names_of(spec, prepared))
    except (RefusedAnswer, RecursionError, ValueError, TypeError, MemoryError):
        return None
    return Form(prepared, expr, frozenset(v.name for v in iter_vars(expr)))


_parse_formula = lru_cache(maxsize=4096)(_parse_formula)  # not a decorator: mutmut skips decorated functions


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


def _definitions(spec: Spec) -> list[tuple[str, Form]]:
    out = []
    for name, text in spec.define:
        form = _parse_formula(text, spec._replace_define())
        if form is not None:
            out.append((name, form))
    return out


def _bind(env: dict[str, float], definitions: list[tuple[str, Form]]) -> None:
    for name, form in definitions:
        value = _value(form, env)
        if value is not None:
            env[name] = value


def _free(a: Form, b: Form, given: Mapping[str, float], definitions: list[tuple[str, Form]]) -> set[str]:
    names = set(a.names | b.names)
    for name, form in definitions:
        if name in names:
            names.discard(name)
            names |= form.names
    return names - set(given)


def _same_formula(a: Form, b: Form, given: Mapping[str, float], definitions: list[tuple[str, Form]] = []) -> bool:
    if a.text.replace(" ", "") == b.text.replace(" ", ""):
        return True
    free = _free(a, b, given, definitions)
    for env in _samples(free, 1.3, 7.0, 20261201):
        env.update(given)
        _bind(env, definitions)
        x, y = _value(a, env), _value(b, env)
        if x is None and y is None:
            continue
        if x is None or y is None or not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


def _same_order(a: Form, b: Form, given: Mapping[str, float], definitions: list[tuple[str, Form]] = [], grows: str | None = None) -> bool:
    """Equal up to a constant factor as the variables grow (what O(·) compares). With
    ``grows`` (the step count) only it grows: other names are the problem's constants."""
    free = _free(a, b, given, definitions)
    if not free:
        return False  # O(1) and O(5): only a constant; handled as numbers
    one_each = grows is None and len(a.names - set(given)) == len(b.names - set(given)) == 1
    if a.text.replace(" ", "") == b.text.replace(" ", ""):
        return True
    ratios = []
    constants = _samples(free, 1.3, 3.0, 20261203)[0]
    for env in _samples(free, 1e6, 1e9, 20261202):
        if grows is not None and grows in free:
            env = {**constants, grows: env[grows]}
        env.update(given)
        _bind(env, definitions)
        if one_each:  # O(1/k²) and O(1/T²): one step count, whatever its letter
            (x_name,), (y_name,) = a.names - set(given), b.names - set(given)
            env[y_name] = env[x_name]
        x, y = _value(a, env), _value(b, env)
        if x is None and y is None:
            continue
        if x is None or y is None or x == 0 or y == 0:
            return False
        ratios.append(x / y)
    return len(ratios) >= 2 and all(math.isclose(r, ratios[0], rel_tol=1e-4) for r in ratios)


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
        body = re.sub(r"^\s*(?:anywhere\s+)?(?:between|from)\s+", "", text, flags=re.IGNORECASE)
        body = re.sub(r"(?i)\bup\s+to\b", "to", body)
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
        dash = not re.search(r"\.\.|\bto\b|\band\b|[–—]", body, re.IGNORECASE)
    def bare_side(side: str) -> bool:
        words = re.findall(r"[A-Za-z]{2,}", side)
        return all(w.lower() in _UNIT_OF or w.lower() in ("percent", "pct") for w in words)

    if not (bare_side(first) and bare_side(second)):
        return None  # "10000 steps to a peak of 1e-4" is no range
    for unit in ("%", "x"):
        if second.rstrip().endswith(unit) and not first.rstrip().endswith(unit):
            first += unit
    u = re.search(r"\s+([A-Za-z]+)\s*$", second)
    if u and u.group(1).lower() in _UNIT_OF and not re.search(r"[A-Za-z]", first):
        first += " " + u.group(1)
    a, b = _single(first, spec), _single(second, spec)
    if a is None or b is None:
        return None
    if not m and dash and a.value > b.value:
        return None  # "1 - 0.01", "2^16 - 32": a subtraction, not a range
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
        m = re.fullmatch(r"\s*1\s*[-+]\s*(\d+)\s*[-+]\s*(\d+)\s*", lowered)  # sign-exponent-mantissa: 1-8-7, 1 + 8 + 7
    if m and len(spec.names) == 2 and {n[0] for n in spec.names} == {"exponent", "mantissa"}:
        return Values((float(m.group(1)), float(m.group(2))))
    slashed = re.fullmatch(r"\s*([-+]?[\d.]+(?:e-?\d+)?)\s*/\s*([-+]?[\d.]+(?:e-?\d+)?)\s*", lowered)
    if slashed and len(spec.names) == 2:  # "0.9 / 0.999": two values, not a quotient
        return Values((float(slashed.group(1)), float(slashed.group(2))))
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
                if key == "sign" and float(num) == 1:  # "1 sign, 8 exponent, 7 mantissa"
                    rest = rest.replace(pm.group(0), " ", 1)
                continue
            if idx in found:
                return None  # the same value named twice: a hedge
            found[idx] = float(num)
            rest = rest.replace(pm.group(0), " ", 1)
    if not found:
        return None
    leftover = [w for w in re.split(r"[\s,;()&+]+", rest) if w and w not in _FILLER_WORDS and w not in ("bits", "bit", "and")]
    if len(found) != len(spec.names) or any(re.search(r"\d", w) for w in leftover):
        return None  # every value named, and no other number beside them
    return Values(tuple(found[i] for i in range(len(spec.names))))


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
    if spec.percent:  # "10% of peak", "a tenth of the max LR"
        text = re.sub(r"(?i)\s+of\s+(?:the\s+)?(?:peak|max(?:imum)?)(?:\s+(?:lr|learning rate|value))?\s*$", "", text)
    m = re.fullmatch(r"\s*O\s*\((.+)\)\s*", text, re.IGNORECASE)
    if m:
        form = _parse_formula(m.group(1), spec)
        return BigO(form) if form is not None else Words(normalize_phrase(text))
    worded = _word_math(_words_to_digits(text))
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
    form = _parse_formula(worded, spec) or _parse_formula(text, spec)
    if form is not None:
        given = dict(spec.given)
        if not (form.names - set(given)):
            value = _value(form, given)
            if value is not None:
                return Num(value)
        return form
    return _phrase(text)


read = lru_cache(maxsize=8192)(read)  # not a decorator: mutmut skips decorated functions


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
            return _same_formula(answer, entry, given, _definitions(spec))
        return False
    if isinstance(entry, BigO):
        inner = answer.inner if isinstance(answer, BigO) else answer if isinstance(answer, Form) else None
        grows = "T" if any(name == "T" for name, _ in spec.variables) else None
        return inner is not None and _same_order(inner, entry.inner, given, _definitions(spec), grows)
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


_OPERATION_WORDS = re.compile(
    r"(?i)\b(?:divide\w*|multipl\w*|times|reduc\w*|increas\w*|decreas\w*|cut|drop\w*|lower\w*|rais\w*|over|minus|plus|"
    r"inverse|half|halve\w*|double\w*|twice|triple\w*|square\w*|root|sqrt|log|ln|exp|per|smaller|larger|bigger|higher|"
    r"less|more|up|down|sqrt|squared|reciprocal|negative|not|no|never)\b"
)
_NEGATION = re.compile(r"(?i)\b(?:not|never|isn'?t|aren'?t|wrong|no idea|don'?t know|unsure|instead of|rather than|but)\b")
_TRAILING_CLAUSE = re.compile(
    r"(?i)^(.*?\S)\s+(?:for|in|on|at|per|unless|when|if|then|so|since|because|with|from|after|before|by|of|as|via|under|during)\s+[^\d]*$"
)


_CLAUSE = re.compile(r"\s*(?:[,;]|\s[-–—]\s|(?<=\S)[–—](?=\s)|\bi\.?\s?e\.?,?|\be\.?\s?g\.?,?|\bthat is\b|\bso\b|\bwhich\b|\bwhere\b)\s*", re.IGNORECASE)
_EQUALS = re.compile(r"\s*(?:=|≈|≃|<=|<|->|∝)\s*")
_STRIPPABLE = re.compile(r"(?i)^(?:[^\W\d][\w']*\s+){0,2}(?:as|like|is|are|of|at|to|by)\s+(?=\S)")


def _alternatives(text: str, depth: int = 0) -> list[tuple[str, tuple[str, ...], bool]]:
    """Shorter readings of a sentence around the answer: (candidate, parts it dropped that
    could still state a value, whether the drop was commentary after the value). Tried:
    remarks in brackets, the first clause, each comma-separated part, the result after "="
    (or the statement before "≈"), a clause after the value, a few inert words before it,
    the longest leading words that read as a value."""
    text = _prepare(text)
    out: list[tuple[str, tuple[str, ...], bool]] = []

    def add(candidate: str, dropped: tuple[str, ...] = (), commentary: bool = False) -> None:
        candidate = candidate.strip().rstrip(",;:")
        if candidate and candidate != text and all(candidate != c for c, _, _ in out):
            out.append((candidate, dropped, commentary))

    bare = re.sub(r"\s+\([^()]*[A-Za-z][^()]*\)", "", text)
    if bare != text:
        add(bare)
    pieces = [p for p in _CLAUSE.split(bare) if p and p.strip()]
    if len(pieces) > 1:
        add(pieces[0], tuple(pieces[1:]), commentary=True)
        for i, piece in enumerate(pieces[1:], 1):
            add(piece, tuple(pieces[:i] + pieces[i + 1 :]))
    parts = [p for p in _EQUALS.split(bare) if p.strip()]
    if len(parts) > 1:
        add(parts[-1], tuple(parts[:-1]))
        if re.search(r"≈|≃", bare):
            add(parts[0], tuple(parts[1:]))
    head = _TRAILING_CLAUSE.match(bare)
    if head:
        add(head.group(1), (), commentary=True)
    for base in [bare] + ([head.group(1)] if head else []):
        strip = _STRIPPABLE.match(base)
        if strip and not re.search(r"[\d(/]", strip.group(0)) and (
            not _OPERATION_WORDS.search(strip.group(0)) or re.search(r"(?i)\b(?:as|like)\s+$", strip.group(0))
        ):
            add(base[strip.end() :])
        words = base.split()
        for k in range(1, min(4, len(words))):
            prefix = " ".join(words[:k])
            if re.search(r"(?<![\w.])[\d.]+(?![\w.])|[(/]", prefix) or _OPERATION_WORDS.search(prefix):
                break  # "divide by 4" is not "4"
            add(" ".join(words[k:]))
    words = bare.split()
    for k in range(min(len(words) - 1, 8), 0, -1):  # "8192 across 256 GPUs": the value comes first
        following = words[k].lower().strip(",;:()")
        if following in _UNIT_OF or following in _UP or following in _DOWN or _OPERATION_WORDS.fullmatch(following) or following in (
            "x", "×", "times", "percent", "%", "fold", "ep", "epochs", "of",
        ):
            continue  # "1000 epochs", "10x larger": the next word is part of the value
        add(" ".join(words[:k]), (), commentary=True)
    if depth < 2:
        for candidate, dropped, commentary in list(out):
            for deeper, more, c2 in _alternatives(candidate, depth + 1):
                add(deeper, dropped + more, commentary or c2)
    return out[:60]


def _tokens(text: str) -> list[str]:
    return [normalize_phrase(w) for w in re.split(r"[\s,;:()\"'“”]+", text.lower()) if w and w not in _FILLER_WORDS and normalize_phrase(w)]


def _contains(answer: str, entry: str) -> bool:
    """A phrase answer that holds every word of a phrase entry (a citation with its
    co-authors or venue), and no number the entry does not have (a wrong year)."""
    want, have = set(_tokens(entry)), set(_tokens(answer))
    if not want or not want <= have:
        return False
    numbers = {t for t in have if t.isdigit()}
    return numbers <= {t for t in want if t.isdigit()} or not any(t.isdigit() for t in want) and not numbers


def _years_agree(answer: str, accept: Sequence[str]) -> bool:
    stated = set(re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", answer))
    known = {y for entry in accept for y in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", entry)}
    return stated <= known


def check(answer: str, accept: Sequence[str], spec: Spec | Mapping[str, Any] | None = None, question: str = "") -> Verdict:
    """Judge ``answer`` against every accept entry; say what it was read as. A sentence
    around the answer is accepted when one of its shorter readings matches and nothing it
    drops states another value; a negation ("not 0.9") is never read leniently."""
    s = _spec_of(spec)
    expected = accept[0].replace("..", " to ") if accept else ""
    if not answer.strip():
        return Verdict(False, "", expected)
    a = read(answer, s)
    entries = [e for entry in accept if (e := read(entry, s, entry=True)) is not None]

    def hit(reading: Reading | None) -> bool:
        return reading is not None and any(same(reading, e, s) for e in entries)

    if not hit(a) and _NONE.fullmatch(answer):
        a = Num(0.0)  # "no momentum": a setting of zero

    if question and _contradicts(question, answer):
        return Verdict(False, str(a) if a is not None else "", expected)
    if hit(a):
        return Verdict(True, str(a), expected)
    if isinstance(a, Words) and not _NEGATION.search(answer):
        if any(isinstance(e, Words) and _contains(answer, entry) for e, entry in zip(entries, accept)):
            return Verdict(True, str(a), expected)
    first_clause = _CLAUSE.split(_prepare(answer))[0]
    if not _NEGATION.search(first_clause) and not re.search(r"(?i)\bor\b", answer):
        for candidate, dropped, commentary in _alternatives(answer):
            if _NEGATION.search(candidate):
                continue
            r = read(candidate, s)
            if not hit(r):
                continue
            if isinstance(r, Words) and not _years_agree(answer, accept):
                continue  # "McCandlish et al. 2020": the right name, the wrong year
            if commentary or all(_consistent(d, r, s, hit) for d in dropped):
                return Verdict(True, str(r), expected)
    if re.search(r"(?i)\bor\b", answer):
        return Verdict(False, "a hedge between two answers", expected)
    if _NEGATION.search(first_clause):
        return Verdict(False, "a negation, not an answer", expected)
    return Verdict(False, str(a) if a is not None else "", expected)


def _consistent(dropped: str, kept: Reading, spec: Spec, hit: Any) -> bool:
    """Whether a part left out of a lenient reading says nothing against it: prose, a
    formula, the same value, or a derivation that evaluates to it ("0.1 × 32 = 3.2")."""
    other = read(dropped, spec)
    if other is None or isinstance(other, (Words, Form)) or hit(other):
        return True
    form = _parse_formula(dropped, spec)
    if form is not None and isinstance(kept, Num) and not (form.names - {k for k, _ in spec.given}):
        value = _value(form, dict(spec.given))
        return value is not None and _close(value, kept.value, max(spec.tolerance, 1e-3))
    return False


_NONE = re.compile(r"(?i)\s*(?:none|off|disabled|no\s+(?:momentum|weight[\s_]decay|clipping|warmup|regulari[sz]ation))\s*\.?\s*")
_UP = {"larger", "bigger", "higher", "more", "greater", "increase", "increased", "up"}
_DOWN = {"smaller", "lower", "less", "decrease", "decreased", "down", "below"}


def _contradicts(question: str, answer: str) -> bool:
    """An answer that turns the question's direction round ("3-10x larger" when the
    question asks how many times smaller)."""
    q = set(re.findall(r"[a-z]+", question.lower()))
    a = set(re.findall(r"[a-z]+", answer.lower()))
    return bool((q & _DOWN and a & _UP and not a & _DOWN) or (q & _UP and a & _DOWN and not a & _UP))


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
