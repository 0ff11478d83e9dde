"""Loading the drills: how long a fresh process takes to have every drill, three ways.

    PYTHONPATH=. python bench/bench_drill_load.py [--runs 15] [--synthetic 36]

For the shipped drills and for ``--synthetic`` drills (copies of the shipped ones under new
names, a folder the size the catalogue is growing to), each in a fresh process, the time
from importing the drill loader to holding every drill:

- index: the wheel's pre-parsed drills.json (what an installed gdgrill reads every day;
  goal <= 30 ms);
- cache: the data folder's cache of drill files already read (a source checkout, or the
  user's own drills, on any day after the first; goal <= 30 ms);
- yaml: nothing pre-parsed: every file read and checked (the first run after an install
  or an edit; for user drills the rules also run through the judge, which is reported apart).

"cold" is the first load in the process (what a command pays); "warm" a second load in the
same process (the drills are kept, so it is the cost of asking again).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import median  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 30.0

PROBE = r"""
import json, sys, time
from pathlib import Path
folder, index, cache, mode = sys.argv[1:5]
import dataclasses, re, typing, typer, rich.console  # what every gdgrill command has imported already
started = time.perf_counter()
from gdgrill.drill import loading as files
if mode == "index":
    files.shipped_drills_dir = lambda: Path(folder)
    files.shipped_drill_index_path = lambda: Path(index)
    drills = files.shipped_drills()
elif mode == "user":  # the folder as the user's own: read, checked and run once, then cached
    drills = files.load_drills([Path(folder)], cache=Path(cache))
else:  # the folder as the shipped set, through the cache (mode cache) or read anew (mode yaml)
    files.shipped_drills_dir = lambda: Path(folder)
    files.shipped_drill_index_path = lambda: Path(index + ".absent")
    drills = files.shipped_drills(Path(cache) if mode == "cache" else None)
cold = time.perf_counter() - started
again = time.perf_counter()
files.load_drills([Path(folder)] if mode == "user" else [], cache=Path(cache) if mode != "yaml" else None)
warm = time.perf_counter() - again
print(json.dumps({"cold": cold, "warm": warm, "drills": len(drills), "yaml": "yaml" in sys.modules, "numpy": "numpy" in sys.modules}))
"""


def synthetic_folder(where: Path, count: int, shared: bool = True) -> Path:
    """``count`` drills: the shipped ones copied under new names (name-copyN), with the
    shared files beside them (a user's folder sees the shipped ones instead)."""
    folder = where / ("drills" if shared else "mine")
    folder.mkdir()
    for name in ("_names.yaml", "_mistakes.yaml") if shared else ():
        shutil.copy(ROOT / "drills" / name, folder / name)
    sources = sorted(p for p in (ROOT / "drills").glob("*.yaml") if not p.name.startswith("_"))
    for n in range(count):
        source = sources[n % len(sources)]
        name = f"{source.stem}-copy{n // len(sources) + 1}"
        text = source.read_text(encoding="utf-8").replace(f"name: {source.stem}\n", f"name: {name}\n", 1)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def probe(folder: Path, index: Path, cache: Path, mode: str, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder), str(index), str(cache), mode], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--synthetic", type=int, default=36)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package runs from compiled bytecode
    env.pop("GDGRILL_DRILLS", None)
    from gdgrill.drill.loading import build_shipped_index

    scratch = Path(tempfile.mkdtemp(prefix="gdgrill-bench-drills-"))
    sets = {"shipped": ROOT / "drills", f"{args.synthetic} synthetic": synthetic_folder(scratch, args.synthetic)}
    for label, folder in sets.items():
        index = scratch / f"{folder.parent.name}-{label.split()[0]}.json"
        build_shipped_index(folder, index)
        cache = scratch / f"cache-{label.split()[0]}.json"
        user_cache = scratch / f"user-cache-{label.split()[0]}.json"
        probe(folder, index, cache, "cache", env)  # fills the cache, writes the bytecode
        modes = {"index": (index, cache), "cache": (index, cache), "yaml": (index, cache)}
        print(f"{label} drills:")
        for mode in modes:
            runs = [probe(folder, index, cache, mode, env) for _ in range(args.runs)]
            cold, warm = median([r["cold"] for r in runs]) * 1000, median([r["warm"] for r in runs]) * 1000
            goal = "" if mode == "yaml" else f" (goal <= {GOAL_MS:.0f} ms) {'OK' if cold <= GOAL_MS else 'OVER'}"
            yaml_note = ", no yaml" if not runs[0]["yaml"] else ""
            print(f"  {mode:<6} cold {cold:6.1f} ms, warm {warm:5.2f} ms, {runs[0]['drills']} drills{yaml_note}{goal}")
        if label != "shipped":
            mine = synthetic_folder(scratch, args.synthetic, shared=False)
            probe(ROOT / "drills", index, user_cache, "cache", env)  # the shipped drills cached, as on any day
            first = probe(mine, index, user_cache, "user", env)
            later = [probe(mine, index, user_cache, "user", env) for _ in range(args.runs)]
            print(f"  as the user's own: first load {first['cold'] * 1000:6.1f} ms (read, checked, every rule run"
                  f"{', numpy' if first['numpy'] else ''}), then {median([r['cold'] for r in later]) * 1000:5.1f} ms from the cache"
                  f"{'' if later[0]['yaml'] or later[0]['numpy'] else ' (no yaml, no numpy)'}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
