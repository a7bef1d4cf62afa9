"""Training checkpoints: everything a run needs to continue bit for bit, in one .npz (no pickle).

Written atomically (a temporary file, then rename), so a kill at any moment leaves either the
previous checkpoint or the new one. A checkpoint records the settings, the corpus checksum and the code that made
it; one made with anything else is never resumed (`Mismatch`), and a damaged one is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..files import save_npz


class Mismatch(Exception):
    """The checkpoint was made with other settings, another text or other code: `differ` names what."""

    def __init__(self, path, differ: list[str]):
        super().__init__(f"{path}: made with other {_what(differ)} ({', '.join(differ)} differ)")
        self.differ = differ


def _what(differ: list[str]) -> str:
    kinds = ["code" if k == "code_sha256" else "text" if k in ("corpus_sha256", "vocab") else "settings"
             for k in differ]
    return " and ".join(dict.fromkeys(kinds))


def save(path, fingerprint: dict, arrays: dict, scalars: dict, records: dict) -> None:
    """arrays: named float/int arrays; scalars and records: JSON-able (counters, snapshots)."""
    save_npz(
        path,
        fingerprint=np.array(json.dumps(fingerprint, sort_keys=True)),
        scalars=np.array(json.dumps(scalars)),
        records=np.array(json.dumps(records)),
        **{f"a_{k}": v for k, v in arrays.items()},
    )


def _read(path, with_arrays: bool = True):
    """(fingerprint, scalars, records, arrays) of a checkpoint file, any damage refused in one line."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            saved = json.loads(str(z["fingerprint"]))
            scalars = json.loads(str(z["scalars"]))
            records = json.loads(str(z["records"])) if with_arrays else {}
            arrays = {k[2:]: z[k] for k in z.files if k.startswith("a_")} if with_arrays else {}
    except Exception as exc:  # noqa: BLE001 - truncated, corrupted or foreign file
        raise UserError(
            f"{path}: damaged checkpoint ({type(exc).__name__}); delete it to train from the start"
        ) from None
    if not (isinstance(saved, dict) and isinstance(scalars, dict) and isinstance(records, dict)):
        raise UserError(f"{path}: damaged checkpoint (its records are not mappings); delete it to train "
                        "from the start")
    return saved, scalars, records, arrays


def header(path) -> tuple[dict, dict]:
    """(fingerprint, scalars): what a checkpoint was made with and where it stopped, its arrays unread."""
    saved, scalars, _, _ = _read(path, with_arrays=False)
    return saved, scalars


def load(path, fingerprint: dict):
    """(arrays, scalars, records) of a checkpoint made with exactly `fingerprint`."""
    saved, scalars, records, arrays = _read(path)
    if saved != fingerprint:
        raise Mismatch(path, sorted(k for k in set(saved) | set(fingerprint) if saved.get(k) != fingerprint.get(k)))
    return arrays, scalars, records
