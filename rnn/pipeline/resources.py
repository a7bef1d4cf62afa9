"""What a job needs from the machine's memory, checked before it starts.

A setting that sizes memory (hidden_size, epochs on a long book, a gradient check's m) is checked
against the machine's memory up front, with one line naming the key, instead of failing after
gigabytes of allocation with a numpy traceback.
"""

from __future__ import annotations

import os

from ..core.cells import BLOCKS
from ..errors import UserError

BASE_BYTES = 300_000_000  # Python, numpy, numba and matplotlib loaded


def parameter_count(K: int, m: int, cell: str = "rnn") -> int:
    """U (G m x K), W (G m x m), V (K x m), b (G m), c (K) for a cell of G blocks (docs/algorithm.md
    section 7: 1 for the RNN, 4 for the LSTM, 3 for the GRU)."""
    G = BLOCKS[cell]
    return G * (m * m + K * m + m) + K * m + K


def training_bytes(K: int, m: int, steps: int, characters: int, epochs: int = 1, cell: str = "rnn") -> int:
    """Peak memory of one training job: about eight copies of the parameters (weights, AdaGrad memory,
    the best model, gradients, transposes, the saved models) and two per epoch (the model kept at each
    epoch's end, and its copy when saved), the loss and smooth loss of every step (8 bytes each), and
    the text (its characters, ids and decoded string)."""
    return BASE_BYTES + 8 * (8 + 2 * epochs) * parameter_count(K, m, cell) + 16 * steps + 16 * characters


def machine_bytes() -> int:
    """Physical memory of this machine (0 where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def check_fits(needed: int, what: str, key: str) -> None:
    """One line naming the config key when `needed` bytes exceed this machine's memory."""
    have = machine_bytes()
    if have and needed > have:
        raise UserError(f"{what} needs about {needed / 1e9:,.1f} GB of memory and this machine has "
                        f"{have / 1e9:,.1f} GB; lower `{key}`")


def job_steps(settings: dict, characters: int) -> int:
    """Update steps of a training job of `settings` (config keys epochs, seq_length) on a text."""
    from ..core.corpus import updates_per_epoch

    tau = settings["seq_length"]
    return settings["epochs"] * updates_per_epoch(max(characters, tau + 1), tau)


def training_job_bytes(settings: dict, characters: int, K: int) -> int:
    """training_bytes for a job of `settings` (config keys hidden_size, epochs, seq_length)."""
    return training_bytes(K, settings["hidden_size"], job_steps(settings, characters), characters, settings["epochs"],
                          settings.get("cell", "rnn"))


def check_training(K: int, m: int, steps: int, characters: int, epochs: int, swept=(), cell: str = "rnn") -> None:
    """One line naming `hidden_size` or `epochs` (whichever sizes the job more; `sweep.` when a sweep
    point sets it) when a training job would not fit in this machine's memory."""
    key = "hidden_size" if 64 * parameter_count(K, m, cell) > 16 * steps else "epochs"
    check_fits(training_bytes(K, m, steps, characters, epochs, cell), f"a training job (hidden_size {m:,}, {steps:,} update steps)",
               f"sweep.{key}" if key in swept else key)


def check_config(jobs, gradcheck_sizes, characters: int, K: int) -> None:
    """Every job fits this machine's memory: each training job, given as (settings, the keys its sweep
    point sets), and the gradient check at each of its sizes; one line names the key to lower."""
    for job, swept in jobs:
        check_training(K, job["hidden_size"], job_steps(job, characters), characters, job["epochs"], swept,
                       job.get("cell", "rnn"))
    for m in gradcheck_sizes:
        check_fits(training_bytes(K, m, 0, characters), f"the gradient check at m = {m:,}", "gradcheck.hidden_sizes")
