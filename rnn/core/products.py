"""Matrix products with a summation order fixed by this code, so their bits do not depend on the CPU.

BLAS picks its kernel, and so the order of each sum, by the CPU it runs on; training is chaotic,
so a last-bit difference becomes a different run. Here every output is

    C[r, l] = (...((C[r, l] + A(r, 0) B[0, l]) + A(r, 1) B[1, l]) + ...) + A(r, n-1) B[n-1, l]

in exactly that order, whatever the machine. Speed comes from doing many outputs at once, which
changes no single sum: a register tile of R rows by NV vectors of VW columns keeps its
accumulators in registers while it runs down the inner dimension (the micro-kernel of a fast
matrix product, without reordering). The tile is written in LLVM vector instructions
(`fmul`/`fadd` on `<VW x double>`, no fast-math flags, so no FMA contraction): on a narrower
machine LLVM splits each vector operation into narrower ones, lane by lane, with the same results.

Operands are flat float64 arrays with an element offset and strides, so one routine serves the
kernel's products: A(r, p) = A[a0 + r * a_rs + p * a_ps], B[p, l] = B[b0 + p * ldb + l],
C[r, l] = C[c0 + r * ldc + l].
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

JIT = dict(cache=True, error_model="numpy", nogil=True)  # no fastmath, ever: it would reorder sums


def _make_tile(R: int, widths: tuple[int, ...]):
    """An intrinsic adding sum_p A(r, p) B[p, l], in order p = 0, 1, ..., to an R-row block of C
    whose columns are covered by vectors of the given widths (accumulators stay in registers)."""
    offsets = [sum(widths[:v]) for v in range(len(widths))]

    @intrinsic
    def tile(typingctx, C, c0, ldc, A, a0, a_rs, a_ps, B, b0, ldb, n):
        def codegen(context, builder, sig, args):
            C_, c0_, ldc_, A_, a0_, a_rs_, a_ps_, B_, b0_, ldb_, n_ = args
            cptr = context.make_array(sig.args[0])(context, builder, C_).data
            aptr = context.make_array(sig.args[3])(context, builder, A_).data
            bptr = context.make_array(sig.args[7])(context, builder, B_).data
            i32, i64 = ir.IntType(32), ir.IntType(64)
            vecs = [ir.VectorType(ir.DoubleType(), w) for w in widths]

            def const(k):
                return ir.Constant(i64, k)

            def vpointer(ptr, index, v):
                return builder.bitcast(builder.gep(ptr, [index]), vecs[v].as_pointer())

            def c_index(r, v):
                return builder.add(builder.add(c0_, builder.mul(ldc_, const(r))), const(offsets[v]))

            def broadcast(x, v):
                vec = vecs[v]
                one = builder.insert_element(ir.Constant(vec, ir.Undefined), x, ir.Constant(i32, 0))
                zeros = ir.Constant(ir.VectorType(i32, vec.count), [0] * vec.count)
                return builder.shuffle_vector(one, ir.Constant(vec, ir.Undefined), zeros)

            accs = [[cgutils.alloca_once(builder, vecs[v]) for v in range(len(widths))] for _ in range(R)]
            for r in range(R):
                for v in range(len(widths)):
                    builder.store(builder.load(vpointer(cptr, c_index(r, v), v), align=8), accs[r][v])
            with cgutils.for_range(builder, n_) as loop:
                p = loop.index
                brow = builder.add(b0_, builder.mul(p, ldb_))
                bv = [builder.load(vpointer(bptr, builder.add(brow, const(offsets[v])), v), align=8)
                      for v in range(len(widths))]
                acol = builder.add(a0_, builder.mul(p, a_ps_))
                for r in range(R):
                    a = builder.load(builder.gep(aptr, [builder.add(acol, builder.mul(a_rs_, const(r)))]))
                    splat = {w: broadcast(a, v) for v, w in reversed(list(enumerate(widths)))}
                    for v, w in enumerate(widths):
                        acc = builder.load(accs[r][v])
                        builder.store(builder.fadd(acc, builder.fmul(splat[w], bv[v])), accs[r][v])
            for r in range(R):
                for v in range(len(widths)):
                    builder.store(builder.load(accs[r][v]), vpointer(cptr, c_index(r, v), v), align=8)
            return context.get_dummy_value()

        return types.none(C, c0, ldc, A, a0, a_rs, a_ps, B, b0, ldb, n), codegen

    return tile


_tile_8x8 = _make_tile(8, (8,))
_tile_8x4 = _make_tile(8, (4,))
_tile_4x8 = _make_tile(4, (8,))
_tile_4x4 = _make_tile(4, (4,))
_tile_1x36 = _make_tile(1, (8, 8, 8, 8, 4))
_tile_1x32 = _make_tile(1, (8, 8, 8, 8))
_tile_1x16 = _make_tile(1, (8, 8))
_tile_1x8 = _make_tile(1, (8,))
_tile_1x4 = _make_tile(1, (4,))


@njit(inline="always", **JIT)
def _strip(kind, C, c0, A, a0, a_ps, B, b0, ldb, l, n):
    """One strip of a row of outputs, from column l: a tile of `kind` columns (1 = a single column)."""
    if kind == 32:
        _tile_1x32(C, c0 + l, 0, A, a0, 0, a_ps, B, b0 + l, ldb, n)
    elif kind == 36:
        _tile_1x36(C, c0 + l, 0, A, a0, 0, a_ps, B, b0 + l, ldb, n)
    elif kind == 16:
        _tile_1x16(C, c0 + l, 0, A, a0, 0, a_ps, B, b0 + l, ldb, n)
    elif kind == 8:
        _tile_1x8(C, c0 + l, 0, A, a0, 0, a_ps, B, b0 + l, ldb, n)
    elif kind == 4:
        _tile_1x4(C, c0 + l, 0, A, a0, 0, a_ps, B, b0 + l, ldb, n)
    else:
        s = C[c0 + l]
        for p in range(n):
            s = s + A[a0 + p * a_ps] * B[b0 + p * ldb + l]
        C[c0 + l] = s


@njit(inline="always", **JIT)
def _strip_kind(left):
    """The width of the next strip when `left` columns remain (100 = 32 + 32 + 36, 80 = 32 + 32 + 16)."""
    if left >= 32 and left != 36:
        return 32
    if left == 36:
        return 36
    if left >= 16:
        return 16
    if left >= 8:
        return 8
    if left >= 4:
        return 4
    return 1


@njit(inline="always", **JIT)
def _row(C, c0, A, a0, a_ps, B, b0, ldb, cols, n, backwards=False):
    """One row of outputs in strips as wide as fit. `backwards` takes the same strips from the right:
    the same sums, but the columns of B read last by the previous call are read first, from L1."""
    if not backwards:
        l = 0
        while l < cols:
            kind = _strip_kind(cols - l)
            _strip(kind, C, c0, A, a0, a_ps, B, b0, ldb, l, n)
            l += kind
        return
    end = cols
    while end > 0:  # the strip that ends at `end`, found again from the left (a handful of strips)
        l = 0
        start = 0
        while l < end:
            start = l
            l += _strip_kind(cols - l)
        _strip(_strip_kind(cols - start), C, c0, A, a0, a_ps, B, b0, ldb, start, n)
        end = start


@njit(inline="always", **JIT)
def _block(tile_8, tile_4, R, C, c0, ldc, A, a0, a_rs, a_ps, B, b0, ldb, cols, n):
    """R rows of outputs: tiles of 8 columns, then of 4, then single columns row by row."""
    l = 0
    while l + 8 <= cols:
        tile_8(C, c0 + l, ldc, A, a0, a_rs, a_ps, B, b0 + l, ldb, n)
        l += 8
    while l + 4 <= cols:
        tile_4(C, c0 + l, ldc, A, a0, a_rs, a_ps, B, b0 + l, ldb, n)
        l += 4
    if l < cols:
        for r in range(R):
            _row(C, c0 + r * ldc + l, A, a0 + r * a_rs, a_ps, B, b0 + l, ldb, cols - l, n)


@njit(**JIT)
def accumulate(C, c0, ldc, A, a0, a_rs, a_ps, B, b0, ldb, rows, cols, n):
    """C[r, l] += sum over p = 0 .. n-1, in that order, of A(r, p) B[p, l] (flat operands, see above).

    Tiles of 8 rows by 8 columns share each loaded vector of B among 8 accumulators (measured: the
    fastest shape here, 25 % ahead of 4 x 20); 4-row tiles and single rows take what is left."""
    r = 0
    while r + 8 <= rows:
        _block(_tile_8x8, _tile_8x4, 8, C, c0 + r * ldc, ldc, A, a0 + r * a_rs, a_rs, a_ps, B, b0, ldb, cols, n)
        r += 8
    while r + 4 <= rows:
        _block(_tile_4x8, _tile_4x4, 4, C, c0 + r * ldc, ldc, A, a0 + r * a_rs, a_rs, a_ps, B, b0, ldb, cols, n)
        r += 4
    while r < rows:
        _row(C, c0 + r * ldc, A, a0 + r * a_rs, a_ps, B, b0, ldb, cols, n)
        r += 1


@njit(**JIT)
def matvec_acc(y, x, B, backwards=False):
    """y[l] += sum over p, in order, of x[p] B[p, l]: y += B^T x for a row-major B (n x len(y)).
    Alternate `backwards` in a sequence of products with the same B to read part of it from L1."""
    _row(y, 0, x, 0, 1, B.reshape(-1), 0, B.shape[1], y.shape[0], x.shape[0], backwards)
