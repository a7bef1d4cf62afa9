"""The exact loss of a model over a whole text (docs/algorithm.md section 8): every character after the
first predicted from all before it, the hidden state carried through, in nats and bits per character.

It is the training kernel's own forward pass (cell_kernels' for the gated cells), run over the text in
blocks with the state carried from block to block: the same fixed-order arithmetic, the same bits on
any CPU, and over one training sequence from the same state it is that sequence's training loss.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..errors import UserError
from . import cell_kernels, cells, kernel
from .kernel import JIT
from .model import Params

LN2 = math.log(2.0)


BLOCK = 64  # characters per forward pass (docs/algorithm.md section 8.2)


@njit(**JIT)
def total_loss(P, work, h, book):
    """The sum of -log p(book[t + 1] | book[0..t]) from state h (overwritten): the kernel's forward pass
    over blocks of the workspace's length, each block's loss summed in order (as a training sequence's),
    then the blocks' losses in order. P: the kernel's Weights."""
    block = work.Pr.shape[0]
    n = book.shape[0]
    kernel.refresh_transposes(P, work)
    total = 0.0
    e = 0
    while e < n - 1:
        tau = min(block, n - 1 - e)
        total += kernel.forward(book, e, tau, h, P, work)
        for i in range(h.shape[0]):
            h[i] = work.H[tau, i]
        e += tau
    return total


def bits_per_character(total_nats: float, characters: int) -> float:
    """Mean bits per predicted character: nats / ln 2."""
    return total_nats / characters / LN2


def evaluate(p: Params, ids, h0=None) -> dict:
    """{characters predicted, nats and bits per character} of the model over the text `ids`, from h0
    (default 0) and its first character."""
    book = np.ascontiguousarray(ids, dtype=np.int32)
    if book.shape[0] < 2:
        raise ValueError("a text of at least 2 characters is needed to predict one")
    if book.min() < 0 or book.max() >= p.K:
        raise ValueError("the text holds characters outside the model's vocabulary")
    cell = cells.cell_of(p)
    h = np.zeros(cells.state_size(cell, p.m)) if h0 is None else np.array(h0, dtype=np.float64)
    total = (total_loss(kernel.weights(p), kernel.workspace(p.K, p.m, BLOCK), h, book) if cell == "rnn"
             else cell_kernels.loss_over_text(book, p, h, BLOCK))
    if not math.isfinite(total):
        raise UserError("the model's loss over the text is not finite: its weights overflow; retrain it")
    n = book.shape[0] - 1
    return {"characters": n, "nats": total / n, "bpc": bits_per_character(total, n)}


def evaluate_run(epochs_file, corpus, seq_length: int, validation_fraction: float) -> dict:
    """evaluation.json of a run: at the end of every epoch, the exact loss of its model over the
    training part and, when there is one, over the held-out part (docs/algorithm.md section 8.3)."""
    from .corpus import training_part
    from .modelfile import load_epoch_models

    models, vocab, meta = load_epoch_models(epochs_file)
    if vocab != corpus.vocab:
        raise UserError(f"{epochs_file}: trained on another text (its vocabulary differs); retrain it")
    cut = training_part(corpus.N, seq_length, validation_fraction)
    if meta.get("training_characters") != cut:
        raise UserError(f"{epochs_file}: trained on {meta.get('training_characters')} characters, not the {cut:,} "
                        f"of `validation_fraction` {validation_fraction}; retrain it")
    parts = {"train": corpus.ids[:cut], **({"heldout": corpus.ids[cut:]} if cut < corpus.N else {})}
    result = {"validation_fraction": validation_fraction, "training_characters": cut,
              "heldout_characters": corpus.N - cut}
    for name, ids in parts.items():
        try:
            scores = [evaluate(p, ids) for p in models]
        except UserError as exc:
            raise UserError(f"{epochs_file}: {exc}") from None
        result[f"{name}_bpc"] = [s["bpc"] for s in scores]
        result[f"{name}_nats"] = [s["nats"] for s in scores]
    if "heldout" not in parts:
        result["heldout_bpc"] = result["heldout_nats"] = None
    return result
