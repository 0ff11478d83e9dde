"""`gdgrill drill` through Typer's runner: exit codes, JSON, saved attempts, interactive flow."""

from __future__ import annotations

import json

import pytest
from helpers import command_app, logged_reviews
import typer
from typer.testing import CliRunner

from gdgrill.drill.catalog import DRILLS
from gdgrill.drill.command import drill_command

app = command_app("drill", drill_command, "Type an update rule and have it judged.")


runner = CliRunner()
ADAM_RIGHT = "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nθ = θ − η·m/(1−β₁ᵗ)/(√(v/(1−β₂ᵗ)) + ε)\n"
ADAM_EPS_INSIDE = "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nθ = θ − η·m/(1−β₁ᵗ)/√(v/(1−β₂ᵗ) + ε)\n"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GDGRILL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GDGRILL_TODAY", "2025-01-06")
    return tmp_path / "home"


reviews = logged_reviews


def drill(*args, input=None):
    return runner.invoke(app, ["drill", *args], input=input)


def test_list_shows_every_drill_with_a_one_line_description(home):
    result = drill("list")
    assert result.exit_code == 0
    for d in DRILLS.values():
        assert d.name in result.stdout
    assert drill().stdout == result.stdout  # no name lists too


def test_list_as_json(home):
    data = json.loads(drill("list", "--json").stdout)
    assert [d["name"] for d in data] == list(DRILLS)
    assert all(set(d) == {"name", "title", "summary", "tier", "group", "derive"} for d in data)


def test_a_correct_answer_exits_0_and_is_saved_as_a_pass(home, tmp_path):
    answer = tmp_path / "rule.txt"
    answer.write_text(ADAM_RIGHT, encoding="utf-8")
    result = drill("adam-bias", "--answer", str(answer), "--no-torch")
    assert result.exit_code == 0, result.output
    assert "Correct" in result.stdout
    [(item, grade, mode, text, detail)] = reviews(home)
    assert (item, grade, mode, text) == ("drill/adam-bias", "pass", "drill", ADAM_RIGHT)
    assert json.loads(detail)["misconception"] is None


def test_a_known_mistake_exits_1_names_it_and_saves_a_fail(home):
    result = drill("adam-bias", "--answer", "-", "--no-torch", input=ADAM_EPS_INSIDE)
    assert result.exit_code == 1
    assert "ε inside the square root" in result.stdout
    [(item, grade, _, _, detail)] = reviews(home)
    assert (item, grade) == ("drill/adam-bias", "fail")
    assert json.loads(detail)["misconception"] == "eps-inside-sqrt"


def test_json_verdict_has_the_documented_fields(home):
    result = drill("adam-bias", "--answer", "-", "--json", "--no-torch", input=ADAM_EPS_INSIDE)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["drill"] == "adam-bias" and data["verdict"] == "fail"
    assert data["misconception"] == "eps-inside-sqrt"
    diff = data["first_difference"]
    assert isinstance(diff["step"], int) and diff["quantity"].startswith("θ")
    assert isinstance(diff["yours"], float) and isinstance(diff["reference"], float)
    assert data["message"] and data["saved"] is True


def test_json_for_a_pass_reports_the_torch_cross_check(home):
    pytest.importorskip("torch")
    data = json.loads(drill("momentum", "--answer", "-", "--json", input="v = β·v − η·g\nθ = θ + v").stdout)
    assert data["verdict"] == "pass" and data["misconception"] is None and data["first_difference"] is None
    assert data["torch"]["device"] == "cpu" and data["torch"]["agrees"] is True


def test_a_refused_answer_exits_2_with_one_line_on_stderr_and_saves_nothing(home):
    result = drill("adam", "--answer", "-", input="import os\n")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "line 1, col 1" in result.stderr and "Traceback" not in result.output
    assert reviews(home) == [] and not home.exists()


def test_a_refusal_in_json_mode_still_exits_2(home):
    result = drill("adam", "--answer", "-", "--json", input="p = 9**9**9**9")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["verdict"] == "refused" and data["refusal"]["line"] == 1 and data["saved"] is False


def test_a_resource_bomb_on_stdin_is_refused(home):
    result = drill("adam", "--answer", "-", input="p = " + "(" * 100000)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_unknown_drill_exits_2_and_lists_the_drills(home):
    result = drill("adamx", "--answer", "-", input="p = p")
    assert result.exit_code == 2
    assert "unknown drill 'adamx'" in result.stderr and "adam-bias" in result.stderr


def test_a_missing_answer_file_is_a_one_line_error(home, tmp_path):
    result = drill("sgd", "--answer", str(tmp_path / "nope.txt"))
    assert result.exit_code == 2 and "no such answer file" in result.stderr


def test_show_reference_prints_the_intro_and_the_rule(home):
    result = drill("lion", "--show-reference")
    assert result.exit_code == 0
    assert "sign(c)" in result.stdout and "β₁" in result.stdout


def test_cuda_without_a_gpu_is_a_clear_error(home):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present (the cuda path is tested in test_drill_judge)")
    result = drill("sgd", "--answer", "-", "--device", "cuda", input="p = p - lr*(g + wd*p)")
    assert result.exit_code == 2 and "CUDA" in result.stderr


def test_interactive_hint_retry_then_pass(home):
    keys = "p = p - lr*g\n\nh\nr\nθ = θ − η·(g + λ·θ)\n\n"
    result = drill("sgd", "--no-torch", input=keys)
    assert result.exit_code == 0, result.output
    assert "Hint 1" in result.stdout and "Weight decay missing" in result.stdout
    assert [row[1] for row in reviews(home)] == ["fail", "pass"]


def test_interactive_give_up_shows_the_reference_and_exits_1(home):
    result = drill("momentum", "--no-torch", input="p = p - lr*g\n\ng\n")
    assert result.exit_code == 1
    assert "Reference rule" in result.stdout and DRILLS["momentum"].reference_rule.splitlines()[0] in result.stdout


def test_interactive_answer_may_end_at_end_of_input(home):
    result = drill("clip-norm", "--no-torch", input="g = g*min(1, max_norm/norm(g))")
    assert result.exit_code == 0


def test_interactive_with_no_answer_saves_nothing(home):
    result = drill("sgd", input="")
    assert result.exit_code == 2 and reviews(home) == []


def test_every_parameter_has_help_text():
    import inspect
    from typing import get_args, get_type_hints

    hints = get_type_hints(drill_command, include_extras=True)
    for name in inspect.signature(drill_command).parameters:
        info = [a for a in get_args(hints[name]) if isinstance(a, (typer.models.ArgumentInfo, typer.models.OptionInfo))]
        assert info and info[0].help, name
    result = runner.invoke(app, ["drill", "--help"])
    assert result.exit_code == 0 and "--answer" in result.stdout


def test_ctrl_c_exits_130_with_a_calm_line(home, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("gdgrill.lineinput.Prompter.line", interrupted)
    result = drill("adam")
    assert result.exit_code == 130
    assert "interrupted" in result.stderr and "Traceback" not in result.output
    assert reviews(home) == []


def test_a_fail_shows_and_saves_where_it_goes_wrong_and_the_repair(home):
    result = drill("rmsprop", "--answer", "-", "--no-torch", input="v = rho*v + g^2\np = p - lr*g/(sqrt(v) + eps)\n")
    assert result.exit_code == 1
    assert "Change `g^2` to `(1 - rho)*g^2` on line 1 and it passes." in " ".join(result.stdout.split())
    [(_, grade, _, _, detail)] = reviews(home)
    saved = json.loads(detail)
    assert grade == "fail" and saved["repair"]["to"] == "(1 - rho)*g^2" and "line 1" in saved["diagnosis"]


def test_json_for_a_fail_carries_the_diagnosis_fields(home):
    data = json.loads(drill("adam-bias", "--answer", "-", "--json", "--no-torch", input=ADAM_EPS_INSIDE).stdout)
    assert isinstance(data["diagnosis"], str) and data["diagnosis"].startswith("ε inside the square root.")
    assert set(data["repair"]) == {"line", "col", "statement", "from", "to", "edit"}
    assert data["repair"]["line"] == 3 and data["first_wrong_statement"]["line"] == 3
    assert data["nonfinite"] is None and data["torch"] is None


def test_json_for_a_pass_says_what_the_cross_check_compared(home):
    pytest.importorskip("torch")
    data = json.loads(drill("adam-bias", "--answer", "-", "--json", input=ADAM_RIGHT).stdout)
    check = data["torch"]
    assert data["diagnosis"] is None and data["repair"] is None
    assert check["compared"].startswith("torch.optim.Adam vs your rule run through torch")
    assert [c["dtype"] for c in check["checks"]] == ["float32", "bfloat16"]
    assert all(c["agrees"] and c["max_abs_diff"] <= c["tolerance"] for c in check["checks"])


def _torch_section(*extra, answer=ADAM_RIGHT):
    result = drill("adam-bias", "--answer", "-", "--json", *extra, input=answer)
    assert result.exit_code == 0, result.output  # the cross-check never changes the verdict
    data = json.loads(result.stdout)
    assert data["verdict"] == "pass"
    return data["torch"]


def test_json_says_torch_disagrees_when_one_instance_only_turns_nan(home, monkeypatch):
    torch = pytest.importorskip("torch")

    class NanOnTheMatrix(torch.optim.Adam):  # adam-bias has one matrix instance among vectors
        def step(self, closure=None):
            out = super().step(closure)
            with torch.no_grad():
                for p in self.param_groups[0]["params"]:
                    if p.ndim == 2:
                        p[0, 0] = float("nan")
            return out

    monkeypatch.setattr(torch.optim, "Adam", NanOnTheMatrix)
    check = _torch_section()
    assert check["agrees"] is False and check["note"] == ""
    assert [(c["dtype"], c["agrees"]) for c in check["checks"]] == [("float32", False), ("bfloat16", False)]
    text = " ".join(drill("adam-bias", "--answer", "-", "--no-save", input=ADAM_RIGHT).stdout.split())
    assert "float32: worst |Δ|" in text and "does not agree" in text


def test_json_says_when_torch_could_not_run_the_rule(home):
    pytest.importorskip("torch")
    # 10^(400·t) is inf in the judge's float64 numpy (so 1/inf = 0: plain Adam), an overflow
    # for the Python floats torch keeps hyper-parameters and t in
    check = _torch_section(answer=ADAM_RIGHT.rstrip("\n") + "·(1 + 1/10^(400·t))\n")
    assert check["agrees"] is False and check["checks"] == []
    assert check["note"] == "torch could not run your rule in float32: cannot evaluate this line: a number overflows"
    assert check["compared"] == "torch.optim.Adam vs your rule run through torch (float32, bfloat16, cpu)"


def test_json_says_the_check_was_skipped_without_torch(home, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    check = _torch_section()
    assert check["agrees"] is None and check["checks"] == [] and check["max_abs_diff"] is None
    assert check["note"] == "torch is not installed; skipped"
    text = " ".join(drill("adam-bias", "--answer", "-", "--no-save", input=ADAM_RIGHT).stdout.split())
    assert "torch cross-check on cpu: torch is not installed; skipped" in text


def test_the_text_verdict_of_a_pass_prints_the_worst_difference_and_the_tolerance(home):
    pytest.importorskip("torch")
    out = " ".join(drill("sgd", "--answer", "-", "--no-save", input="p = p - lr*(g + wd*p)").stdout.split())
    assert "torch.optim.SGD vs your rule run through torch (float32, cpu)" in out
    assert "float32: worst |Δ|" in out and "tolerance" in out and "agrees" in out


def test_a_byte_order_mark_and_windows_line_endings_in_an_answer_file_are_fine(home, tmp_path):
    answer = tmp_path / "rule.txt"
    answer.write_bytes("\ufeffbuf = mu*buf + g\r\np = p - lr*buf\r\n".encode("utf-8"))
    assert drill("momentum", "--answer", str(answer), "--no-torch", "--no-save").exit_code == 0


def test_an_answer_past_the_read_limit_is_refused_with_its_real_size(home):
    result = drill("sgd", "--answer", "-", "--no-torch", input="p = p - lr*g\n" + "#" * 100_000)
    assert result.exit_code == 2
    assert "100,013 characters long; the limit is 4,000" in result.stderr
