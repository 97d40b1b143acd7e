"""Safe parsing of the expressions and numbers users type.

Nothing here calls ``eval``, ``exec``, ``sympify`` or ``parse_expr``. A string is
parsed by Python's :mod:`ast` and the tree is rebuilt as sympy objects from a
whitelist: numbers, declared variables, ``+ - * / **``, unary signs and calls of
the functions in :data:`FUNCTIONS`. Everything else (attribute access,
subscripts, lambdas, comprehensions, keywords, strings, ...) is rejected with
the column of the offending token. Sizes that could explode are bounded.

>>> expr, variables = parse_expression("x1*x2**2 - max(0, x1 - 1/2)")
>>> variables
(x1, x2)
>>> parse_number("0.1")
1/10
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction

import sympy as sp

from .errors import ParseError

MAX_LENGTH = 2_000_000
"""Default limit on an expression's length in characters: a ReLU network of a few thousand
units (an 8-input network with two hidden layers of 32 prints in about 120,000-230,000
characters). Callers lower or raise it with ``max_size``; syntax nodes are bounded by the
same number, and parsing time is linear in the length."""
MAX_DEPTH = 200
_AST_DEPTH_CAP = 200_000
MAX_INTEGER_DIGITS = 400
MAX_EXPONENT = 1_000
MAX_RESULT_DIGITS = 5_000
MAX_EXP_ARGUMENT = 10_000
"""Largest number whose exp is read (larger ones, e^(e^(e^3)), need millions of digits to
evaluate anything of them: sympy would compute for hours)."""

_DEFAULT_VARIABLE = re.compile(r"x(\d+)\Z")


def relu(z: sp.Expr) -> sp.Expr:
    """ReLU as a sympy expression: ``max(0, z)``.

    >>> relu(sp.Symbol("x") - 1)
    Max(0, x - 1)
    """
    return _kink(sp.Max, 0, z)


def _kink(kind: type, *args: sp.Expr) -> sp.Expr:
    """Max or Min of ``args``; symbolic ones are built without sympy's pairwise ordering
    of the arguments, which takes seconds on a 64-input pre-activation and gains nothing."""
    args = tuple(as_expression(a) for a in args)
    if any(a.free_symbols for a in args) and len(args) > 1:
        return kind(*args, evaluate=False)
    return kind(*args)


_DEFAULT_SLOPE = sp.Rational(1, 100)


def leaky_relu(z: sp.Expr, slope: sp.Expr | float = _DEFAULT_SLOPE) -> sp.Expr:
    """Leaky ReLU ``z if z > 0 else slope*z`` as a max or min of two lines.

    >>> leaky_relu(sp.Symbol("x"), sp.Rational(1, 10))
    Max(x/10, x)
    """
    slope = parse_number(slope)
    if not slope.is_number or not slope.is_real:
        raise ParseError("leaky_relu: the slope must be a real number")
    if slope == 1:
        return z
    if 0 <= slope < 1:
        return _kink(sp.Max, z, slope * z)
    if slope > 1:
        return _kink(sp.Min, z, slope * z)
    # negative slope: z for z > 0, slope*z (positive) for z < 0
    return _kink(sp.Max, 0, z) + slope * _kink(sp.Min, 0, z)


def sigmoid(z: sp.Expr) -> sp.Expr:
    """The logistic function ``1/(1 + exp(-z))``.

    >>> sigmoid(sp.Symbol("x"))
    1/(1 + exp(-x))
    """
    return 1 / (1 + sp.exp(-z))


def softplus(z: sp.Expr) -> sp.Expr:
    """Softplus ``log(1 + exp(z))``.

    >>> softplus(sp.Symbol("x"))
    log(exp(x) + 1)
    """
    return sp.log(1 + sp.exp(z))


def as_expression(value: object) -> sp.Expr:
    """A sympy object from a sympy expression, a number, or a string parsed safely.

    Never ``sympify``: it falls back to evaluating the text of unknown objects.

    >>> as_expression(3), as_expression("x1 + 1/2")
    (3, x1 + 1/2)
    """
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, str):
        return parse_expression(value)[0]
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_number(value)
    raise ParseError(f"expected a sympy expression, a number or a string, got "
                     f"{type(value).__name__}")


def _max(*args: sp.Expr) -> sp.Expr:
    return _kink(sp.Max, *args)


def _min(*args: sp.Expr) -> sp.Expr:
    return _kink(sp.Min, *args)


# name -> (builder, minimum number of arguments, maximum number or None)
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], int, int | None]] = {
    "exp": (sp.exp, 1, 1),
    "log": (sp.log, 1, 1),
    "ln": (sp.log, 1, 1),
    "sqrt": (sp.sqrt, 1, 1),
    "sin": (sp.sin, 1, 1),
    "cos": (sp.cos, 1, 1),
    "tan": (sp.tan, 1, 1),
    "tanh": (sp.tanh, 1, 1),
    "sigmoid": (sigmoid, 1, 1),
    "softplus": (softplus, 1, 1),
    "abs": (sp.Abs, 1, 1),
    "max": (_max, 1, None),
    "min": (_min, 1, None),
    "relu": (relu, 1, 1),
    "leaky_relu": (leaky_relu, 1, 2),
    # sympy's own printing (str(F.expr), certificates) reads back
    "Abs": (sp.Abs, 1, 1),
    "Max": (_max, 1, None),
    "Min": (_min, 1, None),
}

CERTIFICATE_FUNCTIONS = {**FUNCTIONS, "asin": (sp.asin, 1, 1), "acos": (sp.acos, 1, 1),
                         "atan": (sp.atan, 1, 1)}
"""What certificates may also contain (roots and antiderivatives): ``parse_expression(...,
functions=CERTIFICATE_FUNCTIONS)``."""

CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_OPERATOR_SYMBOLS = {ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|", ast.Mod: "%",
                     ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>"}


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access", ast.Subscript: "a subscript", ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension", ast.GeneratorExp: "a generator",
        ast.Compare: "a comparison", ast.BoolOp: "a boolean operator", ast.IfExp: "a conditional",
        ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
        ast.Starred: "a starred argument", ast.NamedExpr: "an assignment",
        ast.JoinedStr: "a string", ast.Await: "await", ast.Yield: "yield",
    }
    for kind, text in names.items():
        if isinstance(node, kind):
            return text
    return type(node).__name__


class _Builder:
    """Rebuilds a whitelisted Python AST as a sympy expression."""

    def __init__(self, source: str, symbols: dict[str, sp.Symbol], default_variables: bool,
                 max_nodes: int = MAX_LENGTH, unknown_hint: str | None = None,
                 functions: dict | None = None):
        self.functions = FUNCTIONS if functions is None else functions
        self.source = source
        self.symbols = symbols
        self.default_variables = default_variables
        self.nodes = 0
        self.max_nodes = max_nodes
        self.unknown_hint = unknown_hint
        self.lines: list[bytes] | None = None

    def segment(self, node: ast.AST) -> str | None:
        """The source text of a one-line node (ast.get_source_segment splits the whole
        source on every call: quadratic on a network's 10,000 numbers)."""
        if self.lines is None:
            self.lines = [line.encode() for line in re.split(r"\r\n|\r|\n", self.source)]
        if node.lineno != node.end_lineno or node.lineno > len(self.lines):
            return ast.get_source_segment(self.source, node)
        return self.lines[node.lineno - 1][node.col_offset:node.end_col_offset].decode()

    def fail(self, message: str, node: ast.AST | None = None, hint: str | None = None,
             col: int | None = None):
        if col is None:
            col = getattr(node, "col_offset", None) if node is not None else None
        raise ParseError(message, self.source, col, hint)

    def operator_not_allowed(self, node: ast.BinOp) -> None:
        """Name the operator by its symbol, at its own column; for ^, say to use ** first."""
        col, symbol = None, _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
        if node.lineno == node.end_lineno == node.left.end_lineno == node.right.lineno:
            line = self.segment(node) or ""
            start = node.left.end_col_offset - node.col_offset
            gap = line[start:node.right.col_offset - node.col_offset]
            match = re.search(r"[^\s()]+", gap)  # the operator, past closing parentheses
            if match:
                col = node.left.end_col_offset + match.start()
                symbol = match.group()
        if isinstance(node.op, ast.BitXor):
            example = None
            if isinstance(node.left, (ast.Name, ast.Constant)) and \
                    isinstance(node.right, (ast.Name, ast.Constant)):
                example = f"{self.segment(node.left)}**{self.segment(node.right)}"
            self.fail(f"use ** for powers, not '{symbol}'", node,
                      f"e.g. {example}" if example else None, col=col)
        self.fail(f"'{symbol}' is not allowed", node, "use + - * / ** and the listed functions",
                  col=col)

    def build(self, node: ast.AST, depth: int = 0) -> sp.Expr:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            self.fail(f"expression too large (over {self.max_nodes} syntax nodes)",
                      hint="raise the size limit (max_size, or --max-size on the command line)")
        if depth > MAX_DEPTH:
            self.fail(f"expression nested too deeply (over {MAX_DEPTH} levels)", node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1)
            self.fail(f"operator {type(node.op).__name__} is not allowed", node,
                      "use + - * / ** and the listed functions")
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        self.fail(f"{_describe(node)} is not allowed", node,
                  "an expression may use numbers, variables, + - * / ** and "
                  + ", ".join(sorted(FUNCTIONS)))

    def constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{type(value).__name__} literals are not allowed", node)
        if isinstance(value, int):
            if value.bit_length() > MAX_INTEGER_DIGITS * 3.33:
                self.fail(f"integer literal too large (over {MAX_INTEGER_DIGITS} digits)", node)
            return sp.Integer(value)
        # decimals are taken exactly as written: 0.1 is 1/10, not the binary double
        segment = self.segment(node) or repr(value)
        return _exact_decimal(segment, lambda m: self.fail(m, node))

    def name(self, node: ast.Name) -> sp.Expr:
        ident = node.id
        if ident in self.symbols:
            return self.symbols[ident]
        if ident in CONSTANTS:
            return CONSTANTS[ident]
        if self.default_variables and _DEFAULT_VARIABLE.match(ident):
            self.symbols[ident] = sp.Symbol(ident, real=True)
            return self.symbols[ident]
        if ident in self.functions:
            self.fail(f"'{ident}' is a function; call it as {ident}(...)", node)
        if self.unknown_hint is not None:
            self.fail(f"unknown name '{ident}'", node, self.unknown_hint)
        if self.default_variables:  # x1, x2, ... by default: say how to name them
            names = ",".join(self.undeclared())
            self.fail(f"unknown name '{ident}'", node,
                      f"name the variables in order: --vars {names} on the command line, "
                      f"variables={names.split(',')} in Python (default x1, x2, ...)")
        self.fail(f"unknown name '{ident}'", node,
                  f"variables are {', '.join(self.symbols)}; constants pi, E; declare others "
                  "with --vars")

    def undeclared(self) -> list[str]:
        """The names in the source that are neither x1, x2, ... nor functions or constants,
        in the order they first appear."""
        found: dict[str, tuple[int, int]] = {}
        for n in ast.walk(ast.parse(self.source.strip(), mode="eval")):
            if isinstance(n, ast.Name) and n.id not in FUNCTIONS and n.id not in CONSTANTS \
                    and not _DEFAULT_VARIABLE.match(n.id):
                found.setdefault(n.id, (n.lineno, n.col_offset))
                found[n.id] = min(found[n.id], (n.lineno, n.col_offset))
        return sorted(found, key=found.get)

    def binary(self, node: ast.BinOp, depth: int) -> sp.Expr:
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return self.sum(node, depth)
        if type(node.op) not in _BINARY:
            self.operator_not_allowed(node)
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right.is_zero:
                self.fail("division by zero", node)
            return left / right
        return self.power(left, right, node)

    def sum(self, node: ast.BinOp, depth: int) -> sp.Expr:
        """A chain a + b - c + ... built as one sympy Add: linear time, one level deep."""
        terms: list[tuple[ast.AST, bool]] = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            terms.append((node.right, isinstance(node.op, ast.Sub)))
            node = node.left
            self.nodes += 1
        terms.append((node, False))
        built = []
        for operand, negate in reversed(terms):
            value = self.build(operand, depth + 1)
            built.append(-value if negate else value)
        return sp.Add(*built)

    def power(self, base: sp.Expr, exponent: sp.Expr, node: ast.AST) -> sp.Expr:
        if not exponent.is_number:
            if base.is_number:
                return sp.Pow(base, exponent)
            self.fail("a variable exponent needs a numeric base", node, "write exp(y*log(x))")
        if exponent.is_real is False:
            self.fail("complex exponents are not allowed", node)
        size = abs(sp.N(exponent, 30))
        if size > MAX_EXPONENT:
            self.fail(f"exponent {sp.N(exponent, 6)} too large (limit {MAX_EXPONENT})", node)
        if base.is_number:
            magnitude = abs(sp.N(base, 30))
            if magnitude != 0 and magnitude != 1:
                digits = float(abs(sp.log(magnitude, 10)) * size)
                if digits > MAX_RESULT_DIGITS:
                    self.fail(f"power too large (about {digits:.0f} digits)", node)
            if base.is_zero and exponent.is_negative:
                self.fail("division by zero (0 to a negative power)", node)
        return sp.Pow(base, exponent)

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            self.fail(f"only calls of {', '.join(sorted(self.functions))} are allowed", node)
        fname = node.func.id
        if fname not in self.functions:
            self.fail(f"unknown function '{fname}'", node,
                      "allowed: " + ", ".join(sorted(self.functions)))
        if node.keywords:
            self.fail(f"keyword arguments are not allowed in {fname}(...)", node)
        builder, low, high = self.functions[fname]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            wanted = str(low) if high == low else (f"{low} or more" if high is None
                                                    else f"{low} to {high}")
            self.fail(f"{fname}() takes {wanted} argument(s), got {count}", node)
        args = [self.build(arg, depth + 1) for arg in node.args]
        if fname == "leaky_relu" and len(args) == 2 and not args[1].is_number:
            self.fail("leaky_relu(z, slope): the slope must be a number", node.args[1])
        if fname == "exp" and args[0].is_number and abs(sp.N(args[0], 15)) > MAX_EXP_ARGUMENT:
            self.fail(f"exp of a number above {MAX_EXP_ARGUMENT:,} (the limit)", node)
        if fname == "log" and args[0].is_number and not args[0].is_positive:
            self.fail("log of a non-positive number", node)
        if fname == "sqrt" and args[0].is_number and args[0].is_negative:
            self.fail("sqrt of a negative number", node)
        return builder(*args)


def _exact_decimal(text: str, fail: Callable[[str], None]) -> sp.Rational:
    text = text.replace("_", "")
    match = re.fullmatch(r"(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?", text)
    if not match or not (match.group(1) or match.group(2)):
        fail(f"cannot read the number '{text}'")
    whole, frac, exp = match.group(1) or "", match.group(2) or "", match.group(3)
    exponent = int(exp) if exp else 0
    if len(whole) + len(frac) > MAX_INTEGER_DIGITS or abs(exponent) > MAX_INTEGER_DIGITS:
        fail(f"number '{text[:20]}' too large or too precise")
    mantissa = int((whole + frac) or "0")
    return sp.Rational(mantissa, 10 ** len(frac)) * sp.Rational(10) ** exponent


_LOOKALIKES = {"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u22c5": "*", "\u00b7": "*",
               "\u2217": "*", "\u00f7": "/", "\u2044": "/"}


def _parse_tree(text: str, max_size: int = MAX_LENGTH) -> ast.AST:
    if not isinstance(text, str):
        raise ParseError(f"expected a string expression, got {type(text).__name__}")
    if len(text) > max_size:
        raise ParseError(f"expression too long ({len(text)} characters, limit {max_size})",
                         hint="raise the limit with max_size (--max-size on the command line)")
    if not text.strip():
        raise ParseError("empty expression")
    for i, ch in enumerate(text):
        if ch in _LOOKALIKES:
            raise ParseError(f"the character '{ch}' (U+{ord(ch):04X}) is not an operator", text,
                             i, f"type an ASCII '{_LOOKALIKES[ch]}' instead")
    if "__" in text:
        raise ParseError("double underscores are not allowed", text, text.index("__"))
    # a sum of n terms is n levels deep in Python's AST: allow depth in proportion to the
    # length while the tree is built (restored at once; _Builder walks sums iteratively)
    saved = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(saved, min(len(text) // 2, _AST_DEPTH_CAP)))
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        col = (exc.offset - 1) if exc.offset else None
        raise ParseError(f"malformed expression ({exc.msg})", text, col) from None
    except (RecursionError, MemoryError, ValueError):
        raise ParseError("expression nested too deeply or malformed") from None
    finally:
        sys.setrecursionlimit(saved)
    return tree.body


def _variable_symbols(variables: Sequence[str | sp.Symbol]) -> dict[str, sp.Symbol]:
    symbols: dict[str, sp.Symbol] = {}
    for v in variables:
        if isinstance(v, sp.Symbol):
            name, symbol = v.name, v
        elif isinstance(v, str):
            name = v.strip()
            if not name.isidentifier() or name.startswith("_"):
                raise ParseError(f"'{v}' is not a valid variable name")
            if name in FUNCTIONS or name in CONSTANTS:
                raise ParseError(f"'{name}' is a reserved name and cannot be a variable")
            symbol = sp.Symbol(name, real=True)
        else:
            raise ParseError(f"variables must be names, got {type(v).__name__}")
        if name in symbols:
            raise ParseError(f"variable '{name}' declared twice")
        symbols[name] = symbol
    return symbols


def parse_expression(text: str, variables: Sequence[str | sp.Symbol] | None = None,
                     max_size: int | None = None, unknown_hint: str | None = None,
                     functions: dict | None = None) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """Parse ``text`` into a sympy expression and its ordered variables.

    Without ``variables`` the names ``x1, x2, ...`` are the variables, ordered by
    index (every index up to the largest one used is a variable, so ``"x2"``
    is a function of two variables). With ``variables`` only those names are
    accepted, in the given order. ``max_size`` bounds the length in characters (and the
    number of syntax nodes; default :data:`MAX_LENGTH`); ``unknown_hint`` replaces the
    advice given for an unknown name; ``functions`` replaces :data:`FUNCTIONS` (e.g. by
    :data:`CERTIFICATE_FUNCTIONS`).

    >>> parse_expression("relu(x - 1) * y", variables=["x", "y"])
    (y*Max(0, x - 1), (x, y))
    """
    limit = MAX_LENGTH if max_size is None else max_size
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ParseError(f"max_size must be a positive integer, got {max_size!r}")
    tree = _parse_tree(text, limit)
    text = text.strip()
    default = variables is None
    symbols = {} if default else _variable_symbols(variables)
    builder = _Builder(text, symbols, default, limit, unknown_hint, functions)
    expr = builder.build(tree)
    if default:
        indices = sorted(int(_DEFAULT_VARIABLE.match(n).group(1)) for n in symbols)
        if indices and indices[0] == 0:
            raise ParseError("variables are numbered from x1", hint="rename x0")
        top = indices[-1] if indices else 0
        if top > 1000:
            raise ParseError(f"x{top}: too many variables (limit 1000)")
        ordered = tuple(symbols.get(f"x{i}", sp.Symbol(f"x{i}", real=True))
                        for i in range(1, top + 1))
    else:
        ordered = tuple(symbols.values())
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ParseError("the expression is undefined (division by zero or infinity)")
    return expr, ordered


def parse_number(text: str | int | float | sp.Expr) -> sp.Expr:
    """Parse an exact real constant: ``"1/2"``, ``"0.1"`` (exactly 1/10), ``"sqrt(2)"``.

    A sympy expression in real symbols is passed through: the symbolic engine
    accepts symbolic endpoints for smooth entire functions (polynomials, exp,
    sin, cos, ...), which turns an attribution into an identity in those symbols.

    >>> parse_number("-3/4"), parse_number("2.5e-1")
    (-3/4, 1/4)
    """
    if isinstance(text, sp.Expr):
        value = text
        if value.free_symbols and all(s.is_real for s in value.free_symbols) \
                and not value.has(sp.zoo, sp.nan, sp.oo):
            return value  # a symbolic coordinate (real symbols), for exact identities
    elif isinstance(text, bool):
        raise ParseError("expected a number, got a bool")
    elif isinstance(text, int):
        value = sp.Integer(text)
    elif isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            raise ParseError(f"expected a finite number, got {text}")
        value = sp.Rational(text)  # the double exactly
    else:
        value, _ = parse_expression(str(text), variables=[])
    if not value.is_number or value.is_real is False or value.has(sp.zoo, sp.nan, sp.oo):
        raise ParseError(f"'{text}' is not a finite real number")
    return value


def _unbracket(text: str) -> str:
    """``[a, b]`` -> ``a, b``; ``(a, b)`` -> ``a, b`` when the outer parentheses hold the
    whole point (not ``(1+1)*2, 3``)."""
    if len(text) > 1 and text[0] == "[" and text[-1] == "]":
        return text[1:-1]
    if len(text) > 1 and text[0] == "(" and text[-1] == ")":
        depth, comma = 0, False
        for i, ch in enumerate(text):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and i < len(text) - 1:
                return text  # the first parenthesis closes before the end
            comma |= ch == "," and depth == 1
        if comma:
            return text[1:-1]
    return text


def parse_point(text: str | Sequence) -> tuple[sp.Expr, ...]:
    """Parse a point ``"1, 1/2"`` (or a sequence of numbers) into exact coordinates; the
    point may be written in brackets, ``"[1, 1/2]"`` or ``"(1, 1/2)"``.

    >>> parse_point("1, 1/2"), parse_point("[-1, 2]")
    ((1, 1/2), (-1, 2))
    """
    if isinstance(text, str):
        inner = _unbracket(text.strip())
        if "[" in inner or "]" in inner:
            raise ParseError(f"cannot read the point '{text}'",
                             hint="write its coordinates separated by commas, e.g. 1,1/2")
        parts = [p for p in inner.replace(";", ",").split(",")]
        if not text.strip() or any(not p.strip() for p in parts):
            raise ParseError(f"cannot read the point '{text}'", hint="write e.g. 1,1/2")
        return tuple(parse_number(p) for p in parts)
    return tuple(parse_number(p) for p in text)
