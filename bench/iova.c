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
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <peerdma/iommu.h>

#include "bench.h"

#define RUNS		7
#define BATCH		32
#define NSIZES		4096
#define BACKGROUND	4096
#define LIMIT		((1ULL << 32) / 4096 - 1)	/* a 32-bit DMA mask */

static uint64_t sizes[NSIZES];

static uint64_t pow2_up(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static void make_sizes(void)
{
	static const uint64_t common[] = { 1, 1, 1, 1, 2, 2, 4, 4, 8, 16, 32 };
	uint64_t s = 0x2545f4914f6cdd1dULL;

	for (int i = 0; i < NSIZES; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		/* Mostly the usual page counts, some odd ones (rounded up). */
		sizes[i] = s % 4 ? common[s % 11] : 1 + (s >> 8) % 32;
	}
}

static struct pdma_iova_domain *mk(void)
{
	struct pdma_iova_domain *d;
	uint64_t pfn;

	if (pdma_iova_domain_create(4096, 1, 0, &d))
		exit(1);
	/* Long-lived mappings, so the tree has a realistic depth. */
	for (int i = 0; i < BACKGROUND; i++)
		if (pdma_iova_alloc(d, sizes[i % NSIZES], LIMIT, true, &pfn))
			exit(1);
	return d;
}

struct run {
	struct pdma_iova_domain *d;
	bool fast;
	long pairs;		/* in: how many; a multiple of BATCH */
	unsigned int offset;	/* where in sizes[] to start */
	int err;
};

static void *run_pairs(void *arg)
{
	struct run *r = arg;
	uint64_t pfn[BATCH], sz[BATCH];
	unsigned int k = r->offset;

	for (long done = 0; done < r->pairs; done += BATCH) {
		for (int i = 0; i < BATCH; i++, k++) {
			sz[i] = pow2_up(sizes[k % NSIZES]);
			if (r->fast)
				r->err |= pdma_iova_alloc_fast(r->d, sz[i], LIMIT,
							       true, &pfn[i]);
			else
				r->err |= pdma_iova_alloc(r->d, sz[i], LIMIT,
							  true, &pfn[i]);
		}
		for (int i = BATCH - 1; i >= 0; i--) {
			if (r->fast)
				r->err |= pdma_iova_free_fast(r->d, pfn[i],
							      sz[i]);
			else
				r->err |= pdma_iova_free(r->d, pfn[i]);
		}
	}
	return NULL;
}

/* Pairs per second of @nthreads threads on @d. */
static double rate(struct pdma_iova_domain *d, bool fast, long pairs,
		   int nthreads)
{
	struct run r[2];
	pthread_t t[2];
	double t0, dt;

	t0 = bench_now();
	for (int i = 0; i < nthreads; i++) {
		r[i] = (struct run){ .d = d, .fast = fast, .pairs = pairs,
				     .offset = (unsigned int)i * 1000 };
		if (nthreads == 1)
			run_pairs(&r[i]);
		else if (pthread_create(&t[i], NULL, run_pairs, &r[i]))
			exit(1);
	}
	for (int i = 0; nthreads > 1 && i < nthreads; i++)
		pthread_join(t[i], NULL);
	dt = bench_now() - t0;
	for (int i = 0; i < nthreads; i++)
		if (r[i].err) {
			fprintf(stderr, "bench-iova: an allocation failed\n");
			exit(1);
		}
	return (double)pairs * nthreads / dt;
}

static void compare(const char *what, int nthreads)
{
	struct pdma_iova_domain *tree = mk(), *cache = mk();
	double t[RUNS], c[RUNS], tm, cm;
	struct pdma_iova_stats st;

	/* Warm up: fill the caches, settle the tree. */
	rate(tree, false, 64 * BATCH, nthreads);
	rate(cache, true, 64 * BATCH, nthreads);
	for (int i = 0; i < RUNS; i++) {
		t[i] = rate(tree, false, 20000 * BATCH, nthreads);
		c[i] = rate(cache, true, 100000 * BATCH, nthreads);
	}
	tm = bench_median(t, RUNS);
	cm = bench_median(c, RUNS);
	pdma_iova_get_stats(cache, &st);
	printf("%-22s tree %10.2f M pairs/s   caches %10.2f M pairs/s   "
	       "%5.1fx   (cache hits %.4f%%)\n", what, tm / 1e6, cm / 1e6,
	       cm / tm, 100.0 * (double)st.fast_hits /
	       (double)(st.fast_hits + st.fast_misses));
	pdma_iova_domain_destroy(tree);
	pdma_iova_domain_destroy(cache);
}

int main(void)
{
	make_sizes();
	printf("IOVA alloc+free pairs, sizes 1-32 granules, %d in flight, "
	       "%d live ranges, median of %d\n", BATCH, BACKGROUND, RUNS);
	compare("1 thread", 1);
	compare("2 threads, shared", 2);
	return 0;
}
