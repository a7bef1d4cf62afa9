"""A vanilla character-level RNN trained with AdaGrad (KTH DD2424 Assignment 4), in numpy.

One concept per module: `corpus` (text -> integer ids), `prose` (the built-in corpus),
`model` (the reference RNN), `naive` (the min-char-rnn baseline, for benchmarks), `products`
(fixed-order matrix products), `kernel` (the compiled update step), `gradcheck`, `train`, `sample`,
`checkpoint`, `sweep`, `figures`, `latex`, `results`, `report`, `provenance`, `bench`, `settings`
(every setting, once), `outputs` (every output name, once), `code` (which files a command runs),
`errors`, `files` and `cli` (`python -m rnn ...`). docs/algorithm.md states what they compute.
"""

__version__ = "1.0.0"
