"""The one exception type for user mistakes: the CLI prints its message on one line, no traceback."""


class UserError(Exception):
    """Bad input from the user (file, config value, model): the message names it and the fix."""


class Terminated(Exception):
    """A signal stopped training after a checkpoint: SIGTERM (SLURM's time limit, preemption, scancel) or
    SIGINT (Ctrl-C)."""

    exit_status = 143  # 128 + the signal's number (15; 2 for SIGINT): what a shell reports for a process it ended
