#!/usr/bin/env bash
# check-generated.sh: the man page and the shell completions committed under
# docs/ are what the tool generates from its option tables (cmd_help.c), and
# they work: `man ./docs/optimize.1` renders, the bash completion registers,
# the zsh one parses (where zsh is installed). --update rewrites them.
# Run by ctest as style/generated (OPTIMIZE_BIN set); by hand:
#   OPTIMIZE_BIN=build/optimize scripts/check-generated.sh [--update]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${OPTIMIZE_BIN:-$root/build/optimize}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

gen() { # FILE ARGS...
  local f=$1
  shift
  "$bin" help "$@" >"$tmp/new"
  if [ "${update:-0}" = 1 ]; then
    cp "$tmp/new" "$root/$f"
  elif ! cmp -s "$tmp/new" "$root/$f"; then
    echo "check-generated: $f differs from 'optimize help $*' (run scripts/check-generated.sh --update):" >&2
    diff -u "$root/$f" "$tmp/new" | head -20 >&2 || true
    fail=1
  fi
}
update=0
[ "${1:-}" = --update ] && update=1
gen docs/optimize.1 --man
gen docs/completions/optimize.bash --completion bash
gen docs/completions/_optimize --completion zsh

# The man page renders without warnings, with its sections.
if ! MANWIDTH=80 man -l "$root/docs/optimize.1" >"$tmp/man.txt" 2>"$tmp/man.err" || [ -s "$tmp/man.err" ]; then
  echo "check-generated: man ./docs/optimize.1 failed: $(cat "$tmp/man.err")" >&2
  fail=1
fi
for s in NAME SYNOPSIS COMMANDS "EXIT STATUS" ENVIRONMENT; do
  grep -q "^$s" "$tmp/man.txt" || { echo "check-generated: no $s section in the man page" >&2; fail=1; }
done
if groff -man -ww -z "$root/docs/optimize.1" 2>&1 | grep .; then
  echo "check-generated: groff warns about docs/optimize.1" >&2
  fail=1
fi
# Every command and option of --help is in the man page and the completions.
for cmd in $("$bin" --help | awk '/^commands:/{c=1; next} /^$/{c=0} c {print $1}'); do
  grep -q "optimize $cmd" "$tmp/man.txt" || { echo "check-generated: '$cmd' missing from the man page" >&2; fail=1; }
  for o in $("$bin" "$cmd" --help | grep -oE '^ +(-[a-z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'); do
    grep -qF -- "$o" "$tmp/man.txt" || { echo "check-generated: $cmd $o missing from the man page" >&2; fail=1; }
    grep -qF -- "$o" "$root/docs/completions/optimize.bash" || { echo "check-generated: $cmd $o missing from the bash completion" >&2; fail=1; }
  done
done
"$bin" --help | grep -q -- '--version' || { echo "check-generated: --help does not list --version" >&2; fail=1; }
# The bash completion registers; the zsh one parses.
out=$(bash -c "source '$root/docs/completions/optimize.bash'; complete -p optimize")
[ "$out" = "complete -o filenames -F _optimize optimize" ] || { echo "check-generated: bash: '$out'" >&2; fail=1; }
words=$(bash -c "source '$root/docs/completions/optimize.bash'; COMP_WORDS=(optimize run --min); COMP_CWORD=2; _optimize; echo \${COMPREPLY[*]}")
[ "$words" = "--min-runs --min-gain" ] || { echo "check-generated: bash completes 'run --min' to '$words'" >&2; fail=1; }
if command -v zsh >/dev/null; then
  zsh -n "$root/docs/completions/_optimize" || { echo "check-generated: zsh cannot parse _optimize" >&2; fail=1; }
fi
[ "$fail" = 0 ] && echo "check-generated: man page and completions match the option tables"
exit "$fail"
