"""Training (docs/algorithm.md section 3): AdaGrad over epochs, losses of every step, snapshots, best model.

The update steps run in the compiled kernel (`kernel.run_updates`), a chunk at a time; between
chunks this module takes snapshots, writes checkpoints and prints progress. Chunk boundaries do not
change the arithmetic, so a run resumed from a checkpoint ends bit-identical to one never stopped.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from .. import settings
from ..errors import Terminated, UserError
from ..files import save_npz, write_json, write_text
from ..outputs import RunFiles
from . import cells, checkpoint, kernel
from .corpus import Corpus, training_part, updates_per_epoch
from .modelfile import save_epoch_models, save_model
from .run import Run
from .sample import snapshot_rng, synthesize

SETTING_OF = {s.dest: s.key for s in settings.SETTINGS if "train" in s.commands}  # field -> config key
CHUNK = 2000  # update steps per kernel call between progress checks (about 0.3 s)


def _default(key: str):
    return settings.BY_KEY[key].default


@dataclass(frozen=True)
class TrainConfig:
    """One run's settings: each field is the setting of that name in rnn/settings.py (its config key
    with '_' for '.'), with the default, range and meaning given there."""

    seed: int = 1
    hidden_size: int = _default("hidden_size")
    eta: float = _default("eta")
    sig: float = _default("sig")
    seq_length: int = _default("seq_length")
    epochs: int = _default("epochs")
    clip: float = _default("clip")
    snapshots_every: int = _default("snapshots.every")
    snapshots_until: int = _default("snapshots.until")
    snapshots_length: int = _default("snapshots.length")
    synthesis_seed: int = _default("synthesis_seed")
    validation_fraction: float = _default("validation_fraction")
    cell: str = _default("cell")

    def __post_init__(self):
        for f in fields(self):
            if f.name in SETTING_OF:
                settings.check(SETTING_OF[f.name], getattr(self, f.name))

    def snapshot_steps(self, total_steps: int) -> list[int]:
        """0, every, 2 every, ... up to snapshots_until, within the run."""
        last = min(self.snapshots_until, total_steps)
        return list(range(0, last + 1, self.snapshots_every))


class TrainingDiverged(UserError):
    """The loss became NaN or infinite, or the smooth loss passed DIVERGENCE_FACTOR times its scale."""


DIVERGENCE_FACTOR = 10.0  # docs/algorithm.md section 3.9


def divergence_limit(first_loss: float, tau: int, K: int) -> float:
    """The smooth loss above which training has diverged (docs/algorithm.md section 3.9): ten times
    the larger of the first loss and the loss of a uniform guess, tau ln K. Training never comes back
    from there; a healthy run stays below its first loss after its first few hundred updates."""
    return DIVERGENCE_FACTOR * max(first_loss, tau * float(np.log(K)))


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


def fingerprint(cfg: TrainConfig, corpus: Corpus, code_sha256: str = "") -> dict:
    """What a run's numbers depend on: its settings, its text and the code that trains it (the
    command line passes `pipeline.code.fingerprint("train")`)."""
    return {**asdict(cfg), "corpus_sha256": corpus.sha256, "vocab": corpus.vocab, "code_sha256": code_sha256}


class RunState(Run):
    """Everything a training run carries from one update to the next, exactly what a checkpoint holds:
    a kernel `Run` (parameters, AdaGrad memory, state, best model, losses, position), and the parameters
    at every epoch's end and the snapshots taken so far."""

    def __init__(self, book, cfg: TrainConfig, K: int, steps: int):
        """Initial weights (docs/algorithm.md sections 2.2, 7.2), zero memory, nothing recorded yet."""
        params = cells.init_params(cfg.cell, K, cfg.hidden_size, cfg.sig, cfg.seed)
        super().__init__(book, params, eta=cfg.eta, clip=cfg.clip, tau=cfg.seq_length, steps=steps)
        self.epoch_P = tuple(np.zeros((cfg.epochs, *a.shape)) for a in self.P)  # [k]: after epoch k + 1
        self.snapshots: list = []
        self.seconds = 0.0  # training time of the attempts before this one (a checkpoint's), for timing.json

    def keep_epoch(self, epoch: int) -> None:
        """The parameters now, at the end of `epoch` (1-based), for the evaluation (section 8.3)."""
        for stack, a in zip(self.epoch_P, self.P):
            stack[epoch - 1] = a

    def checkpoint_arrays(self) -> dict:
        return {**self.arrays(), **{f"epoch{i}": a for i, a in enumerate(self.epoch_P)}}

    def save(self, path, fp: dict, seconds: float) -> None:
        """`seconds`: the training time up to now, over every attempt."""
        checkpoint.save(path, fp, self.checkpoint_arrays(),
                        {"e": self.e, "step": self.step, "smooth": self.smooth, "seconds": seconds},
                        {"snapshots": self.snapshots})

    def restore(self, path, fp: dict) -> None:
        """The state a checkpoint holds, after checking every array and counter against this run (a
        damaged file is refused, never passed to the kernel)."""
        arrays, scalars, records = checkpoint.load(path, fp)

        def bad(why: str):
            return UserError(f"{path}: damaged checkpoint ({why}); delete it to train from the start")

        try:
            e, step, smooth = int(scalars["e"]), int(scalars["step"]), float(scalars["smooth"])
            seconds = float(scalars["seconds"])
            snapshots = records["snapshots"]
        except (KeyError, TypeError, ValueError):
            raise bad("its counters are missing") from None
        N, tau = len(self.book), self.hyper.tau
        if not (0 <= e <= N - tau - 1 and 0 <= step <= len(self.losses)):
            raise bad(f"position {e} or step {step} outside this run")
        if not np.isfinite(smooth):
            raise bad(f"its smooth loss {smooth} is not finite")
        if not (np.isfinite(seconds) and seconds >= 0):
            raise bad(f"its training time {seconds} s is not a finite number of seconds")
        if not (isinstance(snapshots, list) and all(isinstance(x, dict) and "step" in x and "text" in x
                                                    for x in snapshots)):
            raise bad("its snapshots are not a list of records")
        self.step = step  # the loss record's length
        targets = self.checkpoint_arrays()
        for name, target in targets.items():
            got = arrays.get(name)
            if got is None or got.shape != target.shape or got.dtype.kind != "f":
                raise bad(f"array {name} is missing or has the wrong shape")
            if name != "best" and not np.isfinite(got).all():
                raise bad(f"array {name} holds a value that is not finite")
            if name in self.memory_names() and (got < 0).any():
                raise bad(f"AdaGrad memory {name} holds a negative value")
        K = self.P.V.shape[0]
        if step and not (np.isfinite(arrays["best"][0]) and 1 <= arrays["best"][1] <= step
                         and 0 <= arrays["best"][2] < K and arrays["best"][2] == int(arrays["best"][2])):
            raise bad("its best model's step or next character is outside this run")
        for name, target in targets.items():
            target[...] = arrays[name]
        self.e, self.smooth, self.snapshots, self.seconds = e, smooth, snapshots, seconds


def _diverged(what: str, bad: int, upe: int, cfg: TrainConfig, checkpoint_path) -> TrainingDiverged:
    kept = checkpoint_path and Path(checkpoint_path).exists()  # name only a file that is there
    return TrainingDiverged(
        f"training diverged: {what} at update step {bad} (epoch {(bad - 1) // upe + 1}); "
        f"lower `eta` (now {cfg.eta}) or check the corpus"
        + (f"; the last good checkpoint is kept at {checkpoint_path}" if kept else ""))


def train(corpus: Corpus, cfg: TrainConfig, out_dir, *, checkpoint_path=None,
          checkpoint_every: int = _default("checkpoint_every"), progress_stream=sys.stderr,
          stop: threading.Event | None = None, code_sha256: str = "", keep_checkpoint: bool = False) -> dict:
    """Train one run and write its files into out_dir; returns the summary.

    A checkpoint is resumed only when it was made with the same settings, text and code (code_sha256).
    When `stop` is set (SIGTERM, or the parent gone: `pipeline.guard`), training ends after the
    current kernel chunk: it writes the checkpoint and raises Terminated. The checkpoint is removed at
    the end, or with `keep_checkpoint` rewritten at the last step before the run's files: a job killed
    after it trained (a SLURM time limit enforced late) then resumes there, and the workflow removes
    it once it has recorded the run (`pipeline.cleanup`)."""
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    tau = cfg.seq_length
    cut = training_part(corpus.N, tau, cfg.validation_fraction)  # the held-out rest is never trained on
    upe = updates_per_epoch(cut, tau)
    total = cfg.epochs * upe
    book = corpus.ids[:cut].astype(np.int32)
    fp = fingerprint(cfg, corpus, code_sha256)

    # the state: fresh, or where a checkpoint of the same settings, text and code left it
    run = RunState(book, cfg, corpus.K, total)
    if checkpoint_path and Path(checkpoint_path).exists():
        try:
            run.restore(checkpoint_path, fp)
            print(f"resuming from {checkpoint_path} at step {run.step}", file=progress_stream)
        except checkpoint.Mismatch as exc:
            print(f"not resuming: {exc}; training starts from step 0", file=progress_stream)
            run = RunState(book, cfg, corpus.K, total)
    snap_steps = cfg.snapshot_steps(total)
    if cfg.snapshots_until > total:
        print(f"warning: snapshots are scheduled up to step {cfg.snapshots_until:,} but training has "
              f"{total:,} steps; taking the {len(snap_steps)} that fall within it", file=progress_stream)
    progress = Progress(total, upe, run.step, progress_stream)

    def check_finite():
        """Checkpoints and the run's files only of finite parameters: the last checkpoint kept is always good."""
        if not all(np.isfinite(a).all() for a in run.P):
            raise _diverged("the parameters are no longer finite", run.step, upe, cfg, checkpoint_path)

    def seconds_so_far() -> float:
        """The training time over every attempt: the checkpoint's, then this process's."""
        return run.seconds + time.perf_counter() - t0

    while True:
        # snapshot: text from the current parameters, before the update that comes next
        if run.step in snap_steps and not any(s["step"] == run.step for s in run.snapshots):
            text = corpus.decode(synthesize(run.params(), run.h, book[run.e], cfg.snapshots_length,
                                            snapshot_rng(cfg.synthesis_seed, run.step)))
            run.snapshots.append({"step": run.step, "smooth_loss": run.smooth if run.step else None, "text": text})
        if run.step >= total:
            break

        # kernel chunk: updates up to the next snapshot, epoch end, checkpoint or progress line
        stops = [total, run.step + CHUNK, (run.step // upe + 1) * upe, *[s for s in snap_steps if s > run.step][:1]]
        if checkpoint_path:
            stops.append((run.step // checkpoint_every + 1) * checkpoint_every)
        n = min(stops) - run.step
        first = run.step
        done = run.advance(n)

        # divergence: the kernel stopped before an update whose loss was not finite, or the smooth
        # loss passed its limit (docs/algorithm.md section 3.9); nothing of this chunk is saved
        if done < n:
            raise _diverged(f"the loss is {run.losses[run.step]}", run.step + 1, upe, cfg, checkpoint_path)
        limit = divergence_limit(float(run.losses[0]), tau, corpus.K)
        over = np.flatnonzero(~(run.smooths[first:run.step] <= limit))
        if over.size:
            bad = first + int(over[0]) + 1
            raise _diverged(f"the smooth loss {run.smooths[bad - 1]:,.1f} passed {limit:,.1f} (ten times the larger "
                            f"of the first loss and seq_length x ln K)", bad, upe, cfg, checkpoint_path)
        if run.step % upe == 0:
            run.keep_epoch(run.step // upe)

        # checkpoint: on schedule, or at once when asked to stop
        stopping = stop is not None and stop.is_set() and run.step < total
        if checkpoint_path and run.step < total and (stopping or run.step % checkpoint_every == 0):
            check_finite()
            run.save(checkpoint_path, fp, seconds_so_far())
        if stopping:
            raise Terminated(
                f"{getattr(stop, 'reason', 'SIGTERM')}: stopped at update step {run.step:,} of {total:,}; "
                + (f"checkpoint written to {checkpoint_path}, the same command resumes from it"
                   if checkpoint_path else "no --checkpoint was given, so a rerun starts over"))

        # progress: a line on the log, or a bar on a terminal
        progress(run.step, run.smooth, force=run.step % upe == 0 or run.step == total)

    # the run's files, of finite parameters only, after the kept checkpoint
    check_finite()
    if checkpoint_path and keep_checkpoint:
        run.save(checkpoint_path, fp, seconds_so_far())
        print(f"checkpoint kept at the last step in {checkpoint_path}, until the workflow has recorded the run",
              file=progress_stream)
    seconds = seconds_so_far()
    summary = _write_run(out_dir, run, corpus, cfg, upe, book)
    write_json(out_dir / RunFiles.timing, {"seconds": seconds, "steps_per_second": total / seconds})
    if checkpoint_path and not keep_checkpoint:
        Path(checkpoint_path).unlink(missing_ok=True)
    return {**summary, "seconds": seconds, "steps_per_second": total / seconds}


def _write_run(out: Path, run: RunState, corpus: Corpus, cfg: TrainConfig, upe: int, book) -> dict:
    """Losses, snapshots, the best and the final model, and the summary: numbers only (no times), so
    the same settings and text give the same bytes."""
    out.mkdir(parents=True, exist_ok=True)
    best_step = int(run.best[1])
    epoch_ends = [float(run.smooths[k * upe - 1]) for k in range(1, cfg.epochs + 1)]
    summary = {
        "seed": cfg.seed,
        "steps": run.step,
        "epochs": cfg.epochs,
        "updates_per_epoch": upe,
        "first_loss": float(run.losses[0]),
        "end_epoch1_smooth_loss": epoch_ends[0],
        "epoch_end_smooth_losses": epoch_ends,
        "final_smooth_loss": float(run.smooths[-1]),
        "best_smooth_loss": float(run.best[0]),
        "best_step": best_step,
        "hidden_size": cfg.hidden_size, "eta": cfg.eta, "sig": cfg.sig, "seq_length": cfg.seq_length, "clip": cfg.clip,
        "synthesis_seed": cfg.synthesis_seed,
        **({"cell": cfg.cell} if cfg.cell != "rnn" else {}),  # the RNN's summary as before cells existed
        "corpus_sha256": corpus.sha256,
        "characters": corpus.N,
        "vocabulary": corpus.K,
    }
    save_npz(out / RunFiles.losses, loss=run.losses, smooth_loss=run.smooths)
    write_text(out / RunFiles.snapshots, json.dumps(run.snapshots, indent=1, ensure_ascii=False) + "\n")
    save_model(out / RunFiles.model_best, run.best_params(), corpus.vocab, h=run.best_h,
               x0=int(run.best[2]), step=best_step, smooth_loss=float(run.best[0]), seed=cfg.seed)
    save_model(out / RunFiles.model_final, run.params(), corpus.vocab, h=run.h, x0=int(book[run.e]),
               step=run.step, smooth_loss=float(run.smooths[-1]), seed=cfg.seed)
    save_epoch_models(out / RunFiles.epochs, [kernel.params_of([a[k] for a in run.epoch_P])
                                              for k in range(cfg.epochs)], corpus.vocab,
                      training_characters=len(book), validation_fraction=cfg.validation_fraction)
    write_json(out / RunFiles.summary, summary)
    return summary
