"""Wheel build hook: ship the decks pre-parsed, so a fresh install skips YAML on its first run.

The decks are validated here too, so a broken deck fails the build rather than a user."""

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
        finally:
            sys.path.remove(self.root)
        out = Path(tempfile.mkdtemp(prefix="gdgrill-build-")) / "decks.json"
        build_shipped_index(Path(self.root) / "decks", out)
        build_data["force_include"][str(out)] = "gdgrill/_shipped/decks.json"
