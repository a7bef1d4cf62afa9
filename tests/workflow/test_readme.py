"""The README's commands work in the README's environment: a virtual environment made exactly as set-up
command 1 makes it (no test extras), then every line of the README's "Using it" block, on a small config.

Needs the package index, so it runs where RNN_USER_ENV_TEST=1 (`.ci/run` sets it)."""

import os
import re
import subprocess

import pytest
import yaml

from ..conftest import ROOT, tiny_config
from .conftest import copy_workflow

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("RNN_USER_ENV_TEST") != "1",
                                                   reason="set RNN_USER_ENV_TEST=1 to build the user's environment")]
README = (ROOT / "README.md").read_text()


def setup_command(number: int) -> str:
    return re.search(rf"^# {number}\. .*\n(.+)$", README, flags=re.M).group(1)


def user_commands() -> list[str]:
    block = README.split("<!-- user-commands -->")[1].split("<!-- /user-commands -->")[0]
    return [ln for ln in block.split("```sh")[1].split("```")[0].splitlines() if ln.strip()]


def install_steps(venv) -> list[str]:
    """Set-up command 1 without the system packages and without its final `snakemake` (run below)."""
    steps = [s.strip() for s in setup_command(1).split("&&")]
    assert steps[-1] == "snakemake"
    return [s.replace(".venv", str(venv)) for s in steps[:-1] if "apt-get" not in s]


def test_the_readme_lists_the_user_commands():
    commands = user_commands()
    assert commands[0].startswith("snakemake ") and any("--report" in c for c in commands)
    assert any("synthesize" in c for c in commands) and any("--configfile" in c for c in commands)
    assert "pip install" in setup_command(1) and "[test" not in setup_command(1)


def test_every_readme_command_runs_in_the_users_environment(tmp_path, small_text):
    venv = tmp_path / "venv"
    script = " && ".join(install_steps(venv))
    proc = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    for extra in ("pytest", "snakefmt"):  # it is the user's environment, not the test one
        assert not (venv / "bin" / extra).exists(), extra

    (tmp_path / "work").mkdir()
    work = copy_workflow(tmp_path / "work")
    config = yaml.safe_load((work / "config.yaml").read_text())  # the defaults, made small
    config.update(yaml.safe_load(tiny_config("builtin:prose")))
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    (work / "data").mkdir()
    (work / "data" / "goblet_book.txt").write_text(small_text[:5000])  # a stand-in for the user's novel
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}:{env['PATH']}")
    for command in user_commands():
        proc = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True,
                              timeout=1800)
        assert proc.returncode == 0, (command, proc.stdout[-2000:] + proc.stderr[-2000:])
    assert (work / "report.html").stat().st_size > 10_000
    assert (work / "results/table1.tex").exists() and (work / "results/checksums.sha256").exists()
