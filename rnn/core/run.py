"""A training run around the compiled kernels: the arrays a `run_updates` call reads and writes, kept
between calls, for any cell. Training, the benchmark and the tests prepare and advance a run here, so
the kernel's argument groups are spelled out in one place.
"""

from __future__ import annotations

import numpy as np

from . import cell_kernels, cells, kernel
from .kernel import Best, Hyper, Position, Record, State, Weights
from .model import Params


class Run:
    """Parameters and AdaGrad memory (kernel layout), the carried state, the best model, the loss record
    of every update and the position in the text. `advance(n)` makes up to n updates."""

    def __init__(self, book, params: Params, *, eta: float, clip: float, tau: int, steps: int):
        self.cell = cells.cell_of(params)
        self.kernel = kernel if self.cell == "rnn" else cell_kernels
        self.book = np.ascontiguousarray(book, dtype=np.int32)
        self.hyper = Hyper(eta=float(eta), clip=float(clip), tau=int(tau))
        self.P, self.M = kernel.weights(params), kernel.weights(params.zeros_like())
        m = params.m
        self.h = np.zeros(cells.state_size(self.cell, m))  # the carried state: h (and the LSTM's s)
        self.work = (kernel.workspace(params.K, m, tau) if self.cell == "rnn"
                     else cell_kernels.workspace(self.cell, params.K, m, tau))
        self.best_P = Weights(*(a.copy() for a in self.P))
        self.best_h = np.zeros_like(self.h)
        self.best = np.array([np.inf, 0.0, 0.0])  # lowest smooth loss, its step, the x0 after it
        self.losses, self.smooths = np.zeros(steps), np.zeros(steps)
        self.e, self.step, self.smooth = 0, 0, 0.0

    def advance(self, n: int) -> int:
        """Up to n updates in one kernel call; the number made (fewer when a loss is not finite: the
        kernel stops before that update)."""
        done, self.e, self.smooth = self.kernel.run_updates(
            self.book, self.hyper, State(self.P, self.M, self.h, self.work), Best(self.best_P, self.best_h, self.best),
            Record(self.losses[self.step:self.step + n], self.smooths[self.step:self.step + n]),
            Position(self.e, self.step, self.smooth), n)
        self.step += done
        return done

    def params(self) -> Params:
        return kernel.params_of(self.P)

    def memory(self) -> Params:
        return kernel.params_of(self.M)

    def best_params(self) -> Params:
        return kernel.params_of(self.best_P)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array the run carries from one call to the next, by name (a checkpoint's)."""
        return {**self.P._asdict(), **{f"m{k}": v for k, v in self.M._asdict().items()},
                **{f"best{i}": a for i, a in enumerate(self.best_P)},
                "h": self.h, "best_h": self.best_h, "best": self.best,
                "losses": self.losses[:self.step], "smooths": self.smooths[:self.step]}

    @staticmethod
    def memory_names() -> tuple[str, ...]:
        """The AdaGrad memory's arrays among `arrays()` (sums of squares: never negative)."""
        return tuple(f"m{k}" for k in Weights._fields)
