#!/usr/bin/env bash
# The CI jobs of docs/ci.md, run: the GitHub Actions workflow's `run:` steps
# and the GitLab job's before_script/script lines are taken from the YAML
# and run in a shell, in order, in a clone of a fixture repository (package
# installs stubbed, `optimize` on PATH). An unchanged pull request passes
# the GitHub job; a regressing merge request fails the GitLab job at the
# gate, with its JUnit report.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind
python3 -c 'import yaml' 2>/dev/null || fail "python3-yaml is needed (scripts/bootstrap.sh installs it)"

DOC=$OPTIMIZE_TESTS_DIR/../docs/ci.md
gate_repo "$T/origin"
mkdir "$T/bin"
printf '#!/bin/sh\nexit 0\n' >"$T/bin/sudo"
cp "$T/bin/sudo" "$T/bin/apt-get"
chmod +x "$T/bin/sudo" "$T/bin/apt-get"
ln -s "$OPTIMIZE_BIN" "$T/bin/optimize"

# run_job FILE WHICH DIR: runs the job's steps; prints the exit status of each.
run_job() {
  python3 - "$DOC" "$2" "$3" <<'PY'
import os, re, subprocess, sys, yaml
doc, which, cwd = sys.argv[1:]
blocks = re.findall(r"```yaml\n(.*?)```", open(doc).read(), re.S)
assert len(blocks) == 2, "docs/ci.md: one GitHub and one GitLab block"
gh, gl = (yaml.safe_load(b) for b in blocks)
if which == "github":
    steps = gh["jobs"]["gate"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout") and steps[0]["with"]["fetch-depth"] == 0
    cmds = [s["run"] for s in steps if "run" in s]
    assert any("optimize gate" in c for c in cmds)
else:
    job = gl["performance-gate"]
    assert str(job["variables"]["GIT_DEPTH"]) == "0"
    assert job["artifacts"]["reports"]["junit"] == "optimize-gate.xml"
    cmds = job["before_script"] + job["script"]
for c in cmds:
    r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", c], cwd=cwd)
    print("step rc %d: %s" % (r.returncode, c.strip().splitlines()[0]))
    if r.returncode:
        sys.exit(r.returncode)
PY
}

export PATH="$T/bin:$PATH"
# GitHub: a pull request that only rewords a comment.
git clone -q "file://$T/origin" "$T/gh"
git -C "$T/gh" checkout -q -b topic
sed -i 's#^/\* work.c:#/* work.c (reworded):#' "$T/gh/work.c"
git -C "$T/gh" -c user.email=a@example.invalid -c user.name=a commit -qam "reword"
: >"$T/summary.md"
set +e
GITHUB_ACTIONS=true GITHUB_BASE_REF=main GITHUB_STEP_SUMMARY=$T/summary.md \
  run_job "$DOC" github "$T/gh" >"$T/gh.log" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/gh.log" >&2; fail "the GitHub job must pass an unchanged head (rc $rc)"; }
assert_grep "$T/summary.md" '\| work \| unchanged \|' "the job summary"
check_junit "$T/gh/optimize-gate.xml"
ok "GitHub Actions job: every run: step passes on an unchanged pull request"

# GitLab: a merge request that adds 20% more work.
git clone -q "file://$T/origin" "$T/gl"
git -C "$T/gl" checkout -q -b topic
set_work "$T/gl" 120
git -C "$T/gl" -c user.email=a@example.invalid -c user.name=a commit -qam "more work"
set +e
CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main run_job "$DOC" gitlab "$T/gl" >"$T/gl.log" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$T/gl.log" >&2; fail "the GitLab job must fail at the gate with 1 (rc $rc)"; }
assert_grep "$T/gl.log" "step rc 1: optimize gate" "it is the gate step that fails"
check_junit "$T/gl/optimize-gate.xml"
assert_grep "$T/gl/optimize-gate.xml" '<failure message="regressed' "the JUnit report has the regression"
ok "GitLab CI job: the script fails at the gate on a regressing merge request, with its JUnit report"
finish
