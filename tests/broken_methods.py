"""Attribution methods with planted bugs, and correct ones, for the axiom checks' tests.

Every method takes ``(F, x, baseline)`` as :mod:`axioms.contract` says. The correct ones are
exact IG returned as floats (what a numeric implementation returns) and a fine Gauss-Legendre
IG; each broken one has one bug a real implementation could have. Importable as
``broken_methods`` when the tests run (tests/ is on sys.path) and by ``python -m axioms check
--method broken_methods:NAME`` with tests/ on PYTHONPATH.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from proofs import integrated_gradients as _exact_ig


def _ig(F, x, baseline):
    return [float(v) for v in _exact_ig(F, x, baseline).values]


def _grad(F, point):
    return [float(g) for g in F.gradient_at(tuple(sp.Rational(v) for v in point))]


def _riemann(F, x, baseline, ts, weights):
    x = np.array([float(v) for v in x])
    b = np.array([float(v) for v in baseline])
    total = np.zeros(len(x))
    for t, w in zip(ts, weights):
        total += w * np.array(_grad(F, b + t * (x - b)))
    return list(total * (x - b))


# -- correct methods ----------------------------------------------------------------------------

def exact_ig_floats(F, x, baseline):
    """Exact IG, returned as floats (correct: never violated with the default tolerance)."""
    return _ig(F, x, baseline)


def exact_ig_numpy(F, x, baseline):
    """Exact IG as a NumPy array of float64."""
    return np.array(_ig(F, x, baseline))


# -- broken methods (each caught by some axiom) -------------------------------------------------

def scaled(F, x, baseline):
    """IG times 0.99."""
    return [0.99 * v for v in _ig(F, x, baseline)]


def swapped(F, x, baseline):
    """IG with the first two coordinates swapped."""
    a = _ig(F, x, baseline)
    if len(a) >= 2:
        a[0], a[1] = a[1], a[0]
    return a


def sign_flipped(F, x, baseline):
    """-IG."""
    return [-v for v in _ig(F, x, baseline)]


def constant_added(F, x, baseline):
    """IG + 0.1 on every coordinate."""
    return [v + 0.1 for v in _ig(F, x, baseline)]


def normalised(F, x, baseline):
    """IG divided by the sum of its absolute values (a "relevance map")."""
    a = _ig(F, x, baseline)
    s = sum(abs(v) for v in a)
    return [v / s if s else 0.0 for v in a]


def clipped(F, x, baseline):
    """max(IG, 0): negative attributions dropped."""
    return [max(v, 0.0) for v in _ig(F, x, baseline)]


def baseline_ignored(F, x, baseline):
    """IG from the zero baseline whatever baseline is given."""
    return _ig(F, x, (0,) * len(x))


def equal_split(F, x, baseline):
    """(F(x) - F(x')) / n to every coordinate."""
    d = float(F(*x) - F(*baseline))
    return [d / len(x)] * len(x)


def winner_takes_all(F, x, baseline):
    """All of F(x) - F(x') to the coordinate with the largest |IG| (the first on a tie)."""
    a = _ig(F, x, baseline)
    k = max(range(len(a)), key=lambda i: abs(a[i]))
    d = float(F(*x) - F(*baseline))
    return [d if i == k else 0.0 for i in range(len(a))]


def riemann_4(F, x, baseline):
    """Left Riemann IG with 4 steps (too few)."""
    return _riemann(F, x, baseline, [k / 4 for k in range(4)], [0.25] * 4)


def midpoint(F, x, baseline):
    """Midpoint-rule IG with 50 steps (Captum's default n_steps; too few for exact answers)."""
    n = 50
    return _riemann(F, x, baseline, [(k + 0.5) / n for k in range(n)], [1 / n] * n)


def rounded(F, x, baseline):
    """IG rounded to 2 decimals."""
    return [round(v, 2) for v in _ig(F, x, baseline)]


def gradient_times_input(F, x, baseline):
    """x_i * dF/dx_i(x) (saturates)."""
    return [g * float(v) for g, v in zip(_grad(F, x), x)]


def float32(F, x, baseline):
    """IG rounded to float32 (an error near 1e-8: caught with the default float64 allowance,
    accepted with --rtol 1e-6)."""
    return [float(np.float32(v)) for v in _ig(F, x, baseline)]


def first_baseline_only(F, x, D):
    """A distributional IG that uses only the first baseline of D."""
    return _ig(F, x, D[0][0])


first_baseline_only.kind = "distributional"


def expected_gradients(F, x, D):
    """Distributional IG, E_D IG(x, X', F), as floats (correct)."""
    total = np.zeros(len(x))
    for point, weight in D:
        total += float(weight) * np.array(_ig(F, x, point))
    return total


expected_gradients.kind = "distributional"


# -- malformed methods (verdict "error", not an axiom verdict) ----------------------------------

def raises(F, x, baseline):
    """Raises ZeroDivisionError."""
    raise ZeroDivisionError("boom")


def wrong_length(F, x, baseline):
    """One attribution too many."""
    return [0.0] * (len(x) + 1)


def nan(F, x, baseline):
    """NaN everywhere."""
    return [float("nan")] * len(x)


def not_numbers(F, x, baseline):
    """Strings."""
    return ["a"] * len(x)


#: broken method -> an axiom that catches it from the known families
BROKEN = {
    "scaled": "completeness", "swapped": "dummy", "sign_flipped": "completeness",
    "constant_added": "completeness", "normalised": "completeness", "clipped": "completeness",
    "baseline_ignored": "completeness", "equal_split": "dummy",
    "winner_takes_all": "symmetry", "riemann_4": "completeness", "midpoint": "completeness",
    "rounded": "completeness", "gradient_times_input": "sensitivity-a",
    "float32": "completeness", "first_baseline_only": "dist-completeness",
}
MALFORMED = ("raises", "wrong_length", "nan", "not_numbers")
CORRECT = ("exact_ig_floats", "exact_ig_numpy", "expected_gradients")
