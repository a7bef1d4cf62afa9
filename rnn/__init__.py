"""A vanilla character-level RNN trained with AdaGrad (KTH DD2424 Assignment 4), in numpy.

One concept per module: `corpus` (text -> integer ids), `model` (the reference RNN),
`naive` (the min-char-rnn baseline, for benchmarks), `kernel` (the compiled update step),
`gradcheck`, `train`, `sample`, `checkpoint`, `figures`, `latex`, `results`, `report`,
`provenance`, `bench`, `errors`, `files` and `cli` (`python -m rnn ...`).
"""

__version__ = "1.0.0"
