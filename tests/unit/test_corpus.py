import hashlib

import numpy as np
import pytest

from rnn.core import corpus, modelfile
from rnn.settings import BY_KEY
from rnn.errors import UserError

from ..conftest import ROOT, run_rnn


def test_vocabulary_sorted_and_round_trip(small_text):
    c = corpus.Corpus.from_text(small_text, "x")
    assert list(c.vocab) == sorted(set(small_text))
    assert c.decode(c.ids) == small_text
    assert np.array_equal(c.encode(small_text[:100]), c.ids[:100])


@pytest.mark.parametrize("N,tau,expected", [(1_107_542, 25, 44_301), (26, 25, 1), (51, 25, 2), (50, 25, 1), (100, 10, 9)])
def test_updates_per_epoch(N, tau, expected):
    assert corpus.updates_per_epoch(N, tau) == expected
    # independent count: positions e = 0, tau, ... while e <= N - tau - 1 (docs/algorithm.md section 3.2)
    assert expected == sum(1 for e in range(0, N, tau) if e <= N - tau - 1)


def test_crlf_cr_and_lf_copies_give_the_same_corpus(tmp_path):
    text = "line one\nline two\n\nthree é ü\n"
    (tmp_path / "lf.txt").write_bytes(text.encode())
    (tmp_path / "crlf.txt").write_bytes(text.replace("\n", "\r\n").encode())
    (tmp_path / "cr.txt").write_bytes(text.replace("\n", "\r").encode())
    cs = [corpus.load(str(tmp_path / n)) for n in ("lf.txt", "crlf.txt", "cr.txt")]
    assert len({c.sha256 for c in cs}) == 1
    assert all(np.array_equal(cs[0].ids, c.ids) and c.vocab == cs[0].vocab for c in cs)


def test_builtin_corpus_is_the_generated_prose_the_readme_describes():
    from rnn.core import prose

    c = corpus.load(BY_KEY["book"].default)
    assert c.text == prose.generate()
    readme = (ROOT / "README.md").read_text()
    assert f"N = {c.N:,}" in readme and f"K = {c.K}" in readme and c.sha256 in readme


def test_save_load_round_trip_and_damage(tmp_path, small_corpus):
    path = tmp_path / "c.npz"
    small_corpus.save(path)
    back = corpus.Corpus.load(path)
    assert back.vocab == small_corpus.vocab and np.array_equal(back.ids, small_corpus.ids)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(UserError, match="not a readable encoded corpus"):
        corpus.Corpus.load(path)


def _one_line_error(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("case", ["missing", "directory", "empty", "short", "invalid", "binary"])
def test_bad_books_get_one_line_errors(tmp_path, case):
    book = tmp_path / "book.txt"
    needles = {
        "missing": ["not found"], "directory": ["is a directory"], "empty": ["empty"],
        "short": ["only 10 characters", "seq_length + 1 = 26"],
        "invalid": ["invalid UTF-8 at byte offset 6", "line 2"], "binary": ["binary file", "offset 3"],
    }[case]
    if case == "directory":
        book.mkdir()
    elif case == "empty":
        book.write_bytes(b"")
    elif case == "short":
        book.write_text("0123456789")
    elif case == "invalid":
        book.write_bytes(b"abcd\nf\xff" + b"x" * 100)
    elif case == "binary":
        book.write_bytes(b"abc\x00\x01\x02" * 50)
    out, facts = tmp_path / "out.npz", tmp_path / "f.json"
    good = tmp_path / "good.txt"
    good.write_text("an earlier, good book " * 10)
    run_rnn("prepare", "--book", good, "--out", out, "--facts", facts, check=True)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (out, facts)}
    proc = run_rnn("prepare", "--book", book, "--out", out, "--facts", facts)
    line = _one_line_error(proc, str(book), *needles)
    assert line.startswith("error: ")
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (out, facts)}


def test_path_with_spaces_and_quotes_works(tmp_path, small_text):
    book = tmp_path / "my 'odd' \"book\".txt"
    book.write_text(small_text)
    proc = run_rnn("prepare", "--book", book, "--out", tmp_path / "c.npz", "--facts", tmp_path / "f.json")
    assert proc.returncode == 0, proc.stderr
    assert corpus.Corpus.load(tmp_path / "c.npz").text == small_text


@pytest.mark.parametrize("damage", ["truncated", "garbage", "wrong_vocabulary"])
def test_damaged_model_gets_a_one_line_error(tmp_path, damage):
    from rnn.core import model

    path = tmp_path / "model.npz"
    p = model.init_params(5, 3, 0.1, 1)
    modelfile.save_model(path, p, "abcde" if damage != "wrong_vocabulary" else "abc")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:300])
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 100)
    proc = run_rnn("synthesize", "--model", path, "--length", 10)
    _one_line_error(proc, str(path))


def test_model_from_another_text_is_refused(tmp_path, small_text):
    """The best passage checks the model's vocabulary against the corpus it should come from."""
    import json as _json

    from rnn.core.corpus import Corpus
    from rnn.core.train import TrainConfig, train

    run = tmp_path / "runs" / "seed1"
    train(Corpus.from_text(small_text[:2000], "a"), TrainConfig(hidden_size=5, epochs=1, snapshots_until=0), run)
    other = Corpus.from_text("only these letters " * 20, "b")
    other.save(tmp_path / "other.npz")
    before = _json.loads((run / "summary.json").read_text())
    proc = run_rnn("passage", "--runs", run, "--corpus", tmp_path / "other.npz", "--txt", tmp_path / "p.txt",
                   "--json", tmp_path / "p.json", "--tex", tmp_path / "p.tex")
    _one_line_error(proc, "model_best.npz", "trained on another text")
    assert not (tmp_path / "p.txt").exists() and _json.loads((run / "summary.json").read_text()) == before


def _saved(path, ids, vocab, source="s", sha=None):
    """An encoded-corpus file written by hand, as Corpus.save lays it out."""
    text = "".join(vocab[i] for i in ids if 0 <= i < len(vocab))
    np.savez(path, ids=np.array(ids, dtype=np.int32), vocab=np.array(vocab), source=np.array(source),
             sha256=np.array(sha or hashlib.sha256(text.encode()).hexdigest()))


def test_corpus_file_round_trip_and_refusals(tmp_path):
    c = corpus.Corpus.from_text("hello, world\n", "my source")
    assert (c.vocab, list(c.ids[:3]), c.N, c.K) == ("\n ,dehlorw", [5, 4, 6], 13, 10)
    c.save(tmp_path / "c.npz")
    back = corpus.Corpus.load(tmp_path / "c.npz")
    assert (back.text, back.vocab, back.source) == ("hello, world\n", "\n ,dehlorw", "my source")
    assert back.sha256 == hashlib.sha256(b"hello, world\n").hexdigest() and np.array_equal(back.ids, c.ids)
    _saved(tmp_path / "edge.npz", [0, 2], "abc")  # the first and the last id of the vocabulary are fine
    assert corpus.Corpus.load(tmp_path / "edge.npz").text == "ac"
    for bad in ([0, 3], [-1, 1]):
        _saved(tmp_path / "bad.npz", bad, "abc")
        with pytest.raises(UserError, match="ids outside the vocabulary"):
            corpus.Corpus.load(tmp_path / "bad.npz")
    _saved(tmp_path / "sum.npz", [0, 1], "abc", sha="0" * 64)
    with pytest.raises(UserError, match="checksum mismatch"):
        corpus.Corpus.load(tmp_path / "sum.npz")
    with pytest.raises(UserError, match="encoded corpus not found"):
        corpus.Corpus.load(tmp_path / "none.npz")
    # no pickle: an object array is a damaged file, never unpickled
    np.savez(tmp_path / "obj.npz", ids=np.array([0], dtype=np.int32), vocab=np.array(["a"], dtype=object),
             source=np.array("s"), sha256=np.array("x"))
    with pytest.raises(UserError, match="not a readable encoded corpus"):
        corpus.Corpus.load(tmp_path / "obj.npz")


def test_corpus_is_immutable_and_encode_names_unknown_characters():
    import dataclasses

    c = corpus.Corpus.from_text("abcabc", "s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.text = "xyz"
    with pytest.raises(UserError, match=r"characters 'xz' are not in the corpus vocabulary"):
        c.encode("axbz")


def test_facts_are_what_corpus_json_records():
    c = corpus.Corpus.from_text("x" * 101, "src")
    assert c.facts(25) == {"source": "src", "characters": 101, "vocabulary": 1, "seq_length": 25,
                           "updates_per_epoch": 4, "sha256": hashlib.sha256(b"x" * 101).hexdigest()}


def test_read_text_edge_cases(tmp_path):
    f = tmp_path / "b.txt"
    f.write_bytes(b"\xef\xbb\xbfab\xef\xbb\xbfc")  # a UTF-8 byte order mark is dropped at the start only
    assert corpus.read_text(f) == "ab\ufeffc"
    f.write_bytes(b"\x00abc")
    with pytest.raises(UserError, match="NUL byte at offset 0"):
        corpus.read_text(f)
    f.write_bytes(b"\nab\xff")
    with pytest.raises(UserError, match=r"byte offset 3 \(line 2\)"):
        corpus.read_text(f)


def test_load_needs_exactly_one_sequence(tmp_path):
    f = tmp_path / "b.txt"
    f.write_text("x" * 26)
    assert corpus.load(str(f), seq_length=25).N == 26
    with pytest.raises(UserError, match="only 26 characters.*seq_length \\+ 1 = 27"):
        corpus.load(str(f), seq_length=26)


def test_unknown_builtin_corpus_is_a_user_error_listing_the_builtins():
    with pytest.raises(UserError, match="unknown built-in corpus .*nope.*; choose one of builtin:") as info:
        corpus.load("builtin:nope")
    assert all(f"builtin:{name}" in str(info.value) for name in corpus.BUILTIN_CORPORA)
    assert str(info.value).endswith(" or give a path to a UTF-8 text file")
