"""``Sequential``, ``ModuleList`` and ``ModuleDict``: PyTorch's indexing, naming and repr."""

from collections import OrderedDict

import pytest

import juanji
from juanji import nn
from reference import torch


def three(lib):
    return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1))


def test_sequential_runs_in_order():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    x = juanji.randn(4, 2)
    assert model(x).equal(model[1](model[0](x)))
    assert nn.Sequential()(x) is x


def test_sequential_indexing_like_torch():
    ours, theirs = three(juanji), three(torch)
    assert len(ours) == 3
    assert ours[-1] is ours[2] and isinstance(ours[1], nn.ReLU)
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    for index in (slice(1, None), slice(None, None, 2), slice(-2, None)):
        piece = ours[index]
        assert isinstance(piece, nn.Sequential)
        assert list(piece._modules) == list(theirs[index]._modules)  # keys are kept
        assert repr(piece) == repr(theirs[index])
    assert ours[1:][0] is ours[1]  # slices share the modules
    with pytest.raises(IndexError, match=r"index 3 is out of range"):
        ours[3]
    with pytest.raises(IndexError, match=r"index -4 is out of range"):
        ours[-4]
    with pytest.raises(TypeError, match=r"Sequential indices must be integers or slices"):
        ours["0"]


def test_sequential_from_ordered_dict_names_the_state_dict():
    def build(lib):
        return lib.nn.Sequential(
            OrderedDict([("conv", lib.nn.Conv2d(1, 2, 3)), ("act", lib.nn.ReLU())])
        )

    ours, theirs = build(juanji), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["conv.weight", "conv.bias"]
    assert ours.conv is ours[0]
    assert repr(ours) == repr(theirs)


def test_sequential_mutation_like_torch():
    ours, theirs = three(juanji), three(torch)
    for model, lib in ((ours, juanji), (theirs, torch)):
        model.append(lib.nn.Tanh())
        model.insert(0, lib.nn.Sigmoid())
        model.insert(-1, lib.nn.Identity())
        model.extend([lib.nn.ReLU()])
        model[1] = lib.nn.Linear(2, 5)
        del model[2]
        del model[-2:]
    assert repr(ours) == repr(theirs)
    assert list(ours._modules) == [str(i) for i in range(len(ours))]
    with pytest.raises(IndexError):
        ours.insert(10, nn.ReLU())
    with pytest.raises(TypeError, match=r"module should be of type Module"):
        ours.insert(0, "relu")


def test_module_list_like_torch():
    def build(lib):
        layers = lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)])
        layers.append(lib.nn.ReLU())
        layers += [lib.nn.Tanh()]
        layers.insert(1, lib.nn.Sigmoid())
        del layers[0]
        return layers

    ours, theirs = build(juanji), build(torch)
    assert repr(ours) == repr(theirs)  # includes PyTorch's "(1-2): 2 x Linear(...)" grouping
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours[1:3], nn.ModuleList) and len(ours[1:3]) == 2
    assert ours[-1] is ours[len(ours) - 1]
    ours[0] = nn.Identity()
    assert isinstance(ours[0], nn.Identity)
    del ours[1:3]
    assert list(ours._modules) == ["0", "1", "2"]
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"
    with pytest.raises(TypeError, match=r"ModuleList.extend should be called with an iterable"):
        ours.extend(nn.ReLU())
    with pytest.raises(NotImplementedError, match=r"missing the required \"forward\""):
        ours(juanji.zeros(1))


def test_module_dict_like_torch():
    def build(lib):
        heads = lib.nn.ModuleDict({"digit": lib.nn.Linear(8, 10)})
        heads["parity"] = lib.nn.Linear(8, 2)
        heads.update([("extra", lib.nn.ReLU())])
        return heads

    ours, theirs = build(juanji), build(torch)
    assert repr(ours) == repr(theirs)
    assert list(ours) == list(ours.keys()) == ["digit", "parity", "extra"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "parity" in ours and len(ours) == 3
    assert [k for k, _ in ours.items()] == list(ours.keys())
    assert isinstance(ours.pop("extra"), nn.ReLU) and "extra" not in ours
    assert len(list(ours.values())) == 2
    del ours["parity"]
    ours.clear()
    assert len(ours) == 0
    with pytest.raises(KeyError):
        ours["missing"]


def test_plain_list_of_layers_is_not_registered_but_module_list_is():
    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

    class Registered(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2)])

    assert list(Plain().parameters()) == []
    assert [n for n, _ in Registered().named_parameters()] == ["layers.0.weight", "layers.0.bias"]
