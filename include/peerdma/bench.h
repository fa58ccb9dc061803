/* SPDX-License-Identifier: MIT */
/*
 * peerdma/bench.h - the framework's own costs against baselines.
 *
 * Each benchmark measures a piece of peerdma and a baseline doing the same
 * work in the same run (interleaved, median of several runs) and returns
 * one or more rows.  Every row's ratio says how many times better ours is:
 * ours / baseline when higher is better (throughput), baseline / ours when
 * lower is better (time per operation).  So a ratio above 1 always means
 * peerdma wins, and a row meets its goal when ratio >= goal.
 *
 *	struct pdma_bench_opts o;
 *	struct pdma_bench_row rows[PDMA_BENCH_MAX_ROWS];
 *	int n;
 *
 *	pdma_bench_opts_init(&o);
 *	o.quick = true;
 *	if (pdma_bench_run("verdict", &o, rows, PDMA_BENCH_MAX_ROWS, &n, &err))
 *		...
 */
#ifndef PEERDMA_BENCH_H
#define PEERDMA_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerdma/fabric.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most rows one benchmark returns. */
#define PDMA_BENCH_MAX_ROWS 8

/**
 * struct pdma_bench_opts - how long to measure.
 * @quick:   a few seconds for all benchmarks together (fewer, shorter
 *           runs on smaller inputs: numbers are noisier); else about
 *           30-60 s in all on a 2-core machine.
 * @seed:    the synthetic fabric of the verdict benchmark.
 */
struct pdma_bench_opts {
	bool quick;
	uint64_t seed;
};

/**
 * struct pdma_bench_row - one measurement: ours against a baseline.
 * @name:        "benchmark" or "benchmark/case", e.g. "iova/2-threads".
 * @ours:        what ours is ("IOVA magazines").
 * @baseline:    what the baseline is ("the IOVA tree alone").
 * @unit:        of both values ("Mpairs/s", "GB/s", "ns/op").
 * @ours_value, @baseline_value: medians, in @unit.
 * @ratio:       how many times better ours is (see the top of this file).
 * @goal:        the ratio the project aims for; 0 when there is none.
 * @higher_is_better: whether @unit is a rate (else a cost).
 * @detail:      anything else worth a line ("all 1.2e7 pairs agree").
 */
struct pdma_bench_row {
	char name[40];
	char ours[80];
	char baseline[80];
	char unit[16];
	double ours_value;
	double baseline_value;
	double ratio;
	double goal;
	bool higher_is_better;
	char detail[120];
};

/** pdma_bench_opts_init() - the full run, default seed. */
void pdma_bench_opts_init(struct pdma_bench_opts *o);

/** pdma_bench_count() - how many benchmarks there are. */
int pdma_bench_count(void);

/**
 * pdma_bench_name() - the name of benchmark @i ("verdict", "copy", ...).
 * Return: the name, or NULL when @i is out of range.
 */
const char *pdma_bench_name(int i);

/**
 * pdma_bench_summary() - one line on what benchmark @i measures.
 * Return: the text, or NULL when @i is out of range.
 */
const char *pdma_bench_summary(int i);

/**
 * pdma_bench_run() - run one benchmark.
 * @name:     one of pdma_bench_name().
 * @o:        options (NULL: pdma_bench_opts_init()'s).
 * @rows:     filled with up to @max_rows rows.
 * @nr_rows:  set to how many were filled.
 * @err:      why it failed (may be NULL).
 *
 * A benchmark that checks its own results (the verdict benchmark compares
 * every pair with the kernel's way) fails when they are wrong.
 * Return: 0; -ENOENT for an unknown name; -ENOSPC when @max_rows is too
 * small; -ENOMEM; -EIO when a check failed (the rows are still filled).
 */
int pdma_bench_run(const char *name, const struct pdma_bench_opts *o,
		   struct pdma_bench_row *rows, int max_rows, int *nr_rows,
		   struct pdma_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_BENCH_H */
