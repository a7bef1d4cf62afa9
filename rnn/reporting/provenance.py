"""What made a result: configuration, corpus checksum, package versions, git commit, machine;
and the checksums of the results themselves, which hold none of those and so repeat exactly."""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

PACKAGES = ("numpy", "numba", "llvmlite", "matplotlib", "PyYAML", "snakemake")


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    try:
        from threadpoolctl import threadpool_info  # optional

        out["blas"] = [f"{i.get('internal_api')} {i.get('version')}" for i in threadpool_info()]
    except ImportError:
        pass
    return out


def git_commit(cwd=None) -> dict:
    def git(*args):
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip() != ""
        return {"commit": head.stdout.strip(), "dirty": dirty}
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return {"hostname": platform.node(), "system": platform.platform(), "cpu": cpu,
            "cores": os.cpu_count()}


def record(**extra) -> dict:
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return {"created": now, "versions": versions(), "git": git_commit(), "machine": machine(), **extra}


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checksums(paths) -> str:
    """`sha256sum` lines for the result files, sorted by path (check them with `sha256sum -c`); each file is
    read back whole first (`files.check_whole`), so a damaged one is refused, named, not certified."""
    from ..files import check_whole

    paths = sorted(map(str, paths))
    for p in paths:
        check_whole(p)
    return "".join(f"{sha256_file(p)}  {p}\n" for p in paths)


def fingerprint(checksums_file) -> str:
    """A short name for a whole set of results: the first 12 hex digits of its checksum file's sha256."""
    return sha256_file(checksums_file)[:12]


def stage_seconds(benchmark_files) -> dict:
    """{stage: wall seconds} from Snakemake's benchmark files (a header, then seconds first); a stage
    under benchmarks/ is named by its file, one in a folder below by folder/file; a damaged file is
    left out."""
    seconds = {}
    for path in map(Path, benchmark_files):
        lines = path.read_text(errors="replace").splitlines() if path.is_file() else []
        try:
            value = float(lines[1].split("\t")[0])
        except (IndexError, ValueError):
            continue
        seconds[path.stem if path.parent.name == "benchmarks" else f"{path.parent.name}/{path.stem}"] = value
    return seconds


def from_files(config: dict, corpus_facts, run_dirs, benchmark_files) -> dict:
    """provenance.json: `record` of the config, the corpus facts, each run's times and each stage's."""
    from ..files import read_json
    from .results import load_summaries, read_timing

    summaries = load_summaries(run_dirs)
    runs = {s["seed"]: read_timing(d) for s, d in zip(summaries, run_dirs)}
    # the update steps of an epoch as trained: of the training part when a part is held out (the corpus
    # facts count the whole text)
    corpus = {**read_json(corpus_facts), "updates_per_epoch": summaries[0]["updates_per_epoch"]}
    return record(config=config, corpus=corpus, runs=runs, stage_seconds=stage_seconds(benchmark_files))


def unread_records(pipeline_compile: dict) -> str:
    """"; not read: PATH (reason)" for each compile record the benchmark could not read (bench.py)."""
    return "".join(f"; not read: {path} ({why})" for path, why in pipeline_compile.get("unread", {}).items())
