"""Drills are data: the YAML drill files, their checks (file:line), `gdgrill drill check`,
the user's own drills (--drills, GDGRILL_DRILLS) and the pre-parsed and cached loading."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.drill import files, loading
from gdgrill.drill.catalog import DRILLS, GROUPS

from helpers import logged_reviews

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "drills"
runner = CliRunner()


def gd(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), input=input, env=env)


# A small drill of the user's own: plain SGD with L2 decay, one instance, two mistakes.
USER_DRILL = """\
name: {name}
title: Plain SGD with L2 decay
summary: One step of plain SGD with L2 weight decay.
group: optimizers
tier: 1
kind: optimizer
reference: sgd
task: Write one step of SGD with weight decay λ (λ·θ added to the gradient).
target: p
inputs: [p, g, lr, wd]
reference_rule: |
  g = g + wd*p
  p = p - lr*g
hints:
  - Add λ·θ to the gradient, then step downhill.
instances:
  - label: normal gradients
    hp: {lr: 0.1, wd: 0.01}
mistakes:
  - id: step-uphill
    rule: p = p + lr*(g + wd*p)
  - id: decay-forgotten
    title: Weight decay forgotten
    rule: |
      p = p - lr*g
    explanation: The drill gives λ and the reference applies it; a rule that never uses it is plain SGD.
"""


def user_drill(folder: Path, name: str, text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text((text or USER_DRILL).replace("{name}", name), encoding="utf-8")
    return path


def line_of(path: Path, needle: str, nth: int = 0) -> int:
    """The 1-based line of the ``nth`` line of ``path`` containing ``needle``."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line]
    return hits[nth]


def check_errors(path: Path, *extra: str) -> tuple[int, list[str]]:
    result = gd("drill", "check", str(path), *extra)
    return result.exit_code, [line.removeprefix("gdgrill: error: ") for line in result.stderr.splitlines()]


@pytest.fixture
def fresh_load(monkeypatch):
    """Forget the shipped drills this process has read, so a test can read them anew."""
    monkeypatch.setattr(loading, "_SHIPPED", None)


# -- The twelve drills moved from Python to YAML unchanged -------------------------------------


def test_every_shipped_drill_reads_back_as_the_python_drill_it_replaced():
    # tests/drills_before_yaml.json: a digest of every field of every drill as the Python
    # catalog built it, taken before the conversion. A deliberate edit of one of these drills
    # since then updates its digest there.
    before = json.loads((ROOT / "tests" / "drills_before_yaml.json").read_text(encoding="utf-8"))
    assert set(before) <= set(DRILLS)
    for name, fields in before.items():
        now = dataclasses.asdict(DRILLS[name])
        for field, digest in fields.items():
            text = json.dumps(now[field], sort_keys=True, ensure_ascii=False)
            assert hashlib.sha256(text.encode()).hexdigest()[:16] == digest, f"{name}.{field} is not what the Python catalog had"


def test_every_drill_has_a_group_and_the_twelve_are_where_the_issue_puts_them():
    assert all(d.group in GROUPS for d in DRILLS.values())
    assert DRILLS["clip-norm"].group == "mechanics" and DRILLS["warmup-cosine"].group == "schedules"
    assert all(DRILLS[n].group == "optimizers" for n in ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adam-bias", "adamw", "amsgrad", "lion"))


def test_the_shipped_drills_check_clean_with_one_line_per_file():
    result = gd("drill", "check", str(SHIPPED))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    yaml_files = sorted(SHIPPED.glob("*.yaml"))
    assert len(lines) == len(yaml_files) and all(line.startswith("ok: ") for line in lines)
    assert any("sgd.yaml: sgd (optimizers, tier 1)" in line for line in lines)


def test_every_shipped_drill_has_hints_and_at_least_four_known_mistakes():
    for d in DRILLS.values():
        assert len(d.mutants) >= 4 and d.hints, d.name


# -- drill list groups the drills -------------------------------------------------------------


def test_drill_list_shows_each_group_under_its_heading_in_order():
    result = gd("drill", "list")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    headings = [out.index(h) for g, h in GROUPS.items() if any(d.group == g for d in DRILLS.values())]
    assert headings == sorted(headings)
    for d in DRILLS.values():
        heading = out.index(GROUPS[d.group])
        later = [out.index(h) for h in GROUPS.values() if h in out and out.index(h) > heading]
        assert heading < out.index(f"  {d.name} ") < min(later, default=len(out)), d.name


def test_drill_list_json_gives_each_drill_its_group_grouped_in_list_order():
    data = json.loads(gd("drill", "list", "--json").stdout)
    groups = [d["group"] for d in data]
    order = list(GROUPS)
    assert groups == sorted(groups, key=order.index)
    assert [d["name"] for d in data] == list(DRILLS)
    assert gd("drill", "--json").stdout == gd("drill", "list", "--json").stdout


def test_drill_names_still_run_beside_the_subcommands():
    result = gd("drill", "adam-bias", "--show-reference")
    assert result.exit_code == 0 and "Reference rule" in result.stdout
    assert gd("drill", "sgd", "--answer", "-", "--no-torch", input="p = p - lr*(g + wd*p)\n").exit_code == 0
    assert gd("drill", "no-such-drill", "--answer", "-").exit_code == 2


@pytest.mark.parametrize("sub", [["list"], ["check"], ["practise"], ["adam-bias"]])
def test_drill_subcommands_have_help(sub):
    result = gd("drill", *sub, "--help")
    assert result.exit_code == 0 and "Usage" in result.output
    assert "--drills" in result.output


# -- What a drill file may not do, each at its file and line --------------------------------------


def _edit(old: str, new: str):
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


BROKEN = {
    "unknown key": (_edit("title: Plain", "titel: Plain"), "titel:", "titel: unknown key"),
    "missing key": (_edit("task: Write one step of SGD with weight decay λ (λ·θ added to the gradient).\n", ""), "name: ", "missing key 'task'"),
    "wrong type": (_edit("tier: 1", "tier: first"), "tier: first", "tier: must be a whole number from 1 to 4"),
    "unknown shared name": (_edit("inputs: [p, g, lr, wd]", "inputs: [p, g, lr, decay]"), "inputs:", "inputs[3]: no shared name 'decay'"),
    "unknown shared mistake": (_edit("  - id: step-uphill", "  - id: step-upwards"), "id: step-upwards", "mistakes[0].id: no shared mistake 'step-upwards'"),
    "own mistake without explanation": (
        _edit("    explanation: The drill gives λ and the reference applies it; a rule that never uses it is plain SGD.\n", ""),
        "title: Weight decay forgotten", "mistakes[1]: gives title without explanation",
    ),
    "bad gradient pattern": (_edit("    hp: {lr: 0.1, wd: 0.01}", "    hp: {lr: 0.1, wd: 0.01}\n    grads: gaussian"), "grads: gaussian", "instances[0].grads: 'gaussian' is not one of normal"),
    "hyper-parameter not a number": (_edit("{lr: 0.1, wd: 0.01}", "{lr: fast, wd: 0.01}"), "lr: fast", "instances[0].hp.lr: must be a number"),
    "bad kind": (_edit("kind: optimizer", "kind: optimiser"), "kind:", "kind: 'optimiser' is not one of optimizer, clip, schedule"),
    "bad group": (_edit("group: optimizers", "group: optimisers"), "group:", "group: 'optimisers' is not one of optimizers, mechanics, schedules"),
    "bad reference": (_edit("reference: sgd", "reference: sgdw"), "reference:", "reference: no reference optimizer 'sgdw'"),
    "target not a name": (_edit("target: p", "target: 2p"), "target:", "target: '2p' is not a name"),
    "name not the file's": (_edit("name: {name}", "name: other-name"), "name:", "name: 'other-name' must match the file name"),
    "anchors": (_edit("    hp: {lr: 0.1, wd: 0.01}", "    hp: &h {lr: 0.1, wd: 0.01}\n  - label: again\n    hp: *h"), "hp: &h", "anchors and aliases (*name) are not allowed in drill files"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_drill_file_is_refused_at_its_line_naming_the_field(tmp_path, case):
    edit, needle, message = BROKEN[case]
    path = user_drill(tmp_path / "mine", "mine-broken", edit(USER_DRILL))
    code, errors = check_errors(path)
    assert code == 2
    expected = f"{path}:{line_of(path, needle)}: "
    assert any(e.startswith(expected) and message in e for e in errors), (expected, message, errors)


def test_a_rule_that_does_not_parse_is_refused_at_its_own_line_and_column(tmp_path):
    block = user_drill(tmp_path / "a", "mine-block", _edit("    rule: |\n      p = p - lr*g\n", "    rule: |\n      p = p - lr*g\n      p = p - lr*gg\n")(USER_DRILL))
    code, errors = check_errors(block)
    line = line_of(block, "p = p - lr*gg")
    column = block.read_text(encoding="utf-8").splitlines()[line - 1].index("gg") + 1
    assert code == 2 and errors[0].startswith(f"{block}:{line}: mistakes[1].rule: col {column}: unknown name 'gg'"), errors
    inline = user_drill(tmp_path / "b", "mine-inline", _edit("rule: p = p + lr*(g + wd*p)", "rule: p = p + lr*(gg + wd*p)")(USER_DRILL))
    code, errors = check_errors(inline)
    line = line_of(inline, "gg + wd")
    column = inline.read_text(encoding="utf-8").splitlines()[line - 1].index("gg") + 1
    assert code == 2 and errors[0].startswith(f"{inline}:{line}: mistakes[0].rule: col {column}: unknown name 'gg'"), errors


def test_a_reference_rule_that_is_not_its_python_reference_is_refused(tmp_path):
    path = user_drill(tmp_path / "m", "mine-ref", _edit("  g = g + wd*p\n  p = p - lr*g\n", "  p = p - lr*g\n")(USER_DRILL))
    code, errors = check_errors(path)
    assert code == 2
    assert errors[0].startswith(f"{path}:{line_of(path, 'reference_rule:')}: reference_rule: does not match the Python reference 'sgd': θ[")


def test_a_target_the_reference_rule_never_assigns_is_refused_where_the_rule_ends(tmp_path):
    path = user_drill(tmp_path / "m", "mine-target", _edit("target: p", "target: q")(USER_DRILL))
    code, errors = check_errors(path)
    assert code == 2
    assert errors[0].startswith(f"{path}:{line_of(path, '  p = p - lr*g')}: reference_rule: col 3: your rule never assigns q"), errors


def test_a_mistake_that_never_fails_is_refused(tmp_path):
    # Right, only written another way: the judge would pass it, so it can never be named.
    text = USER_DRILL + "  - id: decay-folded-in\n    title: Decay folded into θ\n    rule: p = p*(1 - lr*wd) - lr*g\n    explanation: Not a mistake at all.\n"
    path = user_drill(tmp_path / "m", "mine-passes", text)
    code, errors = check_errors(path)
    assert code == 2
    assert errors == [f"{path}:{line_of(path, 'id: decay-folded-in')}: mistakes[2] (decay-folded-in): passes on every instance, so it is no mistake the judge could name; add an instance where it fails"]


def test_two_mistakes_the_instances_cannot_tell_apart_are_refused(tmp_path):
    text = USER_DRILL + "  - id: uphill-again\n    title: Uphill, written out\n    rule: p = p + lr*g + lr*wd*p\n    explanation: The same slip as stepping uphill.\n"
    path = user_drill(tmp_path / "m", "mine-twins", text)
    code, errors = check_errors(path)
    assert code == 2 and len(errors) == 1
    assert errors[0].startswith(f"{path}:{line_of(path, 'id: uphill-again')}: mistakes[2] (uphill-again): gives the same values as mistakes[0] (step-uphill)")


def test_a_variant_that_is_a_known_mistake_or_blows_up_is_refused(tmp_path):
    mistaken = USER_DRILL + "variants:\n  - id: no-decay-ok\n    title: Without decay\n    rule: p = p - lr*g\n    note: Not right.\n"
    path = user_drill(tmp_path / "a", "mine-variant", mistaken)
    code, errors = check_errors(path)
    assert code == 2 and errors[0].startswith(f"{path}:{line_of(path, 'id: no-decay-ok')}: variants[0] (no-decay-ok): gives the same values as mistakes[1] (decay-forgotten)")
    blown = USER_DRILL + "variants:\n  - id: log-step\n    title: A log step\n    rule: p = p - lr*log(-1 - g*g)\n    note: Never finite.\n"
    path = user_drill(tmp_path / "b", "mine-blown", blown)
    code, errors = check_errors(path)
    assert code == 2 and errors[0].startswith(f"{path}:{line_of(path, 'id: log-step')}: variants[0] (log-step): turns NaN or infinite on 'normal gradients'")


def test_an_accepted_variant_passes_the_check(tmp_path):
    text = USER_DRILL + "variants:\n  - id: eps-guarded\n    title: A guarded step\n    rule: p = p - lr*(g + wd*p)*(1 - 1e-6)\n    note: Off by a hair, and allowed.\n"
    code, errors = check_errors(user_drill(tmp_path / "m", "mine-ok-variant", text))
    assert (code, errors) == (0, [])


def test_yaml_1e_minus_8_is_a_number_in_a_drill_file(tmp_path):
    path = user_drill(tmp_path / "m", "mine-eps", _edit("{lr: 0.1, wd: 0.01}", "{lr: 1e-1, wd: 1E-2}")(USER_DRILL))
    shared, _ = files.read_shared(tmp_path / "m", loading.shipped_shared())
    df, problems = files.read_drill_file(path, shared)
    assert problems == [] and df.drill.instances[0].hp == {"lr": 0.1, "wd": 0.01}


def test_a_subcommand_name_cannot_be_a_drill(tmp_path):
    path = user_drill(tmp_path / "m", "check")
    code, errors = check_errors(path)
    assert code == 2 and errors == [f"{path}:1: name: 'check' is a subcommand of 'gdgrill drill'; choose another name"]


def test_a_broken_shared_names_file_is_refused_at_its_line(tmp_path):
    folder = tmp_path / "m"
    user_drill(folder, "mine-shared")
    (folder / "_names.yaml").write_text("k:\n  name: k\n  meaning: micro-batches per step\n  colour: blue\np:\n  name: p\n  meaning: again\n", encoding="utf-8")
    code, errors = check_errors(folder)
    names = folder / "_names.yaml"
    assert code == 2
    assert f"{names}:4: k.colour: unknown key (allowed: aliases, meaning, name, symbol, words)" in errors
    assert any(e.startswith(f"{names}:5: p: is already a shared name (") for e in errors), errors


def test_a_folder_s_own_shared_name_and_inline_names_work(tmp_path):
    folder = tmp_path / "m"
    (folder).mkdir()
    (folder / "_names.yaml").write_text("decay:\n  name: wd\n  symbol: λ\n  aliases: [weight_decay]\n  meaning: weight decay\n", encoding="utf-8")
    user_drill(folder, "mine-own-names", _edit("inputs: [p, g, lr, wd]", "inputs: [p, g, {name: lr, symbol: η, meaning: step size}, decay]")(USER_DRILL))
    result = gd("drill", "check", str(folder))
    assert result.exit_code == 0, result.stderr
    assert f"ok: {folder / '_names.yaml'}: 1 shared name(s)" in result.stdout.splitlines()


# -- Names are unique across folders ------------------------------------------------------------------


def test_a_user_drill_named_like_a_shipped_one_is_a_clash(tmp_path):
    path = user_drill(tmp_path / "m", "sgd")
    code, errors = check_errors(path)
    assert code == 2 and errors[0].startswith(f"{path}:1: name: drill name 'sgd' is already used by ") and errors[0].endswith("sgd.yaml")
    listed = gd("drill", "list", "--drills", str(tmp_path / "m"))
    assert listed.exit_code == 2 and "drill name 'sgd' is already used by" in listed.stderr
    assert len(listed.stderr.strip().splitlines()) == 1 and "Traceback" not in listed.output


def test_the_same_name_in_two_user_folders_is_a_clash(tmp_path, monkeypatch):
    first = user_drill(tmp_path / "one", "mine-twice")
    second = user_drill(tmp_path / "two", "mine-twice")
    monkeypatch.setenv("GDGRILL_DRILLS", str(tmp_path / "one"))
    code, errors = check_errors(second)
    assert code == 2 and errors == [f"{second}:1: name: drill name 'mine-twice' is already used by {first}"]
    listed = gd("drill", "list", "--drills", str(tmp_path / "two"))
    assert listed.exit_code == 2 and f"{first}: drill name 'mine-twice' is already used by {second}" in listed.stderr


def test_the_same_folder_named_twice_loads_once(tmp_path, monkeypatch):
    user_drill(tmp_path / "m", "mine-once")
    monkeypatch.setenv("GDGRILL_DRILLS", str(tmp_path / "m"))
    data = json.loads(gd("drill", "list", "--json", "--drills", str(tmp_path / "m")).stdout)
    assert [d["name"] for d in data].count("mine-once") == 1


# -- The user's own drills run like the shipped ones ---------------------------------------------------


def test_a_drill_from_drills_option_runs_interactively_with_piped_input(tmp_path, isolated_home):
    user_drill(tmp_path / "mine", "mine-piped")
    result = gd("drill", "mine-piped", "--drills", str(tmp_path / "mine"), "--no-torch", input="p = p - lr*(g + wd*p)\n\n")
    assert result.exit_code == 0, result.output
    assert "Plain SGD with L2 decay" in result.stdout and "Correct" in result.stdout
    assert [(item, grade) for item, grade, *_ in logged_reviews(isolated_home)] == [("drill/mine-piped", "pass")]
    wrong = gd("drill", "mine-piped", "--drills", str(tmp_path / "mine"), "--answer", "-", "--no-torch", input="p = p - lr*g\n")
    assert wrong.exit_code == 1 and "Weight decay forgotten" in wrong.stdout


def test_gdgrill_drills_adds_a_user_drill_to_the_list_and_the_drill(tmp_path, monkeypatch):
    user_drill(tmp_path / "a", "mine-env-a")
    user_drill(tmp_path / "b", "mine-env-b", _edit("group: optimizers", "group: mechanics")(USER_DRILL))
    monkeypatch.setenv("GDGRILL_DRILLS", f"{tmp_path / 'a'}{':' if sys.platform != 'win32' else ';'}{tmp_path / 'b'}")
    data = {d["name"]: d["group"] for d in json.loads(gd("drill", "list", "--json").stdout)}
    assert (data["mine-env-a"], data["mine-env-b"]) == ("optimizers", "mechanics") and set(DRILLS) <= set(data)
    text = gd("drill", "list").stdout
    assert text.index(GROUPS["mechanics"]) < text.index("mine-env-b") < text.index(GROUPS["schedules"])
    assert gd("drill", "mine-env-a", "--answer", "-", "--no-torch", input="p = p - lr*(g + wd*p)\n").exit_code == 0


def test_a_broken_user_drill_stops_the_command_with_one_line_and_saves_nothing(tmp_path, isolated_home):
    user_drill(tmp_path / "m", "mine-bad", _edit("tier: 1", "tier: 9")(USER_DRILL))
    result = gd("drill", "sgd", "--drills", str(tmp_path / "m"), "--answer", "-", "--no-torch", input="p = p - lr*(g + wd*p)\n")
    assert result.exit_code == 2 and "Traceback" not in result.output
    bad = tmp_path / "m" / "mine-bad.yaml"
    assert result.stderr.strip() == f"gdgrill: error: {bad}:{line_of(bad, 'tier: 9')}: tier: must be a whole number from 1 to 4"
    assert logged_reviews(isolated_home) == []


def test_a_missing_drills_folder_is_one_line(tmp_path):
    result = gd("drill", "list", "--drills", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and result.stderr.strip() == f"gdgrill: error: {tmp_path / 'nowhere'}: no such drill file or folder"


def test_the_report_and_decks_list_count_the_user_s_drills(tmp_path, monkeypatch):
    user_drill(tmp_path / "m", "mine-counted")
    monkeypatch.setenv("GDGRILL_DRILLS", str(tmp_path / "m"))
    report = json.loads(gd("report", "--format", "json").stdout)
    assert next(d for d in report["decks"] if d["id"] == "drills")["items"] == len(DRILLS) + 1
    row = next(line for line in gd("decks", "list").stdout.splitlines() if line.startswith("drills "))
    assert str(len(DRILLS) + 1) in row.split()


# -- Loading: the wheel's pre-parsed drills, the cache, and their staleness ------------------------------


def test_the_wheel_index_is_used_when_fresh_and_the_yaml_when_stale(tmp_path, monkeypatch, fresh_load):
    folder = tmp_path / "_shipped" / "drills"
    shutil.copytree(SHIPPED, folder)
    index = tmp_path / "_shipped" / "drills.json"
    loading.build_shipped_index(folder, index)
    data = json.loads(index.read_text(encoding="utf-8"))
    for d in data["drills"]:
        d["title"] = "read from the index"  # tells the index apart from the YAML
    index.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(loading, "shipped_drills_dir", lambda: folder)
    monkeypatch.setattr(loading, "shipped_drill_index_path", lambda: index)
    monkeypatch.setitem(sys.modules, "yaml", None)  # a fresh index never needs YAML
    monkeypatch.setattr(files, "_LOADER", None)
    assert {d.title for d in loading.shipped_drills().values()} == {"read from the index"}
    monkeypatch.delitem(sys.modules, "yaml")
    sgd = folder / "sgd.yaml"
    sgd.write_text(sgd.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")  # its size no longer matches
    monkeypatch.setattr(loading, "_SHIPPED", None)
    drills = loading.shipped_drills()
    assert drills["sgd"].title == DRILLS["sgd"].title and "read from the index" not in {d.title for d in drills.values()}


def test_an_index_from_another_gdgrill_version_is_not_used(tmp_path, monkeypatch, fresh_load):
    folder = tmp_path / "drills"
    shutil.copytree(SHIPPED, folder)
    index = tmp_path / "drills.json"
    loading.build_shipped_index(folder, index)
    data = json.loads(index.read_text(encoding="utf-8"))
    data["version"] = "drills-1:0.0.0"
    data["drills"][0]["title"] = "stale"
    index.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(loading, "shipped_drills_dir", lambda: folder)
    monkeypatch.setattr(loading, "shipped_drill_index_path", lambda: index)
    assert "stale" not in {d.title for d in loading.shipped_drills().values()}


def test_a_user_drill_is_read_once_then_from_the_cache_until_it_changes(tmp_path, monkeypatch):
    path = user_drill(tmp_path / "m", "mine-cached")
    cache = tmp_path / "cache.json"
    assert "mine-cached" in loading.load_drills([tmp_path / "m"], cache=cache)
    monkeypatch.setitem(sys.modules, "yaml", None)  # a cached day reads no YAML …
    monkeypatch.setitem(sys.modules, "numpy", None)  # … and runs no judge
    monkeypatch.setattr(files, "_LOADER", None)
    assert loading.load_drills([tmp_path / "m"], cache=cache)["mine-cached"].title == "Plain SGD with L2 decay"
    monkeypatch.delitem(sys.modules, "yaml")
    monkeypatch.delitem(sys.modules, "numpy")
    path.write_text(path.read_text(encoding="utf-8").replace("tier: 1", "tier: 7"), encoding="utf-8")
    with pytest.raises(loading.DrillError, match=rf"mine-cached\.yaml:{line_of(path, 'tier: 7')}: tier: must be a whole number from 1 to 4"):
        loading.load_drills([tmp_path / "m"], cache=cache)


def test_a_corrupt_cache_is_rebuilt_not_trusted(tmp_path):
    user_drill(tmp_path / "m", "mine-corrupt")
    cache = tmp_path / "cache.json"
    cache.write_text("{not json", encoding="utf-8")
    assert "mine-corrupt" in loading.load_drills([tmp_path / "m"], cache=cache)
    assert json.loads(cache.read_text(encoding="utf-8"))["version"] == loading.CACHE_VERSION


def test_drill_list_and_decks_list_read_no_yaml_once_the_cache_is_warm(tmp_path):
    import os
    import subprocess

    probe = (
        "import sys, runpy; sys.argv = ['gdgrill', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('gdgrill', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'numpy', 'yaml') if m in sys.modules), file=sys.stderr)"
    )
    user_drill(tmp_path / "m", "mine-warm")
    env = dict(os.environ, GDGRILL_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT), GDGRILL_DRILLS=str(tmp_path / "m"))
    for args in (["drill", "list"], ["decks", "list"]):
        subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, timeout=60)  # fills the caches
        second = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, timeout=60)
        assert "mine-warm" in second.stdout or args[0] == "decks"
        assert second.stderr.strip().splitlines()[-1] == "[]", (args, second.stderr)


def test_the_drill_loaders_are_library_modules_that_never_import_a_command():
    import ast

    for module in ("files", "loading", "catalog"):
        tree = ast.parse((ROOT / "gdgrill" / "drill" / f"{module}.py").read_text(encoding="utf-8"))
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in imported if m == "gdgrill.drill.command" or m.startswith("gdgrill.commands") or m == "gdgrill.cli"], module
