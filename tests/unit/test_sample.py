import numpy as np
import pytest
from scipy import stats

from rnn.core import model, sample


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


def _first_distribution(p, h0, x0, temperature, top_p):
    """The SPEC's distribution of the first sampled character, from the equations, then temperature
    and top-p (the smallest set of most likely characters whose probability reaches top_p)."""
    h = np.tanh(p.W @ h0 + p.U[:, x0] + p.b)
    o = (p.V @ h + p.c) / temperature
    q = np.exp(o - o.max())
    q /= q.sum()
    keep, total = [], 0.0
    for k in sorted(range(len(q)), key=lambda k: -q[k]):
        if total >= top_p:
            break
        keep.append(k)
        total += q[k]
    out = np.zeros_like(q)
    out[keep] = q[keep] / q[keep].sum()
    return out


@pytest.mark.parametrize("temperature,top_p", [(1.0, 1.0), (0.5, 1.0), (1.0, 0.75)])
def test_one_character_draws_follow_the_softmax(temperature, top_p):
    """10,000 one-character syntheses, each with its own generator, against the model's distribution:
    a chi-square test at a false-alarm rate of 1e-6, and never a character of probability 0."""
    K, m, n = 8, 6, 10_000
    p = model.init_params(K, m, 0.4, 1)
    p.b[:] = np.linspace(-0.5, 0.5, m)
    p.c[:] = np.linspace(0.4, -0.4, K)
    h0 = np.tanh(np.linspace(-1, 1, m))
    q = _first_distribution(p, h0, 5, temperature, top_p)
    assert q.min() == 0 if top_p < 1 else q.min() > 0.01  # every character has a fair chance to be seen
    # (1, 1) is the default: called without them, as training's snapshots call it
    kwargs = {} if (temperature, top_p) == (1.0, 1.0) else {"temperature": temperature, "top_p": top_p}
    draws = [sample.synthesize(p, h0, 5, 1, np.random.default_rng(seed), **kwargs)[0] for seed in range(n)]
    counts = np.bincount(draws, minlength=K)
    assert len(counts) == K and counts[q == 0].sum() == 0
    seen = q > 0
    chi2 = ((counts[seen] - n * q[seen]) ** 2 / (n * q[seen])).sum()
    assert stats.chi2.sf(chi2, df=seen.sum() - 1) > 1e-6, (counts, n * q)


def test_top_p_keeps_the_smallest_set_reaching_p():
    o = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    q = sample.next_distribution(o, top_p=0.7)
    assert np.allclose(q, [0.5 / 0.8, 0.3 / 0.8, 0, 0])


def test_bad_temperature_or_top_p_is_refused():
    from rnn.errors import UserError

    p = _model()
    for kwargs, message in (({"temperature": 0.0}, r"^temperature must be > 0 and finite \(got 0.0\)$"),
                            ({"temperature": -1.0}, "temperature must be > 0"),
                            ({"temperature": float("inf")}, "temperature must be > 0 and finite"),
                            ({"temperature": float("nan")}, "temperature must be > 0 and finite"),
                            ({"top_p": 0.0}, r"^top_p must be in \(0, 1\] \(got 0.0\)$"),
                            ({"top_p": 1.5}, r"top_p must be in \(0, 1\]")):
        with pytest.raises(UserError, match=message):
            sample.synthesize(p, np.zeros(12), 3, 5, np.random.default_rng(0), **kwargs)
