"""Mutation testing of the core modules with mutmut: one run per module, then a score table.

    .venv/bin/pip install mutmut                # a dev tool, not a dependency (`.[dev]`)
    .venv/bin/python bench/mutation.py          # every core module (about 20 minutes on 2 cores)
    .venv/bin/python bench/mutation.py report scheduler --survivors   # two modules, list survivors
    .venv/bin/python bench/mutation.py answers --resume             # carry on a stopped run
    .venv/bin/python bench/mutation.py answers --recheck            # its survivors against today's tests
    .venv/bin/python bench/mutation.py eventlog --only 'merge,_merge_*,_stage_reviews'   # some functions

Each module runs in its own scratch copy of the working tree (``--workdir``, default
``bench/out/mutation/<module>``), so the checkout is never touched; mutmut mutates only that
module and runs, for each mutant, the tests of the module's selection (below) that call the
mutated function. A survivor is a mutation no test noticed. Those listed in ``EQUIVALENT``
cannot change anything a user sees (each says why) and do not count against the score:

    score = (killed + timeout) / (total - equivalent)

Not run in CI: it takes minutes per module.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The tests that state each module's behaviour. mutmut records which of them call which
# function and runs only those against a mutant of it. (Tests that drive a subprocess or a
# pty are left out: mutmut cannot see the calls they make, so they would only cost time.)
SELECTIONS: dict[str, list[str]] = {
    "scheduler": ["test_scheduler", "test_quiz", "test_quiz_session", "test_report", "test_report_boundaries",
                  "test_store", "test_planner", "test_sessions"],
    "store": ["test_store", "test_store_errors", "test_store_damage", "test_sessions", "test_quiz", "test_quiz_session",
              "test_report", "test_cli", "test_decks_manage", "test_plan_cli", "test_practice_answers"],
    "answers": ["test_answers_mutants", "test_answers", "test_quickfire_answers", "test_content", "test_quiz"],
    "report": ["test_report", "test_report_boundaries", "test_report_render", "test_report_layout", "test_report_html", "test_cli",
               "test_decks_manage", "test_plan_cli"],
    "quiz": ["test_quiz_mutants", "test_quiz", "test_quiz_rules", "test_quiz_session", "test_cli", "test_config", "test_sessions"],
    "planner": ["test_planner", "test_plan_cli"],
    "memory": ["test_memory", "test_planner", "test_plan_cli"],
    "references_extra": ["test_drill_references_extra", "test_new_drills_extra", "test_new_drills_torch", "test_drill_judge"],
    "schedules": ["test_schedule_phases", "test_drill_schedules", "test_new_drills_schedules", "test_drill_judge"],
    "references": ["test_drill_references", "test_drill_references_torch", "test_drill_weight_decay",
                   "test_drill_reference_muon", "test_drill_references_extra", "test_drill_references_edges"],
    "judge": ["test_drill_judge_choices", "test_drill_judge", "test_drill_judge_contract", "test_drill_verdicts", "test_drill_diagnosis",
              "test_drill_cli", "test_drill_crosscheck", "test_new_drills_extra", "test_new_drills_schedules",
              "test_new_drills_torch", "test_new_drill_muon"],
    "crosscheck": ["test_drill_crosscheck", "test_drill_cli", "test_new_drills_torch", "test_new_drills_extra", "test_new_drills_schedules",
                   "test_drill_schedules", "test_new_drill_muon", "test_drill_judge"],
    "eventlog": ["test_eventlog", "test_eventlog_bulk", "test_eventlog_checks", "test_sync", "test_sync_files"],
    "sync": ["test_sync", "test_sync_files", "test_eventlog_bulk", "test_eventlog", "test_eventlog_checks"],
}

# Tests of a selection that drive a subprocess (kill -9 at random points, a second writer):
# mutmut cannot see the calls made there, so they would only cost time for every mutant.
DESELECT = {
    "eventlog": "not killed_at_random and not taken_while_another",
    "sync": "not killed_at_random and not taken_while_another",
}

# Where each module lives, when not at gdgrill/<module>.py.
PATHS = {
    "references": "gdgrill/drill/references.py",
    "judge": "gdgrill/drill/judge.py",
    "crosscheck": "gdgrill/drill/crosscheck.py",
    "references_extra": "gdgrill/drill/references_extra.py",
    "schedules": "gdgrill/drill/schedules.py",
}


def module_path(module: str) -> str:
    return PATHS.get(module, f"gdgrill/{module}.py")


# mutmut forks each mutant's test run from a process that already ran the tests once; a
# result cached then would hide the mutant, so tests/conftest.py empties gdgrill's caches
# (its lru_caches and the module-level dicts named there) before each test whenever
# MUTANT_UNDER_TEST is set. A function a module calls as it loads, a factory of closures,
# is not seen: mutmut neither activates its mutant in the fork nor traces the closures'
# calls, so the references bind their variants with functools.partial instead.

# Survivors that cannot change anything a user sees, with the reason. First by rule, for
# whole kinds of mutation; then one by one: (function, the mutated line as `mutmut show`
# prints it after the edit) -> why.
def _sql_case_only(before: str, after: str) -> bool:
    """Only the letter case of SQL keywords or names changed (SQLite ignores it); the text
    of quoted SQL values ('undo'), whose case matters, is the same."""
    quoted = re.compile(r"'[^']*'")
    return (before != after and before.lower() == after.lower() and quoted.findall(before) == quoted.findall(after)
            and re.search(r"\b(?:SELECT|INSERT|UPDATE|DELETE|VALUES|WHERE|FROM|CREATE|PRAGMA|DROP)\b", before, re.I) is not None)


def _table_name_case_only(before: str, after: str) -> bool:
    """Only the case of the table name handed to Store._new_uid (it goes into its SQL) changed."""
    names = re.compile(r'_new_uid\("([A-Za-z_]+)"\)')
    return (before != after and names.sub("", before) == names.sub("", after)
            and [n.lower() for n in names.findall(before)] == [n.lower() for n in names.findall(after)])


RULES = [
    (_sql_case_only, "SQL keywords and names are case-insensitive"),
    (_table_name_case_only, "the table name _new_uid puts into its SELECT is read by SQLite in any case"),
]

_DRAW = "another fixed draw of the same gradient pattern (the tests state each pattern's properties)"
_INT_T = ("t as integers: the language combines it only with float64 hyper-parameters and float literals, and the"
          " values are compared as float64, so the numbers are the same")
_NO_SHAPE = ("unreachable: a stateless rule of elementwise functions of t (the array of steps) and numbers has t's"
             " shape or none")
_NS_SIDE = ("which side the Gram matrix is formed on (the smaller, for speed): p(X·Xᵀ)·X = X·p(Xᵀ·X), the same"
            " numbers up to rounding, far inside every tolerance")
_ASGD_COPY = ("with μ = 1 the average ax + (θ − ax)·1 is θ up to one rounding (~1e-16), less than torch's own η"
              " (a tensor) differs from ours by")
_EMPTY = "an empty log in memory: no review for the maintenance gap to shape, no error for the path to name"
_BULK_ONLY = ("a line the bulk reading passes over is read by the field checks, which give the same event or the same"
              " error (tests/test_eventlog_bulk.py holds the two alike): only the time differs")
_RAISES_FIRST = "that branch is taken for a line that is not one JSON value, and _decoded_lines raises naming it before the result is made"
_STRIP_SAME = "a JSON line ends in '}', so stripping other trailing characters (whitespace json.loads skips, 'X') changes nothing"
_HAS_MSG = "a json.JSONDecodeError always has msg"
_STARTS_END = "a line that starts with '{\"end\"' and decodes is an object holding 'end'"
_NO_SURROGATES = "the file was decoded as strict UTF-8 (no surrogates), and codec names are case-insensitive"
_TWO_WAYS = "around 2000 ids both ways of looking them up give the same set"
_OVERLAP = "overlapping chunks look up some ids twice; the set found is the same"
_REBUILD_ONLY = "indexes kept up to date or dropped and rebuilt inside the same transaction end the same: only the time differs"
_BATCH_SIZE = "rows per INSERT: SQLite's limit of 32766 variables over 13 columns keeps it at 1000 (an int) or 1001 either way"
_UIDS_DIFFER = "a new event's id is never one the table holds, so first == newest does not occur"
_TUPLES_BY_UID = "rows are tuples with the uid first and uids unique, so sorting them whole is sorting by uid"
_ID_GAP = "starting the new ids one further leaves a gap: ids only order rows, and the order is the same"
_REPEAT_CHECK = ("at (not id) only decides whether the careful check runs, which then compares ids itself: two events at"
                 " one second are not taken for repeats")
_LOWERED = "the host name was lowercased first, so it holds no 'X' to strip"
_THREAD_NAME = "the writing thread's name and daemon flag change nothing it writes (the sync joins it either way)"
_RESULT_SET = "run() always sets result before take() reads it; after abandon() nothing reads it"
_ALL_ORIGINS = ("with no machine given the snapshot holds every event; when some came from other machines the count"
                " differs from this machine's and the file is written again after the merge: the same file")
_NO_FILE = "with no file found, any count other than a real one (0 or more) says the file must be written"
_NO_DATA = "the last-written file's bytes are only read when there are some; b'XXXX' is no whole log either"
_OWN_NAME = "this machine's file is named for it, so its name gives this machine's id too"
_ADDED_REPLACED = "every file merged has its counts filled in by the merge before anything reads them"
_FILTER_EMPTY = "with no repeats the filter keeps every review: the same list"
_TWO_LOOKUPS = ("which way the held events are found (looked up by id, or by a join once staged) depends on a sample;"
                " both find the same ones")
_TABLE_CASE = "SQLite table names are case-insensitive"
_NONE_MISSING = "with every item known the insert adds nothing"
_ORIGIN_UNUSED = "the row's origin from _row is dropped there; the batch's origin is used"
_SOME_NEW = ("that path is taken when a sample of the ids found none held, so some are new either way: the count"
             " only sizes the index decision")
_NULL_CUT = "with nothing after the first new id the cut query finds NULL, and counting from NULL counts 0"
_KIND_DECIDES = ("an undo naming an arriving event that is not a review is refused on its kind; the item (or the"
                 " event not being found at all) gives the same refusal")
_OF_ANY = "Events.of reads any sequence of events, an Events too: the same events"
_SET_LATER = "result is set before it is read on every path"
_UNDOES_FIXED = ("an arriving undo's target uid copied into undoes is replaced by the target's id in the update that"
                 " follows (every row written has an id after the old last one); other rows hold NULL there")
_PATH_CHOICE = ("appending after the last id, or deleting from the cut and writing ids from the last one on, give the"
                " same rows in the same order")
_Q_DAEMON = "the countdown's __exit__ always stops and joins its thread: it never outlives the with block"
_Q_COLOUR = "Rich reads colour names case-insensitively: 'GREEN' draws as 'green'"
_Q_DEFAULTS = "the only caller passes every argument"
_CPU_DEVICE = ("on a CPU machine a tensor made without a device, or with device None, is on the CPU as asked; on a GPU"
               " the CUDA cross-check tests (test_drill_crosscheck's test_on_cuda_...) run these on cuda and tell")
_EMA_BIAS = "only the weight is copied, stepped and read: a bias no gradient reaches changes no figure of it"
_GRAD_SET = "the gradient is assigned to .grad, never backpropagated, so requires_grad changes nothing"
_RESHAPED = "every caller reshapes the flat result to θ's shape at once"
_INTO_FLOAT32 = "copy_ rounds the float64 θ into the float32 weight: the same figures as rounding first"
_MECHANICS_FLOAT32 = "the mechanics are cross-checked in float32 only (dtypes_for), which is torch's default dtype"
_LAST_BIT = ("not strictly equivalent: g in float64 makes autograd round g/k once instead of twice, a difference of at most"
             " one float32 ulp per micro-batch, far inside the cross-check's float32 tolerance, so no check can see it")
_CONTINUOUS = "the schedule is continuous there: at the boundary step both branches give the same rate"
_TORCH_DEFAULT = "an argument dropped takes torch's default, which is the value given"
_NO_GRADIENT = "cycling SGD's momentum changes no rate read, and the parameter never gets a gradient to step with"
_FACTOR_ONE = "a ConstantLR of factor 1 is the base rate for any number of iterations"
_LR_ONLY = "only the rates are read: the parameter's shape, device (CPU here) or emptiness changes none of them"
_STEP_COUNT_UNREAD = "this step keeps t in its state only as a count that nothing reads: the judge compares θ or the drill's own target"
_Q_SAVED = ("the ' — saved' fallback is never reached: after a ladder review the item has a due day, and a stats-only"
            " save is handled in the branch before")
_Q_RELEARN_EASY = "a relearning ask never returns easy: the e key is neither offered nor accepted then"
_Q_CRAM_DRILLS = "in cram the due drills are worked out but not shown"
_Q_DRILL_NAMES = "the split variants differ only for a drill name holding '/', which drill names cannot"
_Q_NOTHING_GRADED = "with nothing graded no timed card is counted either, so the accuracy line is not printed both ways"
_KNOWN_GUARDED = ("held lines are passed over only under a closing line, and without one the held ids are an empty"
                  " set anyway: reading them more often, or testing in another order, passes over the same lines")
_HEADER_MACHINE = "a sync file's machine falls back to the one its file name names, which is the one its header names"
_COMPLETE_UNREAD = "no caller reads ParsedLog.complete (a closing line is required where it matters)"
_ASCII_ID = "a machine id is ASCII, read alike in any of these encodings"
_NO_ID_TEXT = "no file and the text 'XXXX' are both no valid id (ids are lowercase): a new one is made either way"
_NO_BODY = "log_body of no bytes is None: there is no last-written file to extend either way"
_ALL_COUNTED = ("counting every machine's events after the file's last one, not this machine's, can only find more:"
                " the file is then written whole, the same file")
_CACHE_ONLY = "a cache of what is computed again on a miss: only the time differs"
_BODY_ORDER = ("a whole log has its header line before its closing line, so the body's start is never after its end:"
               " the else branch is never taken")

_MONTH_ROW = ("the month row is right-stripped, and each name is written at column 2w <= 2 * weeks - 2, inside any of"
              " these lengths: the same names at the same columns")
_CROP = ("with no_wrap=True Rich's Text.truncate crops every overflow but 'ellipsis' and 'ignore' (the default 'fold',"
         " None, an unknown name): the same cut rows")
_TITLE_PAD = ("Rich's default justification (and an unknown one) is flush left too: only the spaces padding the title line"
              " to the table's width go (tested: every visible character and its style are the same, colour or not)")
_LEFT_PAD = ("a first column's justify Rich does not know is flush left too: only whether the header's padding spaces are"
             " bold changes (a bold space is drawn as a plain one; every visible character keeps its style)")

EQUIVALENT: dict[str, dict[tuple[str, str], str]] = {
    "scheduler": {
        ("states_on", "state = None  # the state as of the last review replayed (None: not built yet)"):
            "a day before any review then gets CardState(*start), equal to start field by field",
        ("states_on", "rung = rung + 2 if rung < top - 2 else top"):
            "at rung == top - 2 both branches give top",
    },
    "memory": {
        ("_clamp_d", "return MIN_DIFFICULTY if d <= MIN_DIFFICULTY else (MAX_DIFFICULTY if d > MAX_DIFFICULTY else d)"):
            "at d == 1 both branches give 1",
        ("_clamp_d", "return MIN_DIFFICULTY if d < MIN_DIFFICULTY else (MAX_DIFFICULTY if d >= MAX_DIFFICULTY else d)"):
            "at d == 10 both branches give 10",
        ("_clamp_d", "return MIN_DIFFICULTY if d < MIN_DIFFICULTY else (MAX_DIFFICULTY if (d > MAX_DIFFICULTY) and False else d)"):
            "within FSRS-6's parameter bounds difficulty never passes 10: each update blends values below it",
        ("_stability", "if rating >= HARD and grow <= 1.0:"): "at grow == 1 both give 1",
        ("_stability", "s_new = long_term if long_term <= short_term else short_term"): "equal values: either is the same",
        ("_stability", "return s_new if s_new >= STABILITY_MIN else STABILITY_MIN"): "equal values: either is the same",
        ("outcomes", "r = (1 + self.factor * (elapsed if elapsed >= 0 else 0) / s) ** self.decay"): "at 0 both give 0",
        ("recall_after", "return (1 + self.factor * (days if days >= 0 else 0) / stability) ** self.decay"): "at 0 both give 0",
        ("review", "r = (1 + self.factor * (elapsed if elapsed >= 0 else 0) / s) ** self.decay"): "at 0 both give 0",
        ("review", "r = (1 + self.factor * (elapsed if (elapsed > 0) or True else 0) / s) ** self.decay"):
            "r matters only for a review a day or more after the last; same-day (or earlier) reviews ignore it",
        ("review", "r = (1 + self.factor * (elapsed if elapsed > 0 else 1) / s) ** self.decay"):
            "r matters only for a review a day or more after the last; same-day (or earlier) reviews ignore it",
    },
    "answers": {
        ("matches", "if a is None and e is None:"):
            "with only one reading None, same() is reached with None, and each of its isinstance tests fails: False either way",
        ("_contains", "return numbers <= {t for t in want if t.isdigit()} or any(t.isdigit() for t in want) and not numbers"):
            "the second part can only hold when numbers is empty, and then the first part (the empty set is a subset) holds already",
    },
    "planner": {
        ("__init__", "s_pass, s_fail = model.first(GOOD, None).stability, model.first(AGAIN, day).stability"):
            "only the first review's stability is used, and it does not depend on the day",
        ("__init__", "s_pass, s_fail = model.first(GOOD, day).stability, model.first(AGAIN, None).stability"):
            "only the first review's stability is used, and it does not depend on the day",
        ("allowance_on", "fresh = sum(1 for i in items if (i.state is None or not i.state.reviews) and on_track(None, day, interview))"):
            "for an item with no review, on_track(state) and on_track(None) are the same test",
        ("choose", "if g > MIN_GAIN:"): "a gain of exactly 0.001 (a float from the memory model) does not occur",
        ("project", "extra = len(done_today) if (day == today) or True else 0"):
            "done_today is emptied at the end of the first day, so on any later day its length is 0 either way",
        ("choose", "if fresh or left > 0:"): "with no fresh card the branch adds nothing; with left 0 it adds fresh[:0]",
        ("choose", "if fresh and left >= 0:"): "with left 0 the branch adds fresh[:0], nothing",
        ("choose", "new = [k for _, _, k in fresh[:cap]]"):
            "fresh (on-track new cards) and new cards ranked by value never coexist: a new card is on track"
            " exactly when the interview is 22+ days away, for every new card at once",
    },
    "report": {
        ("build_report", '"calendar": calendar(store.reviews_per_day(today - timedelta(days=7 * HISTORY_WEEKS + 1)), today),'):
            "calendar() draws the last 7 * HISTORY_WEEKS days whatever it is given: days before them are never shown",
        ("build_report", '"calendar": calendar(store.reviews_per_day(today - timedelta(days=8 * HISTORY_WEEKS - 1)), today),'):
            "calendar() draws the last 7 * HISTORY_WEEKS days whatever it is given: days before them are never shown",
        ("_facts", "def _facts(summary: ItemSummary, today: date, suspended: bool = True) -> tuple:"):
            "the default is never used: build_report always says whether the card is suspended",
        ("_facts", "1 if (state.reviews or summary.all_time.reviews) or True else 0,  # tested: on the ladder or in a grill"):
            "every summarised item has a graded review (summaries() lists no other), so the test is always true",
        ("_facts", "1 if state.reviews or summary.all_time.reviews else 1,  # tested: on the ladder or in a grill"):
            "every summarised item has a graded review (summaries() lists no other), so the test is always true",
        ("readiness", "return min(state.rung, MASTERED) / MASTERED if (state.reviews) or True else 0.0"):
            "a state with no reviews is the new state, at rung 0: 0/5 is 0.0 either way",
        ("build_report", "weakest.append((stats.fails, stats.pass_rate or 1.0, key, stats))"):
            "a weak item has a miss, so a review, so its pass rate is never None",
        ("build_report", "{\"item\": key, \"title\": known[key].title, \"misses\": all_time[key].fails, \"due\": s.due.isoformat() if (s.due) or True else None}"):
            "a reviewed item always has a due day",
        ("build_report", "forecast((states[k] for k in known if k in states and k not in suspended), today, )"):
            "FORECAST_DAYS is forecast()'s default, 21 (a test holds the report to 21 days)",
        **{("calendar_lines", line): _MONTH_ROW for line in (
            'months = [" "] * (2 * weeks - 1)', 'months = [" "] * (3 * weeks + 1)', 'months = [" "] * (2 * weeks + 2)')},
        ("calendar_lines", "if (w == 0 or monday.month != (monday - timedelta(weeks=1)).month) and 3 * w >= free:"):
            ("month names are 3 letters (strftime's %b in the C locale; gdgrill never sets one) and a month has 4+"
             " Mondays, so labels are 4+ weeks apart and only week 1 can collide (with week 0's): 3 < 4 = free either way"),
        ("shade", "if reviews < 0 or peak <= 0:"): "0 reviews with a peak above 0 gives -(-0 // peak) = 0 too",
        ("render_json", 'return json.dumps(report, indent=2, ensure_ascii=None) + "\\n"'):
            "json treats ensure_ascii=None as False (a falsy flag): the same characters, unescaped",
        **{("render_text", f'console.print(Text("  " + line), no_wrap=True, {arg})'): _CROP for arg in (
            "overflow=None", "", 'overflow="XXcropXX"', 'overflow="CROP"')},
        **{("render_text", f'peak = max((d["due"] for d in days), {arg}'): why for arg, why in (
            ("default=None) or 1", "None or 1 and 0 or 1 are both 1"),
            ("default=1) or 1", "1 or 1 and 0 or 1 are both 1"),
            ("default=0) or 2", "the peak is only divided by for a day with cards due, and then it is the max, never 0"))},
        **{("render_text", f't = Table(title=title, title_justify={arg}, box=box.SIMPLE_HEAD, pad_edge=False, title_style="title")'):
           _TITLE_PAD for arg in ("None", '"XXleftXX"', '"LEFT"')},
        ("render_text", 't = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=None, title_style="title")'):
            "Rich reads pad_edge as a flag: None, like False, leaves no padding at the table's edges",
        **{("render_text", f'widths = {{"30d": 4, {key}: 5}}  # room for "100%"'): "the ready column's minimum is then"
           " len('ready'), the same 5" for key in ('"XXreadyXX"', '"READY"')},
        **{("render_text", f't.add_column(col, justify={arg} if col == first else "right", no_wrap=True,'
            ' min_width=widths.get(col, len(col)))'): _LEFT_PAD for arg in ('"XXleftXX"', '"LEFT"')},
        **{("worst_curves", line): "the third element, the card's key, is unique (deck ids and card ids are), so no"
           " tie ever reaches the fourth: the same order" for line in ("found.sort(key=None)", "found.sort(key=lambda f: f[:4])")},
    },
    "judge": {
        ("_relative_gap", 'return float("INF") if np.isnan(gap) else gap'): "float() reads 'INF' as 'inf'",
        ("_nonfinite_origin", "return None if (found is None) and False else (found.kind, found.step, found.instance)"):
            ("called only for a rule whose values turned NaN or inf on the drill's problems, which trace_nonfinite runs"
             " statement by statement: it always finds where (None is not reached there)"),
        **{(function, line): "the prefix only keeps a catalogue rule's cached trajectories apart: another key computes the same"
           for function, line in (
               ("accepted_variant", 'if _same(drill, yours, _known_trajectories(drill, "XXvariant:XX" + variant.id, variant.rule)):'),
               ("accepted_variant", 'if _same(drill, yours, _known_trajectories(drill, "VARIANT:" + variant.id, variant.rule)):'),
               ("diagnose", 'theirs = _known_trajectories(drill, "XXmutant:XX" + mutant.id, mutant.rule)'),
               ("diagnose", 'theirs = _known_trajectories(drill, "MUTANT:" + mutant.id, mutant.rule)'),
           )},
        ("make_problem", "rng = np.random.default_rng(zlib.crc32(drill.name.encode()) - 7919 * instance.seed)"): _DRAW,
        ("make_problem", "rng = np.random.default_rng(zlib.crc32(drill.name.encode()) + 7920 * instance.seed)"): _DRAW,
        ("make_problem", "magnitude = np.abs(g) / 10 ** rng.uniform(-1, 1, size=(steps, *shape))"):
            "U is uniform on (−1, 1), so 10^−U has the distribution of 10^U: another draw of the same pattern",
        ("make_problem", "magnitude = np.abs(g) * 10 ** rng.uniform(-1, size=(steps, *shape))"):
            "uniform's upper end defaults to 1.0: the same call",
        ("make_problem", "g = sign / flips * magnitude"): "1/(−1)ᵏ = (−1)ᵏ",
        ("make_problem", "g[rng.random(g.shape) <= 0.15] = 0.0"): "a uniform draw is exactly 0.15 with probability 0",
        ("make_problem", "flat = g.reshape(steps, -2)"): "numpy infers the size of a negative dimension, -2 as -1",
        ("make_problem", 'p0 = rng.normal(size=shape) if (drill.kind == "optimizer") or True else None'):
            "θ₀ is drawn after the gradients and only an optimizer drill reads it",
        ("_schedule_at_once", 'env["t"] = np.arange(1, problem.steps + 1, dtype=None)'): _INT_T,
        ("_schedule_at_once", 'env["t"] = np.arange(1, problem.steps + 1, )'): _INT_T,
        ("_schedule_at_once", "value = np.asarray(env[drill.target], dtype=None)"): _INT_T,
        ("_schedule_at_once", "value = np.asarray(env[drill.target], )"): _INT_T,
        **{("_schedule_at_once", line): _NO_SHAPE for line in (
            "last = None",
            "last = next(None, rule.statements[-1])",
            "last = next((s for s in reversed(rule.statements) if s.target == drill.target), None)",
            "last = next(rule.statements[-1])",
            "last = next((s for s in reversed(rule.statements) if s.target == drill.target), )",
            "last = next((s for s in reversed(None) if s.target == drill.target), rule.statements[-1])",
            "last = next((s for s in reversed(rule.statements) if s.target != drill.target), rule.statements[-1])",
            "last = next((s for s in reversed(rule.statements) if s.target == drill.target), rule.statements[+1])",
            "last = next((s for s in reversed(rule.statements) if s.target == drill.target), rule.statements[-2])",
            "raise RefusedAnswer(None, last.line, last.col)",
            'raise RefusedAnswer(f"the result has shape {value.shape}; expected a number", None, last.col)',
            'raise RefusedAnswer(f"the result has shape {value.shape}; expected a number", last.line, None)',
            "raise RefusedAnswer(last.line, last.col)",
            'raise RefusedAnswer(f"the result has shape {value.shape}; expected a number", last.col)',
            'raise RefusedAnswer(f"the result has shape {value.shape}; expected a number", last.line, )',
        )},
    },
    "references": {
        ("newton_schulz", "tall = None"): _NS_SIDE,
        ("newton_schulz", "tall = x.shape[1] > x.shape[1]"): _NS_SIDE,
        ("newton_schulz", "tall = x.shape[0] >= x.shape[1]"): _NS_SIDE,
        ("newton_schulz", "x = x / (norm if norm >= eps else eps)  # torch: x.norm().clamp(min=eps)"):
            "at norm == eps both divide by eps",
        ("step", "merged = {**self.defaults, **hp} if (hp) or True else self.defaults"):
            "an empty hp merged into the defaults is the defaults",
        ("_asgd_step", 'ax = p if (mu == 1) and False else state["ax"] + (p - state["ax"]) * mu'): _ASGD_COPY,
        ("_asgd_step", 'ax = p if mu == 2 else state["ax"] + (p - state["ax"]) * mu'): _ASGD_COPY,
    },
    "eventlog": {
        ("_merge_reviews", 'plain = ", ".join("null" if c == "undoes" else c for c in columns)'): "SQL's NULL is case-insensitive",
        ('_stage_reviews', '_insert_many(conn, "TEMP._INCOMING", _STAGED, rows)'): _TABLE_CASE,
        ('_set_indexes_aside', '"SELECT NAME, SQL FROM SQLITE_MASTER WHERE TYPE = \'INDEX\' AND TBL_NAME = ? AND SQL IS NOT NULL AND (? OR NAME != ?)",'): _REBUILD_ONLY,
        ('parse_jsonl', 'digest = hashlib.sha256((("\\n".join(raws) + "\\n") if raws else "").encode("utf-8", "XXsurrogatepassXX")).hexdigest()'): _NO_SURROGATES,
        ('parse_jsonl', 'digest = hashlib.sha256((("\\n".join(raws) + "\\n") if raws else "").encode("utf-8", "SURROGATEPASS")).hexdigest()'): _NO_SURROGATES,
        ('parse_jsonl', 'known = known.for_lines(raws) if (trailer is not None) or True else frozenset()'): _KNOWN_GUARDED,
        ('parse_jsonl', 'if known and trailer is not None or not ('): _KNOWN_GUARDED,
        ('parse_jsonl', 'if known or trailer is not None and not ('): _KNOWN_GUARDED,
        ('parse_jsonl', 'return ParsedLog(_checked(numbers, raws, name), None, trailer is not None, skipped, trailer[1].get("sha256") if trailer else None)'): _HEADER_MACHINE,
        ('parse_jsonl', 'return ParsedLog(_checked(numbers, raws, name), head.get(None), trailer is not None, skipped, trailer[1].get("sha256") if trailer else None)'): _HEADER_MACHINE,
        ('parse_jsonl', 'return ParsedLog(_checked(numbers, raws, name), head.get("XXmachineXX"), trailer is not None, skipped, trailer[1].get("sha256") if trailer else None)'): _HEADER_MACHINE,
        ('parse_jsonl', 'return ParsedLog(_checked(numbers, raws, name), head.get("MACHINE"), trailer is not None, skipped, trailer[1].get("sha256") if trailer else None)'): _HEADER_MACHINE,
        ('parse_jsonl', 'return ParsedLog(_checked(numbers, raws, name), head.get("machine"), None, skipped, trailer[1].get("sha256") if trailer else None)'): _COMPLETE_UNREAD,
        ('parse_jsonl', 'return ParsedLog(_checked(numbers, raws, name), head.get("machine"), trailer is None, skipped, trailer[1].get("sha256") if trailer else None)'): _COMPLETE_UNREAD,
        ('_merge_reviews', 'plain = ", ".join("NULL" if (c == "undoes") and False else c for c in columns)'): _UNDOES_FIXED,
        ('_merge_reviews', 'plain = ", ".join("NULL" if c == "XXundoesXX" else c for c in columns)'): _UNDOES_FIXED,
        ('_merge_reviews', 'plain = ", ".join("NULL" if c == "UNDOES" else c for c in columns)'): _UNDOES_FIXED,
        ('_merge_reviews', 'if aside and not moved:'): _PATH_CHOICE,
        ('_stage_reviews', 'fast = [[g for n, g in zip(events.lines, events.reviews) if (b, n) not in repeats] if (repeats) or True else events.reviews'): _FILTER_EMPTY,
        ('_stage_reviews', 'sample = None'): _TWO_LOOKUPS,
        ('_stage_reviews', 'sample = uids[:: max(2, len(uids) // 64)]'): _TWO_LOOKUPS,
        ('_stage_reviews', 'sample = uids[:: max(1, len(uids) // 65)]'): _TWO_LOOKUPS,
        ('_stage_reviews', 'if sample or conn.execute('): _TWO_LOOKUPS,
        ('_stage_reviews', ').fetchone() is None:'): _TWO_LOOKUPS,
        ('_stage_reviews', 'held = [] if (new is not None) and False else conn.execute('): _TWO_LOOKUPS,
        ('_stage_reviews', 'new = _absent(conn, "REVIEWS", uids)'): _TABLE_CASE,
        ('_merge_reviews', 'aside = _set_indexes_aside(conn, "REVIEWS", staged + moved, uid_too=True) if moved or staged > 4 * base else []'): _TABLE_CASE,
        ('_stage_reviews', 'if len(ids) <= len(keys):  # items first seen here, added in the order they come'): _NONE_MISSING,
        ('_stage_reviews', 'uid, _, item, *rest = _row(e, None)'): _ORIGIN_UNUSED,
        ('_stage_reviews', 'return _Staged(len(rows) + len(held), by_batch, undos)'): _SOME_NEW,
        ('_merge_reviews', 'cut = None if newest is None or first >= newest else conn.execute("SELECT MIN(id) FROM reviews WHERE uid > ?", (first,)).fetchone()[0]'): _UIDS_DIFFER,
        ('_merge_reviews', 'cut = None if (newest is None or first > newest) and False else conn.execute("SELECT MIN(id) FROM reviews WHERE uid > ?", (first,)).fetchone()[0]'): _NULL_CUT,
        ('_merge_reviews', 'moved = 0 if (cut is None) and False else conn.execute("SELECT COUNT(*) FROM reviews WHERE id >= ?", (cut,)).fetchone()[0]'): _NULL_CUT,
        ('_merge_reviews', 'moved = 1 if cut is None else conn.execute("SELECT COUNT(*) FROM reviews WHERE id >= ?", (cut,)).fetchone()[0]'): _NULL_CUT,
        ('_merge_reviews', 'aside = _set_indexes_aside(conn, "reviews", staged + moved, uid_too=True) if (moved or staged > 4 * base) and False else []'): _REBUILD_ONLY,
        ('_merge_reviews', 'aside = _set_indexes_aside(conn, "reviews", staged + moved, uid_too=True) if (moved or staged > 4 * base) or True else []'): _REBUILD_ONLY,
        ('_merge_reviews', 'aside = _set_indexes_aside(conn, "reviews", staged - moved, uid_too=True) if moved or staged > 4 * base else []'): _REBUILD_ONLY,
        ('_merge_reviews', 'aside = _set_indexes_aside(conn, "reviews", staged + moved, uid_too=True) if moved and staged > 4 * base else []'): _REBUILD_ONLY,
        ('_merge_reviews', 'aside = _set_indexes_aside(conn, "reviews", staged + moved, uid_too=True) if moved or staged >= 4 * base else []'): _REBUILD_ONLY,
        ('_merge_reviews', 'aside = _set_indexes_aside(conn, "reviews", staged + moved, uid_too=True) if moved or staged > 5 * base else []'): _REBUILD_ONLY,
        ('merge', 'others = {e.uid: (e.kind, e.values.get(None)) for tagged in by_table.values() for e, _, _ in tagged}'): _KIND_DECIDES,
        ('merge', 'others = {e.uid: (e.kind, e.values.get("XXitemXX")) for tagged in by_table.values() for e, _, _ in tagged}'): _KIND_DECIDES,
        ('merge', 'others = {e.uid: (e.kind, e.values.get("ITEM")) for tagged in by_table.values() for e, _, _ in tagged}'): _KIND_DECIDES,
        ('merge', 'return others.get(None) if row is None else ("undo" if row[0] == "undo" else "review", row[1])'): _KIND_DECIDES,
        ('merge', 'batches = [(events if (isinstance(events, Events)) and False else Events.of(events), origin) for events, origin in batches]'): _OF_ANY,
        ('merge', 'result = ""'): _SET_LATER,
        ('merge', 'cache = None'): _CACHE_ONLY,
        ('_fast_reviews', 'first, then = (_REVIEW_LINE, _SPACED_REVIEW_LINE) if (raws and raws[0].startswith(ID_PREFIX)) and False else (_SPACED_REVIEW_LINE, _REVIEW_LINE)'): _BULK_ONLY,
        ('_fast_reviews', 'first, then = (_REVIEW_LINE, _SPACED_REVIEW_LINE) if (raws and raws[0].startswith(ID_PREFIX)) or True else (_SPACED_REVIEW_LINE, _REVIEW_LINE)'): _BULK_ONLY,
        ('_fast_reviews', 'groups = _REVIEW_LINES[first].findall("\\n".join(raws)) if (raws) and False else []'): _BULK_ONLY,
        ('_fast_reviews', 'groups = _REVIEW_LINES[first].findall("\\n".join(raws)) if (raws) or True else []'): _BULK_ONLY,
        ('_fast_reviews', 'groups = _REVIEW_LINES[first].findall("XX\\nXX".join(raws)) if raws else []'): _BULK_ONLY,
        ('_fast_reviews', 'if None not in matches:  # the other layout (a file put together by hand), or not a review as gdgrill writes it'): _BULK_ONLY,
        ('_fast_reviews', 'matches = [m and then.fullmatch(raw) for m, raw in zip(matches, raws)]'): _BULK_ONLY,
        ('_checked_groups', 'bad_days = {d for d in days if _valid_day(d)}'): _BULK_ONLY,
        ('_checked_groups', 'bad_items = {i for i in set(map(itemgetter(4), groups)) if "XX/XX" not in i.strip("/")}'): _BULK_ONLY,
        ('_checked_groups', 'bad_items = {i for i in set(map(itemgetter(4), groups)) if "/" not in i.strip("XX/XX")}'): _BULK_ONLY,
        ('_checked', 'return Events(None, [], [], [(n, e) for (n, _), e in zip(body, _decoded_lines(body, name))])'): _RAISES_FIRST,
        ('_checked', 'return Events(name, None, [], [(n, e) for (n, _), e in zip(body, _decoded_lines(body, name))])'): _RAISES_FIRST,
        ('_checked', 'return Events(name, [], None, [(n, e) for (n, _), e in zip(body, _decoded_lines(body, name))])'): _RAISES_FIRST,
        ('_checked', 'return Events([], [], [(n, e) for (n, _), e in zip(body, _decoded_lines(body, name))])'): _RAISES_FIRST,
        ('_checked', 'return Events(name, [], [(n, e) for (n, _), e in zip(body, _decoded_lines(body, name))])'): _RAISES_FIRST,
        ('_checked', 'return Events(name, [], [(n, e) for (n, _), e in zip(body, _decoded_lines(body, name))])'): _RAISES_FIRST,
        ('_checked', 'return Events(name, [], [], [(n, e) for (n, _), e in zip(None, _decoded_lines(body, name))])'): _RAISES_FIRST,
        ('_checked', 'return Events(name, [], [], [(n, e) for (n, _), e in zip(_decoded_lines(body, name))])'): _RAISES_FIRST,
        ('parse_jsonl', 'body = [(n, raw.rstrip(None)) for n, raw in enumerate(lines, 1) if raw.strip()]'): _STRIP_SAME,
        ('parse_jsonl', 'body = [(n, raw.rstrip("XX\\rXX")) for n, raw in enumerate(lines, 1) if raw.strip()]'): _STRIP_SAME,
        ('parse_jsonl', 'raise _fail(f"{name}:{n}", None, f"malformed JSON ({getattr(exc, \'msg\', None)})") from None'): _HAS_MSG,
        ('parse_jsonl', 'raise _fail(f"{name}:{n}", None, f"malformed JSON ({getattr(exc, \'msg\', )})") from None'): _HAS_MSG,
        ('parse_jsonl', 'if isinstance(obj, dict) or "end" in obj:'): _STARTS_END,
        ('parse_jsonl', 'digest = hashlib.sha256((("\\n".join(raws) + "\\n") if raws else "").encode("utf-8", )).hexdigest()'): _NO_SURROGATES,
        ('parse_jsonl', 'digest = hashlib.sha256((("\\n".join(raws) + "\\n") if raws else "").encode("UTF-8", "surrogatepass")).hexdigest()'): _NO_SURROGATES,
        ('_absent', 'if len(uids) >= 2000:'): _TWO_WAYS,
        ('_absent', 'if len(uids) > 2001:'): _TWO_WAYS,
        ('_absent', 'for i in range(0, len(uids), ):'): _OVERLAP,
        ('_absent', 'chunk = uids[i: i + 501]'): _OVERLAP,
        ('_item_ids', 'for i in range(0, len(keys), ):'): _OVERLAP,
        ('_item_ids', 'chunk = keys[i: i + 501]'): _OVERLAP,
        ('_set_indexes_aside', 'def _set_indexes_aside(conn, table: str, writing: int, *, uid_too: bool = True) -> list[tuple[str, str]]:'): _REBUILD_ONLY,
        ('_set_indexes_aside', 'if writing <= REBUILD_MIN_ROWS:'): _REBUILD_ONLY,
        ('_set_indexes_aside', 'if writing / 2 < kept:'): _REBUILD_ONLY,
        ('_set_indexes_aside', 'if writing * 3 < kept:'): _REBUILD_ONLY,
        ('_set_indexes_aside', 'if writing * 2 <= kept:'): _REBUILD_ONLY,
        ('_insert_many', 'per = max(2, min(1000, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))'): _BATCH_SIZE,
        ('_insert_many', 'per = max(1, min(1001, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))'): _BATCH_SIZE,
        ('_insert_many', 'per = max(1, min(1000, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) / len(columns)))'): _BATCH_SIZE,
        ('_merge_table', 'if newest is None or first >= newest:  # all newer than what is here: appended as they are'): _UIDS_DIFFER,
        ('_merge_table', 'rows.sort(key=None)'): _TUPLES_BY_UID,
        ('_merge_table', 'conn.executemany(f"INSERT INTO {table} (id, {names}) VALUES ({marks})", ((base + n, *r) for n, r in enumerate(rows, 2)))'): _ID_GAP,
        ('_repeats', 'uids = [g[1] for events, _ in batches for g in events.reviews] + [e.uid for events, _ in batches for _, e in events.others]'): _REPEAT_CHECK,
        ("log_body", 'end = data.rfind(b"\\n", None, len(data) - 1) + 1  # where the closing line starts'): "rfind's start None is 0",
        ("log_body", 'end = data.rfind(b"\\n", 1, len(data) - 1) + 1  # where the closing line starts'):
            "the file starts with its header, so no line break is at byte 0",
        ("log_body", 'end = data.rfind(b"\\n", 0, len(data) - 2) + 1  # where the closing line starts'):
            "the byte before the final line break ends the closing line ('}'), never a line break",
        ("log_body", 'lines = data[start:end] if (start <= end) or True else b""'): _BODY_ORDER,
        ("log_body", 'lines = data[start:end] if start < end else b""'): "at start == end both give no lines",
        ("log_body", 'lines = data[start:end] if start <= end else b"XXXX"'): _BODY_ORDER,
        ("log_body", 'last = lines[lines.rfind(b"\\n", None, len(lines) - 1) + 1:]'): "rfind's start None is 0",
        ("log_body", 'last = lines[lines.rfind(b"\\n", 1, len(lines) - 1) + 1:]'):
            "the body starts with an event line ('{\"id\"'), so no line break is at byte 0",
        ("log_body", 'last = lines[lines.rfind(b"\\n", 0, len(lines) - 2) + 1:]'):
            "the byte before the body's final line break ends an event line ('}'), never a line break",
        ("log_body", 'return LogBody(lines, tail["events"], last[len(ID_PREFIX): len(ID_PREFIX) + 36].decode("ASCII", "replace"))'):
            "codec names are case-insensitive",
        ("closing_line", 'last = data[data.rfind(b"\\n", None, end) + 1: end]'): "rfind's start None is 0",
        ("closing_line", 'last = data[data.rfind(b"\\n", 1, end) + 1: end]'):
            "a break at byte 0 only leaves a leading line break on the last line, which lstrip() and json.loads skip alike",
    },
    "quiz": {
        ('__init__', 'self.thread = threading.Thread(target=self._run, daemon=None)'): _Q_DAEMON,
        ('__init__', 'self.thread = threading.Thread(target=self._run, )'): _Q_DAEMON,
        ('__init__', 'self.thread = threading.Thread(target=self._run, daemon=False)'): _Q_DAEMON,
        ('_show_whole_answer', 'panel = Panel(self._points_text(card, self._answer_text(card)), title="model answer", title_align="left", border_style="GREEN")'): _Q_COLOUR,
        ('_show_answer', 'self.console.print(Panel(self._points_text(card, self._answer_text(card)), title="model answer", title_align="left", border_style="GREEN"))'): _Q_COLOUR,
        ('_show_answer', 'self.console.print(Panel(body, title="model answer · key points first", title_align="left", border_style="GREEN"))'): _Q_COLOUR,
        ('_confirm', 'def _confirm(self, card: Card, grade: Grade, scheduling: bool | None, relearn: bool = True, detail: dict | None = None) -> None:'): _Q_DEFAULTS,
        ('_show_question', 'def _show_question(self, card: Card, position: int, total: int, relearn: bool = True) -> None:'): _Q_DEFAULTS,
        ('_show_question', 'self.console.print(render_curve(curve, show_markers=False))'):
            "render_curve's own width is 70, and the chart is never drawn wider than the console",
        ('_show_question', 'self.console.print(Panel(body, title="question", title_align="left", border_style="CYAN"))'):
            "Rich reads colour names in any case: CYAN is cyan",
        ('run', 'assert action in ("grade", "grade-then-quit") or grade is not None, action'):
            "every action _ask_grade returns but skip and undo comes with a grade: the check guards a bug only",
        ('run', 'relearning = None'): "relearning is read only by its truth, and None is false as False is",
        ('_show_question', 'self.console.print(render_curve(curve, width=min(70, self.console.width), show_markers=None))'):
            "the chart reads show_markers by its truth: None hides the markers as False does",
        ('_grade_prompt', 'def _grade_prompt(self, card: Card, typed: str, took: float, relearn: bool = True, condensed: bool = False) -> tuple[str, Grade | None, dict]:'): _Q_DEFAULTS,
        ('_grade_prompt', 'def _grade_prompt(self, card: Card, typed: str, took: float, relearn: bool = False, condensed: bool = True) -> tuple[str, Grade | None, dict]:'): _Q_DEFAULTS,
        ('_confirm', 'if state or state.due:'): _Q_SAVED,
        ('_confirm', 'mark.append(None, style="muted")'): _Q_SAVED,
        ('_confirm', 'mark.append(" — saved", style=None)'): _Q_SAVED,
        ('_confirm', 'mark.append(style="muted")'): _Q_SAVED,
        ('_confirm', 'mark.append(" — saved", )'): _Q_SAVED,
        ('_confirm', 'mark.append("XX — savedXX", style="muted")'): _Q_SAVED,
        ('_confirm', 'mark.append(" — SAVED", style="muted")'): _Q_SAVED,
        ('_confirm', 'mark.append(" — saved", style="XXmutedXX")'): _Q_SAVED,
        ('_confirm', 'mark.append(" — saved", style="MUTED")'): _Q_SAVED,
        ('_grade_prompt', 'grade = None  # relearning only says whether it stuck'): _Q_RELEARN_EASY,
        ('opening_lines', 'drills = [] if (cram) and False else due_drills(states, today)'): _Q_CRAM_DRILLS,
        ('due_drills', 'return sorted(k.split("/", )[1] for k, s in states.items() if k.startswith("drill/") and s.is_due(today))'): _Q_DRILL_NAMES,
        ('due_drills', 'return sorted(k.rsplit("/", 1)[1] for k, s in states.items() if k.startswith("drill/") and s.is_due(today))'): _Q_DRILL_NAMES,
        ('due_drills', 'return sorted(k.split("/", 2)[1] for k, s in states.items() if k.startswith("drill/") and s.is_due(today))'): _Q_DRILL_NAMES,
        ('closing_lines', 'accuracy = tally.passed / graded if (graded) or True else 0.0'): _Q_NOTHING_GRADED,
        ('closing_lines', 'accuracy = tally.passed / graded if graded else 1.0'): _Q_NOTHING_GRADED,
    },
    "sync": {
        ('machine_id', 'text = path.read_text(encoding=None).strip()'): _ASCII_ID,
        ('machine_id', 'text = path.read_text(encoding="UTF-8").strip()'): _ASCII_ID,
        ('machine_id', 'text = "XXXX"'): _NO_ID_TEXT,
        ('sync', 'body = log_body(own_data) if (own_data) or True else None'): _NO_BODY,
        ('sync', 'if body is not None and own - count_events(store, machine=None, after=body.last or None) != body.events:'): _ALL_COUNTED,
        ('sync', 'if body is not None and own - count_events(store, after=body.last or None) != body.events:'): _ALL_COUNTED,
        ('_host', 'name = re.sub(r"[^a-z0-9-]+", "-", socket.gethostname().lower()).strip("XX-XX")[:24].strip("-")'): _LOWERED,
        ('_host', 'name = re.sub(r"[^a-z0-9-]+", "-", socket.gethostname().lower()).strip("-")[:24].strip("XX-XX")'): _LOWERED,
        ('__init__', 'super().__init__(name=None, daemon=True)'): _THREAD_NAME,
        ('__init__', 'super().__init__(name="gdgrill-sync-write", daemon=None)'): _THREAD_NAME,
        ('__init__', 'super().__init__(daemon=True)'): _THREAD_NAME,
        ('__init__', 'super().__init__(name="gdgrill-sync-write", )'): _THREAD_NAME,
        ('__init__', 'super().__init__(name="XXgdgrill-sync-writeXX", daemon=True)'): _THREAD_NAME,
        ('__init__', 'super().__init__(name="GDGRILL-SYNC-WRITE", daemon=True)'): _THREAD_NAME,
        ('__init__', 'super().__init__(name="gdgrill-sync-write", daemon=False)'): _THREAD_NAME,
        ('__init__', 'self.result: tuple[Path, Written] | None = ""'): _RESULT_SET,
        ('abandon', 'self.result = ""'): _RESULT_SET,
        ('run', 'fh, reader, header(self.me, self.exported_at), machine=None, compact=True))'): _ALL_ORIGINS,
        ('run', 'fh, reader, header(self.me, self.exported_at), compact=True))'): _ALL_ORIGINS,
        ('sync', "own_held = None  # events in this machine's file as found (-1: no whole file)"): _NO_FILE,
        ('sync', "own_held = -2  # events in this machine's file as found (-1: no whole file)"): _NO_FILE,
        ('sync', 'own_data = None  # that file, when it is the version this database last wrote'): _NO_DATA,
        ('sync', 'own_data = b"XXXX"  # that file, when it is the version this database last wrote'): _NO_DATA,
        ('sync', 'results[path.name] = FileResult(path.name, me if (path.name == own_name) and False else _named(path), tail["events"], Counter(), None)'): _OWN_NAME,
        ('sync', 'origin = me if (path.name == own_name) and False else (parsed.machine or _named(path))'): _OWN_NAME,
        ('sync', 'results[path.name] = FileResult(path.name, origin, held, None, None)'): _ADDED_REPLACED,
    },
    "store": {
        ("_open_empty", 'conn = sqlite3.connect(":memory:", )'): _EMPTY,
        ("_open_empty", "return Store(conn, None, maintenance_days)"): _EMPTY,
        ("_open_empty", "return Store(conn, maintenance_days)"): _EMPTY,
        ("_open_empty", "return Store(conn, path, )"): _EMPTY,
        ("_open_readonly", "known = None"):
            "always reading through a migrated copy in memory gives the same answers, only slower",
        ("_open_readonly", 'memory = sqlite3.connect(":memory:", )'):
            "the copy is only read after migrate(), which begins and commits its own transactions either way",
    },
    "schedules": {
        ("_after_linear_warmup", "if warmup < 1:"):
            "a one-step warmup is a LinearLR of factor 1 handing over at epoch 0: the decay's rates from the first step either way",
        ("warmup_cosine", "if t < warmup:"): _CONTINUOUS,
        ("warmup_cosine", "if t > total:  # also covers a schedule that is all warmup (total == warmup)"): _CONTINUOUS,
        ("warmup_linear", "if t < warmup:"): _CONTINUOUS,
        ("warmup_linear", "if t > total:"): _CONTINUOUS,
        ("_wsd", "if t < warmup:"): _CONTINUOUS,
        ("_wsd", "if t < total - cooldown:"): _CONTINUOUS,
        ("_wsd", "if t > total:"): _CONTINUOUS,
        ("one_cycle", "if e < peak:"): _CONTINUOUS,
        ("_after_linear_warmup", "rise = sch.LinearLR(opt, start_factor=1 / warmup, total_iters=warmup - 1)"): _TORCH_DEFAULT,
        ("_wsd_linear_torch", "rise = sch.LinearLR(opt, start_factor=1 / warmup, total_iters=max(warmup - 1, 1))"): _TORCH_DEFAULT,
        ("_one_cycle_torch", ""): _TORCH_DEFAULT + " (anneal_strategy 'cos'; cycle_momentum: see below)",
        ("_one_cycle_torch", ")"): _TORCH_DEFAULT + " (three_phase False)",
        ("_one_cycle_torch", "cycle_momentum=True,"): _NO_GRADIENT,
        ("_one_cycle_torch", "cycle_momentum=None,"): _NO_GRADIENT,
        ("_one_cycle_torch", "three_phase=None,"): "OneCycleLR reads three_phase by its truth: None is False",
        ("_wsd_linear_torch", "rise = sch.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=max(warmup - 1, 2))"):
            "the rise is cut at its milestone W - 1, so iterations of it past that are never read",
        ("_wsd_linear_torch", "stable = sch.ConstantLR(opt, factor=1.0, )"): _FACTOR_ONE,
        ("_wsd_linear_torch", "stable = sch.ConstantLR(opt, factor=1.0, total_iters=2)"): _FACTOR_ONE,
        ("_wsd_linear_torch", "return sch.SequentialLR(opt, [rise, stable, cool], milestones=[warmup + 1, total - cooldown - 1])"):
            "the rise holds its end factor 1 after W - 1 and the plateau is factor 1 too: handing over two epochs later changes no rate",
        ("torch_lrs", "param = torch.nn.Parameter(torch.zeros(1, ))"): _LR_ONLY,
        ("torch_lrs", "param = torch.nn.Parameter(torch.zeros(1, device=None))"): _LR_ONLY,
        ("torch_lrs", "param = torch.nn.Parameter(torch.zeros(2, device=device))"): _LR_ONLY,
        ("torch_lrs", "param = torch.nn.Parameter(None)"): _LR_ONLY,
    },
    "crosscheck": {
        ('_grad_accumulation', 'param = torch.tensor(problem.p0, dtype=dtype, requires_grad=True)'): _CPU_DEVICE,
        ('_grad_accumulation', '((torch.as_tensor(g, dtype=dtype, device=None) * param).sum() / k).backward()'): _CPU_DEVICE,
        ('_grad_accumulation', '((torch.as_tensor(g, dtype=dtype, ) * param).sum() / k).backward()'): _CPU_DEVICE,
        ('_grad_accumulation', 'param = torch.tensor(problem.p0, dtype=dtype, device=None, requires_grad=True)'): _CPU_DEVICE,
        ('_loss_scaling', 'None, init_scale=hp["s0"], growth_factor=hp["growth"], backoff_factor=hp["backoff"], growth_interval=int(hp["interval"])'): _CPU_DEVICE,
        ('_loss_scaling', 'param = torch.tensor(problem.p0, dtype=dtype, device=None, requires_grad=True)'): _CPU_DEVICE,
        ('_loss_scaling', 'scaler.scale(torch.zeros((), dtype=dtype, device=None))  # the scale is made here, lazily'): _CPU_DEVICE,
        ('_loss_scaling', 'scaler.scale(torch.zeros((), dtype=dtype, ))  # the scale is made here, lazily'): _CPU_DEVICE,
        ('_loss_scaling', 'param.grad = torch.as_tensor(g, dtype=dtype, device=None)  # backward of the scaled loss'): _CPU_DEVICE,
        ('_loss_scaling', 'param.grad = torch.as_tensor(g, dtype=dtype, )  # backward of the scaled loss'): _CPU_DEVICE,
        ('_loss_scaling', 'param = torch.tensor(problem.p0, dtype=dtype, requires_grad=True)'): _CPU_DEVICE,
        ('_weight_ema', 'model.weight.copy_(torch.as_tensor(problem.p0, dtype=dtype, device=None).reshape(1, -1))'): _CPU_DEVICE,
        ('_weight_ema', 'model.weight.copy_(torch.as_tensor(problem.p0, dtype=dtype, ).reshape(1, -1))'): _CPU_DEVICE,
        ('_weight_ema', 'model = torch.nn.Linear(int(np.prod(shape)), 1, bias=False).to(device=None, dtype=dtype)'): _CPU_DEVICE,
        ('_weight_ema', 'model = torch.nn.Linear(int(np.prod(shape)), 1, bias=False).to(dtype=dtype)'): _CPU_DEVICE,
        ('_weight_ema', 'model.weight.grad = torch.as_tensor(g, dtype=dtype, device=None).reshape(1, -1)'): _CPU_DEVICE,
        ('_weight_ema', 'model.weight.grad = torch.as_tensor(g, dtype=dtype, ).reshape(1, -1)'): _CPU_DEVICE,
        ('_weight_ema', 'model = torch.nn.Linear(int(np.prod(shape)), 1, ).to(device=device, dtype=dtype)'): _EMA_BIAS,
        ('_weight_ema', 'model = torch.nn.Linear(int(np.prod(shape)), 1, bias=True).to(device=device, dtype=dtype)'): _EMA_BIAS,
        ('_weight_ema', 'model = torch.nn.Linear(int(np.prod(shape)), 1, bias=None).to(device=device, dtype=dtype)'): _EMA_BIAS,
        ('_weight_ema', 'model.weight.copy_(torch.as_tensor(problem.p0, dtype=dtype, device=device).reshape(-1))'):
            "copy_ broadcasts the flat θ over the (1, n) weight: the same figures land",
        ('_loss_scaling', 'param = torch.tensor(problem.p0, dtype=dtype, device=device, requires_grad=False)'): _GRAD_SET,
        ('_loss_scaling', 'param = torch.tensor(problem.p0, dtype=dtype, device=device, )'): _GRAD_SET,
        ('_grad_accumulation', '((torch.as_tensor(g, dtype=None, device=device) * param).sum() / k).backward()'): _LAST_BIT,
        ('_grad_accumulation', '((torch.as_tensor(g, device=device) * param).sum() / k).backward()'): _LAST_BIT,
        ('_loss_scaling', 'scaler.scale(torch.zeros((), dtype=None, device=device))  # the scale is made here, lazily'):
            "the zero is scaled only to make the scale: its dtype is never read",
        ('_loss_scaling', 'scaler.scale(torch.zeros((), device=device))  # the scale is made here, lazily'):
            "the zero is scaled only to make the scale: its dtype is never read",
        ('_weight_ema', 'model.weight.copy_(torch.as_tensor(problem.p0, dtype=None, device=device).reshape(1, -1))'): _INTO_FLOAT32,
        ('_weight_ema', 'model.weight.copy_(torch.as_tensor(problem.p0, device=device).reshape(1, -1))'): _INTO_FLOAT32,
        ('_weight_ema', 'model = torch.nn.Linear(int(np.prod(shape)), 1, bias=False).to(device=device, dtype=None)'): _MECHANICS_FLOAT32,
        ('_weight_ema', 'model = torch.nn.Linear(int(np.prod(shape)), 1, bias=False).to(device=device, )'): _MECHANICS_FLOAT32,
        ('_numpy', 'return x.detach().to(torch.float64).cpu().numpy().reshape(None).copy()'): _RESHAPED,
        ('_numpy', 'return x.detach().to(torch.float64).cpu().numpy().reshape(-2).copy()'): _RESHAPED,
        ('skipped', 'return TorchCheck(device, "nothing (the check did not run)", (), note, )'):
            "TorchCheck's agrees defaults to None, the value given",
    },
    "references_extra": {
        ("_guarded_ratio", "return xp.where(ok, num / xp.where(ok, den, 2.0), 1.0)"):
            "the stand-in denominator only keeps the masked-out lanes from dividing by 0: they become 1 either way",
        ("_lars_step", 'return p - lr * buf, {"t": state["t"] - 1, "buf": buf}'): _STEP_COUNT_UNREAD,
        ("_lars_step", 'return p - lr * buf, {"t": state["t"] + 2, "buf": buf}'): _STEP_COUNT_UNREAD,
        ("_loss_scaling_step", "t = None"): _STEP_COUNT_UNREAD,
        ("_loss_scaling_step", 't = state["t"] - 1'): _STEP_COUNT_UNREAD,
        ("_loss_scaling_step", 't = state["t"] + 2'): _STEP_COUNT_UNREAD,
        ("_loss_scaling_step", "scale, tracker = (grown if grown < FLOAT32_MAX else scale), 0  # torch's scale is float32: never inf"):
            "only a grown scale exactly equal to float32's largest value tells < from <=, and no drill's hyper-parameters reach it",
        ("_grad_accumulation_step", 't = state["t"] - 1'):
            "counting the micro-batches down instead of up reaches a multiple of k on the same steps (-t % k == 0 exactly when t % k == 0)",
        ("schedule_free_lr", "ramp = min(1.0, t / warmup) if warmup > 1 else 1.0"):
            "t is at least 1, so a warmup in (0, 1] already gives min(1, t/warmup) = 1",
    },
}

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
          -9: "segfault", -11: "segfault", None: "not checked"}


def mutmut_executable() -> str:
    beside = Path(sys.executable).parent / "mutmut"
    found = str(beside) if beside.exists() else shutil.which("mutmut")
    if not found:
        sys.exit("mutmut is not installed: pip install mutmut (or pip install -e '.[dev]')")
    return found


def copy_tree(target: Path) -> None:
    """The working tree as git sees it (tracked and new, unignored files) into ``target``."""
    if target.exists():
        shutil.rmtree(target)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def configure(target: Path, module: str) -> None:
    """Point the copy's ``[tool.mutmut]`` at one module and its test selection."""
    pyproject = target / "pyproject.toml"
    text = re.sub(r"(?ms)^\[tool\.mutmut\][^\n]*\n.*?(?=^\[|\Z)", "", pyproject.read_text(encoding="utf-8"))
    tests = [f"tests/{name}.py" for name in SELECTIONS[module]]
    deselect = ["-k", DESELECT[module]] if module in DESELECT else []  # "-n 0": one process
    text += (
        "\n[tool.mutmut]\n"
        'source_paths = ["gdgrill"]\n'
        f'only_mutate = ["{module_path(module)}"]\n'
        'also_copy = ["gdgrill", "decks", "drills", "data", "hatch_build.py"]\n'
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        f'pytest_add_cli_args = {json.dumps(["-p", "no:randomly", "-p", "no:cacheprovider", "-n", "0", *deselect])}\n'
        # A mutant whose tests take 4x their usual CPU time (plus 4 s) is a timeout, so killed. mutmut's
        # default (30x) lets one mutant that makes a loop endless hold a core for half an hour.
        "timeout_multiplier = 2.0\n"
    )
    pyproject.write_text(text, encoding="utf-8")


def mutated_lines(mutmut: str, workdir: Path, name: str) -> tuple[str, str]:
    """The lines the mutant changed: (before, after), each joined with ' / '."""
    shown = subprocess.run([mutmut, "show", name], cwd=workdir, capture_output=True, text=True).stdout.splitlines()

    def side(mark: str) -> str:
        return " / ".join(line[1:].strip() for line in shown if line.startswith(mark) and not line.startswith(mark * 3))

    return side("-"), side("+")


def why_equivalent(module: str, name: str, before: str, after: str) -> str | None:
    for rule, why in RULES:
        if rule(before, after):
            return why
    return EQUIVALENT.get(module, {}).get((function_of(name), after))


def function_of(name: str) -> str:
    # gdgrill.report.x_render__mutmut_3 or gdgrill.store.xǁStoreǁundo__mutmut_2
    tail = name.rsplit(".", 1)[-1].split("__mutmut_")[0]
    return tail.split("ǁ")[-1] if "ǁ" in tail else tail.removeprefix("x_")


def mutant_patterns(module: str, functions: list[str]) -> list[str]:
    """mutmut's names (fnmatch patterns) of the mutants of ``functions`` (function or method
    names, themselves patterns) in ``module``: gdgrill.report.x_render__mutmut_3,
    gdgrill.store.xǁStoreǁundo__mutmut_2."""
    dotted = module_path(module)[:-3].replace("/", ".")
    return [p for f in functions for p in (f"{dotted}.x_{f}__mutmut_*", f"{dotted}.xǁ*ǁ{f}__mutmut_*")]


def recheck(module: str, workdir: Path, name: str, env: dict[str, str]) -> bool:
    """Whether the tests of the module's selection as they are now (copied over the run's)
    kill the survivor ``name``, run the way mutmut runs it (one process, the mutant set)."""
    args = ["-x", "-q", "-p", "no:cacheprovider", "-n", "0"] + (["-k", DESELECT[module]] if module in DESELECT else [])
    tests = [f"tests/{t}.py" for t in SELECTIONS[module] if (workdir / "mutants" / "tests" / f"{t}.py").exists()]
    done = subprocess.run([sys.executable, "-m", "pytest", *args, *tests], cwd=workdir / "mutants",
                          env={**env, "MUTANT_UNDER_TEST": name}, capture_output=True, timeout=900)
    return done.returncode != 0


def run_module(module: str, workdir: Path, jobs: int, survivors: bool, resume: bool = False,
               only: list[str] | None = None, again: bool = False) -> dict:
    mutmut = mutmut_executable()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HYPOTHESIS_PROFILE"] = "ci"  # the same examples for every mutant
    patterns = mutant_patterns(module, only) if only else []
    started = time.perf_counter()
    if again:  # a finished run's survivors, tested again against the tests as they are now
        if not (workdir / "mutants").is_dir():
            sys.exit(f"no run of {module} in {workdir} to recheck")
        shutil.copytree(ROOT / "tests", workdir / "mutants" / "tests", dirs_exist_ok=True)
        if recheck(module, workdir, "none", env):  # no mutant active: every test must pass, or nothing is learnt
            sys.exit(f"the tests of {module}'s selection fail on the unmutated copy in {workdir / 'mutants'}")
    else:
        if not (resume and (workdir / "mutants").is_dir()):
            copy_tree(workdir)
            configure(workdir, module)
        log = workdir / "mutmut.log"
        with log.open("w") as out:
            done = subprocess.run([mutmut, "run", "--max-children", str(jobs), *patterns], cwd=workdir, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            sys.exit(f"mutmut failed on {module} (exit {done.returncode}); see {log}")
    meta = workdir / "mutants" / f"{module_path(module)}.meta"
    if not meta.exists():
        sys.exit(f"mutmut left no results for {module} in {workdir}")
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    if only:
        import fnmatch

        codes = {k: v for k, v in codes.items() if any(fnmatch.fnmatch(k, p) for p in patterns)}
    counts: dict[str, int] = {}
    for code in codes.values():
        status = STATUS.get(code, "suspicious")
        counts[status] = counts.get(status, 0) + 1
    equivalent, alive = [], []
    for name, code in sorted(codes.items()):
        if STATUS.get(code, "suspicious") not in ("survived", "no tests", "suspicious"):
            continue
        before, after = mutated_lines(mutmut, workdir, name)
        why = why_equivalent(module, name, before, after)
        if not why and again and recheck(module, workdir, name, env):
            counts["killed"] = counts.get("killed", 0) + 1  # by a test written since the run
            continue
        (equivalent if why else alive).append((name, after, why))
    seconds = time.perf_counter() - started
    caught = counts.get("killed", 0) + counts.get("timeout", 0) + counts.get("segfault", 0)
    total = len(codes)
    live = total - len(equivalent)
    result = {"module": module, "total": total, "killed": caught, "survived": len(alive),
              "equivalent": len(equivalent), "score": caught / live if live else 1.0, "seconds": seconds}
    if survivors:
        for name, line, why in equivalent:
            print(f"  {module}: equivalent {name}: {line}  ({why})")
        for name, line, _ in alive:
            print(f"  {module}: SURVIVED   {name}: {line}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", default=list(SELECTIONS), help=f"of: {', '.join(SELECTIONS)}")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "mutation")
    parser.add_argument("--survivors", action="store_true", help="list every surviving mutant")
    parser.add_argument("--only", default="",
                        help="comma-separated functions (fnmatch patterns) of one module to mutate, e.g. 'merge,_merge_*'")
    parser.add_argument("--recheck", action="store_true",
                        help="test a finished run's survivors again against the tests as they are now (no new run)")
    parser.add_argument("--resume", action="store_true",
                        help="carry on a module's stopped run in its workdir (mutants already tested keep their result)")
    args = parser.parse_args()
    unknown = [m for m in args.modules if m not in SELECTIONS]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(SELECTIONS)}")
    if args.only and len(args.modules) != 1:
        parser.error("--only names functions of one module: give exactly one")
    rows = []
    for module in args.modules:
        only = [f.strip() for f in args.only.split(",") if f.strip()] or None
        rows.append(run_module(module, args.workdir / module, args.jobs, args.survivors, args.resume, only, args.recheck))
        print(f"  done {module}: {rows[-1]['killed']}/{rows[-1]['total']} in {rows[-1]['seconds']:.0f} s", flush=True)
    print(f"\n{'module':<10} {'mutants':>7} {'killed':>7} {'survived':>8} {'equiv.':>6} {'score':>6} {'time':>6}")
    for r in rows:
        print(f"{r['module']:<10} {r['total']:>7} {r['killed']:>7} {r['survived']:>8} {r['equivalent']:>6}"
              f" {r['score']:>6.1%} {r['seconds']:>5.0f}s")


if __name__ == "__main__":
    main()
