/* SPDX-License-Identifier: MIT */
/*
 * bench/verdict: the full P2P matrix of a large synthetic fabric, computed
 * the kernel's way (calc_map_type_and_dist() per pair) and peerdma's way
 * (one pass over the tree per provider), in the same run on the same
 * providers.  Every pair must agree (exit 1 otherwise).  The measuring is
 * the library's (src/bench/verdict.c, also behind 'peerdma bench'); this
 * program prints the details.
 *
 *   meson compile -C build bench-verdict && ./build/bench/bench-verdict [seed]
 *
 * The fabric: 8 host bridges, about 4096 endpoints.  Goal: >= 5x.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_internal.h"
#include "fabric/verdict_internal.h"

int main(int argc, char **argv)
{
	struct pdma__bench_verdict v = {
		.seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 4096,
		.endpoints = 4096,
		.kernel_budget_s = 30.0,
		.kernel_runs = 3,
		.ours_runs = 7,
	};
	struct pdma_error err;

	if (pdma__bench_verdict(&v, &err)) {
		fprintf(stderr, "bench-verdict: %s\n", err.msg);
		return 1;
	}
	printf("fabric: %d host bridges, %d functions (%d endpoints, %d bridges), up to %d bridges deep, seed %llu\n",
	       v.nr_hbs, v.nr_funcs, v.nr_eps, v.nr_bridges, v.max_depth,
	       (unsigned long long)v.seed);
	printf("full matrix: %d x %d = %lld ordered pairs\n", v.nr_eps,
	       v.nr_eps, (long long)v.nr_eps * v.nr_eps);
	if (v.nr_prov < v.nr_eps)
		printf("the kernel-shaped full matrix would take about %.0f s: both ways are timed on a random sample of %d of %d providers\n",
		       v.est_full_s, v.nr_prov, v.nr_eps);
	else
		printf("both ways compute the full matrix\n");
	printf("kernel-shaped (pdma__kernel_calc per pair, median of %d): %.3e pairs in %7.3f s = %7.1f Mpairs/s\n",
	       v.kruns, v.pairs, v.kernel_s, v.pairs / v.kernel_s / 1e6);
	printf("peerdma (pdma__verdict_row per provider, median of %d):   %.3e pairs in %7.3f s = %7.1f Mpairs/s\n",
	       v.ours_runs, v.pairs, v.ours_s, v.pairs / v.ours_s / 1e6);
	printf("verdicts: BUS_ADDR %.1f%%, THRU_HOST_BRIDGE %.1f%%, NOT_SUPPORTED %.1f%%\n",
	       100.0 * v.counts[PDMA_MAP_BUS_ADDR] / v.pairs,
	       100.0 * v.counts[PDMA_MAP_THRU_HOST_BRIDGE] / v.pairs,
	       100.0 * v.counts[PDMA_MAP_NOT_SUPPORTED] / v.pairs);
	if (v.bad) {
		printf("agreement: %ld of %.0f pairs DIFFER (first: %s)\n",
		       v.bad, v.pairs, v.mismatch);
		return 1;
	}
	printf("agreement: all %.0f pairs equal\n", v.pairs);
	printf("speedup: %.1fx (goal >= 5x)\n", v.kernel_s / v.ours_s);
	return 0;
}
