"""proofs.theorems: theorems and lemmas whose steps can be checked by computation.

Each module checks one statement on concrete input and returns a :class:`Certificate`: what
was checked, how (identity simplified to 0, exact maximisation, root counting), and the
result. The modules use sympy only, so importing this package never imports the engines.
"""

from .certificate import Certificate

__all__ = ["Certificate"]
