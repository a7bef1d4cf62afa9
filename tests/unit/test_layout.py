"""The package's shape, kept readable as it grows: arguments travel in named groups, not long lists."""

import ast

from ..conftest import ROOT

MAX_POSITIONAL = 7


def test_no_function_takes_more_than_seven_positional_arguments():
    """A longer list is a group with a name (kernel.Hyper, Weights, State, ...) or keyword-only options:
    swapping two of eight floats is a silent wrong result, swapping two named fields is not possible."""
    long = []
    for path in sorted(ROOT.glob("rnn/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                count = len(node.args.posonlyargs) + len(node.args.args)
                if count > MAX_POSITIONAL:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {getattr(node, 'name', 'lambda')} ({count})")
    assert not long, long
