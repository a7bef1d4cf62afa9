"""A training job's process control: SIGTERM and SIGINT, one trainer per run directory, no trainer left
behind by its Snakemake.

Two trainers writing one run directory would mix their files. Each trainer holds an exclusive lock
(flock) on `.<run dir name>.lock` beside the run directory for as long as it runs: the kernel releases it when the process ends,
however it ends, so a lock never outlives its holder. A trainer started by Snakemake also watches
its parent: when Snakemake is killed (kill -9 leaves its jobs running), the trainer stops as on
SIGTERM, writing its checkpoint, instead of writing results into a directory that a later run owns.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError


class StopRequest(threading.Event):
    """Set when training should stop after its current chunk; `reason` says why (for the last line), and
    `exit_status` is what the process then exits with (128 + the signal's number, as a shell reports it)."""

    reason = "SIGTERM"
    exit_status = 143

    def stop(self, reason: str, exit_status: int = 143) -> None:
        if not self.is_set():  # the first cause is the one reported
            self.reason, self.exit_status = reason, exit_status
        self.set()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals():
    """A StopRequest that SIGTERM or SIGINT sets, in place of ending the process, for `train(stop=...)`.

    SLURM sends SIGTERM at a job's time limit, on preemption and on scancel, and SIGKILL only
    KillWait seconds (30 by default) later; Ctrl-C at a terminal sends SIGINT to Snakemake and its jobs
    alike. Training checks the event after each kernel chunk (about 0.3 s), writes its checkpoint and
    stops, so at most that chunk is computed again (a KeyboardInterrupt would lose all since the last
    periodic checkpoint, with a traceback).
    """
    stop = StopRequest()
    # a signal the process was started to ignore stays ignored (SIGINT for a job started in the background)
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.stop(signal.Signals(signum).name, 128 + signum))
                for sig in STOP_SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def exclusive(run_dir, wait_seconds: float = 30.0, poll: float = 0.2):
    """Hold the run directory's lock, waiting up to `wait_seconds` for a trainer that is stopping."""
    run_dir = Path(run_dir)
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    path = run_dir.parent / f".{run_dir.name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
                    raise UserError(f"{run_dir}: another trainer ({holder}) is writing this run; stop it "
                                    "(`kill <pid>`; on SLURM `scancel`) or wait for it, then run again") from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race with a waiting trainer)


@contextmanager
def stop_when_parent_exits(stop: StopRequest, poll: float = 0.5):
    """Set `stop` once this process's parent is gone (it is re-parented), checked every `poll` s."""
    parent = os.getppid()
    done = threading.Event()

    def watch():
        while not done.wait(poll):
            if os.getppid() != parent:
                stop.stop(f"the parent process {parent} (Snakemake) is gone")
                return

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        done.set()
        thread.join()
