"""docs/algorithm.md sections 3 and 7 written out with the reference cells (rnn.core.model, rnn.core.cells),
step by step: the oracle of training.

Independent of the kernels and of rnn.train: plain Python over `cells.update` (`model.update` for the
RNN), the schedule, the smooth loss and the best model as docs/algorithm.md states them.
"""

from dataclasses import dataclass, field

import numpy as np

from rnn.core import cells, model


@dataclass
class Trajectory:
    losses: list = field(default_factory=list)
    smooths: list = field(default_factory=list)
    p: model.Params = None  # after the last update
    mem: model.Params = None
    h: np.ndarray = None  # the carried state (h_prev) and position of the next update
    e: int = 0
    # the best model: the state after the update with the lowest smooth loss (the first such
    # update), with the h and next input x0 that the following update starts from
    best_smooth: float = np.inf
    best_step: int = 0
    best_p: model.Params = None
    best_h: np.ndarray = None
    best_x0: int = 0


def reference_run(ids, K, m, n_steps, *, sig=0.01, seed=3, eta=0.1, clip=5.0, tau=25, cell="rnn"):
    """n_steps updates (docs/algorithm.md section 3) from e = 0, a zero state on the integer text ids, from
    init_params(cell, K, m, sig, seed)."""
    ids = np.asarray(ids)
    N = len(ids)
    r = Trajectory(p=cells.init_params(cell, K, m, sig, seed))
    r.mem, r.h, r.e = r.p.zeros_like(), np.zeros(cells.state_size(cell, m)), 0
    if cell == "rnn":
        update = model.update
    else:
        def update(*args, **options):
            return cells.update(cell, *args, **options)
    for step in range(1, n_steps + 1):
        L, r.h = update(r.p, r.mem, ids[r.e:r.e + tau], ids[r.e + 1:r.e + tau + 1], r.h, eta, clip=clip)
        smooth = L if step == 1 else 0.999 * r.smooths[-1] + 0.001 * L
        r.losses.append(L)
        r.smooths.append(smooth)
        r.e += tau
        if r.e + tau + 1 > N:  # no full sequence (tau inputs and tau targets) is left: next epoch
            r.e, r.h = 0, np.zeros_like(r.h)
        if smooth < r.best_smooth:
            r.best_smooth, r.best_step = smooth, step
            r.best_p, r.best_h, r.best_x0 = r.p.copy(), r.h.copy(), int(ids[r.e])
    r.losses, r.smooths = np.array(r.losses), np.array(r.smooths)
    return r


def assert_same_trajectory(run, ref):
    """A kernel run (losses, smooths, smooth, e, h, step, state, best_P, best_h, best) equals the
    reference trajectory: every loss and smooth loss, the parameters, AdaGrad memory, carried state and
    position, and the best model, to 1e-12."""
    assert run.step == len(ref.losses)
    n = run.step
    assert np.all(np.abs(run.losses[:n] - ref.losses) <= 1e-12 * ref.losses)
    assert np.all(np.abs(run.smooths[:n] - ref.smooths) <= 1e-12 * ref.smooths)
    assert abs(run.smooth - ref.smooths[-1]) <= 1e-12 * ref.smooths[-1]
    assert run.e == ref.e
    assert rel(run.h, ref.h) <= 1e-12 if ref.h.any() else not run.h.any()
    kp, km = run.params(), run.memory()
    for name in model.PARAM_NAMES:
        assert rel(getattr(kp, name), getattr(ref.p, name)) <= 1e-12, name
        assert rel(getattr(km, name), getattr(ref.mem, name)) <= 1e-12, name
    # the best model: the state after the update with the lowest smooth loss
    assert run.best[1] == ref.best_step and abs(run.best[0] - ref.best_smooth) <= 1e-12 * ref.best_smooth
    assert run.best[2] == ref.best_x0
    best = run.best_params()
    for name in model.PARAM_NAMES:
        assert rel(getattr(best, name), getattr(ref.best_p, name)) <= 1e-12, name
    assert rel(run.best_h, ref.best_h) <= 1e-12 if ref.best_h.any() else not run.best_h.any()


def rel(a, b):
    """max |a - b| / max |b|: the relative difference of two arrays."""
    a, b = np.asarray(a), np.asarray(b)
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)


def easy_then_hard(n_easy=1000, n_hard=1000, k=40):
    """'abab...' then pseudo-random characters (an LCG): the smooth loss falls, then rises."""
    x, hard = 12345, []
    for _ in range(n_hard):
        x = (1103515245 * x + 12345) % 2**31
        hard.append(chr(48 + (x >> 16) % k))
    return "ab" * (n_easy // 2) + "".join(hard)
