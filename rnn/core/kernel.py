"""The compiled training kernel: many update steps (docs/algorithm.md section 3) in one numba call,
tested equal to `model.update` (1e-12 per step, and over whole short trajectories).

Every number it makes is fixed by this code alone, the same bits on any CPU (docs/algorithm.md
section 6): the products are `products.py`'s fixed-order loops, never BLAS; exp, tanh and log are
the branch-free polynomials below (on whole rows: elementwise.py, the same bits), never libm's;
no fast-math. Where the time goes (K = 80, m = 100, seq_length 25, on one core of a 2-vCPU AMD EPYC
Zen 3 (AVX2) shared with other jobs, from tools/kernel_parts.py: 10th percentiles of 30 alternating
rounds; medians about 5 % more, under load up to 1.5x): about 160 us per step; the 49 sequential
matrix-vector products W h and W^T da about 48 us (W, 80 KB, streams from L2 each time, as it did for
BLAS gemv); the four block products O = H V^T, dO V, dV, dW about 56 us in 5 x 8 register tiles (about
64 % of the core's peak without FMA); clip + AdaGrad about 26 us (a square root and a division per
parameter); tanh and exp about 18 us (each element a long chain of dependent operations:
`elementwise.py` runs four vectors of them side by side, which made the whole step 1.14-1.18x as
fast); softmax sums, copies and the rest about 12 us. Against the BLAS kernel it replaced, alternating
in one process (tools/compare_kernel.py): 0.99-1.09x over four runs on a busy day. The floor, the
1.34 million multiply-adds at the measured peak (`python -m rnn bench`), is about 56 us. Also:
- U is kept transposed (UT: one contiguous row per character), so x_t selects a row; W and V have
  transposed copies (WT, VT) for the forward products, written by AdaGrad as it updates each row;
- the matrix-vector products alternate their strip order from one step to the next (the same sums),
  so the part of W read last may still be in L1 when the next product starts;
- clipping and AdaGrad are one pass in LLVM IR on vectors (numba left the square root and the
  division scalar), and skip the rows of UT for characters absent from the sequence: their gradient
  is exactly zero, and so is their AdaGrad update;
- the products and AdaGrad are emitted into the numba functions that use them (intrinsics, not
  numba functions compiled and inlined for each signature), and `forward` and `loss_and_gradients`
  are inlined into each compiled entry point that runs them (training's `run_updates`, the
  evaluation, the gradient check): a function compiled on its own is optimised and compiled to
  machine code again inside every caller's module, which cost about a third of the kernel's cold
  compile (rnn/core/jitcache.py caches it once per machine);
- a whole chunk of updates (up to the next snapshot, checkpoint or progress line) runs per call.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.cpython import mathimpl
from numba.extending import intrinsic

from .elementwise import EXP_TAYLOR, LN2_HI, LN2_LO, LOG2E, TANH_P, TANH_Q, TWO_52_PLUS_BIAS, exp_into, tanh_into
from .model import ADAGRAD_EPS, Params
from .products import _F64, _I32, _I64, _PTR, JIT, _function, _shapes, _splat, _vector_at, matmul, matmul_add, matvec_acc


# --- branch-free exp and tanh -------------------------------------------------------------------
@intrinsic
def _bits_as_float(typingctx, bits):
    """Reinterpret an int64's bits as a float64 (how 2**n is built without a libm call)."""
    if isinstance(bits, types.Integer) and bits.bitwidth == 64:

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())

        return types.float64(bits), codegen
    return None


@intrinsic
def _float_as_bits(typingctx, x):
    """Reinterpret a float64's bits as an int64 (exponent and mantissa without a libm call)."""
    if isinstance(x, types.Float) and x.bitwidth == 64:

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))

        return types.int64(x), codegen
    return None


@njit(inline="always", **JIT)
def fast_exp(x):
    """exp(x) for x <= 709; below -708 it returns exp(-708) (about 3e-308) instead of underflowing.

    x = n ln2 + r with |r| <= ln2 / 2; e^r by its Taylor series to degree 13 (truncation < 1e-17).
    The constants are elementwise.py's, whose array form repeats these statements."""
    x = min(max(x, -708.0), 709.0)
    n = np.floor(x * LOG2E + 0.5)
    r = (x - n * LN2_HI) - n * LN2_LO
    p = EXP_TAYLOR[0]
    for k in range(1, len(EXP_TAYLOR)):  # Horner, from degree 12 down to 0 (unrolled by LLVM)
        p = p * r + EXP_TAYLOR[k]
    # 2**n: n + 1023 is an integer in [2, 2046], the low bits of n + 1023 + 2**52 (exact); shifted
    # into the exponent field. The same bits as int64(n + 1023) << 52, and it vectorises without
    # AVX-512's double-to-int64 conversion
    return p * _bits_as_float(_float_as_bits(n + TWO_52_PLUS_BIAS) << 52)


@njit(inline="always", **JIT)
def fast_tanh(x):
    """tanh(x): Cephes' rational approximation below |x| = 0.625, 1 - 2 e^-2|x| / (1 + e^-2|x|) above.

    Both are computed (no branch, so the loop vectorises) but share one division."""
    ax = abs(x)
    z = x * x
    small = ax < 0.625
    numerator = x * z * ((TANH_P[0] * z - TANH_P[1]) * z - TANH_P[2])
    denominator = ((z + TANH_Q[0]) * z + TANH_Q[1]) * z + TANH_Q[2]
    e = fast_exp(-2.0 * ax)
    q = (numerator if small else 2.0 * e) / (denominator if small else 1.0 + e)
    large = 1.0 - q
    return x + q if small else (large if x >= 0.0 else -large)


_LN2_HI_LOG = 6.93147180369123816490e-01  # ln 2 = hi + lo, hi with trailing zero bits (fdlibm's)
_LN2_LO_LOG = 1.90821492927058770002e-10


@njit(inline="always", **JIT)
def fast_log(x):
    """log(x) for a positive normal x: x = 2^k f with f in [sqrt(1/2), sqrt(2)),
    log f = 2 atanh(z), z = (f - 1) / (f + 1), |z| < 0.172, by its series to z^23 (truncation < 1e-18)."""
    bits = _float_as_bits(x)
    k = ((bits >> 52) & 0x7FF) - 1023
    f = _bits_as_float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # in [1, 2)
    if f > 1.4142135623730951:
        f = f * 0.5
        k += 1
    z = (f - 1.0) / (f + 1.0)
    w = z * z
    s = 1.0 / 23.0
    s = s * w + 1.0 / 21.0
    s = s * w + 1.0 / 19.0
    s = s * w + 1.0 / 17.0
    s = s * w + 1.0 / 15.0
    s = s * w + 1.0 / 13.0
    s = s * w + 1.0 / 11.0
    s = s * w + 1.0 / 9.0
    s = s * w + 1.0 / 7.0
    s = s * w + 1.0 / 5.0
    s = s * w + 1.0 / 3.0
    dk = float(k)
    return dk * _LN2_HI_LOG + (2.0 * z + (2.0 * z * w * s + dk * _LN2_LO_LOG))


# --- the state the kernel works on: named argument groups -----------------------------------------
# Every compiled training kernel (this one, cell_kernels.py) takes the same groups; numba compiles
# attribute access on named tuples like tuple indexing.
Hyper = namedtuple("Hyper", "eta clip tau")
Weights = namedtuple("Weights", "UT W V b c")  # parameters, or AdaGrad memory, in the kernel's layout
State = namedtuple("State", "P M h work")  # parameters, memory, the carried state (h_prev), scratch
Best = namedtuple("Best", "P h best")  # the best model; best = [lowest smooth loss, its step, x0]
Record = namedtuple("Record", "losses smooths")  # one entry per update to make
Position = namedtuple("Position", "e step smooth")  # text position, updates done, smooth loss after them
Work = namedtuple("Work", [
    "H",  # (tau+1) x m: hidden states, H[0] = h_prev
    "Pr",  # tau x K: logits, then probabilities, then dL/do
    "dHo",  # tau x m: dO V
    "dA",  # tau x m: dL/da
    "gUT", "gW", "gV", "gb", "gc",  # gradients, in the layout of Weights (gUT: rows of seen characters only)
    "seen",  # K: which characters occur in the sequence
    "WT", "VT",  # W^T, V^T: the forward products read W and V by columns
])


def weights(p: Params) -> Weights:
    """A copy of p in the kernel's layout (UT = U^T, one contiguous row per character): the kernel
    writes its arrays in place."""
    c64 = lambda a: np.array(a, dtype=np.float64, order="C")  # noqa: E731
    return Weights(UT=c64(p.U.T), W=c64(p.W), V=c64(p.V), b=c64(p.b), c=c64(p.c))


def params_of(w) -> Params:
    """A copy, in the model's layout, of Weights (or of arrays in their order)."""
    UT, W, V, b, c = w
    return Params(U=UT.T.copy(), W=W.copy(), V=V.copy(), b=b.copy(), c=c.copy())


def workspace(K: int, m: int, tau: int) -> Work:
    """Scratch arrays for one update step, allocated once per training run."""
    z = np.zeros
    return Work(H=z((tau + 1, m)), Pr=z((tau, K)), dHo=z((tau, m)), dA=z((tau, m)), gUT=z((K, m)), gW=z((m, m)),
                gV=z((K, m)), gb=z(m), gc=z(K), seen=z(K, dtype=np.uint8), WT=z((m, m)), VT=z((m, K)))


# --- one update step ------------------------------------------------------------------------------
@intrinsic
def _copy(typingctx, dst, src):
    """dst[...] = src for C arrays of the same size and type, as one memcpy (no arithmetic; and no
    numpy shape check, whose error message costs seconds of compile time)."""
    if not (isinstance(dst, types.Array) and isinstance(src, types.Array) and dst.dtype == src.dtype
            and dst.layout == "C" and src.layout == "C"):
        return None

    def codegen(context, builder, sig, args):
        d, s = (context.make_array(t)(context, builder, a) for t, a in zip(sig.args, args))
        cgutils.raw_memcpy(builder, d.data, s.data, d.nitems, context.get_abi_sizeof(d.data.type.pointee))
        return context.get_dummy_value()

    return types.none(dst, src), codegen


def _adagrad_values(b, theta, mem, grad, lanes, eta, clip):
    """The IR of _adagrad's statement on `lanes` entries from the given pointers (numba's own
    min, max, negation and sqrt, so the same bits as the statement compiled by numba)."""
    vec = _F64 if lanes == 1 else ir.VectorType(_F64, lanes)
    at = lambda ptr: _vector_at(b, ptr, ir.Constant(_I64, 0), lanes)  # noqa: E731
    eps = ir.Constant(_F64, ADAGRAD_EPS)
    eta, clip, eps = (_splat(b, x, lanes) for x in (eta, clip, eps))
    neg_clip = mathimpl.negate_real(b, clip)
    g = b.load(at(grad), align=8)
    g = b.select(b.fcmp_ordered(">", neg_clip, g), neg_clip, g)  # max(g, -clip)
    g = b.select(b.fcmp_ordered("<", clip, g), clip, g)  # min(g, clip)
    mi = b.fadd(b.load(at(mem), align=8), b.fmul(g, g))
    b.store(mi, at(mem), align=8)
    name = "llvm.sqrt.f64" if lanes == 1 else f"llvm.sqrt.v{lanes}f64"
    root = b.call(cgutils.get_or_insert_function(b.module, ir.FunctionType(vec, [vec]), name), [b.fadd(mi, eps)])
    new = b.fsub(b.load(at(theta), align=8), b.fdiv(b.fmul(eta, g), root))
    b.store(new, at(theta), align=8)
    return new


def _adagrad_ir(module, lanes):
    """void (theta, mem, grad, n, eta, clip, thetaT, ldt): _adagrad on n entries, `lanes` at a
    time, then one at a time; with thetaT not null, also thetaT[j * ldt] = theta[j]."""

    def body(b, args):
        theta, mem, grad, n, eta, clip, thetaT, ldt = args
        transposed = b.icmp_unsigned("!=", thetaT, ir.Constant(_PTR, None))

        def step(j, width):
            at = lambda ptr: b.gep(ptr, [j])  # noqa: E731
            new = _adagrad_values(b, at(theta), at(mem), at(grad), width, eta, clip)
            with b.if_then(transposed):
                for k in range(width):
                    value = new if width == 1 else b.extract_element(new, ir.Constant(_I32, k))
                    b.store(value, b.gep(thetaT, [b.mul(b.add(j, ir.Constant(_I64, k)), ldt)]))

        vectors = b.sdiv(n, ir.Constant(_I64, lanes))
        with cgutils.for_range(b, vectors) as loop:
            step(b.mul(loop.index, ir.Constant(_I64, lanes)), lanes)
        with cgutils.for_range_slice(b, b.mul(vectors, ir.Constant(_I64, lanes)), n, ir.Constant(_I64, 1)) as (j, _):
            step(j, 1)

    return _function(module, f"rnn.adagrad.{lanes}", [_PTR, _PTR, _PTR, _I64, _F64, _F64, _PTR, _I64], body)


@intrinsic
def _adagrad(typingctx, theta, mem, grad, eta, clip):
    """Clip to [-clip, clip], M += g^2, theta -= eta g / sqrt(M + eps): one fused pass over 1-D arrays,
    the statement

        g = min(max(grad[i], -clip), clip); mi = mem[i] + g * g; mem[i] = mi
        theta[i] -= eta * g / np.sqrt(mi + ADAGRAD_EPS)

    on vectors (numba left its square root and division scalar; each lane is the same IEEE operation)."""
    if not all(isinstance(t, types.Array) and t.dtype == types.float64 and t.ndim == 1 and t.layout == "C"
               for t in (theta, mem, grad)):
        return None

    def codegen(context, builder, sig, args):
        ptrs = [context.make_array(t)(context, builder, a).data for t, a in zip(sig.args[:3], args[:3])]
        n = cgutils.unpack_tuple(builder, context.make_array(sig.args[0])(context, builder, args[0]).shape)[0]
        eta_, clip_ = (context.cast(builder, a, t, types.float64) for a, t in zip(args[3:], sig.args[3:]))
        fn = _adagrad_ir(builder.module, _shapes(context)["lanes"])
        builder.call(fn, [*ptrs, n, eta_, clip_, ir.Constant(_PTR, None), ir.Constant(_I64, 0)])
        return context.get_dummy_value()

    return types.none(theta, mem, grad, eta, clip), codegen


@intrinsic
def _adagrad_and_transpose(typingctx, theta, mem, grad, thetaT, eta, clip):
    """_adagrad row by row on matrices, each new row also copied into the transposed copy while it is
    in registers (measured 4-7 % faster per update step than a separate transpose)."""
    if not all(isinstance(t, types.Array) and t.dtype == types.float64 and t.ndim == 2 and t.layout == "C"
               for t in (theta, mem, grad, thetaT)):
        return None

    def codegen(context, builder, sig, args):
        arrays = [context.make_array(t)(context, builder, a) for t, a in zip(sig.args[:4], args[:4])]
        theta_, mem_, grad_, thetaT_ = (a.data for a in arrays)
        rows, cols = cgutils.unpack_tuple(builder, arrays[0].shape)
        eta_, clip_ = (context.cast(builder, a, t, types.float64) for a, t in zip(args[4:], sig.args[4:]))
        fn = _adagrad_ir(builder.module, _shapes(context)["lanes"])
        with cgutils.for_range(builder, rows) as loop:
            row = builder.mul(loop.index, cols)
            at = lambda ptr: builder.gep(ptr, [row])  # noqa: E731
            builder.call(fn, [at(theta_), at(mem_), at(grad_), cols, eta_, clip_,
                              builder.gep(thetaT_, [loop.index]), rows])
        return context.get_dummy_value()

    return types.none(theta, mem, grad, thetaT, eta, clip), codegen


@njit(inline="always", **JIT)
def _transpose(dst, src):
    """dst = src^T (a copy: no arithmetic); one column of src per contiguous row of dst."""
    rows, cols = src.shape
    for j in range(cols):
        for i in range(rows):
            dst[j, i] = src[i, j]


@njit(**JIT)
def refresh_transposes(P, work):
    """WT and VT from W and V: the forward pass reads W and V by columns."""
    _transpose(work.WT, P.W)
    _transpose(work.VT, P.V)


@njit(inline="always", **JIT)
def forward(book, e, tau, h, P, work):
    """The loss of the sequence at position e from h_prev = h; leaves H and the probabilities in work.

    Every sum runs in a fixed order (`products`), and exp, tanh and log are this module's own, so
    the result has the same bits on any CPU."""
    UT, b, c, H, Pr, WT, VT = P.UT, P.b, P.c, work.H, work.Pr, work.WT, work.VT
    m, K = P.W.shape[0], P.V.shape[0]

    # a_t = (U x_t + b) + W h_{t-1}, h_t = tanh(a_t)
    for i in range(m):
        H[0, i] = h[i]
    for t in range(tau):
        a = H[t + 1]
        u = UT[book[e + t]]
        for i in range(m):
            a[i] = u[i] + b[i]
        matvec_acc(a, H[t], WT, t % 2 == 1)  # alternate strip order: part of WT stays in L1
        tanh_into(a, a)

    # o_t = c + V h_t, p_t = softmax(o_t), loss = -sum_t log p_t[y_t]
    for t in range(tau):
        for k in range(K):
            Pr[t, k] = c[k]
    matmul_add(Pr[:tau], H[1:tau + 1], VT)  # O = c + H[1:] V^T
    loss = 0.0
    for t in range(tau):
        o = Pr[t]
        mx = o[0]
        for k in range(1, K):
            mx = max(mx, o[k])
        yt = book[e + t + 1]
        oy = o[yt]
        exp_into(o, o, mx)
        s = 0.0
        for k in range(K):
            s += o[k]
        inv = 1.0 / s
        for k in range(K):
            o[k] *= inv
        loss += fast_log(s) - (oy - mx)
    return loss


@njit(inline="always", **JIT)
def loss_and_gradients(book, e, tau, h, P, work):
    """Forward and back-propagation on the sequence at position e from h_prev = h, into work."""
    W, V = P.W, P.V
    H, Pr, dHo, dA, gUT, gW, gV, gb, gc, seen = (work.H, work.Pr, work.dHo, work.dA, work.gUT, work.gW,
                                                  work.gV, work.gb, work.gc, work.seen)
    m, K = W.shape[0], V.shape[0]
    loss = forward(book, e, tau, h, P, work)
    for t in range(tau):
        Pr[t, book[e + t + 1]] -= 1.0  # Pr becomes dL/do

    # back-propagation through time; every product in a fixed order
    matmul(gV, Pr[:tau].T, H[1:tau + 1])  # dO^T H[1:]
    matmul(dHo[:tau], Pr[:tau], V)  # dO V
    for k in range(K):
        gc[k] = 0.0
    for t in range(tau):
        for k in range(K):
            gc[k] += Pr[t, k]
    for t in range(tau - 1, -1, -1):
        da = dA[t]
        ht = H[t + 1]
        for j in range(m):
            da[j] = dHo[t, j]
        if t < tau - 1:
            matvec_acc(da, dA[t + 1], W, t % 2 == 1)  # + W^T da_{t+1}
        for j in range(m):
            da[j] = da[j] * (1.0 - ht[j] * ht[j])
    matmul(gW, dA[:tau].T, H[:tau])  # dA^T H[:-1]
    for j in range(m):
        gb[j] = 0.0
    for t in range(tau):
        for j in range(m):
            gb[j] += dA[t, j]
        xt = book[e + t]
        row = gUT[xt]
        if seen[xt]:
            for j in range(m):
                row[j] += dA[t, j]
        else:
            seen[xt] = 1
            for j in range(m):
                row[j] = dA[t, j]

    return loss


@njit(inline="always", **JIT)
def _apply_update(P, M, work, eta, clip):
    """Clip + AdaGrad; U only where the sequence's characters are."""
    seen = work.seen
    for k in range(P.V.shape[0]):
        if seen[k]:
            seen[k] = 0
            _adagrad(P.UT[k], M.UT[k], work.gUT[k], eta, clip)
    # whole matrices as one flat pass each: fewer short rows means fewer scalar loop remainders
    _adagrad_and_transpose(P.W, M.W, work.gW, work.WT, eta, clip)
    _adagrad_and_transpose(P.V, M.V, work.gV, work.VT, eta, clip)
    _adagrad(P.b, M.b, work.gb, eta, clip)
    _adagrad(P.c, M.c, work.gc, eta, clip)


@njit(**JIT)
def update_step(book, e, hyper, state):
    """One update (docs/algorithm.md section 3) on the sequence at position e, in place; state.h (h_prev)
    becomes the last hidden state. Returns the sequence's loss, computed with the parameters before
    the update."""
    P, M, h, work = state.P, state.M, state.h, state.work
    refresh_transposes(P, work)
    loss = loss_and_gradients(book, e, hyper.tau, h, P, work)
    _apply_update(P, M, work, hyper.eta, hyper.clip)
    _copy(h, work.H[hyper.tau])
    return loss


@njit(inline="always", **JIT)
def _keep_best(P, h, best):
    _copy(best.P.UT, P.UT)
    _copy(best.P.W, P.W)
    _copy(best.P.V, P.V)
    _copy(best.P.b, P.b)
    _copy(best.P.c, P.c)
    _copy(best.h, h)


@njit(**JIT)
def run_updates(book, hyper, state, best_state, record, position, n_steps):
    """Up to n_steps updates (docs/algorithm.md section 3), recording every loss (the groups are the
    named tuples above, which `run.Run` builds):

    hyper: eta, clip, tau; state: P, M (Weights), h (h_prev) and work; best_state: the best model's
    P and h, and best = [lowest smooth loss, its step, x0]; record: losses and smooths, one entry per
    update to make; position: e, step (updates done before) and smooth (the smooth loss after them;
    ignored when step == 0: it starts at the first loss). The best model is the state after the update
    with the lowest smooth loss (parameters, and the h and x0 the next update starts from). It is copied
    only once a run of new minima ends (before the next update changes the parameters), not at every
    improving step. Stops before updating on a non-finite loss. Returns (updates done, e, smooth)."""
    eta, clip, tau = hyper.eta, hyper.clip, hyper.tau
    P, M, h, work = state.P, state.M, state.h, state.work
    best = best_state.best
    losses, smooths = record.losses, record.smooths
    e, step, smooth = position.e, position.step, position.smooth
    N = book.shape[0]
    refresh_transposes(P, work)
    pending = False
    done = n_steps
    for s in range(n_steps):
        loss = loss_and_gradients(book, e, tau, h, P, work)
        new_smooth = loss if step == 0 else 0.999 * smooth + 0.001 * loss
        if pending and not new_smooth < best[0]:
            _keep_best(P, h, best_state)
            pending = False
        if not np.isfinite(loss):
            losses[s] = loss
            smooths[s] = new_smooth
            done = s
            break
        step += 1
        smooth = new_smooth
        losses[s] = loss
        smooths[s] = smooth
        if smooth < best[0]:
            best[0] = smooth
            best[1] = step
            pending = True
        _apply_update(P, M, work, eta, clip)
        _copy(h, work.H[tau])
        e += tau
        if e > N - tau - 1:
            e = 0
            h[:] = 0.0
        if pending:
            best[2] = book[e]
    if pending:
        _keep_best(P, h, best_state)
    return done, e, smooth
