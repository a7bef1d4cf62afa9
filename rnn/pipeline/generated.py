"""The files generated from the code, so that no copy is kept by hand: config.yaml and the config schema
(from rnn/settings.py), and the README's tables of settings and of modules (from the settings and the
modules' docstrings). `python -m rnn settings --write` rewrites them; a test fails when they drift."""

from __future__ import annotations

from pathlib import Path

from .. import settings
from .code import layout_table

SECTIONS = {"settings": settings.readme_table, "modules": layout_table}  # README <!-- name --> ... <!-- /name -->


def readme_with_tables(readme: str) -> str:
    """The README with each generated section between its markers rewritten."""
    for name, table in SECTIONS.items():
        start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
        before, rest = readme.split(start, 1)
        readme = before + start + "\n" + table() + "\n" + end + rest.split(end, 1)[1]
    return readme


def generated_files(root) -> dict:
    """{path: the text the code generates for it}."""
    root = Path(root)
    return {root / "config.yaml": settings.config_yaml(),
            root / "workflow" / "schemas" / "config.schema.yaml": settings.schema_yaml(),
            root / "README.md": readme_with_tables((root / "README.md").read_text())}
