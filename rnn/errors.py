"""The one exception type for user mistakes: the CLI prints its message on one line, no traceback."""


class UserError(Exception):
    """Bad input from the user (file, config value, model): the message names it and the fix."""


class Terminated(Exception):
    """SIGTERM stopped training (SLURM's time limit, preemption, scancel) after a checkpoint."""

    exit_status = 143  # 128 + 15: what a shell reports for a process that SIGTERM ended
