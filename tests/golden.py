"""Golden checksum files (tests/golden/*.sha256): compare a fresh run with them, or refresh them.

Refresh after an intended change of the numbers: `RNN_UPDATE_GOLDEN=1 python -m pytest -m slow -k golden`
rewrites the files from the fresh runs; commit them with a note saying why the numbers changed.
"""

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_matches_golden(checksums_file: Path, name: str) -> None:
    fresh = checksums_file.read_text()
    golden = GOLDEN / f"{name}.sha256"
    if os.environ.get("RNN_UPDATE_GOLDEN") == "1":
        golden.write_text(fresh)
        return
    want = dict(reversed(line.split("  ", 1)) for line in golden.read_text().splitlines())
    got = dict(reversed(line.split("  ", 1)) for line in fresh.splitlines())
    differ = sorted(p for p in set(want) | set(got) if want.get(p) != got.get(p))
    assert not differ, (f"{len(differ)} result files differ from {golden.name}: {', '.join(differ)} "
                        "(an intended change? see tests/golden.py for how to refresh)")
