"""The rest of ``nn.Module``'s surface: get_buffer, set_submodule, type, state-dict hooks..."""

import numpy as np
import pytest

import juanji
from juanji import nn
from reference import torch


def test_public_methods_match_torch_s_but_the_device_and_bfloat16_ones():
    theirs = {n for n in dir(torch.nn.Module) if not n.startswith("_")}
    ours = {n for n in dir(nn.Module) if not n.startswith("_")}
    assert theirs - ours <= {"T_destination", "bfloat16", "ipu", "mtia", "xpu"}


@pytest.mark.parametrize("library", [juanji, torch])
def test_get_buffer_and_set_submodule_as_torch(library):
    model = library.nn.Sequential(library.nn.Linear(1, 1), library.nn.BatchNorm1d(1))
    assert model.get_buffer("1.running_mean").shape == (1,)
    with pytest.raises(AttributeError, match="`weight` is not a buffer"):
        model.get_buffer("0.weight")
    with pytest.raises(AttributeError, match="Linear has no attribute `nothing`"):
        model.get_buffer("0.nothing")
    model.set_submodule("0", library.nn.ReLU())
    assert isinstance(model[0], library.nn.ReLU)
    with pytest.raises(AttributeError, match="Sequential has no attribute `5`"):
        model.set_submodule("5.x", library.nn.ReLU())


def test_type_to_empty_share_memory_compile():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    assert model.type(juanji.float64) is model
    assert model[0].weight.dtype == juanji.float64
    assert model[1].num_batches_tracked.dtype == juanji.float64  # all tensors, as torch
    assert model.to_empty(device="cpu") is model and model.share_memory() is model
    assert model.compile() is None
    assert model(juanji.ones(3, 2, dtype=juanji.float64)).shape == (3, 2)


def test_register_backward_hook_is_the_full_hook():
    layer, seen = nn.Linear(3, 2), []
    layer.register_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
    layer(juanji.ones(4, 3, requires_grad=True)).sum().backward()
    assert seen == [(4, 2)]


def test_state_dict_hooks_as_torch():
    calls = []
    for library in (juanji, torch):
        layer = library.nn.Linear(2, 1)
        layer.register_state_dict_pre_hook(lambda m, prefix, keep_vars: calls.append(prefix))

        def post(module, state, prefix, metadata, zeros=library.zeros):
            state[prefix + "note"] = zeros(1)

        layer.register_state_dict_post_hook(post)
        model = library.nn.Sequential(layer)
        assert list(model.state_dict()) == ["0.weight", "0.bias", "0.note"]
    assert calls == ["0.", "0."]


def test_load_state_dict_hooks_rename_and_forgive():
    def rename(module, state, prefix, *rest):
        if prefix + "w" in state:
            state[prefix + "weight"] = state.pop(prefix + "w")

    def forgive(module, keys):
        keys.missing_keys[:] = [k for k in keys.missing_keys if not k.endswith("bias")]

    for library in (juanji, torch):
        layer = library.nn.Linear(2, 1)
        layer.register_load_state_dict_pre_hook(rename)
        layer.register_load_state_dict_post_hook(forgive)
        result = layer.load_state_dict({"w": library.ones(1, 2)})
        assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
        np.testing.assert_array_equal(layer.weight.detach().numpy(), [[1.0, 1.0]])


def test_extra_state_round_trip_as_torch():
    for library in (juanji, torch):

        class Counter(library.nn.Module):
            def __init__(self):
                super().__init__()
                self.count = 0

            def get_extra_state(self):
                return {"count": self.count}

            def set_extra_state(self, state):
                self.count = state["count"]

        source = library.nn.Sequential(Counter())
        source[0].count = 7
        state = source.state_dict()
        assert list(state) == ["0._extra_state"]
        target = library.nn.Sequential(Counter())
        target.load_state_dict(state)
        assert target[0].count == 7
