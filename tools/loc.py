"""Count code lines per file and layer (docstrings, comments, blanks excluded); enforce budgets.

Usage: python tools/loc.py [--quiet]. Exits 1 if a file passes the hard limit or the core passes
its budget. Budgets change only in a commit that says why (CONVENTIONS.md, "Tooling").
"""

from __future__ import annotations

import ast
import io
import pathlib
import sys
import tokenize

SOFT_LIMIT, HARD_LIMIT = 400, 600
CORE = (
    "backend",
    "autograd",
    "_ops",
    "tensor",
    "nn",
    "optim",
    "_dtype.py",
    "_shapes.py",
    "random.py",
)
# Started at 4 000 (CONVENTIONS). Raised to 6 000 when the core issue's full surface landed: three
# padding families for conv, unfold/fold in 1-3-D, twelve pooling functions, the whole Module
# API with PyTorch's state_dict/repr/hooks, six schedulers and their error messages.
# Raised to 6 400 when the Tensor became a package: its method families (_shape, _reduce,
# _inplace, _args, _printing), 289 lines that sat beside tensor.py uncounted, now count as core.
CORE_BUDGET = 6600


def code_lines(source: str) -> int:
    """Lines holding a code token other than a docstring."""
    docstring_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(getattr(body[0], "value", None), ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            docstring_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    lines: set[int] = set()
    skip = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
        tokenize.ENCODING,
    }
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in skip and tok.start[0] not in docstring_lines:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines)


def main(argv: list[str]) -> int:
    root = pathlib.Path(__file__).resolve().parents[1] / "src" / "juanji"
    counts = {
        p.relative_to(root).as_posix(): code_lines(p.read_text())
        for p in sorted(root.rglob("*.py"))
    }
    failed = False
    quiet = "--quiet" in argv
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        flag = (
            "  OVER HARD LIMIT"
            if n > HARD_LIMIT
            else ("  over soft limit" if n > SOFT_LIMIT else "")
        )
        failed |= n > HARD_LIMIT
        if not quiet or flag:
            print(f"{n:6d}  {name}{flag}")
    core = sum(n for name, n in counts.items() if name.split("/")[0] in CORE)
    print(f"core: {core} code lines (budget {CORE_BUDGET}); whole package: {sum(counts.values())}")
    if core > CORE_BUDGET:
        print("core is over budget: raise it in a commit that says why, or shrink the code")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
