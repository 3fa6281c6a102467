"""The new functions and layers of issue 10 (items 3, 4) have PyTorch's names and signatures."""

import inspect

import pytest

import juanji.nn as nn
import juanji.nn.functional as F
from reference import torch

TRANSPOSE = ["input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation"]
DOCUMENTED = {  # C builtins in PyTorch: their documented signatures
    "conv_transpose1d": TRANSPOSE,
    "conv_transpose2d": TRANSPOSE,
    "conv_transpose3d": TRANSPOSE,
    "pixel_shuffle": ["input", "upscale_factor"],
    "pixel_unshuffle": ["input", "downscale_factor"],
}
FUNCTIONS = sorted(
    set(DOCUMENTED)
    | {f"max_unpool{S}d" for S in (1, 2, 3)}
    | {f"lp_pool{S}d" for S in (1, 2, 3)}
    | {"interpolate", "upsample", "upsample_nearest", "upsample_bilinear"}
)
MODULES = sorted(
    [f"{kind}{S}d" for kind in ("ConvTranspose", "MaxUnpool", "LPPool") for S in (1, 2, 3)]
    + [
        f"{kind}{S}d"
        for kind in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")
        for S in (1, 2, 3)
    ]
    + ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle"]
)


def _names(fn):
    return list(inspect.signature(fn).parameters)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functional_signature_is_pytorchs(name):
    reference = DOCUMENTED.get(name) or _names(getattr(torch.nn.functional, name))
    assert _names(getattr(F, name)) == reference
    assert name in F.__all__


@pytest.mark.parametrize("name", MODULES)
def test_module_constructor_and_forward_are_pytorchs(name):
    ours, theirs = getattr(nn, name), getattr(torch.nn, name)
    assert _names(ours.__init__) == _names(theirs.__init__)
    assert _names(ours.forward) == _names(theirs.forward)
    assert name in nn.__all__
