#!/usr/bin/env bash
# Kernel targets: the first prompt of an OpenCL target (fixtures/clmatmul,
# objective kernel_time, PoCL will do) carries the per-kernel device-time
# table: kernel, launches, total, mean and median device time, share.
. "$(dirname "$0")/lib.sh"
require_capability OpenCL OPTIMIZE_TEST_NO_OPENCL have_opencl

tree=$(copy_fixture clmatmul)
python3 -c 'import json; print(json.dumps([{"text": "No change."}]))' > "$T/script.json"
export OPENAI_API_KEY=sk-test
llm_server_start "$T/script.json" "$T/requests.jsonl"
run_optimize run "$tree" --no-flags --repairs 0 --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 1 --candidates 1 --cache off --min-runs 3 --max-runs 3
llm_server_stop
assert_rc 0 "the LLM run of the OpenCL target"
python3 - "$T/requests.jsonl" > "$T/req1.txt" <<'PY'
import json, sys
line = open(sys.argv[1]).readline()
print(json.loads(json.loads(line)["body"])["messages"][-1]["content"])
PY
assert_grep "$T/req1.txt" '^opencl kernels \(device time per kernel: launches, total, mean, median, share' "the table's heading"
assert_grep "$T/req1.txt" '^  [A-Za-z_0-9]+: [0-9]+ launches, total [0-9.]+ ms, mean [0-9.]+ ms, median [0-9.]+ ms, share 100\.0%,' \
  "a row per kernel with launches, total, mean, median and share"
ok "the first prompt of an OpenCL target has the per-kernel device-time table"
finish
