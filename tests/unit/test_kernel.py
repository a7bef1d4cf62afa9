"""The compiled kernel against the reference: one step, and whole training trajectories of run_updates."""

import numpy as np
import pytest
from numba import njit

from rnn.core import kernel, model
from rnn.core.corpus import Corpus
from rnn.core.run import Run

from ..reference import assert_same_trajectory, easy_then_hard, reference_run, rel


@njit
def _apply(f_id, xs):
    out = np.empty_like(xs)
    for i in range(xs.size):
        out[i] = kernel.fast_exp(xs[i]) if f_id == 0 else kernel.fast_tanh(xs[i])
    return out


def test_fast_exp_within_two_ulp():
    xs = np.concatenate([np.linspace(-708, 709, 200_001), np.linspace(-1, 1, 20_001), -np.logspace(-300, 2.8, 5000)])
    rel = np.abs(_apply(0, xs) / np.exp(xs) - 1)
    assert rel.max() <= 4.5e-16


def test_fast_tanh_within_two_ulp():
    xs = np.concatenate([np.linspace(-30, 30, 200_001), np.logspace(-300, 1, 5000), -np.logspace(-300, 1, 5000),
                         np.array([0.0, 0.625, -0.625, 400.0, -400.0])])
    ref = np.tanh(xs)
    got = _apply(1, xs)
    assert np.all(np.abs(got - ref) <= 4.5e-16 * np.abs(ref))


def _random_state(rng, K, m, scale, mem_scale):
    p = model.init_params(K, m, scale, int(rng.integers(1 << 30)))
    p.b[:] = rng.standard_normal(m) * scale
    p.c[:] = rng.standard_normal(K) * scale
    mem = model.Params(**{k: rng.random(v.shape) * mem_scale for k, v in p.arrays().items()})
    return p, mem


@pytest.mark.parametrize("K,m,scale,clip,eta", [
    (80, 100, 0.01, 5.0, 0.1),    # seed's init; clipping inactive
    (80, 100, 0.15, 5.0, 0.1),    # a trained-size state
    (80, 100, 0.15, 0.02, 0.1),   # clipping active on most entries
    (17, 9, 0.3, 5.0, 0.05),      # odd sizes (loop remainders)
])
def test_one_step_equals_reference(rng, K, m, scale, clip, eta):
    tau = 25
    for _ in range(3):
        p, mem = _random_state(rng, K, m, scale, 2.0)
        book = rng.integers(0, K, 400).astype(np.int32)
        e = int(rng.integers(0, 300))
        h0 = np.tanh(rng.standard_normal(m) * 0.5)
        P, M, hk = kernel.weights(p), kernel.weights(mem), h0.copy()
        Lk = kernel.update_step(book, e, kernel.Hyper(eta, clip, tau), kernel.State(P, M, hk, kernel.workspace(K, m, tau)))
        pr, mr = p.copy(), mem.copy()
        g = model.gradients(pr, book[e:e + tau], book[e + 1:e + tau + 1], h0)[1]
        clipped = sum(int((np.abs(v) > clip).sum()) for v in g.arrays().values())
        L, hr = model.update(pr, mr, book[e:e + tau], book[e + 1:e + tau + 1], h0, eta, clip)
        assert (clipped > 1000) == (clip < 1), clipped
        assert abs(Lk - L) <= 1e-12 * L
        assert rel(hk, hr) <= 1e-12
        kp, km = kernel.params_of(P), kernel.params_of(M)
        for name in model.PARAM_NAMES:
            assert rel(getattr(kp, name), getattr(pr, name)) <= 1e-12, name
            assert rel(getattr(km, name), getattr(mr, name)) <= 1e-12, name


def test_untouched_u_columns_stay_bit_identical(rng):
    K, m, tau = 40, 10, 25
    p, mem = _random_state(rng, K, m, 0.1, 1.0)
    book = (np.arange(400) % 5).astype(np.int32)  # only characters 0..4 occur
    P = kernel.weights(p)
    kernel.update_step(book, 0, kernel.Hyper(0.1, 5.0, tau),
                       kernel.State(P, kernel.weights(mem), np.zeros(m), kernel.workspace(K, m, tau)))
    assert np.array_equal(P.UT[5:], p.U.T[5:]) and not np.array_equal(P.UT[:5], p.U.T[:5])


def KernelRun(ids, K, m, n_total, *, sig=0.01, seed=3, eta=0.1, clip=5.0, tau=25):
    """A run as training sets it up (rnn.core.run.Run), from the RNN's initial weights."""
    return Run(ids, model.init_params(K, m, sig, seed), eta=eta, clip=clip, tau=tau, steps=n_total)


def carried(run):
    """Everything the run carries from one call to the next."""
    return [*run.arrays().values(), np.array([run.e, run.step, run.smooth])]


@pytest.mark.parametrize("N", [
    3013,  # the last sequence ends 12 characters before the end of the text
    3001,  # N - 1 = 120 tau: the last full sequence ends exactly at the last character
])
def test_run_updates_follows_the_reference_over_three_epochs(small_text, N):
    """Every loss and smooth loss, the final parameters, AdaGrad memory, h and e, and the best model."""
    c = Corpus.from_text(small_text[:N], "t")
    m, tau = 10, 25
    upe = len(range(0, N - tau, tau))  # positions e = 0, tau, ... with e + tau <= N - 1
    assert upe == 120
    ref = reference_run(c.ids, c.K, m, 3 * upe, tau=tau)
    assert ref.e == 0 and not ref.h.any()  # ends at an epoch boundary
    run = KernelRun(c.ids, c.K, m, 3 * upe, tau=tau)
    assert run.advance(3 * upe) == 3 * upe
    assert_same_trajectory(run, ref)

    chunked = KernelRun(c.ids, c.K, m, 3 * upe, tau=tau)
    for _ in range(0, 3 * upe, 7):  # 7 steps per call, the last call shorter
        chunked.advance(min(7, 3 * upe - chunked.step))
    assert chunked.step == 3 * upe
    assert all(np.array_equal(a, b) for a, b in zip(carried(chunked), carried(run)))


def test_run_updates_keeps_the_best_model_of_the_middle_of_a_run():
    """The best model is the state after the update with the lowest smooth loss, mid-run here, wherever
    the chunks of the run fall."""
    c = Corpus.from_text(easy_then_hard(), "t")
    m, n = 10, 3 * 79 - 12  # ends mid-epoch
    ref = reference_run(c.ids, c.K, m, n)
    assert 1 < ref.best_step < n - 20 and ref.smooths[-1] > ref.best_smooth
    for chunk in (n, 5, 1):
        run = KernelRun(c.ids, c.K, m, n)
        while run.step < n:
            run.advance(min(chunk, n - run.step))
        assert_same_trajectory(run, ref)


def test_run_updates_stops_before_a_non_finite_loss():
    """eta = 1e307: the second loss overflows. The run stops there: one update done, the state is the
    reference's after one update (the bad step changes nothing), e points at the bad sequence."""
    c = Corpus.from_text("abcdefghij klmnop, qrstuv. wxyz!\n" * 4, "t")
    run = KernelRun(c.ids, c.K, 6, 15, eta=1e307, sig=0.5)
    assert run.advance(15) == 1
    assert run.losses[1] == np.inf
    ref = reference_run(c.ids, c.K, 6, 1, eta=1e307, sig=0.5)
    assert ref.e == 25
    assert_same_trajectory(run, ref)


def test_bench_prints_the_figures_it_writes(tmp_path):
    """The benchmark runs, writes its figures and prints the same ones (its speed is not asserted)."""
    import json
    import math
    import subprocess
    import sys

    out = tmp_path / "bench.json"
    records = [tmp_path / "rnn.json", tmp_path / "gradcheck.json"]  # as the compiling jobs write them
    for path, seconds, compiled, loaded in zip(records, (14.25, 9.5), (5, 7), (1, 0)):
        path.write_text(json.dumps({"seconds": {"x": seconds + 1}, "total_seconds": seconds + 1, "compiled": compiled,
                                    "compile_seconds": seconds, "loaded": loaded, "cache": "/c", "cpu": "x"}))
    proc = subprocess.run([sys.executable, "-m", "rnn", "bench", "--steps", "200", "--out", str(out),
                           "--compile-records", *map(str, records)], capture_output=True, text=True, check=True)
    result = json.loads(out.read_text())
    assert result["pipeline_compile"] == {"seconds": {str(records[0]): 14.25, str(records[1]): 9.5},
                                          "total_seconds": 23.75, "compiled": 12, "loaded": 1, "unread": {}}
    assert f"{records[0]} 14.2 s + {records[1]} 9.5 s = 23.8 s (12 functions compiled, 1 loaded" in proc.stdout
    assert (result["K"], result["m"], result["seq_length"], result["dtype"]) == (80, 100, 25, "float64")
    for key in ("naive_us", "reference_us", "kernel_us", "compile_seconds", "peak_multiply_adds_per_second",
                "kernel_multiply_adds_per_second", "floor_us", "kernel_over_floor"):
        assert math.isfinite(result[key]) and result[key] > 0, key
    assert result["multiply_adds_per_step"] == 1_340_000  # the products of one step at these sizes
    assert result["floor_us"] == pytest.approx(1_340_000 / result["peak_multiply_adds_per_second"] * 1e6)
    text = proc.stdout
    for key in ("naive_us", "reference_us", "kernel_us"):
        assert f"{result[key]:.1f} us/step" in text, key
    assert f"({result['naive_us'] / result['kernel_us']:.1f}x)" in text
    assert f"({result['naive_us'] / result['reference_us']:.1f}x)" in text
    assert f"floor is {result['floor_us']:.1f} us/step" in text
    assert f"ready in {result['compile_seconds']:.2f} s" in text
    print("\n" + text)


@pytest.mark.parametrize("text, problem", [
    ("{", "JSONDecodeError"), ('{"compile_seconds": 1.0}', "KeyError"), ("[1]", "TypeError"),
    *(('{"compile_seconds": %s, "compiled": %s, "loaded": 0}' % pair, "not a measurement")
      for pair in (("NaN", "1"), ("Infinity", "1"), ("-1.0", "1"), ("1.0", "1.5"), ("1.0", "-2"), ("true", "1")))])
def test_a_damaged_compile_record_is_left_out_of_the_sum_and_named(tmp_path, text, problem):
    """A record that cannot be read is named with the reason and left out (remaking it would retrain);
    the others are summed, and a compile job's record from before compile_seconds gives its warm-up's."""
    from rnn.reporting import bench

    damaged, old, missing = tmp_path / "rnn.json", tmp_path / "lstm.json", tmp_path / "gradcheck.json"
    damaged.write_text(text)
    old.write_text('{"seconds": {"train": 3.0}, "total_seconds": 3.0, "compiled": 2, "loaded": 1}')
    result = bench.pipeline_compile([damaged, old, missing])
    assert result["seconds"] == {str(old): 3.0} and result["total_seconds"] == 3.0
    assert (result["compiled"], result["loaded"]) == (2, 1)
    assert result["unread"][str(missing)] == "missing" and problem in result["unread"][str(damaged)]
    line = bench._pipeline_line(result)
    assert f"not read: {missing} (missing)" in line and f"not read: {damaged} (" in line
