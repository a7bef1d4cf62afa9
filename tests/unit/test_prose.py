"""The built-in prose corpus: deterministic, English-like, and the same bytes on every Python."""

import ast
import glob
import os
import re
import subprocess
from pathlib import Path

import pytest

from rnn.core import prose

PROSE_PY = Path(prose.__file__).resolve()
# The default text's checksum. It changes only when the grammar or word lists change on
# purpose; then every result trained on the default corpus changes too, so update it knowingly.
DEFAULT_SUMMARY = "500177 72 4db3da60e8d6da72fc6778f2ba102603172e6d2d7aa5da9b9a9df97bf11fe5d8"


@pytest.fixture(scope="module")
def text():
    return prose.generate()


def test_same_seed_same_text_and_another_seed_differs():
    assert prose.generate(7, 20_000) == prose.generate(7, 20_000)
    assert prose.generate(8, 20_000) != prose.generate(7, 20_000)


def test_default_text_is_pinned(text):
    assert prose.summary(text) == DEFAULT_SUMMARY


def test_splitmix64_reference_values():
    rng = prose.Rng(0)  # first outputs of splitmix64 seeded with 0 (Vigna's reference code)
    assert [rng.next() for _ in range(3)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    rng = prose.Rng(123)
    draws = [rng.below(7) for _ in range(7000)]
    assert set(draws) == set(range(7)) and all(800 < draws.count(k) < 1200 for k in range(7))
    assert {rng.weighted(((1, "a"), (0, "b"), (2, "c"))) for _ in range(100)} == {"a", "c"}


@pytest.mark.parametrize("characters", [1, 1_000, 12_345, 60_000])
def test_stops_at_the_first_paragraph_end_after_the_length(characters):
    t = prose.generate(3, characters)
    assert characters + 1 <= len(t) < characters + 2_000
    assert t.endswith("\n") and not t.endswith("\n\n") and t[-2] in '.?!"'
    last = t[:-1].rsplit("\n\n", 1)
    assert len(last) == 1 or len(last[0]) < characters or last[0].endswith(tuple("0123456789"))


def test_size_alphabet_and_layout(text):
    assert 300_000 <= len(text) <= 1_000_000
    assert 60 <= len(set(text)) <= 90
    assert text.isascii() and "\t" not in text and "\r" not in text
    assert sum(text.count(c) for c in "+-|=") / len(text) < 0.005
    lines = text.split("\n")
    assert max(map(len, lines)) <= 2_000
    assert "\n\n\n" not in text and not re.search(r" $", text, re.M)
    assert all(not line or line.startswith("Chapter ") for line in lines[1::2])  # blank between paragraphs
    assert lines[0] == "Chapter 1" and text.count("\nChapter ") > 20


def test_reads_like_prose(text):
    paragraphs = text.split("\n\n")
    assert len(paragraphs) > 1_000
    assert text.count('"') % 2 == 0 and text.count('"') > 1_000  # dialogue
    for mark in "?!,;:'":
        assert text.count(mark) > 100 or mark in ";:", mark
    assert text.count("?") > 300 and text.count(",") > 3_000
    words = {w.lower() for w in re.findall(r"[A-Za-z']+", text)}
    assert len(words) > 500
    spoken = [p for p in paragraphs if p.startswith('"')]
    assert 0.15 < len(spoken) / len(paragraphs) < 0.6


def test_every_sentence_starts_with_a_capital(text):
    starts = re.findall(r"(?:^|[.!?] +)(\"?.)", text, re.M)
    assert len(starts) > 5_000
    bad = [s for s in starts if not s[-1].isupper()]
    assert not bad, bad[:10]


@pytest.mark.parametrize("pattern", [
    r"\b[Tt]hey (was|has|knows)\b", r"\b([Hh]e|[Ss]he) (were|have|know)\b",  # pronoun agreement
    r"\b(Ash|Wren|Kit|Jude) were\b",  # singular they: "Ash was", "they were"
    r"\b[Aa] [aeiouAEIOU]", r"\b[Aa]n (?!hour|honest)[b-df-hj-np-tv-z]",  # a/an
    r"  ", r" [,.;:!?]", r"\b(\w+) \1\b",  # spacing and doubled words
])
def test_grammar(text, pattern):
    hits = re.findall(pattern, text)
    assert not hits, hits[:5]


def test_module_is_standard_library_only():
    tree = ast.parse(PROSE_PY.read_text())
    imports = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: the file is run by path"
            imports.add(node.module.split(".")[0])
    assert imports <= {"hashlib", "re", "sys"}
    assert "random" not in imports and "hash(" not in PROSE_PY.read_text()


def other_pythons():
    home = Path.home()
    found = []
    for minor in ("3.11", "3.12", "3.13"):
        found += sorted(glob.glob(str(home / f".pyenv/versions/{minor}.*/bin/python3")))
    if Path("/usr/bin/python3").exists():
        found.append("/usr/bin/python3")
    return found


def test_same_bytes_under_every_python(text):
    """The file run by path under each available CPython 3.11-3.13 prints the same N K sha256."""
    pythons = other_pythons()
    if not pythons:
        pytest.skip("no other CPython 3.11-3.13 found under ~/.pyenv/versions or /usr/bin")
    expected = prose.summary(text)
    seen = {}
    for i, python in enumerate(pythons):
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": str(17 + 1000 * i)}
        proc = subprocess.run([python, "-I", str(PROSE_PY)], capture_output=True, text=True,
                              env=env, timeout=120)
        assert proc.returncode == 0, (python, proc.stderr)
        version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True, env=env).stdout.strip()
        seen[f"{python} ({version})"] = proc.stdout.strip()
    assert all(v == expected for v in seen.values()), seen
