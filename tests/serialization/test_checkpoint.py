"""apps.training.run_directory: run-directory files, config validation, crash-safe commits."""

from __future__ import annotations

import copy
import json
import os
import signal

import numpy as np
import pytest

import juanji
from juanji.apps.training import make_config
from juanji.apps.training import run_directory as ck
from juanji.errors import CheckpointError
from juanji.serialization import safetensors as st


def _trained_optimizer(cls, **kwargs):
    juanji.manual_seed(0)
    model = juanji.nn.Linear(3, 2)
    optimizer = cls(model.parameters(), lr=0.1, **kwargs)
    for _ in range(2):
        optimizer.zero_grad()
        model(juanji.ones(4, 3)).square().sum().backward()
        optimizer.step()
    return model, optimizer


def _save(run, epoch, model, optimizer, **extra):
    ck.save_checkpoint(
        run,
        epoch=epoch,
        model_state=model.state_dict(),
        metrics={"epochs": [{"epoch": e} for e in range(1, epoch + 1)]},
        optimizer_state=optimizer.state_dict(),
        training_state={"scheduler": {"last_epoch": epoch * 10}, **extra},
    )


# ---------------------------------------------------------------------- JSON
def test_json_round_trip_keeps_big_ints_and_floats(tmp_path):
    state = juanji.Generator().manual_seed(7).get_state()  # 128-bit integers inside
    data = {"rng": state, "lr": 0.1 / 3, "text": "卷积"}
    assert ck.read_json(ck.write_json(tmp_path / "a.json", data), "test") == data


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "a.json is missing"), ("{oops", "is not valid JSON"), ("[1, 2]", "a JSON object")],
)
def test_read_json_errors_name_the_file(tmp_path, content, message):
    path = tmp_path / "a.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CheckpointError, match=message) as info:
        ck.read_json(path, "test")
    assert str(path) in str(info.value)


# ---------------------------------------------------------------------- config
def test_make_config_passes_validation_and_is_json():
    for model in ("lenet5",):
        config = make_config(model).to_json()
        assert ck.validate_config(json.loads(json.dumps(config, allow_nan=False))) == config


def _broken(change):
    config = copy.deepcopy(make_config("lenet5").to_json())
    change(config)
    return config


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(format="other"), "format 'other'"),
        (lambda c: c.pop("model"), "'model' should be a dict"),
        (lambda c: c["model"].update(name=5), "'name' should be a str"),
        (lambda c: c["model"].update(kwargs=[]), "'kwargs' should be a dict"),
        (lambda c: c.update(dataset=None), "'dataset' should be a str"),
        (lambda c: c.update(num_classes=True), "'num_classes' should be a int"),
        (lambda c: c.update(num_classes=1), "'num_classes' should be 2 to 100,000, got 1"),
        (lambda c: c.update(num_classes=10**9), "'num_classes' should be 2 to 100,000"),
        (lambda c: c["preprocessing"].update(input_size=[1, 10**5, 10**5]), "holds over"),
        (lambda c: c["preprocessing"].update(input_size=[28, 28]), "'input_size' should be"),
        (lambda c: c["preprocessing"].update(pad=-1), "'pad' should be >= 0"),
        (lambda c: c["preprocessing"].update(mean=[]), "'mean' should be a non-empty list"),
        (lambda c: c["preprocessing"].update(std=[0.0]), "'std' should be positive"),
        (lambda c: c["preprocessing"].update(std=[-1.0]), "'std' should be positive"),
        (lambda c: c["preprocessing"].update(std=[1.0, 1.0]), "one value per channel"),
        (lambda c: c["preprocessing"].update(mean=[float("nan")]), "'mean' should be"),
        (lambda c: c.update(hyperparameters=None), "'hyperparameters' should be a dict"),
    ],
)
def test_validate_config_names_the_file_and_the_problem(change, message):
    with pytest.raises(CheckpointError, match=message) as info:
        ck.validate_config(_broken(change), "runs/x/config.json")
    assert str(info.value).startswith("runs/x/config.json: ")
    assert "\n" not in str(info.value)


def test_load_config_errors(tmp_path):
    with pytest.raises(CheckpointError, match="is not a run directory"):
        ck.load_config(tmp_path / "nowhere")
    with pytest.raises(CheckpointError, match="config.json is missing"):
        ck.load_config(tmp_path)
    (tmp_path / "config.json").write_text('{"format": "juanji-run/1"}')
    with pytest.raises(CheckpointError, match="'model' should be a dict"):
        ck.load_config(tmp_path)
    ck.save_config(tmp_path, make_config("lenet5").to_json())
    assert ck.load_config(tmp_path)["model"]["name"] == "lenet5"


def test_load_weights_without_weights_says_what_to_do(tmp_path):
    with pytest.raises(CheckpointError, match="model.safetensors is missing.*--resume"):
        ck.load_weights(tmp_path)


# ---------------------------------------------------------------------- checkpoints
@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (juanji.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        (juanji.optim.Adam, {}),
        (juanji.optim.AdamW, {"weight_decay": 0.1}),
    ],
)
def test_checkpoint_round_trip_restores_the_optimizer(tmp_path, cls, kwargs):
    model, optimizer = _trained_optimizer(cls, **kwargs)
    _save(tmp_path, 1, model, optimizer, rng={"seed": 3})
    state = ck.load_resume_state(tmp_path)
    assert state.epoch == 1 and state.extra == {"scheduler": {"last_epoch": 10}, "rng": {"seed": 3}}
    assert state.metrics["epochs"] == [{"epoch": 1}]
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(state.model_state[key].numpy(), value.numpy())

    # A fresh optimiser over a fresh model takes the state, and both then step identically.
    juanji.manual_seed(5)
    fresh_model = juanji.nn.Linear(3, 2)
    fresh_model.load_state_dict(state.model_state)
    fresh = cls(fresh_model.parameters(), lr=0.5, **kwargs)
    fresh.load_state_dict(state.optimizer_state)
    assert fresh.state_dict()["param_groups"] == optimizer.state_dict()["param_groups"]
    for m, opt in ((model, optimizer), (fresh_model, fresh)):
        opt.zero_grad()
        m(juanji.ones(4, 3)).square().sum().backward()
        opt.step()
    for a, b in zip(model.parameters(), fresh_model.parameters(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _tree(run):
    return sorted(str(p.relative_to(run)) for p in run.rglob("*"))


def test_files_of_a_checkpoint_are_json_and_safetensors_only(tmp_path):
    model, optimizer = _trained_optimizer(juanji.optim.Adam)
    _save(tmp_path, 1, model, optimizer)
    _save(tmp_path, 2, model, optimizer)
    assert _tree(tmp_path) == [
        "checkpoints",
        "checkpoints/e0002",  # the epoch-1 folder was removed after the commit
        "checkpoints/e0002/metrics.json",
        "checkpoints/e0002/model.safetensors",
        "checkpoints/e0002/state.json",
        "checkpoints/e0002/state.safetensors",
        "metrics.json",
        "model.safetensors",
        "training_state.json",
    ]
    record = json.loads((tmp_path / "training_state.json").read_text())
    assert record == {"format": ck.STATE_FORMAT, "epoch": 2, "folder": "checkpoints/e0002"}
    state = json.loads((tmp_path / "checkpoints/e0002/state.json").read_text())
    assert state["optimizer"]["state"]["0"] == {"step": 2}  # Adam: step in JSON, moments not
    assert st.load_metadata(tmp_path / "model.safetensors") == {"epoch": "2"}
    # the top-level copies are the committed epoch's files
    assert os.path.samefile(
        tmp_path / "model.safetensors", tmp_path / "checkpoints/e0002/model.safetensors"
    )
    assert ck.committed_epoch(tmp_path) == 2


def test_crash_before_the_commit_record_resumes_the_previous_epoch(tmp_path, monkeypatch):
    model, optimizer = _trained_optimizer(juanji.optim.SGD, momentum=0.9)
    _save(tmp_path, 1, model, optimizer)
    saved = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with juanji.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    real = ck._replace_file

    def crash_on_record(path, data, point, epoch):
        if path.name == ck.STATE_FILE:
            raise OSError(28, "No space left on device")
        return real(path, data, point, epoch)

    monkeypatch.setattr(ck, "_replace_file", crash_on_record)
    with pytest.raises(CheckpointError, match="cannot write .*training_state.json.*intact"):
        _save(tmp_path, 2, model, optimizer)
    state = ck.load_resume_state(tmp_path)  # epoch 1, consistent: its own folder
    assert state.epoch == 1 and state.metrics["epochs"] == [{"epoch": 1}]
    for key, value in saved.items():
        np.testing.assert_array_equal(state.model_state[key].numpy(), value)
        np.testing.assert_array_equal(ck.load_weights(tmp_path)[key].numpy(), value)
    assert ck.load_metrics(tmp_path)["epochs"] == [{"epoch": 1}]
    # tidy_run removes the uncommitted epoch-2 folder; a later save of epoch 2 works
    removed = ck.tidy_run(tmp_path)
    assert [p.name for p in removed] == ["e0002"]
    monkeypatch.undo()
    _save(tmp_path, 2, model, optimizer)
    assert ck.committed_epoch(tmp_path) == 2


def test_tidy_run_removes_stale_temporary_files_and_refreshes_the_copies(tmp_path):
    model, optimizer = _trained_optimizer(juanji.optim.SGD, momentum=0.9)
    _save(tmp_path, 1, model, optimizer)
    stale = [tmp_path / ".model.safetensors.abc123.tmp", tmp_path / ".metrics.json.x.tmp"]
    for path in stale:
        path.write_bytes(b"half")
    (tmp_path / "checkpoints" / ".e0002.partial").mkdir()
    (tmp_path / "model.safetensors").unlink()  # as if killed before the copy was refreshed
    removed = ck.tidy_run(tmp_path)
    assert sorted(p.name for p in removed) == sorted([".e0002.partial", *(p.name for p in stale)])
    assert not any(p.exists() for p in stale)
    assert os.path.samefile(
        tmp_path / "model.safetensors", tmp_path / "checkpoints/e0001/model.safetensors"
    )


def test_read_weights_names_the_file_read_and_notes_a_replaced_copy(tmp_path):
    model, optimizer = _trained_optimizer(juanji.optim.SGD)
    st.save_file(model.state_dict(), tmp_path / ck.MODEL_FILE)  # by hand, no record yet
    _, path, note = ck.read_weights(tmp_path)
    assert path == tmp_path / ck.MODEL_FILE == ck.weights_path(tmp_path) and note is None
    _save(tmp_path, 1, model, optimizer)  # the commit replaces the copy by a hard link
    committed = tmp_path / "checkpoints" / "e0001" / ck.MODEL_FILE
    state, path, note = ck.read_weights(tmp_path)
    assert path == committed == ck.weights_path(tmp_path) and note is None
    other = {k: v * 2.0 for k, v in state.items()}
    st.save_file(other, tmp_path / ck.MODEL_FILE)
    state, path, note = ck.read_weights(tmp_path)
    assert path == committed and str(committed) in note and str(tmp_path / ck.MODEL_FILE) in note
    np.testing.assert_array_equal(state["weight"].numpy(), model.weight.detach().numpy())
    ck.tidy_run(tmp_path)  # a resume points the copy at the committed file again
    assert ck.read_weights(tmp_path)[2] is None


def test_metrics_must_be_finite(tmp_path):
    model, optimizer = _trained_optimizer(juanji.optim.SGD)
    with pytest.raises(CheckpointError, match="epoch 1 not written.*NaN or infinite"):
        ck.save_checkpoint(
            tmp_path, epoch=1, model_state=model.state_dict(), metrics={"loss": float("nan")}
        )
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="not JSON compliant"):
        ck.write_json(tmp_path / "a.json", {"lr": float("inf")})


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX signals")
def test_ctrl_c_while_saving_is_raised_after_the_commit(tmp_path, monkeypatch):
    # Ctrl-C raises KeyboardInterrupt as at a terminal, even when the suite was started from a
    # shell that ignores it (a background job), where Python leaves SIGINT ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        model, optimizer = _trained_optimizer(juanji.optim.SGD, momentum=0.9)
        real = ck.save_file

        def save_then_interrupt(tensors, path, metadata=None):
            result = real(tensors, path, metadata)
            if path.name == ck.MODEL_FILE:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the first and second file
            return result

        monkeypatch.setattr(ck, "save_file", save_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            _save(tmp_path, 1, model, optimizer)
        assert ck.load_resume_state(tmp_path).epoch == 1  # every file was written first
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_resume_state_errors(tmp_path):
    with pytest.raises(CheckpointError, match="no completed epoch to resume from"):
        ck.load_resume_state(tmp_path)
    (tmp_path / ck.STATE_FILE).write_text('{"format": "juanji-run/1", "epoch": 0}')
    with pytest.raises(CheckpointError, match="cannot be resumed"):
        ck.load_resume_state(tmp_path)
    model, optimizer = _trained_optimizer(juanji.optim.SGD, momentum=0.9)
    _save(tmp_path, 1, model, optimizer)
    (tmp_path / "checkpoints/e0001/state.safetensors").unlink()
    with pytest.raises(CheckpointError, match="state.safetensors does not exist"):
        ck.load_resume_state(tmp_path)
    import shutil

    shutil.rmtree(tmp_path / "checkpoints/e0001")
    with pytest.raises(CheckpointError, match="e0001 is missing although .*training_state.json"):
        ck.load_resume_state(tmp_path)


def test_save_file_into_a_missing_folder_names_the_folder_not_the_temporary_file(tmp_path):
    target = tmp_path / "missing" / "model.safetensors"
    with pytest.raises(FileNotFoundError) as info:
        st.save_file({"a": np.ones(2)}, target)
    assert info.value.filename == str(tmp_path / "missing")
    assert ".tmp" not in str(info.value) and "no such folder" in str(info.value)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(OSError) as info:
        st.save_file({"a": np.ones(2)}, blocker / "model.safetensors")
    assert ".tmp" not in str(info.value)
