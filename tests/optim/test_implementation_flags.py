"""PyTorch's implementation switches (foreach, fused, capturable, differentiable): the same
signatures as torch; accepted where they change nothing, refused where they would."""

import inspect

import numpy as np
import pytest

import juanji
from juanji import optim

torch = pytest.importorskip("torch")

from reference import run_optimizers  # noqa: E402 - after the torch check

NAMES = ["SGD", "Adam", "AdamW", "Adadelta", "Adagrad", "RMSprop", "Adamax", "NAdam", "RAdam",
         "Rprop", "ASGD"]  # fmt: skip
TOLERANCE = {np.float64: dict(rtol=1e-11, atol=1e-12)}


@pytest.mark.parametrize("name", NAMES + ["LBFGS"])
def test_signature_equals_torch(name):
    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    assert list(ours) == list(theirs)
    for arg in ours:
        assert ours[arg].default == theirs[arg].default, arg
        assert ours[arg].kind == theirs[arg].kind, arg


@pytest.mark.parametrize("name", NAMES)
def test_group_keys_equal_torch_but_the_switches(name):
    # The switches change nothing in juanji and stay out of the groups, so runs saved before
    # they were accepted still resume (apps.training compares the groups' keys).
    flags = {"foreach": True}
    if "fused" in inspect.signature(getattr(torch.optim, name)).parameters:
        flags = {"fused": True}
    ours = getattr(optim, name)([juanji.zeros(2, requires_grad=True)], **flags)
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **flags)
    switches = {"foreach", "fused", "capturable", "differentiable"}
    assert set(ours.param_groups[0]) == set(theirs.param_groups[0]) - switches


@pytest.mark.parametrize("name", NAMES)
def test_switches_leave_the_trajectory_unchanged(name):
    signature = inspect.signature(getattr(torch.optim, name)).parameters
    kwargs = {"fused": True} if "fused" in signature else {}
    run_optimizers(lambda lib: getattr(lib, name), kwargs, np.float64, TOLERANCE, steps=4)


@pytest.mark.parametrize("name", NAMES)
def test_refusals(name):
    signature = inspect.signature(getattr(torch.optim, name)).parameters
    params = [juanji.zeros(2, requires_grad=True)]
    make = getattr(optim, name)
    if "fused" in signature:
        with pytest.raises(RuntimeError, match=f"{name}: `fused` and `foreach` cannot be `True`"):
            make(params, fused=True, foreach=True)
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
            getattr(torch.optim, name)(
                [torch.zeros(2, requires_grad=True)], fused=True, foreach=True
            )
    if "capturable" in signature:
        with pytest.raises(ValueError, match=f"{name}: capturable=True is for CUDA graphs"):
            make(params, capturable=True)
    with pytest.raises(NotImplementedError, match=f"{name}: differentiable=True is not supported"):
        make(params, differentiable=True)


def test_the_unet_scripts_line():
    model = juanji.nn.Conv2d(1, 1, 3)
    opt = optim.RMSprop(
        model.parameters(), lr=1e-5, weight_decay=1e-8, momentum=0.999, foreach=True
    )
    assert opt.param_groups[0]["momentum"] == 0.999 and "foreach" not in opt.param_groups[0]
