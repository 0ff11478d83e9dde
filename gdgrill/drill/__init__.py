"""Derive-and-verify drills: the user types an update rule, it is run against a reference.

- :mod:`gdgrill.drill.catalog`    the drills, their names, instances and known mistakes (no numpy)
- :mod:`gdgrill.drill.language`   the safe answer language (parser + interpreter, no eval/exec)
- :mod:`gdgrill.drill.references` reference optimizers over numpy / torch
- :mod:`gdgrill.drill.judge`      runs a rule beside the reference, diagnoses mistakes
- :mod:`gdgrill.drill.command`    the ``gdgrill drill`` command

Nothing heavy is imported here, so ``from gdgrill.drill.catalog import DRILLS`` stays light.
"""
