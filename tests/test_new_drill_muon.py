"""The Muon drill (drills/muon.yaml): its reference rule passes the real judge against the
Python reference, every known mistake fails and is diagnosed as itself, and the other right
ways to write Muon (torch's transposes, the docs' μ·B + g buffer) pass.

The drill is the drill loader's (gdgrill.drill.loading); the raw mapping is read beside it
with yaml.safe_load for the checks on the file itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from gdgrill.drill import catalog
from gdgrill.drill.judge import judge, problems, reference_trajectories

DRILL_FILE = Path(__file__).resolve().parent.parent / "drills" / "muon.yaml"


MUON = catalog.DRILLS["muon"]


def test_the_file_is_a_tier_4_optimizer_drill_on_matrices():
    data = yaml.safe_load(DRILL_FILE.read_text(encoding="utf-8"))
    assert (data["group"], MUON.tier, MUON.kind, MUON.reference) == ("optimizers", 4, "optimizer", "muon")
    assert all(len(i.shape) == 2 for i in MUON.instances)
    assert {"tall", "wide", "square"} <= {("tall" if r > c else "wide" if r < c else "square") for r, c in (i.shape for i in MUON.instances)}
    assert len(MUON.mutants) >= 4 and MUON.hints
    assert len({m.id for m in MUON.mutants}) == len(MUON.mutants)


def test_the_reference_rule_matches_the_python_reference_on_every_instance():
    verdict = judge(MUON, MUON.reference_rule)
    assert verdict.verdict == "pass", verdict.message
    assert verdict.checked["instances"] == 4


TORCH_AS_WRITTEN = """
buf = mu*buf + (1 - mu)*g
u = (1 - mu)*g + mu*buf
X = uᵀ if rows(u) > cols(u) else u
X = X/max(‖X‖_F, eps)
repeat 5:
    A = X @ X.T
    B = b*A + c*(A @ A)
    X = a*X + B @ X
X = Xᵀ if rows(u) > cols(u) else X
p = p*(1 - lr*wd)
p = p - lr*sqrt(max(1, rows(p)/cols(p)))*X
"""

DOCS_BUFFER = """
B_t = μ·B_t + g
u = g + μ·B_t
X = u/max(‖u‖, ε)
for _ in range(5):
    G = X @ Xᵀ
    X = a*X + (b*G + c*G@G) @ X
θ = θ·(1 − η·λ) − η·√(max(1, rows(θ)/cols(θ)))·X
"""

WRITTEN_OUT = "buf = mu*buf + (1 - mu)*g\nu = (1 - mu)*g + mu*buf\nX = u/max(norm(u), eps)\n" + "A = X @ Xᵀ\nX = a*X + (b*A + c*A@A)@X\n" * 5 + (
    "p = p*(1 - lr*wd) - lr*sqrt(max(1, rows(p)/cols(p)))*X"
)


@pytest.mark.parametrize("text", [TORCH_AS_WRITTEN, DOCS_BUFFER, WRITTEN_OUT], ids=["torch-with-transposes", "docs-buffer", "no-loop"])
def test_other_right_ways_to_write_muon_pass(text):
    verdict = judge(MUON, text.strip())
    assert verdict.verdict == "pass", verdict.message


def test_the_numbers_may_be_written_instead_of_a_b_c():
    text = MUON.reference_rule.replace("b*A + c*A@A", "-4.7750*A + 2.0315*A@A").replace("a*X", "3.4445*X")
    assert "a*" not in text and judge(MUON, text).verdict == "pass"


def test_a_product_of_the_wrong_shapes_is_refused_naming_them():
    text = MUON.reference_rule.replace("A = X @ Xᵀ", "A = Xᵀ @ Xᵀ")
    verdict = judge(MUON, text)
    assert verdict.verdict == "refused"
    assert verdict.refusal.line == 5 and "(3, 6) and (3, 6)" in verdict.refusal.reason


def test_a_step_that_forgets_to_transpose_back_is_refused_for_its_shape():
    text = TORCH_AS_WRITTEN.replace("X = Xᵀ if rows(u) > cols(u) else X\n", "")
    verdict = judge(MUON, text.strip())
    assert verdict.verdict == "refused" and verdict.refusal.line == 10
    assert "(6,3)" in verdict.refusal.reason and "(3,6)" in verdict.refusal.reason


def test_a_transposed_theta_is_refused_at_the_line_that_assigns_it():
    text = MUON.reference_rule + "\nW = p\np = Wᵀ"
    verdict = judge(MUON, text)
    assert verdict.verdict == "refused" and (verdict.refusal.line, verdict.refusal.col) == (10, 1)
    assert "the result has shape (3, 6); expected (6, 3)" in verdict.refusal.reason


def test_the_reference_trajectories_are_finite_and_move_every_instance():
    for pr, ref in zip(problems(MUON), reference_trajectories(MUON)):
        assert ref.shape == (pr.steps, *pr.instance.shape) and np.isfinite(ref).all()
        assert not np.allclose(ref[-1], pr.p0)


# -- Diagnosing wrong answers on matrices ---------------------------------------------------------


def _verdict(mistake_id: str):
    return judge(MUON, MUON.mutant(mistake_id).rule)


def test_a_mistake_in_the_loop_is_named_by_its_line_and_pass_and_repaired_in_every_pass():
    verdict = _verdict("muon-coefficients-swapped")
    assert "Line 6 (pass 1 of 5 through the loop) is the first to go wrong: your B" in verdict.message
    # the repair edits the line, so every pass: one pass alone would still blow up
    assert "Write line 6 as `B = b*A + c*A@A` and it passes." in verdict.message
    assert verdict.diagnosis.repair.line == 6


def test_a_gram_matrix_is_compared_with_the_references_not_with_theta():
    # A = X·Xᵀ is 6×6 for a 6×3 θ: it is compared as it is, so the first wrong line is the
    # unnormalised Gram matrix, not every non-θ-shaped line from step 1 on
    message = _verdict("muon-not-normalised").message
    assert "Line 4 (pass 1 of 5 through the loop) is the first to go wrong: your A" in message
    assert "The reference computes A = X@Xᵀ." in message


def test_an_iterated_name_is_matched_to_the_same_assignment_of_the_reference():
    # plain momentum's X = buf/‖buf‖ equals Nesterov's at step 1 (both are g/‖g‖) and departs
    # at step 2; the Newton–Schulz X's after it are not compared with this first X
    message = _verdict("muon-no-nesterov").message
    assert "Line 2 is the first to go wrong: your X" in message and "at step 2" in message


@pytest.mark.parametrize(
    ("mistake_id", "before", "after"),
    [
        ("muon-no-lr-adjustment", "lr", "lr*sqrt(max(1, rows(p)/cols(p)))"),
        ("muon-lr-adjustment-without-floor", "rows(p)/cols(p)", "max(1, rows(p)/cols(p))"),
        ("muon-decay-with-adjusted-lr", "lr*sqrt(max(1, rows(p)/cols(p)))", "lr"),
        ("muon-no-eps-floor", "norm(u)", "max(norm((1 - mu)*g + mu*buf), ε)"),
    ],
)
def test_a_one_edit_mistake_gets_its_repair(mistake_id, before, after):
    repair = _verdict(mistake_id).diagnosis.repair
    assert repair is not None and (repair.before, repair.after) == (before, after)


@pytest.mark.parametrize("mutant", MUON.mutants, ids=lambda m: m.id)
def test_every_diagnosis_stays_readable(mutant):
    # the reference's iterated X is named, not inlined 5 levels deep
    message = _verdict(mutant.id).message
    assert len(message) < 700 and "a*(a*(" not in message


# -- The cross-check against torch.optim.Muon ---------------------------------------------------------

@pytest.mark.parametrize("text", [MUON.reference_rule, TORCH_AS_WRITTEN.strip()], ids=["reference", "torch-with-transposes"])
def test_a_passing_rule_agrees_with_torch_optim_muon_within_bfloat16_error(text):
    pytest.importorskip("torch")
    verdict = judge(MUON, text, torch_device="cpu")
    check = verdict.torch
    assert verdict.passed and check.agrees, check
    assert check.compared.startswith("torch.optim.Muon (its Newton–Schulz in bfloat16, as torch runs it) vs your rule")
    assert check.checks[0].dtype == "float32" and 0 < check.checks[0].max_abs_diff <= check.checks[0].tolerance


def test_the_cross_check_runs_torch_optim_muon_itself(monkeypatch):
    """A torch.optim.Muon that moves θ a little further must show up as a disagreement."""
    torch = pytest.importorskip("torch")

    class Drifting(torch.optim.Muon):
        def step(self, closure=None):
            out = super().step(closure)
            with torch.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.add_(2e-2)
            return out

    monkeypatch.setattr(torch.optim, "Muon", Drifting)
    check = judge(MUON, MUON.reference_rule, torch_device="cpu").torch
    assert check.agrees is False and check.checks[0].max_abs_diff > check.checks[0].tolerance


@pytest.mark.cuda
def test_on_cuda_torch_optim_muon_and_the_rule_agree():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA (no GPU on this machine)")
    check = judge(MUON, MUON.reference_rule, torch_device="cuda").torch
    assert check.device == "cuda" and check.agrees, check
