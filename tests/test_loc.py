"""tools/loc.py: the function-size gate counts code lines and keeps its exception table honest."""

import importlib.util
import pathlib

import pytest

_PATH = pathlib.Path(__file__).resolve().parents[1] / "tools" / "loc.py"


@pytest.fixture
def loc():
    spec = importlib.util.spec_from_file_location("loc", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_function_lines_skip_docstrings_comments_and_blanks(loc):
    source = 'class A:\n    def g(self):\n        """Doc.\n\n        More."""\n\n        # why\n'
    source += "        x = 1\n        return x\n"
    assert loc.function_lines(source) == {"A.g": 3}  # def line, assignment, return


def test_a_long_function_fails_unless_listed_and_a_stale_entry_fails(loc, tmp_path, monkeypatch):
    body = "".join(f"    x{i} = {i}\n" for i in range(loc.FUNCTION_LIMIT))
    (tmp_path / "m.py").write_text("def long():\n" + body + "\n\ndef short():\n    return 1\n")
    monkeypatch.setattr(loc, "FUNCTION_EXCEPTIONS", {})
    (problem,) = loc.check_functions(tmp_path)
    assert "m.py::long" in problem and "over 50 code lines" in problem
    monkeypatch.setattr(loc, "FUNCTION_EXCEPTIONS", {"m.py::long": "why", "m.py::short": "why"})
    (problem,) = loc.check_functions(tmp_path)
    assert "m.py::short" in problem and "not over the limit" in problem


def test_a_layer_over_its_budget_or_without_one_fails(loc, monkeypatch):
    monkeypatch.setattr(loc, "LAYER_BUDGETS", {"nn": (10, "why")})
    assert loc.check_layers({"nn": 10}) == []
    (over,) = loc.check_layers({"nn": 11})
    assert "nn" in over and "over its budget of 10" in over
    (missing,) = loc.check_layers({"nn": 1, "new": 1})
    assert "new" in missing and "no budget" in missing
