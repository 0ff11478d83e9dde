"""Which drills there are: the shipped ones and the user's, read once per process from the
quickest source that is fresh.

- the wheel's ``drills.json`` (the shipped drills pre-parsed at build time by
  :func:`build_shipped_index`; fresh while every shipped file keeps its size and gdgrill
  its version): no YAML at all;
- else the data folder's cache of drill files already read (keyed by each file's size and
  mtime and the shared files'): no YAML either;
- else the files themselves, read and checked by :mod:`gdgrill.drill.files` (a user's drill
  also has its rules run through the judge, once, before it is cached).

Nothing here imports yaml or numpy; :mod:`gdgrill.drill.files` is imported only when a file
has to be read.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from gdgrill import __version__
from gdgrill.drill.catalog import GROUPS, Drill, Instance, Mutant, Variable, Variant
from gdgrill.errors import UserError
from gdgrill.parsecache import StampedCache, file_stamp
from gdgrill.paths import shipped_drill_index_path, shipped_drills_dir, user_drill_dirs

if TYPE_CHECKING:
    from gdgrill.decks import Problem

CACHE_VERSION = f"drills-1:{__version__}"  # a new gdgrill re-reads and re-checks every drill
NAMES_FILE = "_names.yaml"
MISTAKES_FILE = "_mistakes.yaml"


class DrillError(UserError):
    pass


class Shared(NamedTuple):
    """The names and misconceptions drills may refer to by key, and where each came from."""

    names: dict[str, Variable]
    mistakes: dict[str, tuple[str, str]]  # id -> (title, explanation)
    sources: dict[str, str]  # "name:p" / "mistake:id" -> "file:line"
    stamp: tuple[str, ...]  # what says the shared files changed (part of each drill's cache key)


def where(path: Path) -> str:
    """A path as the cache and the duplicate check know it: absolute, normalised (without
    resolving links, which costs a system call per folder of every path on every load)."""
    return os.path.abspath(path)


def shared_stamp(folder: Path, base: Shared | None) -> tuple[str, ...]:
    own = [str([where(f), file_stamp(f)]) for f in (folder / NAMES_FILE, folder / MISTAKES_FILE) if f.is_file()]
    return (*(base.stamp if base else ()), *own)


# -- JSON: the wheel's index and the user's cache --------------------------------------------------


def drill_to_json(drill: Drill) -> dict[str, Any]:
    return asdict(drill)


def _variable(v: dict[str, Any]) -> Variable:
    return Variable(v["name"], v["symbol"], tuple(v["aliases"]), v["meaning"], tuple(v["words"]))


def drill_from_json(d: dict[str, Any]) -> Drill:
    return Drill(
        name=d["name"], title=d["title"], summary=d["summary"], tier=d["tier"], kind=d["kind"], reference=d["reference"],
        task=d["task"], target=d["target"], inputs=tuple(_variable(v) for v in d["inputs"]), reference_rule=d["reference_rule"],
        hints=tuple(d["hints"]),
        instances=tuple(Instance(i["label"], dict(i["hp"]), i["grads"], i["steps"], tuple(i["shape"]), i["seed"]) for i in d["instances"]),
        mutants=tuple(Mutant(m["id"], m["title"], m["rule"], m["explanation"]) for m in d["mutants"]),
        variants=tuple(Variant(v["id"], v["title"], v["rule"], v["note"]) for v in d["variants"]),
        outputs=tuple(_variable(v) for v in d["outputs"]), rtol=d["rtol"], atol=d["atol"],
        roles=tuple((k, w) for k, w in d["roles"]), group=d["group"],
    )


def shared_to_json(shared: Shared) -> dict[str, Any]:
    return {"names": {k: asdict(v) for k, v in shared.names.items()}, "mistakes": shared.mistakes, "sources": shared.sources}


def shared_from_json(data: dict[str, Any], stamp: tuple[Any, ...]) -> Shared:
    names = {k: _variable(v) for k, v in data["names"].items()}
    mistakes = {k: (t, e) for k, (t, e) in data["mistakes"].items()}
    return Shared(names, mistakes, dict(data["sources"]), stamp)


def _cached_shared(folder: Path, base: Shared | None, store: StampedCache) -> Shared:
    """:func:`read_shared` through ``store``; raise DrillError on the first problem."""
    stamp = shared_stamp(folder, base)
    key = f"{where(folder)}#shared"
    cached = store.get(key, list(stamp))
    if cached is not None:
        try:
            return shared_from_json(cached, stamp)
        except (KeyError, TypeError, ValueError):
            pass
    from gdgrill.drill.files import read_shared

    shared, problems = read_shared(folder, base)
    if problems:
        raise first_problem(problems, folder)
    store.put(key, list(stamp), shared_to_json(shared))
    return shared



# -- Folders, the shipped set and the user's --------------------------------------------------------


def drill_files(path: Path) -> list[Path]:
    """The drill files a path names: the file itself, or a folder's *.yaml / *.yml files
    (not the shared ``_*.yaml`` ones)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith("_") and p.is_file())
    return [] if path.name.startswith("_") else [path]


def list_order(drills: Iterable[Drill]) -> list[Drill]:
    """The order drills are listed in: by group (as GROUPS), then tier, then name."""
    groups = list(GROUPS)
    return sorted(drills, key=lambda d: (groups.index(d.group) if d.group in groups else len(groups), d.tier, d.name))


def first_problem(problems: "list[Problem]", file: Path) -> DrillError:
    """The error that stops a load: the first problem, and how many more there are."""
    more = f" (and {len(problems) - 1} more; run 'gdgrill drill check {file}')" if len(problems) > 1 else ""
    return DrillError(str(problems[0]) + more)


class _Loaded(NamedTuple):
    drills: dict[str, Drill]
    sources: dict[str, Path]
    shared: Shared


def _read_folder(files: list[Path], shared: Shared, store: StampedCache, verify: bool) -> list[tuple[Drill, Path]]:
    """Each file's drill: from ``store`` when the file and the shared files are unchanged,
    else read (and with ``verify``, run); raise DrillError on the first broken file."""
    out = []
    for file in files:
        stamp = file_stamp(file)
        key = where(file)
        full = [stamp, list(shared.stamp), verify]
        cached = store.get(key, full) if stamp is not None else None
        drill = None
        if cached is not None:
            try:
                drill = drill_from_json(cached)
            except (KeyError, TypeError, ValueError):
                drill = None
        if drill is None:
            from gdgrill.drill.files import behaviour_problems, read_drill_file

            df, problems = read_drill_file(file, shared)
            if df is not None and verify:
                problems = behaviour_problems(df)
            if problems:
                raise first_problem(problems, file)
            assert df is not None
            drill = df.drill
            if stamp is not None:
                store.put(key, full, drill_to_json(drill))
        out.append((drill, file))
    return out


_SHIPPED: _Loaded | None = None


def _index_sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()}


def _from_index(folder: Path) -> _Loaded | None:
    """The shipped drills from the wheel's pre-parsed index; None when absent or stale."""
    path = shipped_drill_index_path()
    if not path.is_file():
        return None
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION or data.get("sizes") != _index_sizes(folder):
            return None
        drills = [drill_from_json(d) for d in data["drills"]]
        shared = shared_from_json(data["shared"], ("index", CACHE_VERSION, json.dumps(data["sizes"], sort_keys=True)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    drills = list_order(drills)
    return _Loaded({d.name: d for d in drills}, {d.name: folder / f"{d.name}.yaml" for d in drills}, shared)


def _shipped(cache: Path | None = None, store: StampedCache | None = None) -> _Loaded:
    """The shipped drills, read once per process: from the wheel's index, else through
    ``store`` (or a cache opened on ``cache`` only if the files must be read)."""
    global _SHIPPED
    if _SHIPPED is None:
        folder = shipped_drills_dir()
        loaded = _from_index(folder)
        if loaded is None:
            own = store is None
            store = store or StampedCache(cache, CACHE_VERSION)
            shared = _cached_shared(folder, None, store)
            pairs = _read_folder(drill_files(folder), shared, store, verify=False)
            if own:
                store.save()
            ordered = list_order(d for d, _ in pairs)
            file_of = {d.name: f for d, f in pairs}
            loaded = _Loaded({d.name: d for d in ordered}, {d.name: file_of[d.name] for d in ordered}, shared)
        _SHIPPED = loaded
    return _SHIPPED


def shipped_drills(cache: Path | None = None) -> dict[str, Drill]:
    """The shipped drills by name, in list order: read once per process, from the wheel's
    index when it is there and fresh, else from the YAML (through ``cache`` when given)."""
    return _shipped(cache).drills


def shipped_shared() -> Shared:
    """The shipped shared names and mistakes (what a user's drill may refer to by key)."""
    return _shipped().shared


def shipped_sources() -> dict[str, Path]:
    """The file each shipped drill was read from (its pre-parsed copy's, in a wheel)."""
    return _shipped().sources


def load_drills(extra: Iterable[Path] = (), cache: Path | None = None) -> dict[str, Drill]:
    """The shipped drills plus the user's (``extra``, then GDGRILL_DRILLS), by name in list
    order. A user's drill is checked at both levels when first seen or changed (``cache``
    keeps the result). Raises DrillError on a broken file or a name used twice."""
    users = user_drill_dirs(list(extra))
    if not users:
        return dict(_shipped(cache).drills)
    store = StampedCache(cache, CACHE_VERSION)
    shipped = _shipped(store=store)
    drills = dict(shipped.drills)
    sources = dict(shipped.sources)
    seen_files = {where(p) for p in sources.values()}
    shipped_folder = where(shipped_drills_dir())
    for path in users:
        if not path.exists():
            raise DrillError(f"{path}: no such drill file or folder")
        if path.is_dir() and not drill_files(path):
            raise DrillError(f"{path}: no drill files (*.yaml) in this folder")
        folder = path if path.is_dir() else path.parent
        if where(folder) == shipped_folder:
            continue  # the shipped drills themselves (a source checkout's drills/)
        # The same file named twice (--drills and GDGRILL_DRILLS, say) is loaded once.
        files = [f for f in drill_files(path) if where(f) not in seen_files]
        shared = _cached_shared(folder, shipped.shared, store)
        for drill, file in _read_folder(files, shared, store, verify=True):
            if drill.name in drills:
                raise DrillError(f"{file}: drill name {drill.name!r} is already used by {sources[drill.name]}")
            drills[drill.name] = drill
            sources[drill.name] = file
            seen_files.add(where(file))
    store.save()
    return {d.name: d for d in list_order(drills.values())}


# -- The wheel's index (hatch_build.py) -----------------------------------------------------------


def build_shipped_index(drills_dir: Path, out: Path) -> int:
    """Read and check (file level) the drills in ``drills_dir`` and write them, parsed, to
    ``out`` as JSON for the wheel (see hatch_build.py). Raises DrillError on a broken file."""
    import json

    from gdgrill.drill.files import read_drill_file, read_shared

    shared, problems = read_shared(drills_dir)
    if problems:
        raise first_problem(problems, drills_dir)
    drills = []
    for file in drill_files(drills_dir):
        df, problems = read_drill_file(file, shared)
        if problems:
            raise first_problem(problems, file)
        assert df is not None
        drills.append(drill_to_json(df.drill))
    data = {"version": CACHE_VERSION, "sizes": _index_sizes(drills_dir), "shared": shared_to_json(shared), "drills": drills}
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return len(drills)
