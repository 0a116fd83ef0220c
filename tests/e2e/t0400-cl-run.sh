#!/usr/bin/env bash
# An OpenCL kernel target (fixtures/clmatmul, objective kernel_time) with
# hand-written kernel rewrites: a wrong one (off by one on odd sizes) fails
# verification with the mismatch; one with a syntax error is a build failure
# whose reason holds the OpenCL build log; the register-blocked rewrite is
# accepted on device time, with the device and kernels in its profile; the
# local-memory tiled one is verified and measured. Fails without OpenCL,
# unless OPTIMIZE_TEST_NO_OPENCL=1 skips it.
. "$(dirname "$0")/lib.sh"

# OpenCL (PoCL on a CPU) is a dependency scripts/bootstrap.sh installs: its
# absence is a failure, unless OPTIMIZE_TEST_NO_OPENCL=1 asks for the skip.
require_capability "OpenCL platform" OPTIMIZE_TEST_NO_OPENCL have_opencl

tree=$(copy_fixture clmatmul)
for c in wrong syntax tiled blocked; do cp -r "$FIXTURES/clmatmul-candidates/$c" "$T/$c"; done
run_optimize run "$tree" --no-flags --candidate "$T/wrong" --candidate "$T/syntax" \
  --candidate "$T/tiled" --candidate "$T/blocked" --max-runs 10
assert_rc 0 "run with four kernel rewrites"
r=$(latest_run "$tree")/report.json
cand() { json_get "$r" "d['targets'][0]['candidates'][$1]$2"; }

[ "$(cand 1 "['status']")" = verify-failed ] || fail "the wrong kernel must fail verification: $(cand 1 "['reason']")"
cand 1 "['reason']" > "$T/wrong-reason"
assert_grep "$T/wrong-reason" "clmatmul 1.*differs from the original's: .*expected" "the reason shows the mismatch"
ok "a wrong kernel is rejected by verification, with the mismatch"

[ "$(cand 2 "['status']")" = build-failed ] || fail "the syntax error must be a build failure: $(cand 2 "['status']")"
cand 2 "['reason']" > "$T/syntax-reason"
assert_grep "$T/syntax-reason" "^OpenCL build log:" "the reason has the build log"
assert_grep "$T/syntax-reason" "CL_BUILD_PROGRAM_FAILURE" "the reason names the OpenCL error"
assert_grep "$T/syntax-reason" "error: .*undeclared identifier 'coll'" "the compiler's message"
assert_grep "$err" "build-failed" "progress shows the build failure"
ok "a kernel with a syntax error is rejected with the OpenCL build log"

s=$(cand 3 "['status']")
case "$s" in accepted|not-faster) ;; *) fail "the tiled kernel must verify and be measured, got $s: $(cand 3 "['reason']")" ;; esac
ok "the tiled kernel is verified and measured ($s)"

[ "$(cand 4 "['status']")" = accepted ] || fail "the blocked kernel must be accepted: $(cand 4 "['reason']")"
[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = 4 ] || fail "the blocked kernel is the best"
[ "$(json_get "$r" "d['targets'][0]['objective']['unit']")" = ms ] || fail "objective unit ms"
[ "$(json_get "$r" "d['targets'][0]['objective']['source']")" = "OpenCL event profiling (device timestamps)" ] ||
  fail "objective source names device timestamps"
[ "$(cand 4 "['measurement']['median']['unit']")" = ms ] || fail "the candidate's median is in ms"
ok "the register-blocked kernel is accepted on kernel_time (device timestamps, ms)"

[ "$(cand 4 "['profile']['kernels'][0]['name']")" = matmul ] || fail "the profile names the kernel"
[ "$(cand 4 "['profile']['kernels'][0]['launches']")" = 1 ] || fail "one launch per run"
[ -n "$(cand 4 "['profile']['device']['name']")" ] || fail "the profile names the device"
[ "$(cand 4 "['profile']['kernels'][0]['total_ms'] > 0")" = True ] || fail "a positive device time"
ok "the winner's profile holds its kernel, launches and the device"
finish
