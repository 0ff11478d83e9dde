"""``gdgrill drill``: list the drills, or type an update rule and have it executed and judged.

Usage::

    gdgrill drill                       # or `gdgrill drill list`: the drills by group, one line each
    gdgrill drill check PATH            # validate drill files (a file or a folder); exit 0 or 2
    gdgrill drill --drills DIR NAME     # your own drills beside the shipped ones (also GDGRILL_DRILLS)
    gdgrill drill adam-bias             # interactive: intro, answer, verdict, hint / retry / reference
    gdgrill drill adam-bias --answer rule.txt [--json]     # grade a file ('-' reads stdin)
    gdgrill drill adam-bias --show-reference               # give up: the intro and the reference rule
    gdgrill drill adam-bias --derive [--answer FILE]       # derive E[m_t] and the correction first
    gdgrill drill momentum --derive                        # any drill marked in the list: its formulas first

Exit codes: 0 correct, 1 incorrect, 2 refused (cannot parse, not allowed, resource bomb),
unknown drill or other user error, 130 interrupted. Graded attempts (not refusals) are saved
in the progress database as item ``drill/<name>``.

``--json`` prints one object on stdout (``drill list --json`` prints a list of
``{name, title, summary, tier, group}`` in list order: by group, then tier, then name)::

    {
      "drill": "adam-bias",
      "verdict": "pass" | "fail" | "refused",
      "misconception": "eps-inside-sqrt" | null,     # the known mistake the rule matches
      "misconception_title": str | null,
      "explanation": str | null,                     # why that mistake matters
      "variant": "eps-hat" | null,                   # an accepted alternative form, when it passed as one
      "first_difference": {                          # null when the rule matches the reference
        "instance": str, "step": int (1-based), "quantity": "θ[2]", "index": [int, ...],
        "yours": number, "reference": number         # non-finite values as "nan", "inf", "-inf"
      } | null,
      "refusal": {"line": int, "col": int, "reason": str} | null,
      "message": str,                                # the one-paragraph verdict
      "diagnosis": str | null,                       # every fail: where it goes wrong, in words
      "repair": {                                    # a fail that one edit of the rule fixes
        "line": int, "col": int, "statement": int,   # where (statement: 1-based, lines may hold several)
        "from": str, "to": str,                      # your text, and what to write instead
        "edit": "replace" | "move" | "delete" | "insert",
        "moves_to": int, "position": "before" | "after"   # only for a move
      } | null,
      "first_wrong_statement": {                     # the first of your statements whose value departs
        "line": int, "statement": int, "name": str,  #   from the reference quantity it stands for
        "reference": str | null, "role": str | null, "step": int, "instance": str,
        "yours": number, "reference_value": number
      } | null,
      "nonfinite": {"line": int, "step": int, "instance": str, "value": "nan" | "inf",
                    "cause": "sqrt-of-negative" | "division-by-zero" | "overflow" | "log-of-non-positive" | "invalid"} | null,
      "torch": {                                     # only after a pass, with --torch (the default)
        "device": "cpu" | "cuda", "compared": str,   # e.g. "torch.optim.Adam vs your rule run through torch (…)"
        "agrees": bool | null,                       # null: not run (note says why)
        "dtype": str, "max_abs_diff": number | null, "tolerance": number | null,   # the float32 check
        "checks": [{"dtype": "float32" | "bfloat16", "agrees": bool, "max_abs_diff": number, "tolerance": number}],
        "note": str
      } | null,
      "checked": {"instances": int, "steps": int, "dtype": "float64", "rtol": number, "atol": number},
      "saved": bool                                  # recorded in the progress database
    }

``--derive`` (the drills in :data:`gdgrill.drill.derivations.DERIVATIONS`, marked in the list):
the stages are graded by :mod:`gdgrill.drill.derive` (its answer file and the ``derive`` object
its ``--json`` adds are described there); asking them, rendering and saving is at the end of
this module. ``drill list --json`` adds ``derive``: whether the drill has derive stages.

numpy and torch are imported inside the command only (listing drills stays light).
"""

from __future__ import annotations

import json
import sys
import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Mapping, Optional

import typer
from typer.core import TyperGroup
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from gdgrill.cli_options import DrillsOption, HomeOption
from gdgrill.console import error_line, make_console, user_errors
from gdgrill.drill.catalog import DRILLS, GROUPS, Drill
from gdgrill.drill.derivations import DERIVATIONS
from gdgrill.errors import ExitCode, UserError

if TYPE_CHECKING:
    from gdgrill.drill.derivations import Derivation, Stage
    from gdgrill.drill.derive import StageResult
    from gdgrill.drill.judge import Verdict
    from gdgrill.lineinput import Prompter

READ_LIMIT = 64 * 1024  # characters; the language refuses anything past its own cap anyway


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


def drill_command(
    name: Annotated[
        Optional[str],
        typer.Argument(help="The drill to practise (e.g. adam-bias). `list`, or nothing, lists the drills.", show_default=False),
    ] = None,
    answer: Annotated[
        Optional[str],
        typer.Option("--answer", "-a", metavar="FILE|-", help="Grade the update rule in FILE ('-' reads stdin) without asking; exit 0 correct, 1 incorrect, 2 refused.", show_default=False),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the verdict (or the list) as one JSON object on stdout.")] = False,
    device: Annotated[Device, typer.Option("--device", case_sensitive=False, help="Where the cross-check after a pass runs: cpu or cuda.")] = Device.cpu,
    torch_check: Annotated[bool, typer.Option("--torch/--no-torch", help="After a pass, run the real torch.optim optimizer (clip_grad_norm_, lr_scheduler) and your rule through torch on --device, in float32 (and bfloat16 for the adaptive methods), and print the worst |Δ| against the tolerance.")] = True,
    show_reference: Annotated[bool, typer.Option("--show-reference", help="Give up: print the drill's intro and its reference rule, then exit.")] = False,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Record graded attempts in the progress database.")] = True,
    derive: Annotated[bool, typer.Option("--derive", help=f"First derive the formulas behind the rule (adam-bias: E[m_t] and the bias correction), then write the rule; for the drills marked in the list ({', '.join(DERIVATIONS)}). With --answer, FILE holds one line per formula, then the rule (or sections split by ---).")] = False,
    home: HomeOption = None,
    drills: DrillsOption = None,
) -> None:
    """List the drills, or type an optimizer update rule from memory and have it run against the reference."""
    out, err = make_console(), make_console(stderr=True)
    with user_errors(err, "interrupted; the attempt in progress was not saved."):
        code = run_drill(name, answer, json_output, device.value, torch_check, show_reference, save, home, out, err, derive=derive, drills=drills or ())
    raise typer.Exit(code=code)


def drill_list(
    json_output: Annotated[bool, typer.Option("--json", help="Print the drills as one JSON list on stdout: name, title, summary, tier, group.")] = False,
    home: HomeOption = None,
    drills: DrillsOption = None,
) -> None:
    """The drills, grouped under optimizers, training mechanics and schedules, with their tier and what you write."""
    from gdgrill.cli import load_drill_catalog

    out, err = make_console(), make_console(stderr=True)
    with user_errors(err):
        list_drills(out, json_output, load_drill_catalog(drills, home))


def drill_check(
    path: Annotated[Path, typer.Argument(help="A drill file, or a folder of them (*.yaml, with its _names.yaml and _mistakes.yaml).", show_default=False)],
    drills: DrillsOption = None,
) -> None:
    """Validate drill files: each file's keys and names, then its rules run through the judge
    (the reference rule must match the Python reference, every mistake must fail, no variant
    may). Exit 0 with a line per file; 2 with every problem as FILE:LINE: field: problem. A
    name used by a shipped drill or one in --drills / GDGRILL_DRILLS is a clash."""
    from gdgrill.drill.files import check_path

    out, err = make_console(), make_console(stderr=True)
    with user_errors(err):
        checked, problems = check_path(path, drills or ())
        for c in checked:
            out.print(f"ok: {c.summary}", markup=False, soft_wrap=True)
        for problem in problems:
            error_line(err, str(problem))
    if problems:
        raise typer.Exit(code=int(ExitCode.USAGE))


class _DrillGroup(TyperGroup):
    """``gdgrill drill NAME …`` practises NAME: a first word that is no subcommand (or none at
    all) goes to ``practise``, so ``list`` and ``check`` are subcommands beside drill names."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] != "--help"):
            args = ["practise", *args]
        return super().parse_args(ctx, args)


drill_app = typer.Typer(
    cls=_DrillGroup,
    help="Type an optimizer update rule from memory; it is executed safely against the reference and judged.\n\n"
    "gdgrill drill NAME practises one (see gdgrill drill NAME --help); gdgrill drill, or gdgrill drill list, lists them.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
drill_app.command("list")(drill_list)
drill_app.command("check")(drill_check)
drill_app.command("practise", help="Practise one drill: gdgrill drill NAME [OPTIONS] (the word practise may be left out).")(drill_command)




def run_drill(
    name: str | None,
    answer: str | None,
    json_output: bool,
    device: str,
    torch_check: bool,
    show_reference: bool,
    save: bool,
    home: Path | None,
    out: Console,
    err: Console,
    derive: bool = False,
    drills: "list[Path] | tuple[Path, ...]" = (),
) -> int:
    """The command's logic with its consoles passed in; returns the exit code."""
    from gdgrill.cli import load_drill_catalog

    catalog = load_drill_catalog(list(drills), home)
    if name is None or name.strip().lower() == "list":
        list_drills(out, json_output, catalog)
        return ExitCode.OK
    drill = catalog.get(name.strip().lower())
    if drill is None:
        raise UserError(f"unknown drill {name!r} (available: {', '.join(catalog)})")
    if derive and drill.name not in DERIVATIONS:
        raise UserError(f"--derive: the {drill.name} drill has no derive stages (drills with them: {', '.join(DERIVATIONS)})")
    if show_reference:
        _show_reference(drill, out, json_output)
        return ExitCode.OK
    torch_device = _torch_device(device) if torch_check else None
    if save and answer is None:
        check_writable(home)  # before the user types anything that could not be saved
    if derive:
        if answer is not None:
            return run_derive_answer(drill.name, read_answer(answer), json_output, torch_device, save, home, out, err)
        return derive_interactive(drill.name, torch_device, save, home, out, err)
    if answer is not None:
        text = read_answer(answer)
        verdict = _judge(drill, text, torch_device)
        ladder = _record(drill, verdict, text, None, home) if save else None
        if json_output:
            _print_json(out, {**verdict.to_dict(), "saved": ladder is not None})
            if verdict.verdict == "refused":
                error_line(err, verdict.message)
        else:
            render_verdict(drill, verdict, out, err)
            if ladder:
                out.print(f"  {ladder}", style="muted", markup=False)
        return _exit_code(verdict)
    return interactive(drill, torch_device, save, home, out, err)


def _exit_code(verdict: "Verdict") -> int:
    return _code_for(verdict.verdict)


def _code_for(verdict: str) -> int:
    return {"pass": ExitCode.OK, "fail": ExitCode.FAILED}.get(verdict, ExitCode.USAGE)


def _judge(drill: Drill, text: str, torch_device: str | None) -> "Verdict":
    from gdgrill.drill.judge import judge

    return judge(drill, text, torch_device=torch_device)


def _torch_device(device: str) -> str | None:
    if device != "cuda":
        return device
    try:
        import torch
    except ImportError:
        raise UserError("--device cuda needs torch, which is not installed") from None
    if not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA device is available here (use --device cpu)")
    return "cuda"


def read_answer(source: str) -> str:
    """The answer text from a file, or stdin for '-'; a one-line UserError if unreadable.
    A byte-order mark is dropped. Past READ_LIMIT characters the rest is counted, not kept,
    so the refusal can say how long the answer really is."""
    try:
        if source == "-":
            data = _read_counted(sys.stdin)
        else:
            with open(source, encoding="utf-8-sig") as fh:
                data = _read_counted(fh)
    except FileNotFoundError:
        raise UserError(f"{source}: no such answer file") from None
    except IsADirectoryError:
        raise UserError(f"{source}: is a folder, not an answer file") from None
    except UnicodeDecodeError:
        raise UserError(f"{source}: not UTF-8 text") from None
    except OSError as exc:
        raise UserError(f"{source}: cannot read the answer ({exc.strerror or exc})") from None
    return data


def _read_counted(stream: Any) -> str:
    from gdgrill.drill.language import MAX_CHARS

    data = stream.read(READ_LIMIT)
    extra = 0
    while True:
        chunk = stream.read(READ_LIMIT)
        if not chunk:
            break
        extra += len(chunk)
    if extra:
        raise UserError(f"the answer is {len(data) + extra:,} characters long; the limit is {MAX_CHARS:,}")
    return data


def check_writable(home: Path | None) -> None:
    """Refuse now (one line, exit 2) when an attempt could not be saved: read-only, full."""
    from gdgrill.paths import home_dir
    from gdgrill.store import open_store

    open_store(home_dir(home)).close()


def save_attempt(drill_name: str, grade: str, mode: str, answer: str, seconds: float | None, detail: dict[str, Any], home: Path | None) -> str:
    """Append one graded drill attempt (item ``drill/NAME``) to the review log; return a
    line saying where the drill now stands on the ladder."""
    from gdgrill.clock import today
    from gdgrill.paths import home_dir
    from gdgrill.store import open_store

    item = f"drill/{drill_name}"
    day = today(home=home)
    with open_store(home_dir(home)) as store:
        store.record_review(
            item, grade, mode, day=day, answer=answer, seconds=None if seconds is None else round(seconds, 1), detail=detail
        )
        state = store.states_for([item])[item]
    if grade == "pass" and state.last_review == day and state.due and state.due > day and state.reviews > 1 and state.rung == 0:
        return f"saved · a same-day retry counts as practice; the ladder restarts with tomorrow's attempt ({state.due.isoformat()})"
    where = "maintenance check" if state.checkpoint_day is None else f"day-{state.checkpoint_day} checkpoint"
    return f"saved · next attempt due {state.due.isoformat()} ({where})" if state.due else "saved"


def _record(drill: Drill, verdict: "Verdict", text: str, seconds: float | None, home: Path | None) -> str | None:
    """Append a graded attempt to the review log (refusals are not attempts); return the
    line saying where the drill now stands, or None when nothing was saved."""
    if verdict.verdict not in ("pass", "fail"):
        return None
    detail: dict[str, Any] = {"misconception": verdict.misconception.id if verdict.misconception else None}
    if verdict.variant:
        detail["variant"] = verdict.variant.id
    if verdict.first_difference and verdict.verdict == "fail":
        detail["first_difference"] = verdict.first_difference.to_dict()
    if verdict.diagnosis is not None:
        detail["diagnosis"] = verdict.diagnosis.text
        detail["repair"] = verdict.diagnosis.repair.to_dict() if verdict.diagnosis.repair else None
    return save_attempt(drill.name, verdict.verdict, "drill", text, seconds, detail, home)


# -- Rendering ----------------------------------------------------------------------------------


def _print_json(out: Console, obj: Any) -> None:
    out.print(json.dumps(obj, indent=2), markup=False, highlight=False, soft_wrap=True)


def list_drills(out: Console, json_output: bool, drills: Mapping[str, Drill] = DRILLS) -> None:
    """The drills in list order, under a heading per group (in JSON, a ``group`` each)."""
    if json_output:
        _print_json(out, [
            {"name": d.name, "title": d.title, "summary": d.summary, "tier": d.tier, "group": d.group, "derive": d.name in DERIVATIONS}
            for d in drills.values()
        ])
        return
    from rich.padding import Padding

    width = max((len(d.name) for d in drills.values()), default=0)
    for group, heading in GROUPS.items():
        members = [d for d in drills.values() if d.group == group]
        if not members:
            continue
        out.print(f"{heading} ({len(members)})", style="title", markup=False)
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column("drill", style="key", no_wrap=True, min_width=width)
        table.add_column("tier", no_wrap=True, style="muted")
        table.add_column("derive", no_wrap=True)
        table.add_column("what you write")
        for d in members:
            table.add_row(escape(d.name), f"tier {d.tier}", "✓" if d.name in DERIVATIONS else "", escape(d.summary))
        out.print(Padding(table, (0, 0, 1, 2)))
    out.print("Run `gdgrill drill NAME` to practise one, or `gdgrill drill NAME --answer FILE` to grade a file.", style="muted", markup=False)
    out.print("✓ derive: `gdgrill drill NAME --derive` first derives the formulas behind the rule.", style="muted", markup=False)


def _show_reference(drill: Drill, out: Console, json_output: bool) -> None:
    if json_output:
        _print_json(out, {"drill": drill.name, "intro": drill.intro, "reference_rule": drill.reference_rule})
        return
    out.print(Panel(escape(drill.intro), title=f"drill {drill.name}", expand=False))
    out.print("Reference rule:", style="title")
    out.print(drill.reference_rule, markup=False, highlight=False)


def render_verdict(drill: Drill, verdict: "Verdict", out: Console, err: Console, interactive: bool = False) -> None:
    if verdict.verdict == "refused":
        if interactive:  # not fatal here: say why, then the user retries
            out.print(f"✗ Refused: {verdict.message}", style="bad", markup=False)
        else:
            error_line(err, verdict.message)
        return
    if verdict.verdict == "pass":
        out.print(f"[ok]✓ {escape(verdict.message)}[/]")
        if verdict.first_difference and verdict.variant:
            out.print(f"  [muted](torch's form differs: {escape(verdict.first_difference.describe())})[/]")
        check = verdict.torch
        if check is not None:
            render_cross_check(check, out)
        return
    out.print("[bad]✗ Not quite.[/]")
    if verdict.diagnosis is not None:
        out.print(f"  {escape(verdict.diagnosis.text)}")
    diff = verdict.first_difference
    if diff is not None:
        out.print(f"  [muted]{escape(diff.describe())}.[/]")
    if verdict.misconception is not None:
        out.print(f"  Looks like: [key]{escape(verdict.misconception.title)}[/] [muted]({verdict.misconception.id})[/]")
        out.print(f"  {escape(verdict.misconception.explanation)}")
    elif verdict.diagnosis is None or verdict.diagnosis.repair is None:
        out.print("  It matches none of the known mistakes for this drill.", style="muted")


def render_cross_check(check: Any, out: Console) -> None:
    """After a pass: what torch compared, and each dtype's worst |Δ| against its tolerance."""
    if check.agrees is None:
        out.print(f"  [muted]torch cross-check on {check.device}: {escape(check.note)}[/]")
        return
    out.print(f"  [muted]torch cross-check on {check.device}: {escape(check.compared)}[/]")
    for c in check.checks:
        mark = "[ok]agrees[/]" if c.agrees else "[warn]does not agree[/]"
        out.print(f"    {c.dtype}: worst |Δ| {c.max_abs_diff:.2g}, tolerance {c.tolerance:.2g} — {mark}")
    if check.note:
        out.print(f"    [warn]{escape(check.note)}[/]")


# -- Interactive ------------------------------------------------------------------------------


def prompter_for(out: Console, home: Path | None) -> "Prompter":
    from gdgrill.lineinput import Prompter
    from gdgrill.paths import history_path, home_dir

    return Prompter(out, history_file=history_path(home_dir(home)), style="")


def read_multiline(prompter: "Prompter", previous: str | None = None) -> str | None:
    """Lines until an empty line or end of input; None when nothing was typed. A retry
    starts each line pre-filled from ``previous``: Enter keeps a line, edit it in place,
    Ctrl-U clears it."""
    lines = prompter.lines("› ", "… ", default=previous.splitlines() if previous else (), limit=READ_LIMIT)
    return "\n".join(lines) if lines else None


def _ask(prompter: "Prompter", prompt: str, choices: str) -> str:
    while True:
        try:
            reply = prompter(prompt).strip().lower()
        except EOFError:
            return "q"
        if not reply:
            return "r"  # Enter retries, as the prompt says
        if reply[0] in choices:
            return reply[0]
        prompter.console.print(f"  type one of: {', '.join(choices)} (or Enter to retry)", style="warn", markup=False)


def interactive(drill: Drill, torch_device: str | None, save: bool, home: Path | None, out: Console, err: Console) -> int:
    out.print(Panel(escape(drill.intro), title=f"drill {drill.name} · tier {drill.tier}", expand=False))
    out.print("Type your rule; finish with an empty line (or Ctrl-D).", style="muted", markup=False)
    prompter = prompter_for(out, home)
    hints_shown = 0
    last = ExitCode.USAGE
    text: str | None = None
    while True:
        started = time.perf_counter()
        if text is not None:
            out.print("Your last attempt is filled in: Enter keeps a line, edit it in place, Ctrl-U clears it.", style="muted", markup=False)
        text = read_multiline(prompter, text)
        if text is None:
            err.print("no answer given; nothing saved.", style="muted", markup=False)
            return last
        verdict = _judge(drill, text, torch_device)
        seconds = time.perf_counter() - started
        render_verdict(drill, verdict, out, err, interactive=True)
        if save:
            ladder = _record(drill, verdict, text, seconds, home)
            if ladder:
                out.print(f"  {ladder}", style="muted", markup=False)
        last = _exit_code(verdict)
        if verdict.passed:
            return ExitCode.OK
        more_hints = hints_shown < len(drill.hints)
        options = ("[h]int, " if more_hints else "") + "[r]etry (Enter), [g]ive up (show the reference), [q]uit: "
        choice = _ask(prompter, options, ("h" if more_hints else "") + "rgq")
        while choice == "h":
            out.print(f"Hint {hints_shown + 1}: {drill.hints[hints_shown]}", style="warn", markup=False)
            hints_shown += 1
            more_hints = hints_shown < len(drill.hints)
            options = ("[h]int, " if more_hints else "") + "[r]etry (Enter), [g]ive up (show the reference), [q]uit: "
            choice = _ask(prompter, options, ("h" if more_hints else "") + "rgq")
        if choice == "g":
            out.print("Reference rule:", style="title")
            out.print(drill.reference_rule, markup=False, highlight=False)
            return last
        if choice == "q":
            return last


# -- --derive: the stages of gdgrill.drill.derive, asked and rendered --------------------------------


def _record_derivation(drill_name: str, stages: Mapping[str, Any], grade: str, answer: str, seconds: float | None, home: Path | None) -> bool:
    """Append one derive attempt to the review log: item ``drill/NAME``, mode ``derive``,
    the per-stage verdicts and misconceptions in ``detail``. Refusals are not attempts."""
    if grade not in ("pass", "fail"):
        return False
    save_attempt(drill_name, grade, "derive", answer, seconds, {"derive": dict(stages)}, home)
    return True


def _stage_detail(result: Any) -> dict[str, Any]:
    return {"verdict": result.verdict, "misconception": result.misconception.id if result.misconception else None}


def run_derive_answer(
    drill_name: str, text: str, json_output: bool, torch_device: str | None, save: bool, home: Path | None, out: Console, err: Console
) -> int:
    """``--derive --answer FILE``: grade every part, render, save; returns the exit code."""
    from gdgrill.drill import derive

    result = derive.grade_answer(text, torch_device, drill_name)
    ids = [s.id for s in result.derivation.stages] + ["rule"]
    saved = _record_derivation(drill_name, {s: _stage_detail(r) for s, r in zip(ids, result.stages)}, result.verdict, text, None, home) if save else False
    if json_output:
        _print_json(out, {**result.rule.to_dict(), "verdict": result.verdict, "message": result.summary, "derive": result.to_dict(), "saved": saved})
        for stage in result.stages:
            if stage.verdict == "refused":
                error_line(err, stage.message)
        return _code_for(result.verdict)
    for number, (stage, stage_result) in enumerate(zip(result.derivation.stages, result.results), start=1):
        out.print(f"[title]{number}. {escape(stage.title)}[/]")
        render_stage(stage, stage_result, out, err)
    out.print(f"[title]{len(result.results) + 1}. The update rule[/]")
    render_verdict(DRILLS[drill_name], result.rule, out, err)
    return _code_for(result.verdict)


def render_stage(stage: "Stage", result: "StageResult", out: Console, err: Console) -> None:
    if result.verdict == "refused":
        error_line(err, result.message)
        return
    if result.passed:
        out.print(f"[ok]✓ {escape(result.message)}[/]")
        if result.method == "numeric":
            out.print(f"  [muted]({escape(result.note)})[/]")
        return
    out.print(f"[bad]✗ {escape(result.message)}[/]")
    if result.misconception is not None:
        out.print(f"  {escape(result.misconception.explanation)}")
    else:
        out.print("  It matches none of the known mistakes for this step.", style="muted")


def _read_line(prompter: Any) -> str | None:
    """The next non-empty line, or None at end of input."""
    while True:
        try:
            line = prompter("› ")
        except EOFError:
            return None
        if line.strip():
            return line


def _derive_intro(derivation: "Derivation") -> str:
    steps = derivation.steps
    return "\n".join(
        [
            f"{derivation.title}: {derivation.steps_in_words} steps.",
            *(f"  {n}. {s.title}" for n, s in enumerate(derivation.stages, start=1)),
            f"  {steps}. the update rule (the {derivation.drill} drill)",
            "",
            "Formulas use the drill's notation: ^ or ** for powers, · or * to multiply,",
            "√x or sqrt(x), ln or log, abs(x) for |x|; μ(1 − β₁ᵗ) and ηλ multiply.",
        ]
    )


def derive_interactive(drill_name: str, torch_device: str | None, save: bool, home: Path | None, out: Console, err: Console) -> int:
    """Ask each stage in turn; a wrong stage explains why, then [r]etry, [s]how or [q]uit.

    The derivation stages are saved as one attempt (mode ``derive``) once all are answered
    (or the user quits after answering some): a stage counts as passed only if its first
    graded answer was right. The rule stage is the drill's own interactive loop, saved as that
    drill saves it. Returns 0 only if every stage ended right."""
    from gdgrill.drill import derive

    derivation = derive.derivation_for(drill_name)
    steps = derivation.steps
    out.print(Panel(escape(_derive_intro(derivation)), title=f"drill {drill_name} · derive", expand=False))
    prompter = prompter_for(out, home)
    first: dict[str, Any] = {}
    answers: list[str] = []
    all_right = True
    started = time.perf_counter()

    def save_derivation() -> None:
        if save and first:
            grade = "pass" if all(r.passed for r in first.values()) and len(first) == len(derivation.stages) else "fail"
            _record_derivation(drill_name, {s: _stage_detail(r) for s, r in first.items()}, grade, "\n".join(answers), time.perf_counter() - started, home)

    for number, stage in enumerate(derivation.stages, start=1):
        out.print(f"\n[title]Step {number}/{steps} · {escape(stage.title)}[/]")
        out.print(stage.question, markup=False)
        out.print("Names:", style="muted", markup=False)
        for n in stage.names:
            also = ", ".join(a for a in (n.name, *n.aliases) if a != n.symbol)
            out.print(f"  {n.symbol:<5} {n.meaning}  (also: {also})", style="muted", markup=False)
        while True:
            text = _read_line(prompter)
            if text is None:
                save_derivation()
                if not first:
                    err.print("no answer given; nothing saved.", style="muted", markup=False)
                return ExitCode.USAGE if not first else ExitCode.FAILED
            result = derive.check_stage(stage, text)
            render_stage(stage, result, out, err)
            if result.verdict == "refused":
                continue
            first.setdefault(stage.id, result)
            answers.append(text)
            if result.passed:
                break
            choice = _ask(prompter, "[r]etry, [s]how the answer, [q]uit: ", "rsq")
            if choice == "s":
                all_right = False
                out.print(stage.shown, style="key", markup=False)
                out.print(stage.derivation, markup=False)
                break
            if choice == "q":
                save_derivation()
                return ExitCode.FAILED
    save_derivation()
    out.print(f"\n[title]Step {steps}/{steps} · The update rule[/]")
    code = interactive(DRILLS[drill_name], torch_device, save, home, out, err)
    if code == ExitCode.OK and not all_right:
        return ExitCode.FAILED
    return code
