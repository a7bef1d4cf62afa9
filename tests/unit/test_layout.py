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


def test_the_reporting_modules_import_no_compiled_code():
    """The tables, figures, checksums and report jobs read results; they compile nothing, so they do not
    import numba (0.3-0.5 s of each such job, most of them in the pipeline's serial tail): sampling's
    import stays inside the two functions that draw text."""
    import subprocess
    import sys

    modules = ("results", "figures", "report", "latex", "provenance", "sweep_tables")
    code = f"import sys; import {', '.join('rnn.reporting.' + m for m in modules)}; print('numba' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
