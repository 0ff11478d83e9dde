"""The derive stages, as data: for each drill that has them, the formulas to derive before
writing its rule, each with its known misconceptions.

A :class:`Derivation` is keyed by its drill's name in :data:`DERIVATIONS`; ``gdgrill drill NAME
--derive`` asks its stages in order, then the drill's own rule. A :class:`Stage` is one formula:
the question, the names it may use (each with the :class:`Domain` its numeric samples are drawn
from and what sympy may assume), the expected answer and the misconceptions, all written in the
drill's answer language. :mod:`gdgrill.drill.derive` checks answers against them.

The stages stay in Python rather than in the drills' YAML: a stage's label (the left-hand side an
answer may start with) is a regular expression and its names carry sampling domains, both of
which are code; and nothing here needs a YAML parser, so ``gdgrill drill list`` can mark the drills
that have a derivation without one. This module imports nothing heavy (no numpy, no sympy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
NICE_POINTS = 4  # every name's first samples: easy to check by hand, shown first as counterexamples


@dataclass(frozen=True)
class Domain:
    """Where a name's numeric samples are drawn, and what sympy may assume about it.

    ``nice`` are the first :data:`NICE_POINTS` samples. ``integer`` draws whole numbers in
    [low, high]; ``signed`` draws |x| in [low, high] with a random sign; ``fixed`` pins the name to
    one value everywhere (sympy substitutes it too): a quantity the question tells you to neglect."""

    low: float
    high: float
    nice: tuple[float, ...]
    assumptions: tuple[str, ...] = ("real",)  # sympy Symbol assumptions, e.g. ("positive",)
    integer: bool = False
    signed: bool = False
    fixed: float | None = None


@dataclass(frozen=True)
class Name:
    name: str  # canonical (what the formulas and samples use)
    symbol: str  # how the prompt writes it
    aliases: tuple[str, ...]
    meaning: str
    domain: Domain


@dataclass(frozen=True)
class Misconception:
    id: str
    title: str
    formula: str  # in the answer language, over the stage's names
    explanation: str


@dataclass(frozen=True)
class Stage:
    id: str  # unique across all derivations; a key of the --json ``derive`` object
    title: str
    part: str  # what the answer file's part holds, e.g. "E[m_t]"
    short: str  # its label in the one-line summary
    question: str
    names: tuple[Name, ...]
    expected: str  # the canonical answer, in the answer language
    shown: str  # the same, as a whiteboard would write it
    derivation: str  # shown when the user reveals the answer
    label: re.Pattern[str]  # an optional left-hand side the answer may start with
    misconceptions: tuple[Misconception, ...]
    factor_of: str | None = None  # an answer without this name is a factor multiplying it
    offset_of: str | None = None  # an answer without this name is a change added to it
    reading: str = ""  # how such an answer is read, said in the verdict

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


@dataclass(frozen=True)
class Derivation:
    """A drill's derive sequence: its stages, then the drill's own update rule."""

    drill: str
    title: str  # e.g. "Adam's bias correction, derived"
    stages: tuple[Stage, ...]

    @property
    def steps(self) -> int:
        """How many steps ``--derive`` asks: the stages, then the rule."""
        return len(self.stages) + 1

    @property
    def steps_in_words(self) -> str:
        return _NUMBER_WORDS.get(self.steps, str(self.steps))

    def stage(self, stage_id: str) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)


def _mc(id: str, title: str, formula: str, explanation: str) -> Misconception:
    return Misconception(id, title, formula, " ".join(explanation.split()))


def _text(text: str) -> str:
    return " ".join(text.split())


# -- Names ------------------------------------------------------------------------------------------

_BETA_DOMAIN = Domain(0.01, 0.99, (0.9, 0.9, 0.5, 0.9), ("positive",))  # (0, 1): sympy can only say positive
_STEP = Domain(1, 50, (1, 2, 3, 10), ("integer", "positive"), integer=True)
_LR = Domain(0.001, 1.0, (0.1, 0.1, 1.0, 0.01), ("positive",))

MU = Name("mu", "μ", ("µ", "mean"), "the mean gradient: E[g_k] = μ at every step", Domain(-5.0, 5.0, (1.0, 1.0, 2.0, -1.0)))
B1 = Name("b1", "β₁", ("β1", "beta1", "beta_1"), "decay of the first moment m", _BETA_DOMAIN)
B2 = Name("b2", "β₂", ("β2", "beta2", "beta_2"), "decay of the second moment v", Domain(0.01, 0.999, (0.999, 0.999, 0.9, 0.999), ("positive",)))
T = Name("t", "t", ("step",), "the step number; m has had t updates", _STEP)
M = Name("m", "m", ("m_t", "mt"), "m_t, the (biased) first moment after t steps", Domain(-5.0, 5.0, (1.0, 1.0, 2.0, -1.0)))

BETA = Name(
    "b", "β", ("beta", "μ", "mu", "momentum", "decay"), "the EMA's decay (Adam's β₁ or β₂, momentum's μ)",
    Domain(0.01, 0.999, (0.9, 0.99, 0.5, 0.999), ("positive",)),
)  # fmt: skip
MOMENTUM = Name("mu", "μ", ("µ", "momentum", "beta", "β"), "the momentum coefficient (torch's momentum=μ)", _BETA_DOMAIN)
ETA = Name("eta", "η", ("lr", "alpha", "α", "gamma", "γ", "learning_rate"), "the learning rate", _LR)
STEPS = Name("t", "t", ("step", "k"), "the step number (for the steps before it settles)", _STEP)
LMAX = Name(
    "lmax", "λ_max", ("λmax", "lambda_max", "lam_max", "lmax", "L", "L_max"), "the largest eigenvalue of H (the curvature L)",
    Domain(1.5, 100.0, (10.0, 4.0, 2.0, 100.0), ("positive",)),
)  # fmt: skip
LMIN = Name(
    "lmin", "λ_min", ("λmin", "lambda_min", "lam_min", "lmin", "μ", "mu"), "the smallest eigenvalue of H (> 0)",
    Domain(0.01, 1.0, (1.0, 1.0, 0.5, 0.01), ("positive",)),
)  # fmt: skip
G = Name(
    "g", "g", ("grad", "gradient", "g1", "g_1"), "the first gradient (one coordinate; ≠ 0)",
    Domain(0.05, 5.0, (2.0, -0.5, 4.0, -3.0), ("real", "nonzero"), signed=True),
)  # fmt: skip
# g = 1 in the nice points, so a counterexample's values are the learning rates themselves
CONSTANT_G = Name("g", "g", ("grad", "gradient"), "the constant gradient", Domain(0.05, 5.0, (1.0, 1.0, 1.0, 1.0), ("real", "nonzero"), signed=True))
_THETA_ALIASES = ("θ0", "θ_0", "theta0", "theta_0", "w", "p", "param")
THETA = Name("theta", "θ", _THETA_ALIASES, "the parameter θ", Domain(-5.0, 5.0, (1.0, 2.0, -1.0, 0.5)))
# θ₀ starts at 0 in the nice points, so a counterexample's values are the steps themselves
THETA0 = Name("theta", "θ", _THETA_ALIASES, "the parameter before the step (θ₀)", Domain(-5.0, 5.0, (0.0, 0.0, 0.0, 0.0)))
EPS_NEGLECTED = Name("eps", "ε", ("epsilon", "ϵ"), "Adam's ε, neglected here (|g| ≫ ε: take ε = 0)", Domain(0.0, 0.0, (0.0,) * NICE_POINTS, fixed=0.0))
EPS = Name("eps", "ε", ("epsilon", "ϵ"), "Adam's ε, added to √v̂", Domain(0.01, 0.5, (0.0, 0.1, 1.0, 0.01), ("positive",)))
LAM = Name(
    "lam", "λ", ("lambda", "lambda_", "lam", "wd", "weight_decay", "decay"), "the weight decay (torch's weight_decay=λ)",
    Domain(0.001, 1.0, (0.5, 0.1, 0.01, 1.0), ("positive",)),
)  # fmt: skip
VHAT = Name(
    "v", "v̂", ("v_hat", "vhat", "v_t"), "the bias-corrected second moment of this coordinate (given)",
    Domain(0.01, 25.0, (4.0, 4.0, 1.0, 0.25), ("positive",)),
)  # fmt: skip

_THETA_FACTOR = "the factor θ is multiplied by"
_THETA_NEXT = re.compile(r"^\s*(?:(?:θ|theta|w|p)\s*(?:_?\{?\s*t\s*\+\s*1\s*\}?|ₜ₊₁|'|₁|_?1)?\s*(?:←|<-|:=|=)|(?:factor|shrink)\s*=)(?!=)")

EXPECTATION = Stage(
    id="expectation",
    title="E[m_t] for a stationary gradient",
    part="E[m_t]",
    short="E[m_t]",
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
    part="m̂_t",
    short="correction",
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
    reading="the factor m_t is multiplied by",
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

ADAM_BIAS = Derivation("adam-bias", "Adam's bias correction, derived", (EXPECTATION, CORRECTION))


# -- momentum: an EMA's horizon and half-life, momentum's effective step --------------------------

HORIZON = Stage(
    id="horizon",
    title="An EMA's memory horizon",
    part="the horizon N",
    short="horizon",
    question=(
        "An exponential moving average m = β·m + (1 − β)·g gives the gradient from k steps ago the weight "
        "(1 − β)·βᵏ (torch's momentum buffer b = μ·b + g gives it μᵏ: the same shape, undamped). Its memory "
        "horizon N is the length of the plain average that gives the newest gradient the same weight — "
        "equivalently, the buffer's total weight Σₖ βᵏ. Write N in terms of β."
    ),
    names=(BETA,),
    expected="1/(1 - b)",
    shown="N = 1/(1 − β)   (β = 0.9: 10 steps; β = 0.999: 1000)",
    derivation=_text(
        """Σ_{k≥0} βᵏ = 1/(1 − β) (a geometric series): the undamped buffer holds 1/(1 − β) gradients' worth
        of weight, and the EMA's newest weight 1 − β is that of a plain average over 1/(1 − β) steps. β = 0.9
        remembers about 10 steps, β₂ = 0.999 about 1000 — which is why Adam's v stays biased for hundreds of
        steps without its correction."""
    ),
    label=re.compile(r"^\s*(?:N|n|H|horizon|window)\s*(?:=|≈|~)(?!=)"),
    misconceptions=(
        _mc(
            "mean-age",
            "The mean age of the average, one short of the horizon",
            "b/(1 - b)",
            """Σ k·(1 − β)·βᵏ = β/(1 − β) is the average *age* of what m remembers (9 steps for β = 0.9),
            counting the newest gradient as age 0. The horizon counts the newest one too:
            1/(1 − β) = 1 + β/(1 − β).""",
        ),
        _mc(
            "newest-weight",
            "The newest gradient's weight, not the horizon",
            "1 - b",
            """1 − β is the share of the newest gradient (0.1 for β = 0.9). A plain average over N steps gives
            each 1/N, so the horizon is its reciprocal: N = 1/(1 − β).""",
        ),
        _mc(
            "inverse-beta",
            "1/β: the decay's reciprocal",
            "1/b",
            """1/β is about 1.1 for β = 0.9 — barely one step. What sets the memory is how close β is to 1:
            the gap 1 − β, whose reciprocal is the horizon.""",
        ),
        _mc(
            "time-constant",
            "The e-folding time −1/ln β: close, but not the horizon",
            "-1/log(b)",
            """−1/ln β is the number of steps for an old gradient's weight to fall by a factor e. For β near 1,
            −ln β ≈ 1 − β, so it approximates the horizon (9.5 vs 10 at β = 0.9), but the horizon — the
            geometric sum Σβᵏ — is exactly 1/(1 − β); at β = 0.5 they are 1.44 and 2.""",
        ),
        _mc(
            "weights-sum",
            "The normalised weights sum to 1",
            "1",
            """(1 − β)·Σβᵏ = 1: that is why m is an *average* of g (unbiased once warm), not how many steps it
            spans. Without the (1 − β) the weights sum to 1/(1 − β): the horizon.""",
        ),
    ),
)

HALF_LIFE = Stage(
    id="half_life",
    title="An outlier's half-life",
    part="the half-life",
    short="half-life",
    question=(
        "One huge gradient arrives (an outlier). k steps later, its share of the EMA m = β·m + (1 − β)·g has "
        "been multiplied by βᵏ. After how many steps k has its influence halved? Write k in terms of β "
        "(ln or log is the natural log)."
    ),
    names=(BETA,),
    expected="log(2)/(-log(b))",
    shown="k½ = ln 2/(−ln β)   (β = 0.9: ≈ 6.6 steps; β = 0.999: ≈ 693)",
    derivation=_text(
        """βᵏ = 1/2 ⇔ k·ln β = −ln 2 ⇔ k = ln 2/(−ln β); ln β < 0 for β < 1, so the minus makes it
        positive. For β near 1, −ln β ≈ 1 − β and k½ ≈ 0.69/(1 − β): about 70% of the horizon. A loss spike
        in Adam's v (β₂ = 0.999) keeps the step small for hundreds of steps."""
    ),
    label=re.compile(r"^\s*(?:(?:k|t|n|T|h)(?:_?(?:½|1/2|\{1/2\}|half))?|half[-_ ]?life|t_half)\s*(?:=|≈)(?!=)"),
    misconceptions=(
        _mc(
            "horizon",
            "The horizon, not the half-life",
            "1/(1 - b)",
            """1/(1 − β) is all the weight the buffer holds; one gradient's influence halves sooner, after
            ln 2/(−ln β) ≈ 0.69/(1 − β) steps (6.6, not 10, for β = 0.9).""",
        ),
        _mc(
            "linearised",
            "ln 2/(1 − β): the β → 1 approximation, not the half-life",
            "log(2)/(1 - b)",
            """−ln β ≈ 1 − β only for β near 1 (6.93 instead of 6.58 at β = 0.9; 1.39 instead of 1 at
            β = 0.5). βᵏ = 1/2 gives k = ln 2/(−ln β) exactly.""",
        ),
        _mc(
            "sign",
            "A negative count: ln β < 0",
            "log(2)/log(b)",
            """For β < 1, ln β is negative, so ln 2/ln β is a negative number of steps. From βᵏ = 1/2,
            k = ln(1/2)/ln β = ln 2/(−ln β).""",
        ),
        _mc(
            "e-folding",
            "The e-folding time (weight 1/e), not the half-life (1/2)",
            "-1/log(b)",
            """−1/ln β is when the weight falls to 1/e ≈ 0.37. Halving takes ln 2 ≈ 0.69 times as long:
            ln 2/(−ln β).""",
        ),
        _mc(
            "inverted",
            "Upside down: ln β/ln 2",
            "-log(b)/log(2)",
            """Solving βᵏ = 1/2 for k divides by ln β: k = ln(1/2)/ln β. The inverse, (−ln β)/ln 2, is a
            rate (halvings per step), not a number of steps.""",
        ),
        _mc(
            "half-horizon",
            "Half the horizon",
            "1/(2*(1 - b))",
            """The weight decays geometrically, not linearly, so it is not halved at half the horizon: the
            half-life is ln 2 ≈ 0.69 of the horizon for β near 1, not 0.5 of it.""",
        ),
    ),
)

EFFECTIVE_STEP = Stage(
    id="effective_step",
    title="Momentum's effective step",
    part="η_eff",
    short="effective step",
    question=(
        "torch's heavy ball: b = μ·b + g, θ = θ − η·b. With the same gradient g at every step, the step "
        "settles to a constant. What learning rate η_eff would plain SGD (θ = θ − η_eff·g) need to take that "
        "same step? Write it in terms of η and μ (or write the settled step itself, η_eff·g)."
    ),
    names=(ETA, MOMENTUM, STEPS, CONSTANT_G),
    expected="eta/(1 - mu)",
    shown="η_eff = η/(1 − μ)   (μ = 0.9: 10·η)",
    derivation=_text(
        """b_t = g·(1 + μ + … + μ^(t−1)) = g·(1 − μᵗ)/(1 − μ) → g/(1 − μ), so the settled step is
        η·g/(1 − μ). Momentum 0.9 multiplies the learning rate by 10 along a consistent direction: switching
        from SGD to momentum at the same lr can diverge, and tuning lr and μ together keeps η/(1 − μ)
        fixed."""
    ),
    label=re.compile(r"^\s*(?:η|eta|lr|α|alpha|γ|gamma)\s*(?:_?\{?\s*(?:eff|effective)\s*\}?|')\s*(?:=|≈)(?!=)"),
    factor_of="g",  # an answer with g is the settled step η_eff·g
    misconceptions=(
        _mc(
            "damped-ema",
            "As if the buffer were an EMA, (1 − μ)·g",
            "eta",
            """With b = μ·b + (1 − μ)·g — an EMA, like Adam's m or torch's dampening = μ — the settled step
            is η·g: no gain. torch's default buffer is undamped (dampening = 0), so it sums the gradients:
            g·Σμᵏ = g/(1 − μ).""",
        ),
        _mc(
            "multiplied",
            "Multiplied by 1 − μ instead of divided",
            "eta*(1 - mu)",
            """The buffer adds up μᵏ·g over all past steps: g·(1 + μ + μ² + …) = g/(1 − μ). Momentum
            amplifies a consistent gradient (10× for μ = 0.9); it does not shrink it.""",
        ),
        _mc(
            "one-step",
            "Only one step of memory: η·(1 + μ)",
            "eta*(1 + mu)",
            """η·(1 + μ) counts this gradient and the previous one. The buffer keeps all of them, each μᵏ:
            Σμᵏ = 1/(1 − μ) (10, not 1.9, for μ = 0.9).""",
        ),
        _mc(
            "transient",
            "The step after t iterations, not the settled one",
            "eta*(1 - mu^t)/(1 - mu)",
            """After t steps from b = 0 the buffer holds g·(1 − μᵗ)/(1 − μ); the settled step is its limit as
            t → ∞, where μᵗ → 0: η/(1 − μ).""",
        ),
        _mc(
            "signed",
            "The displacement −η_eff·g: the rate itself is positive",
            "-eta/(1 - mu)",
            """θ moves by −η_eff·g each step; η_eff (and the step size η_eff·g it asks for) carries no minus:
            η/(1 − μ).""",
        ),
        _mc(
            "alternating",
            "The gain for a gradient that flips sign every step",
            "eta/(1 + mu)",
            """For g alternating ±, the buffer sums g·(1 − μ + μ² − …) = g/(1 + μ): momentum damps
            oscillation. For a constant gradient the series has no alternating signs: 1/(1 − μ).""",
        ),
    ),
)

MOMENTUM_DERIVATION = Derivation("momentum", "An EMA's memory and momentum's effective step, derived", (HORIZON, HALF_LIFE, EFFECTIVE_STEP))


# -- sgd: the stability bound on a quadratic ------------------------------------------------------

STABILITY = Stage(
    id="stability",
    title="GD's stability bound on a quadratic",
    part="the bound on η",
    short="stability bound",
    question=(
        "Gradient descent θ = θ − η·∇f on the quadratic f(θ) = ½·θᵀHθ, where H's eigenvalues run from λ_min "
        "to λ_max (all > 0). Up to which learning rate does it converge from any start? Write the bound: "
        "η < …"
    ),
    names=(LMAX, LMIN),
    expected="2/lmax",
    shown="η < 2/λ_max",
    derivation=_text(
        """∇f = Hθ, so θ ← (I − ηH)·θ. Along an eigenvector with eigenvalue λ the error is multiplied by
        1 − ηλ each step; it shrinks iff |1 − ηλ| < 1, i.e. 0 < η < 2/λ. The steepest direction binds:
        η < 2/λ_max. Between 1/λ_max and 2/λ_max that direction oscillates but still converges; at 2/λ_max
        it bounces forever — the edge of stability."""
    ),
    label=re.compile(r"^\s*(?:0\s*<\s*)?(?:η|eta|lr|α|alpha|γ|gamma)\s*(?:_?\{?\s*max\s*\}?|\*)?\s*(?:<=|<|≤|=|≈)(?!=)"),
    misconceptions=(
        _mc(
            "one-over-l",
            "1/λ_max: the textbook safe step, not the edge",
            "1/lmax",
            """η = 1/λ_max (1/L) solves the steepest direction in one step, and is the step the descent lemma
            guarantees to decrease f. Above it that direction's error flips sign, but |1 − ηλ_max| < 1 still
            holds up to η = 2/λ_max: the stability limit is twice 1/L.""",
        ),
        _mc(
            "flattest",
            "λ_min instead of λ_max",
            "2/lmin",
            """The flattest direction sets how *slowly* GD converges (its error shrinks by 1 − ηλ_min); the
            steepest sets where it blows up. With η = 2/λ_min the λ_max direction is multiplied by
            |1 − 2λ_max/λ_min| > 1 every step.""",
        ),
        _mc(
            "optimal-step",
            "The best fixed step, not the stability edge",
            "2/(lmax + lmin)",
            """η* = 2/(λ_max + λ_min) balances the slowest and the fastest direction (both shrink by
            (κ − 1)/(κ + 1)): the best fixed step, below the bound 2/λ_max.""",
        ),
        _mc(
            "inverted",
            "Upside down: λ_max/2",
            "lmax/2",
            """A learning rate has units of 1/curvature (ηλ is dimensionless): the sharper the bowl, the
            smaller the largest stable step, 2/λ_max.""",
        ),
        _mc(
            "condition-number",
            "2/κ: the condition number sets the rate, not the bound",
            "2*lmin/lmax",
            """κ = λ_max/λ_min says how slow GD is at its best step ((κ − 1)/(κ + 1) per step); the bound on η
            has units of 1/curvature and depends only on λ_max: 2/λ_max.""",
        ),
    ),
)

SGD_DERIVATION = Derivation("sgd", "Gradient descent's stability bound, derived", (STABILITY,))


# -- adam: the first step -------------------------------------------------------------------------

FIRST_STEP = Stage(
    id="first_step",
    title="Adam's first step",
    part="Δθ₁",
    short="first step",
    question=(
        "Adam at t = 1 (m₀ = v₀ = 0, no weight decay) sees its first gradient g. Write the first update "
        "Δθ₁ = θ₁ − θ₀ in terms of η, g, β₁ and β₂, taking ε → 0 (|g| ≫ ε). Writing θ₁ itself, with θ for "
        "θ₀, is fine too."
    ),
    names=(ETA, G, B1, B2, EPS_NEGLECTED, THETA0),
    expected="-eta*g/(abs(g) + eps)",
    shown="Δθ₁ = −η·m̂₁/(√v̂₁ + ε) = −η·g/(|g| + ε) ≈ −η·sign(g)",
    derivation=_text(
        """m₁ = (1 − β₁)·g and v₁ = (1 − β₂)·g²; at t = 1 the corrections divide by exactly 1 − β₁ and
        1 − β₂, so m̂₁ = g and v̂₁ = g². The step is −η·g/(|g| + ε) ≈ −η·sign(g): every coordinate moves by
        η, whatever its gradient's scale (unless |g| ≲ ε). That is why Adam's first steps are as large as
        the learning rate, and one reason for warm-up."""
    ),
    label=re.compile(
        r"^\s*(?:(?:Δ|∆|d|delta_?)\s*(?:θ|theta|w|p)\s*(?:_?\{?\s*1\s*\}?|₁)?|(?:θ|theta)\s*(?:₁|_?1)\s*(?:[-−]\s*(?:θ|theta)\s*(?:₀|_?0))?|step|update)\s*(?:=|≈)(?!=)"
    ),
    offset_of="theta",
    reading="the step θ₁ − θ₀",
    misconceptions=(
        _mc(
            "uncorrected",
            "No bias correction: (1 − β₁)/√(1 − β₂) times the step",
            "-eta*(1 - b1)/sqrt(1 - b2)*sign(g)",
            """Uncorrected, m₁ = (1 − β₁)·g and √v₁ = √(1 − β₂)·|g|: the step is η·(1 − β₁)/√(1 − β₂) ≈ 3.16·η
            for the defaults. The first steps come out *too large*, not too small, because v is biased toward
            0 more than m is.""",
        ),
        _mc(
            "m-uncorrected",
            "Only v corrected: m₁ = (1 − β₁)·g is 10× too small",
            "-eta*(1 - b1)*sign(g)",
            """m₁ = (1 − β₁)·g; dividing by 1 − β₁¹ brings it back to g. Correcting v alone leaves the step at
            (1 − β₁)·η: 0.1·η for β₁ = 0.9.""",
        ),
        _mc(
            "v-uncorrected",
            "Only m corrected: √v₁ = √(1 − β₂)·|g| is ~32× too small",
            "-eta*sign(g)/sqrt(1 - b2)",
            """v₁ = (1 − β₂)·g² needs its own correction, 1/(1 − β₂); without it the denominator is
            √(1 − β₂)·|g| and the step η/√(1 − β₂) ≈ 31.6·η for β₂ = 0.999.""",
        ),
        _mc(
            "sgd-step",
            "A plain SGD step, −η·g",
            "-eta*g",
            """m̂₁ = g, but it is divided by √v̂₁ = |g|: Adam's first step has size η in every coordinate,
            whatever the gradient's scale. −η·g is SGD's.""",
        ),
        _mc(
            "forgot-sqrt",
            "Divided by v̂ = g² without the square root",
            "-eta*g/(g^2 + eps)",
            """The denominator is √v̂₁ = |g|, not v̂₁ = g²: without the root the step is −η/g, huge for small
            gradients and not scale-free.""",
        ),
        _mc(
            "uphill",
            "Stepping uphill (+ instead of −)",
            "eta*g/(abs(g) + eps)",
            """The update subtracts: θ₁ = θ₀ − η·m̂₁/(√v̂₁ + ε). With + the first step climbs the loss.""",
        ),
    ),
)

ADAM_DERIVATION = Derivation("adam", "Adam's first step, derived", (FIRST_STEP,))


# -- adamw: decoupled decay vs L2, under SGD and under Adam ---------------------------------------

_NO_LR = """Both forms scale the decay by the learning rate: L2 because λθ joins the gradient that η
multiplies; torch's decoupled decay because it subtracts lr·λ·θ. (The AdamW paper writes the schedule
multiplier η_t there and keeps α for the Adam step; torch folds the lr into the decay.)"""

SGD_SHRINK = Stage(
    id="sgd_shrink",
    title="Weight decay under SGD: L2 vs decoupled",
    part="the SGD shrink factor",
    short="SGD shrink",
    question=(
        "Under plain SGD, L2 regularisation adds λ·θ to the gradient (g ← g + λθ, torch.optim.SGD's "
        "weight_decay=λ); decoupled decay subtracts η·λ·θ from θ directly. Leaving the loss gradient out, one "
        "step multiplies θ by a factor. Write it for L2, in terms of η and λ — then compare with decoupled "
        "decay. (θ ← …·θ is fine too.)"
    ),
    names=(ETA, LAM, THETA),
    expected="1 - eta*lam",
    shown="θ ← (1 − ηλ)·θ — the same for L2 and for decoupled decay under SGD",
    derivation=_text(
        """L2: θ ← θ − η·(g + λθ) = (1 − ηλ)·θ − η·g. Decoupled: θ ← θ − ηλ·θ − η·g: identical. SGD multiplies
        the gradient and the decay by the same scalar η, so where the decay enters does not matter — under
        Adam it does."""
    ),
    label=_THETA_NEXT,
    factor_of="theta",
    reading=_THETA_FACTOR,
    misconceptions=(
        _mc("no-lr", "Decay without the learning rate", "1 - lam", _NO_LR),
        _mc(
            "squared-penalty",
            "The penalty λ‖θ‖² (gradient 2λθ), not torch's weight_decay",
            "1 - 2*eta*lam",
            """torch's weight_decay=λ adds λθ to the gradient: the gradient of (λ/2)·‖θ‖². Writing the penalty
            as λ‖θ‖² doubles the decay: 1 − 2ηλ.""",
        ),
        _mc(
            "removed-share",
            "The share removed, not the factor kept",
            "eta*lam",
            """η·λ is how much of θ goes each step; θ keeps the rest of itself: (1 − ηλ)·θ.""",
        ),
        _mc("growing", "Growing, not shrinking: 1 + ηλ", "1 + eta*lam", """Decay pulls θ toward 0: θ − ηλθ = (1 − ηλ)·θ."""),
        _mc(
            "proximal",
            "The implicit (proximal) step, 1/(1 + ηλ)",
            "1/(1 + eta*lam)",
            """1/(1 + ηλ) is the decay applied to the *new* θ (θ₁ = θ₀ − ηλ·θ₁): the proximal form. torch and
            the usual explicit step use the old θ: 1 − ηλ. The two agree only to first order in ηλ.""",
        ),
    ),
)

ADAMW_SHRINK = Stage(
    id="adamw_shrink",
    title="Decoupled decay under Adam (AdamW)",
    part="the AdamW shrink factor",
    short="AdamW shrink",
    question=(
        "AdamW (torch.optim.AdamW): θ ← θ − η·λ·θ − η·m̂/(√v̂ + ε). Leaving the loss gradient out, by what "
        "factor does one step multiply θ? Use η, λ, v̂ and ε as you need them."
    ),
    names=(ETA, LAM, VHAT, EPS, THETA),
    expected="1 - eta*lam",
    shown="θ ← (1 − ηλ)·θ: the same shrink for every weight, whatever its v̂",
    derivation=_text(
        """The decay term η·λ·θ is subtracted outside the adaptive step, so it never meets √v̂ + ε: every
        weight shrinks by the same factor 1 − ηλ per step, as under SGD (Loshchilov & Hutter, 2019)."""
    ),
    label=_THETA_NEXT,
    factor_of="theta",
    reading=_THETA_FACTOR,
    misconceptions=(
        _mc(
            "l2-form",
            "Adam + L2's factor: AdamW's decay skips the preconditioner",
            "1 - eta*lam/(sqrt(v) + eps)",
            """Dividing the decay by √v̂ + ε is what L2 does inside Adam (λθ joins g and so the moments).
            AdamW's point is to subtract η·λ·θ outside the adaptive step: 1 − ηλ for every weight.""",
        ),
        _mc("no-lr", "Decay without the learning rate", "1 - lam", _NO_LR),
        _mc("removed-share", "The share removed, not the factor kept", "eta*lam", """η·λ is how much of θ goes each step; θ keeps (1 − ηλ)·θ."""),
        _mc("growing", "Growing, not shrinking: 1 + ηλ", "1 + eta*lam", """Decay pulls θ toward 0: θ − ηλθ = (1 − ηλ)·θ."""),
    ),
)

L2_SHRINK = Stage(
    id="l2_shrink",
    title="L2 decay under Adam",
    part="the Adam + L2 shrink factor",
    short="Adam+L2 shrink",
    question=(
        "Adam with L2 (torch.optim.Adam(weight_decay=λ)) adds λ·θ to g before the moments, so the decay goes "
        "through the same preconditioner as the gradient. Take β₁ = 0 (m̂ is this step's g + λθ) and the "
        "second moment v̂ as given. By what factor does the decay part of one step multiply θ? Use η, λ, v̂ "
        "and ε."
    ),
    names=(ETA, LAM, VHAT, EPS, THETA),
    expected="1 - eta*lam/(sqrt(v) + eps)",
    shown="θ ← (1 − ηλ/(√v̂ + ε))·θ: the decay is divided by √v̂ + ε",
    derivation=_text(
        """θ ← θ − η·(g + λθ)/(√v̂ + ε) = (1 − ηλ/(√v̂ + ε))·θ − η·g/(√v̂ + ε). Weights with large gradients
        (large v̂) are barely decayed and rarely-updated ones decay hard — not the uniform shrink L2 gives
        under SGD. AdamW restores it by decaying outside the adaptive step: 1 − ηλ for every weight."""
    ),
    label=_THETA_NEXT,
    factor_of="theta",
    reading=_THETA_FACTOR,
    misconceptions=(
        _mc(
            "decoupled",
            "AdamW's factor: with L2 the decay goes through the preconditioner",
            "1 - eta*lam",
            """1 − ηλ is decoupled decay (AdamW). With L2, λθ is part of the gradient Adam normalises, so the
            decay is divided by √v̂ + ε too: 1 − ηλ/(√v̂ + ε).""",
        ),
        _mc(
            "eps-inside-sqrt",
            "ε inside the square root",
            "1 - eta*lam/sqrt(v + eps)",
            """torch's Adam divides by √v̂ + ε, with ε outside the root; √(v̂ + ε) is a different (larger)
            floor for small v̂.""",
        ),
        _mc(
            "forgot-sqrt",
            "Divided by v̂, not √v̂",
            "1 - eta*lam/(v + eps)",
            """Adam's denominator is the root of the second moment, √v̂ + ε: the RMS of the gradient, in the
            gradient's units.""",
        ),
        _mc(
            "multiplied",
            "Multiplied by the denominator instead of divided",
            "1 - eta*lam*(sqrt(v) + eps)",
            """The whole gradient g + λθ is divided by √v̂ + ε, the decay part with it: ηλ/(√v̂ + ε).""",
        ),
        _mc(
            "removed-share",
            "The share removed, not the factor kept",
            "eta*lam/(sqrt(v) + eps)",
            """ηλ/(√v̂ + ε) is how much of θ the decay removes; θ keeps 1 − ηλ/(√v̂ + ε) of itself.""",
        ),
        _mc(
            "no-lr",
            "Decay without the learning rate",
            "1 - lam/(sqrt(v) + eps)",
            """λθ joins the gradient, and the whole normalised gradient is multiplied by η:
            1 − ηλ/(√v̂ + ε).""",
        ),
    ),
)

ADAMW_DERIVATION = Derivation("adamw", "Weight decay: L2 vs decoupled, under SGD and under Adam", (SGD_SHRINK, ADAMW_SHRINK, L2_SHRINK))


DERIVATIONS: dict[str, Derivation] = {
    d.drill: d for d in (ADAM_BIAS, SGD_DERIVATION, MOMENTUM_DERIVATION, ADAM_DERIVATION, ADAMW_DERIVATION)
}
"""Every derivation, keyed by its drill's name."""

STAGES: tuple[Stage, ...] = tuple(s for d in DERIVATIONS.values() for s in d.stages)
"""Every stage of every derivation."""
