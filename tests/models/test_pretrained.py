"""torchvision's deprecated ``pretrained=`` keyword: the same warnings, then weights=None or the
weights error, for every juanji builder that torchvision has."""

import re
import sys
import types
import warnings

import pytest

import juanji.models as jm

torch = pytest.importorskip("torch")

BUILDERS = [
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "googlenet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "densenet121",
    "densenet161", "densenet169", "densenet201", "mobilenet_v2", "squeezenet1_0", "squeezenet1_1",
]  # fmt: skip


@pytest.fixture(scope="module")
def tvm():
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    return pytest.importorskip("torchvision.models")


def _messages(build):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = build()
    return result, [(w.category, str(w.message)) for w in caught]


def test_every_torchvision_builder_of_juanji_is_covered(tvm):
    ours = {name for name in dir(jm) if name in set(tvm.list_models())}
    assert ours == set(BUILDERS)


@pytest.mark.parametrize("name", ["resnet18", "squeezenet1_1", "mobilenet_v2", "googlenet"])
def test_pretrained_false_warns_as_torchvision_and_builds(tvm, name):
    kwargs = {"num_classes": 7}
    if name == "googlenet":
        kwargs["init_weights"] = False
    ours, ours_warnings = _messages(lambda: getattr(jm, name)(pretrained=False, **kwargs))
    theirs, their_warnings = _messages(lambda: getattr(tvm, name)(pretrained=False, **kwargs))
    assert ours_warnings == their_warnings and len(ours_warnings) == 2
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_warnings_point_at_the_caller():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        jm.resnet18(pretrained=False)  # through _resnet: two frames inside juanji.models
    assert len(record) == 2 and all(w.filename == __file__ for w in record)


@pytest.mark.parametrize("name", BUILDERS)
def test_pretrained_true_names_torchvision_weights_then_raises(tvm, name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=rf"{name}: weights='\w+\.IMAGENET1K_V1' cannot be"):
            getattr(jm, name)(pretrained=True)
    messages = [str(w.message) for w in caught]
    assert messages[0].startswith("The parameter 'pretrained' is deprecated since 0.13")
    enum, member = re.search(r"equivalent to passing `weights=(\w+)\.(\w+)`", messages[1]).groups()
    assert member in getattr(tvm, enum).__members__  # torchvision's own enum and member
    assert f"`weights={enum}.DEFAULT`" in messages[1]


def test_weights_given_explicitly_take_precedence():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning when weights is used
        assert type(jm.squeezenet1_1(weights=None, num_classes=3)).__name__ == "SqueezeNet"
