"""random: Generator honours its device argument (or refuses it clearly)."""

import pytest

import juanji
from juanji.backend import Device, cupy_or_none


@pytest.mark.parametrize("spec", ["cpu", Device("cpu"), juanji.device("cpu")])
def test_generator_keeps_a_cpu_device(spec):
    g = juanji.Generator(device=spec)
    assert g.device == Device("cpu") and g.device.type == "cpu"
    assert juanji.Generator().device == "cpu"


def test_generator_on_a_cpu_device_draws_the_same_stream_as_the_default_device():
    a = juanji.Generator(device="cpu").manual_seed(3).numpy.random(4)
    b = juanji.Generator().manual_seed(3).numpy.random(4)
    assert (a == b).all()


@pytest.mark.skipif(cupy_or_none() is not None, reason="CuPy and a GPU are present")
def test_generator_refuses_cuda_without_cupy():
    with pytest.raises(RuntimeError, match=r"Generator: device 'cuda' needs CuPy"):
        juanji.Generator(device="cuda")


@pytest.mark.gpu
@pytest.mark.skipif(cupy_or_none() is None, reason="needs CuPy and a GPU")
def test_generator_on_cuda_reports_its_device():
    assert juanji.Generator(device="cuda").device.type == "cuda"


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ("tpu", ValueError, r"Generator: device: expected 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
        (3.5, TypeError, r"Generator: device: expected a string like 'cpu'"),
    ],
)
def test_generator_refuses_unknown_devices_with_a_message_naming_it(spec, error, message):
    with pytest.raises(error, match=message):
        juanji.Generator(device=spec)
