"""The compatibility suite: each program runs under PyTorch and under juanji, results compared.

``pytest tests/compat`` ends with a line "compat: N programs run / M collected" (conftest.py).
Programs waiting for another branch are strict xfails whose reason names what they need.
"""

from __future__ import annotations

import pytest
from tests.compat import programs_d2l, programs_pending, programs_scripts, programs_surface
from tests.compat.harness import run_both

pytest.importorskip("torch")


def _programs(module):
    return [
        getattr(module, name)
        for name in dir(module)
        if callable(getattr(module, name))
        and getattr(getattr(module, name), "__module__", "") == module.__name__
        and not name.startswith("_")
    ]


PENDING = {
    "resnet_residual_with_batchnorm": "needs nn.BatchNorm2d (branch h4)",
    "torchvision_init_references_norm_layers": "needs nn.BatchNorm2d and nn.GroupNorm (branch h4)",
    "d2l_lazy_lenet": "needs nn.LazyConv2d and nn.LazyLinear (branch h4/h5)",
    "dcgan_generator_and_discriminator": (
        "needs nn.ConvTranspose2d (branch h1), nn.BatchNorm2d (h4), nn.BCELoss (h5)"
    ),
    "cyclegan_reflection_pad_instance_norm": (
        "needs nn.ReflectionPad2d, nn.InstanceNorm2d, nn.Dropout2d (branches h4/h5)"
    ),
    "mobilenet_relu6_and_upsample": "needs nn.ReLU6 and F.interpolate (branch h5)",
    "examples_mnist_adadelta_steplr": "needs optim.Adadelta (branch h7)",
    "checkpoint_save_and_load": "needs torch.save / torch.load (branch h7)",
}

PROGRAMS = [
    *_programs(programs_d2l),
    *_programs(programs_scripts),
    *_programs(programs_surface),
]
PENDING_PROGRAMS = _programs(programs_pending)
assert {p.__name__ for p in PENDING_PROGRAMS} == set(PENDING), "every pending program has a reason"


def _param(program):
    reason = PENDING.get(program.__name__)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(program, id=program.__name__, marks=marks)


@pytest.mark.parametrize("program", [_param(p) for p in PROGRAMS + PENDING_PROGRAMS])
def test_program_matches_torch(program):
    run_both(program)
