"""Every number the cell kernels make, on one machine: `python -m tests.workflow.cells_everywhere OUT.json`.

tests/workflow/test_portable_cells.py runs it under emulated CPUs (numba's target) and compares the SHA-256
digests it writes: training each gated cell a few hundred updates (every loss, the final and the best
model, the carried state), its gradient check by both methods, synthesis and the loss over a text for
every cell.
"""

import hashlib
import json
import sys

import numpy as np

from rnn.core import cell_gradcheck, cells, kernel
from rnn.core import cell_kernels as ck
from rnn.core.corpus import Corpus, builtin_text

M, TAU, STEPS = 24, 25, 400


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _train(cell: str, c: Corpus):
    state = kernel.KernelState.from_params(cells.init_params(cell, c.K, M, 0.1, 3))
    P, Mem = ck.Weights(*state.param_tuple()), ck.Weights(*state.memory_tuple())
    h = np.zeros(cells.state_size(cell, M))
    best = ck.Best(ck.Weights(*(a.copy() for a in P)), np.zeros_like(h), np.array([np.inf, 0.0, 0.0]))
    record = ck.Record(np.zeros(STEPS), np.zeros(STEPS))
    done, e, smooth = ck.run_updates(c.ids.astype(np.int32), ck.Hyper(0.1, 5.0, TAU),
                                     ck.State(P, Mem, h, ck.workspace(cell, c.K, M, TAU)), best, record,
                                     ck.Position(0, 0, 0.0), STEPS)
    assert done == STEPS
    return state.params(), h, {
        "losses": _digest(*record), "final": _digest(*P, *Mem, h, np.array([e, smooth])),
        "best": _digest(*best.P, best.h, best.best), "smooth": float(smooth)}


def main(out: str) -> None:
    c = Corpus.from_text(builtin_text("prose")[:9000], "prose")
    result = {}
    for cell in cells.CELLS:
        if cell == "rnn":  # its training and gradient check are tests/workflow/test_portable.py's
            p, h, r = cells.init_params("rnn", c.K, M, 0.3, 3), np.zeros(M), {}
        else:
            p, h, r = _train(cell, c)
            table = cell_gradcheck.check(cell, c.ids, c.K, 6, sig=0.1, seq_length=TAU, seed=2)
            r["gradcheck"] = hashlib.sha256(json.dumps(table, sort_keys=True).encode()).hexdigest()
        ids = ck.synthesize(p, h, int(c.ids[0]), 400, np.random.default_rng(5), 0.8, 0.9)
        r["sample"] = _digest(ids)
        r["loss_over_text"] = ck.loss_over_text(c.ids[-2000:], p, np.zeros(cells.state_size(cell, M))).hex()
        result[cell] = r
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
