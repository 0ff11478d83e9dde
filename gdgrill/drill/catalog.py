"""The drills: what the user is asked to write, the names they may use, the instances the
judge runs, the reference rule, hints, and each drill's catalog of known mistakes.

The drills themselves are data: one YAML file each under ``drills/``, read and checked by
:mod:`gdgrill.drill.files` and loaded by :mod:`gdgrill.drill.loading`. This module holds
their shape — the dataclasses the judge, the diagnosis and the commands use — and
:data:`DRILLS`, the shipped drills, read on first use. No numpy, no torch, no yaml here, so
listing drills stays on the light start-up path. Every mutant and accepted variant is written
in the answer language itself: the tests run each one through the real parser, interpreter
and judge and check it is diagnosed as itself.

Instances name a gradient pattern (see :data:`GRADIENT_PATTERNS`); :mod:`gdgrill.drill.judge`
turns them into arrays with a fixed seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

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


# What a drill's `kind` tells the judge: what it tracks and compares (see judge.reference_trajectory).
KINDS = {
    "optimizer": "tracks the parameters θ step after step",
    "clip": "the clipped gradient, step by step",
    "schedule": "the learning rate at each step",
}

# The headings `gdgrill drill list` groups the drills under, in this order.
GROUPS = {
    "optimizers": "Optimizers",
    "mechanics": "Training mechanics",
    "schedules": "Learning-rate schedules",
}


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
    group: str = "optimizers"  # a key of GROUPS: the heading `gdgrill drill list` shows it under

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


class _ShippedDrills(Mapping[str, Drill]):
    """The shipped drills by name, in list order, read from their files on first use (not
    on import: a command that loads them through its cache first, or adds the user's own,
    is not made to read them twice)."""

    def _drills(self) -> Mapping[str, Drill]:
        from gdgrill.drill.loading import shipped_drills

        return shipped_drills()

    def __getitem__(self, name: str) -> Drill:
        return self._drills()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._drills())

    def __len__(self) -> int:
        return len(self._drills())

    def __repr__(self) -> str:
        return f"<the shipped drills: {', '.join(self)}>"


# The user's own drills are added by gdgrill.drill.files.load_drills, which the commands call.
DRILLS: Mapping[str, Drill] = _ShippedDrills()


def get_drill(name: str) -> Drill | None:
    """The shipped drill called ``name`` (any case, surrounding spaces ignored)."""
    return DRILLS.get(name.strip().lower())
