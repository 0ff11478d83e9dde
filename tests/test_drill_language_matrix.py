"""Matrix operations in the answer language (Muon): @, transpose, the Frobenius norm, shapes,
a bounded `repeat N:` loop — on numpy and on torch, with shape errors refused in one line."""

from __future__ import annotations

import numpy as np
import pytest

from gdgrill.drill.language import (
    MAX_REPEAT,
    RefusedAnswer,
    compile_rule,
    numpy_backend,
    parse_expression,
    parse_rule,
    torch_backend,
)

torch = pytest.importorskip("torch")

NAMES = {"X": (), "Y": (), "Z": (), "v": (), "lr": ("η",), "a": (), "b": (), "c": ()}
RNG = np.random.default_rng(13)
X = RNG.normal(size=(4, 3))
Y = RNG.normal(size=(3, 5))
Z = RNG.normal(size=(4, 5))
V = RNG.normal(size=3)


def backends():
    return [
        pytest.param(lambda: (numpy_backend(), np.asarray), id="numpy"),
        pytest.param(lambda: (torch_backend(torch.float64), lambda x: torch.as_tensor(x, dtype=torch.float64)), id="torch"),
    ]


def run(text: str, make, **arrays) -> dict:
    """Run ``text`` once on the backend; arrays are converted, numbers stay numbers."""
    backend, convert = make()
    rule = parse_rule(text, {**NAMES, **{k: () for k in arrays}})
    env = {k: convert(v) if isinstance(v, np.ndarray) else v for k, v in arrays.items()}
    compiled = compile_rule(rule, backend)
    compiled.init_state(env, convert(np.zeros((4, 3))))
    compiled.step(env)
    return env


def as_numpy(x) -> np.ndarray:
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


# -- The operations -------------------------------------------------------------------------


@pytest.mark.parametrize("make", backends())
def test_at_is_the_matrix_product(make):
    env = run("P = X @ Y\nq = X @ v", make, X=X, Y=Y, v=V)
    np.testing.assert_allclose(as_numpy(env["P"]), np.einsum("ij,jk->ik", X, Y), rtol=1e-12)
    np.testing.assert_allclose(as_numpy(env["q"]), np.einsum("ij,j->i", X, V), rtol=1e-12)


@pytest.mark.parametrize(
    "text",
    ["Xᵀ", "X.T", "transpose(X)", "np.transpose(X)", "X^ᵀ", "X^⊤", r"X^\top", r"X^{\top}", r"X^\intercal"],
)
@pytest.mark.parametrize("make", backends())
def test_every_spelling_of_the_transpose_transposes(make, text):
    env = run(f"W = {text}", make, X=X)
    np.testing.assert_array_equal(as_numpy(env["W"]), X.swapaxes(0, 1))


@pytest.mark.parametrize("make", backends())
def test_the_transpose_of_a_vector_or_a_number_is_itself(make):
    env = run("w = vᵀ\ns = lr.T", make, v=V, lr=0.5)
    np.testing.assert_array_equal(as_numpy(env["w"]), V)
    assert env["s"] == 0.5


@pytest.mark.parametrize("text", ["‖X‖_F", "‖X‖", "‖X‖_{F}", "norm(X)", "fro(X)", "np.linalg.norm(X)", r"\|X\|_F", r"\lVert X \rVert_{F}"])
@pytest.mark.parametrize("make", backends())
def test_the_norm_of_a_matrix_is_its_frobenius_norm(make, text):
    env = run(f"n = {text}", make, X=X)
    assert float(env["n"]) == pytest.approx(np.linalg.norm(X, "fro"), rel=1e-12)


@pytest.mark.parametrize("make", backends())
def test_rows_cols_and_numel_are_plain_numbers(make):
    env = run("r = rows(X)\nk = cols(X)\nn = numel(X)\nrv = rows(v)\nkv = cols(v)\ns = lr*sqrt(max(1, rows(X)/cols(X)))", make, X=X, v=V, lr=0.1)
    assert (env["r"], env["k"], env["n"], env["rv"], env["kv"]) == (4, 3, 12, 3, 1)
    # a number, as torch.optim keeps the learning rate: sqrt(4/3)·0.1 with no tensor made
    assert isinstance(env["s"], float) and env["s"] == pytest.approx(0.1 * np.sqrt(4 / 3))


# -- Precedence --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("X @ Y * 2", lambda: (X @ Y) * 2),  # @ binds like * and /, left to right (as in Python)
        ("2 * X @ Y", lambda: 2 * (X @ Y)),
        ("Z + X @ Y", lambda: Z + X @ Y),
        ("X @ Y^2", lambda: X @ (Y**2)),
        ("X @ Xᵀ @ Z", lambda: (X @ X.T) @ Z),
        ("-Xᵀ @ Z", lambda: -(X.T @ Z)),
        ("(X @ Y)ᵀ", lambda: (X @ Y).T),
        ("X @ Yᵀᵀ", lambda: X @ Y),
        ("Zᵀ^2", lambda: (Z.T) ** 2),
        ("2*Xᵀ", lambda: 2 * X.T),
    ],
)
def test_precedence_of_at_and_the_transpose(text, expected):
    env = run(f"W = {text}", lambda: (numpy_backend(), np.asarray), X=X, Y=Y, Z=Z)
    np.testing.assert_allclose(env["W"], expected(), rtol=1e-12)


def test_an_elementwise_product_before_at_is_taken_first():
    A, B, C = (RNG.normal(size=(3, 3)) for _ in range(3))
    env = run("W = A * B @ C", lambda: (numpy_backend(), np.asarray), A=A, B=B, C=C)
    np.testing.assert_allclose(env["W"], np.einsum("ij,jk->ik", A * B, C), rtol=1e-12)
    assert not np.allclose(env["W"], A * (B @ C))


# -- Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("make", backends())
def test_a_product_of_shapes_that_do_not_fit_names_both_shapes_and_the_line(make):
    with pytest.raises(RefusedAnswer) as info:
        run("W = X\nW = X @ Z", make, X=X, Z=Z)
    err = info.value
    assert err.line == 2
    assert "(4, 3) and (4, 5)" in err.reason and "columns (3)" in err.reason and "rows (4)" in err.reason
    assert "\n" not in str(err)


@pytest.mark.parametrize("make", backends())
def test_a_number_times_a_matrix_with_at_says_to_use_star(make):
    with pytest.raises(RefusedAnswer, match=r"left side is a number.*\*"):
        run("W = lr @ X", make, X=X, lr=0.1)


def test_at_with_a_written_number_is_refused_when_parsed_at_its_column():
    with pytest.raises(RefusedAnswer) as info:
        parse_rule("W = X + 2 @ X", NAMES)
    assert (info.value.line, info.value.col) == (1, 9)
    assert "2*X" in info.value.reason


@pytest.mark.parametrize("make", backends())
def test_shapes_of_more_than_two_axes_are_refused(make):
    with pytest.raises(RefusedAnswer, match=r"transpose takes a matrix, not an array of shape \(2, 2, 2\)"):
        run("W = transpose(X)", make, X=np.ones((2, 2, 2)))


@pytest.mark.parametrize(("text", "words"), [("W = X^T", "X.T"), ("W = X.t()", "X.T"), ("W = X.transpose()", "transpose(X)")])
def test_other_transpose_spellings_are_refused_saying_what_to_write(text, words):
    with pytest.raises(RefusedAnswer) as info:
        parse_rule(text, NAMES)
    assert words in info.value.reason


def test_x_caret_t_is_a_power_where_t_is_a_name():
    rule = parse_rule("W = X^T", {**NAMES, "T": ()})
    env = {"X": np.full((2, 2), 2.0), "T": 3.0}
    compile_rule(rule).step(env)
    np.testing.assert_array_equal(env["W"], np.full((2, 2), 8.0))


# -- where with one condition picks a whole branch -------------------------------------------


@pytest.mark.parametrize("make", backends())
def test_one_condition_picks_a_branch_of_another_shape(make):
    tall = run("W = Xᵀ if rows(X) > cols(X) else X", make, X=X)["W"]
    wide = run("W = Xᵀ if rows(X) > cols(X) else X", make, X=Y)["W"]
    assert tuple(tall.shape) == (3, 4) and tuple(wide.shape) == (3, 5)


# -- repeat N: ---------------------------------------------------------------------------------

NEWTON_SCHULZ_STEP = "A = X @ Xᵀ\n{i}B = b*A + c*A@A\n{i}X = a*X + B@X"


@pytest.mark.parametrize(
    "loop",
    [
        "repeat 3:\n    " + NEWTON_SCHULZ_STEP.format(i="    "),
        "repeat 3 times:\n  " + NEWTON_SCHULZ_STEP.format(i="  "),
        "for _ in range(3):\n\t" + NEWTON_SCHULZ_STEP.format(i="\t"),
        "for k in range(3):\n    " + NEWTON_SCHULZ_STEP.format(i="    "),
    ],
)
@pytest.mark.parametrize("make", backends())
def test_repeat_runs_its_lines_n_times_in_order(make, loop):
    hp = {"a": 3.4445, "b": -4.775, "c": 2.0315}
    looped = run(f"X = X/‖X‖\n{loop}\nW = 2*X", make, X=X, **hp)
    x = X / np.linalg.norm(X)
    for _ in range(3):
        gram = x @ x.T
        x = hp["a"] * x + (hp["b"] * gram + hp["c"] * gram @ gram) @ x
    np.testing.assert_allclose(as_numpy(looped["W"]), 2 * x, rtol=1e-12)


def test_a_loop_is_unrolled_and_a_name_read_before_it_is_assigned_stays_state():
    rule = parse_rule("repeat 4:\n    u = u + X\nW = u", NAMES)
    assert len(rule.statements) == 5 and rule.state == ("u",)
    env = {"X": np.ones(3)}
    compiled = compile_rule(rule)
    compiled.init_state(env, np.zeros(3))
    compiled.step(env)
    compiled.step(env)
    np.testing.assert_array_equal(env["W"], np.full(3, 8.0))  # 4 per step, carried over


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (f"repeat {MAX_REPEAT + 1}:\n    X = X", (1, 8), f"from 1 to {MAX_REPEAT}"),
        ("repeat 0:\n    X = X", (1, 8), "whole number"),
        ("repeat 2.5:\n    X = X", (1, 8), "whole number"),
        ("W = X\nrepeat 2:\nW = W", (3, 1), "go under it"),
        ("repeat 2:\n    X = X\n  W = X", (3, 1), "indented"),
        ("for x in X:\n    W = x", (1, 1), "repeat N:"),
        ("for k in range(2):\n    W = W*k", (2, 11), "loop counter k"),
        ("repeat 2:\n    if X > 0:\n        W = X", (2, 5), "if statements are not allowed"),
    ],
)
def test_loops_that_are_not_a_fixed_repeat_are_refused_at_the_right_place(text, where, words):
    with pytest.raises(RefusedAnswer) as info:
        parse_rule(text, {**NAMES, "W": ()})
    assert (info.value.line, info.value.col) == where, info.value
    assert words in info.value.reason


def test_the_statement_limit_counts_the_lines_written_not_the_unrolled_ones():
    body = "\n".join(f"    X = X + {k}" for k in range(30))
    rule = parse_rule(f"repeat {MAX_REPEAT}:\n{body}", NAMES)
    assert len(rule.statements) == 30 * MAX_REPEAT
    with pytest.raises(RefusedAnswer, match="the limit is 40"):
        parse_rule(f"repeat 2:\n{body}\n{body}", NAMES)


def test_parse_expression_reads_matrix_operations_too():
    expr = parse_expression("‖Xᵀ @ X‖_F / numel(X)", ["X"])
    from gdgrill.drill.language import evaluate

    assert evaluate(expr, {"X": X}) == pytest.approx(np.linalg.norm(X.T @ X) / 12)
