"""Files written whole or not at all: a kill mid-write leaves the previous file, never half of one."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path


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


def write_json(path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
