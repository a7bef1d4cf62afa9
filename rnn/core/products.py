"""Matrix products with a summation order fixed by this code, so their bits do not depend on the CPU.

BLAS picks its kernel, and so the order of each sum, by the CPU it runs on; training is chaotic,
so a last-bit difference becomes a different run. Here every output is

    C[r, l] = (...((C[r, l] + A(r, 0) B[0, l]) + A(r, 1) B[1, l]) + ...) + A(r, n-1) B[n-1, l]

in exactly that order, whatever the machine. Speed comes from doing many outputs at once, which
changes no single sum: a register tile of R rows by NV vectors keeps its accumulators in registers
while it runs down the inner dimension (the micro-kernel of a fast matrix product, without
reordering). The loops are written directly in LLVM IR (`fmul`/`fadd` on `<lanes x double>`, no
fast-math flags, so no FMA contraction), one internal function per product kind and module:
numba compiles them in a fraction of a second, where inlined numba helpers took about 10 s per
signature. The tile shapes follow the vector registers of the CPU numba generates code for
(`_shapes`); they decide only which outputs are computed together, never the order of a sum.

Operands are C-contiguous float64 arrays, read as flat, with an element offset and strides, so one
routine serves the kernel's products: A(r, p) = A[a0 + r * a_rs + p * a_ps], B[p, l] = B[b0 + p * ldb + l],
C[r, l] = C[c0 + r * ldc + l].
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import jitcache  # noqa: F401  (numba's cache for every @njit of the package, before the first)

JIT = dict(cache=True, error_model="numpy", nogil=True)  # no fastmath, ever: it would reorder sums

_F64, _I64, _I32 = ir.DoubleType(), ir.IntType(64), ir.IntType(32)
_PTR = _F64.as_pointer()


def _shapes(context) -> dict:
    """Tile shapes for the target CPU: lanes per vector register and the number of registers, the
    block products' tile of `rows` x `vectors`, and the matrix-vector product's strip of `strip` vectors, each sized so
    that accumulators, a row of B and a broadcast value stay in the vector registers."""
    features = context.codegen().magic_tuple()[2].split(",")
    if "+avx512f" in features:  # 32 registers of 8 doubles
        return {"lanes": 8, "registers": 32, "rows": 8, "vectors": 1, "strip": 4}
    if "+avx" in features:  # 16 registers of 4 doubles
        return {"lanes": 4, "registers": 16, "rows": 5, "vectors": 2, "strip": 6}
    return {"lanes": 2, "registers": 16, "rows": 5, "vectors": 2, "strip": 6}  # SSE2, NEON: registers of 2 doubles


def _int(i: int):
    return ir.Constant(_I64, i)


def _vector_at(b, ptr, index, lanes):
    """A pointer to `lanes` doubles from ptr[index] (a plain double pointer for one lane)."""
    p = b.gep(ptr, [index])
    return p if lanes == 1 else b.bitcast(p, ir.VectorType(_F64, lanes).as_pointer())


def _splat(b, x, lanes):
    if lanes == 1:
        return x
    vec = ir.VectorType(_F64, lanes)
    one = b.insert_element(ir.Constant(vec, ir.Undefined), x, ir.Constant(_I32, 0))
    return b.shuffle_vector(one, ir.Constant(vec, ir.Undefined), ir.Constant(ir.VectorType(_I32, lanes), [0] * lanes))


def _tile(b, C, ldc, A, a_rs, a_ps, B, ldb, n, rows: int, vectors: int, lanes: int, zero: bool):
    """C[r, l] += sum over p = 0 .. n-1, in that order, of A(r, p) B[p, l], for r < rows and
    l < vectors * lanes, the rows x vectors accumulators kept in registers for the whole sum. With
    `zero`, C[r, l] = the sum: the accumulators start at +0.0, as from a zeroed C, without reading C."""
    vec = _F64 if lanes == 1 else ir.VectorType(_F64, lanes)
    accs = [[cgutils.alloca_once(b, vec) for _ in range(vectors)] for _ in range(rows)]
    c_rows = [b.gep(C, [b.mul(ldc, _int(r))]) for r in range(rows)]
    for r in range(rows):
        for v in range(vectors):
            start = (ir.Constant(vec, 0.0 if lanes == 1 else [0.0] * lanes) if zero
                     else b.load(_vector_at(b, c_rows[r], _int(v * lanes), lanes), align=8))
            b.store(start, accs[r][v])
    with cgutils.for_range(b, n) as loop:
        b_row = b.gep(B, [b.mul(loop.index, ldb)])
        bv = [b.load(_vector_at(b, b_row, _int(v * lanes), lanes), align=8) for v in range(vectors)]
        a_col = b.gep(A, [b.mul(loop.index, a_ps)])
        for r in range(rows):
            a = _splat(b, b.load(b.gep(a_col, [b.mul(a_rs, _int(r))])), lanes)
            for v in range(vectors):
                b.store(b.fadd(b.load(accs[r][v]), b.fmul(a, bv[v])), accs[r][v])
    for r in range(rows):
        for v in range(vectors):
            b.store(b.load(accs[r][v]), _vector_at(b, c_rows[r], _int(v * lanes), lanes), align=8)


def _switch(b, value, cases: dict, default=None):
    """Run cases[k]() for value == k, else default() (one block of code per case, so that each tile
    has a constant shape)."""
    done = b.append_basic_block("switch.end")
    otherwise = b.append_basic_block("switch.default") if default else done
    switch = b.switch(value, otherwise)
    for k, emit in cases.items():
        block = b.append_basic_block(f"switch.{k}")
        switch.add_case(_int(k), block)
        b.position_at_end(block)
        emit()
        b.branch(done)
    if default:
        b.position_at_end(otherwise)
        default()
        b.branch(done)
    b.position_at_end(done)


def _parts(b, total, most: int):
    """ceil(total / most): the number of parts of at most `most`."""
    return b.sdiv(b.add(total, _int(most - 1)), _int(most))


def _split(b, total, most: int, i):
    """Part i of `total` cut into ceil(total / most) parts as equal as can be: (start, size).
    With two parts or more, every size is at least most / 2."""
    parts = _parts(b, total, most)
    base = b.sdiv(total, parts)
    extra = b.srem(total, parts)
    start = b.add(b.mul(i, base), b.select(b.icmp_signed("<", i, extra), i, extra))
    size = b.add(base, b.zext(b.icmp_signed("<", i, extra), _I64))
    return start, size


def _band(b, C, ldc, A, a_rs, a_ps, B, ldb, cols, n, rows: int, vectors: int, lanes: int, zero=False,
          backwards=None):
    """`rows` rows of outputs, all `cols` columns: strips of `vectors` / 2 to `vectors` vectors, as
    equal as can be, so that each keeps many sums in flight (a narrower matrix: one vector at a
    time), then single columns. With `backwards` (an i1) true, the same strips from the right:
    the columns of B read last by the previous product with the same B are read first, from L1."""
    full = b.sdiv(cols, _int(lanes))
    l1 = b.mul(full, _int(lanes))
    strips = _parts(b, full, vectors)

    def tile(l, tile_vectors, tile_lanes):
        _tile(b, b.gep(C, [l]), ldc, A, a_rs, a_ps, b.gep(B, [l]), ldb, n, rows, tile_vectors, tile_lanes, zero)

    def singles():
        with cgutils.for_range_slice(b, l1, cols, _int(1)) as (l, _):
            tile(l, 1, 1)

    def one_at_a_time(l, size):
        with cgutils.for_range(b, size) as loop:
            tile(b.add(l, b.mul(loop.index, _int(lanes))), 1, lanes)

    if backwards is not None:
        with b.if_then(backwards):
            singles()
    with cgutils.for_range(b, strips) as loop:
        j = loop.index
        if backwards is not None:
            j = b.select(backwards, b.sub(b.sub(strips, _int(1)), j), j)
        start, size = _split(b, full, vectors, j)
        l = b.mul(start, _int(lanes))
        _switch(b, size, {v: (lambda v=v: tile(l, v, lanes)) for v in range((vectors + 1) // 2, vectors + 1)},
                lambda: one_at_a_time(l, size))
    if backwards is None:
        singles()
    else:
        with b.if_then(b.not_(backwards)):
            singles()


def _function(module, name, argtypes, body):
    """The internal IR function `name` of `module`, its body written by `body(builder, args)` on first use."""
    fn = cgutils.get_or_insert_function(module, ir.FunctionType(ir.VoidType(), argtypes), name)
    if fn.is_declaration:
        fn.linkage = "internal"
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        body(b, fn.args)
        b.ret_void()
    return fn


def _accumulate_ir(module, s, zero: bool):
    """void (C, ldc, A, a_rs, a_ps, B, ldb, rows, cols, n): bands of s["rows"] rows, then single rows."""
    R, NV, lanes = s["rows"], s["vectors"], s["lanes"]

    def body(b, args):
        C, ldc, A, a_rs, a_ps, B, ldb, rows, cols, n = args
        bands = b.sdiv(rows, _int(R))

        def band(r0, band_rows):
            _band(b, b.gep(C, [b.mul(r0, ldc)]), ldc, b.gep(A, [b.mul(r0, a_rs)]), a_rs, a_ps, B, ldb, cols, n,
                  band_rows, NV, lanes, zero)

        with cgutils.for_range(b, bands) as loop:
            band(b.mul(loop.index, _int(R)), R)
        with cgutils.for_range_slice(b, b.mul(bands, _int(R)), rows, _int(1)) as (r, _):
            band(r, 1)

    argtypes = [_PTR, _I64, _PTR, _I64, _I64, _PTR, _I64, _I64, _I64, _I64]
    return _function(module, f"rnn.{'product' if zero else 'accumulate'}.{R}x{NV}x{lanes}", argtypes, body)


def _matvec_ir(module, s):
    """void (y, x, B, ldb, cols, n, backwards): one row of outputs in strips of s["strip"] vectors."""
    NV, lanes = s["strip"], s["lanes"]

    def body(b, args):
        y, x, B, ldb, cols, n, backwards = args
        _band(b, y, _int(0), x, _int(0), _int(1), B, ldb, cols, n, 1, NV, lanes, backwards=backwards)

    return _function(module, f"rnn.matvec.{NV}x{lanes}", [_PTR, _PTR, _PTR, _I64, _I64, _I64, ir.IntType(1)],
                     body)


def _f64_array(t):
    """A C-contiguous float64 array of any number of dimensions: its data is the flat operand."""
    return isinstance(t, types.Array) and t.dtype == types.float64 and t.layout == "C"


def _accumulate_intrinsic(zero: bool):
    """`accumulate`'s loops as an intrinsic, emitted into the caller (no numba function between); with
    `zero`, C = the sums instead of C += the sums."""

    @intrinsic
    def accumulate_(typingctx, C, c0, ldc, A, a0, a_rs, a_ps, B, b0, ldb, rows, cols, n):
        ints = (c0, ldc, a0, a_rs, a_ps, b0, ldb, rows, cols, n)
        if not (all(map(_f64_array, (C, A, B))) and all(isinstance(t, types.Integer) for t in ints)):
            return None

        def codegen(context, builder, sig, args):
            def ptr(i, offset):
                data = context.make_array(sig.args[i])(context, builder, args[i]).data
                return builder.gep(data, [integer(offset)])

            def integer(i):
                return context.cast(builder, args[i], sig.args[i], types.int64)

            fn = _accumulate_ir(builder.module, _shapes(context), zero)
            builder.call(fn, [ptr(0, 1), integer(2), ptr(3, 4), integer(5), integer(6), ptr(7, 8), integer(9),
                              integer(10), integer(11), integer(12)])
            return context.get_dummy_value()

        return types.none(C, c0, ldc, A, a0, a_rs, a_ps, B, b0, ldb, rows, cols, n), codegen

    return accumulate_


_accumulate = _accumulate_intrinsic(zero=False)  # C += sums
_product = _accumulate_intrinsic(zero=True)  # C = sums: the same numbers as zeroing C first


@intrinsic
def _matvec(typingctx, y, x, B, backwards):
    """`matvec_acc`'s loops, emitted into the caller; `backwards` a bool or omitted (False)."""
    if not (all(map(_f64_array, (y, x))) and isinstance(B, types.Array) and B.dtype == types.float64
            and B.ndim == 2 and B.layout == "C" and isinstance(backwards, (types.Boolean, types.Omitted))):
        return None

    def codegen(context, builder, sig, args):
        arrays = [context.make_array(t)(context, builder, a) for t, a in zip(sig.args[:3], args[:3])]
        cols = cgutils.unpack_tuple(builder, arrays[2].shape)[1]
        flag = (ir.Constant(ir.IntType(1), bool(sig.args[3].value)) if isinstance(sig.args[3], types.Omitted)
                else context.cast(builder, args[3], sig.args[3], types.boolean))
        fn = _matvec_ir(builder.module, _shapes(context))
        y_len = cgutils.unpack_tuple(builder, arrays[0].shape)[0]
        x_len = cgutils.unpack_tuple(builder, arrays[1].shape)[0]
        builder.call(fn, [arrays[0].data, arrays[1].data, arrays[2].data, cols, y_len, x_len, flag])
        return context.get_dummy_value()

    return types.none(y, x, B, backwards), codegen


@njit(**JIT)
def accumulate(C, c0, ldc, A, a0, a_rs, a_ps, B, b0, ldb, rows, cols, n):
    """C[r, l] += sum over p = 0 .. n-1, in that order, of A(r, p) B[p, l] (flat operands, see above)."""
    _accumulate(C, c0, ldc, A, a0, a_rs, a_ps, B, b0, ldb, rows, cols, n)


@njit(**JIT)
def matvec_acc(y, x, B, backwards=False):
    """y[l] += sum over p, in order, of x[p] B[p, l]: y += B^T x for a row-major B (len(x) x len(y)).
    Alternate `backwards` in a sequence of products with the same B to read part of it from L1."""
    _matvec(y, x, B, backwards)
