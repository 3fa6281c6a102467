"""juanji.save / juanji.load against torch.save / torch.load, both ways, and hostile files."""

import io
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import juanji
from juanji import nn
from juanji.errors import CheckpointError
from juanji.serialization._pickle import UnsafePickleError

torch = pytest.importorskip("torch")

DTYPES = [
    (torch.float32, np.float32),
    (torch.float64, np.float64),
    (torch.float16, np.float16),
    (torch.int8, np.int8),
    (torch.int16, np.int16),
    (torch.int32, np.int32),
    (torch.int64, np.int64),
    (torch.uint8, np.uint8),
    (torch.bool, np.bool_),
]


def torch_model():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 3)
    )


def juanji_model():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def test_torch_state_dict_loads_into_the_juanji_model_and_gives_torch_outputs(tmp_path):
    path = tmp_path / "model.pt"
    reference = torch_model()
    torch.save(reference.state_dict(), path)
    model = juanji_model()
    model.load_state_dict(juanji.load(path, weights_only=True))
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(
        model(juanji.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6
    )


def test_juanji_checkpoint_loads_in_torch_weights_only(tmp_path):
    path = tmp_path / "checkpoint.pth"
    model = juanji_model()
    opt = juanji.optim.Adam(model.parameters(), lr=0.01)
    model(juanji.randn(2, 1, 6, 6)).sum().backward()
    opt.step()
    juanji.save(
        {
            "epoch": 5,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(),
            "loss": 0.25,
            "tags": ("a", None, True),
        },
        path,
    )
    loaded = torch.load(path, weights_only=True)
    assert loaded["epoch"] == 5 and loaded["loss"] == 0.25 and loaded["tags"] == ("a", None, True)
    reference = torch_model()
    reference.load_state_dict(loaded["model_state_dict"])
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(reference.state_dict()[name].numpy(), value.detach().numpy())
    state = loaded["optimizer_state_dict"]
    assert state["param_groups"][0]["lr"] == 0.01
    np.testing.assert_array_equal(
        state["state"][0]["exp_avg"].numpy(), opt.state_dict()["state"][0]["exp_avg"].numpy()
    )


def test_torch_checkpoint_dict_round_trips_into_juanji_optimizer(tmp_path):
    path = tmp_path / "checkpoint.pt"
    reference = torch_model()
    topt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    reference(torch.randn(2, 1, 6, 6)).sum().backward()
    topt.step()
    torch.save(
        {
            "epoch": 2,
            "model_state_dict": reference.state_dict(),
            "optimizer_state_dict": topt.state_dict(),
            "loss": 1.5,
        },
        path,
    )
    checkpoint = juanji.load(path, map_location="cpu", weights_only=True)
    model = juanji_model()
    model.load_state_dict(checkpoint["model_state_dict"])
    opt = juanji.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    opt.load_state_dict(checkpoint["optimizer_state_dict"])
    assert opt.param_groups[0]["lr"] == 0.1 and checkpoint["epoch"] == 2
    buffer = opt.state[next(iter(model.parameters()))]["momentum_buffer"]
    np.testing.assert_array_equal(buffer.numpy(), topt.state_dict()["state"][0]["momentum_buffer"])


@pytest.mark.parametrize(("tdtype", "ndtype"), DTYPES, ids=lambda d: str(d))
def test_every_dtype_both_ways(tmp_path, tdtype, ndtype):
    values = torch.arange(-3, 9).reshape(3, 4) % (2 if tdtype == torch.bool else 100)
    tensor = values.to(tdtype)
    torch.save({"x": tensor}, tmp_path / "t.pt")
    ours = juanji.load(tmp_path / "t.pt")["x"]
    assert ours.numpy().dtype == ndtype
    np.testing.assert_array_equal(ours.numpy(), tensor.numpy())
    juanji.save({"x": ours}, tmp_path / "j.pt")
    back = torch.load(tmp_path / "j.pt", weights_only=True)["x"]
    assert back.dtype == tdtype
    assert torch.equal(back, tensor)


def test_bfloat16_becomes_float32_exactly_with_a_warning(tmp_path):
    tensor = torch.tensor([1.5, -2.25, 3e38, 1e-3], dtype=torch.bfloat16)
    torch.save(tensor, tmp_path / "b.pt")
    with pytest.warns(UserWarning, match="bfloat16 tensors become float32"):
        ours = juanji.load(tmp_path / "b.pt")
    np.testing.assert_array_equal(ours.numpy(), tensor.float().numpy())


def test_views_into_shared_storages_load_with_their_offsets_and_strides(tmp_path):
    base = torch.arange(24.0).reshape(4, 6)
    views = {
        "t": base.t(),
        "slice": base[1:, ::2],
        "offset": base.view(-1)[5:11],
        "scalar": base[2, 3],
        "empty": base[:0],
        "expand": torch.ones(3)[None].expand(4, 3),
    }
    torch.save(views, tmp_path / "v.pt")
    loaded = juanji.load(tmp_path / "v.pt")
    for name, view in views.items():
        assert loaded[name].shape == tuple(view.shape), name
        np.testing.assert_array_equal(loaded[name].numpy(), view.numpy(), err_msg=name)


def test_parameters_and_nested_containers_round_trip(tmp_path):
    w = nn.Parameter(juanji.randn(2, 3))
    obj = {
        "p": w,
        "frozen": nn.Parameter(juanji.ones(2), requires_grad=False),
        "list": [1, 2.5, [juanji.tensor([1, 2])], {"deep": (juanji.zeros(0), "s")}],
        "same": [w, w],
        "set": {1, 2},
        "c": 1 + 2j,
        "none": None,
        "bytes": b"\x00\xff",
    }
    juanji.save(obj, tmp_path / "n.pt")
    for loaded in (
        juanji.load(tmp_path / "n.pt"),
        torch.load(tmp_path / "n.pt", weights_only=True),
    ):
        assert isinstance(loaded["p"], (nn.Parameter, torch.nn.Parameter))
        assert loaded["p"].requires_grad and not loaded["frozen"].requires_grad
        np.testing.assert_array_equal(np.asarray(loaded["p"].detach().numpy()), w.detach().numpy())
        assert loaded["list"][:2] == [1, 2.5] and loaded["list"][3]["deep"][1] == "s"
        assert loaded["set"] == {1, 2} and loaded["c"] == 1 + 2j and loaded["bytes"] == b"\x00\xff"
        assert loaded["same"][0] is loaded["same"][1] is loaded["p"]  # one tensor, written once


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(0, 4), max_size=4),
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.uint8]),
    seed=st.integers(0, 2**16),
)
def test_random_tensors_round_trip_juanji_to_juanji_and_torch(shape, dtype, seed):
    array = (np.random.default_rng(seed).standard_normal(shape) * 50).astype(dtype)
    buffer = io.BytesIO()
    juanji.save({"a": juanji.tensor(array), "n": [int(seed)]}, buffer)
    buffer.seek(0)
    ours = juanji.load(buffer)
    np.testing.assert_array_equal(ours["a"].numpy(), array)
    assert ours["a"].numpy().dtype == dtype and ours["n"] == [seed]
    buffer.seek(0)
    np.testing.assert_array_equal(torch.load(buffer, weights_only=True)["a"].numpy(), array)


def test_storages_are_64_byte_aligned_like_torch(tmp_path):
    juanji.save({"a": juanji.ones(3), "b": juanji.ones(5, dtype=juanji.float64)}, tmp_path / "a.pt")
    with zipfile.ZipFile(tmp_path / "a.pt") as archive:
        for info in archive.infolist():
            start = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert start % 64 == 0, info.filename
    assert torch.load(tmp_path / "a.pt", weights_only=True, mmap=True)["b"].sum() == 5


class _Hostile:
    def __reduce__(self):
        return (os.system, ("echo pwned > hostile-ran",))


def _zip_with_pickle(path, payload):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/version", "3\n")


def test_a_hostile_pickle_is_refused_before_it_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _zip_with_pickle(tmp_path / "evil.pt", pickle.dumps({"w": _Hostile()}, protocol=2))
    with pytest.raises(UnsafePickleError, match=r"names (posix|os|nt)\.system") as info:
        juanji.load(tmp_path / "evil.pt", weights_only=False)
    assert "never runs code" in str(info.value)
    assert not (tmp_path / "hostile-ran").exists()
    with pytest.raises(pickle.UnpicklingError):  # torch refuses it too
        torch.load(tmp_path / "evil.pt", weights_only=True)


@pytest.mark.parametrize("payload", [pickle.dumps(print), pickle.dumps(juanji.nn.Linear)])
def test_other_globals_are_refused(tmp_path, payload):
    _zip_with_pickle(tmp_path / "g.pt", payload)
    with pytest.raises(UnsafePickleError, match="not a tensor, storage, container or number"):
        juanji.load(tmp_path / "g.pt")


def test_truncated_and_corrupt_files_say_so_without_blaming_the_user(tmp_path):
    juanji.save({"w": juanji.ones(100)}, tmp_path / "ok.pt")
    data = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "short.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or damaged") as info:
        juanji.load(tmp_path / "short.pt")
    assert "delete" not in str(info.value) and "short.pt" in str(info.value)
    flipped = bytearray(data)
    flipped[data.index(b"\x00\x00\x80?") + 1] ^= 0xFF  # a byte inside the storage: CRC fails
    (tmp_path / "crc.pt").write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="truncated or damaged"):
        juanji.load(tmp_path / "crc.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match="is empty"):
        juanji.load(tmp_path / "empty.pt")
    (tmp_path / "text.pt").write_bytes(b"hello world")
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint"):
        juanji.load(tmp_path / "text.pt")


def test_legacy_files_load(tmp_path):
    base = torch.arange(12.0).reshape(3, 4)
    saved = {
        "t": base.t(),
        "row": base[1],
        "p": torch.nn.Parameter(torch.ones(2)),
        "i": torch.arange(3),
        "n": 7,
    }
    torch.save(saved, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    loaded = juanji.load(tmp_path / "old.pt")
    for key in ("t", "row", "p", "i"):
        np.testing.assert_array_equal(loaded[key].detach().numpy(), saved[key].detach().numpy())
    assert isinstance(loaded["p"], nn.Parameter) and loaded["n"] == 7
    data = (tmp_path / "old.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[:-10])
    with pytest.raises(CheckpointError, match="damaged"):
        juanji.load(tmp_path / "cut.pt")
    (tmp_path / "plain.pkl").write_bytes(pickle.dumps([1, 2], protocol=2))
    with pytest.raises(CheckpointError, match="not a torch.save file"):
        juanji.load(tmp_path / "plain.pkl")


def test_safetensors_files_are_named(tmp_path):
    juanji.save({"w": juanji.ones(2)}, tmp_path / "w.safetensors", format="safetensors")
    with pytest.raises(CheckpointError, match="is a safetensors file"):
        juanji.load(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(
        juanji.serialization.load_file(tmp_path / "w.safetensors")["w"].numpy(), [1.0, 1.0]
    )


def test_the_suffix_never_changes_the_format(tmp_path):
    juanji.save({"w": juanji.ones(2)}, tmp_path / "w.safetensors")  # torch.save would do the same
    assert zipfile.is_zipfile(tmp_path / "w.safetensors")


def test_saving_a_model_or_numpy_array_is_refused_with_the_fix(tmp_path):
    with pytest.raises(TypeError, match=r"save model.state_dict\(\) instead"):
        juanji.save(juanji_model(), tmp_path / "m.pt")
    with pytest.raises(TypeError, match="numpy.ndarray"):
        juanji.save({"a": np.ones(2)}, tmp_path / "m.pt")
    assert os.listdir(tmp_path) == []  # no file, no temporary left behind


def test_writes_are_atomic_and_clean_up_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    juanji.save({"v": 1}, path)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        juanji.save({"v": 2}, path)
    assert os.listdir(tmp_path) == ["ck.pt"]
    monkeypatch.undo()
    assert juanji.load(path) == {"v": 1}


def test_file_objects_and_numpy_scalars(tmp_path):
    with open(tmp_path / "f.pt", "wb") as handle:
        juanji.save({"loss": np.float32(0.5), "step": np.int64(3)}, handle)
    with open(tmp_path / "f.pt", "rb") as handle:
        assert juanji.load(handle) == {"loss": 0.5, "step": 3}
    assert torch.load(tmp_path / "f.pt", weights_only=True) == {"loss": 0.5, "step": 3}


def test_bad_options(tmp_path):
    with pytest.raises(ValueError, match="format must be 'torch' or 'safetensors'"):
        juanji.save({}, tmp_path / "x.pt", format="onnx")
    with pytest.raises(ValueError, match="legacy"):
        juanji.save({}, tmp_path / "x.pt", _use_new_zipfile_serialization=False)


def test_top_level_names_match_torch_idioms(tmp_path):
    model = juanji_model()
    juanji.save(model.state_dict(), tmp_path / "m.pth")
    fresh = juanji_model()
    fresh.load_state_dict(juanji.load(tmp_path / "m.pth", weights_only=True))
    for a, b in zip(model.parameters(), fresh.parameters(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert juanji.save is juanji.serialization.save and juanji.load is juanji.serialization.load


def test_torch_written_lenet5_loads_into_juanji_lenet5_and_gives_torch_outputs(tmp_path):
    from models.test_lenet import torch_lenet5  # the layer-for-layer torch twin

    reference = torch_lenet5()
    torch.save(reference.state_dict(), tmp_path / "lenet5.pth")
    model = juanji.models.LeNet5()
    model.load_state_dict(juanji.load(tmp_path / "lenet5.pth", weights_only=True))
    x = np.random.default_rng(1).standard_normal((3, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = reference.forward(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(
        model(juanji.tensor(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize("name", juanji.models.list_models())
def test_every_model_state_dict_survives_torch_save_and_juanji_load(tmp_path, name):
    # torch writes the state_dict (as torch tensors); juanji reads it into a fresh model.
    model = juanji.models.get_model(name)
    state = {k: torch.from_numpy(v.detach().numpy().copy()) for k, v in model.state_dict().items()}
    torch.save(state, tmp_path / "m.pt")
    fresh = juanji.models.get_model(name)
    fresh.load_state_dict(juanji.load(tmp_path / "m.pt"))
    loaded = fresh.state_dict()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy(), err_msg=key)
    if max(model.input_size[1:]) <= 32:  # the small models also run (ImageNet-size ones: slow)
        model.eval(), fresh.eval()  # dropout off, BatchNorm on its running statistics
        x = juanji.randn(2, *model.input_size)
        np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


@pytest.mark.parametrize(
    "name", ["SGD", "Adam", "AdamW", "Adadelta", "Adagrad", "RMSprop", "Adamax", "NAdam", "RAdam"]
)
def test_optimizer_state_crosses_between_torch_and_juanji_files(tmp_path, name):
    from reference import OPTIMIZER_SHAPES, LeastSquares, run_optimizers

    kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    tolerance = {np.float64: dict(rtol=1e-11, atol=1e-12)}
    make = lambda lib: getattr(lib, name)  # noqa: E731
    opt, topt, ours, theirs = run_optimizers(make, kwargs, np.float64, tolerance, steps=4)
    torch.save(topt.state_dict(), tmp_path / "torch.pt")
    juanji.save(opt.state_dict(), tmp_path / "juanji.pt")
    # torch's state into a fresh juanji optimiser, juanji's into a fresh torch one.
    our_copies = [juanji.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ours]
    their_copies = [torch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in theirs]
    resumed = getattr(juanji.optim, name)(our_copies, **kwargs)
    resumed.load_state_dict(juanji.load(tmp_path / "torch.pt"))
    tresumed = getattr(torch.optim, name)(their_copies, **kwargs)
    tresumed.load_state_dict(torch.load(tmp_path / "juanji.pt", weights_only=True))
    problem = LeastSquares(OPTIMIZER_SHAPES, np.float64, 0)
    for _ in range(3):
        for i, (p, tp) in enumerate(zip(our_copies, their_copies, strict=True)):
            p.grad = juanji.tensor(problem.grad(i, p._data))
            tp.grad = torch.from_numpy(problem.grad(i, tp.detach().numpy()))
        resumed.step(), tresumed.step()
    for p, tp in zip(our_copies, their_copies, strict=True):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-11, atol=1e-12)


def test_map_location_forms_used_in_scripts_are_accepted(tmp_path):
    juanji.save({"a": juanji.ones(2)}, tmp_path / "m.pt")
    for location in [
        "cpu",
        torch.device("cpu"),
        juanji.device("cpu"),
        {"cuda:0": "cpu"},
        lambda storage, loc: storage,
        None,
    ]:
        assert juanji.load(tmp_path / "m.pt", map_location=location)["a"].tolist() == [1.0, 1.0]


def test_scheduler_state_and_torch_sizes_cross_both_ways(tmp_path):
    opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=0.1)
    sched = juanji.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 5])  # a Counter inside
    juanji.save({"scheduler": sched.state_dict()}, tmp_path / "s.pt")
    for loaded in (
        juanji.load(tmp_path / "s.pt"),
        torch.load(tmp_path / "s.pt", weights_only=True),
    ):
        assert loaded["scheduler"]["milestones"] == sched.milestones
    torch.save({"shape": torch.Size([2, 3]), "buffer": bytearray(b"ab")}, tmp_path / "t.pt")
    assert juanji.load(tmp_path / "t.pt") == {"shape": (2, 3), "buffer": bytearray(b"ab")}
