"""The modern-CNN chapter at MNIST/CIFAR size: shapes, parameter counts by hand, registry."""

import numpy as np
import pytest

import juanji
import juanji.models as jm


def _count(model):
    return sum(int(np.prod(p.shape)) for p in model.parameters())


@pytest.mark.parametrize("name", ["lenet5-bn", "nin", "vgg-small", "googlenet-small",
                                  "resnet18-small", "resnet20", "densenet-small"])
@pytest.mark.parametrize("in_channels", [1, 3])
def test_small_models_map_their_input_size_to_ten_logits_and_train(name, in_channels):
    juanji.manual_seed(0)
    kwargs = {"width": 8} if name == "resnet18-small" else {}
    model = jm.get_model(name, in_channels=in_channels, **kwargs)
    assert model.input_size == ((1, 28, 28) if in_channels == 1 else (3, 32, 32))
    x = juanji.randn(4, *model.input_size)
    out = model(x)
    assert out.shape == (4, 10)
    juanji.nn.functional.cross_entropy(out, juanji.tensor([0, 1, 2, 3])).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_resnet20_has_the_papers_parameter_count():
    # He et al. 2016, Table 6: 0.27 M. Option A shortcuts have no parameters, so by hand:
    # stem 3*16*9 + BN 32; each basic block 2 convs + 2 BNs; fc 64*10 + 10.
    def block(cin, c):
        return cin * c * 9 + c * c * 9 + 4 * c
    stem = 3 * 16 * 9 + 2 * 16
    stages = 3 * block(16, 16) + block(16, 32) + 2 * block(32, 32)
    stages += block(32, 64) + 2 * block(64, 64)
    assert _count(jm.resnet20()) == stem + stages + 64 * 10 + 10 == 269_722


def test_cifar_resnet_refuses_a_depth_that_is_not_6n_plus_2():
    with pytest.raises(ValueError, match="depth must be 6n\\+2"):
        jm.CifarResNet(depth=21)


def test_option_a_shortcut_subsamples_and_pads_channels_with_zeros():
    model = jm.resnet20()
    shortcut = model.layer2[0].downsample
    x = juanji.arange(2 * 16 * 4 * 4, dtype=juanji.float32).reshape(2, 16, 4, 4)
    y = shortcut(x).numpy()
    assert y.shape == (2, 32, 2, 2)
    np.testing.assert_array_equal(y[:, 8:24], x.numpy()[:, :, ::2, ::2])
    assert not y[:, :8].any() and not y[:, 24:].any()


def test_every_registered_model_builds_by_name_with_underscores_or_hyphens():
    names = jm.list_models()
    assert {"resnet18", "vgg11-bn", "mobilenet-v2", "resnet20", "nin"} <= set(names)
    assert type(jm.get_model("VGG11_BN", num_classes=3)).__name__ == "VGG"


def test_s2d_vgg_by_hand_and_against_the_same_layers_in_torch():
    """Fashion-MNIST's network: parameters by hand; one float64 train step equal to PyTorch's
    with the layer list built from torch.nn."""
    torch = pytest.importorskip("torch")
    # convs 4->32, 32->64, 64->128, 128->128 (3x3, no bias), 2 BN values per channel, fc 128->10
    by_hand = (4 * 32 + 32 * 64 + 64 * 128 + 128 * 128) * 9 + 2 * (32 + 64 + 128 + 128) + 1290
    model = jm.get_model("s2d-vgg")
    assert _count(model) == by_hand == 242_762 and model.input_size == (1, 28, 28)
    theirs = torch.nn.Sequential(*jm.s2d_vgg_layers(torch.nn)).double()
    model = model.double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in model.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 1, 28, 28))
    y = np.array([0, 1, 2, 3, 4, 5])
    ours_loss = juanji.nn.functional.cross_entropy(model(juanji.tensor(x)), juanji.tensor(y),
                                                   label_smoothing=0.1)
    their_loss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)),
                                                   torch.from_numpy(y), label_smoothing=0.1)
    ours_loss.backward()
    their_loss.backward()
    np.testing.assert_allclose(ours_loss.item(), their_loss.item(), rtol=1e-10)
    theirs_grads = dict(theirs.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_grads[name].grad.numpy(),
                                   rtol=1e-7, atol=1e-10, err_msg=name)
