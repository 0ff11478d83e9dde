"""Derive-and-verify drills: the user types an update rule, it is run against a reference.

- :mod:`gdgrill.drill.catalog`    what a drill is (names, instances, known mistakes) and DRILLS (no numpy)
- :mod:`gdgrill.drill.files`      drill files (drills/*.yaml): read and checked, every problem at file:line
- :mod:`gdgrill.drill.loading`    which drills there are: the wheel's pre-parsed ones, the cache, the user's
- :mod:`gdgrill.drill.language`   the safe answer language (parser + interpreter, no eval/exec)
- :mod:`gdgrill.drill.references` reference optimizers over numpy / torch
- :mod:`gdgrill.drill.judge`      runs a rule beside the reference, names known mistakes
- :mod:`gdgrill.drill.diagnosis`  on a fail: the first wrong statement, a repair, where NaN arose
- :mod:`gdgrill.drill.crosscheck` after a pass: torch.optim itself vs the rule in torch, on the device
- :mod:`gdgrill.drill.derivations` the derive stages of each drill that has them, as data (no numpy)
- :mod:`gdgrill.drill.derive`     checks a derive stage's formula (sympy, else numerically) and a whole answer
- :mod:`gdgrill.drill.command`    the ``gdgrill drill`` command (the only module here that renders)

Nothing heavy is imported here, so ``from gdgrill.drill.catalog import DRILLS`` stays light.
"""
