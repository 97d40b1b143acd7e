"""Certificates: an exact attribution written out as its derivation, as data anyone can re-check.

``attribute(F, path).certificate()`` gives a :class:`Derivation`: F, the path's segments,
each breakpoint with how it was established (an exact root of its switching function, or a
rational isolating interval at whose ends it changes sign), each smooth piece with the form
active there (one per coordinate), an interior witness point where it is active, each
coordinate's antiderivative and value, the totals and F(end) - F(start). ``to_json`` writes
it; :mod:`proofs.verify` re-checks it without the engines; ``text``, ``latex`` and ``html``
render the same derivation (``Attribution._repr_latex_`` / ``_repr_html_`` use them).

All exact numbers and expressions are strings in sympy syntax that :mod:`proofs.parse`
reads back; segments are numbered from 0 (an index into the path's segments) and each
segment's local parameter is ``u`` in [0, 1]. ``kinks`` lists F's max/min/abs terms in
preorder; a piece's ``choices[i]`` gives, for coordinate i, the branch each kink takes there
(None where the kink is not reached), from which the active form follows. Each
antiderivative is the integral from the piece's start (it vanishes at u0) and the witness is
the piece's midpoint. A numerically certified breakpoint sits at the exact midpoint of its
rational bracket, and the values are then decimals ``Ne-P`` rounded to P places, each total
within one unit in the last place of the true attribution. Every field is checked by the
verifier; nothing is written for readers only (a breakpoint's kink and the engine's notes stay
in the Attribution).

>>> from proofs import Function, integrated_gradients
>>> D = integrated_gradients(Function("relu(x1 - 1/2)"), [1]).certificate()
>>> [p["values"] for p in D.data["pieces"]], D.data["values"]
([['0'], ['1/2']], ['1/2'])
"""

from __future__ import annotations

import html
import json
from typing import Any

import sympy as sp

from .errors import IGVerifyError, IntegrationError
from .exact_form import tidy
from .kinks import KINDS, branches, is_kink, kinks_of
from .parse import CERTIFICATE_FUNCTIONS
from .paths import U
from .precision import BRACKET_EXTRA
from .verify import CLAIM, FORMAT

_READABLE = tuple({builder for builder, _, _ in CERTIFICATE_FUNCTIONS.values()
                   if isinstance(builder, type)} | {sp.Max, sp.Min})
"""The functions the verifier reads back (a derivation needing others gets no certificate)."""


def _s(value: Any) -> str:
    return str(sp.S(value))


def _antiderivative(integrand: sp.Expr) -> sp.Expr:
    """An antiderivative in u (polynomials directly; otherwise sympy, term by term)."""
    if integrand == 0:
        return sp.S(0)
    try:
        poly = sp.Poly(integrand, U)
        if poly.domain.is_ZZ or poly.domain.is_QQ or poly.domain.is_RR:
            return poly.integrate().as_expr()
    except (sp.PolynomialError, sp.GeneratorsNeeded, sp.CoercionFailed):
        pass
    parts = []
    for term in sp.Add.make_args(integrand):
        try:
            part = sp.integrate(term, U)
        except (NotImplementedError, ValueError, TypeError):
            part = None
        if part is None or part.has(sp.Integral):
            raise IntegrationError(f"no closed-form antiderivative of {term} for the certificate")
        parts.append(part)
    return sp.Add(*parts)


def _derive(expr: sp.Expr, chosen: dict[sp.Expr, int], reached: set) -> sp.Expr:
    """``expr`` with each kink replaced by its chosen branch (recording which were reached)."""
    if not expr.has(*KINDS):
        return expr
    if is_kink(expr):
        reached.add(expr)
        derived = [_derive(b, chosen, reached) for b in branches(expr)]  # all: the verifier
        return derived[chosen[expr]]                             # compares their values
    return expr.func(*[_derive(a, chosen, reached) for a in expr.args])


_SAMPLES = (sp.Rational(1, 2), sp.Rational(5, 13), sp.Rational(8, 13), sp.Rational(3, 17))
"""Where in a piece the writer reads the active branches (fractions of its length)."""


def _quantum(dps: int, error: Any = 0) -> int:
    """Decimal places of numerically certified values: what the breakpoints' brackets allow,
    and no more than the error bound leaves (a total is within one unit of the truth)."""
    places = dps + BRACKET_EXTRA - 3
    if error:
        places = min(places, int(sp.floor(-sp.log(sp.S(error) * 20, 10))))
    return max(places, 1)


def _decimal(value: sp.Expr, places: int) -> str:
    """``value`` rounded to ``places`` decimal places, written "Ne-places" (exactly readable;
    a change of its last digit is a change of 10**-places)."""
    scaled = sp.N(value * sp.Integer(10) ** places, places + 30)
    n = int(sp.floor(scaled + sp.Rational(1, 2)))
    return f"{n}e-{places}"


def build(attribution: Any) -> Derivation:
    """The derivation of an exact (symbolic engine) attribution."""
    from .onesided import branch_choices
    from .parse import parse_expression

    if attribution.engine != "symbolic" or attribution.source is None:
        raise IGVerifyError("certificates are written for the symbolic engine's results",
                            "use engine='symbolic'")
    F, path = attribution.source
    variables = F.variables
    algebraic: dict[sp.Expr, sp.Symbol] = {}

    def _s(value: Any) -> str:
        """A string the verifier reads: algebraic numbers (CRootOf) become names r1, r2, ...
        defined in the certificate's "algebraic" list by polynomial and isolating interval."""
        value = sp.S(value)
        unreadable = {type(f).__name__ for f in value.atoms(sp.Function)
                      if not isinstance(f, (sp.CRootOf, *_READABLE))}
        if unreadable:
            raise IntegrationError(f"the derivation needs {', '.join(sorted(unreadable))}, "
                                   "which the certificate verifier does not read; no "
                                   "certificate")
        for root in sorted(value.atoms(sp.CRootOf), key=str):
            if root not in algebraic:
                algebraic[root] = sp.Symbol(f"r{len(algebraic) + 1}", real=True)
        return str(value.xreplace(algebraic)) if algebraic else str(value)

    names = [v.name for v in variables]
    text = _s(F.expr)
    # the expression as the verifier will read it: kinks are numbered in its preorder (no
    # xreplace on it: sympy would re-evaluate Max(0, -Max(0, z)) to 0)
    G_expr = parse_expression(text, names)[0]
    symbols = [sp.Symbol(n, real=True) for n in names]
    kinks = kinks_of(G_expr)
    exact = bool(attribution.exact)
    places = _quantum(attribution.dps, attribution.error)
    # numeric breakpoints move to the exact midpoint of their (rational) bracket
    moved: dict[tuple[int, Any], sp.Expr] = {}
    breakpoints = []
    for b in attribution.breakpoints:
        u = b.u
        if not b.exact:
            u = (b.bracket[0] + b.bracket[1]) / 2
            moved[(b.segment, b.u)] = u
        entry: dict[str, Any] = {"segment": b.segment, "u": _s(u),
                                 "switching": _s(b.switching)}
        if b.exact:
            entry["established"] = "exact root"
        else:
            entry["established"] = "isolating interval"
            entry["interval"] = [_s(b.bracket[0]), _s(b.bracket[1])]
        breakpoints.append(entry)
    pieces = []
    totals = [sp.S(0)] * len(variables)
    for p in attribution.pieces:
        seg = path.segments[p.segment]
        derivs = seg.derivative()
        u0 = moved.get((p.segment, p.u0), p.u0)
        u1 = moved.get((p.segment, p.u1), p.u1)
        witness = (u0 + u1) / 2
        sub = dict(zip(symbols, seg.components))
        forms, antiderivatives, choices, values = [], [], [], []
        for i, var in enumerate(symbols):
            # the branches at a point of the piece where none ties (the midpoint may sit at
            # an isolated tie): the first whose integral is the engine's
            for fraction in _SAMPLES:
                at = u0 + fraction * (u1 - u0)
                point = {v: c.xreplace({U: at}) for v, c in zip(symbols, seg.components)}
                chosen = branch_choices(G_expr, point, {var: 1})
                reached: set = set()
                form = _derive(G_expr, chosen, reached)
                integrand = (sp.diff(form, var).xreplace(sub) * derivs[i] if derivs[i] != 0
                             else sp.S(0))
                G = _antiderivative(sp.expand(integrand) if integrand.is_polynomial(U)
                                    else integrand)
                G = G - G.xreplace({U: u0})  # the integral from u0: G(u0) = 0
                value = G.xreplace({U: u1})
                engine = p.values[i]
                gap = value - engine
                if gap == 0 or (gap.is_number and abs(sp.N(gap, 40)) <= max(
                        sp.Float(10) ** -20, attribution.error * 10) * max(1, abs(sp.N(
                            engine)))):
                    break
            else:
                raise IntegrationError(
                    f"the certificate's integral over piece u in [{u0}, {u1}] of segment "
                    f"{p.segment} ({sp.N(value, 15)}) does not match the engine's "
                    f"({sp.N(engine, 15)}); no certificate")
            choices.append([chosen[k] if k in reached else None for k in kinks])
            totals[i] += value
            if exact:
                values.append(_s(tidy(value)))
            else:
                values.append(_decimal(value, places))
            forms.append(_s(form))
            antiderivatives.append(_s(G))
        pieces.append({"segment": p.segment, "u0": _s(u0), "u1": _s(u1),
                       "witness": _s(witness), "choices": choices, "forms": forms,
                       "antiderivatives": antiderivatives, "values": values})
    delta = attribution.delta_F
    if exact:
        value_texts = [_s(v) for v in attribution.values]
        total, gap = _s(attribution.total), _s(attribution.completeness_gap)
    else:
        value_texts = [_decimal(v, places) for v in totals]
        total = _decimal(sp.Add(*totals), places)
        gap = _decimal(sp.Add(*totals) - delta, places)
    data = {
        "format": FORMAT,
        "claim": CLAIM,
        "function": text,
        "variables": names,
        "kinks": [_s(k) for k in kinks],
        "segments": [{"kind": sg.kind, "components": [_s(c) for c in sg.components]}
                     for sg in path.segments],
        "breakpoints": breakpoints,
        "pieces": pieces,
        "values": value_texts,
        "sum": total,
        "delta_F": _s(delta),
        "completeness_gap": gap,
        "algebraic": [_algebraic_entry(root, name) for root, name in algebraic.items()],
        "exact": exact,
        "decimal_places": None if exact else places,
    }
    return Derivation(data)


ROOT_DECIMALS = 30


def _fixed(n: int, places: int) -> str:
    """n / 10**places as a decimal string with exactly ``places`` decimals."""
    sign, digits = ("-" if n < 0 else ""), str(abs(n)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _algebraic_entry(root: sp.CRootOf, name: sp.Symbol) -> dict[str, Any]:
    """An algebraic number by its minimal polynomial and the decimal interval of width
    10**-ROOT_DECIMALS that holds it (a unit in the last place: any change shows)."""
    n = int(sp.floor(sp.N(root * sp.Integer(10) ** ROOT_DECIMALS, ROOT_DECIMALS + 30)))
    return {"name": name.name, "polynomial": str(root.poly.as_expr(U)),
            "interval": [_fixed(n, ROOT_DECIMALS), _fixed(n + 1, ROOT_DECIMALS)]}


class Derivation:
    """An attribution's derivation as data (``data``, JSON-ready), with three renderings."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.data, indent=indent)

    def write(self, filename: str) -> None:
        """Write the certificate as JSON to ``filename``."""
        try:
            with open(filename, "w", encoding="utf-8") as out:
                out.write(self.to_json())
                out.write("\n")
        except OSError as exc:
            raise IGVerifyError(f"cannot write the certificate to {filename}: "
                                f"{exc.strerror}") from None

    # -- renderings -----------------------------------------------------------------------
    def _segment_text(self, k: int) -> str:
        return "(" + ", ".join(self.data["segments"][k]["components"]) + "), u in [0, 1]"

    def text(self) -> str:
        d = self.data
        names = d["variables"]
        lines = [f"F({', '.join(names)}) = {d['function']}"]
        for k in range(len(d["segments"])):
            lines.append(f"segment {k}: gamma(u) = {self._segment_text(k)}")
        for b in d["breakpoints"]:
            where = (f"exact root of {b['switching']}" if b["established"] == "exact root" else
                     f"sign change of {b['switching']} on [{', '.join(b['interval'])}]")
            lines.append(f"breakpoint: segment {b['segment']}, u = {b['u']}: {where}")
        for p in d["pieces"]:
            lines.append(f"piece: segment {p['segment']}, u in [{p['u0']}, {p['u1']}], "
                         f"witness u = {p['witness']}")
            for name, form, G, v in zip(names, p["forms"], p["antiderivatives"], p["values"]):
                lines.append(f"  {name}: F = {form} there; antiderivative {G}; value {v}")
        for name, v in zip(names, d["values"]):
            lines.append(f"A[{name}] = {v}")
        lines.append(f"sum = {d['sum']}; F(end) - F(start) = {d['delta_F']}; completeness gap "
                     f"= {d['completeness_gap']}" + ("" if d["exact"] else
                                                      " (numerically certified)"))
        return "\n".join(lines)

    def latex(self) -> str:
        """F, the path, each piece with its active forms and integrals, and the result."""
        from .parse import parse_expression

        d = self.data
        names = d["variables"]
        symbols = [sp.Symbol(n, real=True) for n in names]

        def tex(text: str, variables: list) -> str:
            return sp.latex(parse_expression(text, variables)[0])

        u = ["u"]
        rows = [r"F(" + ", ".join(sp.latex(s) for s in symbols) + ") &= "
                + tex(d["function"], names)]
        for k, seg in enumerate(d["segments"]):
            rows.append(rf"\gamma_{{{k}}}(u) &= \left(" + ", ".join(
                tex(c, u) for c in seg["components"]) + r"\right),\ u \in [0, 1]")
        for p in d["pieces"]:
            a, b = tex(p["u0"], u), tex(p["u1"], u)
            for i, (form, v) in enumerate(zip(p["forms"], p["values"])):
                rows.append(rf"\int_{{{a}}}^{{{b}}} \partial_{{{sp.latex(symbols[i])}}} "
                            rf"\left({tex(form, names)}\right)\,d\gamma_{{{p['segment']},{i + 1}}}"
                            rf" &= {tex(v, u)}")
        for i, v in enumerate(d["values"]):
            rows.append(rf"A_{{{sp.latex(symbols[i])}}} &= {tex(v, u)}")
        rows.append(rf"\textstyle\sum_i A_i &= {tex(d['sum'], u)} = F(\gamma(1)) - "
                    rf"F(\gamma(0))")
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def html(self) -> str:
        """An HTML table: pieces with active forms and values, then totals and completeness."""
        d = self.data
        names = d["variables"]
        esc = html.escape
        head = "".join(f"<th>A[{esc(n)}]</th>" for n in names)
        rows = [f"<tr><th>segment</th><th>u</th><th>active form</th>{head}</tr>"]
        for p in d["pieces"]:
            forms = sorted(set(p["forms"]))
            cells = "".join(f"<td>{esc(v)}</td>" for v in p["values"])
            rows.append(f"<tr><td>{p['segment']}</td><td>[{esc(p['u0'])}, {esc(p['u1'])}]</td>"
                        f"<td><code>{esc(' | '.join(forms))}</code></td>{cells}</tr>")
        total = "".join(f"<td><b>{esc(v)}</b></td>" for v in d["values"])
        rows.append(f"<tr><td colspan='3'><b>total</b></td>{total}</tr>")
        status = "exact" if d["exact"] else "numerically certified"
        return (f"<p>F = <code>{esc(d['function'])}</code></p><table>{''.join(rows)}</table>"
                f"<p>sum = {esc(d['sum'])}, F(end) &minus; F(start) = {esc(d['delta_F'])}, "
                f"completeness gap = {esc(d['completeness_gap'])} ({status})</p>")
