/* SPDX-License-Identifier: MIT */
/*
 * Tiny helpers shared by the benchmarks: a monotonic clock and the median
 * of repeated runs (these 2-core machines are noisy: every benchmark runs
 * ours and its baseline interleaved, in the same process, and prints the
 * ratio).
 */
#ifndef PDMA_BENCH_H
#define PDMA_BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of @n samples (sorts them). */
static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* PDMA_BENCH_H */
