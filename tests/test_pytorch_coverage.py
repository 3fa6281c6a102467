"""tools/pytorch_coverage.py: the classification on fake modules, and the checked-in table.

The fake-module tests need neither torch nor torchvision; the ``--check`` test compares
docs/pytorch-coverage.md (and the generated block of docs/pytorch-differences.md) with what the
script generates from the installed torch, torchvision and juanji.
"""

import importlib.util
import pathlib
import sys
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "pytorch_coverage", ROOT / "tools" / "pytorch_coverage.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


cov = _load_tool()

RECURRENT = cov.Category("recurrent", "Recurrent layers", "not a CNN", ("nn:LSTM*", "nn:GRU"))
SPARSE = cov.Category("sparse", "Sparse tensors", "dense only", ("sparse_*", "Tensor:to_dense"))
EVERYTHING = cov.Category("catchall", "Anything", "matches all names", ("*",))


def _fake_module(name="fake.nn", **attributes):
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def test_classify_implemented_absent_and_missing_on_a_fake_module():
    target = _fake_module(Conv2d=object, LSTM=object)
    names = ["Conv2d", "LSTM", "LSTMCell", "GRU", "sparse_coo", "Embedding"]
    status = cov.classify("nn", names, target, (RECURRENT, SPARSE))
    assert status == {
        "Conv2d": cov.IMPLEMENTED,
        "LSTM": cov.IMPLEMENTED,  # present wins over a deliberately-absent category
        "LSTMCell": "recurrent",
        "GRU": "recurrent",
        "sparse_coo": "sparse",  # an unscoped pattern applies in every scope
        "Embedding": cov.MISSING,
    }


def test_scoped_patterns_apply_only_in_their_scope_and_the_first_category_wins():
    status = cov.classify("Tensor", ["LSTM", "to_dense", "x"], None, (RECURRENT, SPARSE))
    assert status == {"LSTM": cov.MISSING, "to_dense": "sparse", "x": cov.MISSING}
    status = cov.classify("nn", ["GRU", "sparse_x"], None, (SPARSE, EVERYTHING, RECURRENT))
    assert status == {"GRU": "catchall", "sparse_x": "sparse"}


def test_a_category_test_function_and_a_custom_presence_rule():
    odd = cov.Category("odd", "Odd", "odd length", (), lambda scope, name: len(name) % 2 == 1)
    status = cov.classify("torch", ["abc", "ab", "a"], None, (odd,), present=lambda n: n == "a")
    assert status == {"abc": "odd", "ab": cov.MISSING, "a": cov.IMPLEMENTED}


def test_public_names_reads_all_or_filters_what_a_module_merely_imports():
    with_all = _fake_module(__all__=["b", "a", "_private"], a=1, b=2, c=3)
    assert cov.public_names(with_all) == ["a", "b"]

    def conv():
        pass

    conv.__module__ = "fake.nn.functional"

    class Mode:
        pass

    Mode.__module__ = "fake.nn.functional"

    def helper():
        pass

    helper.__module__ = "typing"
    module = _fake_module(
        "fake.nn.functional", conv=conv, Mode=Mode, helper=helper, Tensor=types.SimpleNamespace,
        math=types, _hidden=conv, CONSTANT=3,
    )
    names = cov.public_names(module, ("fake.nn.functional",), "fake.nn.functional")
    assert names == ["Mode", "conv"]


def test_resolve_finds_modules_attributes_and_nothing():
    import juanji

    assert cov.resolve("juanji.nn") is juanji.nn
    assert cov.resolve("juanji.Tensor") is juanji.Tensor
    assert cov.resolve("juanji.no_such_module.Thing") is None


def test_a_module_that_fails_to_import_is_an_error_not_missing_names(tmp_path, monkeypatch):
    package = tmp_path / "brokenpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("import no_such_dependency_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cov.resolve("brokenpkg.absent") is None
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_anywhere"):
        cov.resolve("brokenpkg.mod")
    monkeypatch.delitem(sys.modules, "brokenpkg", raising=False)


def _result(key, status):
    scope = cov.Scope(key, f"torch.{key}", f"juanji.{key}", "a list", lambda: list(status))
    return cov.Result(scope, status)


def test_summary_and_absent_block_from_fake_results():
    results = [
        _result("nn", {"Conv2d": cov.IMPLEMENTED, "LSTM": "recurrent", "Fold": cov.MISSING}),
        _result("optim", {"SGD": cov.IMPLEMENTED, "SparseAdam": "sparse"}),
    ]
    assert cov.summary_line(results).startswith(
        "juanji implements 2 of 5 public PyTorch and torchvision names (40 %); 2 are deliberately "
        "absent and 1 missing (67 % of the names in scope implemented)"
    )
    block = cov.absent_block(results)
    assert "- `torch.nn`: `LSTM`" in block and "- `torch.optim`: `SparseAdam`" in block
    page = f"before\n{cov.ABSENT_START}\nold text\n{cov.ABSENT_END}\nafter\n"
    new = cov.with_absent_block(page, block)
    assert new.startswith("before\n") and new.endswith("\nafter\n") and "old text" not in new
    with pytest.raises(SystemExit, match="markers"):
        cov.with_absent_block("no markers here", block)


def test_every_category_covers_a_pytorch_name_and_the_checked_in_pages_are_current():
    pytest.importorskip("torch")
    try:
        cov._torch("torchvision.models")  # with the script's stub of its compiled ops
    except ImportError as error:
        pytest.skip(f"torchvision does not import: {error}")
    results = cov.survey()
    unused = [
        c.key for c in cov.CATEGORIES
        if not any(c.matches(r.scope.key, name) for r in results for name in r.status)
    ]
    assert not unused, f"categories that match no PyTorch name (remove them): {unused}"
    assert cov.main(["--check"], results) == 0, f"out of date: run `{cov.COMMAND}` and commit"
