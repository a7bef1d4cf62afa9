import numpy as np

from rnn import model, sample


def _model():
    return model.init_params(20, 12, 0.8, 4)


def test_synthesis_is_reproducible_for_a_seed():
    p = _model()
    a = sample.synthesize(p, np.zeros(12), 3, 300, np.random.default_rng(5))
    b = sample.synthesize(p, np.zeros(12), 3, 300, np.random.default_rng(5))
    c = sample.synthesize(p, np.zeros(12), 3, 300, np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c) and len(set(a)) > 5


def _argmax_chain(p, n):
    h, x, out = np.zeros(12), 3, []
    for _ in range(n):
        h = np.tanh(p.W @ h + p.U[:, x] + p.b)
        x = int(np.argmax(p.V @ h + p.c))
        out.append(x)
    return out


def test_low_temperature_and_low_top_p_give_the_argmax():
    p = _model()
    greedy = _argmax_chain(p, 50)
    for kwargs in ({"temperature": 1e-4}, {"top_p": 1e-9}):
        got = sample.synthesize(p, np.zeros(12), 3, 50, np.random.default_rng(1), **kwargs)
        assert list(got) == greedy, kwargs


def test_inverse_cdf_frequencies_match_the_distribution():
    p = _model()
    rng = np.random.default_rng(0)
    h = np.tanh(p.U[:, 3] + p.b)
    probs = sample.next_distribution(p.V @ h + p.c)
    draws = [min(int(np.searchsorted(np.cumsum(probs), rng.random(), side="right")), 19) for _ in range(20000)]
    freq = np.bincount(draws, minlength=20) / 20000
    assert np.abs(freq - probs).max() < 0.015


def test_top_p_keeps_the_smallest_set_reaching_p():
    o = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    q = sample.next_distribution(o, top_p=0.7)
    assert np.allclose(q, [0.5 / 0.8, 0.3 / 0.8, 0, 0])
