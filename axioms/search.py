"""The search driver: known witness families first, then hypothesis; verdicts with evidence.

:func:`check` takes every setting as an argument (gathered in :class:`SearchSettings`; nothing
is stored between calls). For one method and one axiom it

1. runs the known cases (:mod:`axioms.families`, or, for functions you give, the planted
   cases and the symbolic identities for them), the smallest first;
2. draws ``max_examples`` random cases with hypothesis (seeded: the same draws every run for
   one ``seed``) and shrinks a violation to a small witness;
3. answers proved / no counterexample / violated / error / undecided (:mod:`axioms.verdict`).

>>> check("xu-path", "ndp").witness["got"]
'A = (-2/3, 5/3)'
>>> check("ig", "completeness", max_examples=5).verdict
'proved'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy as sp
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable

from axioms import families
from axioms.axiom import Axiom, Case, Failure, function
from axioms.contract import DISTRIBUTIONAL, Method, MethodError, MethodOutputError
from axioms.registry import AXIOMS, as_method, get_axiom
from axioms.tolerance import Tolerance
from axioms.verdict import (
    ERROR,
    NO_COUNTEREXAMPLE,
    PROVED,
    UNDECIDED,
    VIOLATED,
    Report,
    Result,
)
from proofs.errors import IGVerifyError

__all__ = ["DEFAULT_EXAMPLES", "SearchSettings", "check", "check_all", "check_case",
           "get_axiom"]

#: random examples per axiom after the known cases (the known cases always run)
DEFAULT_EXAMPLES = 50


@dataclass(frozen=True)
class SearchSettings:
    """Everything a check depends on besides the method, the axiom and the functions.

    >>> check("ig", "dummy", settings=SearchSettings(max_examples=3, seed=1)).examples["random"]
    3
    """

    max_examples: int = DEFAULT_EXAMPLES
    seed: int = 0
    shrink_budget: int = 40
    kinds: tuple[str, ...] = ("polynomial", "network")
    tolerance: Tolerance = field(default_factory=Tolerance)

    def __post_init__(self) -> None:
        if self.max_examples < 0:
            raise IGVerifyError("the number of examples must be >= 0")
        bad = set(self.kinds) - {"polynomial", "network", "analytic"}
        if bad:
            raise IGVerifyError(f"unknown function kinds {sorted(bad)}",
                                "use polynomial, network, analytic")


@dataclass
class _Outcome:
    status: str  # ok, fail, skip, error, identity, identity-open
    case: Case
    failure: Failure | None = None
    reason: str = ""


def _run(m: Method, axiom: Axiom, case: Case, tol: Tolerance) -> _Outcome:
    try:
        fail = axiom.prop(m, case, tol)
    except (MethodError, MethodOutputError) as exc:
        if case.symbolic:  # symbolic inputs are optional for a method
            return _Outcome("skip", case, reason=f"symbolic inputs: {exc}")
        return _Outcome("error", case, reason=str(exc))
    except IGVerifyError as exc:
        return _Outcome("skip", case, reason=str(exc))
    if case.symbolic:
        return _Outcome("identity-open" if fail else "identity", case, fail)
    return _Outcome("ok" if fail is None else "fail", case, fail)


def _adapt(method: Method, axiom: Axiom) -> Method:
    return method.lifted() if axiom.kind == DISTRIBUTIONAL else method.with_baseline()


class _StopShrinking(BaseException):
    """Raised through hypothesis to end shrinking when its budget is spent."""


class _Hit(Exception):
    pass


def _search(m, axiom, functions, cfg: SearchSettings):
    state = {"evaluated": 0, "skipped": 0, "last_skip": "", "after": 0, "found": False,
             "functions": []}
    if cfg.max_examples == 0:
        return None, state
    try:
        strategy = axiom.strategy(functions, cfg.kinds)
    except IGVerifyError as exc:
        return None, state | {"last_skip": str(exc)}
    cache: dict[str, _Outcome] = {}
    hits: list[_Outcome] = []

    def outcome(case) -> _Outcome:
        key = repr(case)
        if key in cache:  # hypothesis replays examples: answer the same way
            return cache[key]
        if state["found"]:
            state["after"] += 1
            if state["after"] > cfg.shrink_budget:
                raise _StopShrinking
        out = _run(m, axiom, case, cfg.tolerance)
        cache[key] = out
        if out.status == "skip":
            state["skipped"] += 1
            state["last_skip"] = out.reason
        elif not state["found"]:
            state["evaluated"] += 1
            state["functions"].extend(case.functions())
        if out.status in ("fail", "error"):
            state["found"] = True
            hits.append(out)
        return out

    @settings(max_examples=cfg.max_examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=[Phase.generate, Phase.shrink], print_blob=False)
    @seed(cfg.seed)
    @given(strategy)
    def probe(case):
        if outcome(case).status in ("fail", "error"):
            state["last"] = cache[repr(case)]
            raise _Hit

    try:
        probe()
    except _Hit:
        return state.get("last") or hits[-1], state
    except _StopShrinking:
        pass
    except Unsatisfiable:
        return None, state
    except IGVerifyError as exc:  # the strategy cannot draw for these functions
        if not hits:
            return None, state | {"last_skip": str(exc)}
    except Exception:  # hypothesis could not replay (a flaky method): keep what we saw
        if not hits:
            raise
    if not hits:
        return None, state
    return min(hits, key=lambda o: len(repr(o.case))), state


def _witness(out: _Outcome, tol: Tolerance) -> dict[str, str]:
    w = out.case.witness()
    if out.failure is not None:
        w["expected"] = out.failure.expected
        w["got"] = out.failure.got
        if out.failure.size is not None:
            w["size"] = f"{out.failure.size:.3g}"
    else:
        w["error"] = out.reason
    return w


def _family_titles(cases: Sequence[Case]) -> list[str]:
    return list(dict.fromkeys(c.family for c in cases if c.family))


def _known(axiom: Axiom, functions):
    """(identity cases with what they prove per F, numeric cases)."""
    if not functions:
        cases = axiom.known_cases()
        return [(c, None, None) for c in cases if c.symbolic], \
            [c for c in cases if not c.symbolic]
    identities, numeric = [], []
    for k, F in enumerate(functions):
        cases, scope = axiom.identities(F)
        identities += [(c, scope, k) for c in cases]
        numeric += axiom.planted(F, functions)
    return identities, numeric


def check(method, axiom, functions: Sequence | None = None, *,
          max_examples: int = DEFAULT_EXAMPLES, seed: int = 0, rtol: float | None = None,
          atol: float | None = None, kinds: tuple[str, ...] = ("polynomial", "network"),
          shrink_budget: int = 40, settings: SearchSettings | None = None) -> Result:
    """Check ``axiom`` (a slug) on ``method`` (any form of :mod:`axioms.contract`).

    ``functions`` (proofs Functions or expression strings) restrict the check to those
    functions (inputs, baselines and the rest are planted, then drawn); without them the known
    witness families run and the search draws functions of the ``kinds`` ("polynomial",
    "network", "analytic"). ``rtol``/``atol``: see :mod:`axioms.tolerance`.
    """
    cfg = settings or SearchSettings(max_examples, seed, shrink_budget, tuple(kinds),
                                     Tolerance(rtol, atol))
    method = as_method(method)
    axiom = get_axiom(axiom)
    functions = _as_functions(functions)
    m = _adapt(method, axiom)
    tol = cfg.tolerance
    base = dict(axiom=axiom.slug, method=method.name, statement=axiom.full_statement())

    identity_cases, numeric = _known(axiom, functions)
    proved_scopes: dict[int, str] = {}
    identity_ok: list[Case] = []
    identity_open: set = set()
    skipped: list[str] = []
    identity_skips: list[str] = []
    for case, scope, owner in identity_cases:
        out = _run(m, axiom, case, tol)
        if out.status == "identity":
            identity_ok.append(case)
            if scope:
                proved_scopes.setdefault(owner, scope)
        else:
            identity_open.add(owner)  # a case of this F's proof failed or was skipped
            if out.status == "skip":
                identity_skips.append(out.reason)
    known_ok: list[Case] = []
    for case in numeric:
        out = _run(m, axiom, case, tol)
        if out.status in ("fail", "error"):
            return _verdict_found(out, base, tol, "known", len(known_ok), cfg)
        if out.status == "skip":
            skipped.append(out.reason)
        else:
            known_ok.append(case)

    found, state = _search(m, axiom, functions, cfg)
    if found is not None:
        return _verdict_found(found, base, tol, "search", state["evaluated"], cfg,
                              known=len(known_ok))
    n_random = state["evaluated"]
    examples = {"known": len(known_ok), "random": n_random,
                "identities": len(identity_ok), "skipped": len(skipped) + state["skipped"],
                "families": _family_titles(known_ok + identity_ok)}
    checked = len(known_ok) + n_random + len(identity_ok)
    if checked == 0:
        why = (skipped or identity_skips or [state.get("last_skip")])[-1] or \
            "no case meets the axiom's hypothesis for these functions"
        return Result(verdict=UNDECIDED, evidence=f"no case could be checked: {why}",
                      examples=examples, **base)
    tested = _tested_text(examples, cfg, tol, any_inexact=True)
    # proved by identity: every given function has an identity that covers the axiom for it
    if functions and identity_ok and all(k in proved_scopes and k not in identity_open
                                         for k in range(len(functions))):
        scopes = "; ".join(dict.fromkeys(proved_scopes.values()))
        return Result(verdict=PROVED, examples=examples, **base,
                      evidence=f"identity: the property simplifies to 0 for symbolic inputs "
                               f"({scopes}); also {tested}")
    theorem = method.theorems.get(axiom.slug)
    if theorem is not None:
        checked_fs = list(functions) if functions else \
            [f for c in known_ok + identity_ok for f in c.functions()] + state["functions"]
        if checked_fs and all(theorem.applies(F) for F in checked_fs):
            scope = "every function given" if functions else "every function checked"
            return Result(verdict=PROVED, examples=examples, **base,
                          evidence=f"theorem: {theorem.describe()}; met by {scope}; "
                                   f"also {tested}")
        tested += (f"; {theorem.source} proves it where F meets: {theorem.hypotheses} "
                   "(not every function checked does)")
    if identity_ok:
        fs = "; ".join(dict.fromkeys(str(c.F.expr) for c in identity_ok))
        tested += f"; identities simplify to 0 for symbolic inputs on F = {fs}"
    n_open = len(identity_cases) - len(identity_ok)
    if n_open:
        tested += (f"; {n_open} symbolic identity(ies) not established (the method did not "
                   "take symbolic inputs, or the difference did not simplify to 0)")
    return Result(verdict=NO_COUNTEREXAMPLE, evidence=tested + "; tested, not proved",
                  examples=examples, **base)


def _tested_text(examples, cfg, tol, any_inexact) -> str:
    fams = ", ".join(examples["families"]) or "none"
    text = (f"no counterexample in {examples['known']} known cases (families: {fams}; see "
            f"axioms.FAMILIES) and "
            f"{examples['random']} random examples (hypothesis, seed {cfg.seed}, "
            f"--examples {cfg.max_examples})")
    if examples["skipped"]:
        text += (f"; {examples['skipped']} skipped (outside the method's domain, e.g. F not "
                 "differentiable along the path)")
    return text + "; " + tol.describe(None)


def _verdict_found(out: _Outcome, base, tol, where, n_before, cfg, known=0) -> Result:
    examples = {"known": known if where == "search" else n_before + 1,
                "random": n_before if where == "search" else 0,
                "families": [out.case.family] if out.case.family else []}
    fam = families.FAMILIES.get(out.case.family)
    if where == "known":
        how = (f"the known family '{fam.title}' ({fam.source})" if fam
               else "a planted case")
        how = f"found in {how}, after {n_before} known case(s) passed"
    else:
        how = (f"found by search after {known} known cases and {n_before} random examples "
               f"(hypothesis, seed {cfg.seed}), shrunk")
    if out.status == "error":
        return Result(verdict=ERROR, witness=_witness(out, tol), examples=examples, **base,
                      evidence=f"the method failed: {out.reason}; {how}; not an axiom verdict")
    return Result(verdict=VIOLATED, witness=_witness(out, tol), examples=examples, **base,
                  evidence=f"{how}; exact arithmetic on the case, method's answer "
                           f"{tol.describe(_inexact_got(out))}")


def _inexact_got(out: _Outcome) -> bool:
    return "." in (out.failure.got if out.failure else "")


def _as_functions(functions):
    if not functions:
        return None
    from proofs import Function

    out = []
    for f in functions:
        F = f if isinstance(f, Function) else Function(f)
        standard = function(sp.Integer(0), F.dimension).variables
        if F.variables != standard:  # the checks plant variables as x1, x2, ...
            F = function(F.expr.xreplace(dict(zip(F.variables, standard))), F.dimension)
        out.append(F)
    return out


def check_all(method, axioms: Sequence[str] | None = None,
              functions: Sequence | None = None, **kwargs) -> Report:
    """:func:`check` for several axioms (default: all); a :class:`~axioms.verdict.Report`
    (a table in a notebook; ``.exit_status`` as the command line's).

    >>> check_all("cost-share", ["linearity", "completeness"], max_examples=2).exit_status
    1
    """
    m = as_method(method)
    names = list(axioms) if axioms else list(AXIOMS)
    return Report(m.name, [check(m, a, functions, **kwargs) for a in names])


def check_case(method, axiom, case: Case, *, rtol: float | None = None,
               atol: float | None = None) -> Result:
    """One case (e.g. drawn by :func:`axioms.registry.cases`): violated / error with the
    witness, no counterexample, or undecided when the case is outside the method's domain.

    >>> c = get_axiom("ndp").known_cases()[0]
    >>> check_case("xu-path", "ndp", c).witness["got"]
    'A = (-2/3, 5/3)'
    """
    method, axiom = as_method(method), get_axiom(axiom)
    tol = Tolerance(rtol, atol)
    out = _run(_adapt(method, axiom), axiom, case, tol)
    base = dict(axiom=axiom.slug, method=method.name, statement=axiom.full_statement())
    if out.status in ("fail", "error"):
        return _verdict_found(out, base, tol, "known", 0, SearchSettings(0))
    if out.status == "skip":
        return Result(verdict=UNDECIDED, evidence=out.reason, **base)
    return Result(verdict=NO_COUNTEREXAMPLE, evidence="one case", **base)
