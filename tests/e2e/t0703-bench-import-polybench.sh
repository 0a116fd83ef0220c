#!/usr/bin/env bash
# optimize bench import polybench on a small tree in PolyBench/C 4.2's layout
# that the test writes (utilities/polybench.{h,c} with the macros the kernels
# use, two kernels in their own folders): one target per kernel, timed at
# one size with its own timing printout not compared, verified by
# POLYBENCH_DUMP_ARRAYS at a smaller size. The imported suite runs, and a
# wrong rewrite of a kernel fails verification.
. "$(dirname "$0")/lib.sh"

PB=$T/PolyBench-ACC
mkdir -p "$PB/utilities" "$PB/linear-algebra/kernels/atax" "$PB/stencils/jacobi-1d"
cat > "$PB/utilities/polybench.h" <<'H'
#ifndef POLYBENCH_H
#define POLYBENCH_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define POLYBENCH_ARRAY(x) (*x)
#define POLYBENCH_1D(var, d1, ddim1) var[d1]
#define POLYBENCH_2D(var, d1, d2, ddim1, ddim2) var[d1][d2]
#define POLYBENCH_1D_ARRAY_DECL(var, type, d1, ddim1) \
	type(*var)[d1] = (type(*)[d1])polybench_alloc_data((d1), sizeof(type))
#define POLYBENCH_2D_ARRAY_DECL(var, type, d1, d2, ddim1, ddim2) \
	type(*var)[d1][d2] = (type(*)[d1][d2])polybench_alloc_data((d1) * (d2), sizeof(type))
#define POLYBENCH_FREE_ARRAY(x) free((void *)x)
#define POLYBENCH_DUMP_TARGET stderr
#define POLYBENCH_DUMP_START fprintf(POLYBENCH_DUMP_TARGET, "==BEGIN DUMP_ARRAYS==\n")
#define POLYBENCH_DUMP_FINISH fprintf(POLYBENCH_DUMP_TARGET, "==END   DUMP_ARRAYS==\n")
#define POLYBENCH_DUMP_BEGIN(s) fprintf(POLYBENCH_DUMP_TARGET, "begin dump: %s", s)
#define POLYBENCH_DUMP_END(s) fprintf(POLYBENCH_DUMP_TARGET, "\nend   dump: %s\n", s)
#ifdef POLYBENCH_DUMP_ARRAYS
#define polybench_prevent_dce(func) func
#else
#define polybench_prevent_dce(func) if (argc > 42 && !strcmp(argv[0], "")) func
#endif
#ifdef POLYBENCH_TIME
#define polybench_start_instruments polybench_timer_start();
#define polybench_stop_instruments polybench_timer_stop();
#define polybench_print_instruments polybench_timer_print();
#else
#define polybench_start_instruments
#define polybench_stop_instruments
#define polybench_print_instruments
#endif
#define DATA_TYPE double
#define DATA_PRINTF_MODIFIER "%0.2lf "
#define SCALAR_VAL(x) x
void *polybench_alloc_data(unsigned long long n, int elt_size);
void polybench_timer_start(void);
void polybench_timer_stop(void);
void polybench_timer_print(void);
#endif
H
cat > "$PB/utilities/polybench.c" <<'C'
#include <time.h>
#include "polybench.h"
static double t0, t1;
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9; }
void *polybench_alloc_data(unsigned long long n, int elt_size) { void *p = calloc(n, elt_size); if (!p) exit(1); return p; }
void polybench_timer_start(void) { t0 = now(); }
void polybench_timer_stop(void) { t1 = now(); }
void polybench_timer_print(void) { printf("%0.6f\n", t1 - t0); }
C
cat > "$PB/linear-algebra/kernels/atax/atax.h" <<'H'
#ifndef _ATAX_H
#define _ATAX_H
#if !defined(MINI_DATASET) && !defined(SMALL_DATASET) && !defined(MEDIUM_DATASET) && !defined(LARGE_DATASET) && !defined(EXTRALARGE_DATASET)
#define LARGE_DATASET
#endif
#ifdef MINI_DATASET
#define M 38
#define N 42
#endif
#ifdef SMALL_DATASET
#define M 116
#define N 124
#endif
#ifdef MEDIUM_DATASET
#define M 390
#define N 410
#endif
#ifdef LARGE_DATASET
#define M 1900
#define N 2100
#endif
#ifdef EXTRALARGE_DATASET
#define M 1800
#define N 2200
#endif
#define _PB_M M
#define _PB_N N
#endif
H
cat > "$PB/linear-algebra/kernels/atax/atax.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <polybench.h>
#include "atax.h"
static void init_array(int m, int n, DATA_TYPE POLYBENCH_2D(A, M, N, m, n), DATA_TYPE POLYBENCH_1D(x, N, n))
{
	for (int i = 0; i < n; i++)
		x[i] = 1 + (i / (DATA_TYPE)n);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++)
			A[i][j] = (DATA_TYPE)((i + j) % n) / (5 * m);
}
static void print_array(int n, DATA_TYPE POLYBENCH_1D(y, N, n))
{
	POLYBENCH_DUMP_START;
	POLYBENCH_DUMP_BEGIN("y");
	for (int i = 0; i < n; i++) {
		if (i % 20 == 0)
			fprintf(POLYBENCH_DUMP_TARGET, "\n");
		fprintf(POLYBENCH_DUMP_TARGET, DATA_PRINTF_MODIFIER, y[i]);
	}
	POLYBENCH_DUMP_END("y");
	POLYBENCH_DUMP_FINISH;
}
static void kernel_atax(int m, int n, DATA_TYPE POLYBENCH_2D(A, M, N, m, n), DATA_TYPE POLYBENCH_1D(x, N, n),
                        DATA_TYPE POLYBENCH_1D(y, N, n), DATA_TYPE POLYBENCH_1D(tmp, M, m))
{
	for (int i = 0; i < _PB_N; i++)
		y[i] = 0;
	for (int i = 0; i < _PB_M; i++) {
		tmp[i] = SCALAR_VAL(0.0);
		for (int j = 0; j < _PB_N; j++)
			tmp[i] = tmp[i] + A[i][j] * x[j];
		for (int j = 0; j < _PB_N; j++)
			y[j] = y[j] + A[i][j] * tmp[i];
	}
}
int main(int argc, char **argv)
{
	int m = M, n = N;
	POLYBENCH_2D_ARRAY_DECL(A, DATA_TYPE, M, N, m, n);
	POLYBENCH_1D_ARRAY_DECL(x, DATA_TYPE, N, n);
	POLYBENCH_1D_ARRAY_DECL(y, DATA_TYPE, N, n);
	POLYBENCH_1D_ARRAY_DECL(tmp, DATA_TYPE, M, m);
	init_array(m, n, POLYBENCH_ARRAY(A), POLYBENCH_ARRAY(x));
	polybench_start_instruments;
	kernel_atax(m, n, POLYBENCH_ARRAY(A), POLYBENCH_ARRAY(x), POLYBENCH_ARRAY(y), POLYBENCH_ARRAY(tmp));
	polybench_stop_instruments;
	polybench_print_instruments;
	polybench_prevent_dce(print_array(n, POLYBENCH_ARRAY(y)));
	POLYBENCH_FREE_ARRAY(A);
	POLYBENCH_FREE_ARRAY(x);
	POLYBENCH_FREE_ARRAY(y);
	POLYBENCH_FREE_ARRAY(tmp);
	return 0;
}
C
cat > "$PB/stencils/jacobi-1d/jacobi-1d.h" <<'H'
#ifndef _JACOBI_1D_H
#define _JACOBI_1D_H
#if !defined(MINI_DATASET) && !defined(SMALL_DATASET) && !defined(MEDIUM_DATASET) && !defined(LARGE_DATASET) && !defined(EXTRALARGE_DATASET)
#define LARGE_DATASET
#endif
#ifdef MINI_DATASET
#define TSTEPS 20
#define N 30
#endif
#ifdef SMALL_DATASET
#define TSTEPS 40
#define N 120
#endif
#ifdef MEDIUM_DATASET
#define TSTEPS 100
#define N 400
#endif
#ifdef LARGE_DATASET
#define TSTEPS 500
#define N 2000
#endif
#ifdef EXTRALARGE_DATASET
#define TSTEPS 1000
#define N 4000
#endif
#define _PB_TSTEPS TSTEPS
#define _PB_N N
#endif
H
cat > "$PB/stencils/jacobi-1d/jacobi-1d.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <polybench.h>
#include "jacobi-1d.h"
static void init_array(int n, DATA_TYPE POLYBENCH_1D(A, N, n), DATA_TYPE POLYBENCH_1D(B, N, n))
{
	for (int i = 0; i < n; i++) {
		A[i] = ((DATA_TYPE)i + 2) / n;
		B[i] = ((DATA_TYPE)i + 3) / n;
	}
}
static void print_array(int n, DATA_TYPE POLYBENCH_1D(A, N, n))
{
	POLYBENCH_DUMP_START;
	POLYBENCH_DUMP_BEGIN("A");
	for (int i = 0; i < n; i++) {
		if (i % 20 == 0)
			fprintf(POLYBENCH_DUMP_TARGET, "\n");
		fprintf(POLYBENCH_DUMP_TARGET, DATA_PRINTF_MODIFIER, A[i]);
	}
	POLYBENCH_DUMP_END("A");
	POLYBENCH_DUMP_FINISH;
}
static void kernel_jacobi_1d(int tsteps, int n, DATA_TYPE POLYBENCH_1D(A, N, n), DATA_TYPE POLYBENCH_1D(B, N, n))
{
	for (int t = 0; t < _PB_TSTEPS; t++) {
		for (int i = 1; i < _PB_N - 1; i++)
			B[i] = 0.33333 * (A[i - 1] + A[i] + A[i + 1]);
		for (int i = 1; i < _PB_N - 1; i++)
			A[i] = 0.33333 * (B[i - 1] + B[i] + B[i + 1]);
	}
}
int main(int argc, char **argv)
{
	int n = N, tsteps = TSTEPS;
	POLYBENCH_1D_ARRAY_DECL(A, DATA_TYPE, N, n);
	POLYBENCH_1D_ARRAY_DECL(B, DATA_TYPE, N, n);
	init_array(n, POLYBENCH_ARRAY(A), POLYBENCH_ARRAY(B));
	polybench_start_instruments;
	kernel_jacobi_1d(tsteps, n, POLYBENCH_ARRAY(A), POLYBENCH_ARRAY(B));
	polybench_stop_instruments;
	polybench_print_instruments;
	polybench_prevent_dce(print_array(n, POLYBENCH_ARRAY(A)));
	POLYBENCH_FREE_ARRAY(A);
	POLYBENCH_FREE_ARRAY(B);
	return 0;
}
C

run_optimize bench import polybench "$PB" "$T/suite" --dataset SMALL --verify-dataset MINI
assert_rc 0 "the import"
for k in atax jacobi-1d; do
  for f in $k.c $k.h utilities/polybench.h utilities/polybench.c optimize.json; do
    [ -f "$T/suite/$k/$f" ] || fail "$k/$f imported"
  done
done
m=$T/suite/atax/optimize.json
[ "$(json_get "$m" "d['editable']")" = "['atax.c']" ] || fail "the kernel's .c is the editable file"
[ "$(json_get "$m" "d['run_compare']")" = "[]" ] || fail "the timing printout is not compared"
[ "$(json_get "$m" "d['verify'][0]['compare']")" = "['stderr']" ] || fail "the dumped arrays are compared"
[[ $(json_get "$m" "d['build']") == *"-DPOLYBENCH_TIME -DSMALL_DATASET"*"-DPOLYBENCH_DUMP_ARRAYS -DMINI_DATASET"* ]] ||
  fail "timed at SMALL, verified at MINI: $(json_get "$m" "d['build']")"
assert_grep "$err" 'imported 2 kernels' "says what it imported"
ok "two kernels imported: .c editable, timed at one size, verified by the dumped arrays at a smaller one"

run_optimize bench import polybench "$PB" "$T/suite"
assert_rc 2 "importing over an imported kernel"
run_optimize bench import polybench "$T" "$T/x"
assert_rc 2 "not a PolyBench tree"
assert_grep "$err" 'no utilities/polybench.h' "says why"
run_optimize bench import polybench "$PB" "$T/y" --dataset MINI --verify-dataset LARGE
assert_rc 2 "a verification size larger than the timing size"
ok "import errors: an existing kernel folder, not a PolyBench tree, sizes the wrong way round"

run_optimize bench "$T/suite" --output "$T/out" --proposer none --no-presets --min-runs 2 --max-runs 2 --warmup 0
assert_rc 0 "the imported suite runs"
j=$T/out/table.json
[ "$(json_get "$j" "[r['name'] + ':' + r['status'] for r in d['rows']]")" = "['atax:no-improvement', 'jacobi-1d:no-improvement']" ] ||
  fail "both originals build, verify and run (the varying timing printout is not compared): $(json_get "$j" "[(r['name'], r['status'], r.get('reason')) for r in d['rows']]")"
ok "the imported suite runs: the originals build, verify by their dumps and run"

# A rewrite that changes the result fails the dumped-array verification.
mkdir -p "$T/wrong"
sed 's/y\[i\] = 0;/y[i] = 1;/' "$T/suite/atax/atax.c" > "$T/wrong/atax.c"
run_optimize run "$T/suite/atax" --no-flags --candidate "$T/wrong" --min-runs 2 --max-runs 2
assert_rc 0 "a run with the wrong rewrite"
r=$(latest_run "$T/suite/atax")/report.json
[ "$(json_get "$r" "d['targets'][0]['candidates'][1]['status']")" = verify-failed ] ||
  fail "the wrong rewrite fails verification, got $(json_get "$r" "d['targets'][0]['candidates'][1]['status']")"
ok "a wrong rewrite of the kernel fails the dumped-array verification"
finish
