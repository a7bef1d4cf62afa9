"""exp and tanh over whole arrays, written in LLVM IR: `kernel.fast_exp` and `kernel.fast_tanh`, the same
operations in the same order on every element, so the same bits (tests/unit/test_elementwise.py holds
them equal, NaN, infinities and both sides of every branch and rounding point included), on several
vectors at a time.

Why: numba compiles the scalar functions' loops to vector code, one vector per loop step, and each
element is a chain of about 40 dependent operations (the exp's degree-13 polynomial alone is 26);
the CPU overlapped too few steps to hide that latency (tanh took about 20 cycles per element on a
Zen 3). Here each loop step takes `_CHAINS` independent vectors through every operation side by side.
The statements mirror the scalar functions line by line: numba's own min, max, abs, floor and negation
(`select` on ordered comparisons, `llvm.fabs`, `llvm.floor`, `fsub -0.0`), no fast-math flags.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.cpython import mathimpl
from numba.extending import intrinsic

from .products import _F64, _I64, _PTR, _function, _shapes, _splat, _vector_at

_CHAINS = 4  # vectors per loop step

# the constants of exp (kernel.fast_exp reads them too): ln 2 split in two (Cody and Waite) so that
# n * LN2_HI is exact; the Taylor coefficients of e^r from degree 13 down; 1023 + 2**52
LOG2E = 1.4426950408889634
LN2_HI = 6.93145751953125e-1
LN2_LO = 1.42860682030941723212e-6
EXP_TAYLOR = (1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
              1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0)
TWO_52_PLUS_BIAS = 1023.0 + 4503599627370496.0
# the rational approximation of tanh below |x| = 0.625 (Cephes; kernel.fast_tanh reads them too)
TANH_P = (-9.64399179425052238628e-1, 9.92877231001918586564e1, 1.61468768441708447952e3)
TANH_Q = (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)


class _Lanes:
    """Emits one operation on a list of values (vectors of `lanes` doubles, or doubles for one lane)."""

    def __init__(self, b, lanes: int):
        self.b, self.lanes = b, lanes
        self.type = _F64 if lanes == 1 else ir.VectorType(_F64, lanes)

    def const(self, value: float):
        return ir.Constant(self.type, value if self.lanes == 1 else [value] * self.lanes)

    def call(self, name: str, x):
        suffix = "f64" if self.lanes == 1 else f"v{self.lanes}f64"
        fn = cgutils.get_or_insert_function(self.b.module, ir.FunctionType(self.type, [self.type]), f"{name}.{suffix}")
        return self.b.call(fn, [x])

    def max(self, x, c: float):
        """numba's max(x, c): c where c > x, else x (a NaN x stays)."""
        return self.b.select(self.b.fcmp_ordered(">", self.const(c), x), self.const(c), x)

    def min(self, x, c: float):
        """numba's min(x, c): c where c < x, else x."""
        return self.b.select(self.b.fcmp_ordered("<", self.const(c), x), self.const(c), x)

    def pow2(self, n):
        """2**n for the integral n of fast_exp: the low bits of n + 1023 + 2**52, shifted into the exponent."""
        b = self.b
        ints = _I64 if self.lanes == 1 else ir.VectorType(_I64, self.lanes)
        bits = b.bitcast(b.fadd(n, self.const(TWO_52_PLUS_BIAS)), ints)
        shift = ir.Constant(ints, 52 if self.lanes == 1 else [52] * self.lanes)
        return b.bitcast(b.shl(bits, shift), self.type)


def _exp(v: _Lanes, xs: list) -> list:
    """kernel.fast_exp of each value, statement by statement."""
    b = v.b
    xs = [v.min(v.max(x, -708.0), 709.0) for x in xs]
    ns = [v.call("llvm.floor", b.fadd(b.fmul(x, v.const(LOG2E)), v.const(0.5))) for x in xs]
    rs = [b.fsub(b.fsub(x, b.fmul(n, v.const(LN2_HI))), b.fmul(n, v.const(LN2_LO))) for x, n in zip(xs, ns)]
    ps = [v.const(EXP_TAYLOR[0])] * len(xs)
    for coefficient in EXP_TAYLOR[1:]:
        ps = [b.fadd(b.fmul(p, r), v.const(coefficient)) for p, r in zip(ps, rs)]
    return [b.fmul(p, v.pow2(n)) for p, n in zip(ps, ns)]


def _tanh(v: _Lanes, xs: list) -> list:
    """kernel.fast_tanh of each value, statement by statement."""
    b, c = v.b, v.const
    axs = [v.call("llvm.fabs", x) for x in xs]
    zs = [b.fmul(x, x) for x in xs]
    smalls = [b.fcmp_ordered("<", ax, c(0.625)) for ax in axs]
    numerators = [b.fmul(b.fmul(x, z), b.fsub(b.fmul(b.fsub(b.fmul(c(TANH_P[0]), z), c(TANH_P[1])), z), c(TANH_P[2])))
                  for x, z in zip(xs, zs)]
    denominators = [b.fadd(b.fmul(b.fadd(b.fmul(b.fadd(z, c(TANH_Q[0])), z), c(TANH_Q[1])), z), c(TANH_Q[2])) for z in zs]
    es = _exp(v, [b.fmul(c(-2.0), ax) for ax in axs])
    qs = [b.fdiv(b.select(s, num, b.fmul(c(2.0), e)), b.select(s, den, b.fadd(c(1.0), e)))
          for s, num, den, e in zip(smalls, numerators, denominators, es)]
    larges = [b.fsub(c(1.0), q) for q in qs]
    return [b.select(s, b.fadd(x, q), b.select(b.fcmp_ordered(">=", x, c(0.0)), large, mathimpl.negate_real(b, large)))
            for s, x, q, large in zip(smalls, xs, qs, larges)]


def _map_ir(module, lanes: int, kind: str):
    """void (dst, src, n, shift): dst[i] = fast_exp(src[i] - shift), or fast_tanh(src[i]) (shift unused):
    _CHAINS vectors per loop step, then one vector, then one element at a time."""

    def body(b, args):
        dst, src, n, shift = args

        def step(i, width, count):
            v = _Lanes(b, width)
            at = [b.add(i, _i(k * width)) for k in range(count)]
            xs = [b.load(_vector_at(b, src, j, width), align=8) for j in at]
            if kind == "exp":
                ys = _exp(v, [b.fsub(x, _splat(b, shift, width)) for x in xs])
            else:
                ys = _tanh(v, xs)
            for j, y in zip(at, ys):
                b.store(y, _vector_at(b, dst, j, width), align=8)

        done = _i(0)
        for width, count in dict.fromkeys(((lanes, _CHAINS), (lanes, 1), (1, 1))):
            span = width * count
            steps = b.sdiv(b.sub(n, done), _i(span))
            with cgutils.for_range(b, steps) as loop:
                step(b.add(done, b.mul(loop.index, _i(span))), width, count)
            done = b.add(done, b.mul(steps, _i(span)))

    return _function(module, f"rnn.{kind}.{lanes}x{_CHAINS}", [_PTR, _PTR, _I64, _F64], body)


def _i(k: int):
    return ir.Constant(_I64, k)


def _contiguous_f64(*ts) -> bool:
    return all(isinstance(t, types.Array) and t.dtype == types.float64 and t.ndim == 1 and t.layout == "C" for t in ts)


def _codegen(kind: str):
    def codegen(context, builder, sig, args):
        d, s = (context.make_array(t)(context, builder, a) for t, a in zip(sig.args[:2], args[:2]))
        (n,), (n_src,) = cgutils.unpack_tuple(builder, d.shape), cgutils.unpack_tuple(builder, s.shape)
        with builder.if_then(builder.icmp_signed("!=", n, n_src), likely=False):
            context.call_conv.return_user_exc(builder, ValueError, (f"{kind}_into: arrays of different lengths",))
        shift = context.cast(builder, args[2], sig.args[2], types.float64) if kind == "exp" else ir.Constant(_F64, 0.0)
        builder.call(_map_ir(builder.module, _shapes(context)["lanes"], kind), [d.data, s.data, n, shift])
        return context.get_dummy_value()

    return codegen


@intrinsic
def exp_into(typingctx, dst, src, shift):
    """exp_into(dst, src, shift): dst[i] = fast_exp(src[i] - shift), for 1-D contiguous float64 arrays of
    one length (dst may be src). Call it from compiled code."""
    if _contiguous_f64(dst, src) and isinstance(shift, (types.Float, types.Integer)):
        return types.none(dst, src, shift), _codegen("exp")
    return None


@intrinsic
def tanh_into(typingctx, dst, src):
    """tanh_into(dst, src): dst[i] = fast_tanh(src[i]), for 1-D contiguous float64 arrays of one length
    (dst may be src). Call it from compiled code."""
    if _contiguous_f64(dst, src):
        return types.none(dst, src), _codegen("tanh")
    return None
