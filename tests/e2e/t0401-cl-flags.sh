#!/usr/bin/env bash
# The default (flags) proposer on an OpenCL kernel target tries OpenCL build
# options (-cl-mad-enable, -cl-fast-relaxed-math, given to clBuildProgram by
# the interposer) and the manifest's work-group sizes (wg_size_env, read by
# the host): each one is built, verified and measured, none is a build
# failure, and the report records what each was. Fails without OpenCL,
# unless OPTIMIZE_TEST_NO_OPENCL=1 skips it.
. "$(dirname "$0")/lib.sh"

# OpenCL (PoCL on a CPU) is a dependency scripts/bootstrap.sh installs: its
# absence is a failure, unless OPTIMIZE_TEST_NO_OPENCL=1 asks for the skip.
require_capability "OpenCL platform" OPTIMIZE_TEST_NO_OPENCL have_opencl

tree=$(copy_fixture clmatmul)
run_optimize run "$tree" --max-runs 8
assert_rc 0 "run with the default proposer"
r=$(latest_run "$tree")/report.json
json_get "$r" "'\n'.join('%s|%s|%s|%s' % (c['id'], c['status'], c['config'].get('cl_build_options', ''), c['config'].get('wg_size', '')) for c in d['targets'][0]['candidates'][1:])" > "$T/cands"
cat "$T/cands"

assert_grep "$T/cands" "^[0-9]+\|[a-z-]+\|.*-cl-mad-enable" "a candidate with -cl-mad-enable"
assert_grep "$T/cands" "^[0-9]+\|[a-z-]+\|.*-cl-fast-relaxed-math" "a candidate with -cl-fast-relaxed-math"
ok "OpenCL build options were tried (config.cl_build_options)"

assert_grep "$T/cands" "\|8$" "a candidate with work-group size 8"
assert_grep "$T/cands" "\|32$" "a candidate with work-group size 32"
ok "the manifest's work-group sizes were tried (config.wg_size)"

while IFS='|' read -r id status cl wg; do
  case "$status" in
  accepted|not-faster|duplicate) ;;
  *) fail "c$id (cl '$cl', wg '$wg') was $status: $(json_get "$r" "d['targets'][0]['candidates'][$id]['reason']")" ;;
  esac
done < "$T/cands"
ok "every variant was built, verified and measured (accepted or not faster)"

# Device-time samples for the build-option variants; the work-group size
# reaches the host: the profile of the wg 8 variant shows 8x8 launches.
id=$(grep -m1 -- "-cl-fast-relaxed-math" "$T/cands" | cut -d'|' -f1)
[ "$(json_get "$r" "len(d['targets'][0]['candidates'][$id]['measurement']['samples']['values']) > 0")" = True ] ||
  fail "the -cl-fast-relaxed-math candidate has device-time samples"
id=$(grep -m1 -- "|8$" "$T/cands" | cut -d'|' -f1)
[ "$(json_get "$r" "d['targets'][0]['candidates'][$id]['profile']['kernels'][0]['local']")" = "[8, 8]" ] ||
  fail "the wg 8 variant launched 8x8 work-groups"
ok "variants were measured on device time, and the work-group size reached the host"
finish
