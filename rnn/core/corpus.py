"""Text -> integer ids and back, with the vocabulary stored beside the ids (docs/algorithm.md section 1).

A corpus is read as UTF-8 with universal newlines, so copies that differ only in line
endings give the same ids and the same SHA-256. The vocabulary is the sorted set of its
characters; it is saved with every encoded corpus and every model, never rebuilt from set order.
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..files import save_npz

BOOK_LIMIT_VARIABLE = "RNN_MAX_BOOK_MB"
DEFAULT_BOOK_LIMIT_MB = 256  # 230 Goblets: its str, ids and loss curves fit in a few GB
BUILTIN_PREFIX = "builtin:"
BUILTIN_CORPORA = ("prose",)


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
                if z["ids"].dtype.kind not in "iu":
                    raise ValueError("ids are not integers")
                ids = z["ids"].astype(np.int64)
                vocab = str(z["vocab"])
                source = str(z["source"])
                sha = str(z["sha256"])
        except Exception as exc:  # noqa: BLE001 - any failure here means a damaged file
            raise UserError(f"{path}: not a readable encoded corpus ({exc}); rerun `python -m rnn prepare`")
        if ids.ndim != 1:
            raise UserError(f"{path}: ids are not one sequence; rerun `python -m rnn prepare`")
        if ids.size and (ids.min() < 0 or ids.max() >= len(vocab)):
            raise UserError(f"{path}: ids outside the vocabulary; rerun `python -m rnn prepare`")
        ids = ids.astype(np.int32)  # checked in int64 first: a large id must not wrap into range
        text = decode(vocab, ids)
        if sha256_text(text) != sha:
            raise UserError(f"{path}: checksum mismatch, the file is damaged; rerun `python -m rnn prepare`")
        return cls(text=text, vocab=vocab, ids=ids, source=source)


def decode(vocab: str, ids) -> str:
    return "".join(vocab[int(i)] for i in ids)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def updates_per_epoch(N: int, seq_length: int) -> int:
    """docs/algorithm.md section 3.2: positions e = 0, tau, 2 tau, ... while e <= N - tau - 1."""
    return (N - seq_length - 1) // seq_length + 1


def training_part(N: int, seq_length: int, validation_fraction: float) -> int:
    """How many characters of a text of N are trained on (docs/algorithm.md section 8.1): all of them
    without held-out text; otherwise a whole number of sequences, cut so that at least
    validation_fraction x N characters remain for the held-out part after it."""
    if validation_fraction == 0:
        cut = N
    else:
        held = max(2, math.ceil(validation_fraction * N))
        cut = seq_length * ((N - held - 1) // seq_length) + 1
    if cut < seq_length + 1:
        if validation_fraction == 0:
            raise UserError(f"the text has {N:,} characters, fewer than one sequence (seq_length + 1 = "
                            f"{seq_length + 1}); use a longer text or a smaller `seq_length`")
        raise UserError(f"the text has {N:,} characters: with `validation_fraction` {validation_fraction} "
                        f"the training part is shorter than one sequence (seq_length + 1 = {seq_length + 1}); "
                        "use a longer text, a smaller `validation_fraction` or a smaller `seq_length`")
    return cut


def builtin_text(name: str) -> str:
    """The built-in corpus: English prose generated by `rnn.prose`, the same bytes on every machine
    and Python, so a fresh clone needs no download."""
    if name == "prose":
        from . import prose

        return prose.generate()
    raise UserError(
        f"unknown built-in corpus {BUILTIN_PREFIX}{name!r}; choose one of "
        + ", ".join(BUILTIN_PREFIX + n for n in BUILTIN_CORPORA)
        + " or give a path to a UTF-8 text file"
    )


def check_book_file(path) -> int:
    """The size of a book that can be read: an existing regular file (not a FIFO, a device or a
    directory, which would hang or never end) of at most RNN_MAX_BOOK_MB megabytes."""
    path = Path(path)
    try:
        st = path.stat()  # follows symlinks: a link to a text is fine, a link to /dev/zero is not
    except FileNotFoundError:
        raise UserError(f"{path}: book not found; give the path of a UTF-8 text file (config key `book`)") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read the book ({exc.strerror}); config key `book`") from None
    if stat.S_ISDIR(st.st_mode):
        raise UserError(f"{path}: is a directory; `book` must be a UTF-8 text file")
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{path}: not a regular file (a pipe, socket or device); `book` must be a UTF-8 text file")
    limit = book_limit_bytes()
    if st.st_size > limit:
        raise UserError(f"{path}: {st.st_size:,} bytes, more than the limit of {limit:,}; raise it with "
                        f"{BOOK_LIMIT_VARIABLE}=<megabytes> if the machine has the memory")
    return st.st_size


def book_limit_bytes() -> int:
    """The largest book read, in bytes: RNN_MAX_BOOK_MB megabytes (default 256)."""
    text = os.environ.get(BOOK_LIMIT_VARIABLE, "")
    try:
        mb = float(text) if text.strip() else DEFAULT_BOOK_LIMIT_MB
    except ValueError:
        mb = math.nan
    if not 0 < mb < 1e9:  # up to a petabyte; nan and inf refused
        raise UserError(f"{BOOK_LIMIT_VARIABLE}={text!r} is not a number of megabytes (> 0)")
    return int(mb * 1_000_000)


def book_sha256(path) -> str:
    """SHA-256 of the book file's bytes, after the checks of `check_book_file`: what the workflow
    compares to decide whether the book changed (its content, never its modification time)."""
    check_book_file(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_text(path: str | Path) -> str:
    """Read a UTF-8 file with universal newlines; undecodable bytes are an error naming the offset."""
    path = Path(path)
    size = check_book_file(path)
    with open(path, "rb") as f:
        data = f.read(size + 1)
    if len(data) > size:  # it grew since it was checked
        raise UserError(f"{path}: the file changed while it was read; run again once it is complete")
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
