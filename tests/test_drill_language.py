"""The answer language: whiteboard notation in, a whitelist interpreter out; hostile text refused."""

from __future__ import annotations

import ast
import re
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdgrill.drill.language import (
    MAX_CHARS,
    Bin,
    Num,
    RefusedAnswer,
    Var,
    compile_rule,
    evaluate,
    normalize,
    parse_expression,
    parse_rule,
)
from gdgrill.errors import ExitCode, UserError

ADAM_NAMES = {
    "p": ("θ", "theta", "w", "param"),
    "g": ("grad",),
    "lr": ("η", "eta", "α", "alpha"),
    "b1": ("β1", "beta1"),
    "b2": ("β2", "beta2"),
    "eps": ("ε", "epsilon"),
    "wd": ("λ", "lam", "lambda", "weight_decay"),
    "t": (),
}


def run_once(text: str, env: dict, names=ADAM_NAMES) -> dict:
    rule = parse_rule(text, names)
    compiled = compile_rule(rule)
    env = dict(env)
    compiled.init_state(env, np.zeros(3))
    compiled.step(env)
    return env


ENV = {"p": np.array([1.0, -2.0, 0.5]), "g": np.array([0.3, 0.0, -4.0]), "lr": 0.1, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "wd": 0.01, "t": 1.0}


# -- Notation -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "p = p - lr*g",
        "θ = θ - η*g",
        "theta -= eta * grad",
        "w = w − α·g",
        "param ← param - alpha × g",
        "θ_t = θ_{t−1} − η·g_t",
        "θ = θ - η*g  # a comment",
    ],
)
def test_notations_of_one_sgd_step_agree(text):
    np.testing.assert_allclose(run_once(text, ENV)["p"], ENV["p"] - 0.1 * ENV["g"])


def test_powers_superscripts_and_roots_are_whiteboard_friendly():
    env = run_once("a = β₁ᵗ\nb = β2^2\nc = g²\nd = √(g² + ε)\ne = √v̂ + ‖g‖\np = p", {**ENV, "v_hat": np.ones(3)}, {**ADAM_NAMES, "v_hat": ()})
    assert env["a"] == pytest.approx(0.9)
    assert env["b"] == pytest.approx(0.999**2)
    np.testing.assert_allclose(env["c"], ENV["g"] ** 2)
    np.testing.assert_allclose(env["d"], np.sqrt(ENV["g"] ** 2 + 1e-8))
    np.testing.assert_allclose(env["e"], 1 + np.linalg.norm(ENV["g"]))


def test_combining_hats_and_subscripts_name_the_same_variable():
    rule = parse_rule("m̂ = g\nm_hat = m_hat + 1\nβ₁ = 0.5\nbeta_1 = beta_1 + 1\np = p", ADAM_NAMES)
    assert [s.target for s in rule.statements[:2]] == ["m_hat", "m_hat"]
    assert [s.target for s in rule.statements[2:4]] == ["b1", "b1"]


def test_lambda_is_a_name_for_weight_decay_not_a_keyword():
    env = run_once("p = p - lr*lambda*p", ENV)
    np.testing.assert_allclose(env["p"], ENV["p"] * (1 - 0.1 * 0.01))


def test_augmented_assignments_update_in_place():
    env = run_once("x = g\nx += 1\nx -= 0.5\nx *= 2\nx /= 4\np = x", ENV)
    np.testing.assert_allclose(env["p"], (ENV["g"] + 0.5) * 2 / 4)


def test_names_read_before_assignment_are_state_starting_at_zero():
    rule = parse_rule("m = b1*m + g\nv = v + m\np = p - lr*v", ADAM_NAMES)
    assert rule.state == ("m", "v")
    compiled = compile_rule(rule)
    env = dict(ENV)
    compiled.init_state(env, np.zeros(3))
    compiled.step(env)
    np.testing.assert_allclose(env["m"], ENV["g"])
    compiled.step(env)
    np.testing.assert_allclose(env["m"], 0.9 * ENV["g"] + ENV["g"])


def test_comparisons_and_conditionals_work_elementwise():
    env = run_once("s = (g > 0) - (g < 0)\nq = where(g > 0, 1, -1)\nr = 1 if t <= 1 else 2\np = p", ENV)
    np.testing.assert_array_equal(env["s"], np.sign(ENV["g"]))
    np.testing.assert_array_equal(env["q"], [1, -1, -1])
    assert env["r"] == 1


def test_functions_available():
    env = run_once(
        "a = maximum(g, 0) + min(g, 0)\nb = clip(g, -1, 1)\nc = abs(g) + sign(g) + exp(0*g) + log(1 + abs(g))\n"
        "d = sum(g) + mean(g) + norm(g) + pow(2, 3) + cos(pi) + tanh(0)\np = p",
        ENV,
    )
    np.testing.assert_allclose(env["a"], ENV["g"])
    np.testing.assert_allclose(env["b"], np.clip(ENV["g"], -1, 1))
    assert float(env["d"]) == pytest.approx(ENV["g"].sum() + ENV["g"].mean() + np.linalg.norm(ENV["g"]) + 8 - 1)


def test_row_and_column_means_keep_the_matrix_shape_so_factors_broadcast_back():
    """Adafactor's factored second moment: R·C/mean(R) rebuilds a rank-one g² exactly."""
    g = np.outer([1.0, 2.0, 3.0], [0.5, 1.0, 2.0, 4.0])
    env = run_once("r = row_mean(g^2)\nc = colmean(g^2)\nv = r*c/mean(r)\np = p", {**ENV, "p": np.zeros((3, 4)), "g": g})
    np.testing.assert_allclose(env["r"], (g**2).mean(axis=1, keepdims=True))
    np.testing.assert_allclose(env["c"], (g**2).mean(axis=0, keepdims=True))
    assert env["r"].shape == (3, 1) and env["c"].shape == (1, 4)
    np.testing.assert_allclose(env["v"], g**2)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_a_column_mean_of_a_vector_is_refused_on_its_line(backend):
    from gdgrill.drill.language import numpy_backend, torch_backend

    if backend == "torch":
        pytest.importorskip("torch")
    chosen = numpy_backend() if backend == "numpy" else torch_backend()
    compiled = compile_rule(parse_rule("p = p\nc = col_mean(g)", ADAM_NAMES), chosen)
    env = {**ENV, "g": ENV["g"] if backend == "numpy" else chosen.zeros_like(ENV["g"])}
    with pytest.raises(RefusedAnswer) as info:
        compiled.step(env)
    assert info.value.line == 2


def test_normalize_remembers_where_each_character_came_from():
    text, origin = normalize("θ = √v̂")
    assert text == "θ = sqrt(v_hat)"
    assert origin[text.index("sqrt")] == 4  # the √


def test_parse_expression_and_evaluate_a_formula():
    expr = parse_expression("μ·(1 − β₁ᵗ)", {"mu": ("μ",), "b1": ("β1",), "t": ()})
    assert isinstance(expr, Bin) and expr.op == "*"
    assert evaluate(expr, {"mu": 2.0, "b1": 0.9, "t": 3}) == pytest.approx(2 * (1 - 0.9**3))
    assert parse_expression("2^10", []) == Num(1024.0)
    assert parse_expression("b1", ["b1"]) == Var("b1")


def test_parse_expression_refuses_unknown_names_listing_the_known_ones():
    with pytest.raises(RefusedAnswer, match=r"unknown name 'x' \(available: b1, t\)"):
        parse_expression("b1 + x", ["b1", "t"])


# -- Refusals ------------------------------------------------------------------------------------

HOSTILE = {
    "import": "import os",
    "from-import": "from os import system",
    "dunder-import": "p = __import__('os').system('true')",
    "attribute": "p = p.__class__",
    "numpy-attribute": "p = np.random(p)",
    "numpy-dunder": "p = np.__dict__",
    "module-chain": "p = np.sqrt.__call__(p)",
    "method-call": "p = p.sqrt()",
    "subscript": "p = g[0]",
    "string": "p = 'hello'",
    "bytes": "p = b'x'",
    "f-string": "p = f'{g}'",
    "lambda": "f = lambda x: x",
    "comprehension": "p = [x for x in g]",
    "generator": "p = sum(x for x in g)",
    "for-loop": "for i in g:\n    p = p",
    "while-loop": "while 1:\n    p = p",
    "walrus": "p = (q := 3)",
    "statement-walrus": "p := 3",
    "def": "def f():\n    return 1",
    "class": "class A:\n    pass",
    "if": "if g > 0:\n    p = p",
    "and-or": "p = g and p",
    "not": "p = not g",
    "call-unknown": "p = eval('1')",
    "call-open": "p = open('/etc/passwd')",
    "call-keyword": "p = clip(g, lo=0, hi=1)",
    "call-star": "p = maximum(*g)",
    "call-wrong-arity": "p = sqrt(g, g)",
    "call-expression": "p = (lambda: g)()",
    "call-result": "p = sqrt(g)(g)",
    "unknown-name": "p = p - lr*q",
    "tuple-target": "p, q = g, g",
    "chained-assign": "p = q = g",
    "assign-function": "sqrt = 1",
    "assign-pi": "pi = 3",
    "bare-expression": "p - lr*g",
    "equality-as-assign": "p == g",
    "dict": "p = {1: 2}",
    "list": "p = [1, 2]",
    "bool": "p = True",
    "none": "p = None",
    "complex": "p = 1j",
    "ellipsis": "p = ...",
    "floor-division": "p = g // 2",
    "matmul-of-a-number": "p = 2 @ g",
    "repeat-a-name": "repeat t:\n    p = p",
    "repeat-too-often": "repeat 1000000:\n    p = p",
    "repeat-nested": "repeat 2:\n    repeat 2:\n        p = p",
    "repeat-empty": "repeat 2:\np = p",
    "loop-counter-read": "for i in range(3):\n    p = p*i",
    "bitwise": "p = g | 1",
    "chained-compare": "p = where(0 < g < 1, g, 0)",
    "global": "global p",
    "del": "del p",
    "try": "try:\n    p = 1\nexcept:\n    pass",
    "with": "with g:\n    p = 1",
    "assert": "assert p",
    "return": "return p",
    "yield": "p = (yield)",
    "await": "p = await g",
    "annotation": "p: float = 1",
    "starred-assign": "*p, = g",
    "syntax-error": "p = p +* g",
    "unclosed": "p = (p",
    "unknown-character": "p = θ ⊗ g",
    "backslash": "p = p \\ g",
    "empty": "",
    "blank": "   \n\t\n",
    "only-comment": "# nothing here",
    "nul": "p = p\x00",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_answers_are_refused_with_a_position_and_one_line(name):
    with pytest.raises(RefusedAnswer) as info:
        parse_rule(HOSTILE[name], ADAM_NAMES)
    err = info.value
    assert isinstance(err, UserError) and err.exit_code == ExitCode.USAGE
    assert err.line >= 1 and err.col >= 1
    assert str(err).startswith(f"line {err.line}, col {err.col}: ")
    assert "\n" not in str(err)


def test_refusal_points_at_the_users_own_column_after_normalization():
    with pytest.raises(RefusedAnswer) as info:
        parse_rule("θ = √g + ε·q", ADAM_NAMES)
    assert (info.value.line, info.value.col) == (1, 12)  # q, counted in the text as typed
    assert "available" in info.value.reason and "lr" in info.value.reason


def test_refusal_on_a_later_line():
    with pytest.raises(RefusedAnswer) as info:
        parse_rule("m = g\nv = g\np = p.data", ADAM_NAMES)
    assert info.value.line == 3 and info.value.col == 5


BOMBS = {
    "tower-of-powers": "p = 9**9**9**9",
    "huge-power": "p = 10**100000000",
    "huge-power-caret": "p = 10^100000000",
    "huge-literal": "p = " + "9" * 3990,
    "float-overflow": "p = 1e308 * 1e308",
    "division-by-zero-constant": "p = 1/0",
    "long-input": "p = p" + " + g" * (MAX_CHARS // 4 + 10),
    "deep-parens": "p = " + "(" * 5000 + "1" + ")" * 5000,
    "deep-brackets": "p = " + "[" * 3000,
    "deep-unary": "p = " + "-" * 3900 + "g",
    "deep-calls": "p = " + "sqrt(" * 1000 + "g" + ")" * 1000,
    "many-statements": "\n".join(["p = p"] * 79),
    "many-semicolon-statements": "; ".join(["p = p"] * 500),
    "many-nodes": "p = " + " + ".join(["g"] * 900),
    "many-lines": "\n" * 10000 + "p = p",
    "nul-bytes": "\x00" * 1000,
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_resource_bombs_are_refused_fast_with_bounded_memory(name):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(RefusedAnswer) as info:
            parse_rule(BOMBS[name], ADAM_NAMES)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - start < 1.0
    assert peak < 64 * 1024 * 1024
    assert "\n" not in str(info.value)


def test_constant_folding_keeps_ordinary_constants():
    rule = parse_rule("p = p - 2**-3*g", ADAM_NAMES)
    assert any(isinstance(node, Num) and node.value == 0.125 for node in ast_walk(rule.statements[0].value))


def ast_walk(expr):
    stack = [expr]
    while stack:
        e = stack.pop()
        yield e
        for attr in ("left", "right", "operand"):
            if hasattr(e, attr):
                stack.append(getattr(e, attr))
        stack.extend(getattr(e, "args", ()))


def test_runtime_errors_are_refusals_naming_the_line():
    rule = parse_rule("x = g\np = p + x", {**ADAM_NAMES})
    compiled = compile_rule(rule)
    env = {**ENV, "g": np.ones(4)}  # does not broadcast with p's 3 elements
    with pytest.raises(RefusedAnswer) as info:
        compiled.step(env)
    assert info.value.line == 2


def test_the_interpreter_never_calls_eval_or_exec_and_compiles_only_to_an_ast(monkeypatch):
    import builtins

    real_compile = builtins.compile

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    def ast_only(source, filename, mode, flags=0, *args, **kwargs):
        # ast.parse is compile(..., PyCF_ONLY_AST): it builds a tree and never makes code
        assert flags & ast.PyCF_ONLY_AST, "compile() asked for code, not a tree"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", ast_only)
    run_once("m = b1*m + (1-b1)*g\np = p - lr*m/(sqrt(m*m) + eps)", ENV)


# -- Fuzz --------------------------------------------------------------------------------------

ALPHABET = st.sampled_from(
    list("pgmvt θηβ₁₂εᵗ²√‖^·×−=+-*/()[]{}.,:;'\"#@%&|<>!?~`\\\n\t0123456789e_abcxyz") + ["**", "lambda", "import", "sqrt(", "where(", "1e308", "__"]
)


def only_refusals(text: str) -> None:
    try:
        rule = parse_rule(text, ADAM_NAMES)
    except RefusedAnswer as exc:
        assert str(exc).startswith("line ")
        return
    compiled = compile_rule(rule)
    env = dict(ENV)
    compiled.init_state(env, np.zeros(3))
    with np.errstate(all="ignore"):
        try:
            compiled.step(env)
        except RefusedAnswer:
            pass


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_fuzz_random_text_only_ever_raises_refusals(text):
    only_refusals(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_arbitrary_unicode_only_ever_raises_refusals(text):
    only_refusals(text)


NAMES = st.sampled_from(["p", "g", "m", "v", "lr", "t", "eps", "q", "os", "__import__", "sqrt", "np"])


def exprs():
    leaves = st.one_of(
        NAMES.map(lambda n: ast.Name(n, ast.Load())),
        st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=3), st.booleans(), st.none()).map(ast.Constant),
    )

    def extend(children):
        return st.one_of(
            st.tuples(children, st.sampled_from([ast.Add(), ast.Sub(), ast.Mult(), ast.Div(), ast.Pow(), ast.Mod(), ast.BitXor(), ast.MatMult()]), children).map(lambda x: ast.BinOp(x[0], x[1], x[2])),
            st.tuples(st.sampled_from([ast.USub(), ast.UAdd(), ast.Not(), ast.Invert()]), children).map(lambda x: ast.UnaryOp(x[0], x[1])),
            st.tuples(st.sampled_from(["sqrt", "where", "maximum", "eval", "open", "norm", "clip"]), st.lists(children, max_size=3)).map(lambda x: ast.Call(ast.Name(x[0], ast.Load()), x[1], [])),
            st.tuples(children, NAMES).map(lambda x: ast.Attribute(x[0], x[1], ast.Load())),
            st.tuples(children, children).map(lambda x: ast.Subscript(x[0], x[1], ast.Load())),
            st.tuples(children, children).map(lambda x: ast.Compare(x[0], [ast.Lt()], [x[1]])),
            st.tuples(children, children, children).map(lambda x: ast.IfExp(x[0], x[1], x[2])),
            st.lists(children, max_size=3).map(lambda xs: ast.List(xs, ast.Load())),
            children.map(lambda c: ast.Lambda(ast.arguments([], [ast.arg("x")], None, [], [], None, []), c)),
            children.map(lambda c: ast.NamedExpr(ast.Name("z", ast.Store()), c)),
        )

    return st.recursive(leaves, extend, max_leaves=12)


def statements():
    assign = st.tuples(NAMES, exprs()).map(lambda x: ast.Assign([ast.Name(x[0], ast.Store())], x[1]))
    aug = st.tuples(NAMES, exprs()).map(lambda x: ast.AugAssign(ast.Name(x[0], ast.Store()), ast.Add(), x[1]))
    other = exprs().map(ast.Expr)
    return st.one_of(assign, assign, aug, other)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements(), min_size=1, max_size=5))
def test_fuzz_random_syntax_trees_only_ever_raise_refusals(body):
    module = ast.fix_missing_locations(ast.Module(body, []))
    try:
        text = ast.unparse(module)
    except Exception:  # an unparseable tree is hypothesis' problem, not ours
        return
    only_refusals(text)


def test_parsing_odd_text_prints_no_python_warnings(recwarn):
    for text in ("p = 2(g)", "p = 'a' is 'a'", "p = '\\d'"):
        with pytest.raises(RefusedAnswer):
            parse_rule(text, ADAM_NAMES)
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]


# -- Input as people write it: LaTeX, byte-order marks, line endings ------------------------------

LATEX_ADAM = (
    r"m_t \leftarrow \beta_1 \cdot m_{t-1} + (1 - \beta_1) \cdot g_t \\"
    "\n"
    r"v_t \leftarrow \beta_2 \cdot v_{t-1} + (1 - \beta_2) \cdot g_t \odot g_t \\"
    "\n"
    r"\hat{m}_t = \frac{m_t}{1 - \beta_1^t} \\ \hat{v}_t = \frac{v_t}{1 - \beta_2^t}"
    "\n"
    r"\theta_{t+1} = \theta_t - \eta \cdot \frac{\hat{m}_t}{\sqrt{\hat v_t} + \epsilon}"
)


def test_whiteboard_latex_runs_as_the_same_rule():
    from gdgrill.drill.catalog import DRILLS
    from gdgrill.drill.judge import judge

    assert judge(DRILLS["adam-bias"], LATEX_ADAM).verdict == "pass"
    assert judge(DRILLS["adam-bias"], f"$${LATEX_ADAM}$$").verdict == "pass"


@pytest.mark.parametrize(
    "latex,plain",
    [
        (r"\hat{m}_t", "m_hat"),
        (r"\beta_1^t", "b1**t"),
        (r"\sqrt{\hat v_t}", "sqrt(v_hat)"),
        (r"\frac{g}{\eta}", "g/lr"),
        (r"\eta \cdot g", "lr*g"),
        (r"g \odot g", "g*g"),
        (r"\epsilon", "eps"),
        (r"\theta_{t+1}", "p"),
        (r"\left( 1 - \beta_2 \right)", "1 - b2"),
        (r"\max(\hat{v}_{t-1}, v_t)", "max(v_hat, v)"),
        (r"\operatorname{sign}(g)", "sign(g)"),
    ],
)
def test_latex_pieces_mean_what_they_say(latex, plain):
    names = {**ADAM_NAMES, "m_hat": (), "v_hat": (), "v": ()}
    env = {**ENV, "g": np.array([0.5, -1.0, 2.0]), "m_hat": np.array([0.1, 0.2, 0.3]), "v_hat": np.array([4.0, 9.0, 16.0]), "v": np.array([1.0, 1.0, 1.0])}
    mine = parse_rule(f"x = {latex}", names)
    theirs = parse_rule(f"x = {plain}", names)
    a = compile_rule(mine)
    b = compile_rule(theirs)
    e1, e2 = dict(env), dict(env)
    a.step(e1)
    b.step(e2)
    np.testing.assert_allclose(e1["x"], e2["x"])


def test_a_latex_refusal_points_at_the_command_and_says_what_to_write():
    with pytest.raises(RefusedAnswer) as info:
        parse_rule(r"p = p - \eta \cdot \nabla g", ADAM_NAMES)
    assert (info.value.line, info.value.col) == (1, 20)
    assert r"\nabla" in info.value.reason and "plain notation" in info.value.reason


@pytest.mark.parametrize("text", ["\ufeffp = p - lr*g", "p = p - lr*g\r\n", "x = g\rp = p - lr*x", "p = p\u200b - lr*g"])
def test_byte_order_marks_zero_width_spaces_and_any_line_ending_are_fine(text):
    rule = parse_rule(text, ADAM_NAMES)
    assert rule.statements[-1].target == "p"


def test_positions_after_a_byte_order_mark_and_crlf_are_the_users():
    with pytest.raises(RefusedAnswer) as info:
        parse_rule("\ufeffm = g\r\np = p + q", ADAM_NAMES)
    assert (info.value.line, info.value.col) == (2, 9)


# -- Refusals never leak the parser's own words ---------------------------------------------------

LEAKY = [
    "p = p \\ g",  # unexpected character after line continuation character
    "p = p +* g",  # invalid syntax
    "p = (p",  # '(' was never closed
    "p = p)",  # unmatched ')'
    "p = 'a",  # unterminated string literal
    "p = 05",  # leading zeros in decimal integer literals
    "p+1 = g",  # cannot assign to expression here. Maybe you meant '==' instead of '='?
    "if p\n",  # expected ':'
    "match p:\n case 1:\n  pass",  # Match is not allowed
    "p = [x for x in g]",
    "p = " + "9" * 5000,  # Exceeds the limit (4300 digits) …
]


@pytest.mark.parametrize("text", LEAKY)
def test_refusals_say_what_to_write_in_plain_words(text):
    with pytest.raises(RefusedAnswer) as info:
        parse_rule(text, ADAM_NAMES)
    reason = info.value.reason
    for leak in ("line continuation", "invalid syntax", "was never closed", "unterminated", "Perhaps", "Maybe you meant", "Match", "set_int_max_str_digits", "U+"):
        assert leak not in reason, reason
    assert not re.search(r"\b[A-Z][a-z]+[A-Z]\w*\b", reason), reason  # no class names (ListComp, BinOp…)


def test_the_size_limit_states_the_real_size():
    with pytest.raises(RefusedAnswer) as info:
        parse_rule("p = p" + " " * 5000, ADAM_NAMES)
    assert "5,005 characters long; the limit is 4,000" in info.value.reason
    with pytest.raises(RefusedAnswer) as info:
        parse_rule("p = p\n" * 90, ADAM_NAMES)
    assert "91 lines; the limit is 80" in info.value.reason


def test_the_library_never_imports_a_command_module_and_derive_uses_only_public_names():
    import gdgrill.drill as package

    folder = Path(package.__file__).parent
    for module in ("language", "judge", "derive", "diagnosis", "crosscheck", "references", "catalog"):
        tree = ast.parse((folder / f"{module}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module != "gdgrill.drill.command" and not node.module.startswith("gdgrill.commands"), (module, node.module)
                if module == "derive" and node.module == "gdgrill.drill.language":
                    assert not [a.name for a in node.names if a.name.startswith("_")], "derive imports language's private names"
            if isinstance(node, ast.ImportFrom) and node.module == "gdgrill.drill" and any(a.name == "command" for a in node.names):
                raise AssertionError(f"{module} imports the command module")


def test_where_on_one_number_computes_only_the_branch_it_picks():
    """`where(t % k == 0, a, b)` with a number as the condition is Python's `a if c else b`:
    the branch not taken is never computed (an every-k-th-step rule pays for one branch)."""
    from dataclasses import replace

    from gdgrill.drill.language import evaluate, numpy_backend, parse_expression

    calls = []
    base = numpy_backend()

    def counted_sqrt(x):
        calls.append(x)
        return np.sqrt(x)

    backend = replace(base, functions={**base.functions, "sqrt": counted_sqrt})
    expr = parse_expression("where(t > 2, sqrt(x), x)", ["t", "x"])
    x = np.array([4.0, 9.0])
    assert evaluate(expr, {"t": 1.0, "x": x}, backend).tolist() == [4.0, 9.0] and calls == []
    assert evaluate(expr, {"t": 3.0, "x": x}, backend).tolist() == [2.0, 3.0] and len(calls) == 1
    # an array condition still takes each element from its own branch (both computed)
    mixed = parse_expression("where(x > 5, sqrt(x), x)", ["x"])
    assert evaluate(mixed, {"x": x}, backend).tolist() == [4.0, 3.0] and len(calls) == 2
