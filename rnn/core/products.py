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

The products take numba array views, the operands as the equations write them: `matmul_add(Pr,
H[1:], VT)` is O += H[1:] V^T, `matmul(gW, dA.T, H[:-1])` is dW = dA^T H[:-1]. A view's data pointer
and strides say where each element is, so one loop serves a plain, transposed or sliced A; the rows of
B and C are read as vectors and must be contiguous (checked, as are the shapes: a ValueError, never a
read out of bounds). The products are intrinsics, emitted in place into the numba function that calls
them: call them from compiled code.
"""

from __future__ import annotations

from typing import NamedTuple

from llvmlite import ir
from numba import types
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


class _Operands(NamedTuple):
    """The IR values the loops read a product's operands from: C[r, l] = C[r ldc + l],
    A(r, p) = A[r a_rs + p a_ps], B[p, l] = B[p ldb + l] (double pointers, int64 strides in elements)."""

    C: ir.Value
    ldc: ir.Value
    A: ir.Value
    a_rs: ir.Value
    a_ps: ir.Value
    B: ir.Value
    ldb: ir.Value

    def from_row(self, b, r):
        """The operands of the outputs from row r of C on."""
        return self._replace(C=b.gep(self.C, [b.mul(r, self.ldc)]), A=b.gep(self.A, [b.mul(r, self.a_rs)]))

    def from_column(self, b, l):
        """The operands of the outputs from column l of C on."""
        return self._replace(C=b.gep(self.C, [l]), B=b.gep(self.B, [l]))


class _Tile(NamedTuple):
    """A register tile: `rows` rows of outputs by `vectors` vectors of `lanes` doubles (Python ints:
    each shape is its own block of code)."""

    rows: int
    vectors: int
    lanes: int


def _tile(b, ops: _Operands, n, tile: _Tile, zero: bool):
    """C[r, l] += sum over p = 0 .. n-1, in that order, of A(r, p) B[p, l], for r < rows and
    l < vectors * lanes, the rows x vectors accumulators kept in registers for the whole sum. With
    `zero`, C[r, l] = the sum: the accumulators start at +0.0, as from a zeroed C, without reading C."""
    C, ldc, A, a_rs, a_ps, B, ldb = ops
    rows, vectors, lanes = tile
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


def _band(b, ops: _Operands, cols, n, tile: _Tile, *, zero=False, backwards=None):
    """`tile.rows` rows of outputs, all `cols` columns: strips of `tile.vectors` / 2 to `tile.vectors`
    vectors, as equal as can be, so that each keeps many sums in flight (a narrower matrix: one vector
    at a time), then single columns. With `backwards` (an i1) true, the same strips from the right:
    the columns of B read last by the previous product with the same B are read first, from L1."""
    rows, vectors, lanes = tile
    full = b.sdiv(cols, _int(lanes))
    l1 = b.mul(full, _int(lanes))
    strips = _parts(b, full, vectors)

    def tile_at(l, tile_vectors, tile_lanes):
        _tile(b, ops.from_column(b, l), n, _Tile(rows, tile_vectors, tile_lanes), zero)

    def singles():
        with cgutils.for_range_slice(b, l1, cols, _int(1)) as (l, _):
            tile_at(l, 1, 1)

    def one_at_a_time(l, size):
        with cgutils.for_range(b, size) as loop:
            tile_at(b.add(l, b.mul(loop.index, _int(lanes))), 1, lanes)

    if backwards is not None:
        with b.if_then(backwards):
            singles()
    with cgutils.for_range(b, strips) as loop:
        j = loop.index
        if backwards is not None:
            j = b.select(backwards, b.sub(b.sub(strips, _int(1)), j), j)
        start, size = _split(b, full, vectors, j)
        l = b.mul(start, _int(lanes))
        _switch(b, size, {v: (lambda v=v: tile_at(l, v, lanes)) for v in range((vectors + 1) // 2, vectors + 1)},
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
        *operands, rows, cols, n = args
        ops = _Operands(*operands)
        bands = b.sdiv(rows, _int(R))
        with cgutils.for_range(b, bands) as loop:
            _band(b, ops.from_row(b, b.mul(loop.index, _int(R))), cols, n, _Tile(R, NV, lanes), zero=zero)
        with cgutils.for_range_slice(b, b.mul(bands, _int(R)), rows, _int(1)) as (r, _):
            _band(b, ops.from_row(b, r), cols, n, _Tile(1, NV, lanes), zero=zero)

    argtypes = [_PTR, _I64, _PTR, _I64, _I64, _PTR, _I64, _I64, _I64, _I64]
    return _function(module, f"rnn.{'product' if zero else 'accumulate'}.{R}x{NV}x{lanes}", argtypes, body)


def _matvec_ir(module, s):
    """void (y, x, incx, B, ldb, cols, n, backwards): one row of outputs (A the row x[p incx]) in strips
    of s["strip"] vectors."""
    NV, lanes = s["strip"], s["lanes"]

    def body(b, args):
        y, x, incx, B, ldb, cols, n, backwards = args
        _band(b, _Operands(y, _int(0), x, _int(0), incx, B, ldb), cols, n, _Tile(1, NV, lanes), backwards=backwards)

    return _function(module, f"rnn.matvec.{NV}x{lanes}",
                     [_PTR, _PTR, _I64, _PTR, _I64, _I64, _I64, ir.IntType(1)], body)


# --- the products for numba code: array views in, the loops above emitted in place ----------------
def _f64_view(t, ndim: int):
    """A float64 array (any layout: a view) of `ndim` dimensions."""
    return isinstance(t, types.Array) and t.dtype == types.float64 and t.ndim == ndim


def _view(context, builder, ty, value):
    """(data pointer, shape, strides in elements) of a numba array, as IR values."""
    array = context.make_array(ty)(context, builder, value)
    strides = cgutils.unpack_tuple(builder, array.strides)
    return array.data, cgutils.unpack_tuple(builder, array.shape), [builder.sdiv(s, _int(8)) for s in strides]


def _check(context, builder, name: str, same, rows):
    """Raise ValueError unless each pair of `same` is equal and each (stride, length) of `rows` is a
    contiguous row (stride 1, or at most one element): the loops read rows of B and C as vectors."""
    ok = ir.Constant(ir.IntType(1), True)
    for x, y in same:
        ok = builder.and_(ok, builder.icmp_signed("==", x, y))
    for stride, length in rows:
        ok = builder.and_(ok, builder.or_(builder.icmp_signed("==", stride, _int(1)),
                                          builder.icmp_signed("<", length, _int(2))))
    with builder.if_then(builder.not_(ok), likely=False):
        context.call_conv.return_user_exc(
            builder, ValueError, (f"{name}: shapes that do not match, or a row of the output or of B not contiguous",))


def _product_intrinsic(name: str, zero: bool, doc: str):
    """The intrinsic `name`(C, A, B) for 2-D views: C += A B, or with `zero` C = A B."""

    def typer(typingctx, C, A, B):
        if not all(_f64_view(t, 2) for t in (C, A, B)):
            return None

        def codegen(context, builder, sig, args):
            (c_, (rows, cols), (ldc, c1)), (a_, (a_rows, n), (a_rs, a_ps)), (b_, (b_rows, b_cols), (ldb, b1)) = (
                _view(context, builder, t, v) for t, v in zip(sig.args, args))
            _check(context, builder, name, [(a_rows, rows), (b_rows, n), (b_cols, cols)], [(c1, cols), (b1, cols)])
            fn = _accumulate_ir(builder.module, _shapes(context), zero)
            builder.call(fn, [c_, ldc, a_, a_rs, a_ps, b_, ldb, rows, cols, n])
            return context.get_dummy_value()

        return types.none(C, A, B), codegen

    typer.__name__, typer.__qualname__, typer.__doc__ = name, name, doc
    return intrinsic(typer)


matmul_add = _product_intrinsic("matmul_add", False, """matmul_add(C, A, B): C += A B, each output
C[r, l] + A[r, 0] B[0, l] + A[r, 1] B[1, l] + ... summed in that order. 2-D float64 views: A of any
strides (`dA.T`, `H[1:]`), the rows of C and B contiguous.""")
matmul = _product_intrinsic("matmul", True, """matmul(C, A, B): C = A B, the sums of matmul_add from +0.0
(the same bits as zeroing C first; C is not read).""")


@intrinsic
def matvec_acc(typingctx, y, x, B, backwards=False):
    """matvec_acc(y, x, B, backwards=False): y += B^T x, y[l] + x[0] B[0, l] + x[1] B[1, l] + ... in that
    order: matmul_add with the one row x. Float64 views: y and x 1-D (x of any stride), B 2-D of
    len(x) x len(y) with contiguous rows. Alternate `backwards` (a bool) in a sequence of products with
    the same B: the strips are taken from the other end (the same sums), so part of B is read from L1."""
    if backwards is False:  # not passed: numba lowers the default as a constant of this type
        backwards = types.boolean
    if not (_f64_view(y, 1) and _f64_view(x, 1) and _f64_view(B, 2)
            and isinstance(backwards, (types.Boolean, types.Omitted))):
        return None

    def codegen(context, builder, sig, args):
        (y_, (cols,), (incy,)), (x_, (n,), (incx,)), (b_, (b_rows, b_cols), (ldb, b1)) = (
            _view(context, builder, t, v) for t, v in zip(sig.args[:3], args[:3]))
        _check(context, builder, "matvec_acc", [(b_rows, n), (b_cols, cols)], [(incy, cols), (b1, cols)])
        flag = (ir.Constant(ir.IntType(1), bool(sig.args[3].value)) if isinstance(sig.args[3], types.Omitted)
                else context.cast(builder, args[3], sig.args[3], types.boolean))
        fn = _matvec_ir(builder.module, _shapes(context))
        builder.call(fn, [y_, x_, incx, b_, ldb, cols, n, flag])
        return context.get_dummy_value()

    return types.none(y, x, B, backwards), codegen
