"""Wrong answers with the diagnosis a good interviewer would give, across every drill.

Written from the kinds of mistakes candidates make (β ↔ 1 − β, ε in or out of the root, a
bias correction added or dropped, t ± 1, g ↔ g², square ↔ abs, a sign, sum ↔ mean, two
statements in the wrong order, L2 ↔ decoupled decay, a missing factor, NaN from a negative
root or a division by zero, whiteboard LaTeX), before the diagnosis code existed. Each case
says what counts as the right diagnosis:

* ``M(id)``: the catalogued misconception ``id``;
* ``R(*lines)``: a repair (one edit of the user's own rule that makes it pass) on one of
  ``lines`` (a move of a statement counts for the line it moves);
* ``S(line)``: the first wrong statement is ``line`` (no single repair expected);
* ``says=`` words (case-insensitive) the diagnosis must contain, whichever kind.

tests/test_drill_diagnosis.py runs them; the share right is reported there.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Expect:
    misconception: str | None = None
    repair_lines: tuple[int, ...] = ()
    wrong_line: int | None = None
    says: tuple[str, ...] = field(default=())


def M(mid: str, *says: str) -> Expect:
    return Expect(misconception=mid, says=says)


def R(*lines: int, says: tuple[str, ...] = ()) -> Expect:
    return Expect(repair_lines=lines, says=says)


def S(line: int, *says: str) -> Expect:
    return Expect(wrong_line=line, says=says)


ADAM_M = "m = b1*m + (1 - b1)*g"
ADAM_V = "v = b2*v + (1 - b2)*g^2"
ADAM_STEP = "p = p - lr*(m/(1 - b1^t))/(sqrt(v/(1 - b2^t)) + eps)"


def adam(*lines: str) -> str:
    return "\n".join(lines)


CASES: dict[str, list[tuple[str, Expect]]] = {
    "sgd": [
        ("p = p - lr*g + wd*p", R(1)),
        ("p = p - (g + wd*p)", R(1, says=("η",))),
        ("p = p - lr*(g + wd)", R(1)),
        ("g = g + wd*p\np = p - lr*g\np = p - lr*wd*p", R(3)),
        ("p = p - lr*g - lr*wd*g", R(1)),
        (r"\theta_{t+1} = \theta_t - \eta \cdot (g_t - \lambda \cdot \theta_t)", M("decay-sign-flipped")),
        ("p = p*(1 - wd) - lr*g", M("decay-not-scaled-by-lr")),
        ("p = p - lr*sign(g + wd*p)", R(1, says=("sign",))),
    ],
    "momentum": [
        ("buf = mu*buf + g\np = p - lr*(g + mu*buf)", R(2)),
        ("buf = mu*buf + lr*g\np = p - lr*buf", R(1, 2)),
        ("buf = (1 - mu)*buf + g\np = p - lr*buf", R(1)),
        ("buf = mu*buf - g\np = p - lr*buf", R(1, 2)),
        ("p = p - lr*buf\nbuf = mu*buf + g", M("stale-velocity")),
        ("v = mu*v + g\np = p - lr*mu*v", R(2)),
        ("buf = mu*buf + g\np = p - mu*buf", R(2)),
        (r"v_t = \mu \cdot v_{t-1} + (1-\mu) \cdot g_t \\ \theta_{t+1} = \theta_t - \eta \cdot v_t", M("ema-momentum")),
        ("buf = mu*(buf + g)\np = p - lr*buf", S(1)),
    ],
    "nesterov": [
        ("buf = mu*buf + g\np = p - lr*(g + buf)", R(2)),
        ("buf = mu*buf + g\np = p - lr*(g + mu*g)", R(2)),
        ("buf = mu*buf + g\np = p - lr*(g - mu*buf)", R(2)),
        ("p = p - lr*(g + mu*buf)\nbuf = mu*buf + g", M("plain-momentum")),
        ("buf = mu*buf + lr*g\np = p - lr*(g + mu*buf)", R(1)),
        ("v = mu*v - lr*g\np = p + mu*v - g", R(2)),
        ("buf = mu*buf + (1 - mu)*g\np = p - lr*(g + mu*buf)", M("ema-momentum")),
        ("buf = mu*buf + g\np = p - lr*mu*(g + buf)", S(2)),
    ],
    "rmsprop": [
        ("v = rho*v + g^2\np = p - lr*g/(sqrt(v) + eps)", R(1, says=("1 - rho",))),
        ("v = rho*v + (1 - rho)*g\np = p - lr*g/(sqrt(v) + eps)", R(1, says=("negative",))),
        ("v = rho*v + (1 - rho)*g^2\np = p - lr*g/sqrt(v) + eps", R(2)),
        ("v = rho*v + (1 - rho)*g^2\np = p - g/(sqrt(v) + eps)", R(2)),
        ("v = rho*v + (1 - rho)*g^2\np = p - lr*g/(sqrt(v + eps))", M("eps-inside-sqrt")),
        ("v = rho*v + (1 - rho)*g^2\np = p - lr*sign(g)/(sqrt(v) + eps)", R(2)),
        ("p = p - lr*g/(sqrt(v) + eps)\nv = rho*v + (1 - rho)*g^2", R(1, 2)),
        (r"v \leftarrow \rho \cdot v + (1-\rho) \cdot g^2 \\ \theta \leftarrow \theta - \frac{\eta \cdot g}{\sqrt{v + \epsilon}}", M("eps-inside-sqrt")),
        ("v = rho*v + (1 - rho)*g*g\np = p - lr*g*(sqrt(v) + eps)", R(2)),
    ],
    "adagrad": [
        ("s = 0.9*s + 0.1*g^2\np = p - lr*g/(sqrt(s) + eps)", R(1)),
        ("s = s + g\np = p - lr*g/(sqrt(s) + eps)", R(1, says=("negative",))),
        ("s = s + g^2\np = p - lr*g/sqrt(s) + eps", R(2)),
        ("s = s + g^2\np = p - lr/(sqrt(s) + eps)", R(2)),
        ("s = s + g^2\np = p - lr*g/sqrt(s + eps)", M("eps-inside-sqrt")),
        ("s = s + abs(g)\np = p - lr*g/(sqrt(s) + eps)", M("abs-instead-of-square")),
        ("s = s + mean(g^2)\np = p - lr*g/(sqrt(s) + eps)", R(1)),
        ("p = p - lr*g/(sqrt(s) + eps)\ns = s + g^2", M("accumulate-after-step")),
        (r"G \leftarrow G + g \odot g \\ \theta \leftarrow \theta - \eta \cdot \frac{g}{G + \epsilon}", M("forgot-sqrt")),
    ],
    "adam-bias": [
        (adam(ADAM_M, "v = b2*v + (1 - b2)*g", ADAM_STEP), R(2, says=("g^2",))),
        (adam(ADAM_M, ADAM_V, "m_hat = m/(1 - b1^(t + 1))", "v_hat = v/(1 - b2^t)", "p = p - lr*m_hat/(sqrt(v_hat) + eps)"), R(3)),
        (adam(ADAM_M, ADAM_V, "m_hat = m/(1 - b1^t)", "v_hat = v/(1 - b2^t)", "p = p - lr*m_hat/sqrt(v_hat + eps)"), M("eps-inside-sqrt")),
        (adam("m = b1*m + g", ADAM_V, ADAM_STEP), R(1)),
        (adam(ADAM_M, ADAM_V, "m_hat = m/(1 - b1^t)", "v_hat = v/(1 - b1^t)", "p = p - lr*m_hat/(sqrt(v_hat) + eps)"), R(4)),
        (adam(ADAM_M, ADAM_V, "p = p - (m/(1 - b1^t))/(sqrt(v/(1 - b2^t)) + eps)"), R(3)),
        (adam("m = b1*m + (1 - b1)*g^2", ADAM_V, ADAM_STEP), R(1)),
        (
            r"m_t = \beta_1 \cdot m_{t-1} + (1-\beta_1) \cdot g_t \\ v_t = \beta_2 \cdot v_{t-1} + (1-\beta_2) \cdot g_t^2 \\ "
            r"\hat{m}_t = \frac{m_t}{1-\beta_1^t} \\ \hat{v}_t = \frac{v_t}{1-\beta_2^t} \\ "
            r"\theta_t = \theta_{t-1} - \eta \cdot \frac{\hat{m}_t}{\sqrt{\hat{v}_t + \epsilon}}",
            M("eps-inside-sqrt"),
        ),
        (adam(ADAM_V, ADAM_M, "p = p - lr*m/(1 - b1^t)/sqrt(v/(1 - b2^t) + eps)"), M("eps-inside-sqrt")),
        (adam(ADAM_M, ADAM_V, "m_hat = m/(1 - b1^(t - 1))", "v_hat = v/(1 - b2^t)", "p = p - lr*m_hat/(sqrt(v_hat) + eps)"), R(3, says=("zero",))),
        (adam(ADAM_M, ADAM_V, "m_hat = m/(1 - b1^t)", "v_hat = v/(1 - b2^t)", "p = p - lr*m_hat/sqrt(v_hat) + eps"), R(5)),
        (adam(ADAM_M, "v = b2*v + (1 - b2)*(g - m)^2", ADAM_STEP), R(2)),
        (adam("m = (1 - b1)*m + b1*g", ADAM_V, ADAM_STEP), R(1)),
    ],
    "adam": [
        (adam(ADAM_M, ADAM_V, "p = p - lr*(m/(1 - b1^t))/(sqrt(v/(1 - b2^t)) + eps) - lr*wd*p"), M("decoupled-instead-of-l2")),
        (adam(ADAM_M, "g = g + wd*p", ADAM_V, ADAM_STEP), R(1, 2)),
        (adam("g = g - wd*p", ADAM_M, ADAM_V, ADAM_STEP), R(1)),
        (adam("g = g + lr*wd*p", ADAM_M, ADAM_V, ADAM_STEP), R(1)),
        (adam("g = g + wd*p", ADAM_M, ADAM_V, "p = p - lr*(m/(1 - b1^t))/(sqrt(v)/(1 - b2^t) + eps)"), R(4)),
        (adam("g = g + wd*p", "m = (1 - b1)*m + b1*g", ADAM_V, ADAM_STEP), R(2)),
        (
            r"g \leftarrow g + \lambda \cdot \theta \\ m \leftarrow \beta_1 \cdot m + (1-\beta_1) \cdot g \\ "
            r"v \leftarrow \beta_2 \cdot v + (1-\beta_2) \cdot g^2 \\ \theta \leftarrow \theta - \eta \cdot \frac{m}{\sqrt{v} + \epsilon}",
            M("no-bias-correction"),
        ),
        (adam("g = g + wd*p", ADAM_M, "v = b2*v + (1 - b2)*g", ADAM_STEP), R(3, says=("g^2",))),
    ],
    "adamw": [
        (adam("p = p*(1 - wd)", ADAM_M, ADAM_V, ADAM_STEP), M("decay-not-scaled-by-lr")),
        (adam("p = p - lr*wd*p", ADAM_M, "v = b2*v + (1 - b2)*g", ADAM_STEP), R(3)),
        (adam(ADAM_M, ADAM_V, "m_hat = m/(1 - b1^t)", "v_hat = v/(1 - b2^t)", "p = p - lr*(m_hat/(sqrt(v_hat) + eps) - wd*p)"), R(5)),
        (adam(ADAM_M, ADAM_V, "m_hat = m/(1 - b1^t)", "v_hat = v/(1 - b2^t)", "p = p - lr*m_hat/(sqrt(v_hat) + eps) - wd*p"), M("decay-not-scaled-by-lr")),
        (adam("p = p - lr*wd*p", ADAM_M, ADAM_V, "m_hat = m/(1 - b2^t)", "v_hat = v/(1 - b2^t)", "p = p - lr*m_hat/(sqrt(v_hat) + eps)"), R(4)),
        (adam("p = p - lr*wd*g", ADAM_M, ADAM_V, ADAM_STEP), R(1)),
        (adam(ADAM_M, ADAM_V, ADAM_STEP, "p = p - lr*wd*p"), M("decay-after-step")),
        (adam("p = p - lr*wd*p", ADAM_M, ADAM_V, "p = p - lr*(m/(1 - b1^t))/(sqrt(v/(1 - b2^(t + 1))) + eps)"), R(4)),
    ],
    "amsgrad": [
        (adam(ADAM_M, ADAM_V, "v_max = maximum(v_max, v)", ADAM_STEP), R(4)),
        (adam(ADAM_M, ADAM_V, "v_max = minimum(v_max, v)", "p = p - lr*(m/(1 - b1^t))/(sqrt(v_max/(1 - b2^t)) + eps)"), R(3)),
        (adam("v_max = maximum(v_max, v)", ADAM_M, ADAM_V, "p = p - lr*(m/(1 - b1^t))/(sqrt(v_max/(1 - b2^t)) + eps)"), R(1)),
        (adam(ADAM_M, ADAM_V, "v_max = maximum(v_max, v)", "p = p - lr*(m/(1 - b1^t))/(sqrt(v_max)/(1 - b2^t) + eps)"), R(4)),
        (adam(ADAM_M, ADAM_V, "v_max = maximum(v_max, g^2)", "p = p - lr*(m/(1 - b1^t))/(sqrt(v_max/(1 - b2^t)) + eps)"), M("max-of-squared-gradient")),
        (adam(ADAM_M, ADAM_V, "v_max = maximum(v_max, v)", "p = p - lr*m/(sqrt(v_max/(1 - b2^t)) + eps)"), R(4)),
        (
            r"m_t = \beta_1 \cdot m_{t-1} + (1-\beta_1) \cdot g_t \\ v_t = \beta_2 \cdot v_{t-1} + (1-\beta_2) \cdot g_t^2 \\ "
            r"\hat{v}_t = \max(\hat{v}_{t-1}, v_t) \\ \theta_t = \theta_{t-1} - \eta \cdot \frac{m_t/(1-\beta_1^t)}{\sqrt{\hat{v}_t/(1-\beta_2^t) + \epsilon}}",
            R(4),
        ),
        (adam(ADAM_M, "v = b2*v + (1 - b2)*abs(g)", "v_max = maximum(v_max, v)", "p = p - lr*(m/(1 - b1^t))/(sqrt(v_max/(1 - b2^t)) + eps)"), R(2)),
    ],
    "lion": [
        ("c = (1 - b1)*m + b1*g\np = p - lr*(sign(c) + wd*p)\nm = b2*m + (1 - b2)*g", R(1)),
        ("p = p - lr*(sign(g) + wd*p)", S(1, "momentum")),
        ("c = b1*m + (1 - b1)*g\np = p - lr*(sign(c) + wd*p)\nm = b1*m + (1 - b1)*g", R(3)),
        ("c = b1*m + (1 - b1)*g\np = p - lr*(sign(c) + wd)\nm = b2*m + (1 - b2)*g", R(2)),
        ("m = b2*m + (1 - b2)*g\nc = b1*m + (1 - b1)*g\np = p - lr*(sign(c) + wd*p)", R(1)),
        ("c = b1*m + (1 - b1)*g\np = p - lr*(sign(c) + wd*p)\nm = b2*m + (1 - b2)*c", R(3)),
        ("c = b1*m + (1 - b1)*g\np = p - lr*sign(c) - lr*wd*p\nm = b2*m - (1 - b2)*g", R(3)),
        (
            r"c_t = \beta_1 \cdot m_{t-1} + (1-\beta_1) \cdot g_t \\ \theta_t = \theta_{t-1} - \eta \cdot (\operatorname{sign}(c_t) + \lambda \cdot \theta_{t-1}) \\ "
            r"m_t = \beta_2 \cdot m_{t-1} + (1 - \beta_2) \cdot c_t",
            R(3),
        ),
    ],
    "clip-norm": [
        ("g = g*min(1, max_norm/sum(abs(g)))", R(1, says=("L1",))),
        ("g = g*min(1, max_norm/sqrt(mean(g^2)))", R(1)),
        ("g = g*max(1, max_norm/norm(g))", R(1)),
        ("g = g*min(1, max_norm/norm(g))^2", R(1)),
        ("g = g*min(1, max_norm/(norm(g) + 1))", R(1)),
        ("g = g/norm(g)*max_norm", M("always-rescale")),
        ("n = norm(g)\ng = g*min(1, n/max_norm)", M("inverted-ratio")),
        ("g = where(norm(g) > max_norm, max_norm/norm(g), g)", R(1)),
        ("g = g*min(max_norm, max_norm/norm(g))", R(1)),
    ],
    "warmup-cosine": [
        ("lr = where(t <= warmup, lr_max*(t - 1)/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)", R(1, says=("warmup",))),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos((t - warmup)/(total - warmup)))/2)", R(1)),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_max - (lr_max - lr_min)*(t - warmup)/(total - warmup))", S(1, "decay")),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 - cos(pi*(t - warmup)/(total - warmup)))/2)", R(1)),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/total))/2)", R(1)),
        ("lr = where(t <= warmup, lr_max*warmup/t, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)", R(1, says=("warmup",))),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup))))/2", R(1)),
        (r"\eta = \eta_{min} + \frac{1}{2} \cdot (\eta_{max} - \eta_{min}) \cdot (1 + \cos(\pi \cdot \frac{t}{T}))", M("cosine-no-warmup")),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_max*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)", M("cosine-no-floor")),
    ],
}
