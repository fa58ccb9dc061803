/* SPDX-License-Identifier: MIT */
/*
 * bench/iova: what the magazine caches buy.
 *
 * IOVA allocate+free pairs per second through the per-thread caches
 * (pdma_iova_alloc_fast/free_fast) against the tree (pdma_iova_alloc/free,
 * size-aligned, the same rounded sizes), on allocators that already hold
 * 4096 live ranges, as a DMA-mapping layer's would.  Both run the same
 * sequence of sizes (1 to 32 granules, mostly small) in batches of 32
 * mappings in flight, interleaved in one process; each figure is the median
 * of several runs.  Then the same with two threads sharing one allocator,
 * where the tree's single lock is contended.  Goal: caches >= 5x the tree.
 * The measuring is the library's (src/bench/iova.c, also behind 'peerdma
 * bench').
 */
#include <stdio.h>

#include "bench/bench_internal.h"

#define RUNS 7

static int compare(const char *what, int nthreads)
{
	struct pdma__bench_iova_res r;

	if (pdma__bench_iova(nthreads, 20000 * 32, 100000 * 32, RUNS, &r)) {
		fprintf(stderr, "bench-iova: an allocation failed\n");
		return 1;
	}
	printf("%-22s tree %10.2f M pairs/s   caches %10.2f M pairs/s   "
	       "%5.1fx   (cache hits %.4f%%)\n", what, r.tree / 1e6,
	       r.cache / 1e6, r.cache / r.tree, r.hit_pct);
	return 0;
}

int main(void)
{
	printf("IOVA alloc+free pairs, sizes 1-32 granules, 32 in flight, "
	       "4096 live ranges, median of %d\n", RUNS);
	return compare("1 thread", 1) || compare("2 threads, shared", 2);
}
