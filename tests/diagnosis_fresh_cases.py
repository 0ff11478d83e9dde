"""A second set of wrong answers, written after the diagnosis existed but before it was run
on them (a stand-in for a held-out set): the first measurement on them is reported as is in
tests/test_drill_diagnosis.py. Same conventions as tests/diagnosis_cases.py. (Two of the
first 45 turned out not to be wrong answers — one passes, one is refused — and were replaced.)"""

from __future__ import annotations

from diagnosis_cases import M, R, S, Expect  # noqa: F401

FRESH: dict[str, list[tuple[str, Expect]]] = {
    "sgd": [
        ("θ ← θ − η·g − λ·θ", M("decay-not-scaled-by-lr")),
        ("grad = g + 2*wd*p\np = p - lr*grad", R(1)),
        ("p = p - lr*(g + wd*p)*wd", R(1)),
        ("p = (1 - lr*wd)*p + lr*g", R(1)),
    ],
    "momentum": [
        ("velocity = momentum*velocity + grad\ntheta = theta - lr*grad", R(2)),
        ("v = mu*v + g\np = p - lr*v*(1 - mu)", R(2)),
        ("v = mu*v - lr*g\np = p - v", R(1, 2)),
        ("b = μ·b + g²\nθ = θ − η·b", R(1)),
    ],
    "nesterov": [
        ("buf = mu*buf + g\np = p - lr*(g + mu*mu*buf)", R(2)),
        ("buf = mu*buf + g\np = p - lr*g - mu*buf", R(2)),
        ("m = μ·m + g\nθ = θ − η·(μ·m)", R(2)),
    ],
    "rmsprop": [
        ("v = rho*v + (1 - rho)*g^2\np = p - lr*g/(sqrt(v) + eps)^2", R(2)),
        ("s = ρ·s + (1−ρ)·g²\nθ = θ − η·g/√s", R(2)),
        ("v = rho*v + (1 - rho)*g^2\np = p - lr/(sqrt(v) + eps)", R(2)),
        ("v = rho*v + (1 - rho)*g^2\np = p - lr*g/(sqrt(v/(1 - rho)) + eps)", R(2)),
    ],
    "adagrad": [
        ("acc = acc + g**2\nparam = param - lr*g/(acc + eps)**0.5", R(2)),
        ("G = G + g^2\nθ = θ − η·g/(√G + ε) − η·G", R(2)),
        ("h = h + g⊙g\nθ = θ + η·g/(√h + ε)", M("step-uphill")),
        ("s = s + 0.5*g^2\np = p - lr*g/(sqrt(s) + eps)", R(1)),
    ],
    "adam-bias": [
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g*g\np = p - lr*m/(1-b1**t)/(sqrt(v/(1-b2**t)) + eps)*2", R(3)),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nm_hat = m/(1-b1^t)\nv_hat = v/(1-b2^t)\np = p - lr*m_hat/(sqrt(v_hat) - eps)", R(5)),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nm_hat = m/(1-b1**t)\nv_hat = v/(1-b2**t)\np = p - lr*m_hat/(v_hat**0.5 + eps)\nm = m_hat", R(6)),
        (r"m \leftarrow \beta_1 \cdot m + (1-\beta_1) \cdot g \\ v \leftarrow \beta_2 \cdot v + (1-\beta_2) \cdot g^2 \\ \theta \leftarrow \theta - \eta \cdot \frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_1^t)} + \epsilon}", R(3)),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*m/(1-b1^t)/(sqrt(v)/sqrt(1-b2^t) + eps) + lr*eps", R(3)),
    ],
    "adam": [
        ("grad = g + wd*p\nm = b1*m + (1-b1)*grad\nv = b2*v + (1-b2)*grad^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps) - lr*wd*p", R(4)),
        ("g = g + wd*p*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", R(1)),
        ("g = g + wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + wd)", R(4)),
    ],
    "adamw": [
        ("p = p - wd*lr*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/sqrt(v/(1-b2^t)) + eps", R(4)),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p*(1 - lr*wd) - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)*wd", R(3)),
        ("p = p - lr*wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^(t-1)))/(sqrt(v/(1-b2^t)) + eps)", R(4, says=("zero",))),
    ],
    "amsgrad": [
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = maximum(v_max, v)\np = p - lr*(m/(1-b1^t))/(sqrt(v_max) + eps)", R(4)),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nvmax = max(vmax, v)\np = p - lr*m/(1-b1^t)/(sqrt(vmax/(1-b1^t)) + eps)", R(4)),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = max(v_max, v)\np = p - lr*(m/(1-b1^t))/(sqrt(v_max/(1-b2^t)) + eps)\nv = v_max", R(5)),
    ],
    "lion": [
        ("c = b1*m + (1-b1)*g\np = p - lr*(sign(c) - wd*p)\nm = b2*m + (1-b2)*g", R(2)),
        ("c = b1*m + (1-b1)*g\np = p - lr*(sign(c) + wd*p)\nm = b2*m + (1-b2)*sign(g)", R(3)),
        ("c = b1*m + (1-b1)*g\np = p - lr*(sign(c) + wd*p)\nm = b2*c + (1-b2)*g", R(3)),
        ("u = sign(beta1*m + (1 - beta1)*grad)\ntheta = theta - lr*u - weight_decay*theta\nm = beta2*m + (1 - beta2)*grad", M("decay-not-scaled-by-lr")),
    ],
    "clip-norm": [
        ("g = g*min(1, max_norm/norm(g)^2)", R(1)),
        ("g = g*min(1, max_norm/max(abs(g), 1e-6))", S(1)),
        ("g = g*min(1, norm(g)/max_norm)", M("inverted-ratio")),
        ("g = where(norm(g) < max_norm, g*max_norm/norm(g), g)", R(1)),
    ],
    "warmup-cosine": [
        ("lr = where(t < warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup + 1)/(total - warmup)))/2)", R(1)),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(2*pi*(t - warmup)/(total - warmup)))/2)", R(1)),
        ("progress = (t - warmup)/(total - warmup)\nlr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*progress)))", R(2)),
        ("lr = where(t <= warmup, lr_min + (lr_max - lr_min)*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)", R(1, says=("warmup",))),
    ],
}
