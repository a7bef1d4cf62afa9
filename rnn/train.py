"""Training (SPEC section 3): AdaGrad over epochs, losses of every step, snapshots, best model.

The update steps run in the compiled kernel (`kernel.run_updates`), a chunk at a time; between
chunks this module takes snapshots, writes checkpoints and prints progress. Chunk boundaries do not
change the arithmetic, so a run resumed from a checkpoint ends bit-identical to one never stopped.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import checkpoint, kernel
from .corpus import Corpus, updates_per_epoch
from .errors import Terminated, UserError
from .files import save_npz, write_json, write_text
from .model import init_params, save_model
from .sample import snapshot_rng, synthesize

CHUNK = 2000  # update steps per kernel call between progress checks (about 0.3 s)


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 1
    m: int = 100
    eta: float = 0.1
    sig: float = 0.01
    seq_length: int = 25
    epochs: int = 10
    clip: float = 5.0
    snapshot_every: int = 10_000
    snapshot_until: int = 100_000
    snapshot_length: int = 200
    sample_seed: int = 0

    def __post_init__(self):
        for key in ("m", "seq_length", "epochs", "snapshot_every", "snapshot_length"):
            if not isinstance(getattr(self, key), int) or getattr(self, key) <= 0:
                raise UserError(f"`{key}` must be a positive integer (got {getattr(self, key)!r})")
        for key in ("eta", "sig", "clip"):
            if not getattr(self, key) > 0:
                raise UserError(f"`{key}` must be a positive number (got {getattr(self, key)!r})")
        if self.snapshot_until < 0:
            raise UserError(f"`snapshot_until` must be >= 0 (got {self.snapshot_until})")

    def snapshot_steps(self, total_steps: int) -> list[int]:
        """0, every, 2 every, ... up to snapshot_until, within the run."""
        last = min(self.snapshot_until, total_steps)
        return list(range(0, last + 1, self.snapshot_every))


class TrainingDiverged(UserError):
    """The loss became NaN or infinite."""


class Progress:
    """A bar on a terminal; on a log file, a plain line every `every` seconds and at epoch ends."""

    def __init__(self, total: int, upe: int, first_step: int, stream=sys.stderr, every: float = 10.0):
        self.total, self.upe, self.stream, self.every = total, upe, stream, every
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.start = time.perf_counter()
        self.last = -1e9
        self.first_step = first_step

    def __call__(self, step: int, smooth: float, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last < (0.2 if self.tty else self.every):
            return
        self.last = now
        rate = (step - self.first_step) / max(now - self.start, 1e-9)
        eta_s = (self.total - step) / rate if rate > 0 else float("nan")
        epoch = min(step // self.upe + 1, -(-self.total // self.upe))
        text = (f"step {step}/{self.total} epoch {epoch} smooth loss {smooth:.3f} "
                f"{rate:,.0f} steps/s ETA {eta_s:.0f} s")
        if self.tty:
            frac = step / self.total
            bar = "#" * int(30 * frac)
            self.stream.write(f"\r[{bar:<30}] {100 * frac:5.1f}% {text}")
            if step >= self.total:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


@contextmanager
def stop_on_sigterm():
    """An Event that SIGTERM sets, in place of ending the process, for `train(stop=...)`.

    SLURM sends SIGTERM at a job's time limit, on preemption and on scancel, and SIGKILL only
    KillWait seconds (30 by default) later: training checks the event after each kernel chunk
    (about 0.3 s), writes its checkpoint and stops, so at most that chunk is computed again.
    """
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)


def fingerprint(cfg: TrainConfig, corpus: Corpus) -> dict:
    return {**asdict(cfg), "corpus_sha256": corpus.sha256, "vocab": corpus.vocab}


def train(corpus: Corpus, cfg: TrainConfig, out_dir, checkpoint_path=None,
          checkpoint_every: int = 20_000, progress_stream=sys.stderr,
          stop: threading.Event | None = None) -> dict:
    """Train one run and write its files into out_dir; returns the summary.

    When `stop` is set (see `stop_on_sigterm`), training ends after the current kernel chunk:
    it writes the checkpoint and raises Terminated."""
    t0 = time.perf_counter()
    tau = cfg.seq_length
    if corpus.N < tau + 1:
        raise UserError(f"corpus has {corpus.N} characters; seq_length + 1 = {tau + 1} are needed")
    upe = updates_per_epoch(corpus.N, tau)
    total = cfg.epochs * upe
    book = corpus.ids.astype(np.int32)
    K, m = corpus.K, cfg.m
    fp = fingerprint(cfg, corpus)

    state = kernel.KernelState.from_params(init_params(K, m, cfg.sig, cfg.seed))
    work = kernel.workspace(K, m, tau)
    h = np.zeros(m)
    best_P = tuple(a.copy() for a in state.param_tuple())
    best_h = np.zeros(m)
    best = np.array([np.inf, 0.0, 0.0])  # lowest smooth loss, its step, the x0 after it
    losses = np.zeros(total)
    smooths = np.zeros(total)
    e, step, smooth = 0, 0, 0.0
    snapshots: list[dict] = []

    if checkpoint_path and Path(checkpoint_path).exists():
        arrays, scalars, records = checkpoint.load(checkpoint_path, fp)
        for name, arr in state.arrays().items():
            arr[...] = arrays[name]
        for i, arr in enumerate(best_P):
            arr[...] = arrays[f"best{i}"]
        h[:], best_h[:], best[:] = arrays["h"], arrays["best_h"], arrays["best"]
        e, step, smooth = scalars["e"], scalars["step"], scalars["smooth"]
        losses[:step], smooths[:step] = arrays["losses"], arrays["smooths"]
        snapshots = records["snapshots"]
        print(f"resuming from {checkpoint_path} at step {step}", file=progress_stream)

    def diverged(what: str, bad: int):
        return TrainingDiverged(
            f"training diverged: {what} at update step {bad} (epoch {(bad - 1) // upe + 1}); "
            f"lower `eta` (now {cfg.eta}) or check the corpus"
            + (f"; the last good checkpoint is kept at {checkpoint_path}" if checkpoint_path else ""))

    def save_checkpoint():
        if not all(np.isfinite(a).all() for a in state.param_tuple()):
            raise diverged("the parameters are no longer finite", step)
        arrays = {**state.arrays(), "h": h, "best_h": best_h, "best": best,
                  "losses": losses[:step], "smooths": smooths[:step]}
        arrays.update({f"best{i}": a for i, a in enumerate(best_P)})
        checkpoint.save(checkpoint_path, fp, arrays, {"e": e, "step": step, "smooth": smooth},
                        {"snapshots": snapshots})

    snap_steps = cfg.snapshot_steps(total)
    if cfg.snapshot_until > total:
        print(f"warning: snapshots are scheduled up to step {cfg.snapshot_until:,} but training has "
              f"{total:,} steps; taking the {len(snap_steps)} that fall within it", file=progress_stream)
    progress = Progress(total, upe, step, progress_stream)
    P, M = state.param_tuple(), state.memory_tuple()
    while True:
        if step in snap_steps and not any(s["step"] == step for s in snapshots):
            text = corpus.decode(synthesize(state.params(), h, book[e], cfg.snapshot_length,
                                            snapshot_rng(cfg.sample_seed, step)))
            snapshots.append({"step": step, "smooth_loss": smooth if step else None, "text": text})
        if step >= total:
            break
        stops = [total, step + CHUNK]
        stops += [s for s in snap_steps if s > step][:1]
        if checkpoint_path:
            stops.append((step // checkpoint_every + 1) * checkpoint_every)
        n = min(stops) - step
        done, e, smooth_new = kernel.run_updates(
            book, e, h, P, M, work, cfg.eta, cfg.clip, tau, n, step, smooth,
            losses[step:step + n], smooths[step:step + n], best_P, best_h, best)
        if done < n:
            bad = step + done + 1
            raise diverged(f"the loss is {losses[bad - 1]}", bad)
        step += n
        smooth = smooth_new
        stopping = stop is not None and stop.is_set() and step < total
        if checkpoint_path and step < total and (stopping or step % checkpoint_every == 0):
            save_checkpoint()
        if stopping:
            raise Terminated(
                f"stopped at update step {step:,} of {total:,}; "
                + (f"checkpoint written to {checkpoint_path}, the same command resumes from it"
                   if checkpoint_path else "no --checkpoint was given, so a rerun starts over"))
        progress(step, smooth, force=step % upe == 0 or step == total)

    seconds = time.perf_counter() - t0
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    best_params = kernel.params_from_tuple(best_P)
    best_step = int(best[1])
    epoch_ends = [float(smooths[k * upe - 1]) for k in range(1, cfg.epochs + 1)]
    summary = {
        "seed": cfg.seed,
        "steps": total,
        "epochs": cfg.epochs,
        "updates_per_epoch": upe,
        "first_loss": float(losses[0]),
        "end_epoch1_smooth_loss": epoch_ends[0],
        "epoch_end_smooth_losses": epoch_ends,
        "final_smooth_loss": float(smooths[-1]),
        "best_smooth_loss": float(best[0]),
        "best_step": best_step,
        "m": m, "eta": cfg.eta, "sig": cfg.sig, "seq_length": tau, "clip": cfg.clip,
        "sample_seed": cfg.sample_seed,
        "corpus_sha256": corpus.sha256,
        "characters": corpus.N,
        "vocabulary": K,
    }
    save_npz(out / "losses.npz", loss=losses, smooth_loss=smooths)
    write_text(out / "snapshots.json", json.dumps(snapshots, indent=1, ensure_ascii=False) + "\n")
    save_model(out / "model_best.npz", best_params, corpus.vocab, h=best_h, x0=int(best[2]),
               step=best_step, smooth_loss=float(best[0]), seed=cfg.seed)
    save_model(out / "model_final.npz", state.params(), corpus.vocab, h=h, x0=int(book[e]),
               step=total, smooth_loss=float(smooths[-1]), seed=cfg.seed)
    write_json(out / "summary.json", summary)
    write_json(out / "timing.json", {"seconds": seconds, "steps_per_second": total / seconds})  # kept apart:
    # summary.json holds only numbers that the same settings reproduce bit for bit
    if checkpoint_path and Path(checkpoint_path).exists():
        Path(checkpoint_path).unlink()
    return {**summary, "seconds": seconds, "steps_per_second": total / seconds}
