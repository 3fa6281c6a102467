"""A ``.pt`` that torch writes for each torchvision-backed juanji model gives torch's outputs.

``test_torch_format`` checks that every model's state_dict crosses ``torch.save`` ->
``juanji.load`` bit for bit, and ``models/test_torchvision`` that torchvision's weights give
torchvision's outputs; this joins the two ends: the file torch writes from its own model
(random weights, BatchNorm statistics moved off their defaults) is read by ``juanji.load``
into the juanji model, whose eval output is compared with torch's.
"""

import sys
import types

import numpy as np
import pytest

import juanji
import juanji.models as jm

torch = pytest.importorskip("torch")

# One model per torchvision family, at 64x64 for speed. AlexNet and VGG are left out: their
# layers (conv, ReLU, max pool, BatchNorm, Linear, dropout) all occur below, and building their
# 60-130 million parameters twice takes 10-25 s each on a CI core (measured).
FAMILIES = [
    ("googlenet", {"aux_logits": False, "init_weights": True}),
    ("resnet18", {}),
    ("densenet121", {}),
    ("mobilenet_v2", {}),
    ("squeezenet1_1", {}),
]


@pytest.fixture(scope="module")
def tvm():
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    return pytest.importorskip("torchvision.models")


@pytest.mark.parametrize(("name", "kwargs"), FAMILIES)
def test_torch_written_file_gives_torch_outputs(tvm, tmp_path, name, kwargs):
    torch.manual_seed(0)
    theirs = getattr(tvm, name)(num_classes=10, **kwargs).eval()
    generator = torch.Generator().manual_seed(1)
    for module in theirs.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.1, generator=generator)
            module.running_var.uniform_(0.5, 1.5, generator=generator)
    torch.save(theirs.state_dict(), tmp_path / f"{name}.pth")
    ours = getattr(jm, name)(num_classes=10, **kwargs).eval()
    ours.load_state_dict(juanji.load(tmp_path / f"{name}.pth", weights_only=True))
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    got = ours(juanji.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
