"""Every setting of the pipeline, defined once: its config key, default, type, valid range, meaning and
the commands that take it. One name from config key to function argument: the flag is the key with
'-' for '.' and '_' (snapshots.every: --snapshots-every), the argument the key with '_' for '.'.

Everything else is derived from this table: the CLI's flags and their help, the rules' `params:`
(`flags(config, COMMAND)`), every value's type (`typed_config`, before any job), and the files that
`python -m rnn settings --write` generates (rnn/pipeline/generated.py): config.yaml,
workflow/schemas/config.schema.yaml and the README's configuration table. Adding a setting is one
entry here plus its use in the algorithm.
"""

from __future__ import annotations

import argparse
import math
import shlex
from dataclasses import dataclass, field

import yaml

from .errors import UserError


@dataclass(frozen=True)
class Setting:
    key: str  # config key; a dot nests it (snapshots.every)
    default: object
    meaning: str
    type: str  # JSON-schema type: integer, number, string or array
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None
    commands: tuple = ()  # the `python -m rnn` commands that take it
    schema: dict = field(default_factory=dict)  # more JSON schema (array items, ...)

    @property
    def flag(self) -> str:
        """Its command-line flag: the key with '-' for '.' and '_' (snapshots.every: --snapshots-every)."""
        return "--" + self.key.replace(".", "-").replace("_", "-")

    @property
    def dest(self) -> str:
        """Its name as a function argument and dataclass field: the key with '_' for '.'."""
        return self.key.replace(".", "_")


MAX_TEXT_IN_REPORT = 100_000  # characters of model text the report typesets; LaTeX runs out of memory beyond
MAX_SEED = 2**63 - 1  # seeds are stored as 64-bit integers (model files, checkpoints)

SETTINGS = (
    Setting("book", "builtin:prose", "the text to train on: a UTF-8 file, or builtin:prose (the built-in corpus)",
            "string", commands=("prepare",), schema={"minLength": 1}),
    Setting("cell", "rnn", "the recurrent cell: rnn (the original's vanilla RNN), lstm or gru (docs/algorithm.md "
            "section 7)", "string", commands=("train",), schema={"enum": ["rnn", "lstm", "gru"]}),
    Setting("hidden_size", 100, "hidden units m", "integer", minimum=1, commands=("train",)),
    Setting("eta", 0.1, "AdaGrad learning rate", "number", exclusive_minimum=0, commands=("train",)),
    Setting("sig", 0.01, "initial weights: U, W, V ~ sig * N(0, 1)", "number", exclusive_minimum=0,
            commands=("train",)),
    Setting("seq_length", 25, "characters per training sequence (tau)", "integer", minimum=1,
            commands=("prepare", "train", "gradcheck", "evaluate")),
    Setting("epochs", 10, "passes over the text", "integer", minimum=1, commands=("train",)),
    Setting("clip", 5.0, "gradients are clipped elementwise to [-clip, clip]", "number", exclusive_minimum=0,
            commands=("train",)),
    Setting("validation_fraction", 0.0, "the last fraction of the text, held out: never trained on, its bits per "
            "character measured at every epoch's end (0: none, the original's algorithm)", "number", minimum=0,
            maximum=0.5, commands=("train", "evaluate")),
    Setting("seeds", [1, 2, 3, 4, 5], "weight-initialisation seeds: one training job each", "array",
            schema={"items": {"type": "integer", "minimum": 0, "maximum": MAX_SEED}, "minItems": 1, "uniqueItems": True}),
    Setting("snapshots.every", 10_000, "update steps between text snapshots", "integer", minimum=1,
            commands=("train", "figures")),
    Setting("snapshots.until", 100_000, "last update step with a snapshot", "integer", minimum=0,
            commands=("train",)),
    Setting("snapshots.length", 200, "characters per snapshot", "integer", minimum=1, maximum=MAX_TEXT_IN_REPORT,
            commands=("train",)),
    Setting("show_seed", 1, "the run whose Figure 1 and snapshots the report shows (one of seeds)", "integer",
            minimum=0, maximum=MAX_SEED, commands=("figures",)),
    Setting("synthesis_seed", 0, "seed of every synthesis (snapshots and the best passage)", "integer", minimum=0,
            maximum=MAX_SEED,
            commands=("train", "passage", "panel", "sweep")),
    Setting("passage_length", 1000, "characters synthesised from the best model", "integer", minimum=1,
            maximum=MAX_TEXT_IN_REPORT, commands=("passage", "sweep")),
    Setting("prime", "", "a text fed through the model before sampling: the best model's passage and panel continue "
            "it (empty: none)", "string", commands=("passage", "panel", "synthesize")),
    Setting("prime_from", "zero", "the state the priming text starts from: zero (h = 0, as char-rnn's primetext) "
            "or saved (the model's saved state)", "string", commands=("passage", "panel", "synthesize"),
            schema={"enum": ["zero", "saved"]}),
    Setting("panel.temperatures", [0.5, 0.8, 1.0, 1.2], "sampling panel: temperatures, each from the best model's "
            "same state", "array", commands=("panel",),
            schema={"items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 1}),
    Setting("panel.top_p", 0.9, "sampling panel: the nucleus (top-p) sample's p", "number", exclusive_minimum=0,
            maximum=1, commands=("panel",)),
    Setting("panel.length", 300, "sampling panel: characters per sample", "integer", minimum=1,
            maximum=MAX_TEXT_IN_REPORT, commands=("panel",)),
    Setting("gradcheck.hidden_sizes", [5, 100], "hidden units m of the networks checked: a small one as in the "
            "original's Table 1, and the size that is trained", "array", commands=("gradcheck",),
            schema={"items": {"type": "integer", "minimum": 1}, "minItems": 1, "uniqueItems": True}),
    Setting("gradcheck.sig", 0.01, "initial weight scale of the gradient check's network", "number",
            exclusive_minimum=0, commands=("gradcheck",)),
    Setting("gradcheck.seed", 1, "initialisation seed of the gradient check's network", "integer", minimum=0,
            maximum=MAX_SEED,
            commands=("gradcheck",)),
    Setting("gradcheck.h", 1e-4, "centred finite-difference step (the course's)", "number", exclusive_minimum=0,
            commands=("gradcheck",)),
    Setting("gradcheck.eps", 1e-15, "floor of the relative error's denominator (the original's eq. 1)", "number",
            exclusive_minimum=0, commands=("gradcheck",)),
    Setting("gradcheck.methods", ["finite_difference", "complex_step"], "numerical gradients to compare with",
            "array", commands=("gradcheck",),
            schema={"items": {"enum": ["finite_difference", "complex_step"]}, "minItems": 1, "uniqueItems": True}),
    Setting("sweep", {}, "settings to vary, each a list of values (keys: cell, hidden_size, eta, sig, seq_length, "
            "clip, epochs); every combination is trained with every seed", "object"),
    Setting("train_runtime", None, "minutes a training job asks SLURM for at its first attempt, times the "
            "attempt on each retry; null: 10 plus 400 us per update step", "integer", minimum=1,
            schema={"type": ["integer", "null"]}),
    Setting("checkpoint_every", 20_000, "update steps between training checkpoints", "integer", minimum=1,
            commands=("train",)),
)
BY_KEY = {s.key: s for s in SETTINGS}
SWEEPABLE = ("cell", "hidden_size", "eta", "sig", "seq_length", "clip", "epochs")  # what `sweep` may vary


def value(config: dict, key: str):
    for part in key.split("."):
        config = config[part]
    return config


def _flag_value(v) -> str:
    return ",".join(map(str, v)) if isinstance(v, list) else str(v)


def flags(config: dict, command: str) -> str:
    """The flags that carry `config`'s settings to `python -m rnn COMMAND`, shell-quoted (rule params).

    Written as --flag=value, so that a value beginning with '-' (a book named -notes.txt) stays a value."""
    return " ".join(shlex.quote(f"{s.flag}={_flag_value(value(config, s.key))}")
                    for s in SETTINGS if command in s.commands)


# --- values typed once: config.yaml, --configfile, --config and the CLI all go through these -------
MAX_CONFIG_VALUES = 10_000  # a configuration is small; more values is a mistake (or a YAML alias bomb)


def _integer(v):
    """An int from an int, an integral finite float (1.0, 1e3) or its text; None when it is not one."""
    if isinstance(v, str):
        text = v.strip()
        try:
            return int(text)
        except ValueError:
            try:
                v = float(text)
            except ValueError:
                return None
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v) and v == int(v):
        return int(v)
    return None


def _number(v):
    """A finite float from an int, a float or its text ('1e-1', which YAML 1.1 reads as a string)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            return None
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return None


def _typed_scalar(kind: str, v, where: str, enum=None):
    if kind == "integer":
        out = _integer(v)
        if out is None:
            raise UserError(f"key `{where}`: must be an integer (got {v!r})")
    elif kind == "number":
        out = _number(v)
        if out is None:
            raise UserError(f"key `{where}`: must be a finite number (got {v!r})")
    else:  # text: taken verbatim; a YAML integer (a file named 123) is its digits
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise UserError(f"key `{where}`: must be text (got {v!r}); quote it in YAML")
        out = str(v)
    if enum is not None and out not in enum:
        raise UserError(f"key `{where}`: {out!r} is not one of {', '.join(map(str, enum))}")
    return out


NULLS = ("null", "Null", "NULL", "~", "")  # YAML's spellings of null: how --config passes it, as text


def _typed(s: "Setting", v, where: str):
    """v as setting s's declared type; null (None, or its YAML spellings as text) is the default."""
    if v is None or (s.type != "string" and isinstance(v, str) and v.strip() in NULLS):
        return s.default  # text is taken verbatim: a book named null, a priming text of " "
    if s.key == "sweep":
        if not isinstance(v, dict):
            raise UserError(f"key `{where}`: must be a mapping of settings to lists of values")
        return {k: (_typed_values(BY_KEY[k], values, f"{where}.{k}") if k in SWEEPABLE and isinstance(values, list)
                    else values) for k, values in v.items()}  # the schema names anything else
    if s.type == "array":
        return _typed_values(s, v, where)
    return _typed_scalar(s.type, v, where, s.schema.get("enum"))


def _typed_values(s: "Setting", v, where: str) -> list:
    """A list of values: an array setting's items, or a sweep's values of a setting."""
    if not isinstance(v, list):
        raise UserError(f"key `{where}`: must be a list, e.g. [{_flag_value(s.default).replace(',', ', ')}]")
    items = s.schema.get("items", {}) if s.type == "array" else {"type": s.type, **s.schema}
    return [_typed_scalar(items.get("type", "string"), x, f"{where}.{i}", items.get("enum")) for i, x in enumerate(v)]


def check_size(config, limit: int = MAX_CONFIG_VALUES) -> None:
    """Refuse a configuration of more than `limit` values before anything walks it: a few hundred
    bytes of YAML aliases can expand to billions of values."""
    stack, seen = [config], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            raise UserError(f"the configuration holds more than {limit:,} values (YAML aliases?); "
                            "a configuration of this pipeline has about 40")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)


def typed_config(config: dict) -> dict:
    """The configuration with every setting converted once to its declared type, before any job:
    the same whether it came from config.yaml, --configfile or --config (where `1e-1`, `1.0` and
    `null` arrive as text). A missing or null setting takes its default. Unknown keys are left for
    the schema to name."""
    check_size(config)
    out = {k: v for k, v in config.items()}
    for s in SETTINGS:
        head, _, leaf = s.key.rpartition(".")
        node = out
        if head:
            group = out.get(head)
            if group is None:
                group = {}
            elif not isinstance(group, dict):
                raise UserError(f"key `{head}`: must be a mapping (got {group!r})")
            node = out[head] = dict(group)
        node[leaf] = _typed(s, node.get(leaf), s.key)
    return out


def _flag_type(s: "Setting"):
    """The argparse type of a setting's flag: the same conversion and range as the config's, one-line
    errors."""
    def convert(text: str):
        try:
            value = _typed(s, _parse_list(text) if s.type == "array" else text, s.key)
            if s.type == "array":  # what the config's schema asks of a list
                if len(value) < s.schema.get("minItems", 0):
                    raise UserError(f"{s.key}: give at least {s.schema['minItems']} value(s), comma-separated "
                                    f"(got {text!r})")
                if s.schema.get("uniqueItems") and len(set(map(repr, value))) < len(value):
                    raise UserError(f"{s.key}: a value is given twice (got {text!r})")
            for item in (value if isinstance(value, list) else [value]):
                _check_range(s.key, item, s.schema.get("items", {}) if s.type == "array" else None)
            return value
        except UserError as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None
    convert.__name__ = s.type
    return convert


def _parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """The settings of `command` as flags, with the table's defaults and meanings as help."""
    for s in SETTINGS:
        if command in s.commands:
            parser.add_argument(s.flag, dest=s.dest, type=_flag_type(s), default=s.default,
                                help=f"{s.meaning} (config key `{s.key}`; default {_flag_value(s.default)})")


def _check_range(key: str, v, items: dict | None = None) -> None:
    """The setting's range (or, for a list's item, the items' range from its schema)."""
    s = BY_KEY[key]
    low, above, high = ((items.get("minimum"), items.get("exclusiveMinimum"), items.get("maximum")) if items is not None
                        else (s.minimum, s.exclusive_minimum, s.maximum))
    if isinstance(v, str):
        return
    if low is not None and not v >= low:
        raise UserError(f"key `{key}`: must be >= {low} (got {v!r})")
    if above is not None and not v > above:
        raise UserError(f"key `{key}`: must be > {above} (got {v!r})")
    if high is not None and not v <= high:
        raise UserError(f"key `{key}`: must be <= {high} (got {v!r})")


def check(key: str, v) -> None:
    """A one-line error naming the key when v is not of the setting's type or outside its range."""
    s = BY_KEY[key]
    if s.type == "integer" and (isinstance(v, bool) or not isinstance(v, int)):
        raise UserError(f"`{key}` must be an integer (got {v!r})")
    if s.type == "number" and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
        raise UserError(f"`{key}` must be a finite number (got {v!r})")
    if "enum" in s.schema and v not in s.schema["enum"]:
        raise UserError(f"`{key}` must be one of {', '.join(s.schema['enum'])} (got {v!r})")
    try:
        _check_range(key, v)
    except UserError as exc:
        raise UserError(f"`{key}` {str(exc).split(': ', 1)[1]}") from None


# --- the generated files ---------------------------------------------------------------------------
def _nest(pairs) -> dict:
    out: dict = {}
    for key, v in pairs:
        *parents, last = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = v
    return out


def _property(s: Setting) -> dict:
    prop = {"type": s.type, "description": s.meaning, "default": s.default}
    if s.key == "sweep":
        prop.update(_sweep_schema())
    if s.minimum is not None:
        prop["minimum"] = s.minimum
    if s.exclusive_minimum is not None:
        prop["exclusiveMinimum"] = s.exclusive_minimum
    if s.maximum is not None:
        prop["maximum"] = s.maximum
    return {**prop, **s.schema}


def _sweep_schema() -> dict:
    """A list of valid values for each sweepable setting, nothing else."""
    def item(s: Setting) -> dict:
        prop = _property(s)
        return {k: v for k, v in prop.items() if k not in ("description", "default")}

    props = {k: {"type": "array", "minItems": 1, "uniqueItems": True, "items": item(BY_KEY[k]),
                 "description": f"values of `{k}`"} for k in SWEEPABLE}
    return {"additionalProperties": False, "properties": props}


def schema() -> dict:
    """The JSON schema of config.yaml: every key described, none unknown, none missing."""
    def obj(tree: dict, description: str) -> dict:
        props = {k: _property(v) if isinstance(v, Setting) else obj(v, f"settings of `{k}`")
                 for k, v in tree.items()}
        return {"type": "object", "description": description, "additionalProperties": False,
                "properties": props, "required": list(props)}

    top = obj(_nest((s.key, s) for s in SETTINGS), "Configuration of the char-RNN pipeline")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **top}


GENERATED = "Generated from rnn/settings.py by `python -m rnn settings --write`: edit there, not here."


def schema_yaml() -> str:
    return f"# {GENERATED}\n" + yaml.safe_dump(schema(), sort_keys=False, width=100)


def _yaml(v) -> str:
    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()


def config_yaml() -> str:
    """config.yaml: every key with its default and, as a comment, its meaning."""
    lines = ["# Settings of the pipeline; the defaults are the original report's (DD2424 Assignment 4).",
             f"# {GENERATED}", "# Validated against workflow/schemas/config.schema.yaml before anything runs.", ""]
    parent = None
    for s in SETTINGS:
        head, _, leaf = s.key.rpartition(".")
        if head and head != parent:
            lines.append(f"{head}:")
        parent = head or None
        lines.append(f"{'  ' if head else ''}{leaf}: {_yaml(s.default)}  # {s.meaning}")
    return "\n".join(lines) + "\n"


def readme_table() -> str:
    """The README's table of every setting: key, default, meaning."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.key}` | `{_yaml(s.default)}` | {s.meaning} |" for s in SETTINGS]
    return "\n".join(rows)
