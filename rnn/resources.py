"""What a job needs from the machine, checked before it starts: the book's size, and memory.

A setting that sizes memory (hidden_size, epochs on a long book, a gradient check's m) is checked
against the machine's memory up front, with one line naming the key, instead of failing after
gigabytes of allocation with a numpy traceback.
"""

from __future__ import annotations

import os

from .errors import UserError

BOOK_LIMIT_VARIABLE = "RNN_MAX_BOOK_MB"
DEFAULT_BOOK_LIMIT_MB = 256  # 230 Goblets; a Python str, int32 ids and the loss curves fit in a few GB


def book_limit_bytes() -> int:
    """The largest book read, in bytes: RNN_MAX_BOOK_MB megabytes (default 256)."""
    text = os.environ.get(BOOK_LIMIT_VARIABLE, "")
    try:
        mb = float(text) if text.strip() else DEFAULT_BOOK_LIMIT_MB
    except ValueError:
        raise UserError(f"{BOOK_LIMIT_VARIABLE}={text!r} is not a number of megabytes") from None
    return int(mb * 1_000_000)


BASE_BYTES = 300_000_000  # Python, numpy, numba and matplotlib loaded


def parameter_count(K: int, m: int) -> int:
    """U (m x K), W (m x m), V (K x m), b (m), c (K)."""
    return m * m + 2 * K * m + m + K


def training_bytes(K: int, m: int, steps: int, characters: int) -> int:
    """Peak memory of one training job: about eight copies of the parameters (weights, AdaGrad memory,
    the best model, gradients, transposes, the saved models), the loss and smooth loss of every
    step (8 bytes each), and the text (its characters, ids and decoded string)."""
    return BASE_BYTES + 8 * 8 * parameter_count(K, m) + 16 * steps + 16 * characters


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


def training_job_bytes(settings: dict, characters: int, K: int) -> int:
    """training_bytes for a job of `settings` (config keys hidden_size, epochs, seq_length)."""
    from .corpus import updates_per_epoch

    steps = settings["epochs"] * updates_per_epoch(max(characters, settings["seq_length"] + 1),
                                                   settings["seq_length"])
    return training_bytes(K, settings["hidden_size"], steps, characters)


def check_config(jobs, gradcheck_sizes, characters: int, K: int) -> None:
    """Every job fits this machine's memory: each training job, given as (settings, the keys its sweep
    point sets), and the gradient check at each of its sizes; one line names the key to lower."""
    for job, swept in jobs:
        need = training_job_bytes(job, characters, K)
        weights = 8 * 8 * parameter_count(K, job["hidden_size"])
        key = "hidden_size" if weights > need - weights - BASE_BYTES else "epochs"
        if key in swept:
            key = f"sweep.{key}"
        check_fits(need, f"a training job (hidden_size {job['hidden_size']:,}, {job['epochs']:,} epochs)", key)
    for m in gradcheck_sizes:
        check_fits(training_bytes(K, m, 0, characters), f"the gradient check at m = {m:,}", "gradcheck.hidden_sizes")
