"""The exact core: every number of a result is made here, in an order fixed by this code, the same
bits on any CPU. Imports nothing from `reporting` or `pipeline`."""
