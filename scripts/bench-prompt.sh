#!/usr/bin/env bash
# bench-prompt.sh: the first LLM prompt of each bundled target and of a
# generated 100 KB C file with one hot function: its size in tokens (bytes /
# 4, as the tool counts), the budget, and what was sent of the editable code
# (whole files, or the hot functions whole and an outline of the rest), and
# whether the prompt lists hot functions and hot lines with their text. The
# model is the scripted test server answering "no change", so nothing is
# built but the original. A benchmark script, not a test: it prints figures.
#   scripts/bench-prompt.sh [TARGET_DIR...]   (default: benchmarks/cpu/* benchmarks/opencl/* + the large file)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${OPTIMIZE_BIN:-build/optimize}
server=${OPTIMIZE_LLM_SERVER:-build/tests/llm_server}
for x in "$bin" "$server"; do
  [ -x "$x" ] || { echo "bench-prompt: build first (cmake --preset dev && cmake --build --preset dev): no $x" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/optimize-bench-prompt.XXXXXX")
spid=
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/big"
cp tests/fixtures/bigfile/optimize.json "$work/big/"
python3 tests/fixtures/bigfile/gen.py "$work/big/big.c"
if [ $# -gt 0 ]; then dirs=("$@"); else dirs=(benchmarks/cpu/*/ benchmarks/opencl/*/ "$work/big"); fi

python3 -c 'import json; print(json.dumps([{"text": "No change: the code is fine."}] * 200))' > "$work/script.json"
"$server" --script "$work/script.json" --log "$work/requests.jsonl" --port-file "$work/port" 2>"$work/server.err" &
spid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")

printf '%-22s %10s %8s %8s  %-5s %-5s  %s\n' target "code B" tokens budget hotfn hotln "editable code sent"
i=0
for d in "${dirs[@]}"; do
  d=${d%/}
  [ -f "$d/optimize.json" ] || continue
  name=$(basename "$d")
  # one folder per tree: benchmarks/cpu/matmul and benchmarks/opencl/matmul share a name
  i=$((i + 1))
  tree=$work/trees/$i/$name
  mkdir -p "$work/trees/$i"
  cp -r "$d" "$tree"
  before=$(wc -l < "$work/requests.jsonl" 2>/dev/null || echo 0)
  OPENAI_API_KEY=sk-bench "$bin" run "$tree" --no-flags --repairs 0 --llm openai-compatible:bench \
    --llm-url "http://127.0.0.1:$port/v1" --rounds 1 --candidates 1 --cache off \
    --min-runs 3 --max-runs 3 -q >"$work/out" 2>"$work/err" || true
  run=$(ls -d "$tree"/.optimize/runs/*/ 2>/dev/null | sort | tail -n 1)
  for tr in "$run"*/transcript.md; do
    [ -f "$tr" ] || { printf '%-22s %s\n' "$name" "no prompt: $(tail -n 1 "$work/err")"; continue; }
    python3 - "$tr" "$name" "$tree" <<'PY'
import glob, json, os, re, sys
tr, name, tree = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(tr).read()
target = os.path.basename(os.path.dirname(tr))
head = re.search(r"## Round 1, parent c\d+: \S+, prompt sha256 \S+, ~(\d+) tokens", text)
ctx = re.search(r"Context sent: (.*?)\.\n", text)
user = text.split("### User", 1)[1] if "### User" in text else ""
report = json.load(open(os.path.join(os.path.dirname(os.path.dirname(tr)), "report.json")))
t = [x for x in report["targets"] if x["name"] == target][0]
llm = t.get("extra", {}).get("llm", {})
hotfn = "yes" if re.search(r"hot functions \(.*\):\n +[0-9.]+% ", user) else "no"
hotln = "yes" if re.search(r"hot source lines:\n +[0-9.]+% \S+:\d+ .*: ", user) else "no"
sent = ctx.group(1) if ctx else "?"
m = json.load(open(os.path.join(tree, "optimize.json")))
tg = m["targets"] if "targets" in m else [m]
size = 0
for x in tg:
    if x.get("name", target) == target or len(tg) == 1:
        for g in x.get("editable", []) + x.get("kernels", []):
            for f in glob.glob(os.path.join(tree, g)):
                size += os.path.getsize(f)
label = name if target == name else name + "/" + target
print("%-22s %10d %8s %8s  %-5s %-5s  %s" % (label[:22], size, head.group(1) if head else "?",
      int(llm.get("prompt_budget_tokens", 0)) or "?", hotfn, hotln, sent))
PY
  done
done
