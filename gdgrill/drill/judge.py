"""Judge a typed update rule: run it beside the reference on instances chosen to separate
right from wrong, say where it first differs, and name the known mistake it matches.

``judge(drill, text)`` never raises for anything the user typed: a rule that cannot run
comes back as a ``refused`` :class:`Verdict`. The verdict is decided in float64 on numpy
with the drill's tolerance; a fail carries a :class:`gdgrill.drill.diagnosis.Diagnosis`
(where it goes wrong, and a repair when one edit passes). The optional cross-check after a
pass (:mod:`gdgrill.drill.crosscheck`) runs ``torch.optim`` itself against the rule in
torch, on CPU or CUDA, and only reports. numpy is imported here; torch only when the
cross-check is asked for.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from gdgrill.drill.catalog import Drill, Instance, Mutant, Variant
from gdgrill.drill.language import (
    Backend,
    RefusedAnswer,
    Bin,
    Call,
    Num,
    Rule,
    Var,
    compile_rule,
    iter_vars,
    numpy_backend,
    parse_rule,
)
from gdgrill.drill.crosscheck import TorchCheck
from gdgrill.drill.references import get_reference
from gdgrill.drill.references_extra import found_inf, get_clip
from gdgrill.drill.schedules import get_schedule
from gdgrill.serialize import json_number as _json_number

if TYPE_CHECKING:
    from gdgrill.drill.diagnosis import Diagnosis



@dataclass(frozen=True)
class Problem:
    """One instance as arrays: initial parameters and the gradient of every step."""

    instance: Instance
    p0: np.ndarray | None
    grads: np.ndarray | None  # (steps, *shape)

    @property
    def steps(self) -> int:
        return self.instance.steps


@dataclass(frozen=True)
class Difference:
    instance: str
    step: int  # 1-based
    quantity: str  # e.g. "θ[2]"
    index: tuple[int, ...]
    yours: float
    reference: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "step": self.step,
            "quantity": self.quantity,
            "index": list(self.index),
            "yours": _json_number(self.yours),
            "reference": _json_number(self.reference),
        }

    def describe(self) -> str:
        return (
            f"{self.quantity} first differs after step {self.step} on '{self.instance}': "
            f"yours {_fmt(self.yours)}, reference {_fmt(self.reference)}"
        )


@dataclass
class Verdict:
    drill: str
    verdict: str  # "pass" | "fail" | "refused"
    message: str
    misconception: Mutant | None = None
    variant: Variant | None = None
    first_difference: Difference | None = None
    refusal: RefusedAnswer | None = None
    torch: TorchCheck | None = None
    checked: dict[str, Any] = field(default_factory=dict)
    diagnosis: "Diagnosis | None" = None  # every fail has one; passes and refusals never do

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "drill": self.drill,
            "verdict": self.verdict,
            "misconception": self.misconception.id if self.misconception else None,
            "misconception_title": self.misconception.title if self.misconception else None,
            "explanation": self.misconception.explanation if self.misconception else None,
            "variant": self.variant.id if self.variant else None,
            "first_difference": self.first_difference.to_dict() if self.first_difference else None,
            "refusal": (
                {"line": self.refusal.line, "col": self.refusal.col, "reason": self.refusal.reason}
                if self.refusal
                else None
            ),
            "message": self.message,
            "diagnosis": self.diagnosis.text if self.diagnosis else None,
            **(self.diagnosis.to_dict() if self.diagnosis else {"repair": None, "first_wrong_statement": None, "nonfinite": None}),
            "torch": self.torch.to_dict() if self.torch else None,
            "checked": self.checked,
        }



def _relative_gap(d: "Difference") -> float:
    gap = abs(d.yours - d.reference) / max(abs(d.reference), 1e-300)
    return float("inf") if np.isnan(gap) else gap


def _fmt(x: float) -> str:
    return f"{x:.10g}"


# -- Problems ------------------------------------------------------------------------------


def make_problem(drill: Drill, instance: Instance) -> Problem:
    """The arrays for one instance, the same every run (seeded by drill name and instance)."""
    rng = np.random.default_rng(zlib.crc32(drill.name.encode()) + 7919 * instance.seed)
    shape, steps = instance.shape, instance.steps
    pattern = instance.grads
    if pattern == "none":
        return Problem(instance, None, None)
    g = rng.normal(size=(steps, *shape))
    if pattern == "tiny":
        g *= 1e-6
    elif pattern == "mixed":
        sign = rng.choice([-1.0, 1.0], size=shape)
        magnitude = np.abs(g) * 10 ** rng.uniform(-1, 1, size=(steps, *shape))
        flips = (-1.0) ** np.arange(steps).reshape(steps, *([1] * len(shape)))
        g = sign * flips * magnitude
        g[rng.random(g.shape) < 0.15] = 0.0
    elif pattern == "zeros-first":
        g[:2] = 0.0
    elif pattern == "decaying":
        scale = 10 ** np.linspace(1, -2, steps).reshape(steps, *([1] * len(shape)))
        g *= scale
    elif pattern == "large":
        g *= 10.0
    elif pattern == "small":
        g *= 0.3
        g[steps // 2] = 0.0
    elif pattern == "overflow":
        flat = g.reshape(steps, -1)
        for step, value in OVERFLOWS.items():
            if step <= steps:
                flat[step - 1, (3 * step) % flat.shape[1]] = value
    elif pattern not in ("normal", "zero-init"):
        raise ValueError(f"unknown gradient pattern {pattern!r}")
    p0 = rng.normal(size=shape) if drill.kind == "optimizer" else None
    if pattern == "zero-init" and p0 is not None:
        p0 = np.zeros(shape)
    return Problem(instance, p0, g)


# the steps (1-based) where the "overflow" pattern puts an inf or a NaN in one element
OVERFLOWS = {3: np.inf, 4: np.nan, 9: -np.inf, 16: np.inf}

# inputs the judge derives from each step's gradient, given to a drill that lists them
STEP_INPUTS: dict[str, Callable[[Any], Any]] = {
    "found_inf": lambda g: 1.0 if found_inf(g) else 0.0,  # GradScaler's unscale_ found an inf/NaN
}


def step_inputs(drill: Drill, grads: Any) -> list[dict[str, Any]]:
    """For each step, the given names besides θ, the hyper-parameters and t: g itself and
    whatever :data:`STEP_INPUTS` derives from it for this drill."""
    derived = [(name, STEP_INPUTS[name]) for name in drill.given if name in STEP_INPUTS]
    return [{"g": g, **{name: f(g) for name, f in derived}} for g in grads]


# -- Running the reference and a rule ---------------------------------------------------------


def reference_trajectory(drill: Drill, problem: Problem, xp: Any = np, convert: Callable[[Any], Any] | None = None) -> Any:
    """The reference's output after each step, stacked: (steps, *shape) (or (steps,)). For an
    optimizer that is θ, or the buffer of the reference's state the drill's target names."""
    hp = dict(problem.instance.hp)
    conv = convert or (lambda a: a)
    if drill.kind == "schedule":
        schedule = get_schedule(drill.reference)
        return np.array([schedule.lr(t, hp) for t in range(1, problem.steps + 1)])
    assert problem.grads is not None
    outputs = []
    if drill.kind == "clip":
        clip = get_clip(drill.reference)
        for g in problem.grads:
            outputs.append(clip(conv(g), hp, xp))
    else:
        ref = get_reference(drill.reference)
        p = conv(problem.p0)
        state = ref.init(p, xp)
        for g in problem.grads:
            p, state = ref.step(p, conv(g), state, hp, xp)
            # the parameters, or the state the drill checks instead (ASGD's average ax)
            outputs.append(p if drill.target == "p" else state[drill.target])
    return xp.stack(outputs)


def rule_trajectory(
    drill: Drill,
    rule: Rule,
    problem: Problem,
    backend: Backend | None = None,
    convert: Callable[[Any], Any] | None = None,
    scalar: Callable[[Any], Any] | None = None,
) -> np.ndarray:
    """Run ``rule`` over the instance; the drill's target after each step, as float64 numpy.
    ``convert`` makes the arrays (θ, g), ``scalar`` the hyper-parameters and t (torch.optim
    keeps those Python floats). Raises RefusedAnswer when a line cannot be evaluated."""
    if backend is None and convert is None and scalar is None and drill.kind == "schedule" and _elementwise(rule):
        return _schedule_at_once(drill, rule, problem)
    conv = convert or np.float64
    number = scalar or conv
    compiled = compile_rule(rule, backend) if backend is not None else _numpy_compiled(rule)[0]
    backend = backend or numpy_backend()
    hp = {name: number(value) for name, value in problem.instance.hp.items()}
    env: dict[str, Any] = {}
    shape: tuple[int, ...]
    if drill.kind == "schedule":
        like: Any = conv(0.0)  # the schedule's state, if any, is a tensor on the device
        shape = ()
    else:
        assert problem.grads is not None
        like = conv(problem.grads[0])
        shape = problem.instance.shape
    compiled.init_state(env, like)
    if drill.kind == "optimizer":
        env["p"] = conv(problem.p0)
    grads = None if problem.grads is None else step_inputs(drill, [conv(g) for g in problem.grads])
    last = next((s for s in reversed(rule.statements) if s.target == drill.target), rule.statements[-1])
    outputs = []
    with np.errstate(all="ignore"):
        for k in range(problem.steps):
            env.update(hp)
            env["t"] = number(float(k + 1))
            if grads is not None:
                env.update(grads[k])
            compiled.step(env)
            outputs.append(_as_numpy(env[drill.target], shape, (last.line, last.col)))
    return np.stack(outputs)


# Functions that act on each element alone: a rule made of them, with no state, gives at
# t = [1, 2, …, T] at once what it gives at each t in turn.
_ELEMENTWISE = frozenset(
    ("sqrt", "abs", "sign", "exp", "log", "cos", "sin", "tanh", "maximum", "minimum", "clip", "where", "pow", "floor")
)


# A rule is run once per instance, and the diagnosis reruns the same few: each rule's
# compiled form (numpy) and whether it is elementwise are kept, a bounded number of rules
# (the rule itself is kept too, so its id stays its own).
_COMPILED: dict[int, tuple[Rule, Any, bool]] = {}
_COMPILED_MAX = 512


def _numpy_compiled(rule: Rule) -> tuple[Any, bool]:
    """(the rule compiled for numpy, whether it is elementwise), from the cache."""
    hit = _COMPILED.get(id(rule))
    if hit is not None and hit[0] is rule:
        return hit[1], hit[2]
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    entry = (rule, compile_rule(rule), _is_elementwise(rule))
    _COMPILED[id(rule)] = entry
    return entry[1], entry[2]


def _elementwise(rule: Rule) -> bool:
    """No state and only elementwise functions (no sum, norm, @, shapes): see _ELEMENTWISE."""
    return _numpy_compiled(rule)[1]


def _is_elementwise(rule: Rule) -> bool:
    from gdgrill.drill.diagnosis import nodes  # the expression walker the diagnosis edits with

    if rule.state:
        return False
    return not any(
        (isinstance(e, Call) and e.func not in _ELEMENTWISE) or (isinstance(e, Bin) and e.op == "@")
        for s in rule.statements
        for _, e in nodes(s.value)
    )


def _schedule_at_once(drill: Drill, rule: Rule, problem: Problem) -> np.ndarray:
    """A stateless schedule evaluated at every step in one pass (t an array of the steps):
    the numbers of stepping through t = 1, 2, … (to the last bit but where numpy's array
    and scalar paths round apart), with one interpretation of the rule."""
    compiled = _numpy_compiled(rule)[0]
    env: dict[str, Any] = {name: np.float64(value) for name, value in problem.instance.hp.items()}
    env["t"] = np.arange(1, problem.steps + 1, dtype=np.float64)
    with np.errstate(all="ignore"):
        compiled.step(env)
    value = np.asarray(env[drill.target], dtype=np.float64)
    if value.shape not in ((), (problem.steps,)):
        last = next((s for s in reversed(rule.statements) if s.target == drill.target), rule.statements[-1])
        raise RefusedAnswer(f"the result has shape {value.shape}; expected a number", last.line, last.col)
    return np.broadcast_to(value, (problem.steps,)).copy()


def _as_numpy(value: Any, shape: tuple[int, ...], at: tuple[int, int] = (1, 1)) -> np.ndarray:
    """The value as float64 numpy of ``shape``; a value of another shape (θᵀ) is refused at
    ``at``, the line that last assigns it."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().double().numpy()
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape == shape:
        return arr  # the interpreter never writes into an array it made: no copy needed
    try:
        return np.broadcast_to(arr, shape).copy()
    except ValueError:
        raise RefusedAnswer(f"the result has shape {arr.shape}; expected {shape} (the shape of the parameters)", *at) from None


def _all_close(yours: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    """np.isclose(...).all() for finite values, in a few passes over cache-sized blocks and
    without its temporaries (a NaN or inf gives False here; the caller then asks np.isclose)."""
    if yours.shape != expected.shape:
        return False
    a, b = yours.reshape(-1), expected.reshape(-1)
    block = 1 << 15
    gap, bound = np.empty(min(block, a.size)), np.empty(min(block, a.size))
    for start in range(0, a.size, block):
        x, y = a[start: start + block], b[start: start + block]
        g, t = gap[: x.size], bound[: x.size]
        np.subtract(x, y, out=g)
        np.abs(g, out=g)
        np.abs(y, out=t)
        t *= rtol
        t += atol
        if not (g <= t).all():
            return False
    return True


def first_difference(drill: Drill, problem: Problem, yours: np.ndarray, expected: np.ndarray) -> Difference | None:
    with np.errstate(all="ignore"):
        if _all_close(yours, expected, drill.rtol, drill.atol):
            return None
    close = np.isclose(yours, expected, rtol=drill.rtol, atol=drill.atol, equal_nan=True)
    if close.all():
        return None
    bad = np.argwhere(~close)[0]
    step, index = int(bad[0]), tuple(int(i) for i in bad[1:])
    symbol = drill.symbol(drill.target)
    quantity = symbol + (f"[{', '.join(map(str, index))}]" if index else "")
    return Difference(problem.instance.label, step + 1, quantity, index, float(yours[tuple(bad)]), float(expected[tuple(bad)]))


# -- Cached expectations per drill ---------------------------------------------------------------

_PROBLEMS: dict[str, list[Problem]] = {}
_REFERENCE: dict[str, list[np.ndarray]] = {}
_RULE_CACHE: dict[tuple[str, str], list[np.ndarray]] = {}


def problems(drill: Drill) -> list[Problem]:
    if drill.name not in _PROBLEMS:
        _PROBLEMS[drill.name] = [make_problem(drill, inst) for inst in drill.instances]
    return _PROBLEMS[drill.name]


def reference_trajectories(drill: Drill) -> list[np.ndarray]:
    if drill.name not in _REFERENCE:
        with np.errstate(all="ignore"):
            _REFERENCE[drill.name] = [np.asarray(reference_trajectory(drill, pr), dtype=np.float64) for pr in problems(drill)]
    return _REFERENCE[drill.name]


def parse_for(drill: Drill, text: str) -> Rule:
    """Parse ``text`` with the drill's names; refuse a rule that never assigns the target."""
    display = {v.name: (v.symbol if v.symbol == v.name else f"{v.symbol} ({v.name})") for v in (*drill.inputs, *drill.outputs)}
    rule = _outputs_as_state(drill, parse_rule(text, drill.names, display=display, shadowable=drill.shadowable))
    if drill.target not in rule.assigned:
        symbol = drill.symbol(drill.target)
        raise RefusedAnswer(
            f"your rule never assigns {symbol} ({drill.target}); the drill checks {symbol} after each step",
            rule.statements[-1].line,
            1,
        )
    _refuse_setup_lines(drill, rule)
    return rule


def _outputs_as_state(drill: Drill, rule: Rule) -> Rule:
    """An output the rule reads before assigning it (ema = β·ema + …, lr = lr·γ) is state,
    like any name of the rule's own: it starts at 0 and carries over between steps."""
    outputs = {v.name for v in drill.outputs} & rule.assigned
    seen: set[str] = set()
    state = list(rule.state)
    for s in rule.statements:
        state += [v.name for v in iter_vars(s.value) if v.name in outputs - seen and v.name not in state]
        seen.add(s.target)
    return replace(rule, state=tuple(dict.fromkeys(state))) if len(state) > len(rule.state) else rule


def _is_shift_of_t(value: Any) -> bool:
    """t = 5, t = t + 1, t = t - 1 (not t = min(t, total), which a schedule may mean)."""
    if isinstance(value, Num):
        return True
    return (
        isinstance(value, Bin)
        and value.op in ("+", "-")
        and {type(value.left), type(value.right)} == {Var, Num}
        and any(isinstance(x, Var) and x.name == "t" for x in (value.left, value.right))
    )


def _refuse_setup_lines(drill: Drill, rule: Rule) -> None:
    """Lines written as if the rule were a whole program (initialising state, setting a
    hyper-parameter, advancing t) change what the later lines read; say so rather than fail."""
    given = set(drill.given)
    statements = rule.statements
    for i, s in enumerate(statements):
        later = statements[i + 1 :]
        read_later = any(v.name == s.target for x in later for v in iter_vars(x.value))
        if not read_later:
            continue
        symbol = drill.symbol(s.target)
        if s.target == "t" and _is_shift_of_t(s.value):
            raise RefusedAnswer(
                "t is given: the step number, 1 at the first step, 2 at the second, …; the judge advances it, so do not assign it",
                s.line,
                s.col,
            )
        if not isinstance(s.value, Num) or s.target == drill.target:
            continue
        if s.target in given:
            raise RefusedAnswer(
                f"{symbol} is given by the drill (the judge runs several values of it); do not set it to a number",
                s.line,
                s.col,
            )
        if any(x.target == s.target and any(v.name == s.target for v in iter_vars(x.value)) for x in later):
            raise RefusedAnswer(
                f"{s.target} = {s.value.value:g} would reset {s.target} at every step: the rule runs once per step, and a "
                f"name read before it is assigned is state that starts at 0 by itself; remove this line",
                s.line,
                s.col,
            )


def _known_trajectories(drill: Drill, key: str, text: str) -> list[np.ndarray]:
    """Trajectories of a catalog rule (mutant or variant), computed once per process."""
    cache_key = (drill.name, key)
    if cache_key not in _RULE_CACHE:
        rule = parse_for(drill, text)
        _RULE_CACHE[cache_key] = [rule_trajectory(drill, rule, pr) for pr in problems(drill)]
    return _RULE_CACHE[cache_key]


def _same(drill: Drill, a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.allclose(x, y, rtol=drill.rtol, atol=drill.atol, equal_nan=True) for x, y in zip(a, b))


def diagnose(drill: Drill, yours: list[np.ndarray], rule: Rule | None = None) -> Mutant | None:
    """The first catalogued mistake whose trajectories match ``yours`` on every instance.

    NaN matches NaN, so a rule whose values turn NaN must also turn NaN the same way — the
    same operation (a root of a negative number, a division by zero, an overflow) at the
    same step — or it is not that mistake (a NaN from √ of a negative v is not a 0-based t)."""
    blown = not all(np.isfinite(y).all() for y in yours)
    for mutant in drill.mutants:
        theirs = _known_trajectories(drill, "mutant:" + mutant.id, mutant.rule)
        if not _same(drill, yours, theirs):
            continue
        if blown and rule is not None and _nonfinite_origin(drill, rule) != _known_origin(drill, mutant):
            continue
        return mutant
    return None


def _nonfinite_origin(drill: Drill, rule: Rule) -> tuple[str, int, str] | None:
    """(what made the first NaN/inf, the step, the instance), None when all stays finite."""
    from gdgrill.drill.diagnosis import Runner, Writer, make_cases, trace_nonfinite

    found = trace_nonfinite(drill, Runner(drill, make_cases(drill)), rule, Writer(rule.source, {}))
    return None if found is None else (found.kind, found.step, found.instance)


_ORIGINS: dict[tuple[str, str], tuple[str, int, str] | None] = {}


def _known_origin(drill: Drill, mutant: Mutant) -> tuple[str, int, str] | None:
    key = (drill.name, mutant.id)
    if key not in _ORIGINS:
        _ORIGINS[key] = _nonfinite_origin(drill, parse_for(drill, mutant.rule))
    return _ORIGINS[key]


def accepted_variant(drill: Drill, yours: list[np.ndarray]) -> Variant | None:
    for variant in drill.variants:
        if _same(drill, yours, _known_trajectories(drill, "variant:" + variant.id, variant.rule)):
            return variant
    return None


# -- The judge -------------------------------------------------------------------------------------


def judge(drill: Drill, text: str, *, torch_device: str | None = None) -> Verdict:
    """Grade ``text`` for ``drill``. With ``torch_device`` ('cpu' or 'cuda'), a passing rule is
    also run through torch in float32 on that device and compared (informational)."""
    steps = sum(pr.steps for pr in problems(drill))
    checked = {"instances": len(drill.instances), "steps": steps, "dtype": "float64", "rtol": drill.rtol, "atol": drill.atol}
    try:
        rule = parse_for(drill, text)
        yours = [rule_trajectory(drill, rule, pr) for pr in problems(drill)]
    except RefusedAnswer as refusal:
        return Verdict(drill.name, "refused", refusal.message, refusal=refusal, checked=checked)

    expected = reference_trajectories(drill)
    # The earliest step at which any instance differs; among instances differing at that
    # step, the one where the gap is largest (it shows the mistake most plainly).
    found = [d for d in (first_difference(drill, pr, mine, ref) for pr, mine, ref in zip(problems(drill), yours, expected)) if d]
    difference = min(found, key=lambda d: (d.step, -_relative_gap(d))) if found else None

    symbol = drill.symbol(drill.target)
    if difference is None:
        verdict = Verdict(
            drill.name,
            "pass",
            f"Correct: {symbol} matches the reference on {len(expected)} instances, {steps} steps in all (float64).",
            checked=checked,
        )
        target_trajectories = expected
    else:
        variant = accepted_variant(drill, yours)
        if variant is not None:
            verdict = Verdict(drill.name, "pass", f"Accepted: {variant.title}. {variant.note}", variant=variant, first_difference=difference, checked=checked)
            target_trajectories = _known_trajectories(drill, "variant:" + variant.id, variant.rule)
        else:
            from gdgrill.drill.diagnosis import diagnose as locate

            from gdgrill.drill.diagnosis import Diagnosis

            mutant = diagnose(drill, yours, rule)
            try:
                found = locate(drill, rule, yours, mutant)
            except (ArithmeticError, LookupError, TypeError, ValueError, RuntimeError):
                # the diagnosis is help, not the verdict: a rule it cannot take apart still
                # gets its verdict and where it first differs
                found = Diagnosis((f"{mutant.title}. " if mutant else "") + f"{difference.describe()}.")
            return Verdict(drill.name, "fail", f"Not quite: {found.text}", misconception=mutant, first_difference=difference, checked=checked, diagnosis=found)

    if torch_device:
        from gdgrill.drill.crosscheck import cross_check

        verdict.torch = cross_check(drill, rule, torch_device)
    return verdict
