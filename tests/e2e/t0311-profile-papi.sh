#!/usr/bin/env bash
# optimize profile --counters papi: an unknown event is a usage error listing
# close matches; known events are counted, or shown as not supported with
# PAPI's reason (never as 0), next to the rusage figures that always work.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture hot)
run_optimize profile "$tree" --target hot --counters papi --events PAPI_TOT_INZ --no-hotspots
assert_rc 2 "unknown PAPI event"
assert_grep "$err" "unknown PAPI event 'PAPI_TOT_INZ'" "names the event"
assert_grep "$err" "did you mean .*PAPI_TOT_INS" "lists close matches"
ok "unknown event: exit 2 with close matches"
run_optimize profile "$tree" --target hot --counters papi --events PAPI_TOT_INS --no-hotspots --json
assert_rc 0 "papi profile"
python3 - "$out" <<'PY' || fail "PAPI_TOT_INS must be counted (> 0) or unsupported with a reason"
import json, sys
d = json.load(open(sys.argv[1]))
m = {x["name"]: x for x in d["metrics"]}
ins = m["PAPI_TOT_INS"]
if ins["source"] == "unsupported":
    assert ins["value"] is None and ins["reason"], ins
    print("PAPI_TOT_INS unsupported here:", ins["reason"][:100])
else:
    assert ins["value"] > 0, ins
    print("PAPI_TOT_INS =", ins["value"])
assert m["wall-time"]["value"] > 0 and m["max-rss"]["value"] > 0
PY
ok "known event counted or unsupported with PAPI's reason; rusage present"
finish
