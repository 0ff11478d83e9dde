"""The stored loss curves show what their diagnostics cards claim, regenerate byte for byte,
and draw as a readable chart in an 80-column terminal."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from gdgrill.curves import Curve, curve_names, load_curve, parse_curve, render_curve
from gdgrill.decks import load_library
from gdgrill.errors import UserError
from gdgrill.paths import shipped_curves_dir

REPO = Path(__file__).resolve().parent.parent
CURVES = (
    "good", "lr-too-high", "lr-too-low", "no-warmup-spike", "overfitting",
    "step-decay-plateau", "small-batch-noise", "clipping-tames-spike",
)


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def values(curve: Curve, series: int = 0) -> list[float]:
    return list(curve.series[series].values)


def marker_step(curve: Curve) -> int:
    (marker,) = curve.markers
    return marker.step


# ---- each curve shows what its card claims ---------------------------------------------

def test_the_stored_curves_are_the_eight_the_cards_need():
    assert curve_names() == sorted(CURVES)


def test_good_run_falls_a_long_way_without_spikes():
    loss = values(load_curve("good"))
    start, end = mean(loss[:10]), mean(loss[-50:])
    assert end < 0.15 * start
    assert max(loss) < 1.1 * loss[0]  # no spike above the starting loss
    assert all(math.isfinite(v) for v in loss)


def test_lr_too_high_run_diverges_to_nan_early():
    curve = load_curve("lr-too-high")
    loss = values(curve)
    first_bad = curve.series[0].first_nonfinite_step()
    assert first_bad is not None and first_bad < 50
    assert all(not math.isfinite(v) for v in loss[first_bad:])  # once NaN, NaN for good
    finite = loss[:first_bad]
    assert max(finite) > 1e6 * loss[0]  # it climbed off the chart before it broke


def test_lr_too_low_run_crawls_while_the_good_run_drops():
    low, good = values(load_curve("lr-too-low")), values(load_curve("good"))
    low_drop = 1 - mean(low[-50:]) / mean(low[:10])
    good_drop = 1 - mean(good[-50:]) / mean(good[:10])
    assert 0.02 < low_drop < 0.2  # it does learn, slowly
    assert good_drop > 0.8
    assert max(low) < 1.1 * low[0]  # and is perfectly stable


def test_no_warmup_spikes_early_then_recovers_but_ends_behind_the_warmed_up_run():
    curve = load_curve("no-warmup-spike")
    cold, warm = values(curve, 0), values(curve, 1)
    early = len(cold) // 10
    spike = max(range(early), key=lambda i: cold[i])
    assert cold[spike] > 3 * cold[0]
    assert min(cold[spike:early * 2]) < cold[0]  # back below the start soon after
    assert max(warm[:early]) <= 1.05 * warm[0]  # the same peak with warmup does not spike
    assert cold[-1] > 1.2 * warm[-1]  # the recovery is only partial:
    assert all(c > w for c, w in zip(cold[-60:], warm[-60:]))  # behind for the whole last stretch


def test_overfitting_validation_turns_up_while_train_keeps_falling():
    curve = load_curve("overfitting")
    train, val = values(curve, 0), values(curve, 1)
    best = val.index(min(val))
    assert best < 0.4 * len(val)
    assert val[-1] > 1.2 * val[best]
    assert train[-1] < 0.1 * train[best]
    assert all(b <= a * 1.001 for a, b in zip(train[best::50], train[best + 50::50]))


def test_step_decay_plateaus_then_drops_at_the_milestone():
    curve = load_curve("step-decay-plateau")
    loss, milestone = values(curve), marker_step(curve)
    earlier, before, after = (mean(loss[milestone - 150:milestone - 100]),
                              mean(loss[milestone - 50:milestone]), mean(loss[milestone + 10:milestone + 60]))
    assert abs(before - earlier) < 0.1 * before  # a plateau: flat for the 150 steps before
    assert after < 0.5 * before  # then a sharp drop right after the milestone


def test_batch_4_is_far_noisier_step_to_step_than_batch_256():
    curve = load_curve("small-batch-noise")
    assert [s.name for s in curve.series] == ["batch 4", "batch 256"]

    def jitter(loss):
        return mean((b - a) ** 2 for a, b in zip(loss, loss[1:]))

    assert jitter(values(curve, 0)) > 50 * jitter(values(curve, 1))


def test_clipping_tames_the_spike_from_the_corrupted_batch():
    curve = load_curve("clipping-tames-spike")
    bad = marker_step(curve)
    plain, clipped = values(curve, 0), values(curve, 1)
    assert max(plain[bad:]) > 4 * max(clipped[bad:])
    assert max(plain[bad:]) > 2 * plain[0]  # a real spike, above even the starting loss
    assert max(clipped[bad:]) < clipped[0]  # clipped: at most a bump
    assert abs(mean(plain[bad - 50:bad]) - mean(clipped[bad - 50:bad])) < 0.1  # the runs overlap before it


# ---- the cards and the files agree -----------------------------------------------------

def test_every_diagnostics_card_curve_names_a_stored_curve_and_every_curve_has_a_card():
    library = load_library()
    named = {card.curve for deck in library.decks for card in deck.cards if card.curve}
    assert named <= set(curve_names())
    assert set(CURVES) <= named


@pytest.mark.parametrize("name", CURVES)
def test_each_file_describes_its_run_and_is_small(name):
    curve = load_curve(name)
    path = shipped_curves_dir() / f"{name}.json"
    assert path.stat().st_size < 32_000
    assert curve.name == name
    for word in ("MLP", "lr", "batch", "steps", "seed"):
        assert word in curve.description


def test_make_curves_regenerates_the_stored_files_byte_for_byte(tmp_path):
    pytest.importorskip("torch")
    # Two halves at once, one per core (each curve's runs seed themselves): the whole in half the time.
    halves = ["good,lr-too-high,lr-too-low,no-warmup-spike,overfitting", "step-decay-plateau,small-batch-noise,clipping-tames-spike"]
    script = str(REPO / "data" / "make_curves.py")
    runs = [subprocess.Popen([sys.executable, script, str(tmp_path), "--only", half], cwd=tmp_path) for half in halves]
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    stored = REPO / "data" / "curves"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in stored.iterdir())
    for made in sorted(tmp_path.iterdir()):
        assert made.read_bytes() == (stored / made.name).read_bytes(), made.name


# ---- loading errors --------------------------------------------------------------------

def test_an_unknown_curve_is_one_clear_line_naming_the_known_ones():
    with pytest.raises(UserError) as err:
        load_curve("lr-way-too-high")
    assert "\n" not in str(err.value) and "lr-way-too-high" in str(err.value) and "lr-too-low" in str(err.value)


def test_a_path_is_not_a_curve_name():
    with pytest.raises(UserError):
        load_curve("../curves/good")


@pytest.mark.parametrize("text, complaint", [
    ("{not json", "not valid JSON"),
    ('{"format": "other"}', "not a gdgrill-curve/1"),
    ('{"format": "gdgrill-curve/1", "name": "x", "description": "d", "y_label": "y", "series": []}', "'series'"),
    ('{"format": "gdgrill-curve/1", "name": "x", "description": "d", "y_label": "y",'
     ' "series": [{"name": "a", "steps": [0, 1], "values": [1.0]}]}', "same, non-zero length"),
    ('{"format": "gdgrill-curve/1", "name": "x", "description": "d", "y_label": "y",'
     ' "series": [{"name": "a", "steps": [0, 1], "values": [1.0, "nan"]}]}', "numbers or null"),
])
def test_a_corrupt_curve_file_is_one_line_naming_the_file(tmp_path, text, complaint):
    (tmp_path / "x.json").write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_curve("x", folder=tmp_path)
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "x.json") in message and complaint in message


def test_null_in_a_file_is_a_nan_in_the_series():
    curve = parse_curve(json.dumps({
        "format": "gdgrill-curve/1", "name": "x", "description": "d", "y_label": "y",
        "series": [{"name": "a", "steps": [0, 1, 2], "values": [1.0, 2.0, None]}]}))
    assert math.isnan(curve.series[0].values[2]) and curve.series[0].first_nonfinite_step() == 2


# ---- drawing ---------------------------------------------------------------------------

def draw(chart, unicode: bool, width: int = 80) -> list[str]:
    if unicode:
        console = Console(file=StringIO(), width=width, force_terminal=True, color_system="truecolor", no_color=False)
    else:
        console = Console(file=StringIO(), width=width)  # NO_COLOR is set by conftest
    console.print(chart)
    return console.file.getvalue().splitlines()


@pytest.mark.parametrize("name", CURVES)
def test_every_curve_draws_as_14_ascii_rows_of_at_most_70_columns_without_colour(name):
    lines = draw(render_curve(load_curve(name), width=70, height=14), unicode=False)
    assert len(lines) == 14
    assert all(len(line) <= 70 for line in lines)
    assert all(line.isascii() for line in lines)
    assert "\x1b" not in "".join(lines)


@pytest.mark.parametrize("name", CURVES)
def test_every_curve_draws_in_braille_in_a_colour_terminal(name):
    from rich.text import Text

    chart = render_curve(load_curve(name), width=70, height=14)
    lines = draw(chart, unicode=True)
    assert len(lines) == 14
    assert any("\u2800" <= ch <= "\u28ff" for line in lines for ch in line)
    assert all(Text.from_ansi(line).cell_len <= 70 for line in lines)


def test_the_diverging_run_is_marked_nan_from_the_step_it_broke():
    curve = load_curve("lr-too-high")
    step = curve.series[0].first_nonfinite_step()
    ascii_lines = draw(render_curve(curve), unicode=False)
    assert f"X NaN/inf from step {step}" in ascii_lines[0]
    assert "X" in ascii_lines[1]  # the cross sits on the top row of the plot
    assert f"✗ NaN/inf from step {step}" in "\n".join(draw(render_curve(curve), unicode=True))


def test_y_axis_shows_min_and_max_and_log_scale_is_labelled():
    curve = load_curve("good")
    lines = draw(render_curve(curve), unicode=False)
    finite = curve.series[0].values
    assert lines[1].split()[0] == "%.3g" % max(finite)
    assert lines[11].split()[0] == "%.3g" % min(finite)
    assert "log scale" in draw(render_curve(load_curve("lr-too-high")), unicode=False)[0]
    assert "log scale" in draw(render_curve(curve, log_y=True), unicode=False)[0]


def test_markers_can_be_hidden_before_the_answer_is_shown():
    curve = load_curve("step-decay-plateau")
    assert "lr x0.1 (step 400)" in draw(render_curve(curve), unicode=False)[0]
    hidden = draw(render_curve(curve, show_markers=False), unicode=False)
    assert "lr x0.1" not in "\n".join(hidden) and len(hidden) == 14


def test_the_legend_names_every_series():
    legend = draw(render_curve(load_curve("clipping-tames-spike")), unicode=False)[0]
    assert "** no clipping" in legend and "oo clip norm 2.5" in legend


@pytest.mark.parametrize("height", [6, 10, 24])
def test_the_chart_is_exactly_as_tall_as_asked(height):
    assert len(draw(render_curve(load_curve("overfitting"), width=60, height=height), unicode=False)) == height


def test_a_narrow_terminal_shrinks_the_chart():
    lines = draw(render_curve(load_curve("good"), width=70), unicode=False, width=40)
    assert len(lines) == 14 and all(len(line) <= 40 for line in lines)


def test_the_curves_module_imports_neither_numpy_nor_torch():
    code = (
        "import sys\n"
        "from io import StringIO\n"
        "from rich.console import Console\n"
        "from gdgrill.curves import load_curve, render_curve\n"
        "Console(file=StringIO(), width=80).print(render_curve(load_curve('lr-too-high')))\n"
        "print(sorted(m for m in ('numpy', 'torch') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
