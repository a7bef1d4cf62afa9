"""The reference model against an independent implementation and against the equations."""

import numpy as np
import pytest

from rnn.core import model, modelfile

from rnn.reporting import naive


def _naive_params(p):
    return {k: (v.copy() if v.ndim == 2 else v[:, None].copy()) for k, v in p.arrays().items()}


def test_init_is_seeded_and_scaled():
    a, b = model.init_params(80, 100, 0.01, 7), model.init_params(80, 100, 0.01, 7)
    assert all(np.array_equal(x, y) for x, y in zip(a.arrays().values(), b.arrays().values()))
    assert abs(a.W.std() - 0.01) < 0.001 and not a.b.any() and not a.c.any()
    assert a.U.shape == (100, 80) and a.V.shape == (80, 100)
    assert not np.array_equal(a.W, model.init_params(80, 100, 0.01, 8).W)


def test_loss_is_the_sum_of_minus_log_p(rng):
    p = model.init_params(12, 6, 0.5, 1)
    x, y = rng.integers(0, 12, 9), rng.integers(0, 12, 9)
    h = np.zeros(6)
    total = 0.0
    for t in range(9):  # the equations, one step at a time
        h = np.tanh(p.W @ h + p.U[:, x[t]] + p.b)
        o = p.V @ h + p.c
        total -= np.log(np.exp(o[y[t]]) / np.exp(o).sum())
    assert np.isclose(model.loss(p, x, y, np.zeros(6)), total, rtol=1e-13)


def test_update_matches_min_char_rnn(rng):
    K, m, tau = 30, 16, 25
    p = model.init_params(K, m, 0.3, 2)
    p.b[:] = rng.standard_normal(m) * 0.1
    mem = model.Params(**{k: rng.random(v.shape) for k, v in p.arrays().items()})
    pn = _naive_params(p)
    mn = _naive_params(mem)
    x, y = rng.integers(0, K, tau), rng.integers(0, K, tau)
    h0 = np.tanh(rng.standard_normal(m))
    L, h = model.update(p, mem, x, y, h0, eta=0.1, clip=0.05)  # clipping active
    Ln, hn = naive.update(pn, mn, x, y, h0[:, None], eta=0.1, clip=0.05)
    assert np.isclose(L, Ln, rtol=1e-13)
    assert np.allclose(h, hn[:, 0], rtol=1e-13, atol=0)
    for k, v in p.arrays().items():
        assert np.allclose(v, pn[k].reshape(v.shape), rtol=1e-12, atol=1e-15), k


def test_model_file_round_trip_and_refusals(tmp_path):

    from rnn.errors import UserError

    p = model.init_params(5, 3, 0.1, 1)
    path = tmp_path / "m.npz"
    modelfile.save_model(path, p, "abcde", h=np.ones(3), x0=2, step=7, smooth_loss=1.5)
    q, vocab, h, x0, meta = modelfile.load_model(path)
    assert vocab == "abcde" and x0 == 2 and meta == {"step": 7, "smooth_loss": 1.5}
    assert np.array_equal(q.W, p.W) and np.array_equal(h, np.ones(3))
    with np.load(path, allow_pickle=False) as z:
        assert "U" in z.files
    modelfile.save_model(path, p, "abcd")  # vocabulary does not match K
    with pytest.raises(UserError, match="inconsistent"):
        modelfile.load_model(path)
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(UserError, match="not a readable model file"):
        modelfile.load_model(path)


def test_update_clips_at_five_by_default():
    """dL/dc for a target repeated 25 times is about -18.75; clipped to -5 with AdaGrad memory 1:
    c[0] moves by eta * 5 / sqrt(1 + 25 + 1e-8) (hand-worked), other entries by less than eta."""
    K, m, tau, eta = 4, 5, 25, 0.1
    p = model.init_params(K, m, 0.1, 3)
    mem = model.Params(**{k: np.ones_like(v) for k, v in p.arrays().items()})
    x = np.zeros(tau, dtype=int)
    model.update(p, mem, x, x, np.zeros(m), eta)
    assert p.c[0] == pytest.approx(eta * 5 / np.sqrt(26 + 1e-8), rel=1e-12)
    assert mem.c[0] == 26.0


def test_forward_is_stable_for_large_logits():
    """Logits near 1000: log-softmax by the shift, against scipy's logsumexp."""
    from scipy.special import logsumexp

    p = model.init_params(6, 4, 1.0, 5)
    p.V *= 400.0
    p.c[:] = 900.0
    x = np.array([1, 2, 3])
    H, log_p = model.forward(p, x, np.zeros(4))
    O = H[1:] @ p.V.T + p.c
    assert O.max() > 800 and np.all(np.isfinite(log_p))
    assert np.allclose(log_p, O - logsumexp(O, axis=1, keepdims=True), rtol=1e-13, atol=1e-9)


def test_model_file_with_a_pickled_array_is_refused(tmp_path):
    from rnn.errors import UserError

    p = model.init_params(3, 2, 0.1, 1)
    np.savez(tmp_path / "m.npz", **p.arrays(), vocab=np.array(["abc"], dtype=object), h=np.zeros(2), x0=np.array(0))
    with pytest.raises(UserError, match="not a readable model file"):
        modelfile.load_model(tmp_path / "m.npz")


def test_model_file_lacking_arrays_names_them(tmp_path):
    from rnn.errors import UserError

    p = model.init_params(3, 2, 0.1, 1)
    np.savez(tmp_path / "m.npz", **p.arrays(), vocab=np.array("abc"))
    with pytest.raises(UserError, match=r"m.npz: model file lacks h, x0; retrain it$"):
        modelfile.load_model(tmp_path / "m.npz")
