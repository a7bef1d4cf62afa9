"""Which source files a `python -m rnn COMMAND` runs, so that the workflow reruns what an edit changes.

Snakemake reruns a `shell:` rule when its inputs change, but it does not know which Python modules
the command imports. The rules list `sources(COMMAND)` as inputs; this module derives that list from
the code itself (the command's function in `cli.py` and, transitively, every `rnn` module it
imports, in whichever subpackage), so there is no second copy to keep up to date. Modules are named
by their dotted path inside the package: "cli", "core.kernel", "reporting.results".
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
ENTRY = ("__init__", "__main__", "cli")  # what every `python -m rnn ...` runs


def path_of(module: str) -> Path:
    """The file of a dotted module name; a package's is its __init__.py."""
    base = PACKAGE.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _exists(module: str) -> bool:
    return bool(module) and path_of(module).is_file()


def _imports(tree: ast.AST, module: str) -> set[str]:
    """The rnn modules (and the packages on their way) that the imports anywhere in `tree` name."""
    package = module.split(".")[:-1]  # the subpackage `module` lives in
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
            elif node.module and node.module.split(".")[0] == "rnn":
                base = []
            else:
                continue
            parts = base + [p for p in (node.module or "").split(".") if p and p != "rnn"]
            for alias in node.names:
                if _exists(".".join(parts + [alias.name])):  # `from . import kernel`: a module
                    found.add(".".join(parts + [alias.name]))
            found.add(".".join(parts))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "rnn":
                    found.add(".".join(alias.name.split(".")[1:]))
    with_packages = set()
    for name in found:  # importing core.kernel runs core/__init__.py too
        parts = name.split(".")
        with_packages |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return {name for name in with_packages if _exists(name) and name != module}


@cache
def _parse(path: Path) -> ast.Module:
    """A file's syntax tree, read once per process: a process takes the files as they were at its start."""
    return ast.parse(path.read_text(), filename=str(path))


def _tree(module: str) -> ast.Module:
    """The tree of a module of the package in use (`PACKAGE`), cached by its file's path."""
    return _parse(path_of(module))


@cache
def _imports_in(path: Path, module: str) -> frozenset[str]:
    """`_imports` of a whole module file, walked once: every rule's `sources` follows the same modules.
    Keyed by the file's path, as `_parse` is, so a package elsewhere is walked afresh."""
    return frozenset(_imports(_parse(path), module))


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
        if module in done or not _exists(module):
            continue
        done.add(module)
        if module != "cli":  # cli's other commands are not run
            todo |= _imports_in(path_of(module), module)
    return sorted(done)


def sources(command: str) -> list[str]:
    """The files of `modules(command)`: those of the installed package, which `python -m rnn` runs."""
    return [str(path_of(m)) for m in modules(command)]


def fingerprint(command: str) -> str:
    """SHA-256 of the code that `python -m rnn COMMAND` runs (each file's name and bytes): a result
    or checkpoint made by other code carries another fingerprint."""
    import hashlib

    h = hashlib.sha256()
    for module in modules(command):
        h.update(f"{module}\0".encode())
        h.update(path_of(module).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _summary(module: str) -> str:
    doc = ast.get_docstring(_tree(module)) or ""
    return " ".join(doc.split("\n\n")[0].split())


def layout_table() -> str:
    """The README's table of the package: each layer, then each module, with its docstring's first paragraph."""
    def key(module: str):
        parts = module.split(".")
        return (len(parts) > 1, parts[0], parts[-1] != "__init__", module)

    modules = sorted((".".join(p.relative_to(PACKAGE).with_suffix("").parts)
                      for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts), key=key)
    rows = ["| module | what it is |", "|---|---|"]
    for module in modules:
        if module == "__main__":
            continue
        name = f"rnn/{module.replace('.', '/')}.py"
        if module.endswith("__init__"):
            name = f"**rnn/{module.rsplit('.', 1)[0].replace('.', '/')}/**" if "." in module else "**rnn/**"
            rows.append(f"| {name} | {_summary(module)} |")
        else:
            rows.append(f"| `{name}` | {_summary(module)} |")
    return "\n".join(rows)
