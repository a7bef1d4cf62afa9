import numpy as np
import pytest

from rnn.core import gradcheck, model


def test_relative_error_formula():
    assert gradcheck.relative_error(np.array([1.0]), np.array([1.1]))[0] == pytest.approx(0.1 / 2.1)
    assert gradcheck.relative_error(np.array([0.0]), np.array([0.0]))[0] == 0.0


def test_small_model_both_methods(small_corpus):
    table = gradcheck.check(small_corpus.ids, small_corpus.K, m=5, sig=0.1, seq_length=25, seed=3)
    assert list(table) == ["V", "W", "U", "c", "b"]
    for name, errs in table.items():
        assert errs["complex_step"] < 1e-12, name
        assert errs["finite_difference"] < 1e-5, name


def test_a_wrong_gradient_is_caught(small_corpus):
    """The check can fail: perturb one entry of the analytic W gradient and watch its error jump."""
    p = model.init_params(small_corpus.K, 5, 0.1, 3)
    book, h0 = small_corpus.ids[:26], np.zeros(5)
    analytic = gradcheck.analytic_gradients(p, book, h0)
    numerical = {"complex_step": gradcheck.numerical_gradients(p, book, h0, "complex_step")}
    analytic.W[0, 0] *= 1.01
    table = gradcheck.max_errors(analytic, numerical)
    assert table["W"]["complex_step"] > 1e-3 and table["V"]["complex_step"] < 1e-12


@pytest.mark.parametrize("m,sig", [(5, 0.1), (9, 0.5)])
def test_kernel_gradients_and_dual_numbers_equal_the_reference(small_corpus, m, sig):
    """Back-propagation in the kernel against model.backward; dual numbers against model.py's
    complex-number forward pass at h = 1e-30 (an independent route to the same derivative)."""
    p = model.init_params(small_corpus.K, m, sig, 7)
    book, h0 = small_corpus.ids[40:66], np.tanh(np.linspace(-1, 1, m))
    want = model.gradients(p, book[:-1], book[1:], h0)[1]
    got = gradcheck.analytic_gradients(p, book, h0)
    dual = gradcheck.numerical_gradients(p, book, h0, "complex_step")
    for name in model.PARAM_NAMES:
        w = getattr(want, name)
        assert np.abs(getattr(got, name) - w).max() <= 1e-13 * np.abs(w).max(), name
    for name, idx in (("W", (2, 3)), ("U", (1, int(book[4]))), ("V", (5, 1)), ("b", (4,)), ("c", (int(book[9]),))):
        q = model.Params(**{k: v.astype(np.complex128) for k, v in p.arrays().items()})
        getattr(q, name)[idx] += 1e-30j
        cs = model.loss(q, book[:-1], book[1:], h0).imag / 1e-30
        assert abs(getattr(dual, name)[idx] - cs) <= 1e-13 * max(abs(cs), 1e-300), name


@pytest.mark.slow
def test_seed_size_model(small_corpus):
    """m = 100, sig = 0.01, seq_length 25: the original report's settings."""
    table = gradcheck.check(small_corpus.ids, small_corpus.K, m=100, sig=0.01, seq_length=25, seed=1)
    for name, errs in table.items():
        assert errs["complex_step"] <= 1e-10, name
    # finite differences: U, c and b reach the seed's order; V and W have entries of ~1e-9 whose
    # relative error is dominated by rounding in L(theta +- h) (about 1e-10 absolute)
    assert table["c"]["finite_difference"] < 1e-7 and table["b"]["finite_difference"] < 1e-6
    assert table["U"]["finite_difference"] < 1e-4
    assert max(e["finite_difference"] for e in table.values()) < 0.1


def test_gradients_above_the_clip_value_are_checked_unclipped():
    """The check compares the true gradient: here dL/dc for the repeated target is about -25 (1 - 1 / K)
    = -18.75 (p is near uniform at this scale), far beyond the training clip of 5, so a clipped
    analytic gradient would be off by a relative error of about 0.58."""
    from rnn.core import model

    K, m, tau = 4, 5, 25
    ids = np.array([0] * (tau + 1) + [1, 2, 3])  # every target of the checked sequence is character 0
    g = model.gradients(model.init_params(K, m, 0.1, 3), ids[:tau], ids[1:tau + 1], np.zeros(m))[1]
    assert g.c[0] == pytest.approx(-25 * (1 - 1 / K), abs=0.5)
    table = gradcheck.check(ids, K, m=m, sig=0.1, seq_length=tau, seed=3)
    for name, errs in table.items():
        assert errs["complex_step"] < 1e-12, name
        assert errs["finite_difference"] < 1e-6, name


def test_relative_error_floor_and_unknown_method():
    # |a - n| / max(eps, |a| + |n|): below eps = 1e-15 the denominator is eps (hand-worked)
    assert gradcheck.relative_error(np.array([1e-16]), np.array([0.0]))[0] == pytest.approx(0.1, rel=1e-12)
    assert gradcheck.relative_error(np.array([1e-16]), np.array([0.0]), eps=1e-16)[0] == 1.0
    from rnn.core import model

    p = model.init_params(3, 2, 0.1, 1)
    with pytest.raises(ValueError, match="^unknown method 'bogus'; choose from finite_difference, complex_step$"):
        gradcheck.numerical_gradients(p, np.array([0, 1]), np.zeros(2), "bogus", 1e-4)
