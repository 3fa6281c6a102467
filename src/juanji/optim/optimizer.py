"""``Optimizer``: the base class that holds parameter groups and per-parameter state.

An optimiser changes parameters in place, using their ``.grad``. What every optimiser shares
lives here, with PyTorch's names and behaviour:

* ``param_groups``: a list of dicts. Each holds ``'params'`` (a list of tensors) and the options
  for those tensors (``lr``, ``momentum``...); options missing from a group come from
  ``defaults``, the constructor's arguments. Schedulers change ``group['lr']`` between steps.
* ``state``: a dict keyed by the parameter tensor itself (never ``id()``, which a new object can
  reuse) holding that parameter's buffers, such as SGD's momentum or Adam's moments.
* ``step()`` calls the subclass's ``_update_group(group)`` once per group, on raw arrays, in
  place, with NumPy ufuncs writing into existing memory (``out=``): one training step allocates
  no parameter-sized arrays beyond the state created on the first step. Parameters whose
  ``.grad`` is None are skipped, as in PyTorch.
* ``state_dict()`` / ``load_state_dict()`` use PyTorch's layout, in which parameters are named by
  their position across all groups (0, 1, 2...), so a checkpoint loads into a fresh optimiser
  built over a fresh model and training resumes exactly where it stopped.
"""

from __future__ import annotations

import numbers
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from juanji.autograd import enable_grad
from juanji.backend import as_numpy, device_of, to_device, xp_of
from juanji.tensor.tensor import Tensor

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of all optimisers: parameter groups, per-parameter state, checkpoints.

    Subclasses call ``super().__init__(params, defaults)``, implement ``_check_group(group)``
    (validate one group's options) and ``_update_group(group)`` (update its parameters in place).

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs (``named_parameters()``), or
            of dicts, each a parameter group: ``{'params': [...], 'lr': 0.1, ...}`` with options
            that override ``defaults`` for its tensors. Tensors that never receive a gradient
            (frozen layers, ``requires_grad=False``) are accepted and skipped, as in PyTorch.
        defaults: the option values for groups that do not give their own.

    Raises:
        TypeError: ``params`` is a single tensor, a set, or holds something other than tensors.
        ValueError: an empty parameter list, a non-leaf tensor, a tensor listed twice, or an
            option out of range (the message names the optimiser, the option and the value).

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, 2.0], requires_grad=True)
        >>> b = juanji.tensor([0.5], requires_grad=True)
        >>> opt = juanji.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [group["lr"] for group in opt.param_groups]
        [0.1, 0.5]
        >>> (w.sum() + 2 * b.sum()).backward()
        >>> opt.step()
        >>> w.tolist(), b.tolist()  # w - 0.1 * 1, b - 0.5 * 2
        ([0.9, 1.9], [-0.5])
        >>> opt.state_dict()["param_groups"][1]["params"]
        [1]
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params argument given to the optimizer should be an iterable of "
                f"Tensors or dicts, but got {params.type()}"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE.format(name=name))
        self._check_group(defaults)
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._scratch_pool: dict[Any, Any] = {}
        self._opt_called = False  # read by LRScheduler to warn about a reversed call order
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. unfreezing layers mid-training).

        Args:
            param_group: ``{'params': tensors, option: value, ...}``; options it leaves out
                take the optimiser's defaults.

        Raises:
            TypeError: not a dict, or ``params`` holds a non-tensor or is a set.
            ValueError: a non-leaf tensor, a tensor already in this or another group, or an
                option out of range.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, but got {type(param_group)}")
        group = dict(param_group)
        if "params" not in group:
            raise ValueError(f"{name}: param_group has no 'params' entry")
        params = group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE.format(name=name))
        params = [params] if isinstance(params, Tensor) else list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError(
                f"{name}: all optimizer params should be with/without names. Some param names "
                "are missing"
            )
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__module__}.{type(p).__qualname__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (one made by an operation); "
                    "optimise the leaf it was computed from, or detach() it"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group lists the same tensor twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = params
        if names:
            group["param_names"] = names
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError if an option of ``group`` is out of range (subclasses override)."""

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of the optimised parameters (and of nothing else).

        Args:
            set_to_none: True (default) sets ``.grad`` to None, so the next backward writes a
                fresh gradient and a parameter that gets none is skipped by ``step()``; False
                fills the existing gradients with zeros in place, so ``step()`` still updates
                those parameters (weight decay and momentum act on a zero gradient).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad._data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, once.

        Args:
            closure: optional function that clears the gradients, recomputes the loss, calls
                ``backward()`` and returns the loss; it runs (with gradients enabled) before the
                update.

        Returns:
            What ``closure`` returned, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._opt_called = True
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        """Update the parameters of one group in place (subclasses implement it)."""
        raise NotImplementedError

    def _params_with_grad(self, group: dict[str, Any]) -> Iterator[tuple[Tensor, Any, Any]]:
        """Yield ``(p, p's array, its gradient's array)`` for the parameters that have a grad.

        A gradient of another shape or dtype (``.grad`` assigned by hand; PyTorch refuses the
        assignment) would broadcast or upcast silently in the in-place updates, so it is an
        error here.
        """
        for p in group["params"]:
            if p.grad is None:
                continue
            param, grad = p._data, p.grad._data
            if grad.shape != param.shape or grad.dtype != param.dtype:
                raise RuntimeError(
                    f"{type(self).__name__}.step: a parameter of shape {tuple(param.shape)} and "
                    f"dtype {param.dtype} has a .grad of shape {tuple(grad.shape)} and dtype "
                    f"{grad.dtype}; they must match"
                )
            yield p, param, grad

    def _scratch(self, slot: int, like: Any) -> Any:
        """A reusable work array shaped like ``like``, the ``slot``-th of its dtype and device.

        Each slot is one flat buffer as large as the largest parameter seen, shared by all
        parameters (each step works on one parameter at a time), so updates need no new memory.
        """
        key = (slot, like.dtype, str(device_of(like)))
        flat = self._scratch_pool.get(key)
        if flat is None or flat.size < like.size:
            flat = xp_of(like).empty(like.size, dtype=like.dtype)
            self._scratch_pool[key] = flat
        return flat[: like.size].reshape(like.shape)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Return the optimiser's state in PyTorch's layout, as copies.

        ``{'state': {index: {'step': int, 'exp_avg': Tensor, ...}}, 'param_groups': [{'lr':
        ..., 'params': [index, ...]}, ...]}``: a parameter is named by its position across all
        groups in order, so the dict holds no tensor identities. Buffers are copied Tensors
        (flat arrays for safetensors) and the other values are JSON-able Python scalars, so
        later steps never change a state_dict already taken (unlike PyTorch, which returns
        references).

        Returns:
            The dict that ``load_state_dict`` accepts.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {
                k: list(v) if k == "param_names" else v for k, v in group.items() if k != "params"
            }
            packed["params"] = []
            for p in group["params"]:
                index[id(p)] = len(index)
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if self.state.get(p):
                    state[index[id(p)]] = {k: _copy_value(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from ``state_dict()`` (of this or an identically built optimiser).

        Group options (``lr``...) and buffers are taken from ``state_dict``; the parameters stay
        this optimiser's own. Buffers are copied, converted to each parameter's dtype and
        device; NumPy arrays (as read from safetensors) and string indices (as read from JSON)
        are accepted.

        Args:
            state_dict: the dict returned by ``state_dict()``.

        Raises:
            ValueError: the number of groups or of parameters in a group differs, or a buffer's
                shape differs from its parameter's.
        """
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has a different number of parameter "
                f"groups: expected {len(self.param_groups)}, got {len(saved_groups)}"
            )
        params = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded state dict contains a parameter group that "
                    f"doesn't match the size of optimizer's group: group {i} has "
                    f"{len(group['params'])} parameters, the saved one {len(saved['params'])}"
                )
            params.extend(group["params"])
        by_index = dict(
            zip((int(i) for g in saved_groups for i in g["params"]), params, strict=True)
        )
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if int(key) not in by_index:
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {key}, but the groups list "
                    f"parameters 0 to {len(params) - 1}"
                )
            p = by_index[int(key)]
            state[p] = {
                k: _load_value(p, k, v, f"{name}.load_state_dict: state[{key}]")
                for k, v in values.items()
            }
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            new_group = {
                k: tuple(v) if isinstance(v, list) and k != "param_names" else v
                for k, v in saved.items()
                if k != "params"
            }
            for key, default in self.defaults.items():
                new_group.setdefault(key, default)
            new_group["params"] = group["params"]
            self._check_group(new_group)
            new_groups.append(new_group)
        self.state, self.param_groups = state, new_groups

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_scratch_pool"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._scratch_pool = {}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


_SET_MESSAGE = (
    "{name}: optimizer parameters need to be organized in ordered collections, but the ordering "
    "of tensors in sets will change between runs. Please use a list instead."
)


def _copy_value(value: Any) -> Any:
    """A state value detached from the live state: Tensors copied, scalars as they are."""
    if isinstance(value, Tensor):
        return Tensor(value._data.copy())
    return value


def _load_value(param: Tensor, key: str, value: Any, where: str) -> Any:
    """Convert one saved state value for ``param``: arrays to Tensors like it, step to int."""
    if isinstance(value, Tensor):
        value = value._data
    if key == "step":
        return int(round(float(as_numpy(value)))) if hasattr(value, "shape") else value
    if not hasattr(value, "shape"):
        return value
    if value.shape == () and tuple(param.shape) != ():  # torch's 0-d scalars ('mu_product')
        return float(as_numpy(value))
    if tuple(value.shape) != tuple(param.shape):
        raise ValueError(
            f"{where}[{key!r}] has shape {tuple(value.shape)} but its parameter has shape "
            f"{tuple(param.shape)}"
        )
    array = to_device(value, device_of(param._data)).astype(param._data.dtype, copy=True)
    return Tensor(array)


def _check_switches(owner: str, **switches: Any) -> None:
    """Check PyTorch's implementation switches, which juanji accepts without keeping them.

    The switches are ``foreach``, ``fused``, ``capturable`` and ``differentiable``. juanji has
    one implementation, in place and outside autograd, so ``foreach`` and ``fused`` change
    nothing and are not kept in the groups (a group's keys are the options that shape the
    update; runs saved before the switches were accepted keep resuming); ``capturable=True``
    (CUDA graphs, which PyTorch refuses at ``step()`` for CPU tensors) and
    ``differentiable=True`` (gradients through the update, which PyTorch refuses for leaf
    parameters) raise.

    Raises:
        RuntimeError: ``fused`` and ``foreach`` both True (PyTorch's error).
        ValueError: ``capturable=True``.
        NotImplementedError: ``differentiable=True``.
    """
    if switches.get("fused") and switches.get("foreach"):
        raise RuntimeError(f"{owner}: `fused` and `foreach` cannot be `True` together.")
    if switches.get("capturable"):
        raise ValueError(
            f"{owner}: capturable=True is for CUDA graphs, which juanji does not have (PyTorch "
            "accepts it only for GPU parameters); leave capturable=False"
        )
    if switches.get("differentiable"):
        raise NotImplementedError(
            f"{owner}: differentiable=True is not supported: juanji's optimisers update the "
            "parameters in place, outside autograd; leave differentiable=False"
        )


def _check_range(
    owner: str,
    what: str,
    name: str,
    value: Any,
    low: float,
    high: float | None = None,
    high_open: bool = True,
) -> None:
    """Raise ValueError unless ``low <= value`` (and ``value < high`` or ``<= high``).

    The message keeps PyTorch's wording ("Invalid learning rate: -0.1") and adds the optimiser,
    the argument and the accepted range.
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} expected a real number, got {type(value).__name__}")
    too_high = high is not None and (value >= high if high_open else value > high)
    if value < low or too_high or value != value:  # value != value catches NaN
        bound = "" if high is None else (f" and < {high}" if high_open else f" and <= {high}")
        raise ValueError(
            f"{owner}: Invalid {what}: {value} ({name} expected >= {low}{bound}, got {value})"
        )
