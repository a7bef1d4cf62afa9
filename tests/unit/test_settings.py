"""Each setting is defined once (rnn/settings.py): every copy elsewhere is derived from it or held to it."""

import argparse
import shlex
from dataclasses import fields

import jsonschema
import pytest
import yaml

from rnn import settings
from rnn.cli import parser
from rnn.core.train import SETTING_OF, TrainConfig

from ..conftest import ROOT


def test_generated_files_are_what_the_table_generates():
    """config.yaml, the schema and the README table: `python -m rnn settings --write` after an edit."""
    from rnn.pipeline.generated import generated_files

    for path, text in generated_files(ROOT).items():
        assert path.read_text() == text, f"{path} is stale: run `python -m rnn settings --write`"


def test_config_yaml_is_valid_and_holds_every_default():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    jsonschema.validate(config, settings.schema())
    for s in settings.SETTINGS:
        assert settings.value(config, s.key) == s.default, s.key


@pytest.mark.parametrize("key,bad", [("hidden_size", 0), ("eta", 0.0), ("gradcheck.hidden_sizes", [0]), ("snapshots.until", -1), ("gradcheck.h", -1e-4),
                                     ("seeds", []), ("gradcheck.methods", ["newton"]), ("book", "")])
def test_schema_refuses_what_the_table_refuses(key, bad):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    head, _, leaf = key.rpartition(".")
    (config[head] if head else config)[leaf] = bad
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, settings.schema())


def test_train_config_fields_are_the_train_flags():
    """Every TrainConfig field but the seed is a train setting, with the table's default (checkpoint_every
    is an argument of train() instead: it changes no number, so it is not in the checkpoint's fingerprint)."""
    names = {f.name: f.default for f in fields(TrainConfig)}
    assert set(names) - {"seed"} == set(SETTING_OF) - {"checkpoint_every"}
    for name, key in SETTING_OF.items():
        if name in names:
            assert names[name] == settings.BY_KEY[key].default, name


def _subparser(command) -> argparse.ArgumentParser:
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[command]


@pytest.mark.parametrize("command", ["prepare", "train", "gradcheck", "figures", "passage"])
def test_rule_flags_reach_the_cli_unchanged(command):
    """flags(config, COMMAND), as a rule passes them, parse back to the config's values."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config.update(book="my book's text.txt", eta=0.05, hidden_size=7, seq_length=30)
    config["gradcheck"]["hidden_sizes"] = [3, 40]
    config["gradcheck"]["methods"] = ["complex_step"]
    required = {"prepare": "--out o --facts f", "train": "--corpus c --out-dir o",
                "gradcheck": "--corpus c --out o --table t", "figures": "--runs r --out-dir o",
                "passage": "--runs r --txt t --json j --tex x"}[command]
    args = _subparser(command).parse_args(shlex.split(settings.flags(config, command) + " " + required))
    for s in settings.SETTINGS:
        if command in s.commands:
            assert getattr(args, s.dest) == settings.value(config, s.key), s.key


def test_range_checks_name_the_config_key():
    with pytest.raises(Exception, match="`snapshots.length`"):
        TrainConfig(snapshots_length=0)
    with pytest.raises(Exception, match="`hidden_size` must be an integer"):
        TrainConfig(hidden_size=2.5)
