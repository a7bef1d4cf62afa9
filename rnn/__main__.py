"""`python -m rnn`: BLAS runs one thread per process (the pipeline runs one process per core)."""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from .cli import main  # noqa: E402

raise SystemExit(main())
