"""Files written whole or not at all (a kill mid-write leaves the previous file, never half of one),
and read back checked: a damaged file is a one-line error naming it, never a traceback."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from .errors import UserError

REBUILD = "delete it and run snakemake again to rebuild it"


@contextmanager
def atomic_write(path, mode: str = "wb"):
    """Open a temporary file beside `path`; on success flush, fsync and rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_npz(path, **arrays) -> None:
    """np.savez, but the same arrays give the same bytes: numpy stamps each member of the zip with
    the current time, which would make every results checksum differ between two runs."""
    import zipfile

    import numpy as np

    with atomic_write(path) as f, zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED,
                                                  allowZip64=True) as zf:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3  # as on Unix, whatever the system
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


def write_text(path, text: str) -> None:
    """Write a text file whole or not at all."""
    with atomic_write(path, "w") as f:
        f.write(text)


def keep_text(path, text: str) -> None:
    """Write `text` unless the file already holds it: its modification time then changes only with its
    content (a file that stands for another's content, for make-like tools)."""
    path = Path(path)
    try:
        if path.read_text() == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_text(path, text)


def write_json(path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def _damaged(path, exc: Exception, remedy: str) -> UserError:
    return UserError(f"{Path(path)}: damaged ({type(exc).__name__}: {exc}); {remedy}")


def read_utf8(path, remedy: str = REBUILD) -> str:
    """The text of `path`; a missing or undecodable file is a UserError naming it."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: not found; {remedy}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _damaged(path, exc, remedy) from None


def read_json(path, remedy: str = REBUILD):
    """The JSON in `path`; a missing, undecodable or truncated file is a UserError naming it."""
    text = read_utf8(path, remedy)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
        raise _damaged(path, exc, remedy) from None


def read_arrays(path, names=None, remedy: str = REBUILD) -> dict:
    """The named arrays of an .npz file, or all of them (no pickles); a damaged file or a missing array is a
    UserError."""
    import numpy as np

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            names = z.files if names is None else names
            missing = [n for n in names if n not in z.files]
            if missing:
                raise UserError(f"{path}: lacks {', '.join(missing)}; {remedy}")
            return {n: z[n] for n in names}
    except UserError:
        raise
    except FileNotFoundError:
        raise UserError(f"{path}: not found; {remedy}") from None
    except Exception as exc:  # noqa: BLE001 - a truncated zip, a bad header, a pickle: a damaged file
        raise UserError(f"{path}: damaged ({type(exc).__name__}); {remedy}") from None


TEXT_SUFFIXES = (".csv", ".tex", ".txt")


def check_whole(path, remedy: str = REBUILD) -> None:
    """A UserError naming `path` unless it reads back whole as what it is: JSON that parses, an .npz whose
    every array loads (the zip's CRCs are checked), text that is UTF-8. Before a result is certified: a
    truncated or damaged file must not get a checksum as if it were a result."""
    path = Path(path)
    if path.suffix == ".json":
        read_json(path, remedy)
    elif path.suffix == ".npz":
        read_arrays(path, None, remedy)
    elif path.suffix in TEXT_SUFFIXES:
        read_utf8(path, remedy)
    else:  # a kind of result this check does not know: say so rather than certify it unread
        raise ValueError(f"{path}: no check for a {path.suffix or 'suffix-less'} file; add one to files.check_whole")
