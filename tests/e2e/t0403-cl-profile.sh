#!/usr/bin/env bash
# `optimize profile` on an OpenCL kernel target runs it under the
# interposer: the table has the device-time counters, then the device and a
# per-kernel table (launches, device time, geometry); --json has the kernels
# and the device; a kernel that does not build exits 3 with the OpenCL build
# log. Fails without OpenCL, unless OPTIMIZE_TEST_NO_OPENCL=1 skips it.
. "$(dirname "$0")/lib.sh"

# OpenCL (PoCL on a CPU) is a dependency scripts/bootstrap.sh installs: its
# absence is a failure, unless OPTIMIZE_TEST_NO_OPENCL=1 asks for the skip.
require_capability "OpenCL platform" OPTIMIZE_TEST_NO_OPENCL have_opencl

tree=$(copy_fixture clmatmul)
before=$(tree_hash "$tree")
run_optimize profile "$tree"
assert_rc 0 "profile of a kernel target"
assert_grep "$out" "opencl-kernel-time .*\[cltrace, measured\]" "the device time is a counter row"
assert_grep "$out" "^OpenCL device: .+\(.+\)" "the device line"
assert_grep "$out" "compute units, max work-group [0-9]+" "the device's limits"
assert_grep "$out" "^kernel +launches +total ms +mean ms +median ms" "the per-kernel table's header"
assert_grep "$out" "^matmul +1 +[0-9]+\.[0-9]+ .* 256x256 +16x16" "the kernel's row: 1 launch, device time, geometry"
ok "the per-kernel table names the kernel, its launches, device time and geometry"
[ "$(grep -c '^matmul ' "$out")" = 1 ] || fail "the kernel is listed once"
ok "one table, no second rendering of the kernels"
[ "$(tree_hash "$tree")" = "$before" ] || fail "the tree was written"
ok "the tree is only read"

run_optimize profile "$tree" --json --no-hotspots
assert_rc 0 "profile --json"
[ "$(json_get "$out" "d['kernels'][0]['name']")" = matmul ] || fail "kernels[0] is matmul"
[ "$(json_get "$out" "d['kernels'][0]['launches']")" = 1 ] || fail "one launch"
[ "$(json_get "$out" "d['kernels'][0]['total_ms'] > 0")" = True ] || fail "a positive device time"
[ "$(json_get "$out" "d['kernels'][0]['global']")" = "[256, 256]" ] || fail "the global size"
[ -n "$(json_get "$out" "d['device']['name']")" ] || fail "the device"
[ "$(json_get "$out" "d['cl_build_log']")" = None ] || fail "no build log"
ok "--json has the kernels and the device"

cp "$FIXTURES/clmatmul-candidates/syntax/kernels/matmul.cl" "$tree/kernels/matmul.cl"
run_optimize profile "$tree"
assert_rc 3 "profile of a kernel that does not build"
assert_grep "$err" "an OpenCL kernel does not build" "says what failed"
assert_grep "$err" "CL_BUILD_PROGRAM_FAILURE" "the OpenCL error"
assert_grep "$err" "undeclared identifier 'coll'" "the compiler's message"
ok "a kernel that does not build: exit 3 with the build log"
finish
