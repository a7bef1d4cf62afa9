import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
TINY = Path(__file__).resolve().parent / "tiny.yaml"


def tiny_config(book: str) -> str:
    """tests/tiny.yaml with `book` set (quoted: any file name)."""
    import json

    lines = TINY.read_text().splitlines()
    return "\n".join(f"book: {json.dumps(book)}" if ln.startswith("book:") else ln for ln in lines) + "\n"


def require(service: str, available: bool, hint: str) -> None:
    """Skip the calling test when `service` is missing; with RNN_REQUIRE_SERVICES=1 (set by .ci/run) fail it."""
    if available:
        return
    message = f"{service} is not available: {hint}"
    if os.environ.get("RNN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"RNN_REQUIRE_SERVICES=1 and {message}", pytrace=False)
    pytest.skip(message)


def have_tex() -> bool:
    return all(shutil.which(tool) for tool in ("latexmk", "pdflatex", "pdftotext"))


@pytest.fixture(scope="session")
def tex():
    """For tests that build PDFs: latexmk and pdflatex, and pdftotext to read them back."""
    require("TeX", have_tex(), "install texlive-latex-base texlive-latex-recommended latexmk lmodern poppler-utils")


def run_files(d) -> dict:
    """The bytes of a run directory's result files (all but timing.json), to compare two runs."""
    from rnn.outputs import RunFiles

    return {n: (d / n).read_bytes() for n in RunFiles.reproducible()}


def stopped_run(corpus, cfg, out_dir, checkpoint_path, **kw) -> None:
    """Training of cfg on corpus stopped as on SIGTERM after its first kernel chunk: a real checkpoint at
    checkpoint_path, no periodic one before it."""
    import io

    from rnn.core.train import train
    from rnn.errors import Terminated
    from rnn.pipeline.guard import StopRequest

    stop = StopRequest()
    stop.stop("SIGTERM")
    with pytest.raises(Terminated):
        train(corpus, cfg, out_dir, checkpoint_path=checkpoint_path, checkpoint_every=10**9,
              progress_stream=io.StringIO(), stop=stop, **kw)


def run_rnn(*args, cwd=None, check=False):
    """`python -m rnn ARGS` as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "rnn", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return proc


@pytest.fixture(scope="session")
def small_text():
    """A ~12,000-character English text with many kinds of characters (not the copyrighted novel)."""
    from rnn.core.corpus import builtin_text

    return builtin_text("prose")[:12000]


@pytest.fixture(scope="session")
def small_corpus(small_text):
    from rnn.core.corpus import Corpus

    return Corpus.from_text(small_text, source="small")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
