"""Packages whose public names are imported on first use (PEP 562), the one way igverify does it.

``proofs`` and ``numeric`` list their public names with the module that defines each; nothing
heavy (sympy, matplotlib, torch) is imported until a name is used. A function named like its
module (``proofs.plot``, ``numeric.conductance``) stays the function after the module is
imported.

>>> import proofs, sys
>>> proofs.relu.__module__
'proofs.parse'
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__all__ = ["LazyPackage", "make_lazy"]


class LazyPackage(types.ModuleType):
    """A package module whose names in ``_lazy_names`` (name -> submodule) load on first use;
    other unknown names are tried as submodules (``numeric.models``)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        table = self.__dict__.get("_lazy_names", {})
        package = self.__name__
        if name not in table:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{package}.{table[name]}"), name)
        super().__setattr__(name, value)
        return value

    def __setattr__(self, name: str, value: object) -> None:
        # importing a submodule binds it on its package: keep a function of the same name
        if isinstance(value, types.ModuleType) and \
                self.__dict__.get("_lazy_names", {}).get(name) == name:
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("_lazy_names", {})))


def make_lazy(package: str, names: dict[str, str]) -> None:
    """Make the package ``package`` load each of ``names`` (name -> its submodule) on first use.

    Called once, at the end of the package's ``__init__``.

    >>> import numeric
    >>> type(numeric).__name__
    'LazyPackage'
    """
    module = sys.modules[package]
    module.__class__ = LazyPackage
    module._lazy_names = dict(names)
