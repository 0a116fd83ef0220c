#!/usr/bin/env bash
# The flag search with gcc and with clang (--cc): every candidate, the
# two-stage PGO build included, builds, verifies and is measured.
. "$(dirname "$0")/lib.sh"

for cc in gcc clang; do
  command -v $cc >/dev/null || fail "$cc is required (scripts/bootstrap.sh installs it)"
  tree=$(copy_fixture flagwin); mv "$tree" "$T/fw-$cc"; tree=$T/fw-$cc
  run_optimize run "$tree" --cc $cc --min-runs 3 --max-runs 3 --no-profile
  assert_rc 0 "flag search with $cc"
  r=$(latest_run "$tree")/report.json
  json_get "$r" 'd["environment"]["compiler"]' | grep -qi "$([ $cc = gcc ] && echo gcc || echo clang)" || fail "environment names $cc"
  [ "$(json_get "$r" 'set(c["config"]["cc"] for c in d["targets"][0]["candidates"]) == {"'$cc'"}')" = True ] || fail "every candidate built with $cc"
  bad=$(json_get "$r" '[c["label"] + ": " + c["reason"][:200] for c in d["targets"][0]["candidates"] if c["status"] not in ("accepted", "not-faster", "duplicate")]')
  [ "$bad" = "[]" ] || fail "$cc: candidates that did not build, verify or measure: $bad"
  [ "$(json_get "$r" 'any(c["config"]["pgo"] and c["status"] in ("accepted","not-faster") for c in d["targets"][0]["candidates"])')" = True ] || fail "$cc: the PGO candidate was not measured"
  ok "$cc: every candidate measured, PGO included"
done
finish
