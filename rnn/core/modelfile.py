"""Model files: one .npz each (no pickle) with the parameters, the vocabulary, the carried state and next
input to sample from, the cell (when not the RNN) and metadata; read back checked, so that nothing read
from a file reaches the compiled sampler unchecked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from ..files import save_npz
from . import cells
from .model import PARAM_NAMES, Params


def _cell_entry(cell: str) -> dict:
    """The RNN's files are as before cells existed; a gated cell's name its cell."""
    return {} if cell == "rnn" else {"cell": np.array(cell)}



def save_model(path, p: Params, vocab: str, h=None, x0: int = 0, **meta) -> None:
    """Write parameters, vocabulary, the carried state and next input to sample from, and metadata."""
    cell = cells.cell_of(p)
    h = np.zeros(cells.state_size(cell, p.m)) if h is None else h
    extra = {f"meta_{k}": np.array(v) for k, v in meta.items()}
    save_npz(path, **p.arrays(), vocab=np.array(vocab), h=h, x0=np.array(x0), **_cell_entry(cell), **extra)


def _cell_in(arrays: dict, path) -> str:
    if "cell" not in arrays:
        return "rnn"
    cell = str(arrays["cell"])
    if arrays["cell"].shape != () or cell not in cells.CELLS:
        raise UserError(f"{path}: unknown cell {cell!r} (not one of {', '.join(cells.CELLS)}); retrain it")
    return cell


def _shapes_ok(p: Params, cell: str, vocab: str, E=()) -> bool:
    """U (G m x K), W (G m x m), V (K x m), b (G m), c (K) for the cell's G blocks (E: a leading axis)."""
    K, m = len(vocab), p.V.shape[-1] if p.V.ndim == len(E) + 2 else -1
    G = cells.BLOCKS[cell]
    want = {"U": (G * m, K), "W": (G * m, m), "V": (K, m), "b": (G * m,), "c": (K,)}
    return K > 0 and m > 0 and all(getattr(p, k).shape == (*E, *shape) for k, shape in want.items())


def load_model(path):
    """(params, vocab, h, x0, meta) from a model file, refusing damaged or inconsistent files: shapes
    that disagree, a value that is not finite, a start character outside the vocabulary. Nothing read
    here reaches the compiled sampler unchecked."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: model file not found")
    if not path.is_file():
        raise UserError(f"{path}: not a regular file (a directory, pipe or device); give a model file (.npz)")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:  # noqa: BLE001 - truncated zip, bad header, ...: all mean a damaged file
        raise UserError(f"{path}: not a readable model file ({type(exc).__name__}: {exc}); retrain it")
    missing = [k for k in (*PARAM_NAMES, "vocab", "h", "x0") if k not in arrays]
    if missing:
        raise UserError(f"{path}: model file lacks {', '.join(missing)}; retrain it")
    numeric = [k for k in (*PARAM_NAMES, "h") if arrays[k].dtype.kind not in "fiu"]
    if numeric or arrays["x0"].dtype.kind not in "iu" or arrays["x0"].shape != () or arrays["vocab"].shape != ():
        raise UserError(f"{path}: model file has arrays of the wrong kind ({', '.join(numeric) or 'x0 or vocab'}); "
                        "retrain it")
    p = Params(**{k: arrays[k].astype(np.float64) for k in PARAM_NAMES})
    vocab = str(arrays["vocab"])
    if len(set(vocab)) != len(vocab):  # a character with two ids: samples would read as another text
        raise UserError(f"{path}: its vocabulary repeats a character, so it is no model's vocabulary; retrain it")
    cell = _cell_in(arrays, path)
    h = arrays["h"].astype(np.float64)
    if not (_shapes_ok(p, cell, vocab) and h.shape == (cells.state_size(cell, p.V.shape[1]),)):
        raise UserError(f"{path}: inconsistent parameter shapes or vocabulary size (for the {cell}); retrain it")
    K = len(vocab)
    bad = [k for k, a in (*p.arrays().items(), ("h", h)) if not np.isfinite(a).all()]
    if bad:
        raise UserError(f"{path}: {', '.join(bad)} hold values that are not finite (NaN or infinite); retrain it")
    x0 = int(arrays["x0"])
    if not 0 <= x0 < K:
        raise UserError(f"{path}: start character x0 = {x0} is outside the vocabulary of {K}; retrain it")
    meta = {k[5:]: arrays[k].item() for k in arrays if k.startswith("meta_") and arrays[k].size == 1}
    return p, vocab, h, x0, meta


def save_epoch_models(path, models: list[Params], vocab: str, **meta) -> None:
    """The parameters at the end of every epoch, stacked (U has shape epochs x G m x K, ...), with the
    vocabulary, the cell and metadata: what the evaluation reads (docs/algorithm.md section 8.3)."""
    stacked = {name: np.stack([getattr(p, name) for p in models]) for name in PARAM_NAMES}
    save_npz(path, **stacked, vocab=np.array(vocab), **_cell_entry(cells.cell_of(models[0])),
             **{f"meta_{k}": np.array(v) for k, v in meta.items()})


def load_epoch_models(path) -> tuple[list[Params], str, dict]:
    """(models, vocab, meta) of an epochs file, checked like a model file: shapes, finite values."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise UserError(f"{path}: not found; run snakemake again to train it") from None
    except Exception as exc:  # noqa: BLE001 - a damaged file
        raise UserError(f"{path}: not a readable epochs file ({type(exc).__name__}); retrain it") from None
    missing = [k for k in (*PARAM_NAMES, "vocab") if k not in arrays]
    if missing or any(arrays[k].dtype.kind != "f" or arrays[k].ndim < 2 for k in PARAM_NAMES):
        raise UserError(f"{path}: epochs file lacks or misshapes {', '.join(missing) or 'its parameters'}; retrain it")
    vocab = str(arrays["vocab"])
    cell = _cell_in(arrays, path)
    E = arrays["U"].shape[0] if arrays["U"].ndim == 3 else 0
    if E == 0 or not _shapes_ok(Params(**{k: arrays[k] for k in PARAM_NAMES}), cell, vocab, (E,)):
        raise UserError(f"{path}: inconsistent parameter shapes or vocabulary size; retrain it")
    if not all(np.isfinite(arrays[k]).all() for k in PARAM_NAMES):
        raise UserError(f"{path}: parameters that are not finite (NaN or infinite); retrain it")
    models = [Params(**{k: arrays[k][e].copy() for k in PARAM_NAMES}) for e in range(E)]
    meta = {k[5:]: arrays[k].item() for k in arrays if k.startswith("meta_") and arrays[k].size == 1}
    return models, vocab, meta
