// SPDX-License-Identifier: MIT
/*
 * bench: what the IOVA magazine caches buy.  Allocate+free pairs per
 * second through the per-thread caches (pdma_iova_alloc_fast/free_fast)
 * against the tree (pdma_iova_alloc/free, size-aligned, the same rounded
 * sizes), on allocators that already hold 4096 live ranges, as a
 * DMA-mapping layer's would.  Both run the same sequence of sizes (1 to 32
 * granules, mostly small) in batches of 32 mappings in flight; with two
 * threads sharing one allocator the tree's single lock is contended.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <peerdma/iommu.h>

#include "bench/bench_internal.h"

#define MAX_RUNS	15
#define BATCH		32
#define NSIZES		4096
#define BACKGROUND	4096
#define LIMIT		((1ULL << 32) / 4096 - 1)	/* a 32-bit DMA mask */

static uint64_t pow2_up(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static void make_sizes(uint64_t *sizes)
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

static int mk(const uint64_t *sizes, struct pdma_iova_domain **out)
{
	struct pdma_iova_domain *d;
	uint64_t pfn;
	int ret;

	ret = pdma_iova_domain_create(4096, 1, 0, &d);
	if (ret)
		return ret;
	/* Long-lived mappings, so the tree has a realistic depth. */
	for (int i = 0; i < BACKGROUND; i++) {
		ret = pdma_iova_alloc(d, sizes[i % NSIZES], LIMIT, true, &pfn);
		if (ret) {
			pdma_iova_domain_destroy(d);
			return ret;
		}
	}
	*out = d;
	return 0;
}

struct run {
	struct pdma_iova_domain *d;
	const uint64_t *sizes;
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
			sz[i] = pow2_up(r->sizes[k % NSIZES]);
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

/* Pairs per second of @nthreads (1 or 2) threads on @d; < 0 on error. */
static double rate(struct pdma_iova_domain *d, const uint64_t *sizes,
		   bool fast, long pairs, int nthreads)
{
	struct run r[2];
	pthread_t t[2];
	double t0, dt;
	int started = 0, err = 0;

	pairs = (pairs + BATCH - 1) / BATCH * BATCH;
	t0 = pdma__bench_now();
	for (int i = 0; i < nthreads; i++) {
		r[i] = (struct run){ .d = d, .sizes = sizes, .fast = fast,
				     .pairs = pairs,
				     .offset = (unsigned int)i * 1000 };
		if (nthreads == 1)
			run_pairs(&r[i]);
		else if (pthread_create(&t[i], NULL, run_pairs, &r[i]))
			err = -EAGAIN;
		else
			started++;
	}
	for (int i = 0; nthreads > 1 && i < started; i++)
		pthread_join(t[i], NULL);
	dt = pdma__bench_now() - t0;
	for (int i = 0; i < started || (nthreads == 1 && i < 1); i++)
		err |= r[i].err;
	return err ? -1 : (double)pairs * nthreads / dt;
}

int pdma__bench_iova(int nthreads, long tree_pairs, long cache_pairs,
		     int runs, struct pdma__bench_iova_res *res)
{
	struct pdma_iova_domain *tree = NULL, *cache = NULL;
	double t[MAX_RUNS], c[MAX_RUNS];
	struct pdma_iova_stats st;
	uint64_t *sizes;
	int ret;

	if (nthreads < 1 || nthreads > 2)
		return -EINVAL;
	runs = runs < 1 ? 1 : runs > MAX_RUNS ? MAX_RUNS : runs;
	sizes = malloc(NSIZES * sizeof(*sizes));
	if (!sizes)
		return -ENOMEM;
	make_sizes(sizes);
	ret = mk(sizes, &tree);
	if (ret)
		goto free_sizes;
	ret = mk(sizes, &cache);
	if (ret)
		goto destroy_tree;
	/* Warm up: fill the caches, settle the tree. */
	ret = -EIO;
	if (rate(tree, sizes, false, 64 * BATCH, nthreads) < 0 ||
	    rate(cache, sizes, true, 64 * BATCH, nthreads) < 0)
		goto destroy_cache;
	for (int i = 0; i < runs; i++) {
		t[i] = rate(tree, sizes, false, tree_pairs, nthreads);
		c[i] = rate(cache, sizes, true, cache_pairs, nthreads);
		if (t[i] < 0 || c[i] < 0)
			goto destroy_cache;
	}
	res->tree = pdma__bench_median(t, runs);
	res->cache = pdma__bench_median(c, runs);
	pdma_iova_get_stats(cache, &st);
	res->hit_pct = st.fast_hits + st.fast_misses ?
		100.0 * (double)st.fast_hits /
		(double)(st.fast_hits + st.fast_misses) : 0;
	ret = 0;
destroy_cache:
	pdma_iova_domain_destroy(cache);
destroy_tree:
	pdma_iova_domain_destroy(tree);
free_sizes:
	free(sizes);
	return ret;
}
