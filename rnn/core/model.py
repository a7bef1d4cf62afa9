"""The reference vanilla RNN (docs/algorithm.md section 2): small and readable, checked against the equations.

    a_t = W h_{t-1} + U x_t + b,   h_t = tanh(a_t),   o_t = V h_t + c,   p_t = softmax(o_t)
    L   = -sum_t log p_t[y_t]

Everything here works on float64 and on complex128 (the complex-step gradient check runs the
forward pass on complex numbers). The compiled kernel in `kernel.py` must agree with `update`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..files import save_npz

ADAGRAD_EPS = 1e-8
PARAM_NAMES = ("U", "W", "V", "b", "c")


@dataclass
class Params:
    """U (m x K), W (m x m), V (K x m), b (m), c (K)."""

    U: np.ndarray
    W: np.ndarray
    V: np.ndarray
    b: np.ndarray
    c: np.ndarray

    @property
    def m(self) -> int:
        return self.W.shape[0]

    @property
    def K(self) -> int:
        return self.U.shape[1]

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def copy(self) -> "Params":
        return Params(**{k: v.copy() for k, v in self.arrays().items()})

    def zeros_like(self) -> "Params":
        return Params(**{k: np.zeros_like(v) for k, v in self.arrays().items()})


def init_params(K: int, m: int, sig: float, seed: int) -> Params:
    """U, W, V ~ sig * N(0, 1), drawn in that order from numpy's PCG64 seeded with `seed`; b = c = 0."""
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((m, K)) * sig
    W = rng.standard_normal((m, m)) * sig
    V = rng.standard_normal((K, m)) * sig
    return Params(U=U, W=W, V=V, b=np.zeros(m), c=np.zeros(K))


def hidden_step(p: Params, h, x: int):
    """h_t = tanh(W h_{t-1} + U x_t + b) for one input index x."""
    return np.tanh(p.W @ h + p.U[:, x] + p.b)


def forward(p: Params, x, h0):
    """Hidden states H (tau+1 rows, H[0] = h0) and log-probabilities (tau x K) for inputs x."""
    tau = len(x)
    H = np.zeros((tau + 1, p.m), dtype=np.result_type(p.W, p.U, h0))
    H[0] = h0
    for t in range(tau):
        H[t + 1] = hidden_step(p, H[t], x[t])
    O = H[1:] @ p.V.T + p.c
    Z = O - O.real.max(axis=1, keepdims=True)  # a constant shift: exact for softmax, also for complex O
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return H, log_p


def loss(p: Params, x, y, h0):
    """L = -sum_t log p_t[y_t] (a sum over the sequence, not a mean)."""
    _, log_p = forward(p, x, h0)
    return -log_p[np.arange(len(y)), y].sum()


def backward(p: Params, x, y, H, log_p) -> Params:
    """Gradients of L by back-propagation through time; h0 = H[0] is an input, not a parameter."""
    tau = len(x)
    dO = np.exp(log_p)
    dO[np.arange(tau), y] -= 1.0
    dA = np.zeros((tau, p.m))
    da_next = np.zeros(p.m)
    dH = dO @ p.V
    for t in reversed(range(tau)):
        dh = dH[t] + p.W.T @ da_next
        da_next = dA[t] = dh * (1.0 - H[t + 1] ** 2)
    dU = np.zeros_like(p.U)
    np.add.at(dU.T, np.asarray(x), dA)
    return Params(U=dU, W=dA.T @ H[:-1], V=dO.T @ H[1:], b=dA.sum(axis=0), c=dO.sum(axis=0))


def gradients(p: Params, x, y, h0):
    """(loss, gradients, last hidden state) of one sequence."""
    H, log_p = forward(p, x, h0)
    L = -log_p[np.arange(len(y)), y].sum()
    return L, backward(p, x, y, H, log_p), H[-1]


def update(p: Params, mem: Params, x, y, h_prev, eta: float, clip: float = 5.0):
    """One training step in place (docs/algorithm.md sections 3.3-3.4): clip, then AdaGrad. Returns (loss, new h_prev)."""
    L, g, h = gradients(p, x, y, h_prev)
    for name in PARAM_NAMES:
        gi = np.clip(getattr(g, name), -clip, clip)
        Mi = getattr(mem, name)
        Mi += gi * gi
        getattr(p, name)[...] -= eta * gi / np.sqrt(Mi + ADAGRAD_EPS)
    return L, h


# --- model files: one .npz, no pickle, with the vocabulary and the state to sample from ---

def save_model(path, p: Params, vocab: str, h=None, x0: int = 0, **meta) -> None:
    """Write parameters, vocabulary, the hidden state and next input to sample from, and metadata."""
    h = np.zeros(p.m) if h is None else h
    extra = {f"meta_{k}": np.array(v) for k, v in meta.items()}
    save_npz(path, **p.arrays(), vocab=np.array(vocab), h=h, x0=np.array(x0), **extra)


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
    if p.U.ndim != 2:
        raise UserError(f"{path}: inconsistent parameter shapes or vocabulary size; retrain it")
    m, K = p.U.shape
    h = arrays["h"].astype(np.float64)
    shapes_ok = (
        p.W.shape == (m, m) and p.V.shape == (K, m) and p.b.shape == (m,) and p.c.shape == (K,)
        and h.shape == (m,) and len(vocab) == K and K > 0
    )
    if not shapes_ok:
        raise UserError(f"{path}: inconsistent parameter shapes or vocabulary size; retrain it")
    bad = [k for k, a in (*p.arrays().items(), ("h", h)) if not np.isfinite(a).all()]
    if bad:
        raise UserError(f"{path}: {', '.join(bad)} hold values that are not finite (NaN or infinite); retrain it")
    x0 = int(arrays["x0"])
    if not 0 <= x0 < K:
        raise UserError(f"{path}: start character x0 = {x0} is outside the vocabulary of {K}; retrain it")
    meta = {k[5:]: arrays[k].item() for k in arrays if k.startswith("meta_") and arrays[k].size == 1}
    return p, vocab, h, x0, meta


def save_epoch_models(path, models: list[Params], vocab: str, **meta) -> None:
    """The parameters at the end of every epoch, stacked (U has shape epochs x m x K, ...), with the
    vocabulary and metadata: what the evaluation reads (docs/algorithm.md section 8.3)."""
    stacked = {name: np.stack([getattr(p, name) for p in models]) for name in PARAM_NAMES}
    save_npz(path, **stacked, vocab=np.array(vocab), **{f"meta_{k}": np.array(v) for k, v in meta.items()})


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
    E, m, K = arrays["U"].shape if arrays["U"].ndim == 3 else (0, 0, 0)
    shapes = {"U": (E, m, K), "W": (E, m, m), "V": (E, K, m), "b": (E, m), "c": (E, K)}
    if E == 0 or any(arrays[k].shape != shape for k, shape in shapes.items()) or len(vocab) != K:
        raise UserError(f"{path}: inconsistent parameter shapes or vocabulary size; retrain it")
    if not all(np.isfinite(arrays[k]).all() for k in PARAM_NAMES):
        raise UserError(f"{path}: parameters that are not finite (NaN or infinite); retrain it")
    models = [Params(**{k: arrays[k][e].copy() for k in PARAM_NAMES}) for e in range(E)]
    meta = {k[5:]: arrays[k].item() for k in arrays if k.startswith("meta_") and arrays[k].size == 1}
    return models, vocab, meta
