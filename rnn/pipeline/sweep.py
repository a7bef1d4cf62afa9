"""Hyperparameter sweeps: a grid of training settings, each point trained with every seed.

A point is a mapping {setting: value}; its runs live in results/sweep/<key>~<value>/.../seed{N}/,
the layout of Snakemake's Paramspace, so a point's directory names its settings and adding a value
to a list adds directories without touching the others. A point equal to the main run's settings
is the main run: its directories are results/runs/seed{N} and nothing is trained twice. The tables
and figures of a sweep are `reporting.sweep_tables`.
"""

from __future__ import annotations

import itertools

from .. import settings
from ..outputs import RUN_DIR, SWEEP_RUN_DIR

def points(sweep: dict) -> list[dict]:
    """Every combination of the swept values, in the config's key order (none without a sweep)."""
    if not sweep:
        return []
    keys = list(sweep)
    return [dict(zip(keys, values)) for values in itertools.product(*(sweep[k] for k in keys))]


def point_path(point: dict) -> str:
    return "/".join(f"{k}~{v}" for k, v in point.items())


def value_label(v) -> str:
    """A swept setting's value for a reader: a number in %g, a cell by its name."""
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


def parse_point(path: str) -> dict:
    """The point of a directory name: values read back with their setting's type."""
    point = {}
    for part in path.split("/"):
        key, _, text = part.partition("~")
        kind = settings.BY_KEY[key].type
        point[key] = int(text) if kind == "integer" else float(text) if kind == "number" else text
    return point


def point_pattern() -> str:
    """A regular expression for one `key~value` of a point's path: a sweepable setting and a value of
    its type (the workflow's wildcard constraint, so that no other path names a point)."""
    number = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?"
    integers = "|".join(k for k in settings.SWEEPABLE if settings.BY_KEY[k].type == "integer")
    numbers = "|".join(k for k in settings.SWEEPABLE if settings.BY_KEY[k].type == "number")
    texts = "|".join(f"{k}~(?:{'|'.join(settings.BY_KEY[k].schema['enum'])})" for k in settings.SWEEPABLE
                     if settings.BY_KEY[k].type == "string")
    return rf"(?:(?:{integers})~(?:0|[1-9]\d{{0,18}})|(?:{numbers})~{number}|{texts})"


def point_config(config: dict, point: dict) -> dict:
    return {**config, **point}


def is_main(config: dict, point: dict) -> bool:
    return all(config[k] == v for k, v in point.items())


def run_dir(config: dict, point: dict, seed: int) -> str:
    if is_main(config, point):
        return RUN_DIR.format(seed=seed)
    return SWEEP_RUN_DIR.format(point=point_path(point), seed=seed)


def runs(config: dict) -> list[dict]:
    """[{point, seed, dir}] for every point of config's sweep and every seed."""
    return [{"point": p, "seed": s, "dir": run_dir(config, p, s)}
            for p in points(config.get("sweep") or {}) for s in config["seeds"]]
