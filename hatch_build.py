"""Wheel build hook: ship the decks and the drills pre-parsed, so a fresh install skips YAML
on its first run.

Both are validated here too (the drills at the file level: keys, names, ids; the tests run
their rules), so a broken deck or drill fails the build rather than a user."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":
            return  # an editable install reads decks/ and keeps its own cache
        sys.path.insert(0, self.root)
        try:
            from gdgrill.decks import build_shipped_index
            from gdgrill.drill.loading import build_shipped_index as build_drill_index
        finally:
            sys.path.remove(self.root)
        where = Path(tempfile.mkdtemp(prefix="gdgrill-build-"))
        build_shipped_index(Path(self.root) / "decks", where / "decks.json")
        build_drill_index(Path(self.root) / "drills", where / "drills.json")
        build_data["force_include"][str(where / "decks.json")] = "gdgrill/_shipped/decks.json"
        build_data["force_include"][str(where / "drills.json")] = "gdgrill/_shipped/drills.json"
