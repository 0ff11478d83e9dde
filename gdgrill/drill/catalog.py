"""The drills: what the user is asked to write, the names they may use, the instances the
judge runs, the reference rule, hints, and each drill's catalog of known mistakes.

Pure data (no numpy, no torch), so listing drills stays on the light start-up path. Every
mutant and accepted variant is written in the answer language itself: the tests run each one
through the real parser, interpreter and judge and check it is diagnosed as itself.

Instances name a gradient pattern (see :data:`GRADIENT_PATTERNS`); :mod:`gdgrill.drill.judge`
turns them into arrays with a fixed seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

GRADIENT_PATTERNS = {
    "normal": "standard normal gradients",
    "tiny": "tiny gradients (~1e-6), where eps matters",
    "mixed": "mixed-sign gradients whose sign flips every step, with exact zeros",
    "zeros-first": "two all-zero gradients, then normal ones",
    "decaying": "gradients shrinking from ~10 to ~0.01",
    "large": "large gradients (norm well above max_norm)",
    "small": "small gradients (norm below max_norm), one all-zero",
    "none": "no gradients (a schedule)",
    "zero-init": "standard normal gradients, θ starting at 0 (a zero-initialised layer)",
    "overflow": "standard normal gradients with an inf or NaN at steps 3, 4, 9 and 16 (an fp16 overflow)",
}


@dataclass(frozen=True)
class Variable:
    name: str  # canonical name, used by the references and the judge
    symbol: str  # how the intro writes it
    aliases: tuple[str, ...]
    meaning: str
    # aliases that are ordinary words a rule may also use for its own variable (step, decay,
    # momentum, c): assigned while the input is used under another name, they are that
    # variable, not the input (see gdgrill.drill.language.parse_rule)
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Instance:
    label: str
    hp: Mapping[str, float]
    grads: str = "normal"  # a key of GRADIENT_PATTERNS
    steps: int = 8
    shape: tuple[int, ...] = (5,)
    seed: int = 0


@dataclass(frozen=True)
class Mutant:
    """A known wrong answer: an id shared across drills for the same misconception."""

    id: str
    title: str
    rule: str
    explanation: str


@dataclass(frozen=True)
class Variant:
    """A different rule that is still right (e.g. Adam's "efficient" form with ε̂)."""

    id: str
    title: str
    rule: str
    note: str


@dataclass(frozen=True)
class Drill:
    name: str
    title: str
    summary: str
    tier: int  # 1 phone screen … 4 research-engineer depth
    kind: str  # "optimizer" (tracks the parameters), "clip" (the clipped gradient), "schedule"
    reference: str  # the name in gdgrill.drill.references
    task: str
    target: str  # the canonical name the rule must assign; the judge compares it
    inputs: tuple[Variable, ...]
    reference_rule: str
    hints: tuple[str, ...]
    instances: tuple[Instance, ...]
    mutants: tuple[Mutant, ...] = ()
    variants: tuple[Variant, ...] = ()
    outputs: tuple[Variable, ...] = ()  # assigned but not given (e.g. the schedule's lr)
    rtol: float = 1e-9
    atol: float = 1e-13
    # what each name the reference rule assigns holds, in words (the diagnosis names the
    # user's wrong statement by the reference quantity it stands for)
    roles: tuple[tuple[str, str], ...] = ()

    def role(self, name: str) -> str | None:
        """What the reference's ``name`` holds ("the second moment (the average of g²)")."""
        for key, words in self.roles:
            if key == name:
                return words
        return None

    @property
    def names(self) -> dict[str, tuple[str, ...]]:
        """{canonical: aliases} for every name the drill gives or expects."""
        return {v.name: (v.symbol, *v.aliases) for v in (*self.inputs, *self.outputs)}

    @property
    def shadowable(self) -> tuple[str, ...]:
        """Word aliases a rule may reuse for its own variable (never the checked name's)."""
        return tuple(w for v in (*self.inputs, *self.outputs) if v.name != self.target for w in v.words)

    @property
    def given(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.inputs)

    def symbol(self, name: str) -> str:
        for v in (*self.inputs, *self.outputs):
            if v.name == name:
                return v.symbol
        return name

    def mutant(self, mutant_id: str) -> Mutant:
        for m in self.mutants:
            if m.id == mutant_id:
                return m
        raise KeyError(mutant_id)

    @property
    def intro(self) -> str:
        """What to write, the names available and what the rule must update (plain text)."""
        lines = [f"{self.title}", "", self.task, "", "Names you can use:"]
        for v in (*self.inputs, *self.outputs):
            also = ", ".join(dict.fromkeys(a for a in (v.name, *v.aliases) if a != v.symbol))
            lines.append(f"  {v.symbol:<9} {v.meaning}" + (f"  (also: {also})" if also else ""))
        target = self.symbol(self.target)
        lines += [
            "",
            f"Your rule must assign {target}: the judge compares {target} with the reference after every step.",
            "Write one assignment per line (=, +=, -=, *=, /=); any new name you read before assigning it (m, v, velocity, …) is state: it starts at 0 and keeps its value between steps.",
            "Notation: ^ or ** for powers, √x or sqrt(x), · or * to multiply, β₁ᵗ, m̂, ‖g‖ are all fine; t % k is the remainder.",
            "Functions: sqrt abs sign exp log cos sin tanh minimum (min) maximum (max) clip norm sum mean where pow floor row_mean col_mean; for matrices X @ Y (the product), transpose (Xᵀ, X.T), rows cols numel (numbers), and norm (‖X‖) is the Frobenius norm; constant pi (π). np.sqrt, math.cos, torch.sign … are read as sqrt, cos, sign. `repeat N:` runs the indented lines under it N times (N ≤ 10).",
        ]
        return "\n".join(lines)


# -- Names ----------------------------------------------------------------------------------

P = Variable("p", "θ", ("theta", "w", "param", "params", "weights"), "the parameters; assign their new value")
G = Variable("g", "g", ("grad", "gradient", "dp"), "the gradient at θ for this step", ("grad", "gradient", "dp"))
LR = Variable("lr", "η", ("eta", "alpha", "α", "step_size", "learning_rate"), "learning rate", ("step_size",))
LR_NOT_ALPHA = Variable("lr", "η", ("eta", "step_size", "learning_rate"), "learning rate", ("step_size",))
T = Variable("t", "t", ("step",), "the step number, starting at 1", ("step",))
MU = Variable("mu", "μ", ("beta", "β", "momentum", "rho", "ρ", "gamma", "γ"), "momentum coefficient", ("momentum",))
RHO = Variable("rho", "ρ", ("beta", "β", "alpha", "α", "decay", "gamma", "γ", "beta2", "β2"), "decay of the squared-gradient average", ("decay",))
B1 = Variable("b1", "β₁", ("beta1", "β1"), "decay of the first moment (mean of g)")
B2 = Variable("b2", "β₂", ("beta2", "β2"), "decay of the second moment (mean of g²)")
EPS = Variable("eps", "ε", ("epsilon", "ϵ"), "small constant in the denominator")
WD = Variable("wd", "λ", ("lam", "lambda", "weight_decay", "decay"), "weight decay coefficient", ("decay",))
MAX_NORM = Variable("max_norm", "max_norm", ("c", "threshold", "tau", "τ", "clip_norm", "max_grad_norm"), "the largest norm allowed", ("c", "threshold"))
G_CLIP = Variable("g", "g", ("grad", "gradient"), "the whole gradient (all parameters, flattened); assign the clipped gradient")
WARMUP = Variable("warmup", "W", ("warmup_steps", "n_warmup", "w_steps"), "number of warmup steps")
TOTAL = Variable("total", "T", ("total_steps", "n_steps", "steps", "max_steps"), "the last step; the cosine reaches the floor here", ("steps",))
LR_MAX = Variable("lr_max", "η_max", ("peak", "peak_lr", "lr_peak", "base_lr", "max_lr", "eta_max"), "peak learning rate, reached at the end of warmup", ("peak",))
LR_MIN = Variable("lr_min", "η_min", ("floor", "min_lr", "lr_floor", "eta_min", "final_lr"), "floor the cosine decays to", ("floor",))
LR_OUT = Variable("lr", "η", ("eta", "lr_t", "learning_rate", "alpha", "α"), "the learning rate at step t; assign it")

ADAM_HP = {"lr": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "wd": 0.0}


# -- Misconceptions shared across drills (id -> title, explanation) ------------------------------

def _m(id: str, title: str, rule: str, explanation: str) -> Mutant:
    return Mutant(id, title, rule.strip(), " ".join(explanation.split()))


UPHILL = (
    "step-uphill",
    "Stepping uphill (+ instead of −)",
    "The gradient points in the direction of steepest *increase*; descent subtracts it. With + the loss "
    "grows every step — the classic sign slip interviewers watch for when you write the rule from memory.",
)
EPS_INSIDE = (
    "eps-inside-sqrt",
    "ε inside the square root",
    "torch (and the paper) add ε to √v, outside the root. √(v+ε) is a different regulariser: for tiny "
    "gradients √(v+ε) ≈ √ε, so with ε=1e-8 the denominator floors at 1e-4 instead of 1e-8 and the step "
    "shrinks by orders of magnitude exactly where adaptive methods are supposed to help. Some codebases "
    "(e.g. some TF/RMSprop variants) do put ε inside — know which one you are writing.",
)
FORGOT_SQRT = (
    "forgot-sqrt",
    "Forgot the square root",
    "Dividing by v instead of √v makes the update scale like g/g² = 1/g: no longer invariant to the "
    "gradient's scale, it explodes for small gradients. The √ is what makes the step dimensionless "
    "(≈ ±lr per coordinate for a steady gradient).",
)
ABS_NOT_SQUARE = (
    "abs-instead-of-square",
    "|g| instead of g² in the second moment",
    "The denominator estimates the root-mean-square of g, so the running average must be of g²; averaging "
    "|g| and then taking √ mixes units (√|g| has units of √g) and the step is no longer scale-invariant.",
)
NO_BIAS = (
    "no-bias-correction",
    "No bias correction",
    "m and v start at 0, so early on they are biased toward 0: E[m_t] = (1−β₁ᵗ)·E[g]. Dividing by 1−β₁ᵗ "
    "and 1−β₂ᵗ removes it. Without it the first steps are off — m is ~10× too small at t=1 for β₁=0.9 "
    "(and since v is biased even more, ~1000× for β₂=0.999, the uncorrected ratio m/√v is actually ~3× too "
    "large at the start).",
)
BETAS_SWAPPED = (
    "betas-swapped",
    "β₁ and β₂ swapped",
    "β₁ (≈0.9) is the short memory of the mean gradient; β₂ (≈0.999) the long memory of g². Swapped, the "
    "direction becomes sluggish and the scale estimate noisy — the opposite of what Adam wants.",
)
EMA_MOMENTUM = (
    "ema-momentum",
    "EMA-damped momentum (1−μ)·g",
    "torch's SGD momentum accumulates buf = μ·buf + g (no (1−μ) factor); the EMA form shrinks the step by "
    "(1−μ), i.e. 10× for μ=0.9, so the same lr means a different optimizer. Both exist (torch's dampening "
    "argument gives the EMA); say which one you mean, and rescale lr when you switch.",
)
NO_WD = ("no-weight-decay", "Weight decay missing", "The drill gives λ (wd) and the reference applies it; your rule never uses it, so the weights are not pulled toward 0.")
DECAY_NOT_LR = (
    "decay-not-scaled-by-lr",
    "Weight decay not multiplied by the learning rate",
    "In torch the decay step is θ ← θ − lr·λ·θ (and in SGD's L2 form, λ·θ is added to g and so is scaled by "
    "lr too). Writing θ − λ·θ decays 1/lr times faster (the AdamW paper scales λ by a schedule multiplier "
    "η_t rather than by α, which is why this confusion is common).",
)
L2_NOT_DECOUPLED = (
    "l2-instead-of-decoupled",
    "L2 in the gradient instead of decoupled weight decay",
    "Adding λ·θ to g (L2) sends the decay through Adam's adaptive denominator, so weights with large "
    "past gradients are barely decayed. AdamW's point (Loshchilov & Hutter) is to decay θ directly, "
    "outside the adaptive step: θ ← θ − lr·λ·θ − lr·m̂/(√v̂+ε).",
)
DECAY_AFTER_STEP = (
    "decay-after-step",
    "Decay applied to the already-updated weights",
    "The decay term must use the weights from before the step (θ_{t−1}); applying it after the gradient "
    "step decays θ_t instead, which differs by lr²·λ·update — small, but a different algorithm and a sign "
    "you are not sure which θ the formula refers to.",
)


_THETA = ("p", "θ after the step")
_L2_G = ("g", "the gradient with the L2 term (g + λ·θ)")
_ADAM_ROLES = (
    _L2_G,
    ("m", "the first moment (the running average of g)"),
    ("v", "the second moment (the running average of g²)"),
    ("m_hat", "the bias-corrected first moment m̂ = m/(1 − β₁ᵗ)"),
    ("v_hat", "the bias-corrected second moment v̂ = v/(1 − β₂ᵗ)"),
    _THETA,
)


def _shared(spec: tuple[str, str, str], rule: str) -> Mutant:
    return _m(spec[0], spec[1], rule, spec[2])


# -- The drills ---------------------------------------------------------------------------------

_SGD = Drill(
    name="sgd",
    title="SGD with weight decay (torch.optim.SGD)",
    summary="One step of plain SGD with L2 weight decay, as torch.optim.SGD(weight_decay=λ).",
    tier=1,
    kind="optimizer",
    reference="sgd",
    task="Write one step of SGD with weight decay λ as torch.optim.SGD does it (L2: λ·θ is added to the gradient).",
    target="p",
    inputs=(P, G, LR, WD),
    reference_rule="""
g = g + wd*p
p = p - lr*g
""".strip(),
    hints=(
        "Weight decay in torch's SGD is an L2 penalty: its gradient λ·θ is added to g.",
        "Then a plain step downhill: θ ← θ − η·(g + λ·θ).",
    ),
    instances=(
        Instance("standard normal gradients", {"lr": 0.1, "wd": 0.01}),
        Instance("mixed-sign gradients, strong decay", {"lr": 0.3, "wd": 0.2}, "mixed", shape=(2, 3), seed=1),
        Instance("tiny gradients: decay dominates", {"lr": 0.5, "wd": 0.1}, "tiny", seed=2),
    ),
    mutants=(
        _shared(UPHILL, "p = p + lr*(g + wd*p)"),
        _shared(NO_WD, "p = p - lr*g"),
        _shared(DECAY_NOT_LR, "p = p - lr*g - wd*p"),
        _m(
            "decay-sign-flipped",
            "Weight decay with the wrong sign",
            "p = p - lr*(g - wd*p)",
            """The L2 penalty λ/2·‖θ‖² has gradient +λ·θ; subtracting it pushes weights *away* from zero and
            makes them grow exponentially.""",
        ),
        _shared(DECAY_AFTER_STEP, "p = p - lr*g\np = p - lr*wd*p"),
    ),
    roles=(_L2_G, _THETA),
)

_MOMENTUM = Drill(
    name="momentum",
    title="SGD with momentum (heavy ball, torch.optim.SGD(momentum=μ))",
    summary="Heavy-ball momentum as torch.optim.SGD(momentum=μ) does it.",
    tier=1,
    kind="optimizer",
    reference="momentum",
    task="Write one step of SGD with momentum μ, as torch.optim.SGD(momentum=μ) (no dampening, no weight decay).",
    target="p",
    inputs=(P, G, LR, MU),
    reference_rule="""
buf = mu*buf + g
p = p - lr*buf
""".strip(),
    hints=(
        "Keep a velocity (buffer) that accumulates gradients and decays by μ each step.",
        "torch: buf = μ·buf + g (no (1−μ) factor), then θ ← θ − η·buf. Writing v = μ·v − η·g; θ = θ + v is the same thing.",
    ),
    instances=(
        Instance("standard normal gradients", {"lr": 0.1, "mu": 0.9}),
        Instance("mixed-sign gradients", {"lr": 0.3, "mu": 0.5}, "mixed", shape=(2, 3), seed=1),
        Instance("zero gradients first", {"lr": 0.05, "mu": 0.99}, "zeros-first", seed=2),
    ),
    mutants=(
        _shared(EMA_MOMENTUM, "buf = mu*buf + (1 - mu)*g\np = p - lr*buf"),
        _shared(UPHILL, "buf = mu*buf + g\np = p + lr*buf"),
        _m(
            "no-momentum",
            "Momentum missing (plain SGD)",
            "p = p - lr*g",
            """The rule never accumulates a velocity, so it is plain SGD: no averaging of noisy gradients and
            no acceleration along consistent directions (effective step lr/(1−μ) in steady state).""",
        ),
        _m(
            "nesterov-in-momentum",
            "Nesterov's step in a heavy-ball drill",
            "buf = mu*buf + g\np = p - lr*(g + mu*buf)",
            """Stepping along g + μ·buf is torch's Nesterov form (SGD(nesterov=True)); heavy-ball momentum steps
            along the buffer alone, θ ← θ − η·buf. Know both: "what changes with Nesterov?" is the usual follow-up.""",
        ),
        _m(
            "stale-velocity",
            "Stepping with last step's velocity",
            "p = p - lr*buf\nbuf = mu*buf + g",
            """The buffer is updated after the parameters move, so each step uses the previous velocity and the
            current gradient only acts one step late (the very first step does nothing). Update the buffer
            first, then step with it.""",
        ),
    ),
    roles=(("buf", "the momentum buffer (μ·buf + g)"), _THETA),
)

_NESTEROV = Drill(
    name="nesterov",
    title="Nesterov momentum (torch.optim.SGD(nesterov=True))",
    summary="Nesterov accelerated gradient in torch's form (look-ahead through the buffer).",
    tier=2,
    kind="optimizer",
    reference="nesterov",
    task=(
        "Write one step of SGD with Nesterov momentum μ as torch.optim.SGD(momentum=μ, nesterov=True) does it. "
        "You only get the gradient at the current θ, so use torch's reformulated update."
    ),
    target="p",
    inputs=(P, G, LR, MU),
    reference_rule="""
buf = mu*buf + g
p = p - lr*(g + mu*buf)
""".strip(),
    hints=(
        "Update the buffer exactly as in heavy-ball momentum: buf = μ·buf + g.",
        "Nesterov steps along g + μ·buf (the look-ahead) instead of buf alone.",
    ),
    instances=(
        Instance("standard normal gradients", {"lr": 0.1, "mu": 0.9}),
        Instance("mixed-sign gradients", {"lr": 0.2, "mu": 0.6}, "mixed", shape=(2, 3), seed=1),
        Instance("zero gradients first", {"lr": 0.05, "mu": 0.95}, "zeros-first", seed=2),
    ),
    mutants=(
        _m(
            "plain-momentum",
            "Plain (heavy-ball) momentum instead of Nesterov",
            "buf = mu*buf + g\np = p - lr*buf",
            """This is classical momentum. Nesterov evaluates the gradient at the look-ahead point θ + μ·v; with
            the gradient only available at θ, that becomes a step along g + μ·buf. It reacts a step earlier
            when the velocity overshoots, which is why it damps oscillations better.""",
        ),
        _m(
            "lookahead-missing-gradient",
            "Look-ahead without the gradient term",
            "buf = mu*buf + g\np = p - lr*mu*buf",
            """torch's Nesterov step is along g + μ·buf: the current gradient plus the look-ahead through the
            updated velocity. Dropping g just shrinks heavy-ball momentum by μ; the gradient then only enters
            through the buffer. (Stepping with the *old* buffer, g + μ·buf_old, is exactly heavy-ball momentum.)""",
        ),
        _shared(EMA_MOMENTUM, "buf = mu*buf + (1 - mu)*g\np = p - lr*(g + mu*buf)"),
        _shared(UPHILL, "buf = mu*buf + g\np = p + lr*(g + mu*buf)"),
    ),
    roles=(("buf", "the momentum buffer (μ·buf + g)"), ("p", "θ after the look-ahead step")),
)

_RMSPROP = Drill(
    name="rmsprop",
    title="RMSprop (torch.optim.RMSprop)",
    summary="RMSprop: divide by the root of a running average of g², as torch does.",
    tier=2,
    kind="optimizer",
    reference="rmsprop",
    task=(
        "Write one step of RMSprop with smoothing constant ρ (torch calls it alpha) and ε, as torch.optim.RMSprop "
        "does it (no momentum, not centered). Here α means ρ, so write the learning rate as η or lr."
    ),
    target="p",
    inputs=(P, G, LR_NOT_ALPHA, RHO, EPS, T),
    reference_rule="""
v = rho*v + (1 - rho)*g^2
p = p - lr*g/(sqrt(v) + eps)
""".strip(),
    hints=(
        "Keep a running average of the squared gradient: v = ρ·v + (1−ρ)·g².",
        "Divide the gradient by √v + ε — ε outside the root, and no bias correction in RMSprop.",
    ),
    instances=(
        Instance("standard normal gradients", {"lr": 0.01, "rho": 0.9, "eps": 1e-8}),
        Instance("tiny gradients (~1e-6), where eps matters", {"lr": 0.01, "rho": 0.99, "eps": 1e-8}, "tiny", seed=1),
        Instance("large eps", {"lr": 0.1, "rho": 0.9, "eps": 0.5}, "mixed", shape=(2, 3), seed=2),
        Instance("zero gradients first", {"lr": 0.01, "rho": 0.8, "eps": 1e-6}, "zeros-first", seed=3),
    ),
    mutants=(
        _shared(EPS_INSIDE, "v = rho*v + (1 - rho)*g^2\np = p - lr*g/sqrt(v + eps)"),
        _shared(FORGOT_SQRT, "v = rho*v + (1 - rho)*g^2\np = p - lr*g/(v + eps)"),
        _shared(ABS_NOT_SQUARE, "v = rho*v + (1 - rho)*abs(g)\np = p - lr*g/(sqrt(v) + eps)"),
        _m(
            "decay-swapped",
            "ρ and 1−ρ swapped",
            "v = (1 - rho)*v + rho*g^2\np = p - lr*g/(sqrt(v) + eps)",
            """With ρ=0.9 this keeps 10% of the history and takes 90% from the newest g²: the running average is
            nearly just the last g², so the step degenerates toward sign(g). The decay coefficient multiplies
            the old average.""",
        ),
        _m(
            "bias-corrected-rmsprop",
            "Adam-style bias correction in RMSprop",
            "v = rho*v + (1 - rho)*g^2\np = p - lr*g/(sqrt(v/(1 - rho^t)) + eps)",
            """RMSprop (Hinton's lecture, torch) has no bias correction: that is Adam's addition. Because v starts
            at 0, torch's RMSprop takes *larger* early steps; correcting it changes those first steps.""",
        ),
        _shared(UPHILL, "v = rho*v + (1 - rho)*g^2\np = p + lr*g/(sqrt(v) + eps)"),
    ),
    roles=(("v", "the running average of g²"), _THETA),
)

_ADAGRAD = Drill(
    name="adagrad",
    title="Adagrad (torch.optim.Adagrad)",
    summary="Adagrad: divide by the root of the running sum (not an average) of squared gradients.",
    tier=2,
    kind="optimizer",
    reference="adagrad",
    task="Write one step of Adagrad as torch.optim.Adagrad does it (no lr decay, no weight decay).",
    target="p",
    inputs=(P, G, LR, EPS),
    reference_rule="""
s = s + g^2
p = p - lr*g/(sqrt(s) + eps)
""".strip(),
    hints=(
        "Adagrad accumulates the sum (not an average) of squared gradients, never forgetting: s = s + g².",
        "Then θ ← θ − η·g/(√s + ε), with ε outside the root.",
    ),
    instances=(
        Instance("standard normal gradients", {"lr": 0.1, "eps": 1e-10}),
        Instance("tiny gradients (~1e-6), where eps matters", {"lr": 0.1, "eps": 1e-8}, "tiny", seed=1),
        Instance("large eps", {"lr": 0.5, "eps": 0.5}, "mixed", shape=(2, 3), seed=2),
    ),
    mutants=(
        _shared(EPS_INSIDE, "s = s + g^2\np = p - lr*g/sqrt(s + eps)"),
        _shared(FORGOT_SQRT, "s = s + g^2\np = p - lr*g/(s + eps)"),
        _shared(ABS_NOT_SQUARE, "s = s + abs(g)\np = p - lr*g/(sqrt(s) + eps)"),
        _m(
            "accumulate-after-step",
            "Accumulating g² after the step",
            "p = p - lr*g/(sqrt(s) + eps)\ns = s + g^2",
            """The accumulator must include the current gradient before dividing; otherwise the first step divides
            by ε alone (a step of size lr·g/ε — enormous) and every later step lags by one gradient.""",
        ),
        _shared(UPHILL, "s = s + g^2\np = p + lr*g/(sqrt(s) + eps)"),
    ),
    roles=(("s", "the running sum of g²"), _THETA),
)

_ADAM_CORE = """
m = b1*m + (1 - b1)*g
v = b2*v + (1 - b2)*g^2
m_hat = m/(1 - b1^t)
v_hat = v/(1 - b2^t)
p = p - lr*m_hat/(sqrt(v_hat) + eps)
""".strip()

_ADAM_MOMENTS = """
m = b1*m + (1 - b1)*g
v = b2*v + (1 - b2)*g^2
""".strip()

EPS_HAT = Variant(
    "eps-hat",
    "Adam's \"efficient\" form (ε̂ = ε·√(1−β₂ᵗ))",
    "m = b1*m + (1 - b1)*g\nv = b2*v + (1 - b2)*g^2\np = p - lr*sqrt(1 - b2^t)/(1 - b1^t)*m/(sqrt(v) + eps)",
    "This is the form at the end of Section 2 of Kingma & Ba: it folds both corrections into the step size, "
    "which is the same as torch's rule with ε replaced by ε·√(1−β₂ᵗ). The two differ only where ε matters "
    "(tiny gradients, early steps); torch puts ε after the corrected root.",
)


def _adam_mutants(prefix: str = "") -> tuple[Mutant, ...]:
    """Mutants shared by the Adam drills; ``prefix`` is a line run first (e.g. L2 decay)."""
    pre = (prefix + "\n") if prefix else ""
    return (
        _shared(NO_BIAS, pre + _ADAM_MOMENTS + "\np = p - lr*m/(sqrt(v) + eps)"),
        _shared(EPS_INSIDE, pre + _ADAM_MOMENTS + "\np = p - lr*(m/(1 - b1^t))/sqrt(v/(1 - b2^t) + eps)"),
        _shared(FORGOT_SQRT, pre + _ADAM_MOMENTS + "\np = p - lr*(m/(1 - b1^t))/(v/(1 - b2^t) + eps)"),
        _shared(
            BETAS_SWAPPED,
            pre + "m = b2*m + (1 - b2)*g\nv = b1*v + (1 - b1)*g^2\np = p - lr*(m/(1 - b2^t))/(sqrt(v/(1 - b1^t)) + eps)",
        ),
        _shared(ABS_NOT_SQUARE, pre + "m = b1*m + (1 - b1)*g\nv = b2*v + (1 - b2)*abs(g)\np = p - lr*(m/(1 - b1^t))/(sqrt(v/(1 - b2^t)) + eps)"),
        _shared(UPHILL, pre + _ADAM_MOMENTS + "\np = p + lr*(m/(1 - b1^t))/(sqrt(v/(1 - b2^t)) + eps)"),
    )


_ADAM_INSTANCES_NO_WD = (
    Instance("standard normal gradients", dict(ADAM_HP)),
    Instance("tiny gradients (~1e-6), where eps matters", dict(ADAM_HP), "tiny", seed=1),
    Instance("large eps, other betas", {**ADAM_HP, "b1": 0.8, "b2": 0.99, "eps": 0.1}, "mixed", shape=(2, 3), seed=2),
    Instance("zero gradients first", {**ADAM_HP, "lr": 0.001}, "zeros-first", seed=3),
)

_ADAM = Drill(
    name="adam",
    title="Adam with L2 weight decay (torch.optim.Adam)",
    summary="Adam as torch.optim.Adam(weight_decay=λ): moments, bias correction, L2 in the gradient.",
    tier=2,
    kind="optimizer",
    reference="adam",
    task=(
        "Write one step of Adam as torch.optim.Adam(weight_decay=λ) does it: weight decay is L2 (λ·θ added to the "
        "gradient), both moments are bias-corrected, ε is added after the square root."
    ),
    target="p",
    inputs=(P, G, LR, B1, B2, EPS, WD, T),
    reference_rule="g = g + wd*p\n" + _ADAM_CORE,
    hints=(
        "torch's Adam folds weight decay into the gradient first: g ← g + λ·θ.",
        "Two EMAs: m of g with β₁, v of g² with β₂; both start at 0.",
        "Correct both: m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ); then θ ← θ − η·m̂/(√v̂ + ε).",
    ),
    instances=(
        Instance("standard normal gradients, weight decay", {**ADAM_HP, "wd": 0.1}),
        Instance("tiny gradients (~1e-6), where eps matters", dict(ADAM_HP), "tiny", seed=1),
        Instance("large eps, other betas, weight decay", {**ADAM_HP, "b1": 0.8, "b2": 0.99, "eps": 0.1, "wd": 0.05}, "mixed", shape=(2, 3), seed=2),
        Instance("zero gradients first, weight decay", {**ADAM_HP, "lr": 0.001, "wd": 0.01}, "zeros-first", seed=3),
    ),
    mutants=(
        _m(
            "decoupled-instead-of-l2",
            "Decoupled (AdamW) decay in an Adam drill",
            "p = p - lr*wd*p\n" + _ADAM_CORE,
            """torch.optim.Adam's weight_decay is an L2 penalty added to the gradient (and so rescaled by the
            adaptive denominator); decaying θ directly is AdamW. They are different optimizers: that difference
            is the whole AdamW paper, and a favourite follow-up question.""",
        ),
        _shared(NO_WD, _ADAM_CORE),
        *_adam_mutants("g = g + wd*p"),
    ),
    variants=(Variant(EPS_HAT.id, EPS_HAT.title, "g = g + wd*p\n" + EPS_HAT.rule, EPS_HAT.note),),
    roles=_ADAM_ROLES,
)

_ADAM_BIAS = Drill(
    name="adam-bias",
    title="Adam with bias correction (the classic derivation)",
    summary="Adam without weight decay, the classic whiteboard derivation: moments and bias correction.",
    tier=2,
    kind="optimizer",
    reference="adam",
    task=(
        "Write one step of Adam (Kingma & Ba), as torch.optim.Adam does it with no weight decay: two moment "
        "estimates, both bias-corrected, ε added after the square root. t is the step number, starting at 1."
    ),
    target="p",
    inputs=(P, G, LR, B1, B2, EPS, T),
    reference_rule=_ADAM_CORE,
    hints=(
        "m tracks the mean of g (β₁), v the mean of g² (β₂); both start at 0.",
        "Starting at 0 biases them toward 0 by a factor (1−βᵗ): divide it out.",
        "θ ← θ − η·m̂/(√v̂ + ε), with m̂ = m/(1−β₁ᵗ) and v̂ = v/(1−β₂ᵗ).",
    ),
    instances=_ADAM_INSTANCES_NO_WD,
    mutants=(
        *_adam_mutants(),
        _m(
            "only-m-corrected",
            "Only the first moment bias-corrected",
            _ADAM_MOMENTS + "\np = p - lr*(m/(1 - b1^t))/(sqrt(v) + eps)",
            """Both moments start at zero and both are biased: v even more (1−β₂ᵗ ≈ 0.001 at t=1 for β₂=0.999).
            Correcting only m makes the first steps ~30× too large — the instability bias correction exists to
            prevent.""",
        ),
        _m(
            "only-v-corrected",
            "Only the second moment bias-corrected",
            _ADAM_MOMENTS + "\np = p - lr*m/(sqrt(v/(1 - b2^t)) + eps)",
            """m is biased toward zero too (by 1−β₁ᵗ = 0.1 at t=1 for β₁=0.9): leaving it uncorrected makes the early
            steps ~10× too small. Both corrections are needed for the ratio to be unbiased.""",
        ),
        _m(
            "bias-correction-t-plus-1",
            "Bias correction with t+1",
            _ADAM_MOMENTS + "\np = p - lr*(m/(1 - b1^(t + 1)))/(sqrt(v/(1 - b2^(t + 1))) + eps)",
            """After t updates the weight of the initial zero is βᵗ, so the correction is 1−βᵗ with t counting
            from 1. Using t+1 under-corrects every step (most visibly the first ones).""",
        ),
        _m(
            "bias-correction-zero-based",
            "Bias correction with a 0-based t",
            _ADAM_MOMENTS + "\np = p - lr*(m/(1 - b1^(t - 1)))/(sqrt(v/(1 - b2^(t - 1))) + eps)",
            """With t counted from 0, the first correction is 1−β⁰ = 0: a division by zero and NaN parameters at
            the very first step. Adam's t is the number of updates so far, including this one (1-based).""",
        ),
        _m(
            "bias-correction-power-misplaced",
            "(1−β)ᵗ instead of 1−βᵗ",
            _ADAM_MOMENTS + "\np = p - lr*(m/(1 - b1)^t)/(sqrt(v/(1 - b2)^t) + eps)",
            """The bias factor comes from the weight βᵗ left on the zero initial value: E[m_t] = (1−β₁ᵗ)·E[g].
            (1−β)ᵗ shrinks to 0 geometrically, so dividing by it blows the step up exponentially.""",
        ),
        _m(
            "bc2-outside-sqrt",
            "Second-moment correction applied outside the root without its own √",
            _ADAM_MOMENTS + "\np = p - lr*(m/(1 - b1^t))/(sqrt(v)/(1 - b2^t) + eps)",
            """√v̂ = √v/√(1−β₂ᵗ): moving the correction out of the root needs its square root. Dividing by
            (1−β₂ᵗ) itself makes the early denominators ~30× too large at β₂=0.999 and t=1.""",
        ),
    ),
    variants=(EPS_HAT,),
    roles=_ADAM_ROLES,
)

_ADAMW = Drill(
    name="adamw",
    title="AdamW: decoupled weight decay (torch.optim.AdamW)",
    summary="AdamW as torch.optim.AdamW: decay θ directly (lr·λ·θ), outside the adaptive step.",
    tier=2,
    kind="optimizer",
    reference="adamw",
    task=(
        "Write one step of AdamW as torch.optim.AdamW does it: weight decay is applied to θ directly (decoupled, "
        "scaled by the learning rate), then the bias-corrected Adam step."
    ),
    target="p",
    inputs=(P, G, LR, B1, B2, EPS, WD, T),
    reference_rule="p = p - lr*wd*p\n" + _ADAM_CORE,
    hints=(
        "The decay never touches g or the moments: θ ← θ − η·λ·θ, using θ from before the step.",
        "Then an ordinary bias-corrected Adam step.",
    ),
    instances=(
        Instance("standard normal gradients, weight decay", {**ADAM_HP, "lr": 0.05, "wd": 0.1}),
        Instance("tiny gradients (~1e-6), where eps matters", {**ADAM_HP, "wd": 0.01}, "tiny", seed=1),
        Instance("large eps, other betas", {**ADAM_HP, "b1": 0.8, "b2": 0.99, "eps": 0.1, "wd": 0.2}, "mixed", shape=(2, 3), seed=2),
    ),
    mutants=(
        _shared(L2_NOT_DECOUPLED, "g = g + wd*p\n" + _ADAM_CORE),
        _shared(DECAY_AFTER_STEP, _ADAM_CORE + "\np = p - lr*wd*p"),
        _shared(DECAY_NOT_LR, "p = p - wd*p\n" + _ADAM_CORE),
        _shared(NO_WD, _ADAM_CORE),
        _shared(NO_BIAS, "p = p - lr*wd*p\n" + _ADAM_MOMENTS + "\np = p - lr*m/(sqrt(v) + eps)"),
        _shared(EPS_INSIDE, "p = p - lr*wd*p\n" + _ADAM_MOMENTS + "\np = p - lr*(m/(1 - b1^t))/sqrt(v/(1 - b2^t) + eps)"),
    ),
    variants=(Variant(EPS_HAT.id, EPS_HAT.title, "p = p - lr*wd*p\n" + EPS_HAT.rule, EPS_HAT.note),),
    roles=_ADAM_ROLES,
)

_AMSGRAD = Drill(
    name="amsgrad",
    title="AMSGrad (torch.optim.Adam(amsgrad=True))",
    summary="AMSGrad: Adam whose denominator never shrinks (running max of v), torch's variant.",
    tier=3,
    kind="optimizer",
    reference="amsgrad",
    task=(
        "Write one step of AMSGrad as torch.optim.Adam(amsgrad=True) does it (no weight decay): keep the running "
        "maximum of the raw second moment v, and bias-correct it with the current step's factor."
    ),
    target="p",
    inputs=(P, G, LR, B1, B2, EPS, T),
    reference_rule="""
m = b1*m + (1 - b1)*g
v = b2*v + (1 - b2)*g^2
v_max = maximum(v_max, v)
m_hat = m/(1 - b1^t)
p = p - lr*m_hat/(sqrt(v_max/(1 - b2^t)) + eps)
""".strip(),
    hints=(
        "Keep v exactly as in Adam, and separately v_max = max(v_max, v).",
        "torch takes the max of the *raw* v, then divides by the current √(1−β₂ᵗ).",
    ),
    instances=(
        Instance("shrinking gradients (the max matters)", {**ADAM_HP, "b2": 0.9}, "decaying", steps=10),
        Instance("standard normal gradients", dict(ADAM_HP), seed=1),
        Instance("tiny gradients, other betas", {**ADAM_HP, "b1": 0.8, "b2": 0.95}, "tiny", shape=(2, 3), seed=2),
    ),
    mutants=(
        _m(
            "max-of-corrected-v",
            "Max of the bias-corrected v̂ instead of the raw v",
            _ADAM_MOMENTS + "\nv_max = maximum(v_max, v/(1 - b2^t))\np = p - lr*(m/(1 - b1^t))/(sqrt(v_max) + eps)",
            """A common variant, but not torch's: v̂ is largest in the first steps (the correction divides by a
            tiny 1−β₂ᵗ), so a max over v̂ can lock in an early estimate. torch keeps the max of the raw v and
            corrects it with the current factor.""",
        ),
        _m(
            "no-max",
            "No running maximum (plain Adam)",
            _ADAM_CORE,
            """Without the max this is Adam. AMSGrad's fix (Reddi et al. 2018) is that the effective step size
            lr/√v̂ must never increase, which the running max guarantees.""",
        ),
        _m(
            "max-of-squared-gradient",
            "Max over g² instead of over v",
            "m = b1*m + (1 - b1)*g\nv_max = maximum(v_max, g^2)\np = p - lr*(m/(1 - b1^t))/(sqrt(v_max/(1 - b2^t)) + eps)",
            """The max is taken over the running average v, not over raw squared gradients: a single spike in g²
            would otherwise freeze the step size forever.""",
        ),
        _m(
            "max-fed-back-into-ema",
            "The max fed back into the moving average",
            "m = b1*m + (1 - b1)*g\nv = maximum(v, b2*v + (1 - b2)*g^2)\np = p - lr*(m/(1 - b1^t))/(sqrt(v/(1 - b2^t)) + eps)",
            """torch keeps two buffers: the ordinary EMA v and its running max. Replacing v by the max changes
            the EMA itself (it can never decay), which is a different, more conservative algorithm.""",
        ),
    ),
    variants=(
        Variant(
            EPS_HAT.id,
            EPS_HAT.title,
            _ADAM_MOMENTS + "\nv_max = maximum(v_max, v)\np = p - lr*sqrt(1 - b2^t)/(1 - b1^t)*m/(sqrt(v_max) + eps)",
            EPS_HAT.note,
        ),
    ),
    roles=(*_ADAM_ROLES, ("v_max", "the running maximum of v")),
)

_LION = Drill(
    name="lion",
    title="Lion (Chen et al. 2023)",
    summary="Lion: sign of an interpolated momentum, two betas, decoupled weight decay.",
    tier=3,
    kind="optimizer",
    reference="lion",
    task=(
        "Write one step of Lion (Chen et al. 2023, \"Symbolic Discovery of Optimization Algorithms\"): the update is "
        "the sign of an interpolation of momentum and gradient (β₁), the momentum is tracked with β₂, and "
        "weight decay is decoupled (scaled by lr)."
    ),
    target="p",
    inputs=(P, G, LR, B1, B2, WD),
    reference_rule="""
c = b1*m + (1 - b1)*g
p = p - lr*(sign(c) + wd*p)
m = b2*m + (1 - b2)*g
""".strip(),
    hints=(
        "The update direction is sign(β₁·m + (1−β₁)·g), computed with the *old* m.",
        "Only after the step is m updated, with β₂: m = β₂·m + (1−β₂)·g.",
        "Decay like AdamW: θ ← θ − η·(sign(c) + λ·θ).",
    ),
    instances=(
        Instance("standard normal gradients, weight decay", {"lr": 0.01, "b1": 0.9, "b2": 0.99, "wd": 0.1}),
        Instance("mixed-sign gradients, far-apart betas", {"lr": 0.05, "b1": 0.5, "b2": 0.99, "wd": 0.05}, "mixed", shape=(2, 3), seed=1, steps=10),
        Instance("zero gradients first", {"lr": 0.01, "b1": 0.9, "b2": 0.99, "wd": 0.0}, "zeros-first", seed=2),
        # β₂ < β₁: interpolating with the already-updated momentum gives a visibly different sign
        Instance("short momentum memory (β₂ < β₁)", {"lr": 0.01, "b1": 0.9, "b2": 0.5, "wd": 0.05}, seed=3, steps=10),
    ),
    mutants=(
        _m(
            "lion-sign-of-updated-moment",
            "Sign of the updated momentum",
            "m = b2*m + (1 - b2)*g\np = p - lr*(sign(m) + wd*p)",
            """Lion's update uses a *different* interpolation (β₁, typically 0.9) from the momentum it tracks (β₂,
            typically 0.99). Taking the sign of the β₂-updated momentum gives the current gradient far less
            weight; the paper found the two-beta form is what makes Lion work.""",
        ),
        _m(
            BETAS_SWAPPED[0],
            BETAS_SWAPPED[1],
            "c = b2*m + (1 - b2)*g\np = p - lr*(sign(c) + wd*p)\nm = b1*m + (1 - b1)*g",
            """In Lion β₁ (0.9) mixes the current gradient into the *update* and β₂ (0.99) is the long memory of
            the momentum. Swapped, the update barely sees the current gradient and the momentum forgets quickly —
            the paper's ablation shows the two-beta split is what makes Lion beat plain signed momentum.""",
        ),
        _m(
            "lion-no-sign",
            "No sign (momentum SGD)",
            "c = b1*m + (1 - b1)*g\np = p - lr*(c + wd*p)\nm = b2*m + (1 - b2)*g",
            """The sign is the point of Lion: every coordinate moves by exactly ±lr, which is why it needs a
            3–10× smaller lr (and a larger λ) than AdamW.""",
        ),
        _m(
            "decay-inside-sign",
            "Weight decay inside the sign",
            "c = b1*m + (1 - b1)*g\np = p - lr*sign(c + wd*p)\nm = b2*m + (1 - b2)*g",
            """Decay is decoupled and added after the sign: θ ← θ − η·(sign(c) + λ·θ). Inside the sign it only
            flips directions and its strength is lost.""",
        ),
        _m(
            "lion-signsgd",
            "signSGD: no momentum",
            "p = p - lr*(sign(g) + wd*p)",
            """Taking the sign of the raw gradient is signSGD. Lion keeps a momentum m (tracked with β₂) and takes
            the sign of an interpolation β₁·m + (1−β₁)·g, which averages out the gradient noise that makes
            signSGD erratic with small batches.""",
        ),
        _shared(DECAY_NOT_LR, "c = b1*m + (1 - b1)*g\np = p - lr*sign(c) - wd*p\nm = b2*m + (1 - b2)*g"),
        _shared(UPHILL, "c = b1*m + (1 - b1)*g\np = p + lr*(sign(c) + wd*p)\nm = b2*m + (1 - b2)*g"),
    ),
    roles=(("c", "the interpolation β₁·m + (1 − β₁)·g whose sign is the update"), ("m", "the momentum (tracked with β₂)"), _THETA),
)

_CLIP = Drill(
    name="clip-norm",
    title="Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_)",
    summary="Clip the gradient by its global L2 norm, as clip_grad_norm_ does.",
    tier=1,
    kind="clip",
    reference="clip-norm",
    task=(
        "Write the clipped gradient: if the global L2 norm of g exceeds max_norm, rescale g so its norm is "
        "max_norm; otherwise leave it alone. norm(g) (or ‖g‖) is the L2 norm of the whole gradient. "
        "A small guard in the denominator (torch adds 1e-6) is fine either way."
    ),
    target="g",
    inputs=(G_CLIP, MAX_NORM),
    reference_rule="g = g*min(1, max_norm/(norm(g) + 1e-6))",
    hints=(
        "Compute one scalar for the whole gradient: n = ‖g‖.",
        "Scale by min(1, max_norm/n) — the direction is kept, only the length changes.",
    ),
    instances=(
        Instance("large gradients (norm well above max_norm)", {"max_norm": 1.0}, "large", steps=4),
        Instance("small gradients (norm below max_norm), one all-zero", {"max_norm": 5.0}, "small", steps=4, seed=1),
        Instance("mixed-size gradients", {"max_norm": 2.0}, "mixed", steps=6, shape=(2, 3), seed=2),
    ),
    mutants=(
        _m(
            "clip-by-value",
            "Clipping by value instead of by norm",
            "g = clip(g, -max_norm, max_norm)",
            """Clipping each coordinate to [−c, c] changes the gradient's *direction* (large coordinates are cut,
            small ones kept). Norm clipping rescales the whole vector and keeps the direction — that is why it is
            the default for exploding gradients in RNNs and transformers.""",
        ),
        _m(
            "always-rescale",
            "Always rescaling to max_norm",
            "g = g*max_norm/norm(g)",
            """Clipping only acts when the norm exceeds the threshold: min(1, c/‖g‖). Always rescaling normalises
            every gradient to length c — blowing up small gradients (and dividing 0 by 0 for a zero gradient).""",
        ),
        _m(
            "squared-norm",
            "Dividing by the squared norm",
            "g = g*min(1, max_norm/sum(g^2))",
            """The scale factor is c/‖g‖ with the L2 norm (the square root of the sum of squares); using ‖g‖²
            clips to the wrong length, c/‖g‖ instead of c.""",
        ),
        _m(
            "inverted-ratio",
            "Inverted ratio ‖g‖/c",
            "g = g*min(1, norm(g)/max_norm)",
            """The factor must shrink the gradient when it is too long: c/‖g‖ < 1 exactly when ‖g‖ > c. ‖g‖/c
            shrinks short gradients and leaves long ones alone — the opposite of clipping.""",
        ),
    ),
    rtol=1e-4,
    atol=1e-9,
    roles=(("g", "the clipped gradient"),),
)

_WARMUP_COSINE = Drill(
    name="warmup-cosine",
    title="Linear warmup then cosine decay to a floor",
    summary="The learning rate at step t: linear warmup to the peak, then cosine decay to a floor.",
    tier=2,
    kind="schedule",
    reference="warmup-cosine",
    task=(
        "Write the learning rate at step t (t = 1, 2, …, T): linear warmup from η_max/W at t=1 to η_max at t=W, "
        "then a half-cosine from η_max (at t=W) down to the floor η_min (at t=T). Use where(cond, a, b) or "
        "`a if cond else b` for the two phases."
    ),
    target="lr",
    inputs=(T, WARMUP, TOTAL, LR_MAX, LR_MIN),
    outputs=(LR_OUT,),
    reference_rule="lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)",
    hints=(
        "Warmup: η = η_max·t/W for t ≤ W.",
        "Decay: progress goes from 0 at t=W to 1 at t=T: (t−W)/(T−W).",
        "η = η_min + (η_max − η_min)·(1 + cos(π·progress))/2.",
    ),
    instances=(
        Instance("W=5, T=30", {"warmup": 5, "total": 30, "lr_max": 1e-3, "lr_min": 1e-5}, "none", steps=30),
        Instance("W=3, T=12, high floor", {"warmup": 3, "total": 12, "lr_max": 0.5, "lr_min": 0.05}, "none", steps=12),
        Instance("W=10, T=25", {"warmup": 10, "total": 25, "lr_max": 2.0, "lr_min": 0.5}, "none", steps=25),
    ),
    mutants=(
        _m(
            "cosine-no-warmup",
            "Cosine without the warmup",
            "lr = lr_min + (lr_max - lr_min)*(1 + cos(pi*t/total))/2",
            """Starting at the peak learning rate hits an untrained network (and Adam's noisy early second-moment
            estimate) with the largest steps; warmup exists to avoid the early divergence this causes.""",
        ),
        _m(
            "cosine-no-floor",
            "Cosine decaying to 0 (the floor missing)",
            "lr = where(t <= warmup, lr_max*t/warmup, lr_max*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)",
            """The schedule should end at η_min, not 0: the cosine interpolates between η_max and η_min,
            η_min + (η_max − η_min)·(1 + cos π·progress)/2.""",
        ),
        _m(
            "cosine-progress-ignores-warmup",
            "Cosine progress measured from step 0",
            "lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*t/total))/2)",
            """The decay phase lasts T−W steps and starts at W: progress = (t−W)/(T−W). Measuring t/T makes the
            rate jump down at the end of warmup instead of continuing smoothly from the peak.""",
        ),
        _m(
            "cosine-missing-half",
            "Missing the ½ in (1 + cos)/2",
            "lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup))))",
            """1 + cos(·) runs from 2 to 0; halving it maps it to [0, 1]. Without the ½ the rate jumps to about
            2·η_max right after warmup.""",
        ),
        _m(
            "floor-added-on-top",
            "Floor added on top of the full amplitude",
            "lr = where(t <= warmup, lr_max*t/warmup, lr_min + lr_max*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)",
            """The amplitude of the cosine is η_max − η_min; adding η_min to the full η_max swing peaks at
            η_max + η_min (a jump after warmup) — interpolate between the two ends.""",
        ),
    ),
    atol=1e-15,
    roles=(("lr", "the learning rate at step t"),),
)

DRILLS: dict[str, Drill] = {
    d.name: d
    for d in (
        _SGD,
        _MOMENTUM,
        _NESTEROV,
        _RMSPROP,
        _ADAGRAD,
        _ADAM,
        _ADAM_BIAS,
        _ADAMW,
        _AMSGRAD,
        _LION,
        _CLIP,
        _WARMUP_COSINE,
    )
}


def get_drill(name: str) -> Drill | None:
    return DRILLS.get(name.strip().lower())
