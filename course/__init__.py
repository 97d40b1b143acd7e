"""course: a teaching unit on Integrated Gradients, as notebooks stored as text.

The notebooks are ``course/NN_*.py`` in jupytext's percent format (readable diffs; each runs
as a plain script from inside ``course/``). ``python -m course build`` turns each into a
student and a solution ``.ipynb`` (see :mod:`course.build`); the test suite executes them.
"""
