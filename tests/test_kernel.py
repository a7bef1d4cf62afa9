"""The compiled kernel against the reference, one step at a time (the system is chaotic)."""

import numpy as np
import pytest
from numba import njit

from rnn import kernel, model


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


def _rel(a, b):
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)


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
        st = kernel.KernelState.from_params(p, mem)
        hk = h0.copy()
        Lk = kernel.update_step(book, e, tau, hk, st.param_tuple(), st.memory_tuple(),
                                kernel.workspace(K, m, tau), eta, clip)
        pr, mr = p.copy(), mem.copy()
        g = model.gradients(pr, book[e:e + tau], book[e + 1:e + tau + 1], h0)[1]
        clipped = sum(int((np.abs(v) > clip).sum()) for v in g.arrays().values())
        L, hr = model.update(pr, mr, book[e:e + tau], book[e + 1:e + tau + 1], h0, eta, clip)
        assert (clipped > 1000) == (clip < 1), clipped
        assert abs(Lk - L) <= 1e-12 * L
        assert _rel(hk, hr) <= 1e-12
        kp, km = st.params(), st.memory()
        for name in model.PARAM_NAMES:
            assert _rel(getattr(kp, name), getattr(pr, name)) <= 1e-12, name
            assert _rel(getattr(km, name), getattr(mr, name)) <= 1e-12, name


def test_untouched_u_columns_stay_bit_identical(rng):
    K, m, tau = 40, 10, 25
    p, mem = _random_state(rng, K, m, 0.1, 1.0)
    book = (np.arange(400) % 5).astype(np.int32)  # only characters 0..4 occur
    st = kernel.KernelState.from_params(p, mem)
    kernel.update_step(book, 0, tau, np.zeros(m), st.param_tuple(), st.memory_tuple(),
                       kernel.workspace(K, m, tau), 0.1, 5.0)
    assert np.array_equal(st.UT[5:], p.U.T[5:]) and not np.array_equal(st.UT[:5], p.U.T[:5])


def test_bench_prints_all_three_and_the_speedup(tmp_path):
    """The benchmark runs and reports consistent figures (its speed is printed, not asserted)."""
    import json
    import subprocess
    import sys

    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "rnn", "bench", "--steps", "200", "--json", "--out", str(out)],
                          capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    assert result == json.loads(out.read_text())
    assert result["naive_us"] > 0 and result["reference_us"] > 0 and result["kernel_us"] > 0
    assert result["speedup_vs_naive"] == result["naive_us"] / result["kernel_us"]
    print(f"\nbench: naive {result['naive_us']:.0f} us, reference {result['reference_us']:.0f} us, "
          f"kernel {result['kernel_us']:.0f} us ({result['speedup_vs_naive']:.1f}x)")
