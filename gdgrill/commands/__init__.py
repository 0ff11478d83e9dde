"""Typer command modules: each parses arguments, calls the library and renders; no logic.

(Older commands still live in ``gdgrill/cli*.py``, ``drill/command.py`` and
``race/command.py``; they move here as they are next changed.)"""
