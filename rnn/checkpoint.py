"""Training checkpoints: everything a run needs to continue bit for bit, in one .npz (no pickle).

Written atomically (a temporary file, then rename), so a kill at any moment leaves either the
previous checkpoint or the new one. A checkpoint records the settings and corpus checksum that made
it; one made with anything else is refused, never silently reused.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import UserError
from .files import save_npz


def save(path, fingerprint: dict, arrays: dict, scalars: dict, records: dict) -> None:
    """arrays: named float/int arrays; scalars and records: JSON-able (counters, snapshots)."""
    save_npz(
        path,
        fingerprint=np.array(json.dumps(fingerprint, sort_keys=True)),
        scalars=np.array(json.dumps(scalars)),
        records=np.array(json.dumps(records)),
        **{f"a_{k}": v for k, v in arrays.items()},
    )


def load(path, fingerprint: dict):
    """(arrays, scalars, records) of a checkpoint made with exactly `fingerprint`."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            saved = json.loads(str(z["fingerprint"]))
            scalars = json.loads(str(z["scalars"]))
            records = json.loads(str(z["records"]))
            arrays = {k[2:]: z[k] for k in z.files if k.startswith("a_")}
    except Exception as exc:  # noqa: BLE001 - truncated, corrupted or foreign file
        raise UserError(
            f"{path}: damaged checkpoint ({type(exc).__name__}); delete it to train from the start"
        ) from None
    if saved != fingerprint:
        diff = sorted(k for k in set(saved) | set(fingerprint) if saved.get(k) != fingerprint.get(k))
        raise UserError(
            f"{path}: checkpoint was made with other settings ({', '.join(diff)} differ); "
            "delete it to train from the start with the new settings"
        )
    return arrays, scalars, records
