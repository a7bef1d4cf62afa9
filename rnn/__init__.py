"""A vanilla character-level RNN trained with AdaGrad (KTH DD2424 Assignment 4), in numpy.

Three layers, each a subpackage: `rnn.core` makes every number (the text, the model, the compiled
kernel, training, sampling, the gradient check: what the golden files protect), `rnn.reporting` turns
results into tables, figures and the report, `rnn.pipeline` connects the workflow to the commands.
Beside them: `cli` (`python -m rnn ...`), `settings` (every setting, once), `outputs` (every output
path, once), `errors` and `files`. The README's "Layout" table lists every module with the first
line of its docstring (generated). docs/algorithm.md states what the core computes.
"""

__version__ = "1.0.0"
