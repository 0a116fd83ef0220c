#!/usr/bin/env bash
# A machine with no OpenCL platform (the ICD loader pointed at an empty
# vendors directory): `optimize doctor` says so; `optimize run` and
# `optimize profile` on a kernel target exit 3 with a clear message, before
# building anything; a CPU target runs as before in the same environment.
. "$(dirname "$0")/lib.sh"

mkdir "$T/no-vendors"
export OCL_ICD_VENDORS=$T/no-vendors

run_optimize doctor
assert_rc 0 "doctor without an OpenCL platform"
assert_grep "$out" "^OpenCL:" "doctor has an OpenCL section"
assert_grep "$out" "no OpenCL platform found" "doctor says there is no platform"
ok "doctor says there is no OpenCL platform"

tree=$(copy_fixture clmatmul)
run_optimize run "$tree"
assert_rc 3 "run on a kernel target without OpenCL"
assert_grep "$err" "'clmatmul' is an OpenCL kernel target, but no OpenCL platform found" "a clear message"
assert_grep "$err" "install an OpenCL ICD" "what to do"
[ ! -e "$tree/clmatmul" ] || fail "nothing is built into the tree"
ok "run on a kernel target exits 3 with a clear message"

run_optimize profile "$tree"
assert_rc 3 "profile on a kernel target without OpenCL"
assert_grep "$err" "'clmatmul' is an OpenCL kernel target, but no OpenCL platform found" "a clear message"
ok "profile on a kernel target exits 3 with a clear message"

cpu=$(copy_fixture rewrite)
rm -rf "$cpu/fast" "$cpu/tamper"
run_optimize run "$cpu" --no-flags --max-runs 5
assert_rc 0 "a CPU target without OpenCL"
assert_grep "$err" "original:" "the CPU target was measured"
ok "a CPU target is unaffected"
finish
