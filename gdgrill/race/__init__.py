"""``gdgrill race``: optimizers race on a 2-D surface, drawn in the terminal (or a PNG).

- :mod:`gdgrill.race.surfaces` the surfaces: value, exact gradient, start, bounds, default LRs
- :mod:`gdgrill.race.run`      the simulation over the drills' reference optimizers (and the user's rule)
- :mod:`gdgrill.race.plot`     the terminal figure (contour, paths, loss charts, table) and the PNG
- :mod:`gdgrill.race.command`  the ``gdgrill race`` command

Nothing heavy is imported here: numpy comes in with the modules above, which the command
imports only when it runs.
"""
