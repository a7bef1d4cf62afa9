"""The book checked against the settings before any job runs: a mistake that a job finds costs that job's
outputs, which Snakemake removes before it starts (a bad book found by `prepare` took the encoded corpus
with it, and every training run after it when the book was put right)."""

from __future__ import annotations

from ..core.corpus import read_text, training_part
from ..errors import UserError


def check_book(path, seq_lengths, validation_fraction: float, prime: str) -> None:
    """A UserError unless the book at `path` decodes as UTF-8 (`corpus.read_text`: the byte offset of a bad
    byte), has a training part of at least one sequence at every `seq_length` the runs use (the sweep's too),
    and holds every character of the priming text."""
    text = read_text(path)
    for seq_length in sorted(set(seq_lengths)):
        try:
            training_part(len(text), seq_length, validation_fraction)
        except UserError as exc:
            raise UserError(f"{path}: {exc}") from None
    for position, ch in enumerate(prime):
        if ch not in text:  # a substring search: no set of a large book's characters
            raise UserError(f"config key `prime`: its character {ch!r} (U+{ord(ch):04X}) at position {position} "
                            f"does not occur in the book {path}, so no model trained on it can read it; "
                            "remove it from `prime`")
