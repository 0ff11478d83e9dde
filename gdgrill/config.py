"""The user's settings: ``config.toml`` in the data folder, under environment variables and flags.

Every setting resolves the same way: a command-line flag, else its environment variable,
else ``config.toml``, else the built-in default. ``decks`` adds up instead of overriding:
the shipped decks, the file's deck folders, ``GDGRILL_DECKS`` and ``--decks`` all load.

The file is read with :mod:`tomllib` (only when it exists) and validated as a whole: bad
TOML, an unknown key, a wrong type or an out-of-range value is a :class:`ConfigError`
naming the file, the line and the key, for every command. Writing changes only the lines
of the key being set, so the user's comments, blank lines and order survive; the result
is parsed back before it replaces the file (atomically), and a rewrite that would change
anything else is refused with the file untouched.

Like :mod:`gdgrill.paths` and :mod:`gdgrill.clock`, this is a boundary module: it reads
the environment; the rest of gdgrill receives the resolved values.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from gdgrill.clock import DEFAULT_ROLLOVER_HOUR
from gdgrill.errors import UserError
from gdgrill.paths import config_path, home_dir
from gdgrill.scheduler import DEFAULT_MAINTENANCE_DAYS

DEFAULT_NEW_PER_DAY = 10  # the same number as quiz.DEFAULT_NEW_PER_DAY (a test holds them equal)

HEADER = (
    "# gdgrill settings: see 'gdgrill config'. A command-line flag or a GDGRILL_* environment\n"
    "# variable overrides a value here for one run.\n"
)


class ConfigError(UserError):
    pass


class Setting(NamedTuple):
    key: str
    env: str
    default: Any
    low: int | None  # whole-number settings: the allowed range (None: a list of deck folders)
    high: int | None
    expected: str  # what a valid value looks like, for messages


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("decks", "GDGRILL_DECKS", (), None, None, 'a list of deck folders, e.g. decks = ["~/my-decks"]'),
        Setting("new_per_day", "GDGRILL_NEW_PER_DAY", DEFAULT_NEW_PER_DAY, 0, None, "a whole number of new cards, 0 or more"),
        Setting("rollover_hour", "GDGRILL_ROLLOVER_HOUR", DEFAULT_ROLLOVER_HOUR, 0, 23, "a whole hour from 0 to 23"),
        Setting(
            "maintenance_days", "GDGRILL_MAINTENANCE_DAYS", DEFAULT_MAINTENANCE_DAYS, 1, 3650, "a whole number of days from 1 to 3650"
        ),
    )
}
KNOWN = ", ".join(sorted(SETTINGS))


def setting(key: str) -> Setting:
    """The setting named ``key``; a ConfigError listing the known ones otherwise."""
    found = SETTINGS.get(key)
    if found is None:
        raise ConfigError(f"unknown setting {key!r} (known: {KNOWN})")
    return found


# -- Reading ------------------------------------------------------------------------------------


class Problem(NamedTuple):
    key: str | None
    line: int | None
    message: str
    syntax: bool = False  # the file does not parse (not UTF-8, not TOML): nothing may rewrite it


class ConfigFile(NamedTuple):
    """``config.toml`` as read: its text (None when there is no file), the raw TOML
    table, the valid values by key and what is wrong with it."""

    path: Path
    text: str | None = None
    raw: Mapping[str, Any] = {}  # never mutated
    values: Mapping[str, Any] = {}
    problems: tuple[Problem, ...] = ()

    def check(self, allow: str | None = None) -> "ConfigFile":
        """Raise the first problem as one line (file:line: key: what is wrong), ignoring
        problems with the value of ``allow`` (the key about to be set or unset)."""
        for p in self.problems:
            if allow is not None and p.key == allow and not p.syntax:
                continue
            where = f"{self.path}:{p.line}" if p.line else str(self.path)
            key = f" {p.key}:" if p.key else ""
            if p.key in SETTINGS and not p.syntax:
                fix = f" (fix it, or reset it with 'gdgrill config unset {p.key}')"
            elif p.key and not p.syntax:
                fix = f" (remove it with 'gdgrill config unset {p.key}', or edit the file)"
            else:
                fix = ""
            raise ConfigError(f"{where}:{key} {p.message}{fix}")
        return self


def key_line(text: str, key: str) -> int | None:
    """The line (1-based) where ``key`` is assigned or opens a table, if it can be found."""
    pattern = re.compile(rf"""^[ \t]*\[*[ \t]*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')[ \t]*[=.\]]""")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def _whole_number(value: Any, s: Setting) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if (s.low is not None and value < s.low) or (s.high is not None and value > s.high):
        return None
    return value


def _deck_list(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return tuple(value)


def validate(key: str, value: Any) -> Any:
    """``value`` (as TOML gives it) checked for ``key``; None when it is not valid."""
    s = SETTINGS[key]
    return _deck_list(value) if s.low is None else _whole_number(value, s)


def parse_config(path: Path, text: str) -> ConfigFile:
    """The file's text parsed and validated (problems are collected, not raised)."""
    import tomllib

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r" \(at line (\d+), column \d+\)$", message)
        line = int(found.group(1)) if found else None
        message = re.sub(r" \(at (line \d+, column \d+|end of document)\)$", "", message)
        lines = text.splitlines()
        assigned = re.match(r"[ \t]*[\"']?([A-Za-z0-9_-]+)[\"']?[ \t]*=", lines[line - 1]) if line and line <= len(lines) else None
        key = assigned.group(1) if assigned else None
        return ConfigFile(path, text, problems=(Problem(key, line, f"not valid TOML: {message}", syntax=True),))
    values: dict[str, Any] = {}
    problems = []
    for key, value in raw.items():
        line = key_line(text, key)
        if key not in SETTINGS:
            problems.append(Problem(key, line, f"unknown setting (known: {KNOWN})"))
            continue
        checked = validate(key, value)
        if checked is None:
            shown = "a table" if isinstance(value, dict) else repr(value)
            problems.append(Problem(key, line, f"expected {SETTINGS[key].expected}, got {shown}"))
        else:
            values[key] = checked
    return ConfigFile(path, text, raw, values, tuple(problems))


def read_config(path: Path) -> ConfigFile:
    """``config.toml`` at ``path``, parsed but not yet checked (see :meth:`ConfigFile.check`)."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return ConfigFile(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return ConfigFile(path, "", problems=(Problem(None, line, "not UTF-8 text", syntax=True),))
    return parse_config(path, text)


_read: dict[Path, tuple[tuple[int, ...], ConfigFile]] = {}


def config_file(home: Path | None = None) -> ConfigFile:
    """The checked config file of ``home`` (--home, else GDGRILL_HOME, else the platform's
    folder). A command asks for it several times (decks, today, the store); the file is
    read again only when it has changed."""
    path = config_path(home_dir(home))
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return ConfigFile(path)
    except OSError:
        return read_config(path).check()
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    known = _read.get(path)
    if known is not None and known[0] == stamp:
        return known[1].check()
    found = read_config(path)
    _read[path] = (stamp, found)
    return found.check()


# -- Resolving ----------------------------------------------------------------------------------


def env_value(s: Setting) -> int | None:
    """A whole-number setting's environment variable, checked; None when unset or empty."""
    raw = os.environ.get(s.env, "")
    if not raw:
        return None
    value = int(raw) if raw.isascii() and raw.isdigit() else None
    if value is None or _whole_number(value, s) is None:
        raise ConfigError(f"{s.env}={raw!r}: expected {s.expected}")
    return value


class Settings(NamedTuple):
    """Every setting's effective value and where it came from: "flag", "env", "file" or
    "default" (``decks`` are the file's folders; the environment's add to them)."""

    file: ConfigFile
    new_per_day: int
    rollover_hour: int
    maintenance_days: int
    decks: tuple[Path, ...]
    sources: Mapping[str, str]

    def value(self, key: str) -> Any:
        return getattr(self, key)

    def deck_folders(self) -> list[Path]:
        """The file's deck folders, each of which must exist (a ConfigError otherwise)."""
        for path in self.decks:
            if not path.exists():
                import shlex

                line = key_line(self.file.text or "", "decks")
                where = f"{self.file.path}:{line}" if line else str(self.file.path)
                raise ConfigError(
                    f"{where}: decks: {path}: no such deck folder (remove it with 'gdgrill config remove-deck {shlex.quote(str(path))}')"
                )
        return list(self.decks)


def deck_path(entry: str, base: Path) -> Path:
    """A deck folder as written in the file: ``~`` expanded, relative to the file's folder."""
    path = Path(entry).expanduser()
    return path if path.is_absolute() else base / path


def resolve(file: ConfigFile, **flags: Any) -> Settings:
    """Flags (None: not given) over environment over ``file`` over defaults."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, s in SETTINGS.items():
        if key == "decks":
            continue
        flag, env = flags.get(key), env_value(s)
        if flag is not None:
            values[key], sources[key] = flag, "flag"
        elif env is not None:
            values[key], sources[key] = env, "env"
        elif key in file.values:
            values[key], sources[key] = file.values[key], "file"
        else:
            values[key], sources[key] = s.default, "default"
    entries = file.values.get("decks", ())
    sources["decks"] = "file" if entries else "default"
    decks = tuple(deck_path(e, file.path.parent) for e in entries)
    return Settings(file, decks=decks, sources=sources, **values)


def settings(home: Path | None = None, **flags: Any) -> Settings:
    """The settings of ``home`` (--home, else GDGRILL_HOME, else the platform's folder),
    with ``flags`` (e.g. ``new_per_day=args.new``; None means not given) on top."""
    return resolve(config_file(home), **flags)


# -- Writing ------------------------------------------------------------------------------------


def parse_value(key: str, text: str, cwd: Path | None = None) -> Any:
    """A value typed on the command line, checked: a whole number, or for ``decks`` a
    list of existing folders separated by ``os.pathsep`` (stored as absolute paths)."""
    s = setting(key)
    if s.low is None:
        entries = [p for p in text.split(os.pathsep) if p.strip()]
        return [str(existing_folder(p, cwd)) for p in entries]
    value = int(text) if text.isascii() and text.isdigit() else None
    if value is None or _whole_number(value, s) is None:
        raise ConfigError(f"{key} {text!r}: expected {s.expected}")
    return value


def existing_folder(text: str, cwd: Path | None = None) -> Path:
    """A deck folder (or file) named on the command line, made absolute; it must exist."""
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    path = Path(os.path.normpath(path))
    if not path.exists():
        raise ConfigError(f"{text}: no such deck folder")
    return path


def toml_value(value: Any) -> str:
    """``value`` (a whole number or a list of strings) written as TOML."""
    if isinstance(value, int):
        return str(value)
    items = [_toml_string(v) for v in value]
    if len(items) <= 1:
        return f"[{', '.join(items)}]"
    return "[\n" + "".join(f"    {item},\n" for item in items) + "]"


def _toml_string(text: str) -> str:
    if "'" not in text and not any(ord(c) < 32 or ord(c) == 127 for c in text):
        return f"'{text}'"  # a literal string: Windows backslashes stay readable
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 32 or ord(c) == 127 else c for c in escaped)
    return f'"{escaped}"'


_STRINGS = r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\''  # TOML strings, any kind


def _comments(text: str) -> list[tuple[int, int]]:
    """Where the comments in a piece of TOML are: (start, end) offsets, strings skipped."""
    masked = re.sub(_STRINGS, lambda m: "x" * len(m.group(0)), text)
    return [(m.start(), m.end()) for m in re.finditer(r"#[^\n]*", masked)]


def _span(lines: list[str], key: str) -> tuple[int, int] | None:
    """The lines [start, end) holding ``key = value`` (a multi-line array included)."""
    import tomllib

    start = key_line("".join(lines), key)
    if start is None:
        return None
    start -= 1
    for end in range(start + 1, len(lines) + 1):
        try:
            if key in tomllib.loads("".join(lines[start:end])):
                return start, end
        except tomllib.TOMLDecodeError:
            continue
    return None


def edited_text(file: ConfigFile, key: str, value: Any | None) -> str:
    """The file's text with ``key`` set to ``value`` (None: removed), every other line as
    it was. Comments in the old value are kept: on the same line where that line stays
    (``key = 5  # why``, a deck folder's own line in a multi-line list), else moved just
    above it. Raises ConfigError if the result would not parse back to exactly the old
    settings with this one change."""
    import tomllib

    text = file.text if file.text else HEADER
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    span = _span(lines, key) if key in file.raw else None
    if key in file.raw and span is None:
        raise _cannot_edit(file, key, value)
    if span is None:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines += [f"{key} = {toml_value(value)}{newline}"] if value is not None else []
    else:
        start, end = span
        body = _rewritten(key, [line.rstrip("\r\n") for line in lines[start:end]], value)
        lines[start:end] = [line + newline for line in body]
    result = "".join(lines)
    expected = dict(file.raw)
    expected.pop(key, None)
    if value is not None:
        expected[key] = value
    try:
        ok = tomllib.loads(result) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise _cannot_edit(file, key, value)
    return result


def _line_comments(old: list[str]) -> dict[int, str]:
    """The comment on each line of a value (with the blanks before it), by line index."""
    text = "\n".join(old)
    starts = [0]
    for line in old[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    found = {}
    for a, b in _comments(text):
        index = max(i for i, s0 in enumerate(starts) if s0 <= a)
        gap = len(text[:a]) - len(text[:a].rstrip(" \t"))
        found[index] = text[a - gap : b] if a - gap > starts[index] else text[a:b]
    return found


def _rewritten(key: str, old: list[str], value: Any | None) -> list[str]:
    """The lines replacing ``old`` (the lines of ``key = ...``)."""
    import tomllib

    comments = _line_comments(old)
    if value is None:
        return [c.strip() for _, c in sorted(comments.items())]
    last = len(old) - 1
    if isinstance(value, int) or last == 0:
        tail = comments.pop(last, "")
        tail = tail if tail[:1] in " \t" or not tail else "  " + tail
        return [c.strip() for _, c in sorted(comments.items())] + [f"{key} = {toml_value(value)}{tail}"]
    # A multi-line list: one folder a line, each kept as written, with its own comment.
    own: dict[str, tuple[str, str]] = {}  # folder -> (its string as written, its comment)
    for i in range(1, last):
        strings = list(re.finditer(_STRINGS, old[i]))
        if len(strings) == 1:
            try:
                entry = tomllib.loads("v = " + strings[0].group(0))["v"]
            except tomllib.TOMLDecodeError:
                continue
            own.setdefault(entry, (strings[0].group(0), comments.pop(i, "")))
    indents = [re.match(r"[ \t]*", old[i]).group(0) for i in range(1, last) if old[i].strip()]  # type: ignore[union-attr]
    indent = indents[0] if indents and indents[0] else "    "
    head, tail = comments.pop(0, ""), comments.pop(last, "")
    body = []
    for v in value:
        written, comment = own.pop(v, (_toml_string(v), ""))
        body.append(f"{indent}{written},{comment}")
    loose = [c.strip() for _, c in sorted(comments.items())] + [c.strip() for _, c in own.values() if c]
    return loose + [f"{key} = [{head}"] + body + [f"]{tail}"]


def _cannot_edit(file: ConfigFile, key: str, value: Any | None) -> ConfigError:
    todo = f"remove the {key} line" if value is None else f"write: {key} = {toml_value(value)}"
    return ConfigError(f"{file.path}: cannot change {key} without touching other lines; edit the file by hand ({todo})")


def write_setting(file: ConfigFile, key: str, value: Any | None) -> ConfigFile:
    """Set (or with None remove) ``key`` in the config file and return the file as now
    written. The file must be valid apart from ``key``'s own value; it is replaced
    atomically, keeps its permissions, and a symlinked config.toml is written through."""
    file.check(allow=key)
    text = edited_text(file, key, value)
    target = file.path.resolve() if file.path.is_symlink() else file.path
    try:
        current: str | None = target.read_bytes().decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        current = None
    except (OSError, UnicodeDecodeError):
        current = ""
    if current != file.text:
        raise ConfigError(f"{file.path}: changed while being updated; nothing written, try again")
    _write_atomic(target, text)
    return parse_config(file.path, text)


def _write_atomic(path: Path, text: str) -> None:
    import stat

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = None
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise ConfigError(f"{path}: cannot write the config file ({exc.strerror or exc}); left unchanged") from None


# -- Changing settings (what `gdgrill config set/unset/add-deck/remove-deck` do) ----------------


def _fresh(home: Path | None) -> ConfigFile:
    return read_config(config_path(home_dir(home)))


def _check_decks_load(folders: list[str], home: Path | None, file: ConfigFile) -> None:
    """Refuse deck folders that would break every command: a broken deck, a clashing id."""
    from gdgrill.decks import DeckError, load_library
    from gdgrill.paths import deck_cache_path

    try:
        load_library([Path(f) for f in folders], cache=deck_cache_path(home_dir(home)))
    except DeckError as exc:
        raise ConfigError(f"{exc}; {file.path} left unchanged") from None


def set_value(home: Path | None, key: str, text: str, cwd: Path | None = None) -> ConfigFile:
    """Set ``key`` from its command-line spelling (checked; deck folders must load) and
    return the file as written. A bad value of this same key in the file is replaced."""
    value = parse_value(key, text, cwd)
    file = _fresh(home).check(allow=key)
    if key == "decks":
        _check_decks_load(value, home, file)
    return write_setting(file, key, value)


def unset_value(home: Path | None, key: str) -> bool:
    """Remove ``key`` from the file; False when it was not set there. A key this gdgrill
    does not know (a typo) can be removed too: it is what makes every command refuse."""
    file = _fresh(home)
    if key not in SETTINGS and key not in file.raw:
        setting(key)  # neither known nor in the file: say which keys exist
    file = file.check(allow=key)
    if key not in file.raw:
        return False
    write_setting(file, key, None)
    return True


def _same_folder(entry: str, path: Path, base: Path) -> bool:
    return Path(os.path.normpath(deck_path(entry, base))) == path or entry == str(path)


def add_deck(home: Path | None, text: str, cwd: Path | None = None) -> tuple[Path, bool]:
    """Append a deck folder to ``decks`` (it must exist and load); (its path, whether it was new)."""
    path = existing_folder(text, cwd)
    file = _fresh(home).check()
    current = list(file.values.get("decks", ()))
    if any(_same_folder(e, path, file.path.parent) for e in current):
        return path, False
    resolve(file).deck_folders()  # a folder listed before and gone since: say so plainly
    _check_decks_load([str(deck_path(e, file.path.parent)) for e in current] + [str(path)], home, file)
    write_setting(file, "decks", current + [str(path)])
    return path, True


def remove_deck(home: Path | None, text: str, cwd: Path | None = None) -> tuple[Path, bool]:
    """Drop a deck folder from ``decks`` (it need not exist any more); (its path, whether it
    was listed). Removing one that is not listed changes nothing, like adding one twice."""
    path = Path(text).expanduser()
    path = Path(os.path.normpath(path if path.is_absolute() else (cwd or Path.cwd()) / path))
    file = _fresh(home).check()
    current = list(file.values.get("decks", ()))
    kept = [e for e in current if not (_same_folder(e, path, file.path.parent) or e == text)]
    if len(kept) == len(current):
        return path, False
    write_setting(file, "decks", kept or None)  # the last one gone: no decks line at all
    return path, True
