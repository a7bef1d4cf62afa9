"""Which source files a `python -m rnn COMMAND` runs, so that the workflow reruns what an edit changes.

Snakemake reruns a `shell:` rule when its inputs change, but it does not know which Python modules
the command imports. The rules list `sources(COMMAND)` as inputs; this module derives that list from
the code itself (the command's function in `cli.py` and, transitively, every `rnn` module it
imports), so there is no second copy to keep up to date.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ENTRY = ("__init__", "__main__", "cli")  # what every `python -m rnn ...` runs


def _imports(tree: ast.AST, module: str) -> set[str]:
    """The rnn modules that relative imports anywhere in `tree` name."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    found.discard(module)
    return found


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse((PACKAGE / f"{module}.py").read_text(), filename=f"{module}.py")


def _module_level(module: str) -> ast.Module:
    """The module without its function bodies' lazy imports other than those at top level."""
    tree = _tree(module)
    return ast.Module(body=[n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))],
                      type_ignores=[])


def modules(command: str) -> list[str]:
    """The rnn modules that `python -m rnn COMMAND` may import, sorted."""
    cli = _tree("cli")
    function = next((n for n in cli.body if isinstance(n, ast.FunctionDef) and n.name == f"cmd_{command}"), None)
    if function is None:
        raise ValueError(f"no command {command!r} in rnn/cli.py")
    todo = set(ENTRY) | _imports(function, "cli") | _imports(_module_level("cli"), "cli")
    done: set[str] = set()
    while todo:
        module = todo.pop()
        if module in done or not (PACKAGE / f"{module}.py").is_file():
            continue
        done.add(module)
        if module != "cli":  # cli's other commands are not run
            todo |= _imports(_tree(module), module)
    return sorted(done)


def sources(command: str) -> list[str]:
    """The files of `modules(command)`: those of the installed package, which `python -m rnn` runs."""
    return [str(PACKAGE / f"{m}.py") for m in modules(command)]


def fingerprint(command: str) -> str:
    """SHA-256 of the code that `python -m rnn COMMAND` runs (each file's name and bytes): a result
    or checkpoint made by other code carries another fingerprint."""
    import hashlib

    h = hashlib.sha256()
    for module in modules(command):
        h.update(f"{module}\0".encode())
        h.update((PACKAGE / f"{module}.py").read_bytes())
        h.update(b"\0")
    return h.hexdigest()
