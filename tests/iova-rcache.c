/* SPDX-License-Identifier: MIT */
/*
 * The IOVA range caches (pdma_iova_alloc_fast/free_fast): size rounding,
 * the magazine hit path, the scan under a DMA limit, the depot and its
 * trim, flush-and-retry when the tree is full, large sizes bypassing the
 * caches, a thread's cache going back to the tree when it exits, a domain
 * destroyed under a live thread's cache, and the CHECK_FREE mode.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include <peerdma/iommu.h>

#include "harness.h"
#include "iommu/iova_internal.h"

#define PFN_4G	0x100000ULL
#define LIMIT	(PFN_4G - 1)

static struct pdma_iova_domain *mk(uint64_t start_pfn, unsigned int flags)
{
	struct pdma_iova_domain *d = NULL;

	REQUIRE(pdma_iova_domain_create(4096, start_pfn, flags, &d) == 0 && d);
	return d;
}

static uint64_t fast(struct pdma_iova_domain *d, uint64_t size,
		     uint64_t limit)
{
	uint64_t pfn = ~0ULL;

	CHECK_EQ_INT(pdma_iova_alloc_fast(d, size, limit, false, &pfn), 0);
	return pfn;
}

static uint64_t range_size(struct pdma_iova_domain *d, uint64_t pfn)
{
	uint64_t lo = 0, hi = 0;

	if (pdma_iova_find(d, pfn, &lo, &hi))
		return 0;
	CHECK_EQ_INT(lo, pfn);
	return hi - lo + 1;
}

static struct pdma_iova_stats stats(struct pdma_iova_domain *d)
{
	struct pdma_iova_stats st;

	pdma_iova_get_stats(d, &st);
	return st;
}

static void test_rounding(void)
{
	struct pdma_iova_domain *d = mk(1, 0);
	static const struct { uint64_t ask, got; } cases[] = {
		{ 1, 1 }, { 2, 2 }, { 3, 4 }, { 5, 8 }, { 9, 16 }, { 17, 32 },
		{ 31, 32 }, { 32, 32 }, { 33, 33 }, { 100, 100 },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = cases[i].got, pfn = fast(d, cases[i].ask, LIMIT);
		uint64_t align = 1;

		while (align < got)
			align <<= 1;
		CHECK_EQ_INT(range_size(d, pfn), got);
		CHECK_EQ_INT(pfn % align, 0);	/* always size-aligned */
	}
	CHECK_EQ_INT(pdma_iova_alloc_fast(d, 0, LIMIT, false, NULL), -EINVAL);
	CHECK_EQ_INT(pdma_iova_free_fast(d, 5, 0), -EINVAL);
	pdma_iova_domain_destroy(d);
}

static void test_hit_path(void)
{
	struct pdma_iova_domain *d = mk(1, 0);
	struct pdma_iova_stats st;
	uint64_t a, b, c, lo_pfn;

	a = fast(d, 3, LIMIT);
	b = fast(d, 4, LIMIT);
	c = fast(d, 4, LIMIT);
	st = stats(d);
	CHECK_EQ_INT(st.fast_hits, 0);
	CHECK_EQ_INT(st.fast_misses, 3);
	CHECK_EQ_INT(st.threads, 1);

	/* Freed into this thread's magazine: still allocated in the tree. */
	CHECK_EQ_INT(pdma_iova_free_fast(d, a, 3), 0);
	CHECK_EQ_INT(pdma_iova_free_fast(d, b, 4), 0);
	CHECK_EQ_INT(pdma_iova_free_fast(d, c, 4), 0);
	st = stats(d);
	CHECK_EQ_INT(st.ranges, 3);
	CHECK_EQ_INT(st.cached, 3);
	/* The most recently freed comes back first. */
	CHECK_EQ_INT(fast(d, 4, LIMIT), c);
	CHECK_EQ_INT(fast(d, 3, LIMIT), b);	/* 3 rounds to 4: same class */
	CHECK_EQ_INT(fast(d, 4, LIMIT), a);
	st = stats(d);
	CHECK_EQ_INT(st.fast_hits, 3);
	CHECK_EQ_INT(st.cached, 0);
	CHECK_EQ_INT(st.ranges, 3);

	/*
	 * A magazine holding a high and a low PFN, asked for a range under a
	 * limit between them: the scan skips the high one (mixed DMA masks).
	 */
	lo_pfn = fast(d, 1, 0xfff);
	CHECK(lo_pfn <= 0xfff);
	a = fast(d, 1, 2 * PFN_4G - 1);
	CHECK(a > 0xfff);
	CHECK_EQ_INT(pdma_iova_free_fast(d, lo_pfn, 1), 0);
	CHECK_EQ_INT(pdma_iova_free_fast(d, a, 1), 0);	/* on top */
	CHECK_EQ_INT(fast(d, 1, 0xfff), lo_pfn);
	/* Nothing fits under a limit this low: from the tree, not the cache. */
	b = fast(d, 1, 0x7ff);
	CHECK(b <= 0x7ff);
	CHECK(b != a);
	CHECK_EQ_INT(fast(d, 1, 2 * PFN_4G - 1), a);
	pdma_iova_domain_destroy(d);
}

static void test_depot_and_trim(void)
{
	struct pdma_iova_domain *d = mk(1, 0);
	static uint64_t pfns[5 * PDMA_IOVA_MAG_SIZE];
	const unsigned int n = 5 * PDMA_IOVA_MAG_SIZE;
	struct pdma_iova_stats st;
	unsigned int i, hits;

	for (i = 0; i < n; i++)
		pfns[i] = fast(d, 2, LIMIT);
	for (i = 0; i < n; i++)
		CHECK_EQ_INT(pdma_iova_free_fast(d, pfns[i], 2), 0);
	/*
	 * 5 magazines' worth: loaded and prev hold 1 to 2 magazines, the
	 * other full ones went to the depot.  Every PFN is still allocated.
	 */
	st = stats(d);
	CHECK_EQ_INT(st.depot[1], 3);
	CHECK_EQ_INT(st.depot[0], 0);
	CHECK_EQ_INT(st.cached, n);
	CHECK_EQ_INT(st.ranges, n);

	/* Drain loaded and prev: then magazines come back from the depot. */
	hits = 0;
	for (i = 0; i < 3 * PDMA_IOVA_MAG_SIZE; i++) {
		uint64_t pfn = fast(d, 2, LIMIT);

		hits += range_size(d, pfn) == 2;
	}
	st = stats(d);
	CHECK_EQ_INT(hits, 3 * PDMA_IOVA_MAG_SIZE);
	CHECK_EQ_INT(st.fast_hits, 3 * PDMA_IOVA_MAG_SIZE);
	CHECK_EQ_INT(st.depot[1], 2);
	CHECK_EQ_INT(st.cached, 2 * PDMA_IOVA_MAG_SIZE);
	CHECK_EQ_INT(st.ranges, n);

	/* One thread: trim keeps one magazine per class... */
	CHECK_EQ_INT(pdma_iova_rcache_trim(d), 1);
	st = stats(d);
	CHECK_EQ_INT(st.depot[1], 1);
	/* ...and the dropped magazine's ranges went back to the tree. */
	CHECK_EQ_INT(st.ranges, n - PDMA_IOVA_MAG_SIZE);
	CHECK_EQ_INT(st.cached, PDMA_IOVA_MAG_SIZE);
	CHECK_EQ_INT(pdma_iova_rcache_trim(d), 0);
	CHECK_EQ_INT(pdma__iova_check(d), 0);

	/* An explicit flush empties everything. */
	pdma_iova_rcache_flush(d);
	st = stats(d);
	CHECK_EQ_INT(st.cached, 0);
	CHECK_EQ_INT(st.depot[0] + st.depot[1], 0);
	CHECK_EQ_INT(st.ranges, 3 * PDMA_IOVA_MAG_SIZE);	/* the drained */
	pdma_iova_domain_destroy(d);
}

static void test_flush_retry(void)
{
	/* 64 PFNs in all: 0x1000..0x103f. */
	struct pdma_iova_domain *d = mk(0x1000, 0);
	const uint64_t limit = 0x103f;
	uint64_t pfns[64], pfn;
	struct pdma_iova_stats st;
	int i;

	for (i = 0; i < 64; i++)
		pfns[i] = fast(d, 1, limit);
	for (i = 0; i < 64; i++)
		CHECK_EQ_INT(pdma_iova_free_fast(d, pfns[i], 1), 0);
	/* All 64 sit in this thread's magazine: the tree is full. */
	CHECK_EQ_INT(pdma_iova_alloc(d, 1, limit, false, &pfn), -ENOMEM);
	CHECK_EQ_INT(pdma_iova_alloc_fast(d, 2, limit, false, &pfn), -ENOMEM);
	st = stats(d);
	CHECK_EQ_INT(st.cached, 64);
	/* With flush_rcache, the caches go back to the tree and it retries. */
	CHECK_EQ_INT(pdma_iova_alloc_fast(d, 2, limit, true, &pfn), 0);
	CHECK_EQ_INT(pfn, limit - 1);
	st = stats(d);
	CHECK_EQ_INT(st.cached, 0);
	CHECK_EQ_INT(st.ranges, 1);
	/* Truly full: flushing does not help, and the failure is clean. */
	CHECK_EQ_INT(pdma_iova_alloc_fast(d, 64, limit, true, &pfn), -ENOMEM);
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	pdma_iova_domain_destroy(d);
}

static void test_large_bypass(void)
{
	struct pdma_iova_domain *d = mk(1, 0);
	struct pdma_iova_stats st;
	uint64_t a, b;

	a = fast(d, 64, LIMIT);
	CHECK_EQ_INT(range_size(d, a), 64);
	CHECK_EQ_INT(pdma_iova_free_fast(d, a, 64), 0);
	st = stats(d);
	CHECK_EQ_INT(st.ranges, 0);	/* freed to the tree at once */
	CHECK_EQ_INT(st.cached, 0);
	b = fast(d, 33, LIMIT);		/* not rounded, aligned to 64 */
	CHECK_EQ_INT(range_size(d, b), 33);
	CHECK_EQ_INT(b % 64, 0);
	CHECK_EQ_INT(pdma_iova_free_fast(d, b, 33), 0);
	CHECK_EQ_INT(pdma_iova_free_fast(d, b, 33), -ENOENT);
	st = stats(d);
	CHECK_EQ_INT(st.fast_hits, 0);
	CHECK_EQ_INT(st.ranges, 0);
	pdma_iova_domain_destroy(d);
}

/* ---- other threads ---- */

struct worker {
	struct pdma_iova_domain *d;
	pthread_barrier_t *bar;
	uint64_t pfns[40];
	int ret;
};

/* Allocate and cache 40 ranges, then exit: its cache must go back. */
static void *cache_and_exit(void *arg)
{
	struct worker *w = arg;

	w->ret = 0;
	for (int i = 0; i < 40; i++)
		w->ret |= pdma_iova_alloc_fast(w->d, 4, LIMIT, false,
					       &w->pfns[i]);
	for (int i = 0; i < 40; i++)
		w->ret |= pdma_iova_free_fast(w->d, w->pfns[i], 4);
	return NULL;
}

static void test_thread_exit(void)
{
	struct pdma_iova_domain *d = mk(1, 0);
	struct worker w = { .d = d };
	struct pdma_iova_stats st;
	pthread_t t;

	fast(d, 1, LIMIT);	/* this thread has a cache too */
	REQUIRE(pthread_create(&t, NULL, cache_and_exit, &w) == 0);
	pthread_join(t, NULL);
	CHECK_EQ_INT(w.ret, 0);
	st = stats(d);
	CHECK_EQ_INT(st.threads, 1);
	CHECK_EQ_INT(st.cached, 0);
	CHECK_EQ_INT(st.ranges, 1);
	CHECK_EQ_INT(st.fast_misses, 41);	/* the exited thread's count */
	CHECK_EQ_INT(pdma_iova_find(d, w.pfns[0], NULL, NULL), -ENOENT);
	pdma_iova_domain_destroy(d);
}

/* Use a domain, let main destroy it, then use a new one and exit. */
static void *outlive_domain(void *arg)
{
	struct worker *w = arg;
	struct pdma_iova_domain *d2;
	uint64_t pfn;

	w->ret = pdma_iova_alloc_fast(w->d, 1, LIMIT, false, &pfn);
	w->ret |= pdma_iova_free_fast(w->d, pfn, 1);
	pthread_barrier_wait(w->bar);	/* main destroys w->d */
	pthread_barrier_wait(w->bar);
	w->ret |= pdma_iova_domain_create(4096, 1, 0, &d2);
	w->ret |= pdma_iova_alloc_fast(d2, 1, LIMIT, false, &pfn);
	w->ret |= pdma_iova_free_fast(d2, pfn, 1);
	w->ret |= pdma_iova_alloc_fast(d2, 1, LIMIT, false, &w->pfns[0]);
	w->ret |= w->pfns[0] != pfn;	/* a hit in the new domain */
	pdma_iova_domain_destroy(d2);
	return NULL;
}

static void test_destroy_under_thread(void)
{
	pthread_barrier_t bar;
	struct worker w;
	pthread_t t;

	REQUIRE(pthread_barrier_init(&bar, NULL, 2) == 0);
	w.d = mk(1, 0);
	w.bar = &bar;
	REQUIRE(pthread_create(&t, NULL, outlive_domain, &w) == 0);
	pthread_barrier_wait(&bar);
	pdma_iova_domain_destroy(w.d);	/* frees that thread's cache */
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	CHECK_EQ_INT(w.ret, 0);
	pthread_barrier_destroy(&bar);
}

static void test_check_free(void)
{
	struct pdma_iova_domain *d = mk(1, PDMA_IOVA_CHECK_FREE);
	uint64_t a, b;

	a = fast(d, 4, LIMIT);
	b = fast(d, 1, LIMIT);
	CHECK_EQ_INT(pdma_iova_free_fast(d, 12345, 1), -ENOENT);  /* unknown */
	CHECK_EQ_INT(pdma_iova_free_fast(d, a, 1), -ENOENT);  /* wrong size */
	CHECK_EQ_INT(pdma_iova_free_fast(d, a + 1, 4), -ENOENT);  /* middle */
	CHECK_EQ_INT(pdma_iova_free_fast(d, a, 3), 0);
	CHECK_EQ_INT(pdma_iova_free_fast(d, a, 3), -ENOENT);	/* double */
	CHECK_EQ_INT(pdma_iova_free(d, a), -ENOENT);	/* cached: not ours */
	CHECK_EQ_INT(stats(d).cached, 1);
	CHECK_EQ_INT(fast(d, 4, LIMIT), a);		/* and back */
	CHECK_EQ_INT(pdma_iova_free(d, a), 0);
	CHECK_EQ_INT(pdma_iova_free_fast(d, b, 1), 0);
	pdma_iova_rcache_flush(d);
	CHECK_EQ_INT(stats(d).ranges, 0);
	pdma_iova_domain_destroy(d);
}

int main(void)
{
	test_rounding();
	test_hit_path();
	test_depot_and_trim();
	test_flush_retry();
	test_large_bypass();
	test_thread_exit();
	test_destroy_under_thread();
	test_check_free();
	return harness_exit();
}
