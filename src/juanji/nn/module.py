"""``Module``: the base class of layers and models, with PyTorch's registration rules.

A Module keeps three insertion-ordered registries, filled by plain attribute assignment:

* ``_parameters``: ``Parameter`` objects (trained by gradients), e.g. ``self.weight = ...``;
* ``_buffers``: tensors that are state but not trained, added with ``register_buffer``; the
  persistent ones are saved in ``state_dict``;
* ``_modules``: child Modules, e.g. ``self.conv1 = Conv2d(...)``.

Registration order is iteration order, so ``parameters()``, ``state_dict()`` and ``repr`` list
things in the order ``__init__`` assigned them, and ``state_dict`` keys are PyTorch's dotted
paths (``features.0.weight``): a juanji checkpoint has the same keys as the same architecture
built in PyTorch, and PyTorch's values (as NumPy arrays) load into juanji.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

from juanji import _dtype
from juanji.autograd.grad_mode import is_grad_enabled
from juanji.backend import to_device
from juanji.nn._backward_hooks import BackwardHookState
from juanji.nn.parameter import Parameter, is_lazy
from juanji.tensor._args import parse_to
from juanji.tensor.tensor import Tensor

T = TypeVar("T", bound="Module")


_EXTRA_STATE = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not expect."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by ``register_forward_hook`` and friends; ``remove()`` unregisters the hook.

    Also a context manager: the hook is removed when the ``with`` block ends.
    """

    _next_id = 0

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Module:
    """Base class for all layers and models; subclass it and write ``forward``.

    Assign Parameters, child Modules and buffers as attributes in ``__init__`` (after calling
    ``super().__init__()``); call the module like a function to run ``forward`` with its hooks.

    Attributes:
        training: True in training mode (the default), False after ``eval()``; layers such as
            ``Dropout`` behave differently in the two modes.

    Example:
        >>> import juanji
        >>> from juanji import nn
        >>> class TwoLayer(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Linear(4, 8)
        ...         self.out = nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x).relu())
        >>> model = TwoLayer()
        >>> for name, p in model.named_parameters():
        ...     print(name, p.shape)
        hidden.weight (8, 4)
        hidden.bias (8,)
        out.weight (2, 8)
        out.bias (2,)
        >>> model(juanji.zeros(3, 4)).shape
        (3, 2)
    """

    dump_patches = False  # PyTorch's class flags, read by some code
    call_super_init = False

    training: bool

    def __init__(self) -> None:
        setter = super().__setattr__
        setter("training", True)
        setter("_parameters", {})
        setter("_buffers", {})
        setter("_non_persistent_buffers_set", set())
        setter("_modules", {})
        setter("_forward_pre_hooks", {})
        setter("_forward_hooks", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the output; every subclass defines it."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the forward pre-hooks, ``forward``, then the forward hooks."""
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        backward = self.__dict__.get("_backward_hooks") or {}
        backward_pre = self.__dict__.get("_backward_pre_hooks") or {}
        state = None
        if (backward or backward_pre) and is_grad_enabled():
            state = BackwardHookState(self, list(backward.values()), list(backward_pre.values()))
            args = state.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output if state is None else state.wrap_output(output)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        parameters = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, (Parameter, Module)) and parameters is None:
            kind = "parameters" if isinstance(value, Parameter) else "module"
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        # The register_* methods check the value's type (e.g. a Tensor assigned to `weight`).
        if isinstance(value, Parameter) or (parameters and name in parameters):
            self._forget(name, keep=parameters)
            self.register_parameter(name, value)
        elif isinstance(value, Module) or (modules and name in modules):
            self._forget(name, keep=modules)
            self.add_module(name, value)
        elif getattr(value, "_is_buffer", False) and isinstance(value, Tensor):  # nn.Buffer
            if buffers is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self._forget(name, keep=buffers)
            self.register_buffer(name, value, persistent=value.persistent)
        elif buffers and name in buffers:
            persistent = name not in self._non_persistent_buffers_set
            self.register_buffer(name, value, persistent=persistent)
        else:
            super().__setattr__(name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: parameters, buffers and modules live here.
        registries = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            members = registries.get(registry)
            if members is not None and name in members:
                return members[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        super().__delattr__(name)

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        names.update(self._parameters, self._buffers, self._modules)
        return sorted(n for n in names if not n[0].isdigit())

    def _forget(self, name: str, keep: dict[str, Any]) -> None:
        """Remove ``name`` from the places an attribute can live, except ``keep``.

        ``keep`` is the registry about to receive ``name``: an existing entry there keeps its
        position, so re-assigning ``self.weight`` does not move it in ``state_dict`` (PyTorch).
        """
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def _check_new_name(self, kind: str, name: Any, registry: dict[str, Any]) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got {name!r}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder, e.g. ``bias`` when ``bias=False``)."""
        self._check_new_name("parameter", name, self.__dict__.get("_parameters", {}))
        if param is not None and not isinstance(param, Parameter):
            raise _wrong_type(param, "parameter", name, "juanji.nn.Parameter")
        if param is not None and not param.is_leaf:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                "created explicitly; to express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: module state that is not a parameter (saved when ``persistent``).

        Example:
            >>> import juanji
            >>> m = Module()
            >>> m.register_buffer("running_mean", juanji.zeros(3))
            >>> list(m.state_dict())
            ['running_mean']
        """
        self._check_new_name("buffer", name, self.__dict__.get("_buffers", {}))
        if tensor is not None and not isinstance(tensor, Tensor):
            raise _wrong_type(tensor, "buffer", name, "juanji.Tensor")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module, reachable as the attribute ``name``."""
        self._check_new_name("module", name, self.__dict__.get("_modules", {}))
        if module is not None and not isinstance(module, Module):
            raise _wrong_type(module, "child module", name, "juanji.nn.Module")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` (``""`` is this module)."""
        module = self
        if target == "":
            return module
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` (e.g. ``"features.0.weight"``)."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target`` (e.g. ``"bn1.running_mean"``)."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target`` (its parent must exist).

        With ``strict``, the last name must already be a submodule (nothing new is added).
        """
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not isinstance(parent._modules.get(name), Module):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        setattr(parent, name, module)

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, with dotted names (each once)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and all below it."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct children with their attribute names."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        owners = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for owner_prefix, owner in owners:
            for name, value in getattr(owner, registry).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield _join(owner_prefix, name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Parameters with dotted names; a parameter shared by two layers is listed once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """All parameters, in registration order (what an optimiser is given)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Buffers (persistent or not) with dotted names."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """All buffers."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self: T, fn: Callable[[Module], Any]) -> T:
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients
    def train(self: T, mode: bool = True) -> T:
        """Set training mode (``mode=True``) or evaluation mode on this module and all below."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be a bool, got {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self: T) -> T:
        """Set evaluation mode (``train(False)``): dropout off, statistics frozen."""
        return self.train(False)

    def requires_grad_(self: T, requires_grad: bool = True) -> T:
        """Switch gradient recording for every parameter (False freezes the module)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters (to None, or to zeros in place)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.detach_().zero_()

    # ------------------------------------------------------------------ state_dict
    def state_dict(
        self,
        *,
        destination: dict[str, Any] | None = None,
        prefix: str = "",
        keep_vars: bool = False,
    ) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, in registration order.

        Values are detached tensors sharing memory with the module (``keep_vars=True`` gives
        the Parameters themselves). A parameter shared by two layers appears under both keys,
        as in PyTorch.

        Example:
            >>> from juanji import nn
            >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
            >>> {key: value.shape for key, value in model.state_dict().items()}
            {'0.weight': (3, 4), '0.bias': (3,), '2.weight': (2, 3), '2.bias': (2,)}
        """
        if destination is None:
            destination = OrderedDict()
        for hook in self.__dict__.get("_state_dict_pre_hooks", {}).values():
            hook(self, prefix, keep_vars)
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        for hook in self.__dict__.get("_state_dict_hooks", {}).values():
            result = hook(self, destination, prefix, {})
            if result is not None:
                destination = result
        return destination

    def get_extra_state(self) -> Any:
        """State beyond parameters and buffers for ``state_dict`` (define it in a subclass).

        A subclass that defines it gets a ``"_extra_state"`` entry, given back to
        ``set_extra_state`` by ``load_state_dict``.
        """
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug."
        )

    def set_extra_state(self, state: Any) -> None:
        """Restore what ``get_extra_state`` returned (define both in a subclass)."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug."
        )

    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before ``state_dict`` reads this module."""
        return _add_hook(self.__dict__.setdefault("_state_dict_pre_hooks", {}), hook, False)

    def register_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after it (may edit it)."""
        return _add_hook(self.__dict__.setdefault("_state_dict_hooks", {}), hook, False)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call a hook before loading; it may rename or add keys of the state dict.

        The hook is called as ``hook(module, state_dict, prefix, local_metadata, strict,
        missing_keys, unexpected_keys, error_msgs)``, PyTorch's signature.
        """
        return _add_hook(self.__dict__.setdefault("_load_state_dict_pre_hooks", {}), hook, False)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after loading, before the strict check.

        The hook may remove entries from ``incompatible_keys.missing_keys`` or
        ``unexpected_keys`` (then the load does not fail on them).
        """
        return _add_hook(self.__dict__.setdefault("_load_state_dict_post_hooks", {}), hook, False)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any:
        """Copy values (Tensors or NumPy arrays) into this module's parameters and buffers.

        Every value is checked before anything is copied, so a failed load leaves the module
        as it was. Values are cast to each parameter's dtype and device; the Parameter objects
        stay the same (an optimiser holding them keeps working).

        Args:
            state_dict: mapping from dotted names (as ``state_dict()`` gives) to values.
            strict: if True, missing or unexpected keys are an error.

        Returns:
            ``(missing_keys, unexpected_keys)`` as a named tuple.

        Raises:
            RuntimeError: a shape mismatch (always), or missing/unexpected keys when ``strict``,
                in PyTorch's message format.
            TypeError: a value that is not a Tensor or NumPy array.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}")
        state_dict = dict(state_dict)
        targets, missing, unexpected = self._keys_to_load(state_dict, strict)
        errors = []
        if strict and missing:
            errors.append(
                "Missing key(s) in state_dict: " + ", ".join(f'"{key}"' for key in missing) + ". "
            )
        if strict and unexpected:
            errors.append(
                "Unexpected key(s) in state_dict: "
                + ", ".join(f'"{key}"' for key in unexpected)
                + ". "
            )
        updates = []
        extra = []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            if key.rpartition(".")[2] == _EXTRA_STATE:
                extra.append((key, state_dict[key]))
                continue
            if is_lazy(state_dict[key]):  # a lazy module's placeholder, saved before forward
                if is_lazy(target):
                    continue
                state_dict[key].shape  # noqa: B018  (raises PyTorch's "uninitialized" error)
            array = _as_array(key, state_dict[key])
            if is_lazy(target):  # a lazy module's placeholder takes the checkpoint's shape
                target.materialize(tuple(array.shape))
            if tuple(array.shape) != target.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(array.shape)} "
                    f"from checkpoint, the shape in current model is {target.shape}."
                )
            else:
                updates.append((target, array))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {self._get_name()}:\n\t" + "\n\t".join(errors)
            )
        for target, array in updates:
            value = to_device(array, target.device).astype(target._data.dtype, copy=False)
            target._data[...] = value
        for key, state in extra:
            self.get_submodule(key.rpartition(".")[0]).set_extra_state(state)
        return _IncompatibleKeys(missing, unexpected)

    def _keys_to_load(
        self, state_dict: dict[str, Any], strict: bool
    ) -> tuple[OrderedDict[str, Any], list[str], list[str]]:
        """Run the upgrade and load hooks; the targets and the missing and unexpected keys."""
        for name, module in self.named_modules():
            prefix = f"{name}." if name else ""
            module._upgrade_state_dict(state_dict, prefix)
            for hook in module.__dict__.get("_load_state_dict_pre_hooks", {}).values():
                hook(module, state_dict, prefix, {}, strict, [], [], [])
        targets = self.state_dict(keep_vars=True)
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        post_hooks = [
            (module, hook)
            for module in self.modules()
            for hook in module.__dict__.get("_load_state_dict_post_hooks", {}).values()
        ]
        if post_hooks:  # they may forgive keys: their verdict comes before the strict check
            incompatible = _IncompatibleKeys(missing, unexpected)
            for module, hook in post_hooks:
                hook(module, incompatible)
            missing, unexpected = incompatible.missing_keys, incompatible.unexpected_keys
        return targets, missing, unexpected

    def _upgrade_state_dict(self, state_dict: dict[str, Any], prefix: str) -> None:
        """Fill in keys that checkpoints of older versions lack (PyTorch's version handling).

        Called on every submodule before ``load_state_dict`` checks the keys; a layer that added
        a key overrides it (BatchNorm: ``num_batches_tracked``). The default does nothing.
        """

    # ------------------------------------------------------------------ dtype and device
    def _convert(self: T, convert: Callable[[Any], Any]) -> T:
        """Replace the array of every parameter, gradient and buffer by ``convert(array)``.

        The Parameter objects are kept (only their data changes), as PyTorch's ``Module.to``.
        """
        for module in self.modules():
            for tensor in [*module._parameters.values(), *module._buffers.values()]:
                if tensor is None:
                    continue
                tensor._data = convert(tensor._data)
                if tensor.grad is not None:
                    tensor.grad._data = convert(tensor.grad._data)
        return self

    def to(self: T, *args: Any, **kwargs: Any) -> T:
        """Move and/or cast parameters and buffers in place: ``to(juanji.float64)``, ``to('cpu')``.

        Only floating-point tensors change dtype (integer buffers keep theirs), as in PyTorch.
        """
        dtype, device, _ = parse_to(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )

        def convert(array: Any) -> Any:
            if device is not None:
                array = to_device(array, device)
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype.np_dtype, copy=False)
            return array

        return self._convert(convert)

    def float(self: T) -> T:
        """Cast floating-point parameters and buffers to float32."""
        return self.to(_dtype.float32)

    def double(self: T) -> T:
        """Cast floating-point parameters and buffers to float64."""
        return self.to(_dtype.float64)

    def half(self: T) -> T:
        """Cast floating-point parameters and buffers to float16."""
        return self.to(_dtype.float16)

    def type(self: T, dst_type: Any) -> T:
        """Cast every parameter and buffer to ``dst_type`` (integer buffers too, as PyTorch)."""
        kind = _dtype.as_dtype(dst_type, "Module.type")
        return self._convert(lambda array: array.astype(kind.np_dtype, copy=False))

    def to_empty(self: T, *, device: Any, recurse: bool = True) -> T:
        """Move parameters and buffers to ``device`` (PyTorch leaves the values undefined)."""
        return self.to(device)

    def share_memory(self: T) -> T:
        """Return the module: juanji runs one process, so its arrays are shared already."""
        return self

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """Accept ``torch.compile``'s in-place form and run as before (juanji has no compiler)."""

    def cpu(self: T) -> T:
        """Move parameters and buffers to the CPU."""
        return self.to("cpu")

    def cuda(self: T) -> T:
        """Move parameters and buffers to the GPU (needs CuPy)."""
        return self.to("cuda")

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; a non-None result replaces ``args``."""
        return _add_hook(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; non-None replaces the output.

        Example:
            >>> import juanji
            >>> from juanji import nn
            >>> layer = nn.Linear(3, 2)
            >>> shapes = []
            >>> handle = layer.register_forward_hook(lambda m, args, out: shapes.append(out.shape))
            >>> _ = layer(juanji.zeros(5, 3)); handle.remove(); _ = layer(juanji.zeros(1, 3))
            >>> shapes
            [(5, 2)]
        """
        return _add_hook(self._forward_hooks, hook, prepend)

    def register_full_backward_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the input gradients are known.

        ``grad_input`` and ``grad_output`` are tuples (one entry per Tensor positional input
        and per output; None where there is no gradient); a non-None result replaces
        ``grad_input``. See ``juanji.nn._backward_hooks``.

        Example:
            >>> import juanji
            >>> from juanji import nn
            >>> layer, seen = nn.Linear(3, 2), []
            >>> _ = layer.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
            >>> layer(juanji.ones(4, 3)).sum().backward()
            >>> seen
            [(4, 2)]
        """
        return _add_hook(self.__dict__.setdefault("_backward_hooks", {}), hook, prepend)

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """The older name: registers ``hook`` as ``register_full_backward_hook`` does.

        PyTorch's non-full hook saw only the last operation of the module; juanji gives it the
        module's true gradients, which is what the full hook was introduced to fix.
        """
        return self.register_full_backward_hook(hook)

    def register_full_backward_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` before the module's backward; non-None replaces it."""
        return _add_hook(self.__dict__.setdefault("_backward_pre_hooks", {}), hook, prepend)

    # ------------------------------------------------------------------ printing
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The layer's own settings for ``repr`` (only non-defaults); subclasses override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + _indent(repr(module), 2) for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if len(extra_lines) == 1 and not child_lines:
            text += extra_lines[0]
        elif lines:
            text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"


# ---------------------------------------------------------------------- helpers
def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _indent(text: str, spaces: int) -> str:
    """Indent every line but the first (nested module reprs)."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


def _wrong_type(value: Any, kind: str, name: str, expected: str) -> TypeError:
    given = f"juanji.{type(value).__name__}" if isinstance(value, Tensor) else type(value).__name__
    return TypeError(f"cannot assign '{given}' as {kind} '{name}' ({expected} or None expected)")


def _as_array(key: str, value: Any) -> Any:
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if hasattr(value, "__cuda_array_interface__"):
        return value
    raise TypeError(
        f"load_state_dict: the value for '{key}' must be a Tensor or a NumPy array, got "
        f"{type(value).__name__} (convert torch tensors with .detach().numpy())"
    )


def _add_hook(
    hooks: dict[int, Callable[..., Any]], hook: Callable[..., Any], prepend: bool
) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        reordered = {handle.id: hook, **{k: v for k, v in hooks.items() if k != handle.id}}
        hooks.clear()
        hooks.update(reordered)
    return handle
