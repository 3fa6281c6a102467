"""The benchmark workloads, each written once for any library with PyTorch's API.

A builder takes the library module (``juanji`` or ``torch``: juanji's API is PyTorch's, so the
same lines drive both) and ``tiny`` (small shapes for the test suite), and returns a
zero-argument callable that runs the workload once. Inputs are drawn from one seeded NumPy
generator and handed to both libraries with ``from_numpy``, so both compute on the same numbers;
the LeNet models start from the same weights (juanji's, copied into PyTorch's module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

Builder = Callable[[Any, bool], Callable[[], Any]]


def juanji_api() -> Any:
    """The juanji side as a module-like namespace: what the workloads use, as ``torch.*``.

    Built from the defining modules (the package never imports its own top level).
    """
    import juanji.nn as nn  # noqa: PLC0415 - the bench sits above the whole package
    import juanji.optim as optim  # noqa: PLC0415
    from juanji.autograd.grad_mode import no_grad  # noqa: PLC0415
    from juanji.tensor.creation import from_numpy  # noqa: PLC0415

    return SimpleNamespace(
        __name__="juanji", nn=nn, optim=optim, no_grad=no_grad, from_numpy=from_numpy
    )


def is_juanji(lib: Any) -> bool:
    """Whether ``lib`` is juanji's side (``juanji_api()``) rather than PyTorch."""
    return getattr(lib, "__name__", "") == "juanji"


@dataclass(frozen=True)
class Workload:
    """One row of the table: a name, the images one call processes, and its builder."""

    name: str
    images: int
    build: Builder
    tiny_images: int = 2


def _tensor(lib: Any, array: np.ndarray, requires_grad: bool = False) -> Any:
    t = lib.from_numpy(np.ascontiguousarray(array))
    return t.requires_grad_() if requires_grad else t


def _random(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------------------------ LeNet
def lenet5(lib: Any) -> Any:
    """``juanji.models.LeNet5`` for juanji; the same layers, keys and weights for PyTorch."""
    from juanji.models import LeNet5  # noqa: PLC0415 - the bench sits above the whole package

    reference = LeNet5()
    if is_juanji(lib):
        return reference
    nn = lib.nn

    class TorchLeNet5(nn.Module):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, 5, padding=2),
                nn.ReLU(),
                nn.MaxPool2d(2, 2),
                nn.Conv2d(6, 16, 5),
                nn.ReLU(),
                nn.MaxPool2d(2, 2),
            )
            self.classifier = nn.Sequential(
                nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)
            )

        def forward(self, x: Any) -> Any:
            return self.classifier(self.features(x).flatten(1))

    model = TorchLeNet5()
    state = {k: lib.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()}
    model.load_state_dict(state)
    return model


def _lenet_batch(lib: Any, n: int) -> tuple[Any, Any]:
    images = _random((n, 1, 28, 28), seed=1)
    labels = np.random.default_rng(2).integers(0, 10, n)
    return _tensor(lib, images), _tensor(lib, labels)


def lenet5_train_step(lib: Any, tiny: bool) -> Callable[[], Any]:
    """One SGD-momentum step of LeNet5 on a batch of 128: forward, cross-entropy, backward."""
    model = lenet5(lib)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _lenet_batch(lib, 2 if tiny else 128)
    cross_entropy = lib.nn.functional.cross_entropy

    def step() -> None:
        optimizer.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def lenet5_inference(lib: Any, tiny: bool) -> Callable[[], Any]:
    """LeNet5 logits for a batch of 1000 under ``no_grad``, in eval mode."""
    model = lenet5(lib).eval()
    x, _ = _lenet_batch(lib, 2 if tiny else 1000)

    def infer() -> Any:
        with lib.no_grad():
            return model(x)

    return infer


# ------------------------------------------------------------------------------ convolution
@dataclass(frozen=True)
class ConvSpec:
    """A conv2d layer and its input: N images of C x H x H, O filters of k x k."""

    N: int
    C: int
    O: int  # noqa: E741 - the notation of _ops/conv/gemm.py
    H: int
    k: int
    stride: int = 1
    padding: int = 0
    groups: int = 1
    input_grad: bool = True  # False for a first layer, whose input is data

    def tiny(self) -> ConvSpec:
        """The same layer on 2 small images, channels capped at 4 (groups kept dividing)."""
        C = min(self.C, 4)
        groups = C if self.groups == self.C else 1
        filters = min(self.O, 4) if groups == 1 else C
        return ConvSpec(
            2, C, filters, max(self.k + 2, 8), self.k, self.stride, self.padding, groups
        )


def _conv(spec: ConvSpec, backward: bool) -> Builder:
    def build(lib: Any, tiny: bool) -> Callable[[], Any]:
        s = spec.tiny() if tiny else spec
        F = lib.nn.functional
        x = _tensor(lib, _random((s.N, s.C, s.H, s.H), 3), backward and s.input_grad)
        weight = _tensor(lib, 0.1 * _random((s.O, s.C // s.groups, s.k, s.k), 4), backward)
        bias = _tensor(lib, _random((s.O,), 5), backward)

        def forward() -> Any:
            return F.conv2d(x, weight, bias, s.stride, s.padding, 1, s.groups)

        if not backward:
            return forward
        grad = _tensor(lib, _random(tuple(forward().shape), 6))

        def forward_backward() -> None:
            x.grad = weight.grad = bias.grad = None
            forward().backward(grad)

        return forward_backward

    return build


CONV1 = ConvSpec(128, 1, 6, 28, 5, padding=2, input_grad=False)
CONV2 = ConvSpec(128, 6, 16, 14, 5)
CONV3X3 = ConvSpec(32, 64, 64, 32, 3, padding=1)
CONV7X7 = ConvSpec(32, 3, 64, 64, 7, stride=2, padding=3, input_grad=False)
DEPTHWISE = ConvSpec(32, 64, 64, 32, 3, padding=1, groups=64)
POINTWISE = ConvSpec(32, 64, 256, 16, 1)


# ------------------------------------------------------------------- ResNet basic block
def resnet_block_train_step(lib: Any, tiny: bool) -> Callable[[], Any]:
    """One SGD step of a ResNet basic block (64 channels, 16x16, BatchNorm) and a linear head.

    conv3x3-BN-ReLU-conv3x3-BN, plus the identity, ReLU, global average pool, Linear(64, 10),
    cross-entropy; batch 32. The weights are drawn here and copied into both libraries.
    """
    nn = lib.nn
    C, H, N = (4, 6, 2) if tiny else (64, 16, 32)

    class Block(nn.Module):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(C, C, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(C)
            self.conv2 = nn.Conv2d(C, C, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(C)
            self.head = nn.Linear(C, 10)

        def forward(self, x: Any) -> Any:
            out = nn.functional.relu(self.bn1(self.conv1(x)))
            out = nn.functional.relu(self.bn2(self.conv2(out)) + x)
            return self.head(nn.functional.adaptive_avg_pool2d(out, 1).flatten(1))

    model = Block()
    state = model.state_dict()
    for i, key in enumerate(sorted(state)):  # conv and linear weights drawn here, BN as built
        if key.startswith(("conv", "head")):
            state[key] = _tensor(lib, 0.1 * _random(tuple(state[key].shape), 20 + i))
    model.load_state_dict(state)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = _tensor(lib, _random((N, C, H, H), 10))
    y = _tensor(lib, np.random.default_rng(11).integers(0, 10, N))

    def step() -> None:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


# ---------------------------------------------------------------------------------- pooling
def _pool(kind: str, shape: tuple[int, ...], kernel: int, stride: int, padding: int) -> Builder:
    def build(lib: Any, tiny: bool) -> Callable[[], Any]:
        n, c, h, w = (2, 2, 8, 8) if tiny else shape
        pool = getattr(lib.nn.functional, f"{kind}_pool2d")
        x = _tensor(lib, _random((n, c, h, w), 7), True)
        grad = _tensor(lib, _random(tuple(pool(x, kernel, stride, padding).shape), 8))

        def forward_backward() -> None:
            x.grad = None
            pool(x, kernel, stride, padding).backward(grad)

        return forward_backward

    return build


LENET_MAPS = (128, 6, 28, 28)  # what LeNet's first pooling layer sees
WIDE_MAPS = (32, 64, 32, 32)

WORKLOADS: tuple[Workload, ...] = (
    Workload("lenet5 train step", 128, lenet5_train_step),
    Workload("lenet5 inference", 1000, lenet5_inference),
    Workload("conv1 fwd (1->6 5x5 p2, 28x28)", 128, _conv(CONV1, False)),
    Workload("conv1 fwd+bwd", 128, _conv(CONV1, True)),
    Workload("conv2 fwd (6->16 5x5, 14x14)", 128, _conv(CONV2, False)),
    Workload("conv2 fwd+bwd", 128, _conv(CONV2, True)),
    Workload("conv 64->64 3x3 p1 fwd (32x32)", 32, _conv(CONV3X3, False)),
    Workload("conv 64->64 3x3 p1 fwd+bwd", 32, _conv(CONV3X3, True)),
    Workload("conv 3->64 7x7 s2 fwd (64x64)", 32, _conv(CONV7X7, False)),
    Workload("conv 3->64 7x7 s2 fwd+bwd", 32, _conv(CONV7X7, True)),
    Workload("depthwise 64 3x3 fwd (32x32)", 32, _conv(DEPTHWISE, False)),
    Workload("depthwise 64 3x3 fwd+bwd", 32, _conv(DEPTHWISE, True)),
    Workload("conv 64->256 1x1 fwd (16x16)", 32, _conv(POINTWISE, False)),
    Workload("conv 64->256 1x1 fwd+bwd", 32, _conv(POINTWISE, True)),
    Workload("resnet basic block train step", 32, resnet_block_train_step),
    Workload("maxpool 2x2 fwd+bwd (6x28x28)", 128, _pool("max", LENET_MAPS, 2, 2, 0)),
    Workload("avgpool 2x2 fwd+bwd (6x28x28)", 128, _pool("avg", LENET_MAPS, 2, 2, 0)),
    Workload("maxpool 3x3 s2 fwd+bwd (64x32x32)", 32, _pool("max", WIDE_MAPS, 3, 2, 1)),
    Workload("avgpool 3x3 s2 fwd+bwd (64x32x32)", 32, _pool("avg", WIDE_MAPS, 3, 2, 1)),
)
