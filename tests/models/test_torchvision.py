"""juanji.models against torchvision 0.28: parameter counts, state_dict keys, outputs, a step.

torchvision's compiled ops do not load against the CPU build of torch used here, and its model
files need none of them, so the import stubs the module that registers them (test-only).
"""

import sys
import types

import numpy as np
import pytest

import juanji
import juanji.models as jm

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tvm():
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    return pytest.importorskip("torchvision.models")


# builder, kwargs, the parameter count (at the default 1000 classes) or None
COUNTS = [
    ("alexnet", {}, 61_100_840),
    ("vgg11", {}, 132_863_336),
    ("vgg11_bn", {}, None),
    ("vgg13", {}, None),
    ("vgg16_bn", {}, None),
    ("vgg19", {}, None),
    ("googlenet", {"aux_logits": False, "init_weights": True}, 6_624_904),
    ("googlenet", {"aux_logits": True, "init_weights": True}, None),
    ("resnet18", {}, 11_689_512),
    ("resnet34", {}, None),
    ("resnet50", {}, None),
    ("resnet101", {}, None),
    ("densenet121", {}, 7_978_856),
    ("mobilenet_v2", {}, 3_504_872),
    ("squeezenet1_0", {}, None),
    ("squeezenet1_1", {}, None),
]


def _count(model):
    return sum(int(np.prod(p.shape)) for p in model.parameters())


@pytest.mark.parametrize(("name", "kwargs", "expected"), COUNTS)
def test_parameter_count_and_state_dict_keys_equal_torchvision(tvm, name, kwargs, expected):
    kwargs = {**kwargs, "num_classes": 10} if expected is None else kwargs
    ours, theirs = getattr(jm, name)(**kwargs), getattr(tvm, name)(**kwargs)
    assert _count(ours) == sum(p.numel() for p in theirs.parameters())
    if expected is not None:
        assert _count(ours) == expected
    mine = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    assert mine == {k: tuple(v.shape) for k, v in theirs.state_dict().items()}


def _copy_weights(theirs, ours):
    ours.load_state_dict({k: juanji.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})


# builder, kwargs, input shape: small for speed, but large enough that the last BatchNorm
# sees a few values per channel in train mode (with 1x1 maps and a batch of 2 it normalises
# two numbers, which makes the step chaotic in float32 for both libraries).
OUTPUTS = [
    ("alexnet", {}, (4, 3, 64, 64)),
    ("vgg11_bn", {}, (4, 3, 64, 64)),
    ("googlenet", {"aux_logits": True, "init_weights": True}, (4, 3, 64, 64)),
    ("googlenet", {"aux_logits": False, "init_weights": True, "transform_input": True},
     (4, 3, 64, 64)),
    ("resnet18", {}, (4, 3, 64, 64)),
    ("resnet50", {"zero_init_residual": True}, (4, 3, 64, 64)),
    ("densenet121", {}, (4, 3, 64, 64)),
    ("mobilenet_v2", {}, (4, 3, 64, 64)),
    ("squeezenet1_0", {}, (4, 3, 64, 64)),
    ("squeezenet1_1", {}, (4, 3, 64, 64)),
]


def _close(actual, expected, what, floor=0.0, tol=1e-3):
    """Equal to float32 accuracy, measured against the tensor's own scale (or ``floor``).

    ``floor`` is for gradients that are zero in exact arithmetic (a conv bias that BatchNorm
    removes): both libraries leave rounding noise there, far below the model's real gradients.
    """
    scale = max(float(np.abs(expected).max()), floor) + 1e-12
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale, err_msg=what)


@pytest.mark.parametrize(("name", "kwargs", "shape"), OUTPUTS)
def test_torchvision_weights_give_torchvision_outputs_and_the_same_train_step(
    tvm, name, kwargs, shape
):
    torch.manual_seed(0)
    theirs = getattr(tvm, name)(num_classes=10, **kwargs)
    ours = getattr(jm, name)(num_classes=10, **kwargs)
    _copy_weights(theirs, ours)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    theirs.eval(), ours.eval()
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    _close(ours(juanji.tensor(x)).detach().numpy(), expected, "eval output", tol=1e-4)
    # One SGD step in train mode (BatchNorm batch statistics; dropout off for comparability):
    # the loss, every parameter's gradient, the running statistics, the stepped weights. In
    # float64: a float32 gradient summed over a deep net has rounding noise of about 1 % in
    # its small entries, in PyTorch as in juanji, which would hide a real difference.
    theirs, ours, x = theirs.double(), ours.double(), x.astype(np.float64)
    for model in (theirs, ours):
        model.train()
        for m in model.modules():
            if type(m).__name__ == "Dropout":
                m.p = 0.0
    y = np.array([1, 7, 3, 0])
    out_t = theirs(torch.tensor(x))
    out_j = ours(juanji.tensor(x))
    if isinstance(out_t, tuple):  # GoogLeNetOutputs: the loss torchvision's reference uses
        loss_t = sum(w * torch.nn.functional.cross_entropy(o, torch.tensor(y))
                     for w, o in zip((1, 0.3, 0.3), out_t, strict=True))
        loss_j = sum(w * juanji.nn.functional.cross_entropy(o, juanji.tensor(y))
                     for w, o in zip((1, 0.3, 0.3), out_j, strict=True))
    else:
        loss_t = torch.nn.functional.cross_entropy(out_t, torch.tensor(y))
        loss_j = juanji.nn.functional.cross_entropy(out_j, juanji.tensor(y))
    np.testing.assert_allclose(loss_j.item(), loss_t.item(), rtol=1e-4)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)
    opt_j = juanji.optim.SGD(ours.parameters(), lr=0.01, momentum=0.9)
    loss_t.backward(), loss_j.backward()
    grads_t = dict(theirs.named_parameters())
    floor = 1e-3 * max(float(p.grad.abs().max()) for p in theirs.parameters())
    for key, p in ours.named_parameters():
        _close(p.grad.numpy(), grads_t[key].grad.numpy(), f"grad of {key}", floor, tol=1e-7)
    opt_t.step(), opt_j.step()
    sd_t = theirs.state_dict()
    for key, value in ours.state_dict().items():
        _close(value.detach().numpy(), sd_t[key].numpy(), key, floor=1e-6, tol=1e-7)


def test_weights_other_than_none_say_how_to_load_a_local_state_dict():
    with pytest.raises(ValueError, match=r"resnet18: weights='IMAGENET1K_V1'.*load_state_dict"):
        jm.resnet18(weights="IMAGENET1K_V1")


def test_googlenet_returns_aux_outputs_only_in_training():
    model = jm.googlenet(num_classes=5, init_weights=True)
    x = juanji.randn(2, 3, 48, 48)
    out = model(x)
    assert type(out).__name__ == "GoogLeNetOutputs" and out.aux_logits1.shape == (2, 5)
    model.eval()
    assert model(x).shape == (2, 5)
