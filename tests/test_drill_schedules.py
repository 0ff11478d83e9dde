"""Every schedule's closed form lr(t) equals torch.optim.lr_scheduler stepped as a training
loop steps it: t = 1 is the rate before the first optimizer.step(), and each later t is read
after one more optimizer.step(); scheduler.step(). Exact to 1e-12 relative over the whole
horizon and past it wherever torch defines what happens there."""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import pytest

torch = pytest.importorskip("torch")

from gdgrill.drill.references import WARMUP_COSINE_DEFAULTS, warmup_cosine  # noqa: E402
from gdgrill.drill.schedules import SCHEDULES, get_schedule, milestones  # noqa: E402

LRS = torch.optim.lr_scheduler
REL = 1e-12
ABS = 1e-300  # a rate that is exactly 0 must be exactly 0 in both


def stepped(base_lr: float, make: Callable[[Any], Any], steps: int) -> list[float]:
    """The rate torch's scheduler gives each of ``steps`` optimizer steps (t = 1 … steps)."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base_lr)
    sched = make(opt)
    rates = []
    for t in range(1, steps + 1):
        rates.append(opt.param_groups[0]["lr"])
        if t < steps:
            opt.step()
            sched.step()
    return rates


def assert_same(name: str, hp: dict[str, float], theirs: list[float]) -> None:
    schedule = get_schedule(name)
    for t, expected in enumerate(theirs, start=1):
        mine = schedule.lr(t, hp)
        assert math.isclose(mine, expected, rel_tol=REL, abs_tol=ABS), f"{name} {hp} at t = {t}: {mine!r} vs torch {expected!r}"


# -- StepLR, MultiStepLR, ExponentialLR -------------------------------------------------------------


@pytest.mark.parametrize("lr_max,gamma,step_size", [(0.1, 0.1, 3), (1.0, 0.5, 7), (0.05, 0.9, 1), (0.3, 0.7, 10)])
def test_step_matches_torch_step_lr(lr_max, gamma, step_size):
    hp = {"lr_max": lr_max, "gamma": gamma, "step_size": step_size}
    assert_same("step-lr", hp, stepped(lr_max, lambda o: LRS.StepLR(o, step_size=step_size, gamma=gamma), 60))


def test_step_holds_for_step_size_steps_then_drops():
    hp = {"lr_max": 1.0, "gamma": 0.5, "step_size": 4}
    assert [get_schedule("step-lr").lr(t, hp) for t in range(1, 10)] == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]


@pytest.mark.parametrize(
    "gamma,marks",
    [(0.1, [3, 7, 12]), (0.5, [5, 5, 9]), (0.3, [15, 2, 9]), (0.8, [1, 2, 3, 20])],  # repeated, unsorted, four
)
def test_multistep_matches_torch_multistep_lr(gamma, marks):
    hp = {"lr_max": 0.2, "gamma": gamma, **{f"m{k}": m for k, m in enumerate(marks, start=1)}}
    assert_same("multistep-lr", hp, stepped(0.2, lambda o: LRS.MultiStepLR(o, milestones=marks, gamma=gamma), 40))


def test_multistep_milestones_are_read_as_numbered_names_in_order_until_one_is_missing():
    assert milestones({"m1": 9, "m2": 3, "m3": 14, "m5": 1, "gamma": 0.1}) == [3, 9, 14]
    hp = {"lr_max": 1.0, "gamma": 0.1, "m1": 3, "m2": 6}
    # milestone m is torch's epoch m: the rate first drops for step t = m + 1
    assert [get_schedule("multistep-lr").lr(t, hp) for t in (3, 4, 6, 7)] == pytest.approx([1.0, 0.1, 0.1, 0.01], rel=REL)


@pytest.mark.parametrize("lr_max,gamma", [(0.1, 0.9), (1.0, 0.5), (3e-4, 0.99), (0.5, 1.0)])
def test_exponential_matches_torch_exponential_lr(lr_max, gamma):
    hp = {"lr_max": lr_max, "gamma": gamma}
    assert_same("exponential-lr", hp, stepped(lr_max, lambda o: LRS.ExponentialLR(o, gamma=gamma), 80))


# -- PolynomialLR -----------------------------------------------------------------------------------


@pytest.mark.parametrize("total_iters,power", [(10, 1.0), (10, 2.0), (7, 0.5), (25, 0.9)])
def test_polynomial_matches_torch_polynomial_lr_and_stays_zero_after(total_iters, power):
    hp = {"lr_max": 0.1, "total_iters": total_iters, "power": power}
    theirs = stepped(0.1, lambda o: LRS.PolynomialLR(o, total_iters=total_iters, power=power), total_iters + 10)
    assert_same("polynomial-lr", hp, theirs)
    assert theirs[total_iters] == 0.0  # t = T + 1: torch's epoch T


def test_polynomial_reaches_zero_one_step_after_total_iters():
    hp = {"lr_max": 1.0, "total_iters": 4, "power": 1.0}
    assert [get_schedule("polynomial-lr").lr(t, hp) for t in range(1, 7)] == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0, 0.0], rel=REL)


# -- OneCycleLR -------------------------------------------------------------------------------------


def one_cycle_torch(hp: dict[str, float]) -> Callable[[Any], Any]:
    return lambda o: LRS.OneCycleLR(
        o,
        max_lr=hp["lr_max"],
        total_steps=int(hp["total"]),
        pct_start=hp["pct_start"],
        div_factor=hp["div_factor"],
        final_div_factor=hp["final_div_factor"],
        anneal_strategy="cos",
        three_phase=False,
    )


ONE_CYCLES = [
    {"lr_max": 0.1, "total": 25, "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4},
    {"lr_max": 1.0, "total": 20, "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0},
    {"lr_max": 3e-3, "total": 31, "pct_start": 0.5, "div_factor": 5.0, "final_div_factor": 1e3},
    {"lr_max": 0.4, "total": 100, "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4},  # torch's defaults
]


@pytest.mark.parametrize("hp", ONE_CYCLES)
def test_one_cycle_matches_torch_one_cycle_lr_to_one_step_past_the_end(hp):
    total = int(hp["total"])
    # torch (SGD with momentum, so it cycles momentum too) defines one epoch past the end
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0, momentum=0.9)
    sched = one_cycle_torch(hp)(opt)
    theirs = []
    for t in range(1, total + 2):
        theirs.append(opt.param_groups[0]["lr"])
        opt.step()
        if t <= total:
            sched.step()
    assert_same("one-cycle", hp, theirs)
    with pytest.raises(ValueError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched.step()  # epoch total + 1
    with pytest.raises(ValueError):
        get_schedule("one-cycle").lr(total + 2, hp)


def test_one_cycle_landmarks():
    hp = {"lr_max": 1.0, "total": 20, "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0}
    lr = get_schedule("one-cycle").lr
    assert lr(1, hp) == pytest.approx(0.1, rel=REL)  # lr_max / div_factor
    assert lr(5, hp) == pytest.approx(1.0, rel=REL)  # the peak at t = pct_start·T
    assert lr(20, hp) == pytest.approx(0.001, rel=REL)  # initial / final_div_factor on the last step
    assert lr(3, hp) == pytest.approx(0.1 + 0.9 * (1 - math.cos(math.pi / 2)) / 2, rel=REL)  # half-way up


# -- CosineAnnealingWarmRestarts ------------------------------------------------------------------


@pytest.mark.parametrize("t0,t_mult", [(3, 2), (2, 3), (5, 1), (1, 2), (4, 3)])
def test_warm_restarts_match_torch_cosine_annealing_warm_restarts(t0, t_mult):
    hp = {"lr_max": 0.1, "lr_min": 0.001, "t0": t0, "t_mult": t_mult}
    theirs = stepped(0.1, lambda o: LRS.CosineAnnealingWarmRestarts(o, T_0=t0, T_mult=t_mult, eta_min=0.001), 120)
    assert_same("sgdr", hp, theirs)


def test_warm_restarts_restart_at_the_geometric_cycle_starts():
    hp = {"lr_max": 1.0, "lr_min": 0.0, "t0": 2, "t_mult": 3}
    lr = get_schedule("sgdr").lr
    # cycles of 2, 6, 18 epochs start at t = 1, 3, 9, 27: each opens at lr_max
    assert [t for t in range(1, 40) if lr(t, hp) == 1.0] == [1, 3, 9, 27]
    assert lr(8, hp) == pytest.approx((1 + math.cos(math.pi * 5 / 6)) / 2, rel=REL)


# -- Linear warmup then linear decay -----------------------------------------------------------------

WARMUP_LINEARS = [(5, 20, 0.1, 0.01), (3, 12, 1.0, 0.0), (10, 25, 2e-3, 1e-4), (1, 8, 0.5, 0.05)]


@pytest.mark.parametrize("warmup,total,lr_max,lr_min", WARMUP_LINEARS)
def test_warmup_linear_matches_sequential_linear_lrs_and_lambda_lr(warmup, total, lr_max, lr_min):
    hp = {"warmup": warmup, "total": total, "lr_max": lr_max, "lr_min": lr_min}

    def sequential(o: Any) -> Any:
        down = LRS.LinearLR(o, start_factor=1.0, end_factor=lr_min / lr_max, total_iters=total - warmup)
        if warmup == 1:
            return down
        up = LRS.LinearLR(o, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1)
        return LRS.SequentialLR(o, [up, down], milestones=[warmup - 1])

    def factor(epoch: int) -> float:  # the Hugging Face shape, on 1-based steps, with a floor
        step = epoch + 1
        if step < warmup:
            return step / warmup
        floor = lr_min / lr_max
        return max(floor, floor + (1 - floor) * (total - step) / (total - warmup))

    assert_same("warmup-linear", hp, stepped(lr_max, sequential, total + 10))
    assert_same("warmup-linear", hp, stepped(lr_max, lambda o: LRS.LambdaLR(o, factor), total + 10))


# -- Inverse square root (Noam) ----------------------------------------------------------------------


@pytest.mark.parametrize("d_model,warmup", [(512, 4000), (64, 10), (1024, 25), (16, 1)])
def test_inverse_sqrt_matches_the_transformer_rate_in_lambda_lr(d_model, warmup):
    hp = {"d_model": d_model, "warmup": warmup}

    def rate(epoch: int) -> float:  # Vaswani et al. 2017, eq. 3, with step_num = epoch + 1
        step_num = epoch + 1
        return d_model ** (-0.5) * min(step_num ** (-0.5), step_num * warmup ** (-1.5))

    assert_same("inverse-sqrt", hp, stepped(1.0, lambda o: LRS.LambdaLR(o, rate), min(3 * warmup + 20, 12_100)))


def test_inverse_sqrt_peaks_at_the_end_of_warmup():
    hp = {"d_model": 64, "warmup": 16}
    lr = get_schedule("inverse-sqrt").lr
    assert lr(16, hp) == pytest.approx((64 * 16) ** -0.5, rel=REL)
    assert lr(15, hp) < lr(16, hp) > lr(17, hp)
    assert lr(64, hp) == pytest.approx(lr(16, hp) / 2, rel=REL)  # 1/√t: four times later, half the rate


# -- Warmup–stable–decay ------------------------------------------------------------------------------

WSDS = [(5, 30, 8, 0.1, 0.001), (3, 20, 5, 1.0, 0.0), (10, 50, 15, 3e-3, 3e-5), (2, 12, 1, 0.5, 0.1)]


def wsd_factor(step: int, warmup: int, total: int, cooldown: int, floor: float, cool: Callable[[float], float]) -> float:
    """Hägele et al.'s wsd_schedule (epfml/schedules-and-scaling) with its step counted from 1,
    a warmup from lr_max/W, and the floor as a fraction of lr_max."""
    hold = total - cooldown
    if step <= warmup:
        return step / warmup
    if step <= hold:
        return 1.0
    if step < total:
        return floor + (1 - floor) * (1 - cool((step - hold) / cooldown))
    return floor


@pytest.mark.parametrize("warmup,total,cooldown,lr_max,lr_min", WSDS)
def test_wsd_linear_matches_warmup_constant_and_linear_cooldown_in_sequential_lr(warmup, total, cooldown, lr_max, lr_min):
    hp = {"warmup": warmup, "total": total, "cooldown": cooldown, "lr_max": lr_max, "lr_min": lr_min}

    def sequential(o: Any) -> Any:
        up = LRS.LinearLR(o, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1)
        hold = LRS.ConstantLR(o, factor=1.0, total_iters=1)
        down = LRS.LinearLR(o, start_factor=1.0, end_factor=lr_min / lr_max, total_iters=cooldown)
        return LRS.SequentialLR(o, [up, hold, down], milestones=[warmup - 1, total - cooldown - 1])

    assert_same("wsd", hp, stepped(lr_max, sequential, total + 10))
    factor = lambda e: wsd_factor(e + 1, warmup, total, cooldown, lr_min / lr_max, lambda p: p)  # noqa: E731
    assert_same("wsd", hp, stepped(lr_max, lambda o: LRS.LambdaLR(o, factor), total + 10))


@pytest.mark.parametrize("warmup,total,cooldown,lr_max,lr_min", WSDS)
def test_wsd_sqrt_matches_the_one_minus_sqrt_cooldown_in_lambda_lr(warmup, total, cooldown, lr_max, lr_min):
    hp = {"warmup": warmup, "total": total, "cooldown": cooldown, "lr_max": lr_max, "lr_min": lr_min}
    factor = lambda e: wsd_factor(e + 1, warmup, total, cooldown, lr_min / lr_max, math.sqrt)  # noqa: E731
    assert_same("wsd-sqrt", hp, stepped(lr_max, lambda o: LRS.LambdaLR(o, factor), total + 10))


def test_wsd_cools_down_over_the_last_d_steps_to_the_floor_on_the_last_step():
    hp = {"warmup": 2, "total": 10, "cooldown": 4, "lr_max": 1.0, "lr_min": 0.0}
    linear = [get_schedule("wsd").lr(t, hp) for t in range(1, 12)]
    assert linear == pytest.approx([0.5, 1, 1, 1, 1, 1, 0.75, 0.5, 0.25, 0, 0], rel=REL, abs=1e-15)
    sqrt = [get_schedule("wsd-sqrt").lr(t, hp) for t in range(7, 11)]
    assert sqrt == pytest.approx([1 - math.sqrt(0.25), 1 - math.sqrt(0.5), 1 - math.sqrt(0.75), 0.0], rel=REL, abs=1e-15)


# -- Linear warmup then cosine (the first schedule drill) -------------------------------------------


@pytest.mark.parametrize("warmup,total", [(5, 30), (1, 10), (10, 11), (3, 50)])
def test_warmup_cosine_matches_torch_to_the_end_and_holds_the_floor_after(warmup, total):
    hp = {"warmup": warmup, "total": total, "lr_max": 0.1, "lr_min": 0.004}

    def sequential(o: Any) -> Any:
        cosine = LRS.CosineAnnealingLR(o, T_max=total - warmup, eta_min=0.004)
        if warmup == 1:
            return cosine
        linear = LRS.LinearLR(o, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1)
        return LRS.SequentialLR(o, [linear, cosine], milestones=[warmup - 1])

    assert_same("warmup-cosine", hp, stepped(0.1, sequential, total))
    # torch's CosineAnnealingLR is periodic past T_max (the rate climbs back); the drill's
    # schedule stays at its floor
    assert [get_schedule("warmup-cosine").lr(t, hp) for t in range(total, total + 5)] == [0.004] * 5


def test_the_old_warmup_cosine_import_is_the_registry_schedule():
    hp = {"warmup": 4, "total": 24, "lr_max": 1.0, "lr_min": 0.1}
    assert all(warmup_cosine(t, hp) == get_schedule("warmup-cosine").lr(t, hp) for t in range(1, 30))
    assert get_schedule("warmup-cosine").defaults == WARMUP_COSINE_DEFAULTS


# -- The registry's own torch twins (what the cross-check runs) --------------------------------------

TWIN_SETTINGS = {
    "warmup-cosine": {"warmup": 5, "total": 30, "lr_max": 1e-3, "lr_min": 1e-5},
    "step-lr": {"lr_max": 0.1, "gamma": 0.5, "step_size": 4},
    "multistep-lr": {"lr_max": 0.1, "gamma": 0.5, "m1": 3, "m2": 7, "m3": 12},
    "exponential-lr": {"lr_max": 0.1, "gamma": 0.9},
    "polynomial-lr": {"lr_max": 0.1, "total_iters": 10, "power": 2.0},
    "one-cycle": {"lr_max": 0.1, "total": 29, "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4},
    "sgdr": {"lr_max": 0.1, "lr_min": 0.001, "t0": 3, "t_mult": 2},
    "warmup-linear": {"warmup": 5, "total": 20, "lr_max": 0.1, "lr_min": 0.01},
    "inverse-sqrt": {"d_model": 64, "warmup": 10},
    "wsd": {"warmup": 5, "total": 25, "cooldown": 8, "lr_max": 0.1, "lr_min": 0.001},
    "wsd-sqrt": {"warmup": 5, "total": 25, "cooldown": 8, "lr_max": 0.1, "lr_min": 0.001},
}


def test_every_schedule_has_a_twin_setting():
    assert set(TWIN_SETTINGS) == set(SCHEDULES)


@pytest.mark.parametrize("name", sorted(TWIN_SETTINGS))
def test_the_cross_checks_torch_twin_gives_the_closed_form(name):
    hp = TWIN_SETTINGS[name]
    assert_same(name, hp, get_schedule(name).torch_lrs(torch, hp, 30))


def test_an_unknown_schedule_names_the_known_ones():
    with pytest.raises(KeyError, match="known: warmup-cosine, step-lr"):
        get_schedule("cosine-with-hard-restarts")


def test_a_fractional_step_count_is_refused_before_torch_sees_it():
    with pytest.raises(ValueError, match="step_size must be a whole number"):
        get_schedule("step-lr").torch_lrs(torch, {"step_size": 2.5}, 5)


# -- floor() in the drill language, which StepLR and SGDR need -------------------------------------


def test_floor_rounds_down_on_numpy_and_torch_and_reads_from_every_spelling():
    from gdgrill.drill.language import compile_rule, numpy_backend, parse_rule, torch_backend

    for text in ("y = floor(x/3)", "y = ⌊x/3⌋", "y = np.floor(x/3)", "y = math.floor(x/3)"):
        rule = parse_rule(text, {"x": ()})
        for backend, x in ((numpy_backend(), 7.0), (torch_backend(torch.float32), torch.tensor(7.0))):
            env = {"x": x}
            compiled = compile_rule(rule, backend)
            compiled.init_state(env, x)
            compiled.step(env)
            assert float(env["y"]) == 2.0, (text, backend.name)


def test_floor_division_is_refused_with_what_to_write_instead():
    from gdgrill.drill.language import RefusedAnswer, parse_rule

    with pytest.raises(RefusedAnswer, match=r"'//' is not supported: write floor\(a/b\)"):
        parse_rule("lr = lr_max*gamma**((t - 1)//step_size)", {"t": (), "lr_max": (), "gamma": (), "step_size": ()})


def test_a_drill_name_spelled_like_a_function_is_still_the_name():
    from gdgrill.drill.catalog import get_drill
    from gdgrill.drill.judge import judge

    # lr_min's alias `floor` in warmup-cosine, next to floor() the function
    d = get_drill("warmup-cosine")
    text = "lr = where(t <= warmup, lr_max*t/warmup, floor + (lr_max - floor)*(1 + cos(pi*(t - warmup)/(total - warmup)))/2) + 0*floor(t)"
    assert judge(d, text).verdict == "pass"
