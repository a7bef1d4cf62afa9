"""The one exception type for user mistakes: the CLI prints its message on one line, no traceback."""


class UserError(Exception):
    """Bad input from the user (file, config value, model): the message names it and the fix."""
