"""Verdict stress test: many right answers written the way candidates write them (different
names, notations and textbooks) must pass; common wrong answers must fail and be blamed on the
right misconception (or on none, when no catalogued mistake fits). A false verdict either way
is the worst bug a drill can have."""

from __future__ import annotations

import pytest

from gdgrill.drill.catalog import DRILLS
from gdgrill.drill.judge import judge

# -- Right answers ---------------------------------------------------------------------------

CORRECT: dict[str, list[str]] = {
    "sgd": [
        "decay = 1 - lr*wd\np = p*decay - lr*g",
        "grad = g + wd*p\np = p - lr*grad",
        "p = p - lr*(g + wd*p)",
        "θ ← θ − η·(g + λ·θ)",
        "g = g + wd*p\np = p - lr*g",
        "grad = grad + weight_decay*theta\ntheta -= learning_rate*grad",
        "w = w*(1 - eta*lam) - eta*dp",
        "d_p = g + λ*θ\nθ = θ − η*d_p",
        "p = p - lr*wd*p\np = p - lr*g",  # decay then step from the decayed weights: the same for plain SGD
        "θ_t = θ_{t-1} − η·(g_t + λ·θ_{t-1})",
        "p -= lr * g + lr * wd * p  # sgd with L2",
        "params = params - alpha * (gradient + decay * params)",
        "θ = θ − η × (g + λ × θ)",
    ],
    "momentum": [
        # the velocity named `momentum` (a word alias of μ) while μ is written as mu
        "momentum = mu*momentum + g\np = p - lr*momentum",
        "momentum_buffer = momentum*momentum_buffer + grad\nparam = param - lr*momentum_buffer",
        "buf = mu*buf + g\np = p - lr*buf",
        "v = β·v − η·g\nθ = θ + v",
        "v = mu*v + lr*g\np = p - v",
        "velocity = momentum*velocity + grad\ntheta -= lr*velocity",
        "b = ρ·b + g\nw ← w − α·b",
        "v_t = γ·v_{t-1} + η·g_t\nθ_t = θ_{t-1} − v_t",
        # EMA-damped buffer with the learning rate rescaled by 1/(1-μ): the same trajectory
        "m = mu*m + (1 - mu)*g\np = p - lr/(1 - mu)*m",
        "z = μ*z + g; θ -= η*z",
        "buf = mu * buf + g\r\np = p - lr * buf\r\n",
    ],
    "nesterov": [
        "buf = mu*buf + g\np = p - lr*(g + mu*buf)",
        "buf = mu*buf + g\ng = g + mu*buf\np = p - lr*g",  # torch's own code
        "v = μ·v − η·g\nθ = θ + μ·v − η·g",
        "v = mu*v + g\nstep = g + mu*v\np -= lr*step",
        "velocity = momentum*velocity + grad\ntheta = theta - lr*grad - lr*momentum*velocity",
        # Bengio et al.'s form: θ += −μ·v_prev + (1+μ)·v
        "v_prev = v\nv = mu*v - lr*g\np = p - mu*v_prev + (1 + mu)*v",
        "b = γ·b + g\nθ ← θ − η·(g + γ·b)",
        "m = mu*m + g\nlookahead = g + mu*m\np = p - lr*lookahead",
    ],
    "rmsprop": [
        "decay_rate = rho\ncache = decay_rate*cache + (1 - decay_rate)*g**2\np = p - lr*g/(np.sqrt(cache) + eps)",
        "v = rho*v + (1 - rho)*g^2\np = p - lr*g/(sqrt(v) + eps)",
        "s = α·s + (1−α)·g²\nθ = θ − η·g/(√s + ε)",
        "v = rho*v + (1-rho)*g*g\np -= lr * g / (v**0.5 + eps)",
        "E_g2 = γ·E_g2 + (1 − γ)·g²\nθ = θ − η·g/(√E_g2 + ε)",
        "sq = decay*sq + (1 - decay)*g**2\ndenom = sqrt(sq) + epsilon\ntheta = theta - eta*g/denom",
        "v += (1 - rho)*(g*g - v)\np -= lr*g/(sqrt(v) + eps)",
        "r = ρ*r + (1−ρ)*g⊙g\nθ = θ − η/(√r + ε)*g",
        "v_t = β·v_{t-1} + (1 − β)·g_t²\nθ_t = θ_{t-1} − η·g_t/(√v_t + ε)",
    ],
    "adagrad": [
        "s = s + g^2\np = p - lr*g/(sqrt(s) + eps)",
        "G += g^2\nθ -= η·g/(√G + ε)",
        "sum_sq = sum_sq + g*g\nw = w - alpha*g/(sum_sq**0.5 + epsilon)",
        "h = h + g⊙g\nθ ← θ − η·g/(√h + ε)",
        "acc += grad**2\nstd = sqrt(acc) + eps\nparam -= lr * grad / std",
        "G_t = G_{t-1} + g_t²\nθ_t = θ_{t-1} − η/(√G_t + ε)·g_t",
        "r = r + g·g\nθ = θ − α·g/(ε + √r)",
        "s = s + pow(g, 2)\np = p - lr*g/(pow(s, 0.5) + eps)",
    ],
    "adam-bias": [
        # a local named `step` (an alias of t) must not overwrite t: t is read again afterwards
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nstep = lr/(1-b1^t)\np = p - step*m/(sqrt(v/(1-b2^t)) + eps)",
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(np.sqrt(v/(1-b2^t)) + eps)",
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1**t))/(math.sqrt(v/(1-b2**t)) + eps)  # adam",
        "    m = b1*m + (1-b1)*g\n    v = b2*v + (1-b2)*g^2\n    p = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)",  # pasted from an indented block
        "\tm = b1*m + (1-b1)*g\r\n\tv = b2*v + (1-b2)*g^2\r\n\r\n\tp = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)\r\n",
        # Kingma & Ba's α_t: an update of α under its own name
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nα_t = α·√(1−β₂ᵗ)/(1−β₁ᵗ)\nθ = θ − α_t·m/(√v + ε·√(1−β₂ᵗ))",
        "m = b1*m + (1 - b1)*g\nv = b2*v + (1 - b2)*g^2\nm_hat = m/(1 - b1^t)\nv_hat = v/(1 - b2^t)\np = p - lr*m_hat/(sqrt(v_hat) + eps)",
        "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nm̂ = m/(1−β₁ᵗ)\nv̂ = v/(1−β₂ᵗ)\nθ = θ − α·m̂/(√v̂ + ε)",
        "m_t = beta1*m_{t-1} + (1-beta1)*g_t\nv_t = beta2*v_{t-1} + (1-beta2)*g_t^2\ntheta = theta - lr*(m_t/(1-beta1**t))/(sqrt(v_t/(1-beta2**t)) + eps)",
        "m = m + (1 - b1)*(g - m)\nv = v + (1 - b2)*(g*g - v)\nstep_size = lr/(1 - b1^t)\ndenom = sqrt(v)/sqrt(1 - b2^t) + eps\np = p - step_size*m/denom",
        # Goodfellow et al.: s, r for the moments
        "s = β1*s + (1 − β1)*g\nr = β2*r + (1 − β2)*g⊙g\ns_hat = s/(1 − β1^t)\nr_hat = r/(1 − β2^t)\nθ = θ − η*s_hat/(√r_hat + ε)",
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g**2\nbias1 = 1 - b1**t\nbias2 = 1 - b2**t\np = p - lr * (m / bias1) / (sqrt(v / bias2) + eps)",
        # torch's denominator, the corrections folded into lr with ε·√(1−β₂ᵗ): the same rule exactly
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nalpha_t = lr*sqrt(1 - b2^t)/(1 - b1^t)\np = p - alpha_t*m/(sqrt(v) + eps*sqrt(1 - b2^t))",
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nupdate = lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)\np -= update",
        "m = b1*m + (1 - b1)*g\nv = b2*v + (1 - b2)*g^2\nstep = lr*(m/(1 - b1^t))/(sqrt(v/(1 - b2^t)) + eps)\np = p - step",
        "m = b1 * m + (1 - b1) * g\n\nv = b2 * v + (1 - b2) * g**2   # second moment\nm_hat = m / (1 - b1**t)\nv_hat = v / (1 - b2**t)\np = p - lr * m_hat / (v_hat**0.5 + eps)",
        "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nθ = θ − η·(m/(1−β₁^t)) / (√(v/(1−β₂^t)) + ε)",
        "m = b1*m + (1 - b1)*g\nv = b2*v + (1 - b2)*g^2\nmhat = m/(1 - b1^step)\nvhat = v/(1 - b2^step)\np = p - lr*mhat/(sqrt(vhat) + eps)",
    ],
    "adam": [
        "g = g + wd*p\nm = b1*m + (1 - b1)*g\nv = b2*v + (1 - b2)*g^2\nm_hat = m/(1 - b1^t)\nv_hat = v/(1 - b2^t)\np = p - lr*m_hat/(sqrt(v_hat) + eps)",
        "g ← g + λ·θ\nm ← β₁·m + (1−β₁)·g\nv ← β₂·v + (1−β₂)·g²\nm̂ ← m/(1−β₁ᵗ)\nv̂ ← v/(1−β₂ᵗ)\nθ ← θ − η·m̂/(√v̂ + ε)",
        "grad = g + weight_decay*theta\nm = beta1*m + (1-beta1)*grad\nv = beta2*v + (1-beta2)*grad**2\ntheta = theta - lr*(m/(1-beta1**t))/(sqrt(v/(1-beta2**t)) + eps)",
        "d = g + lam*w\nexp_avg = b1*exp_avg + (1-b1)*d\nexp_avg_sq = b2*exp_avg_sq + (1-b2)*d*d\nbias_correction1 = 1 - b1**t\nbias_correction2 = 1 - b2**t\ndenom = sqrt(exp_avg_sq)/sqrt(bias_correction2) + eps\nw = w - lr/bias_correction1*exp_avg/denom",
        "g += wd*p\nm += (1 - b1)*(g - m)\nv += (1 - b2)*(g**2 - v)\np -= lr*(m/(1 - b1**t))/((v/(1 - b2**t))**0.5 + eps)",
        "g_t = g_t + λ·θ_{t-1}\nm_t = β₁·m_{t-1} + (1 − β₁)·g_t\nv_t = β₂·v_{t-1} + (1 − β₂)·g_t²\nm̂_t = m_t/(1 − β₁ᵗ)\nv̂_t = v_t/(1 − β₂ᵗ)\nθ_t = θ_{t-1} − α·m̂_t/(√v̂_t + ε)",
        "g = g + wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nalpha_t = lr*sqrt(1 - b2^t)/(1 - b1^t)\np = p - alpha_t*m/(sqrt(v) + eps*sqrt(1 - b2^t))",
        "g = g + wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v)/sqrt(1-b2^t) + eps)",
    ],
    "adamw": [
        "p = p - lr*wd*p\nm = b1*m + (1 - b1)*g\nv = b2*v + (1 - b2)*g^2\nm_hat = m/(1 - b1^t)\nv_hat = v/(1 - b2^t)\np = p - lr*m_hat/(sqrt(v_hat) + eps)",
        "θ = θ − η·λ·θ\nm = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nθ = θ − η·(m/(1−β₁ᵗ))/(√(v/(1−β₂ᵗ)) + ε)",
        "p = p*(1 - lr*wd)\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g**2\np = p - lr*(m/(1-b1**t))/(sqrt(v/(1-b2**t)) + eps)",
        # one line: the decay reads θ from before the step
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nm_hat = m/(1-b1^t)\nv_hat = v/(1-b2^t)\np = p - lr*(m_hat/(sqrt(v_hat) + eps) + wd*p)",
        # decay written after, but from the saved old weights: still θ_{t−1}
        "p_old = p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)\np = p - lr*wd*p_old",
        "θ_t = θ_{t-1} − η·λ·θ_{t-1}\nm_t = β₁·m_{t-1} + (1−β₁)·g_t\nv_t = β₂·v_{t-1} + (1−β₂)·g_t²\nm̂_t = m_t/(1−β₁ᵗ)\nv̂_t = v_t/(1−β₂ᵗ)\nθ_t = θ_t − η·m̂_t/(√v̂_t + ε)",
        "w *= 1 - lr*weight_decay\nexp_avg = beta1*exp_avg + (1-beta1)*grad\nexp_avg_sq = beta2*exp_avg_sq + (1-beta2)*grad*grad\ndenom = sqrt(exp_avg_sq)/sqrt(1-beta2**t) + eps\nw -= lr/(1-beta1**t)*exp_avg/denom",
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nupdate = (m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps) + wd*p\np = p - lr*update",
    ],
    "amsgrad": [
        "m = b1*m + (1 - b1)*g\nv = b2*v + (1 - b2)*g^2\nv_max = maximum(v_max, v)\nm_hat = m/(1 - b1^t)\np = p - lr*m_hat/(sqrt(v_max/(1 - b2^t)) + eps)",
        "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nv̂ = max(v̂, v)\nθ = θ − η·(m/(1−β₁ᵗ))/(√(v̂/(1−β₂ᵗ)) + ε)",
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g**2\nvmax = max(vmax, v)\ndenom = sqrt(vmax)/sqrt(1 - b2**t) + eps\np = p - lr/(1 - b1**t)*m/denom",
        "exp_avg = beta1*exp_avg + (1-beta1)*grad\nexp_avg_sq = beta2*exp_avg_sq + (1-beta2)*grad**2\nmax_exp_avg_sq = maximum(max_exp_avg_sq, exp_avg_sq)\ntheta -= lr*(exp_avg/(1-beta1**t))/(sqrt(max_exp_avg_sq/(1-beta2**t)) + eps)",
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = where(v > v_max, v, v_max)\np = p - lr*(m/(1-b1^t))/(sqrt(v_max)/sqrt(1-b2^t) + eps)",
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = max(v, v_max)\nm_hat = m/(1-b1^t)\nv_hat = v_max/(1-b2^t)\np -= lr*m_hat/(√v_hat + ε)",
        "m_t = β₁·m_{t-1} + (1−β₁)·g_t\nv_t = β₂·v_{t-1} + (1−β₂)·g_t²\nv̂_t = max(v̂_{t-1}, v_t)\nθ_t = θ_{t-1} − α·(m_t/(1−β₁ᵗ))/(√(v̂_t/(1−β₂ᵗ)) + ε)",
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = 0.5*(v_max + v + abs(v_max - v))\np = p - lr*(m/(1-b1^t))/(sqrt(v_max/(1-b2^t)) + eps)",
    ],
    "lion": [
        "c = b1*m + (1-b1)*g\np = p - lr*(torch.sign(c) + wd*p)\nm = b2*m + (1-b2)*g",
        "decay = lr*wd*p\nc = b1*m + (1-b1)*g\np = p - lr*sign(c) - decay\nm = b2*m + (1-b2)*g",
        "c = b1*m + (1 - b1)*g\np = p - lr*(sign(c) + wd*p)\nm = b2*m + (1 - b2)*g",
        "c = β₁·m + (1−β₁)·g\nθ = θ − η·(sign(c) + λ·θ)\nm = β₂·m + (1−β₂)·g",
        "update = sign(b1*m + (1-b1)*g)\nm = b2*m + (1-b2)*g\np = p*(1 - lr*wd) - lr*update",
        "u = sgn(beta1*m + (1 - beta1)*grad)\ntheta = theta - lr*u - lr*weight_decay*theta\nm = beta2*m + (1 - beta2)*grad",
        "p = p*(1 - lr*wd)\nc = b1*m + (1-b1)*g\np = p - lr*sign(c)\nm = b2*m + (1-b2)*g",
        "c = b1*m + (1-b1)*g\ns = (c > 0) - (c < 0)\np = p - lr*(s + wd*p)\nm = b2*m + (1-b2)*g",
        "exp_avg_new = b2*exp_avg + (1-b2)*g\nupdate = sign(b1*exp_avg + (1-b1)*g)\nexp_avg = exp_avg_new\np -= lr*(update + wd*p)",
        "c_t = β₁·m_{t-1} + (1 − β₁)·g_t\nθ_t = θ_{t-1} − η·(sign(c_t) + λ·θ_{t-1})\nm_t = β₂·m_{t-1} + (1 − β₂)·g_t",
        "interp = m*b1 + g*(1 - b1)\nm = m + (1 - b2)*(g - m)\np -= lr*sign(interp) + lr*wd*p",
    ],
    "clip-norm": [
        # `c` is an alias of max_norm; here it is the rule's own name for the norm
        "c = norm(g)\ng = g*min(1, max_norm/c)",
        "g = g*min(1, max_norm/np.linalg.norm(g))",
        "g = g*minimum(1, max_norm/torch.norm(g))",
        "g = g*min(1, max_grad_norm/(‖g‖_2 + 1e-6))",
        "g = g*min(1, max_norm/(norm(g) + 1e-6))",
        "n = ‖g‖\ng = g·min(1, max_norm/n)",
        "g = where(norm(g) > max_norm, g*max_norm/norm(g), g)",
        "scale = min(1.0, c/(sqrt(sum(g^2)) + 1e-6))\ng *= scale",
        "total = sqrt(sum(g*g))\ng = g/max(1, total/max_norm)",
        "g = g*max_norm/norm(g) if norm(g) > max_norm else g",
        "n = norm(g)\ng = g*max_norm/maximum(n, max_norm)",
        "g ← g·min(1, τ/‖g‖)",
        "g = g * clip(threshold/(norm(g) + 1e-6), 0, 1)",
        "clip_coef = max_norm/(norm(g) + 1e-6)\nclip_coef_clamped = min(clip_coef, 1.0)\ng = g*clip_coef_clamped",
        "g = g*min(1, max_norm/‖g‖₂)",
    ],
    "warmup-cosine": [
        "steps = total - warmup\nlr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/steps))/2)",
        "lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + math.cos(math.pi*(t - warmup)/(total - warmup)))/2)",
        "η = η_max·t/W if t ≤ W else η_min + ½·(η_max − η_min)·(1 + cos(π·(t − W)/(T − W)))",
        "lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)",
        "η = where(t < W, η_max·t/W, η_min + 0.5*(η_max − η_min)·(1 + cos(π·(t − W)/(T − W))))",
        "progress = (t - warmup)/(total - warmup)\nlr = lr_max*t/warmup if t <= warmup else lr_min + 0.5*(lr_max - lr_min)*(1 + cos(pi*progress))",
        # piecewise with min: the warmup line is below the cosine until W, above it after
        "progress = max(0, (t - warmup)/(total - warmup))\ncosine = lr_min + (lr_max - lr_min)*(1 + cos(pi*progress))/2\nlr = min(lr_max*t/warmup, cosine)",
        # (1 + cos x)/2 = cos²(x/2)
        "lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*cos(pi/2*(t - warmup)/(total - warmup))^2)",
        "lr = where(t <= warmup, lr_max*t/warmup, lr_max - (lr_max - lr_min)*(1 - cos(pi*(t - warmup)/(total - warmup)))/2)",
        "warm = peak_lr*min(1, t/warmup_steps)\nprogress = clip((t - warmup_steps)/(total_steps - warmup_steps), 0, 1)\ndecay = min_lr + (peak_lr - min_lr)*0.5*(1 + cos(π*progress))\nlr = where(t <= warmup_steps, warm, decay)",
        "p = (t − W)/(T − W)\nη = η_max·t/W if t ≤ W else η_min + (η_max − η_min)·(1 + cos(π·p))/2",
        "ratio = min(t/warmup, 1)\nprog = max(t - warmup, 0)/(total - warmup)\nlr = where(t > warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*prog))/2, ratio*lr_max)",
    ],
}

# -- Wrong answers: (text, the misconception it must be blamed on, or None) ---------------------

WRONG: dict[str, list[tuple[str, str | None]]] = {
    "sgd": [
        ("p = p + lr*(g + wd*p)", "step-uphill"),
        ("θ = θ − η·g", "no-weight-decay"),
        ("p = p - lr*g - wd*p", "decay-not-scaled-by-lr"),
        ("p = p - lr*(g - wd*p)", "decay-sign-flipped"),
        ("p = p - lr*g\np = p - lr*wd*p", "decay-after-step"),
        ("p = p - lr*(g + wd*p^2)", None),
        ("p = p - lr*(g + 0.5*wd*p)", None),  # the ½ of λ/2‖θ‖² kept in the gradient
        ("p = p - lr*g*(1 + wd)", None),
    ],
    "momentum": [
        ("buf = mu*buf + (1 - mu)*g\np = p - lr*buf", "ema-momentum"),
        ("buf = mu*buf + g\np = p + lr*buf", "step-uphill"),
        ("p = p - lr*g", "no-momentum"),
        ("p = p - lr*buf\nbuf = mu*buf + g", "stale-velocity"),
        ("v = μ·v + (1−μ)·g\nθ = θ − η·v", "ema-momentum"),
        ("buf = mu*buf + lr*g\np = p - lr*buf", None),  # lr applied twice
        ("buf = mu*buf + g\np = p - lr*(g + mu*buf)", "nesterov-in-momentum"),  # Nesterov, not asked for
        ("buf = (1 - mu)*buf + mu*g\np = p - lr*buf", None),
    ],
    "nesterov": [
        ("buf = mu*buf + g\np = p - lr*buf", "plain-momentum"),
        ("buf = mu*buf + g\np = p - lr*mu*buf", "lookahead-missing-gradient"),
        ("buf = mu*buf + (1 - mu)*g\np = p - lr*(g + mu*buf)", "ema-momentum"),
        ("buf = mu*buf + g\np = p + lr*(g + mu*buf)", "step-uphill"),
        # look-ahead through the *old* buffer: exactly heavy-ball momentum
        ("p = p - lr*(g + mu*buf)\nbuf = mu*buf + g", "plain-momentum"),
        ("buf = mu*buf + g\np = p - lr*(g + buf)", None),
        ("buf = mu*buf + g\np = p - lr*(mu*g + buf)", None),
        # in the v = μv − ηg convention, θ + μ·v is the look-ahead without the gradient
        ("v = mu*v - lr*g\np = p + mu*v", "lookahead-missing-gradient"),
        ("v = mu*v - lr*g\np = p + v - lr*g", None),
    ],
    "rmsprop": [
        ("v = rho*v + (1 - rho)*g^2\np = p - lr*g/sqrt(v + eps)", "eps-inside-sqrt"),
        ("v = rho*v + (1 - rho)*g^2\np = p - lr*g/(v + eps)", "forgot-sqrt"),
        ("v = rho*v + (1 - rho)*abs(g)\np = p - lr*g/(sqrt(v) + eps)", "abs-instead-of-square"),
        ("v = (1 - rho)*v + rho*g^2\np = p - lr*g/(sqrt(v) + eps)", "decay-swapped"),
        ("v = rho*v + (1 - rho)*g^2\np = p - lr*g/(sqrt(v/(1 - rho^t)) + eps)", "bias-corrected-rmsprop"),
        ("v = rho*v + (1 - rho)*g^2\np = p + lr*g/(sqrt(v) + eps)", "step-uphill"),
        ("p = p - lr*g/(sqrt(v) + eps)\nv = rho*v + (1 - rho)*g^2", None),  # stale v: divides by ε at step 1
        ("v = rho*v + g^2\np = p - lr*g/(sqrt(v) + eps)", None),
    ],
    "adagrad": [
        ("s = s + g^2\np = p - lr*g/sqrt(s + eps)", "eps-inside-sqrt"),
        ("s = s + g^2\np = p - lr*g/(s + eps)", "forgot-sqrt"),
        ("s = s + abs(g)\np = p - lr*g/(sqrt(s) + eps)", "abs-instead-of-square"),
        ("p = p - lr*g/(sqrt(s) + eps)\ns = s + g^2", "accumulate-after-step"),
        ("s = s + g^2\np = p + lr*g/(sqrt(s) + eps)", "step-uphill"),
        ("s = 0.9*s + 0.1*g^2\np = p - lr*g/(sqrt(s) + eps)", None),  # RMSprop, not Adagrad
        ("s = s + g\np = p - lr*g/(sqrt(s^2) + eps)", None),
        ("s = g^2\np = p - lr*g/(sqrt(s) + eps)", None),
    ],
    "adam-bias": [
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*m/(sqrt(v) + eps)", "no-bias-correction"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/sqrt(v/(1-b2^t) + eps)", "eps-inside-sqrt"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(v/(1-b2^t) + eps)", "forgot-sqrt"),
        ("m = b2*m + (1-b2)*g\nv = b1*v + (1-b1)*g^2\np = p - lr*(m/(1-b2^t))/(sqrt(v/(1-b1^t)) + eps)", "betas-swapped"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*abs(g)\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", "abs-instead-of-square"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v) + eps)", "only-m-corrected"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*m/(sqrt(v/(1-b2^t)) + eps)", "only-v-corrected"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^(t+1)))/(sqrt(v/(1-b2^(t+1))) + eps)", "bias-correction-t-plus-1"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1)^t)/(sqrt(v/(1-b2)^t) + eps)", "bias-correction-power-misplaced"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v)/(1-b2^t) + eps)", "bc2-outside-sqrt"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p + lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", "step-uphill"),
        # moments without the (1−β) factor: no catalogued mistake
        ("m = b1*m + g\nv = b2*v + g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", None),
        # bias-corrected moments fed back into the EMA
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nm = m/(1-b1^t)\nv = v/(1-b2^t)\np = p - lr*m/(sqrt(v) + eps)", None),
        # two mistakes at once: no bias correction AND ε inside the root — blame neither alone
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*m/sqrt(v + eps)", None),
        # v of the mean gradient squared: (β₂v + (1−β₂)m²)
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*m^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", None),
    ],
    "adam": [
        # with `grad` a new name, the second moment here sees the raw g: L2 only in m
        ("grad = g + wd*p\nm = b1*m + (1-b1)*grad\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", None),
        ("p = p - lr*wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", "decoupled-instead-of-l2"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", "no-weight-decay"),
        ("g = g + wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*m/(sqrt(v) + eps)", "no-bias-correction"),
        ("g = g + wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/sqrt(v/(1-b2^t) + eps)", "eps-inside-sqrt"),
        ("g = g + wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p + lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", "step-uphill"),
        ("g = g + wd*p\nm = b2*m + (1-b2)*g\nv = b1*v + (1-b1)*g^2\np = p - lr*(m/(1-b2^t))/(sqrt(v/(1-b1^t)) + eps)", "betas-swapped"),
        # L2 only in the first moment (the second moment sees the raw g)
        ("m = b1*m + (1-b1)*(g + wd*p)\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", None),
        # L2 added to the update, outside Adam's normalisation but without lr (neither L2 nor AdamW)
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps) - wd*p", None),
    ],
    "adamw": [
        ("g = g + wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", "l2-instead-of-decoupled"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)\np = p - lr*wd*p", "decay-after-step"),
        ("p = p - wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", "decay-not-scaled-by-lr"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", "no-weight-decay"),
        ("p = p - lr*wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*m/(sqrt(v) + eps)", "no-bias-correction"),
        ("p = p - lr*wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/sqrt(v/(1-b2^t) + eps)", "eps-inside-sqrt"),
        # decay inside the adaptive fraction
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t) + wd*p)/(sqrt(v/(1-b2^t)) + eps)", None),
        # decay sign flipped
        ("p = p + lr*wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", None),
    ],
    "amsgrad": [
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = maximum(v_max, v/(1 - b2^t))\np = p - lr*(m/(1 - b1^t))/(sqrt(v_max) + eps)", "max-of-corrected-v"),
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)", "no-max"),
        ("m = b1*m + (1-b1)*g\nv_max = maximum(v_max, g^2)\np = p - lr*(m/(1 - b1^t))/(sqrt(v_max/(1 - b2^t)) + eps)", "max-of-squared-gradient"),
        ("m = b1*m + (1-b1)*g\nv = maximum(v, b2*v + (1 - b2)*g^2)\np = p - lr*(m/(1 - b1^t))/(sqrt(v/(1 - b2^t)) + eps)", "max-fed-back-into-ema"),
        # max but no bias correction of the denominator
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = max(v_max, v)\np = p - lr*(m/(1-b1^t))/(sqrt(v_max) + eps)", None),
        # min instead of max
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = min(v_max, v)\np = p - lr*(m/(1-b1^t))/(sqrt(v_max/(1-b2^t)) + eps)", None),
        # ε inside the root
        ("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = max(v_max, v)\np = p - lr*(m/(1-b1^t))/sqrt(v_max/(1-b2^t) + eps)", None),
        # max taken before the EMA update (stale v)
        ("v_max = max(v_max, v)\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v_max/(1-b2^t)) + eps)", None),
    ],
    "lion": [
        # interpolation with the already-updated momentum (needs an instance with β₂ < β₁ to show)
        ("m = b2*m + (1 - b2)*g\nc = b1*m + (1 - b1)*g\np = p - lr*(sign(c) + wd*p)", None),
        ("m = b2*m + (1 - b2)*g\np = p - lr*(sign(m) + wd*p)", "lion-sign-of-updated-moment"),
        ("c = b2*m + (1 - b2)*g\np = p - lr*(sign(c) + wd*p)\nm = b1*m + (1 - b1)*g", "betas-swapped"),
        ("c = b1*m + (1 - b1)*g\np = p - lr*(c + wd*p)\nm = b2*m + (1 - b2)*g", "lion-no-sign"),
        ("c = b1*m + (1 - b1)*g\np = p - lr*sign(c + wd*p)\nm = b2*m + (1 - b2)*g", "decay-inside-sign"),
        ("c = b1*m + (1 - b1)*g\np = p - lr*sign(c) - wd*p\nm = b2*m + (1 - b2)*g", "decay-not-scaled-by-lr"),
        ("c = b1*m + (1 - b1)*g\np = p + lr*(sign(c) + wd*p)\nm = b2*m + (1 - b2)*g", "step-uphill"),
        # no weight decay at all
        ("c = b1*m + (1 - b1)*g\np = p - lr*sign(c)\nm = b2*m + (1 - b2)*g", None),
        # a single beta for both (signed momentum)
        ("m = b1*m + (1 - b1)*g\np = p - lr*(sign(m) + wd*p)", None),
    ],
    "clip-norm": [
        ("g = clip(g, -max_norm, max_norm)", "clip-by-value"),
        ("g = g*max_norm/norm(g)", "always-rescale"),
        ("g = g*min(1, max_norm/sum(g^2))", "squared-norm"),
        ("g = g*min(1, norm(g)/max_norm)", "inverted-ratio"),
        ("g = g*max(1, max_norm/norm(g))", None),  # max instead of min: scales small gradients up
        ("g = g*min(1, max_norm/norm(g))^2", None),
        ("g = g*min(1, max_norm/sum(abs(g)))", None),  # L1 norm
        # a per-coordinate "norm" is clipping by value in disguise
        ("g = g*min(1, max_norm/abs(g))", "clip-by-value"),
        ("g = g*min(1, max_norm/(norm(g) + 1))", None),  # a guard far too large
    ],
    "warmup-cosine": [
        ("lr = lr_min + (lr_max - lr_min)*(1 + cos(pi*t/total))/2", "cosine-no-warmup"),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_max*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)", "cosine-no-floor"),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*t/total))/2)", "cosine-progress-ignores-warmup"),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup))))", "cosine-missing-half"),
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + lr_max*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)", "floor-added-on-top"),
        # 0-based warmup (starts at 0 instead of η_max/W)
        ("lr = where(t <= warmup, lr_max*(t - 1)/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)", None),
        # cos without π
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos((t - warmup)/(total - warmup)))/2)", None),
        # linear decay instead of cosine
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_max - (lr_max - lr_min)*(t - warmup)/(total - warmup))", None),
        # sign of the cosine flipped (starts at the floor)
        ("lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 - cos(pi*(t - warmup)/(total - warmup)))/2)", None),
    ],
}


def _cases_correct():
    return [pytest.param(name, text, id=f"{name}-ok{i}") for name, texts in CORRECT.items() for i, text in enumerate(texts)]


def _cases_wrong():
    return [
        pytest.param(name, text, expected, id=f"{name}-bad{i}-{expected or 'none'}")
        for name, cases in WRONG.items()
        for i, (text, expected) in enumerate(cases)
    ]


def test_every_drill_has_enough_cases():
    # the twelve drills first written in Python; the drill files added since keep their right
    # and wrong answers in tests/test_new_drills_*.py
    assert set(CORRECT) == set(WRONG) == {"sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adam-bias", "adamw", "amsgrad", "lion", "clip-norm", "warmup-cosine"}
    assert set(CORRECT) <= set(DRILLS)
    for name in CORRECT:
        assert len(CORRECT[name]) >= 8, name
        assert len(WRONG[name]) >= 6, name


@pytest.mark.parametrize("name,text", _cases_correct())
def test_correct_answer_passes(name, text):
    verdict = judge(DRILLS[name], text)
    assert verdict.verdict == "pass", verdict.message
    assert verdict.variant is None, verdict.variant


@pytest.mark.parametrize("name,text,expected", _cases_wrong())
def test_wrong_answer_fails_with_the_right_misconception(name, text, expected):
    verdict = judge(DRILLS[name], text)
    assert verdict.verdict == "fail", verdict.message
    got = verdict.misconception.id if verdict.misconception else None
    assert got == expected, verdict.message


# -- Accepted variants: a different but legitimate convention passes and is named ----------------

VARIANT_ANSWERS = [
    ("adam-bias", "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*sqrt(1-b2^t)/(1-b1^t)*m/(sqrt(v) + eps)"),
    ("adam-bias", "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nα_t = α·√(1−β₂ᵗ)/(1−β₁ᵗ)\nθ = θ − α_t·m/(√v + ε)"),
    ("adam", "g = g + wd*p\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*sqrt(1-b2^t)/(1-b1^t)*m/(sqrt(v) + eps)"),
    ("adamw", "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*sqrt(1-b2^t)/(1-b1^t)*m/(sqrt(v) + eps) - lr*wd*p"),
    ("amsgrad", "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nv_max = max(v_max, v)\np = p - lr*sqrt(1-b2^t)/(1-b1^t)*m/(sqrt(v_max) + eps)"),
]


@pytest.mark.parametrize("name,text", VARIANT_ANSWERS)
def test_the_efficient_eps_hat_form_is_accepted_and_named(name, text):
    verdict = judge(DRILLS[name], text)
    assert verdict.verdict == "pass" and verdict.variant is not None and verdict.variant.id == "eps-hat", verdict.message


# -- Refusals say what to write instead ----------------------------------------------------------

_ADAM_OK = "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)"

REFUSALS = [
    # (drill, text, substrings the message must contain)
    ("sgd", "p = p - lr*(2g)", ["write * between factors"]),
    ("sgd", "p = p - η g", ["write * between factors"]),
    ("adam-bias", "m_t = β₁m_{t-1} + (1-β₁)g_t\np = p", ["write * between factors"]),
    ("warmup-cosine", "lr = lr_min + (lr_max - lr_min)*(1 + cos(π(t - warmup)/(total - warmup)))/2", ["π is not a function", "π*("]),
    ("sgd", "p = p - η(g + λ*p)", ["η is not a function"]),
    ("sgd", "p = p - 0.5(g)", ["cannot be called", "write * between factors"]),
    ("sgd", "p.data = p - lr*g", ["attribute access", "p.data"]),
    ("sgd", "p = p - lr*p.grad", ["attribute access"]),
    ("adam-bias", "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*m/(v.sqrt() + eps)", ["methods are not allowed", "sqrt(x)"]),
    ("adam-bias", "p = p - lr*np.random(g)", ["np.random is not in the language"]),
    ("adam-bias", "m[t] = b1*m[t-1] + (1-b1)*g", ["indexing"]),
    ("sgd", "def step(p, g):\n    return p - lr*g", ["definitions"]),
    ("sgd", "g = g + wd*p\n    p = p - lr*g", ["indented differently", "same column"]),
    ("clip-norm", "g = g*min(1, clip/norm(g))", ["clip is a function"]),
    ("adam-bias", "m = 0\nv = 0\n" + _ADAM_OK, ["would reset m at every step", "starts at 0"]),
    ("momentum", "buf = 0\nbuf = mu*buf + g\np = p - lr*buf", ["would reset buf"]),
    ("adam-bias", "eps = 1e-8\n" + _ADAM_OK, ["ε is given by the drill"]),
    ("adam-bias", "t = t + 1\n" + _ADAM_OK, ["t is given", "1 at the first step"]),
    ("adam-bias", "t = 0\n" + _ADAM_OK, ["t is given"]),
]


@pytest.mark.parametrize("name,text,needles", REFUSALS)
def test_refusals_explain_what_to_write(name, text, needles):
    verdict = judge(DRILLS[name], text)
    assert verdict.verdict == "refused", verdict.message
    for needle in needles:
        assert needle in verdict.message, verdict.message
    assert "\n" not in verdict.message


ACCEPTED_ODDITIES = [
    ("adam-bias", "# adam, from memory\n" + _ADAM_OK + "  # done"),
    ("adam-bias", _ADAM_OK.replace("\n", "\r\n") + "\r\n"),
    ("adam-bias", _ADAM_OK.replace("\n", "\n\n")),
    ("adam-bias", "\t" + _ADAM_OK.replace("\n", "\n\t")),
    ("adam-bias", _ADAM_OK + "\nt = t + 1"),  # advancing t after the last use changes nothing
    ("adam-bias", "m_0 = 0\nv_0 = 0\n" + _ADAM_OK),  # initial values under their own names: unused
    ("adam-bias", _ADAM_OK.replace("sqrt(", "torch.sqrt(")),
    ("adam-bias", _ADAM_OK.replace("sqrt(", "numpy.sqrt(")),
    ("warmup-cosine", "t = min(t, total)\nlr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(t - warmup)/(total - warmup)))/2)"),
    ("warmup-cosine", "lr = where(t <= warmup, lr_max*t/warmup, lr_min + (lr_max - lr_min)*(1 + np.cos(np.pi*(t - warmup)/(total - warmup)))/2)"),
]


@pytest.mark.parametrize("name,text", ACCEPTED_ODDITIES)
def test_comments_line_endings_indentation_and_module_prefixes_are_accepted(name, text):
    verdict = judge(DRILLS[name], text)
    assert verdict.verdict == "pass", verdict.message
