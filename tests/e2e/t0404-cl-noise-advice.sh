#!/usr/bin/env bash
# OpenCL decisions: when the device time of the original varies over ~10%
# (here the run picks a random matrix size, 64 to 256, each time), the
# warning says what steadies a device-time objective (more launches per
# run, --min-runs), not --cpu, which pins only the host.
. "$(dirname "$0")/lib.sh"
require_capability OpenCL OPTIMIZE_TEST_NO_OPENCL have_opencl

tree=$(copy_fixture clmatmul)
python3 - "$tree/optimize.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["run"] = "sh -c 'n=$(( ($(od -An -N1 -tu1 /dev/urandom) % 4 + 1) * 64 )); ./clmatmul $n > /dev/null; echo done'"
m["verify"] = m["verify"][:1]
json.dump(m, open(sys.argv[1], "w"))
PY
run_optimize run "$tree" --no-flags --min-runs 6 --max-runs 6
assert_rc 0 "the run of the noisy kernel target"
assert_grep "$err" 'coefficient of variation of .* is [0-9.]+%' "a noise warning"
assert_grep "$err" 'device time: make each run launch the kernels more times' "the advice fits device time"
assert_grep "$err" 'raise --min-runs' "and names --min-runs"
assert_grep "$err" 'pinning with --cpu does not steady a device' "it says --cpu does not help"
assert_no_grep "$err" 'pin with --cpu N' "no CPU-pinning advice"
ok "noisy device time gets device advice, not --cpu"
finish
