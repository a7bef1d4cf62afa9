"""`python -m rnn`: the command line (see `rnn.cli`)."""

from .cli import console

raise SystemExit(console())
