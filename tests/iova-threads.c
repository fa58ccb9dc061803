/* SPDX-License-Identifier: MIT */
/*
 * Several threads allocating and freeing on one IOVA allocator at once,
 * through the caches and through the tree, while one of them also flushes,
 * trims and reads statistics, and threads come and go.  Every PFN handed
 * out is claimed in a shared owner map with an atomic exchange: a PFN held
 * twice is an overlap.  Run under ThreadSanitizer too (-Db_sanitize=thread).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <peerdma/iommu.h>

#include "harness.h"
#include "iommu/iova_internal.h"

#define THREADS		4
#define ROUNDS		3
#define OPS		50000
#define MAXLIVE		150
#define LIMIT		0xffffULL	/* 64 Ki PFNs, so ranges get reused */
#define START		1

static atomic_uchar owner[LIMIT + 1];

struct worker {
	struct pdma_iova_domain *d;
	unsigned int id;		/* 1.. */
	uint64_t seed;
	bool housekeeper;
	pthread_barrier_t *start;
	/* results */
	unsigned long allocs, nomem, overlaps, bad_range, bad_free;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t pow2_up(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static void claim(struct worker *w, uint64_t pfn, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (atomic_exchange(&owner[pfn + i], (unsigned char)w->id))
			w->overlaps++;
}

static void release(uint64_t pfn, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		atomic_store(&owner[pfn + i], 0);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct { uint64_t pfn, size, len; bool fast; } live[MAXLIVE];
	unsigned int nlive = 0;

	pthread_barrier_wait(w->start);	/* all at once */
	for (int op = 0; op < OPS; op++) {
		uint64_t r = rnd(&w->seed);

		if (w->housekeeper && op % 500 == 250) {
			struct pdma_iova_stats st;

			pdma_iova_get_stats(w->d, &st);
			if (op % 3000 == 250)
				pdma_iova_rcache_flush(w->d);
			else
				pdma_iova_rcache_trim(w->d);
		}
		if (nlive && (nlive == MAXLIVE || r % 100 < 48)) {
			unsigned int k = (unsigned int)(r >> 8) % nlive;
			int ret;

			release(live[k].pfn, live[k].len);
			if (live[k].fast)
				ret = pdma_iova_free_fast(w->d, live[k].pfn,
							  live[k].size);
			else
				ret = pdma_iova_free(w->d, live[k].pfn);
			if (ret)
				w->bad_free++;
			live[k] = live[--nlive];
			continue;
		}

		uint64_t size = 1 + (r >> 8) % ((r >> 20) % 8 ? 8 : 40);
		bool fast = (r >> 32) % 10 < 7;
		uint64_t limit = (r >> 40) % 4 ? LIMIT : LIMIT / 2;
		uint64_t pfn, len;
		int ret;

		if (fast)
			ret = pdma_iova_alloc_fast(w->d, size, limit, true, &pfn);
		else
			ret = pdma_iova_alloc(w->d, size, limit, (r >> 50) & 1,
					      &pfn);
		if (ret == -ENOMEM) {
			w->nomem++;
			continue;
		}
		if (ret) {
			w->bad_range++;
			continue;
		}
		len = fast && size < 32 ? pow2_up(size) : size;
		if (pfn < START || pfn + len - 1 > limit ||
		    (fast && pfn % pow2_up(size))) {
			w->bad_range++;
			continue;
		}
		claim(w, pfn, len);
		w->allocs++;
		live[nlive].pfn = pfn;
		live[nlive].size = size;
		live[nlive].len = len;
		live[nlive].fast = fast;
		nlive++;
	}
	while (nlive) {
		nlive--;
		release(live[nlive].pfn, live[nlive].len);
		if ((live[nlive].fast ?
		     pdma_iova_free_fast(w->d, live[nlive].pfn,
					 live[nlive].size) :
		     pdma_iova_free(w->d, live[nlive].pfn)))
			w->bad_free++;
	}
	return NULL;	/* the key destructor returns this thread's cache */
}

static void run(unsigned int flags)
{
	struct worker w[THREADS];
	struct pdma_iova_domain *d;
	struct pdma_iova_stats st;
	unsigned long allocs = 0, nomem = 0;
	pthread_barrier_t start;
	pthread_t t[THREADS];

	REQUIRE(pdma_iova_domain_create(4096, START, flags, &d) == 0);
	REQUIRE(pthread_barrier_init(&start, NULL, THREADS) == 0);
	for (int round = 0; round < ROUNDS; round++) {
		for (unsigned int i = 0; i < THREADS; i++) {
			w[i] = (struct worker){
				.d = d, .id = i + 1,
				.seed = 0x9e3779b97f4a7c15ULL * (i + 1 + round * 7),
				.housekeeper = i == 0,
				.start = &start,
			};
			REQUIRE(pthread_create(&t[i], NULL, work, &w[i]) == 0);
		}
		for (unsigned int i = 0; i < THREADS; i++) {
			pthread_join(t[i], NULL);
			CHECK_EQ_INT(w[i].overlaps, 0);
			CHECK_EQ_INT(w[i].bad_range, 0);
			CHECK_EQ_INT(w[i].bad_free, 0);
			allocs += w[i].allocs;
			nomem += w[i].nomem;
		}
		/* Every thread has exited: no thread caches are left. */
		pdma_iova_get_stats(d, &st);
		CHECK_EQ_INT(st.threads, 0);
		CHECK_EQ_INT(pdma__iova_check(d), 0);
	}
	/* All freed: after the depot goes back, the tree is empty. */
	pdma_iova_rcache_flush(d);
	pdma_iova_get_stats(d, &st);
	CHECK_EQ_INT(st.ranges, 0);
	CHECK_EQ_INT(st.cached, 0);
	CHECK(st.fast_hits > 0);
	CHECK(allocs > (unsigned long)THREADS * ROUNDS * OPS / 3);
	printf("flags %#x: %lu allocations (%llu cache hits, %llu misses), "
	       "%lu refused\n", flags, allocs,
	       (unsigned long long)st.fast_hits,
	       (unsigned long long)st.fast_misses, nomem);
	pdma_iova_domain_destroy(d);
	pthread_barrier_destroy(&start);
}

int main(void)
{
	run(0);
	run(PDMA_IOVA_CHECK_FREE);
	return harness_exit();
}
