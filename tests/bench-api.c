/* SPDX-License-Identifier: MIT */
/*
 * <peerdma/bench.h>: every benchmark runs in quick mode and returns sane
 * rows (positive values, ratio = ours/baseline for rates and
 * baseline/ours for costs); the verdict benchmark's own check (every pair
 * equal to the kernel's way) holds on full and sampled matrices; bad
 * names and too few rows are refused.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <peerdma/bench.h>

#include "bench/bench_internal.h"
#include "harness.h"

static void check_row(const char *bench, const struct pdma_bench_row *r)
{
	double want;

	CHECK(!strncmp(r->name, bench, strlen(bench)));
	CHECK(r->ours[0] && r->baseline[0] && r->unit[0]);
	CHECK(isfinite(r->ours_value) && r->ours_value > 0);
	CHECK(isfinite(r->baseline_value) && r->baseline_value > 0);
	want = r->higher_is_better ? r->ours_value / r->baseline_value :
				     r->baseline_value / r->ours_value;
	CHECK(fabs(r->ratio - want) <= 1e-9 * want);
	CHECK(r->goal >= 0);
	if (harness_failures)
		fprintf(stderr, "row %s: %g vs %g %s, ratio %g\n", r->name,
			r->ours_value, r->baseline_value, r->unit, r->ratio);
}

static void every_benchmark(void)
{
	struct pdma_bench_row rows[PDMA_BENCH_MAX_ROWS];
	struct pdma_bench_opts o;
	int n = pdma_bench_count();

	pdma_bench_opts_init(&o);
	o.quick = true;
	CHECK(n >= 5);
	CHECK(pdma_bench_name(-1) == NULL && pdma_bench_name(n) == NULL);
	CHECK(pdma_bench_summary(n) == NULL);
	for (int i = 0; i < n; i++) {
		const char *name = pdma_bench_name(i);
		struct pdma_error err = { "" };
		int nr = -1, ret;

		REQUIRE(name && pdma_bench_summary(i));
		for (int k = 0; k < i; k++)
			CHECK(strcmp(name, pdma_bench_name(k)));
		ret = pdma_bench_run(name, &o, rows, PDMA_BENCH_MAX_ROWS, &nr,
				     &err);
		if (ret)
			fprintf(stderr, "%s: %s\n", name, err.msg);
		CHECK_EQ_INT(ret, 0);
		CHECK(nr >= 1 && nr <= PDMA_BENCH_MAX_ROWS);
		for (int k = 0; k < nr; k++)
			check_row(name, &rows[k]);
	}
}

static void refusals(void)
{
	struct pdma_bench_row rows[PDMA_BENCH_MAX_ROWS];
	struct pdma_error err = { "" };
	int nr = -1;

	CHECK_EQ_INT(pdma_bench_run("no-such", NULL, rows, PDMA_BENCH_MAX_ROWS,
				    &nr, &err), -ENOENT);
	CHECK_EQ_INT(nr, 0);
	CHECK(strstr(err.msg, "no-such") != NULL);
	/* fence returns six rows */
	CHECK_EQ_INT(pdma_bench_run("fence", NULL, rows, 1, &nr, &err),
		     -ENOSPC);
	CHECK_EQ_INT(nr, 0);
}

/* The verdict core: agreement over every pair timed, counted by type. */
static void verdict_agreement(double budget, bool want_sample)
{
	struct pdma__bench_verdict v = {
		.seed = 77, .endpoints = 300, .kernel_budget_s = budget,
		.kernel_runs = 2, .ours_runs = 3,
	};
	struct pdma_error err;
	long sum = 0;

	REQUIRE(pdma__bench_verdict(&v, &err) == 0);
	CHECK_EQ_INT((int)v.bad, 0);
	CHECK(v.nr_eps >= 250 && v.nr_funcs > v.nr_eps);
	CHECK(v.nr_prov >= 1 && v.nr_prov <= v.nr_eps);
	CHECK(want_sample ? v.nr_prov < v.nr_eps : v.nr_prov == v.nr_eps);
	CHECK(v.pairs == (double)v.nr_prov * v.nr_eps);
	for (int i = 0; i < 8; i++)
		sum += v.counts[i];
	CHECK(sum == (long)v.pairs);
	/* a synthetic fabric has all three outcomes */
	CHECK(v.counts[PDMA_MAP_BUS_ADDR] > 0);
	CHECK(v.counts[PDMA_MAP_THRU_HOST_BRIDGE] > 0);
	CHECK(v.counts[PDMA_MAP_NOT_SUPPORTED] > 0);
	CHECK(v.kernel_s > 0 && v.ours_s > 0);
}

static void copy_core(void)
{
	struct pdma__bench_copy_res r;
	struct pdma__bench_copy *b;
	struct pdma_error err;

	REQUIRE(pdma__bench_copy_create(1 << 20, &b, &err) == 0);
	CHECK_EQ_INT(pdma__bench_copy_size(b, 2 << 20, 4 << 20, 1, &r),
		     -EINVAL);
	CHECK_EQ_INT(pdma__bench_copy_size(b, 64 << 10, 1 << 20, 1, &r), 0);
	CHECK(r.p2p_gbs > 0 && r.bounce_gbs > 0 && r.memcpy_gbs > 0);
	CHECK_EQ_INT(pdma__bench_copy_check(b, 1 << 20), 0);
	pdma__bench_copy_destroy(b);
	CHECK_EQ_INT(pdma__bench_copy_create(128 << 20, &b, &err), -EINVAL);
	CHECK(b == NULL && strstr(err.msg, "64 MiB"));
}

int main(void)
{
	every_benchmark();
	refusals();
	verdict_agreement(100.0, false);
	verdict_agreement(1e-7, true);
	copy_core();
	return harness_exit();
}
