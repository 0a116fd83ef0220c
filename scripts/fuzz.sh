#!/usr/bin/env bash
# fuzz.sh: build the libFuzzer harnesses (cmake --preset fuzz: clang, ASan +
# UBSan) and run each one, one after the other, for SECONDS (default 60).
#   scripts/fuzz.sh                 every harness, 60 s each
#   scripts/fuzz.sh 600             every harness, 10 minutes each
#   scripts/fuzz.sh 30 manifest     only tests/fuzz/fuzz_manifest.c
# Each harness starts from its committed seeds (tests/fuzz/corpus/NAME/,
# never written to) plus what earlier runs found, kept in the ignored
# tests/fuzz/corpus-work/NAME/; rm -rf tests/fuzz/corpus-work to start over.
# One line per harness: executions, executions per second, corpus size and
# the result. Exits 1 when any harness crashed, leaked, timed out or ran out
# of memory, naming the input that did it (rerun it: build-fuzz/tests/fuzz/
# fuzz_NAME INPUT); the full log is in tests/fuzz/corpus-work/logs/NAME.log.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
case $secs in
'' | *[!0-9]* | 0) echo "fuzz.sh: SECONDS must be a positive number of seconds, not '$secs'" >&2; exit 2 ;;
esac

echo "== fuzz: configure and build" >&2
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for src in tests/fuzz/fuzz_*.c; do
    n=${src#tests/fuzz/fuzz_}
    names+=("${n%.c}")
  done
fi

work=tests/fuzz/corpus-work
mkdir -p "$work/logs" "$work/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== fuzz: ${#names[@]} harnesses, $secs s each" >&2
printf '%-12s %12s %9s %8s  %s\n' harness executions exec/s corpus result
failed=0
for name in "${names[@]}"; do
  bin=build-fuzz/tests/fuzz/fuzz_$name
  [ -x "$bin" ] || { echo "fuzz.sh: no harness '$name' ($bin)" >&2; exit 2; }
  mkdir -p "$work/$name"
  cp -n tests/fuzz/corpus/"$name"/* "$work/$name/" 2>/dev/null || true
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  log=$work/logs/$name.log
  rc=0
  "$bin" "${dict[@]}" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$name-" "$work/$name" >"$log" 2>&1 || rc=$?

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  corpus=$(find "$work/$name" -type f | wc -l)
  input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  if [ "$rc" = 0 ] && [ -z "$input" ]; then
    result=ok
  else
    failed=1
    why=$(grep -m 1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [^ ]+( [^ ]+)?|runtime error: .*' "$log" || true)
    result="FAILED (${why:-exit $rc}): ${input:-no input saved}, log $log"
  fi
  printf '%-12s %12s %9s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$corpus" "$result"
done
exit $failed
