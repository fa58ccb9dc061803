/* SPDX-License-Identifier: MIT */
/*
 * bench/fence: what the sync layer costs, against a plain mutex +
 * condition variable design doing the same work: a fence's life, waiting
 * for a signalled fence, adding fences to a reservation object and
 * iterating them unlocked (src/bench/fence.c describes each case and its
 * baseline; the measuring is the library's, also behind 'peerdma bench').
 *
 * Ours and the baseline run interleaved in one process; each figure is the
 * median of many short runs, timed in thread CPU time; ratio = ours /
 * baseline (below 1: we are faster).
 */
#include <stdio.h>

#include "bench/bench_internal.h"

#define RUNS 31	/* short runs, many: the median shrugs off preemption */

static void row(const char *what, const struct pdma__bench_fence_res *r)
{
	printf("  %-42s %9.1f ns %9.1f ns   %5.2fx\n", what, r->ours_ns,
	       r->base_ns, r->ours_ns / r->base_ns);
}

int main(void)
{
	struct pdma__bench_fence_res a, b;
	char what[64];

	printf("bench-fence: ours vs mutex+condvar baseline, median of %d runs"
	       "\n  %-42s %12s %12s   %s\n", RUNS, "", "ours", "baseline",
	       "ratio");
	if (pdma__bench_fence_lifecycle(RUNS, 50000, &a))
		return 1;
	row("create + callback + signal + release", &a);
	if (pdma__bench_fence_wait(RUNS, 500000, &a))
		return 1;
	row("wait for a signalled fence", &a);
	for (unsigned int n = 1; n <= 64; n *= 8) {
		if (pdma__bench_fence_resv(n, RUNS, 100000 / n + 250, &a, &b))
			return 1;
		snprintf(what, sizeof(what),
			 "resv add_fence, %u fences (per fence)", n);
		row(what, &a);
		snprintf(what, sizeof(what),
			 "unlocked iteration, %u fences (per fence)", n);
		row(what, &b);
	}
	return 0;
}
