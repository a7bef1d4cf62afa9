import numpy as np
import pytest

from rnn import gradcheck


def test_relative_error_formula():
    assert gradcheck.relative_error(np.array([1.0]), np.array([1.1]))[0] == pytest.approx(0.1 / 2.1)
    assert gradcheck.relative_error(np.array([0.0]), np.array([0.0]))[0] == 0.0


def test_small_model_both_methods(small_corpus):
    table = gradcheck.check(small_corpus.ids, small_corpus.K, m=5, sig=0.1, seq_length=25, seed=3)
    assert list(table) == ["V", "W", "U", "c", "b"]
    for name, errs in table.items():
        assert errs["complex_step"] < 1e-12, name
        assert errs["finite_difference"] < 1e-5, name


def test_a_wrong_gradient_is_caught(small_corpus, monkeypatch):
    """The check can fail: perturb the analytic W gradient and watch its error jump."""
    from rnn import model

    real = model.backward

    def broken(*args):
        g = real(*args)
        g.W[0, 0] *= 1.01
        return g

    monkeypatch.setattr(model, "backward", broken)
    table = gradcheck.check(small_corpus.ids, small_corpus.K, m=5, sig=0.1, seq_length=25, seed=3,
                            methods=("complex_step",))
    assert table["W"]["complex_step"] > 1e-3 and table["V"]["complex_step"] < 1e-12


@pytest.mark.slow
def test_seed_size_model(small_corpus):
    """m = 100, sig = 0.01, seq_length 25: the seed's settings."""
    table = gradcheck.check(small_corpus.ids, small_corpus.K, m=100, sig=0.01, seq_length=25, seed=1)
    for name, errs in table.items():
        assert errs["complex_step"] <= 1e-10, name
    # finite differences: U, c and b reach the seed's order; V and W have entries of ~1e-9 whose
    # relative error is dominated by rounding in L(theta +- h) (about 1e-10 absolute)
    assert table["c"]["finite_difference"] < 1e-7 and table["b"]["finite_difference"] < 1e-6
    assert table["U"]["finite_difference"] < 1e-4
    assert max(e["finite_difference"] for e in table.values()) < 0.1
