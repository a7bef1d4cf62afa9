#!/usr/bin/env bash
# Mutation testing of the core modules with mutmut 2.x (`pip install 'mutmut<3'`).
# mutmut 2 writes each mutant into the source file and runs a test command, which numba's njit
# compiles like any source (mutmut 3's trampolines do not survive njit). Each module is run
# against the fast tests that exercise it (-x: stop at the first failure).
#
#   tests/mutation.sh                 # every core module (one to two hours on one core)
#   tests/mutation.sh latex sample    # some of them
#   mutmut results; mutmut show ID    # the survivors, one mutant's diff
#
# Results are kept in .mutmut-cache: a rerun tests only the mutants not yet killed. mutmut edits
# the files in place (and restores them): run it in a clean checkout or a copy, not while editing.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" OPENBLAS_NUM_THREADS=1
# numba's cache in the copy, not the user's: jitcache keys it by the sources of rnn/core, so each mutant
# of a core module compiles into a directory of its own, removed after its tests (CLEAN_KEY: the
# unmutated sources' directory, kept)
export RNN_NUMBA_CACHE="$PWD/.mutmut-numba"

if [ "${1:-}" = --run-tests ]; then  # the test command of one mutant
    shift
    python -m pytest -x -q -p no:cacheprovider -m "not slow and not slurm" -k "not bench" "$@"
    status=$?
    for dir in "$RNN_NUMBA_CACHE"/*/; do
        [ ! -d "$dir" ] || [ "$(basename "$dir")" = "${CLEAN_KEY:-}" ] || rm -rf "$dir"
    done
    # mutmut 2 counts only exit status 1 as killed: a mutant that breaks the import (pytest's 2,
    # a collection error) must count as killed too
    [ $status -eq 0 ] || exit 1
    exit 0
fi
CLEAN_KEY=$(python -c "from rnn.core import jitcache; print(jitcache.source_key())") || exit 2
export CLEAN_KEY

declare -A TESTS=(
    [corpus]="tests/unit/test_corpus.py"
    [model]="tests/unit/test_model.py tests/unit/test_kernel.py tests/unit/test_gradcheck.py tests/unit/test_sample.py"
    [kernel]="tests/unit/test_kernel.py"
    [gradcheck]="tests/unit/test_gradcheck.py"
    [train]="tests/unit/test_train.py tests/unit/test_sigterm.py"
    [sample]="tests/unit/test_sample.py tests/unit/test_train.py"
    [checkpoint]="tests/unit/test_train.py tests/unit/test_sigterm.py"
    [latex]="tests/unit/test_latex.py"
    [products]="tests/unit/test_products.py"
)
failed=0
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(corpus model gradcheck train sample checkpoint latex products kernel)
for mod in "${modules[@]}"; do
    [ -n "${TESTS[$mod]:-}" ] || { echo "unknown module $mod; choose from ${!TESTS[*]}" >&2; exit 2; }
    only=()
    if [ "$mod" = kernel ]; then
        # Each kernel mutant changes jitcache's key, so its tests compile the kernel from cold (tens of
        # seconds): only the training loop's numba code is mutated, from the update on (the functions in
        # MUTATE). The forward and backward passes, fast_exp/fast_tanh/fast_log and the IR of AdaGrad and
        # the copies are pinned by the ULP and one-step tests, and the products by test_products.py.
        # mutmut takes the lines to mutate as the added lines of a patch (needs `whatthepatch`).
        python - > .mutmut-kernel.patch <<'PY'
import ast
import difflib

MUTATE = ("_transpose", "refresh_transposes", "_apply_update", "update_step", "_keep_best", "run_updates")
path = "rnn/core/kernel.py"
source = open(path).read()
lines = source.splitlines(keepends=True)
bodies = {f.name: range(f.lineno - 1, f.end_lineno) for f in ast.parse(source).body
          if isinstance(f, ast.FunctionDef) and f.name in MUTATE}
assert len(bodies) == len(MUTATE), f"not in {path}: {set(MUTATE) - set(bodies)}; update MUTATE"
mutated = {i for body in bodies.values() for i in body}
rest = [line for i, line in enumerate(lines) if i not in mutated]
print("".join(difflib.unified_diff(rest, lines, path, path)), end="")
PY
        [ $? -eq 0 ] || exit 2
        only=(--use-patch-file .mutmut-kernel.patch)
    fi
    # (--run-tests above: the fast tests without the benchmark, which measures speed and checks nothing
    # a mutant changes)
    path=rnn/core/$mod.py
    [ -f "$path" ] || path=rnn/reporting/$mod.py
    mutmut run --paths-to-mutate "$path" --tests-dir tests --test-time-base 30 --simple-output --no-progress \
        "${only[@]}" --runner "bash tests/mutation.sh --run-tests ${TESTS[$mod]}"
    rc=$?  # a bit mask: 1 a fatal error, 2 survivors, 4 timeouts, 8 suspicious
    if (( rc & 1 )); then echo "mutmut stopped with an error on $path" >&2; failed=1; fi
done
mutmut results
exit $failed
