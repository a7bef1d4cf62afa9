"""What every workflow test shares: a copy of the workflow in a temporary directory, one way to run
Snakemake there (to completion or in the background), and one reader of the jobs a dry run plans."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from ..conftest import ROOT, tiny_config


def copy_workflow(dest: Path) -> Path:
    """Snakefile, config, rules, report and profiles of the repository, copied into dest."""
    for name in ("Snakefile", "config.yaml", "workflow", "report", "profiles"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("build", "*.pdf"))
        else:
            shutil.copy(src, dest / name)
    return dest


def tiny_workflow(dest: Path, text: str, book: str = "book.txt") -> Path:
    """A copy of the workflow with `text` as its book and tests/tiny.yaml as tiny.yaml."""
    copy_workflow(dest)
    (dest / book).write_text(text)
    (dest / "tiny.yaml").write_text(tiny_config(book))
    return dest


class Snakemake:
    """`snakemake ARGS` in `cwd`, started at once, its stdout and stderr together in a log file.

    `--cores 2` unless the arguments say otherwise; with profile="profiles/slurm" on the cluster.
    wait() returns the output (and fails on a non-zero status when check); interrupt() is Ctrl-C."""

    def __init__(self, cwd, *args, profile=None, env=None, new_session=False):
        self.cwd = Path(cwd)
        fd, name = tempfile.mkstemp(prefix="snakemake-", suffix=".log")
        self.log = Path(name)
        cores = [] if profile or any(a in ("--cores", "-c", "--lint") for a in args) else ["--cores", "2"]
        with os.fdopen(fd, "wb") as out:
            # SIGINT as at a terminal, even when the tests run in a background job (which ignores it);
            # new_session: a process group of its own, which a test can kill as a whole
            self.proc = subprocess.Popen(
                ["snakemake", *(["--profile", profile] if profile else []), *cores, *map(str, args)], cwd=cwd,
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=new_session,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    @property
    def returncode(self):
        return self.proc.returncode

    def output(self) -> str:
        return self.log.read_bytes().decode(errors="replace")

    def wait(self, check=True, timeout=900) -> str:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.interrupt()
            raise AssertionError(f"snakemake did not finish in {timeout} s:\n{self.output()[-4000:]}")
        if check and self.proc.returncode != 0:
            raise AssertionError(self.output()[-6000:])
        return self.output()

    def interrupt(self):
        """Ctrl-C: Snakemake stops its jobs and exits (it ignores SIGTERM while jobs run)."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=120)


def snakemake(cwd, *args, check=True, timeout=900, **kw) -> str:
    """Run `snakemake ARGS` in cwd to its end; its output (stdout and stderr)."""
    return Snakemake(cwd, *args, **kw).wait(check=check, timeout=timeout)


def planned(output: str) -> dict[str, int]:
    """The job counts of a run's (or dry run's) job table; empty when nothing is to be done."""
    if "Nothing to be done" in output or "Job stats:" not in output:
        return {}
    table = output.split("Job stats:")[1].split("total")[0]
    return {name: int(n) for name, n in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M) if name != "job"}


@pytest.fixture
def workflow_dir(tmp_path, small_text):
    """A fresh tiny workflow (tests/tiny.yaml, the first 4,000 characters of the prose as book.txt)."""
    return tiny_workflow(tmp_path, small_text[:4000])
