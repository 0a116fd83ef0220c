#!/usr/bin/env bash
# optimize init on each kind of tree (one C file, Make, CMake, Meson) writes a
# manifest whose run/verify placeholders fail loudly; once they are filled in,
# optimize check builds, verifies and runs the original and measures nothing.
# init never overwrites; check says so when the original does not build.
. "$(dirname "$0")/lib.sh"
command -v cmake >/dev/null || fail "cmake not in PATH (scripts/bootstrap.sh installs it)"
command -v meson >/dev/null || fail "meson not in PATH (scripts/bootstrap.sh installs it)"

cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, s = 0;
	for (long i = 0; i < n; i++)
		s += i % 7;
	printf("sum=%ld\n", s);
	return 0;
}
C
mkdir one mk cm ms
for d in one mk cm ms; do cp prog.c $d/; done
printf 'CFLAGS = -O2 -Wall\nprog: prog.c\n\t$(CC) $(CFLAGS) -o prog prog.c\n' >mk/Makefile
printf 'cmake_minimum_required(VERSION 3.13)\nproject(p C)\nadd_executable(prog prog.c)\n' >cm/CMakeLists.txt
printf "project('p', 'c')\nexecutable('prog', 'prog.c')\n" >ms/meson.build

fill() { # TREE PROGRAM: replace the placeholders
  python3 - "$1/optimize.json" "$2" <<'PY'
import json, sys
p, prog = sys.argv[1], sys.argv[2]
d = json.load(open(p))
assert d["run"].startswith("TODO:") and prog in d["run"], d["run"]
d["run"] = prog + " 200000"
d["verify"] = [{"run": prog + " 1000"}]
json.dump(d, open(p, "w"), indent=1)
PY
}

for kind in one:make:./prog mk:make:./prog cm:cmake:./build-optimize/prog ms:meson:./build-optimize/prog; do
  IFS=: read -r d sys prog <<<"$kind"
  run_optimize init $d
  assert_rc 0 "init $d"
  [ -f $d/optimize.json ] || fail "init $d wrote no optimize.json"
  case $d in
    one) want='"cflags": "-O2"' ;;
    mk) want='make \$\{CFLAGS:\+' ;;
    cm) want='CMAKE_C_FLAGS_RELEASE=\$CFLAGS' ;;
    ms) want='-Dc_args=\$CFLAGS' ;;
  esac
  assert_grep $d/optimize.json "$want" "$d: the build line passes the flags through"
  [ $d = one ] || assert_no_grep $d/optimize.json '"cflags"' "$d: no cflags, the project's own apply"
  ok "init $d: a manifest for a $sys tree"

  run_optimize check $d
  assert_rc 2 "check before the placeholders are filled"
  assert_grep "$err" "optimize.json:[0-9]+:[0-9]+: field 'run' is still the placeholder" "names the field"
  ok "check $d: the run placeholder fails loudly (exit 2)"

  fill $d "$prog"
  run_optimize check $d
  assert_rc 0 "check $d after filling run and verify"
  assert_grep "$out" "^$d: ready" "says the target is ready"
  assert_grep "$out" "would measure: '$prog 200000'" "says what would be measured"
  [ ! -e $d/.optimize/runs ] || fail "check wrote a run into the tree"
  ok "check $d: builds, verifies and runs the original, measures nothing"
done

# Never overwrites.
sum=$(sha256sum mk/optimize.json)
run_optimize init mk
assert_rc 2 "init over an existing optimize.json"
assert_grep "$err" "already exists" "says the manifest exists"
[ "$(sha256sum mk/optimize.json)" = "$sum" ] || fail "init changed an existing optimize.json"
ok "init never overwrites"

# A tree that is not recognized, and an original that does not build.
mkdir two && cp prog.c two/a.c && cp prog.c two/b.c
run_optimize init two
assert_rc 2 "two C files and no build system"
assert_grep "$err" "found 2 C/C\+\+ source files" "says why"
echo 'syntax error' >>one/prog.c
run_optimize check one
assert_rc 3 "check of an original that does not build"
assert_grep "$err" "does not build" "says the original does not build"
ok "init refuses an unknown tree (2); check of a broken build exits 3"
finish
