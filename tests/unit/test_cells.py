"""The gated cells (docs/algorithm.md section 7): the numpy reference against the equations, the
complex step and finite differences; the compiled cell kernels against the reference (one step, whole
multi-epoch trajectories, chunked runs, gradients, the loss over a text, synthesis)."""

import numpy as np
import pytest

from rnn.core import cell_gradcheck, cells, gradcheck, model, sample
from rnn.core.kernel import Hyper, State
from rnn.core.run import Run
from rnn.core import cell_kernels as ck
from rnn.core.corpus import Corpus

from ..reference import assert_same_trajectory, easy_then_hard, reference_run, rel

GATED = ("lstm", "gru")


def _random_state(rng, cell, K, m, scale, mem_scale):
    """Parameters with non-zero biases, AdaGrad memory, and a carried state inside the cell's range."""
    p = cells.init_params(cell, K, m, scale, int(rng.integers(1 << 30)))
    p.b[:] += rng.standard_normal(p.b.shape) * scale
    p.c[:] = rng.standard_normal(K) * scale
    mem = model.Params(**{k: rng.random(v.shape) * mem_scale for k, v in p.arrays().items()})
    state = np.tanh(rng.standard_normal(cells.state_size(cell, m)) * 0.5)
    return p, mem, state


def _complex(p):
    return model.Params(**{k: v.astype(np.complex128) for k, v in p.arrays().items()})


def _finite_differences(cell, p, x, y, state0, h=1e-4):
    """dL/d(every entry) by centred finite differences on the reference's forward pass."""
    out = {}
    for name, arr in p.arrays().items():
        g = np.zeros(arr.shape)
        for idx in np.ndindex(arr.shape):
            up, down = p.copy(), p.copy()
            getattr(up, name)[idx] += h
            getattr(down, name)[idx] -= h
            g[idx] = (cells.loss(cell, up, x, y, state0) - cells.loss(cell, down, x, y, state0)) / (2 * h)
        out[name] = g
    return model.Params(**out)


def _complex_step(cell, p, x, y, state0, h=1e-30):
    """dL/d(every entry) by the complex step on the reference's complex-number forward pass."""
    out = {}
    for name, arr in p.arrays().items():
        g = np.zeros(arr.shape)
        for idx in np.ndindex(arr.shape):
            q = _complex(p)
            getattr(q, name)[idx] += h * 1j
            g[idx] = cells.loss(cell, q, x, y, state0).imag / h
        out[name] = g
    return model.Params(**out)


# --- the reference --------------------------------------------------------------------------------

def test_init_draws_u_w_v_in_order_with_the_forget_bias():
    K, m, sig, seed = 7, 3, 0.1, 5
    for cell, G in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        p = cells.init_params(cell, K, m, sig, seed)
        draws = np.random.default_rng(seed).standard_normal(G * m * K + G * m * m + K * m) * sig
        assert p.U.shape == (G * m, K) and p.W.shape == (G * m, m) and p.V.shape == (K, m)
        assert np.array_equal(p.U.reshape(-1), draws[:G * m * K])
        assert np.array_equal(p.W.reshape(-1), draws[G * m * K:G * m * (K + m)])
        assert np.array_equal(p.V.reshape(-1), draws[G * m * (K + m):])
        assert not p.c.any() and cells.cell_of(p) == cell
        want_b = np.zeros(G * m)
        if cell == "lstm":
            want_b[m:2 * m] = 1.0  # the forget block, second of i, f, g, o
        assert np.array_equal(p.b, want_b), cell
    rnn, old = cells.init_params("rnn", K, m, sig, seed), model.init_params(K, m, sig, seed)
    assert all(np.array_equal(getattr(rnn, name), getattr(old, name)) for name in model.PARAM_NAMES)
    with pytest.raises(ValueError, match="unknown cell 'tree'"):
        cells.init_params("tree", K, m, sig, seed)


def _lstm_by_gate(p, x, state0):
    """docs/algorithm.md section 7.3 written gate by gate, unit by unit: the hidden states."""
    m = p.V.shape[1]
    blk = {name: slice(k * m, (k + 1) * m) for k, name in enumerate("ifgo")}
    h, s, out = list(state0[:m]), list(state0[m:]), []
    for xt in x:
        def pre(gate, j):
            r = blk[gate].start + j
            return sum(p.W[r, q] * h[q] for q in range(m)) + p.U[r, xt] + p.b[r]
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        i = [sig(pre("i", j)) for j in range(m)]
        f = [sig(pre("f", j)) for j in range(m)]
        g = [np.tanh(pre("g", j)) for j in range(m)]
        o = [sig(pre("o", j)) for j in range(m)]
        s = [f[j] * s[j] + i[j] * g[j] for j in range(m)]
        h = [o[j] * np.tanh(s[j]) for j in range(m)]
        out.append(h + s)
    return np.array(out)


def _gru_by_gate(p, x, h0):
    """docs/algorithm.md section 7.4 written gate by gate, unit by unit: the hidden states."""
    m = p.V.shape[1]
    h, out = list(h0), []
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    for xt in x:
        r = [sig(sum(p.W[j, q] * h[q] for q in range(m)) + p.U[j, xt] + p.b[j]) for j in range(m)]
        z = [sig(sum(p.W[m + j, q] * h[q] for q in range(m)) + p.U[m + j, xt] + p.b[m + j]) for j in range(m)]
        n = [np.tanh(sum(p.W[2 * m + j, q] * r[q] * h[q] for q in range(m)) + p.U[2 * m + j, xt] + p.b[2 * m + j])
             for j in range(m)]
        h = [z[j] * h[j] + (1 - z[j]) * n[j] for j in range(m)]
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("cell,by_gate", [("lstm", _lstm_by_gate), ("gru", _gru_by_gate)])
def test_reference_states_follow_the_equations(rng, cell, by_gate):
    p, _, state0 = _random_state(rng, cell, 9, 4, 0.7, 1.0)
    x = rng.integers(0, 9, 6)
    states = cells.forward(cell, p, x, state0)[0]
    assert np.allclose(states[1:], by_gate(p, x, state0), rtol=1e-13, atol=1e-15)
    assert np.array_equal(states[0], state0)


def test_gates_do_what_their_names_say(rng):
    """LSTM: forget gate open and input gate shut keep s; output gate shut gives h = 0. GRU: update
    gate at 1 keeps h; at 0 and reset at 0 make h the input's candidate alone."""
    K, m = 5, 4
    x = np.array([1, 3, 0, 2])
    p, _, state0 = _random_state(rng, "lstm", K, m, 0.5, 1.0)
    p.b[:m], p.b[m:2 * m] = -60.0, 60.0  # i = 0, f = 1
    states = cells.forward("lstm", p, x, state0)[0]
    assert np.allclose(states[:, m:], state0[m:], rtol=0, atol=1e-15)
    p.b[3 * m:] = -800.0  # o = 0
    with np.errstate(over="ignore"):
        assert not cells.forward("lstm", p, x, state0)[0][1:, :m].any()

    p, _, h0 = _random_state(rng, "gru", K, m, 0.5, 1.0)
    p.b[m:2 * m] = 60.0  # z = 1
    assert np.allclose(cells.forward("gru", p, x, h0)[0], h0, rtol=0, atol=1e-15)
    p.b[:m], p.b[m:2 * m] = -800.0, -800.0  # r = 0, z = 0: h_t = tanh(U_n x_t + b_n)
    want = np.tanh(p.U[2 * m:, x].T + p.b[2 * m:])
    with np.errstate(over="ignore"):
        assert np.allclose(cells.forward("gru", p, x, h0)[0][1:], want, rtol=1e-15, atol=0)


def test_reference_rnn_is_model_py(rng):
    K, m, tau = 12, 6, 9
    p, mem, h0 = _random_state(rng, "rnn", K, m, 0.5, 1.0)
    x, y = rng.integers(0, K, tau), rng.integers(0, K, tau)
    L, g, h = cells.gradients("rnn", p, x, y, h0)
    Lm, gm, hm = model.gradients(p, x, y, h0)
    assert L == Lm and np.array_equal(h, hm)
    for name in model.PARAM_NAMES:
        assert np.allclose(getattr(g, name), getattr(gm, name), rtol=1e-13, atol=1e-16), name


@pytest.mark.parametrize("cell", GATED)
def test_reference_gradients_equal_the_complex_step_and_finite_differences(rng, cell):
    """Back-propagation through time against the complex step (h = 1e-30, every entry) on the
    reference's own complex-number forward pass, and against centred finite differences."""
    K, m, tau = 11, 5, 9
    p, _, state0 = _random_state(rng, cell, K, m, 0.5, 1.0)
    x, y = rng.integers(0, K, tau), rng.integers(0, K, tau)
    _, g, _ = cells.gradients(cell, p, x, y, state0)
    cs = _complex_step(cell, p, x, y, state0)
    for name in model.PARAM_NAMES:
        a, n = getattr(g, name), getattr(cs, name)
        assert np.all(gradcheck.relative_error(a, n) <= 1e-12), name
    h = 1e-5
    for name, arr in p.arrays().items():
        for idx in [tuple(rng.integers(0, s) for s in arr.shape) for _ in range(6)]:
            up, down = p.copy(), p.copy()
            getattr(up, name)[idx] += h
            getattr(down, name)[idx] -= h
            fd = (cells.loss(cell, up, x, y, state0) - cells.loss(cell, down, x, y, state0)) / (2 * h)
            assert abs(fd - getattr(g, name)[idx]) <= 1e-8 * max(1.0, abs(fd)), (name, idx)


@pytest.mark.parametrize("cell", GATED)
def test_reference_update_clips_then_adagrad(rng, cell):
    K, m, tau, eta, clip = 9, 4, 25, 0.1, 0.01
    p, mem, state0 = _random_state(rng, cell, K, m, 0.5, 1.0)
    x, y = rng.integers(0, K, tau), rng.integers(0, K, tau)
    L, g, state = cells.gradients(cell, p, x, y, state0)
    new_p, new_mem = p.copy(), mem.copy()
    L2, state2 = cells.update(cell, new_p, new_mem, x, y, state0, eta, clip=clip)
    assert L2 == L and np.array_equal(state2, state)
    for name in model.PARAM_NAMES:
        gc = np.minimum(np.maximum(getattr(g, name), -clip), clip)
        M = getattr(mem, name) + gc ** 2
        assert np.array_equal(getattr(new_mem, name), M), name
        assert np.allclose(getattr(new_p, name), getattr(p, name) - eta * gc / np.sqrt(M + 1e-8), rtol=1e-15, atol=0)


# --- one kernel step --------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize("K,m,scale,clip,eta", [
    (80, 100, 0.01, 5.0, 0.1),    # the initial weights; clipping inactive
    (80, 100, 0.15, 5.0, 0.1),    # a trained-size state
    (80, 100, 0.15, 0.02, 0.1),   # clipping active on most entries
    (17, 9, 0.3, 5.0, 0.05),      # odd sizes (loop remainders)
    (5, 3, 0.5, 0.3, 0.2),
])
def test_one_step_equals_reference(rng, cell, K, m, scale, clip, eta):
    tau = 25
    for _ in range(2):
        p, mem, state0 = _random_state(rng, cell, K, m, scale, 2.0)
        book = rng.integers(0, K, 400).astype(np.int32)
        e = int(rng.integers(0, 300))
        x, y = book[e:e + tau], book[e + 1:e + tau + 1]
        P, M = ck.weights(p), ck.weights(mem)
        sk = state0.copy()
        Lk = ck.update_step(book, e, Hyper(eta, clip, tau), State(P, M, sk, ck.workspace(cell, K, m, tau)))
        g = cells.gradients(cell, p, x, y, state0)[1]
        clipped = sum(int((np.abs(v) > clip).sum()) for v in g.arrays().values())
        pr, mr = p.copy(), mem.copy()
        L, sr = cells.update(cell, pr, mr, x, y, state0, eta, clip=clip)
        assert (clipped > 0) == (clip < 1), clipped
        assert abs(Lk - L) <= 1e-12 * L
        assert rel(sk, sr) <= 1e-12
        kp, km = ck.params_of(P), ck.params_of(M)
        for name in model.PARAM_NAMES:
            assert rel(getattr(kp, name), getattr(pr, name)) <= 1e-12, name
            assert rel(getattr(km, name), getattr(mr, name)) <= 1e-12, name


@pytest.mark.parametrize("cell", GATED)
def test_untouched_u_columns_stay_bit_identical(rng, cell):
    K, m, tau = 40, 6, 25
    p, mem, _ = _random_state(rng, cell, K, m, 0.1, 1.0)
    book = (np.arange(400) % 5).astype(np.int32)  # only characters 0..4 occur
    P, M = ck.weights(p), ck.weights(mem)
    ck.update_step(book, 0, Hyper(0.1, 5.0, tau),
                   State(P, M, np.zeros(cells.state_size(cell, m)), ck.workspace(cell, K, m, tau)))
    assert np.array_equal(P.UT[5:], p.U.T[5:]) and not np.array_equal(P.UT[:5], p.U.T[:5])


# --- whole trajectories of run_updates ------------------------------------------------------------

def CellRun(cell, ids, K, m, n_total, *, sig=0.01, seed=3, eta=0.1, clip=5.0, tau=25):
    """A run as training sets it up (rnn.core.run.Run), from the cell's initial weights."""
    return Run(ids, cells.init_params(cell, K, m, sig, seed), eta=eta, clip=clip, tau=tau, steps=n_total)


def carried(run):
    """Everything the run carries from one call to the next."""
    return [*run.arrays().values(), np.array([run.e, run.step, run.smooth])]


@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize("N", [3013, 3001])  # the last sequence ends 12 characters before the end; at the end
def test_run_updates_follows_the_reference_over_three_epochs(small_text, cell, N):
    """Every loss and smooth loss, the final parameters, AdaGrad memory, carried state and e, the best
    model; and a run in chunks of 7 updates equals the single call bit for bit."""
    c = Corpus.from_text(small_text[:N], "t")
    m, tau, n = 10, 25, 3 * 120
    ref = reference_run(c.ids, c.K, m, n, tau=tau, cell=cell)
    assert ref.e == 0 and not ref.h.any()  # ends at an epoch boundary, where the state is reset
    run = CellRun(cell, c.ids, c.K, m, n, tau=tau)
    assert run.advance(n) == n
    assert_same_trajectory(run, ref)

    chunked = CellRun(cell, c.ids, c.K, m, n, tau=tau)
    while chunked.step < n:
        chunked.advance(min(7, n - chunked.step))
    assert all(np.array_equal(a, b) for a, b in zip(carried(chunked), carried(run)))


@pytest.mark.parametrize("cell", GATED)
def test_run_updates_keeps_the_best_model_of_the_middle_of_a_run(cell):
    """The smooth loss falls, then rises: the best model is the state after its lowest point (with the
    carried state and x0 of the next update), wherever the chunks of the run fall."""
    c = Corpus.from_text(easy_then_hard(), "t")
    m, n = 8, 3 * 79 - 12  # ends mid-epoch, its carried state not 0
    ref = reference_run(c.ids, c.K, m, n, cell=cell)
    assert 1 < ref.best_step < n - 20 and ref.smooths[-1] > ref.best_smooth and ref.best_h.any()
    for chunk in (n, 5, 1):
        run = CellRun(cell, c.ids, c.K, m, n)
        while run.step < n:
            run.advance(min(chunk, n - run.step))
        assert_same_trajectory(run, ref)


@pytest.mark.parametrize("cell", GATED)
def test_run_updates_stops_before_a_non_finite_loss(cell):
    """eta = 1e307 makes the second loss infinite: one update done, the state is the reference's after
    it, e points at the bad sequence."""
    c = Corpus.from_text("abcdefghij klmnop, qrstuv. wxyz!\n" * 4, "t")
    run = CellRun(cell, c.ids, c.K, 6, 15, eta=1e307, sig=0.5)
    assert run.advance(15) == 1
    assert not np.isfinite(run.losses[1])
    ref = reference_run(c.ids, c.K, 6, 1, eta=1e307, sig=0.5, cell=cell)
    assert ref.e == 25
    assert_same_trajectory(run, ref)


# --- gradients ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize("m,sig", [(5, 0.1), (7, 0.6)])
def test_kernel_gradients_and_dual_numbers_equal_the_reference(small_corpus, cell, m, sig):
    """The kernel's back-propagation against cells.backward; dual numbers, every entry, against the
    reference's complex-number forward pass at h = 1e-30; the kernel's finite differences against the
    reference's (the same h = 1e-4: they differ by rounding in L, about 1e-14 / h)."""
    p = cells.init_params(cell, small_corpus.K, m, sig, 7)
    p.b[:] += np.linspace(-0.5, 0.5, p.b.size)
    book = small_corpus.ids[40:66]
    state0 = np.tanh(np.linspace(-1, 1, cells.state_size(cell, m)))
    want = cells.gradients(cell, p, book[:-1], book[1:], state0)[1]
    got = cell_gradcheck.analytic_gradients(p, book, state0)
    dual = cell_gradcheck.numerical_gradients(p, book, state0, "complex_step")
    fd = cell_gradcheck.numerical_gradients(p, book, state0, "finite_difference")
    cs = _complex_step(cell, p, book[:-1], book[1:], state0)
    fd_ref = _finite_differences(cell, p, book[:-1], book[1:], state0)
    for name in model.PARAM_NAMES:
        w, c = getattr(want, name), getattr(cs, name)
        assert np.abs(getattr(got, name) - w).max() <= 1e-13 * np.abs(w).max(), name
        assert np.abs(getattr(dual, name) - c).max() <= 1e-13 * np.abs(c).max(), name
        assert np.all(gradcheck.relative_error(getattr(dual, name), c) <= 1e-12), name
        assert np.abs(getattr(fd, name) - getattr(fd_ref, name)).max() <= 1e-9, name
        assert np.abs(getattr(fd, name) - w).max() <= 1e-5 * np.abs(w).max(), name


@pytest.mark.parametrize("cell", GATED)
def test_a_wrong_gradient_is_caught(small_corpus, cell):
    p = cells.init_params(cell, small_corpus.K, 5, 0.1, 3)
    book, state0 = small_corpus.ids[:26], np.zeros(cells.state_size(cell, 5))
    analytic = cell_gradcheck.analytic_gradients(p, book, state0)
    numerical = {"complex_step": cell_gradcheck.numerical_gradients(p, book, state0, "complex_step")}
    analytic.W[7, 2] *= 1.01
    table = gradcheck.max_errors(analytic, numerical)
    assert table["W"]["complex_step"] > 1e-3 and table["V"]["complex_step"] < 1e-12


@pytest.mark.parametrize("cell", GATED)
def test_gradient_check_small_model_both_methods(small_corpus, cell):
    """sig = 0.1: the gradients are large enough for finite differences to reach the order of the
    original's Table 1."""
    table = cell_gradcheck.check(cell, small_corpus.ids, small_corpus.K, 5, sig=0.1, seq_length=25, seed=3)
    assert list(table) == ["V", "W", "U", "c", "b"]
    for name, errs in table.items():
        assert errs["complex_step"] <= 1e-10, name
        assert errs["finite_difference"] < 1e-3, name


def _pipeline_table(small_corpus, cell, m):
    """The gradient check as the pipeline runs it: K = 80 (characters 62-79 never occur), the first
    25 characters, sig 0.01, seed 1. Finite differences are not bounded: at sig 0.01 entries of W and U
    have gradients of 1e-10 and less, whose differences L(theta + h) - L(theta - h) are rounding."""
    table = cell_gradcheck.check(cell, small_corpus.ids, 80, m, sig=0.01, seq_length=25, seed=1)
    print(cell, m, {k: {method: f"{e:.2e}" for method, e in v.items()} for k, v in table.items()})
    return table


@pytest.mark.parametrize("cell", GATED)
def test_complex_step_error_at_most_1e_10_small_size(small_corpus, cell):
    for name, errs in _pipeline_table(small_corpus, cell, 5).items():
        assert errs["complex_step"] <= 1e-10, name


@pytest.mark.slow
@pytest.mark.parametrize("cell", GATED)
def test_complex_step_error_at_most_1e_10_trained_size(small_corpus, cell):
    """m = 100, the size that is trained."""
    for name, errs in _pipeline_table(small_corpus, cell, 100).items():
        assert errs["complex_step"] <= 1e-10, name


def test_check_of_the_rnn_is_gradcheck_check(small_corpus):
    args, kwargs = (small_corpus.ids, small_corpus.K, 4), {"sig": 0.1, "seq_length": 25, "seed": 3}
    assert cell_gradcheck.check("rnn", *args, **kwargs) == gradcheck.check(*args, **kwargs)


# --- the loss over a text, synthesis ----------------------------------------------------------------

@pytest.mark.parametrize("cell", cells.CELLS)
def test_loss_over_text_is_the_reference_loss_of_the_whole_text(rng, cell):
    K, m = 13, 6
    p, _, state0 = _random_state(rng, cell, K, m, 0.4, 1.0)
    book = rng.integers(0, K, 301).astype(np.int32)
    want = cells.loss(cell, p, book[:-1], book[1:], state0)  # one sequence of 300 steps
    kept = state0.copy()
    got = {block: ck.loss_over_text(book, p, state0, block=block) for block in (1, 7, 64, 500)}
    assert abs(got[64] - want) <= 1e-12 * want
    # each block summed, then the blocks (docs/algorithm.md section 8.2): the block length changes
    # the sum by rounding only
    assert max(got.values()) - min(got.values()) <= 1e-12 * want
    assert np.array_equal(state0, kept)
    # the sum, one target at a time, of the losses of the sequences a run with tau = 25 scores
    total, state = 0.0, state0
    for e in range(0, 300, 25):
        x = book[e:e + 25]
        states, _, log_p = cells.forward(cell, p, x, state)
        for t in range(25):
            total += -log_p[t, book[e + t + 1]]
        state = states[-1]
    assert abs(got[1] - total) <= 1e-12 * total


def test_the_cell_kernels_step_samples_the_rnn_as_its_own_loop_does(rng):
    """cell_kernels.step_logits on an RNN (G = 1) draws the very characters of sample's RNN loop, after
    feeding the same characters first: the two steps compute the same sums in the same order."""
    p, _, h0 = _random_state(rng, "rnn", 20, 12, 0.8, 1.0)
    for how in ((1.0, 1.0), (0.7, 1.0), (1.3, 0.8), (1e-310, 1.0)):
        uniforms = np.random.default_rng(5).random(400)
        a, b = np.empty(400, dtype=np.int32), np.empty(400, dtype=np.int32)
        feed = np.array([1, 4, 1, 5], dtype=np.int32)
        sample._sample(sample.rnn_model(p), h0.copy(), (feed, 3, uniforms), how, a)
        sample._sample_gated(ck.weights(p), ck.workspace("rnn", 20, 12, 1), h0.copy(), (feed, 3, uniforms), how, b)
        assert np.array_equal(a, b), how


@pytest.mark.parametrize("cell", cells.CELLS)
def test_priming_leaves_the_state_the_reference_reaches(rng, cell):
    """sample.prime feeds every character but the last through the compiled loop: the state it returns is
    the reference cell's after those characters (from a carried state), the last is the next input."""
    p, _, state0 = _random_state(rng, cell, 9, 7, 0.6, 1.0)
    vocab = "abcdefghi"
    text = "fadbeech" * 3
    got, x = sample.prime(p, vocab, text, state0)
    states, _, _ = cells.forward(cell, p, [vocab.index(ch) for ch in text[:-1]], state0)
    assert x == vocab.index(text[-1])
    assert np.allclose(got, states[-1], rtol=0, atol=1e-12)


def test_synthesis_refuses_what_the_compiled_sampler_must_not_see(rng):
    from rnn.errors import UserError

    p, _, state0 = _random_state(rng, "lstm", 6, 3, 0.5, 1.0)
    for args in ((state0, 6, 5), (state0[:3], 0, 5), (np.full(6, np.nan), 0, 5), (state0, 0, -1)):
        with pytest.raises(UserError):
            sample.synthesize(p, *args, np.random.default_rng(0))
    for kwargs in ({"temperature": 0.0}, {"temperature": np.inf}, {"top_p": 0.0}, {"top_p": 1.5}):
        with pytest.raises(UserError):
            sample.synthesize(p, state0, 0, 5, np.random.default_rng(0), **kwargs)


def test_synthesis_near_zero_temperature_is_the_greedy_limit(rng):
    """o / temperature overflows: the most likely character every time (docs/algorithm.md section 4.3)."""
    p, _, state0 = _random_state(rng, "gru", 9, 4, 0.8, 1.0)
    ids = sample.synthesize(p, state0, 1, 30, np.random.default_rng(3), temperature=1e-310)
    state, x = state0, 1
    for t in range(30):
        state, _ = cells.STEPS["gru"](p, state, x)
        x = int(np.argmax(p.V @ state + p.c))
        assert ids[t] == x, t


@pytest.mark.parametrize("cell", GATED)
def test_synthesis_draws_from_the_reference_distribution(rng, cell):
    """Along the sampled path, each character is the inverse-CDF draw of the reference's distribution
    (sample.next_distribution: temperature, top-p) with the same uniform number."""
    K, m, n = 15, 7, 200
    p, _, state0 = _random_state(rng, cell, K, m, 0.8, 1.0)
    for temperature, top_p in ((1.0, 1.0), (0.8, 0.9)):
        ids = sample.synthesize(p, state0, 2, n, np.random.default_rng(9), temperature, top_p)
        uniforms = np.random.default_rng(9).random(n)
        state, x = state0, 2
        for t in range(n):
            state, _ = cells.STEPS[cell](p, state, x)
            o = p.V @ state[:m] + p.c
            cdf = np.cumsum(sample.next_distribution(o, temperature, top_p))
            x = int(np.argmax(cdf > uniforms[t] * cdf[-1]))
            assert ids[t] == x, t
        assert len(set(ids)) > 5


@pytest.mark.parametrize("cell", cells.CELLS)
def test_step_logits_is_one_reference_step(rng, cell):
    K, m = 11, 5
    p, _, state0 = _random_state(rng, cell, K, m, 0.6, 1.0)
    P, work = ck.weights(p), ck.workspace(cell, K, m, 1)
    ck.refresh_transposes(P, work)
    state, o = state0.copy(), np.zeros(K)
    ck.step_logits(4, state, P, work, o)
    want_state, _ = cells.STEPS[cell](p, state0, 4)
    assert rel(state, want_state) <= 1e-14
    assert rel(o, p.V @ want_state[:m] + p.c) <= 1e-14


def test_the_benchmark_times_every_cell_beside_the_rnn():
    """Figures, not speed: each gated cell's median time per step and its ratio to the RNN's."""
    from rnn.reporting import bench

    result = bench.run(steps=40, K=20, m=8, tau=5, rounds=2, cells_=cells.CELLS)
    assert list(result["cells"]) == ["lstm", "gru"]
    for cell, r in result["cells"].items():
        assert np.isfinite(r["us"]) and r["us"] > 0 and np.isfinite(r["ratio_to_rnn"]) and r["ratio_to_rnn"] > 0, cell
    assert "lstm" in bench.report(result) and "x the RNN's" in bench.report(result)
