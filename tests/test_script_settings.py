"""The settings PyTorch scripts write on their first lines, answered as a CPU-only PyTorch."""

import warnings

import pytest

import juanji
from reference import torch


def test_memory_formats_are_accepted_and_change_nothing():
    for lib in (juanji, torch):
        x = lib.ones(2, 3, 4, 5)
        fmt = lib.channels_last
        for y in (x.to(memory_format=fmt), x.contiguous(memory_format=fmt)):
            assert tuple(y.shape) == (2, 3, 4, 5) and y.sum().item() == 120.0
        lib.nn.Conv2d(3, 4, 3).to(memory_format=lib.channels_last)
    assert repr(juanji.channels_last) == "juanji.channels_last"
    with pytest.raises(TypeError, match="memory_format"):
        juanji.ones(2).contiguous(memory_format="channels_last")


def test_default_device_and_determinism_switches():
    for lib in (juanji, torch):
        lib.set_default_device("cpu")
        assert str(lib.get_default_device()) == "cpu"
        assert lib.are_deterministic_algorithms_enabled() is False
        lib.use_deterministic_algorithms(True, warn_only=True)
        assert lib.are_deterministic_algorithms_enabled() is True
        assert lib.is_deterministic_algorithms_warn_only_enabled() is True
        lib.use_deterministic_algorithms(False)
        assert lib.are_deterministic_algorithms_enabled() is False
    with pytest.raises(RuntimeError, match="CPU"):
        juanji.set_default_device("meta")


@pytest.mark.skipif(torch.cuda.is_available(), reason="compares with a CPU-only PyTorch")
def test_amp_without_cuda_warns_and_then_does_nothing():
    for lib in (juanji, torch):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            scaler = lib.cuda.amp.GradScaler()
        assert scaler.is_enabled() is False and scaler.get_scale() == 1.0
        assert scaler.state_dict() == {}
        w = lib.tensor([1.0], requires_grad=True)
        optimizer = lib.optim.SGD([w], lr=0.5)
        loss = (w * 3).sum()
        assert scaler.scale(loss) is loss
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        assert w.item() == -0.5
        with pytest.warns(UserWarning, match="Disabling autocast"), lib.autocast("cuda"):
            pass
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        juanji.amp.GradScaler(enabled=False)  # asked off: no warning


def test_accelerator_answers_as_without_a_gpu():
    if juanji.cuda.is_available():
        pytest.skip("a GPU is present")
    assert juanji.accelerator.is_available() is False
    assert juanji.accelerator.current_accelerator() is None
    assert juanji.accelerator.device_count() == 0
