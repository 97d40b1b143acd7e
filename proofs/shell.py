"""The one command-line shell every igverify ``__main__`` runs through.

* :class:`ArgumentParser`: argparse whose usage errors are one line on stderr and exit 2;
* :func:`run`: runs a CLI's ``main``; a user error (:class:`~proofs.errors.IGVerifyError`)
  becomes one line on stderr and exit status 2, a closed pipe (``| head``) ends quietly,
  Ctrl-C exits 130;
* :class:`time_limit`: the one timer (SIGALRM, main thread, Unix), nesting inside an outer
  one, used by the CLIs and by the exact engines' ``timeout=``;
* :class:`Progress` and :func:`progress`: a tqdm progress bar on stderr when stderr is a
  terminal, silence otherwise (long exact walks and long commands).

It imports neither sympy nor matplotlib, so ``python -m numeric --help`` stays quick.

>>> parser = ArgumentParser(prog="demo")
>>> _ = parser.add_argument("--n", type=int, default=1)
>>> run(lambda argv: parser.parse_args(argv).n, ["--n", "3"])
3
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from .errors import IGVerifyError

__all__ = ["ArgumentParser", "Progress", "TimeLimitExceeded", "progress", "run", "time_limit"]

T = TypeVar("T")


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2.

    >>> ArgumentParser(prog="demo").parse_args([])
    Namespace()
    """

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)


class TimeLimitExceeded(IGVerifyError):
    """A command or an engine ran past its time limit."""


class time_limit:
    """Raise ``expire()`` (default :class:`TimeLimitExceeded`) after ``seconds``.

    The one timer of igverify: SIGALRM, so only in the main thread on Unix (elsewhere, and
    with ``seconds=None``, it does nothing). An outer limit keeps running: the inner one is cut
    to what is left of it, and gets it back on exit.

    >>> with time_limit(5.0):
    ...     sum(range(10))
    45
    """

    def __init__(self, seconds: float | None,
                 expire: Callable[[], BaseException] | None = None) -> None:
        usable = (seconds is not None and seconds > 0 and hasattr(signal, "SIGALRM")
                  and threading.current_thread() is threading.main_thread())
        self.seconds = seconds if usable else None
        self.expire = expire or (lambda: TimeLimitExceeded(
            f"gave up after {seconds:g} s", "simplify the input or give a larger --timeout"))

    def _on_alarm(self, signum: int, frame: object) -> None:
        raise self.expire()

    def __enter__(self) -> time_limit:
        if self.seconds is None:
            return self
        self.outer = signal.getitimer(signal.ITIMER_REAL)
        self.started = time.monotonic()
        self.handler = signal.signal(signal.SIGALRM, self._on_alarm)
        limit = self.seconds if not self.outer[0] else min(self.seconds, self.outer[0])
        signal.setitimer(signal.ITIMER_REAL, limit)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.seconds is None:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.handler)
        if self.outer[0]:  # give the outer timer what is left of it
            left = self.outer[0] - (time.monotonic() - self.started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


def one_line(exc: BaseException) -> str:
    """An error's message on one line (newlines and runs of spaces folded).

    >>> one_line(ValueError("a\\n   b"))
    'a b'
    """
    return " ".join(str(exc).split())


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Run a CLI's ``main(argv)``; return its exit status.

    User errors (a :class:`TimeLimitExceeded` from :class:`time_limit` among them) become one
    stderr line and status 2; a closed pipe ends with status 0; Ctrl-C with 130. Internal
    bugs keep their traceback.

    >>> def main(argv):
    ...     raise IGVerifyError("bad input", "type something else")
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     status = run(main)
    >>> status, err.getvalue()
    (2, 'error: bad input; type something else\\n')
    """
    try:
        return main(argv)
    except IGVerifyError as exc:
        sys.stderr.write(f"error: {one_line(exc)}\n")
        return 2
    except (RecursionError, MemoryError):
        sys.stderr.write("error: the input is too large to handle; simplify it\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader went away (| head): stop quietly; point stdout at /dev/null so the
        # interpreter's final flush does not complain either
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


class Progress:
    """A tqdm progress bar on stderr while stderr is a terminal (or ``enabled=True``);
    nothing at all in pipes, logs and tests, or without tqdm. ``update(n, **postfix)`` counts
    and shows a few numbers beside the bar; ``close()`` (or leaving a ``with``) removes it.

    >>> with Progress(total=2, desc="demo") as bar:
    ...     bar.update(2, regions=5)
    >>> bar.count
    2
    """

    def __init__(self, total: int | None = None, desc: str = "", unit: str = "it",
                 enabled: bool | None = None) -> None:
        self.count = 0
        self.bar = None
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:  # pragma: no cover - tqdm comes with the torch extra
                return
            self.bar = tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr)

    def update(self, n: int = 1, **postfix: object) -> None:
        self.count += n
        if self.bar is not None:
            if postfix:
                self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(items: Iterable[T], total: int | None = None, desc: str = "",
             unit: str = "it", enabled: bool | None = None) -> Iterator[T]:
    """``items`` counted by a :class:`Progress` bar (shown only on a terminal).

    >>> list(progress(range(3), desc="demo"))
    [0, 1, 2]
    """
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(total, desc, unit, enabled) as bar:
        for item in items:
            yield item
            bar.update()
