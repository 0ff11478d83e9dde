"""`gdgrill config` and config.toml: flag > environment > file > default, for every command."""

from __future__ import annotations

import json
import os
import stat
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gdgrill import clock, config
from gdgrill.cli import app
from gdgrill.scheduler import Grade
from gdgrill.store import open_store

runner = CliRunner()
SAMPLE_NEW = 3  # cards in conftest's sample deck, all new


def gd(*args: str, input: str | None = None, env: dict | None = None):
    return runner.invoke(app, list(args), input=input, env=env)


def write_config(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def new_in_queue(*extra: str, env: dict | None = None) -> int:
    result = gd("due", "--format", "json", "--deck", "sample", *extra, env=env)
    assert result.exit_code == 0, result.output
    return sum(1 for item in json.loads(result.stdout)["items"] if item["new"])


def shown(key: str, *flags: str) -> str:
    """The `gdgrill config` row of ``key``, blanks squeezed: 'key value source'."""
    result = gd("config", *flags)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.split() and line.split()[0] == key)
    return " ".join(row.split())


# -- Precedence -----------------------------------------------------------------------------


def test_new_per_day_flag_beats_env_beats_file_beats_default(isolated_home, sample_decks):
    deck = ("--decks", str(sample_decks))
    assert new_in_queue(*deck) == SAMPLE_NEW  # default 10: all three
    write_config(isolated_home, "new_per_day = 2\n")
    assert new_in_queue(*deck) == 2
    assert new_in_queue(*deck, env={"GDGRILL_NEW_PER_DAY": "1"}) == 1
    assert new_in_queue(*deck, "--new", "0", env={"GDGRILL_NEW_PER_DAY": "1"}) == 0
    assert new_in_queue(*deck, "--new", "3") == 3


def test_the_quiz_introduces_new_cards_by_the_configured_allowance(isolated_home, sample_decks):
    write_config(isolated_home, "new_per_day = 1\n")
    result = gd("quiz", "--decks", str(sample_decks), "--deck", "sample", input="0.9, 0.999\n\n")
    assert result.exit_code == 0, result.output
    assert "1 new." in result.stdout.splitlines()[0]
    assert "[1/1]" in result.stdout and "[1/2]" not in result.stdout


def test_new_per_day_precedence_is_shown_with_its_source(isolated_home):
    assert shown("new_per_day") == "new_per_day 10 default"
    write_config(isolated_home, "new_per_day = 4\n")
    assert shown("new_per_day") == "new_per_day 4 file"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GDGRILL_NEW_PER_DAY", "6")
        assert shown("new_per_day") == "new_per_day 6 env GDGRILL_NEW_PER_DAY"
    assert shown("new_per_day", "--new", "8") == "new_per_day 8 flag"


def test_the_rollover_hour_comes_from_the_file_unless_the_environment_says_otherwise(isolated_home, monkeypatch):
    monkeypatch.delenv("GDGRILL_TODAY")
    half_past_five = datetime(2026, 3, 2, 5, 30).astimezone()
    assert clock.today(half_past_five) == date(2026, 3, 2)  # default: the day begins at 4
    write_config(isolated_home, "rollover_hour = 6\n")
    assert clock.today(half_past_five) == date(2026, 3, 1)  # still yesterday's session
    monkeypatch.setenv("GDGRILL_ROLLOVER_HOUR", "5")
    assert clock.today(half_past_five) == date(2026, 3, 2)
    monkeypatch.delenv("GDGRILL_ROLLOVER_HOUR")
    assert shown("rollover_hour") == "rollover_hour 6 file"


def test_the_rollover_hour_follows_the_home_given_with_dash_dash_home(tmp_path, monkeypatch):
    monkeypatch.delenv("GDGRILL_TODAY")
    other = tmp_path / "other-home"
    write_config(other, "rollover_hour = 6\n")
    half_past_five = datetime(2026, 3, 2, 5, 30).astimezone()
    assert clock.today(half_past_five, home=other) == date(2026, 3, 1)
    assert clock.today(half_past_five) == date(2026, 3, 2)  # GDGRILL_HOME has no config


LADDER = [date(2026, 1, 1) + timedelta(days=d) for d in (0, 3, 7, 14, 21)]


def mastered_due(home: Path) -> date:
    with open_store(home) as store:
        if not store.states():
            for day in LADDER:
                store.record_review("d/a", Grade.PASS, "quiz", day=day)
        return store.states()["d/a"].due


def test_maintenance_days_env_beats_file_beats_default(isolated_home, monkeypatch):
    assert mastered_due(isolated_home) == LADDER[-1] + timedelta(days=30)
    write_config(isolated_home, "maintenance_days = 45\n")
    assert mastered_due(isolated_home) == LADDER[-1] + timedelta(days=45)
    monkeypatch.setenv("GDGRILL_MAINTENANCE_DAYS", "60")
    assert mastered_due(isolated_home) == LADDER[-1] + timedelta(days=60)


def test_a_mastered_card_comes_back_on_the_configured_day_in_due(isolated_home, sample_decks):
    write_config(isolated_home, f"maintenance_days = 45\ndecks = ['{sample_decks}']\n")
    with open_store(isolated_home) as store:
        for day in LADDER:
            store.record_review("sample/betas", Grade.PASS, "quiz", day=day)
    day44 = (LADDER[-1] + timedelta(days=44)).isoformat()
    day45 = (LADDER[-1] + timedelta(days=45)).isoformat()
    assert "sample/betas" not in gd("due", "--deck", "sample", "--new", "0", env={"GDGRILL_TODAY": day44}).stdout
    assert "sample/betas" in gd("due", "--deck", "sample", "--new", "0", env={"GDGRILL_TODAY": day45}).stdout


def test_deck_folders_add_up_from_file_environment_and_flag(isolated_home, sample_decks, tmp_path):
    def deck_folder(name: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        text = (sample_decks / "sample.yaml").read_text(encoding="utf-8").replace("id: sample", f"id: {name}", 1)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        return folder

    from_env, from_flag = deck_folder("envdeck"), deck_folder("flagdeck")
    assert gd("config", "add-deck", str(sample_decks)).exit_code == 0
    result = gd("decks", "list", "--decks", str(from_flag), env={"GDGRILL_DECKS": str(from_env)})
    assert result.exit_code == 0, result.output
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert {"sample", "envdeck", "flagdeck", "optimizers"} <= listed
    rows = gd("config", env={"GDGRILL_DECKS": str(from_env)}).stdout
    assert any(str(sample_decks) in line and line.rstrip().endswith("file") for line in rows.splitlines())
    assert any(str(from_env) in line and "env GDGRILL_DECKS" in line for line in rows.splitlines())


# -- A user's own decks every day -------------------------------------------------------------


def test_a_deck_folder_in_the_config_is_loaded_without_dash_dash_decks(isolated_home, sample_decks):
    result = gd("config", "add-deck", str(sample_decks))
    assert result.exit_code == 0 and "added" in result.stdout
    assert "sample" in gd("decks", "list").stdout
    quiz = gd("quiz", "--deck", "sample", "--limit", "1", input="0.9, 0.999\n\n")
    assert quiz.exit_code == 0, quiz.output
    assert "Default Adam betas?" in quiz.stdout
    assert "sample" in gd("report").stdout


def test_a_deck_folder_that_has_gone_is_one_line_naming_the_config_and_the_fix(isolated_home, tmp_path, sample_decks):
    gone = tmp_path / "gone"
    gone.mkdir()
    (gone / "sample.yaml").write_text((sample_decks / "sample.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert gd("config", "add-deck", str(gone)).exit_code == 0
    (gone / "sample.yaml").unlink()
    gone.rmdir()
    result = gd("quiz", input="")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert f"{isolated_home / 'config.toml'}:3: decks: {gone}: no such deck folder" in line  # below the 2-line header
    assert f"gdgrill config remove-deck {gone}" in line
    assert "(missing)" in gd("config").stdout
    assert gd("config", "remove-deck", str(gone)).exit_code == 0
    assert gd("quiz", "--limit", "1", input="\np\n").exit_code == 0


def test_add_deck_refuses_a_folder_that_would_break_every_command(isolated_home, tmp_path, sample_decks):
    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "mine.yaml").write_text((sample_decks / "sample.yaml").read_text(encoding="utf-8").replace("id: sample", "id: optimizers", 1))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "b.yaml").write_text("deck: {id: b, title: B, description: d}\ncards:\n  - id: x\n    question: q?\n", encoding="utf-8")
    for folder, why in ((clash, "already used"), (broken, "answer"), (tmp_path / "nowhere", "no such deck folder")):
        result = gd("config", "add-deck", str(folder))
        assert result.exit_code == 2, result.output
        assert why in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (isolated_home / "config.toml").exists()


def test_decks_can_be_set_as_a_list_and_removed_one_by_one(isolated_home, sample_decks, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "o.yaml").write_text((sample_decks / "sample.yaml").read_text(encoding="utf-8").replace("id: sample", "id: other", 1))
    assert gd("config", "set", "decks", f"{sample_decks}{os.pathsep}{other}").exit_code == 0
    assert gd("config", "get", "decks").stdout.split() == [str(sample_decks), str(other)]
    assert gd("config", "remove-deck", str(sample_decks)).exit_code == 0
    assert gd("config", "get", "decks").stdout.split() == [str(other)]
    missing = gd("config", "remove-deck", str(sample_decks))  # already gone: nothing to do, as add-deck twice
    assert missing.exit_code == 0 and "was not listed" in missing.stdout
    assert gd("config", "get", "decks").stdout.split() == [str(other)]


# -- get / set / unset / path -------------------------------------------------------------------


def test_set_get_unset_round_trip(isolated_home):
    for key, value, default in (("new_per_day", "5", "10"), ("rollover_hour", "0", "4"), ("maintenance_days", "90", "30")):
        result = gd("config", "set", key, value)
        assert result.exit_code == 0, result.output
        assert gd("config", "get", key).stdout.strip() == value
        assert shown(key) == f"{key} {value} file"
        assert gd("config", "unset", key).exit_code == 0
        assert gd("config", "get", key).stdout.strip() == default
        assert shown(key) == f"{key} {default} default"
    assert "was not set" in gd("config", "unset", "new_per_day").stdout


def test_set_writes_a_toml_file_tomllib_reads_back(isolated_home, sample_decks):
    import tomllib

    gd("config", "set", "rollover_hour", "6")
    gd("config", "add-deck", str(sample_decks))
    data = tomllib.loads((isolated_home / "config.toml").read_text(encoding="utf-8"))
    assert data == {"rollover_hour": 6, "decks": [str(sample_decks)]}


@pytest.mark.parametrize(
    "key, value, why",
    [
        ("rollover_hour", "24", "0 to 23"),
        ("rollover_hour", "six", "0 to 23"),
        ("maintenance_days", "0", "1 to 3650"),
        ("maintenance_days", "3651", "1 to 3650"),
        ("new_per_day", "1.5", "0 or more"),
        ("decks", "/no/such/folder", "no such deck folder"),
    ],
)
def test_set_refuses_a_bad_value_and_writes_nothing(isolated_home, key, value, why):
    result = gd("config", "set", key, value)
    assert result.exit_code == 2
    assert why in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (isolated_home / "config.toml").exists()


@pytest.mark.parametrize("args", [["get", "colour"], ["set", "colour", "red"], ["unset", "colour"], ["set", "new-per-day", "3"]])
def test_an_unknown_key_is_one_line_listing_the_known_ones(args):
    result = gd("config", *args)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert all(k in line for k in ("decks", "new_per_day", "rollover_hour", "maintenance_days"))


def test_config_path_and_dash_dash_home(isolated_home, tmp_path):
    assert gd("config", "path").stdout.strip() == str(isolated_home / "config.toml")
    elsewhere = tmp_path / "elsewhere"
    assert gd("config", "set", "new_per_day", "3", "--home", str(elsewhere)).exit_code == 0
    assert gd("config", "--home", str(elsewhere), "get", "new_per_day").stdout.strip() == "3"
    assert gd("config", "get", "new_per_day").stdout.strip() == "10"
    assert (elsewhere / "config.toml").exists() and not (isolated_home / "config.toml").exists()


def test_a_value_set_under_an_overriding_variable_says_so(isolated_home):
    result = gd("config", "set", "rollover_hour", "6", env={"GDGRILL_ROLLOVER_HOUR": "3"})
    assert result.exit_code == 0 and "GDGRILL_ROLLOVER_HOUR=3 overrides it" in result.stdout


def test_the_default_new_card_allowance_is_the_quizs():
    from gdgrill.quiz import DEFAULT_NEW_PER_DAY

    assert config.SETTINGS["new_per_day"].default == DEFAULT_NEW_PER_DAY


# -- A hand-edited file is never destroyed ------------------------------------------------------

HAND_EDITED = """\
# my settings
new_per_day = 5   # weekdays only

# where my decks live
decks = [
    "{a}",   # work
    '{b}',
]  # end

rollover_hour = 3
"""


def test_set_and_unset_keep_comments_layout_and_other_keys(isolated_home, tmp_path, sample_decks):
    a, b, c = (tmp_path / n for n in "abc")
    for folder, deck_id in ((a, "deck-a"), (b, "deck-b"), (c, "deck-c")):
        folder.mkdir()
        text = (sample_decks / "sample.yaml").read_text(encoding="utf-8").replace("id: sample", f"id: {deck_id}", 1)
        (folder / "d.yaml").write_text(text, encoding="utf-8")
    path = write_config(isolated_home, HAND_EDITED.format(a=a, b=b))
    assert gd("config", "set", "new_per_day", "7").exit_code == 0
    assert gd("config", "remove-deck", str(b)).exit_code == 0
    assert gd("config", "add-deck", str(c)).exit_code == 0
    assert path.read_text(encoding="utf-8") == (
        "# my settings\n"
        "new_per_day = 7   # weekdays only\n"
        "\n"
        "# where my decks live\n"
        "decks = [\n"
        f'    "{a}",   # work\n'
        f"    '{c}',\n"
        "]  # end\n"
        "\n"
        "rollover_hour = 3\n"
    )
    assert gd("config", "unset", "new_per_day").exit_code == 0
    assert path.read_text(encoding="utf-8").startswith("# my settings\n# weekdays only\n\n# where my decks live\ndecks = [\n")


def test_a_new_setting_is_appended_below_the_users_lines(isolated_home):
    path = write_config(isolated_home, "# mine\nrollover_hour = 5")  # no final newline
    assert gd("config", "set", "maintenance_days", "40").exit_code == 0
    assert path.read_text(encoding="utf-8") == "# mine\nrollover_hour = 5\nmaintenance_days = 40\n"


def test_windows_line_endings_stay_windows_line_endings(isolated_home):
    isolated_home.mkdir()
    path = isolated_home / "config.toml"
    path.write_bytes(b"# mine\r\nnew_per_day = 5\r\n")
    assert gd("config", "set", "new_per_day", "6").exit_code == 0
    assert gd("config", "set", "rollover_hour", "2").exit_code == 0
    assert path.read_bytes() == b"# mine\r\nnew_per_day = 6\r\nrollover_hour = 2\r\n"


def test_a_bad_value_can_be_fixed_with_set_or_unset_keeping_the_rest(isolated_home):
    path = write_config(isolated_home, "# hour I start\nrollover_hour = 25  # oops\nnew_per_day = 3\n")
    assert gd("report").exit_code == 2
    assert gd("config", "set", "rollover_hour", "5").exit_code == 0
    assert path.read_text(encoding="utf-8") == "# hour I start\nrollover_hour = 5  # oops\nnew_per_day = 3\n"
    assert gd("report").exit_code == 0


def test_writing_is_atomic_keeps_permissions_and_writes_through_a_symlink(isolated_home, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "gdgrill.toml"
    real.write_text("# tracked in git\n", encoding="utf-8")
    real.chmod(0o600)
    isolated_home.mkdir()
    (isolated_home / "config.toml").symlink_to(real)
    assert gd("config", "set", "new_per_day", "2").exit_code == 0
    assert (isolated_home / "config.toml").is_symlink()
    assert real.read_text(encoding="utf-8") == "# tracked in git\nnew_per_day = 2\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in dotfiles.iterdir()) == ["gdgrill.toml"]  # no temp file left


def test_a_failed_write_is_one_line_and_the_file_is_left_as_it_was(isolated_home, monkeypatch):
    path = write_config(isolated_home, "new_per_day = 2\n")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    result = gd("config", "set", "new_per_day", "4")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "cannot write the config file (No space left on device)" in line
    assert path.read_text(encoding="utf-8") == "new_per_day = 2\n"
    assert sorted(p.name for p in isolated_home.iterdir()) == ["config.toml"]  # the temp file is gone


# -- A malformed file: one line, exit 2, untouched, for every command ---------------------------

BAD_FILES = [
    ("new_per_day = 5\nrollover_hour = \n", "2", "rollover_hour", "not valid TOML"),
    ("rollover_hour = 25\n", "1", "rollover_hour", "0 to 23"),
    ("# c\nmaintenance_days = 0\n", "2", "maintenance_days", "1 to 3650"),
    ("new_per_day = -1\n", "1", "new_per_day", "0 or more"),
    ('new_per_day = "5"\n', "1", "new_per_day", "got '5'"),
    ("rollover_hour = true\n", "1", "rollover_hour", "got True"),
    ('decks = "~/decks"\n', "1", "decks", "list of deck folders"),
    ("\n\nnew_per_dya = 5\n", "3", "new_per_dya", "unknown setting"),
    ("[theme]\ncolour = 1\n", "1", "theme", "unknown setting"),
]
COMMANDS = [["quiz"], ["report"], ["decks", "list"], ["due"], ["plan"], ["config"], ["config", "get", "new_per_day"]]


@pytest.mark.parametrize("text, line, key, why", BAD_FILES)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_malformed_config_is_one_line_naming_file_line_and_key(isolated_home, text, line, key, why, command):
    path = write_config(isolated_home, text)
    result = gd(*command, input="")
    assert result.exit_code == 2, result.output
    (message,) = result.stderr.strip().splitlines()
    assert f"{path}:{line}: {key}:" in message and why in message
    assert "Traceback" not in result.output
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("text, line, key, why", BAD_FILES)
def test_a_malformed_config_is_never_rewritten_by_changing_another_key(isolated_home, text, line, key, why):
    path = write_config(isolated_home, text)
    other = "maintenance_days" if key != "maintenance_days" else "new_per_day"
    for args in (["set", other, "7"], ["unset", other]):
        result = gd("config", *args)
        assert result.exit_code == 2 and key in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_bad_toml_cannot_be_rewritten_even_for_its_own_key(isolated_home):
    path = write_config(isolated_home, "rollover_hour = \n# notes\n")
    result = gd("config", "set", "rollover_hour", "5")
    assert result.exit_code == 2 and "not valid TOML" in result.stderr
    assert path.read_text(encoding="utf-8") == "rollover_hour = \n# notes\n"


def test_a_file_that_is_not_utf8_is_named_with_its_line(isolated_home):
    isolated_home.mkdir()
    path = isolated_home / "config.toml"
    path.write_bytes(b"new_per_day = 5\n# caf\xe9\n")
    result = gd("decks", "list")
    assert result.exit_code == 2 and f"{path}:2: not UTF-8" in result.stderr


@pytest.mark.parametrize("variable", ["GDGRILL_NEW_PER_DAY", "GDGRILL_ROLLOVER_HOUR", "GDGRILL_MAINTENANCE_DAYS"])
def test_a_bad_environment_variable_is_one_line_naming_it(variable, monkeypatch):
    monkeypatch.delenv("GDGRILL_TODAY")  # the rollover hour only matters for a real clock
    result = gd("quiz", input="", env={variable: "lots"})
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"gdgrill: error: {variable}='lots': expected")


# -- Start-up ------------------------------------------------------------------------------------


def test_a_quiz_reads_the_config_file_once(isolated_home, sample_decks, monkeypatch):
    write_config(isolated_home, f"new_per_day = 1\nrollover_hour = 5\ndecks = ['{sample_decks}']\n")
    reads = []
    real = config.read_config
    monkeypatch.setattr(config, "read_config", lambda path: reads.append(path) or real(path))
    monkeypatch.delenv("GDGRILL_TODAY")
    result = gd("quiz", "--deck", "sample", input="0.9, 0.999\n\n")
    assert result.exit_code == 0, result.output
    assert reads == [isolated_home / "config.toml"]


def test_a_typo_in_the_file_is_named_with_its_repair_and_unset_removes_it(tmp_path):
    from typer.testing import CliRunner

    from gdgrill.cli import app

    runner = CliRunner()
    home = tmp_path / "h"
    home.mkdir()
    (home / "config.toml").write_text("new_per_dy = 5\n", encoding="utf-8")
    refused = runner.invoke(app, ["report", "--home", str(home)])
    assert refused.exit_code == 2 and "gdgrill config unset new_per_dy" in refused.stderr
    fixed = runner.invoke(app, ["config", "unset", "new_per_dy", "--home", str(home)])
    assert fixed.exit_code == 0, fixed.stderr
    assert (home / "config.toml").read_text(encoding="utf-8").strip() == ""
    assert runner.invoke(app, ["report", "--home", str(home)]).exit_code == 0
    unknown = runner.invoke(app, ["config", "unset", "colour", "--home", str(home)])
    assert unknown.exit_code == 2 and "unknown setting 'colour'" in unknown.stderr


def test_removing_a_deck_folder_that_is_not_listed_changes_nothing(tmp_path, sample_decks):
    from typer.testing import CliRunner

    from gdgrill.cli import app

    runner = CliRunner()
    home = tmp_path / "h"
    assert runner.invoke(app, ["config", "add-deck", str(sample_decks), "--home", str(home)]).exit_code == 0
    first = runner.invoke(app, ["config", "remove-deck", str(sample_decks), "--home", str(home)])
    again = runner.invoke(app, ["config", "remove-deck", str(sample_decks), "--home", str(home)])
    assert first.exit_code == again.exit_code == 0
    assert "decks: removed" in first.output and "was not listed" in again.output
