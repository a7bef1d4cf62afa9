"""Text -> integer ids and back, with the vocabulary stored beside the ids (SPEC section 1).

A corpus is read as UTF-8 with universal newlines, so copies that differ only in line
endings give the same ids and the same SHA-256. The vocabulary is the sorted set of its
characters; it is saved with every encoded corpus and every model, never rebuilt from set order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError
from .files import save_npz

BUILTIN_PREFIX = "builtin:"
BUILTIN_CORPORA = ("python-reference",)
DEFAULT_BOOK = "builtin:python-reference"


@dataclass(frozen=True)
class Corpus:
    """A text, its sorted vocabulary and its characters as indices into that vocabulary."""

    text: str
    vocab: str
    ids: np.ndarray
    source: str

    @classmethod
    def from_text(cls, text: str, source: str) -> "Corpus":
        vocab = "".join(sorted(set(text)))
        index = {ch: i for i, ch in enumerate(vocab)}
        ids = np.fromiter((index[ch] for ch in text), dtype=np.int32, count=len(text))
        return cls(text=text, vocab=vocab, ids=ids, source=source)

    @property
    def N(self) -> int:
        return len(self.text)

    @property
    def K(self) -> int:
        return len(self.vocab)

    @property
    def sha256(self) -> str:
        return sha256_text(self.text)

    def encode(self, text: str) -> np.ndarray:
        index = {ch: i for i, ch in enumerate(self.vocab)}
        missing = sorted(set(text) - set(index))
        if missing:
            raise UserError(f"characters {''.join(missing)!r} are not in the corpus vocabulary")
        return np.array([index[ch] for ch in text], dtype=np.int32)

    def decode(self, ids) -> str:
        return decode(self.vocab, ids)

    def facts(self, seq_length: int) -> dict:
        """What `results/corpus.json` records: sizes, steps per epoch, checksum, source."""
        return {
            "source": self.source,
            "characters": self.N,
            "vocabulary": self.K,
            "seq_length": seq_length,
            "updates_per_epoch": updates_per_epoch(self.N, seq_length),
            "sha256": self.sha256,
        }

    def save(self, path: str | Path) -> None:
        """Write ids, vocabulary, source and checksum as one .npz (no pickle), whole or not at all."""
        save_npz(path, ids=self.ids, vocab=np.array(self.vocab), source=np.array(self.source),
                 sha256=np.array(self.sha256))

    @classmethod
    def load(cls, path: str | Path) -> "Corpus":
        """Read an encoded corpus written by `save`, checking it against its own checksum."""
        path = Path(path)
        if not path.is_file():
            raise UserError(f"{path}: encoded corpus not found; run `python -m rnn prepare` first")
        try:
            with np.load(path, allow_pickle=False) as z:
                ids = z["ids"].astype(np.int32)
                vocab = str(z["vocab"])
                source = str(z["source"])
                sha = str(z["sha256"])
        except Exception as exc:  # noqa: BLE001 - any failure here means a damaged file
            raise UserError(f"{path}: not a readable encoded corpus ({exc}); rerun `python -m rnn prepare`")
        if ids.size and (ids.min() < 0 or ids.max() >= len(vocab)):
            raise UserError(f"{path}: ids outside the vocabulary; rerun `python -m rnn prepare`")
        text = decode(vocab, ids)
        if sha256_text(text) != sha:
            raise UserError(f"{path}: checksum mismatch, the file is damaged; rerun `python -m rnn prepare`")
        return cls(text=text, vocab=vocab, ids=ids, source=source)


def decode(vocab: str, ids) -> str:
    return "".join(vocab[int(i)] for i in ids)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def updates_per_epoch(N: int, seq_length: int) -> int:
    """SPEC section 3: positions e = 0, tau, 2 tau, ... while e <= N - tau - 1."""
    return (N - seq_length - 1) // seq_length + 1


def builtin_text(name: str) -> str:
    """The built-in corpora: texts that ship with every CPython, so a fresh clone needs no download."""
    if name == "python-reference":
        from pydoc_data.topics import topics

        return "\n".join(topics[key] for key in sorted(topics))
    raise UserError(
        f"unknown built-in corpus {BUILTIN_PREFIX}{name!r}; choose one of "
        + ", ".join(BUILTIN_PREFIX + n for n in BUILTIN_CORPORA)
        + " or give a path to a UTF-8 text file"
    )


def read_text(path: str | Path) -> str:
    """Read a UTF-8 file with universal newlines; undecodable bytes are an error naming the offset."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: book not found; give the path of a UTF-8 text file (config key `book`)")
    if path.is_dir():
        raise UserError(f"{path}: is a directory; `book` must be a UTF-8 text file")
    data = path.read_bytes()
    if not data:
        raise UserError(f"{path}: the file is empty; `book` must be a non-empty UTF-8 text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        raise UserError(f"{path}: binary file (NUL byte at offset {nul}); `book` must be UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UserError(
            f"{path}: invalid UTF-8 at byte offset {exc.start} (line {line}): {exc.reason}; "
            "convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8`"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load(book: str, seq_length: int | None = None) -> Corpus:
    """A corpus from a path or a `builtin:` name; checks it is long enough for one sequence."""
    if book.startswith(BUILTIN_PREFIX):
        text = builtin_text(book[len(BUILTIN_PREFIX):])
    else:
        text = read_text(book)
    if seq_length is not None and len(text) < seq_length + 1:
        raise UserError(
            f"{book}: only {len(text)} characters, but one training sequence needs "
            f"seq_length + 1 = {seq_length + 1}; use a longer text or a smaller `seq_length`"
        )
    return Corpus.from_text(text, source=book)
