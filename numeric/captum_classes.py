"""Captum-shaped classes: ``IntegratedGradients`` and ``NoiseTunnel`` over numeric's functions.

The constructors, ``attribute`` arguments and return forms are Captum 0.9's (Kokhlikyan et
al. (2020)), so switching is a change of import::

    from numeric import IntegratedGradients, NoiseTunnel   # was: from captum.attr import ...

:class:`IntegratedGradients` is a thin layer over :func:`numeric.integrated_gradients` and
:func:`numeric.completeness_delta`; :class:`NoiseTunnel` (SmoothGrad, Smilkov et al. (2017);
VarGrad, Adebayo et al. (2018)) wraps any object with Captum's ``attribute`` method, ours or
Captum's, or a plain function ``f(inputs, **kwargs)``. What differs from Captum, on purpose:

- the weighted sum over the steps, the convergence delta and NoiseTunnel's moments are
  accumulated in float64 (float32 inputs lose no accuracy as the step count grows; the delta
  comes back as a float64 tensor);
- ``riemann_trapezoid`` weights sum to 1 (Captum's sum to (n - 1)/n); ``method`` also takes
  ``"exact"`` (piecewise-linear networks), and ``baselines`` a :class:`BaselineDistribution`;
- ``draw_baseline_from_distrib`` draws with torch's generator, so a run is reproducible under
  ``torch.manual_seed`` alone (Captum draws those indices with NumPy's); the noise itself is
  drawn exactly as Captum draws it, so under the same seed the noisy inputs are the same;
- a bad argument raises one of igverify's errors whose message says what to do; each is
  also an ``AssertionError``, which is what Captum raises, so Captum-era code that catches
  ``AssertionError`` keeps working.

>>> import torch
>>> F = lambda x1, x2: torch.relu(torch.relu(x1) - 1 - torch.relu(x2))
>>> ig = IntegratedGradients(F)
>>> attr, delta = ig.attribute((torch.tensor([3.0]), torch.tensor([1.0])),
...                            method="riemann_middle", n_steps=2,
...                            return_convergence_delta=True)
>>> attr, delta
((tensor([1.5000]), tensor([-0.5000])), tensor([0.], dtype=torch.float64))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ._torch import torch
from .arguments import check_input_tuple, check_model, format_extra
from .errors import ArgumentError, DimensionError
from .integrated import BaselineDistribution, completeness_delta, integrated_gradients

__all__ = [
    "AttributionArgumentError",
    "AttributionDimensionError",
    "IntegratedGradients",
    "NoFutures",
    "NoiseTunnel",
]

NT_TYPES = ("smoothgrad", "smoothgrad_sq", "vargrad")


class AttributionArgumentError(ArgumentError, AssertionError):
    """A bad argument to a Captum-shaped class (also an AssertionError, as in Captum)."""


class AttributionDimensionError(DimensionError, AssertionError):
    """Shapes that disagree in a Captum-shaped call (also an AssertionError, as in Captum)."""


@contextmanager
def _captum_errors() -> Iterator[None]:
    """Re-raise numeric's argument and shape errors as their AssertionError twins."""
    try:
        yield
    except AttributionArgumentError:
        raise
    except AttributionDimensionError:
        raise
    except ArgumentError as exc:
        raise AttributionArgumentError(str(exc)) from None
    except DimensionError as exc:
        raise AttributionDimensionError(str(exc)) from None


class NoFutures:
    """Captum's ``attribute_future``, which none of numeric's classes has: it raises
    NotImplementedError, as Captum's gradient methods do.

    >>> NoFutures().attribute_future()
    Traceback (most recent call last):
    ...
    NotImplementedError: attribute_future is not implemented; call attribute
    """

    def attribute_future(self, *args, **kwargs):
        """Raises NotImplementedError (no asynchronous attributions)."""
        raise NotImplementedError("attribute_future is not implemented; call attribute")


class IntegratedGradients(NoFutures):
    """Captum's ``IntegratedGradients(forward_func, multiply_by_inputs=True)``.

    ``attribute`` takes Captum's arguments (a tensor or a tuple of tensors; baselines None, a
    number, a tensor or a tuple of those; every target form; ``additional_forward_args``;
    ``n_steps``; ``method``; ``internal_batch_size``; ``return_convergence_delta``) and
    returns the same forms: a tensor for a tensor, a tuple for a tuple, and with
    ``return_convergence_delta`` the pair (attributions, delta of shape (N,)).

    >>> import torch
    >>> model = torch.nn.Linear(3, 2)
    >>> x = torch.randn(4, 3)
    >>> attr, delta = IntegratedGradients(model).attribute(x, target=1,
    ...                                                    return_convergence_delta=True)
    >>> attr.shape, attr.dtype, delta.shape, bool(delta.abs().max() < 1e-6)
    (torch.Size([4, 3]), torch.float32, torch.Size([4]), True)
    """

    def __init__(self, forward_func: Callable, multiply_by_inputs: bool = True) -> None:
        with _captum_errors():
            check_model(forward_func)
        self.forward_func = forward_func
        self._multiply_by_inputs = bool(multiply_by_inputs)

    @classmethod
    def get_name(cls) -> str:
        """The readable name Captum's classes give ("Integrated Gradients")."""
        return "Integrated Gradients"

    @property
    def multiplies_by_inputs(self) -> bool:
        """Whether attributions are multiplied by inputs - baselines (global attribution)."""
        return self._multiply_by_inputs

    def has_convergence_delta(self) -> bool:
        """True: IG has a completeness delta."""
        return True

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  n_steps: int = 50, method: str = "gausslegendre",
                  internal_batch_size: int | None = None,
                  return_convergence_delta: bool = False, *, tolerance: float | None = None,
                  return_error: bool = False, max_evaluations: int | None = None):
        """Integrated gradients of ``forward_func`` at ``inputs``, as Captum computes them
        (see the class docstring and :func:`numeric.integrated_gradients`). Beyond Captum:
        ``tolerance``, ``return_error`` (the estimated error per example, appended last) and
        ``max_evaluations``, as in :func:`numeric.integrated_gradients`."""
        accuracy = dict(tolerance=tolerance, return_error=return_error,
                        max_evaluations=max_evaluations)
        with _captum_errors():
            if isinstance(baselines, BaselineDistribution):
                return integrated_gradients(
                    self.forward_func, inputs, baselines, target, n_steps, method,
                    internal_batch_size, return_convergence_delta,
                    additional_forward_args=additional_forward_args,
                    multiply_by_inputs=self._multiply_by_inputs, **accuracy)
            result = integrated_gradients(
                self.forward_func, inputs, baselines, target, n_steps, method,
                internal_batch_size, additional_forward_args=additional_forward_args,
                multiply_by_inputs=self._multiply_by_inputs, **accuracy)
            attributions, error = result if return_error else (result, None)
            if not return_convergence_delta:
                return result
            delta = self.compute_convergence_delta(attributions, baselines, inputs, target,
                                                   additional_forward_args)
        return (attributions, delta, error) if return_error else (attributions, delta)

    def compute_convergence_delta(self, attributions, start_point, end_point, target=None,
                                  additional_forward_args=None) -> torch.Tensor:
        """sum(attributions) - (F(end_point) - F(start_point)) per example, in float64."""
        with _captum_errors():
            return completeness_delta(self.forward_func, attributions, start_point, end_point,
                                      target, None, additional_forward_args)


# ------------------------------------------------------------------------------ NoiseTunnel


def _repeat_rows(value, k: int):
    """A tensor with a batch dimension, each row repeated k times in place (example-major)."""
    if isinstance(value, torch.Tensor) and value.dim() > 0:
        return value.repeat_interleave(k, dim=0)
    return value


def _expand_target(target, k: int):
    if isinstance(target, list):
        return [t for t in target for _ in range(k)]
    if isinstance(target, torch.Tensor) and target.numel() > 1:
        return target.repeat_interleave(k, dim=0)
    return target


def _expand_baselines(baselines, xs: tuple, k: int, from_distribution: bool):
    if baselines is None or isinstance(baselines, BaselineDistribution):
        return baselines
    items = baselines if isinstance(baselines, tuple) else (baselines,)
    if len(items) != len(xs):
        raise AttributionDimensionError(
            f"baselines has {len(items)} entries for {len(xs)} input tensors; give one per "
            "input tensor")
    out = []
    for base, x in zip(items, xs, strict=True):
        if not isinstance(base, torch.Tensor) or base.dim() == 0:
            out.append(base)
        elif from_distribution:
            if base.shape[1:] != x.shape[1:]:
                raise AttributionDimensionError(
                    f"baselines to draw from have samples of shape {tuple(base.shape[1:])}; "
                    f"inputs have {tuple(x.shape[1:])}")
            rows = torch.randint(base.shape[0], (x.shape[0] * k,))
            out.append(base[rows.to(base.device)])
        elif base.shape[0] == x.shape[0] and base.shape[0] > 1:
            out.append(base.repeat_interleave(k, dim=0))
        else:
            out.append(base)
    return tuple(out) if isinstance(baselines, tuple) else out[0]


def _expand_kwargs(kwargs: dict, xs: tuple, k: int, from_distribution: bool) -> dict:
    """Captum's expansion of the wrapped method's arguments for k noisy copies per example."""
    kw = dict(kwargs)
    if "target" in kw:
        kw["target"] = _expand_target(kw["target"], k)
    if kw.get("additional_forward_args") is not None:
        kw["additional_forward_args"] = tuple(
            _repeat_rows(a, k) for a in format_extra(kw["additional_forward_args"]))
    if "baselines" in kw:
        kw["baselines"] = _expand_baselines(kw["baselines"], xs, k, from_distribution)
    if kw.get("feature_mask") is not None:
        masks = kw["feature_mask"]
        expanded = tuple(m.repeat_interleave(k, dim=0) if m.shape[0] > 1 else m
                         for m in (masks if isinstance(masks, tuple) else (masks,)))
        kw["feature_mask"] = expanded if isinstance(masks, tuple) else expanded[0]
    return kw


def _check_count(value, name: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AttributionArgumentError(f"{name} must be a positive int, got {value!r}")
    return value


def _check_stdevs(stdevs, count: int) -> tuple[float, ...]:
    items = stdevs if isinstance(stdevs, tuple) else (stdevs,) * count
    if len(items) != count:
        raise AttributionDimensionError(
            f"stdevs has {len(items)} entries for {count} input tensors; give one per tensor "
            "or a single number")
    for s in items:
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not s >= 0 \
                or s == float("inf"):
            raise AttributionArgumentError(
                f"stdevs must be finite non-negative numbers, got {stdevs!r}")
    return tuple(float(s) for s in items)


class NoiseTunnel(NoFutures):
    """Captum's ``NoiseTunnel(attribution_method)``: SmoothGrad, SmoothGrad-squared and VarGrad
    over ``nt_samples`` noisy copies of each input.

    ``attribute(inputs, nt_type, nt_samples, nt_samples_batch_size, stdevs,
    draw_baseline_from_distrib, **kwargs)`` passes ``kwargs`` to the wrapped method's
    ``attribute`` with targets, baselines and extra forward arguments expanded per copy as in
    Captum; with ``return_convergence_delta=True`` (for a method that has a delta) it returns
    (attributions, delta of shape (N * nt_samples,)). The Gaussian noise is drawn as Captum
    draws it (torch's default generator, in the default dtype, one draw per input tensor and
    batch of copies), so it is reproducible under ``torch.manual_seed``.

    >>> import torch
    >>> model = torch.nn.Linear(3, 1)
    >>> nt = NoiseTunnel(IntegratedGradients(model))
    >>> x = torch.ones(2, 3)
    >>> smooth = nt.attribute(x, nt_type="smoothgrad", nt_samples=4, stdevs=0.0)
    >>> torch.allclose(smooth, IntegratedGradients(model).attribute(x))
    True
    """

    def __init__(self, attribution_method) -> None:
        if not (hasattr(attribution_method, "attribute") or callable(attribution_method)):
            raise AttributionArgumentError(
                "NoiseTunnel wraps an attribution object with an attribute() method, e.g. "
                f"IntegratedGradients(model), or a function; got "
                f"{type(attribution_method).__name__}")
        self.attribution_method = attribution_method
        has_delta = getattr(attribution_method, "has_convergence_delta", None)
        self.is_delta_supported = bool(has_delta()) if callable(has_delta) else False
        self._multiply_by_inputs = bool(getattr(attribution_method, "multiplies_by_inputs",
                                                False))
        self.forward_func = getattr(attribution_method, "forward_func", None)

    @classmethod
    def get_name(cls) -> str:
        """The readable name Captum's classes give ("Noise Tunnel")."""
        return "Noise Tunnel"

    @property
    def multiplies_by_inputs(self) -> bool:
        """The wrapped method's ``multiplies_by_inputs``."""
        return self._multiply_by_inputs

    def has_convergence_delta(self) -> bool:
        """Whether the wrapped method has a convergence delta."""
        return self.is_delta_supported

    def _call(self, inputs, kwargs: dict):
        method = getattr(self.attribution_method, "attribute", self.attribution_method)
        with _captum_errors():
            return method(inputs, **kwargs)

    def attribute(self, inputs, nt_type: str = "smoothgrad", nt_samples: int = 5,
                  nt_samples_batch_size: int | None = None, stdevs=1.0,
                  draw_baseline_from_distrib: bool = False, **kwargs):
        """Smoothed attributions (see the class docstring)."""
        if nt_type not in NT_TYPES:
            raise AttributionArgumentError(
                f"nt_type must be one of {', '.join(NT_TYPES)}, got {nt_type!r}")
        nt_samples = _check_count(nt_samples, "nt_samples")
        batch = _check_count(nt_samples_batch_size, "nt_samples_batch_size", True)
        batch = nt_samples if batch is None else min(nt_samples, batch)
        with _captum_errors():
            xs, is_tuple = check_input_tuple(inputs)
        stds = _check_stdevs(stdevs, len(xs))
        want_delta = bool(kwargs.get("return_convergence_delta", False)) \
            and self.is_delta_supported
        want_error = bool(kwargs.get("return_error", False))
        n = xs[0].shape[0]
        sums: list = []
        sums_sq: list = []
        deltas: list = []
        # per example: the sums over samples of e_s, e_s (2 max|a_s| + e_s) (error bounds)
        errs = torch.zeros(n, dtype=torch.float64)
        errs_sq = torch.zeros(n, dtype=torch.float64)
        out_tuple = is_tuple
        out_dtypes: list = []

        def run(k: int, kw: dict) -> None:
            nonlocal out_tuple
            noisy = tuple(
                x.repeat_interleave(k, dim=0)
                + torch.randn((n * k, *x.shape[1:]), device=x.device) * std
                for x, std in zip(xs, stds, strict=True))
            result = self._call(noisy if is_tuple else noisy[0], kw)
            error = None
            if want_error:
                *result, error = result
                result = result[0] if len(result) == 1 else tuple(result)
            if want_delta:
                result, delta = result
                deltas.append(delta)
            out_tuple = isinstance(result, tuple)
            parts = result if out_tuple else (result,)
            if error is not None:
                e = error.detach().double().cpu().reshape(n, k)
                big = torch.stack([p.detach().double().cpu().reshape(n, k, -1).abs().amax(2)
                                   for p in parts]).amax(0)
                errs.add_(e.sum(1))
                errs_sq.add_((e * (2 * big + e)).sum(1))
            for i, part in enumerate(parts):
                a = part.detach().double().reshape(n, k, *part.shape[1:])
                if i == len(sums):
                    sums.append(torch.zeros_like(a[:, 0]))
                    sums_sq.append(torch.zeros_like(a[:, 0]))
                    out_dtypes.append(part.dtype)
                sums[i] += a.sum(1)
                sums_sq[i] += (a * a).sum(1)

        full, rest = divmod(nt_samples, batch)
        kw = _expand_kwargs(kwargs, xs, batch, draw_baseline_from_distrib)
        for _ in range(full):
            run(batch, kw)
        if rest:
            run(rest, _expand_kwargs(kwargs, xs, rest, draw_baseline_from_distrib))
        mean = [s / nt_samples for s in sums]
        mean_sq = [s / nt_samples for s in sums_sq]
        # error bounds of the smoothed values: |a^2 - b^2| <= |a - b| (2 |a| + |a - b|)
        err_mean, err_sq = errs / nt_samples, errs_sq / nt_samples
        if nt_type == "smoothgrad":
            smooth, error = mean, err_mean
        elif nt_type == "smoothgrad_sq":
            smooth, error = mean_sq, err_sq
        else:
            smooth = [sq - m * m for m, sq in zip(mean, mean_sq, strict=True)]
            big = torch.stack([m.reshape(n, -1).abs().amax(1).cpu() for m in mean]).amax(0)
            error = err_sq + err_mean * (2 * big + err_mean)
        attributions = tuple(s.to(dt) for s, dt in zip(smooth, out_dtypes, strict=True))
        result = attributions if out_tuple else attributions[0]
        out = (result,)
        if want_delta:
            out += (torch.cat(deltas),)
        if want_error:
            out += (error,)
        return out[0] if len(out) == 1 else out
