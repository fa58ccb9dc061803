/* SPDX-License-Identifier: MIT */
/*
 * p2pmem under real threads: owners allocate, fill, hand references to
 * "DMA" threads and free, while another thread removes the provider.
 *
 * What must hold:
 *  - no two live allocations overlap, and memory someone holds a reference
 *    to is never handed out again (every byte keeps its owner's tag until
 *    the last reference is dropped);
 *  - once remove starts, allocations, references and DMA accesses fail with
 *    -ENODEV;
 *  - remove returns only after the last free and the last put: at that
 *    moment the test's own counters of live allocations and references are
 *    zero, and the region is unmapped at once (a late touch would crash).
 *
 * Run it under ThreadSanitizer and AddressSanitizer too.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include <peerdma/mem.h>

#include "harness.h"

enum { WORKERS = 4, DMAS = 2, SLOTS = 16, HELD = 8, POOL_PAGES = 256 };

struct shared {
	struct pdma_p2pmem_provider *prov;
	size_t page;
	_Atomic(struct pdma_p2pmem_block *) slot[SLOTS];
	atomic_int removed;		/* remove() has returned */
	atomic_long live_allocs;	/* decremented just before free */
	atomic_long live_refs;		/* decremented just before put */
	atomic_long allocs, handoffs, dma_ok, dma_revoked, dma_freed;
	atomic_long enodev, corrupt;
};

struct worker {
	struct shared *sh;
	int id;
	uint64_t rng;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool all_bytes(const unsigned char *p, size_t len, unsigned char v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

struct held {
	unsigned char *p;
	size_t len;
	unsigned char tag;
};

static void release(struct shared *sh, struct held *h)
{
	if (!all_bytes(h->p, h->len, h->tag))
		atomic_fetch_add(&sh->corrupt, 1);
	atomic_fetch_sub(&sh->live_allocs, 1);
	if (pdma_p2pmem_free(sh->prov, h->p, h->len))
		atomic_fetch_add(&sh->corrupt, 1);
}

/* Hand a reference on @h to whichever DMA thread finds it. */
static void hand_off(struct shared *sh, struct held *h, uint64_t *rng)
{
	struct pdma_p2pmem_block *blk, *expect = NULL;
	int s = (int)(rnd(rng) % SLOTS);
	int ret;

	ret = pdma_p2pmem_get(sh->prov, h->p + sh->page / 2, h->len / 2, &blk);
	if (ret) {
		if (ret == -ENODEV)
			atomic_fetch_add(&sh->enodev, 1);
		else
			atomic_fetch_add(&sh->corrupt, 1);
		return;
	}
	atomic_fetch_add(&sh->live_refs, 1);
	if (atomic_compare_exchange_strong(&sh->slot[s], &expect, blk)) {
		atomic_fetch_add(&sh->handoffs, 1);
		return;
	}
	atomic_fetch_sub(&sh->live_refs, 1);
	pdma_p2pmem_put(blk);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct held h[HELD];
	int nh = 0;
	unsigned counter = 0;

	for (;;) {
		uint64_t r = rnd(&w->rng);

		if (nh < HELD && r % 4 != 0) {
			size_t len = (1 + (r >> 8) % 8) * sh->page;
			void *p;
			int ret = pdma_p2pmem_alloc(sh->prov, len, &p);

			if (ret == -ENODEV) {
				atomic_fetch_add(&sh->enodev, 1);
				break;
			}
			if (ret == -ENOMEM && nh) {
				release(sh, &h[--nh]);
				continue;
			}
			if (ret) {
				if (ret != -ENOMEM)
					atomic_fetch_add(&sh->corrupt, 1);
				continue;
			}
			atomic_fetch_add(&sh->live_allocs, 1);
			atomic_fetch_add(&sh->allocs, 1);
			h[nh].p = p;
			h[nh].len = len;
			h[nh].tag = (unsigned char)(1 + (w->id * 61 + counter++) %
						    255);
			memset(p, h[nh].tag, len);
			if ((r >> 20) % 3 == 0)
				hand_off(sh, &h[nh], &w->rng);
			nh++;
		} else if (nh) {
			int k = (int)((r >> 12) % (uint64_t)nh);

			release(sh, &h[k]);
			h[k] = h[--nh];
		}
	}
	while (nh)
		release(sh, &h[--nh]);
	return NULL;
}

/* A DMA engine: takes handed-off references, accesses, verifies, puts. */
static void *dma_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (!atomic_load(&sh->removed)) {
		int s = (int)(rnd(&w->rng) % SLOTS);
		struct pdma_p2pmem_block *blk, *acc;
		unsigned char *p;
		size_t len;
		int ret;

		blk = atomic_exchange(&sh->slot[s], NULL);
		if (!blk) {
			sched_yield();
			continue;
		}
		p = pdma_p2pmem_block_addr(blk);
		len = pdma_p2pmem_block_size(blk);
		ret = pdma_p2pmem_access_begin(sh->prov, p, len, &acc);
		if (ret == 0) {
			atomic_fetch_add(&sh->dma_ok, 1);
			pdma_p2pmem_access_end(acc);
		} else if (ret == -ENODEV) {
			atomic_fetch_add(&sh->dma_revoked, 1);
			if (!pdma_p2pmem_block_revoked(blk))
				atomic_fetch_add(&sh->corrupt, 1);
		} else if (ret == -EFAULT) {
			atomic_fetch_add(&sh->dma_freed, 1);	/* owner freed */
		} else {
			atomic_fetch_add(&sh->corrupt, 1);
		}
		/* Freed by its owner or not, the reference keeps it ours. */
		if (!all_bytes(p, len, p[0]) || p[0] == 0)
			atomic_fetch_add(&sh->corrupt, 1);
		atomic_fetch_sub(&sh->live_refs, 1);
		pdma_p2pmem_put(blk);
	}
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void round_once(int round)
{
	struct shared sh;
	struct pdma_region *r;
	struct pdma_p2pmem_bar b;
	struct worker w[WORKERS + DMAS];
	pthread_t th[WORKERS + DMAS];
	long allocs_at_remove;
	int ret;

	memset(&sh, 0, sizeof(sh));
	sh.page = pdma_page_size();
	REQUIRE(pdma_region_create("threads", POOL_PAGES * sh.page, &r) == 0);
	REQUIRE(pdma_p2pmem_provider_create(NULL, 0, &sh.prov) == 0);
	b = (struct pdma_p2pmem_bar){ .size = sizeof(b), .flags = PDMA_BAR_MEM,
				      .region = r, .cpu_addr = 0xc0000000,
				      .bus_addr = 0xc0000000 };
	REQUIRE(pdma_p2pmem_set_bar(sh.prov, 0, &b) == 0);
	REQUIRE(pdma_p2pmem_add_resource(sh.prov, 0, 0, 0) == 0);
	REQUIRE(pdma_p2pmem_publish(sh.prov, true) == 0);

	for (int i = 0; i < WORKERS + DMAS; i++) {
		w[i].sh = &sh;
		w[i].id = i;
		w[i].rng = 0x2545f4914f6cdd1dull * (uint64_t)(i + 1 + 16 * round);
		REQUIRE(pthread_create(&th[i], NULL,
				       i < WORKERS ? worker_main : dma_main,
				       &w[i]) == 0);
	}
	/* Let every kind of traffic happen first (the machine may be busy),
	 * then a little more, longer each round. */
	for (int i = 0; i < 10000; i++) {
		if (atomic_load(&sh.dma_ok) >= 20 &&
		    atomic_load(&sh.allocs) >= 500)
			break;
		sleep_ms(1);
	}
	sleep_ms(5 * round);

	allocs_at_remove = atomic_load(&sh.live_allocs);
	ret = pdma_p2pmem_remove(sh.prov);
	CHECK_EQ_INT(ret, 0);
	/* Nobody holds anything now, and nobody may touch it again. */
	CHECK_EQ_INT(atomic_load(&sh.live_allocs), 0);
	CHECK_EQ_INT(atomic_load(&sh.live_refs), 0);
	pdma_region_destroy(r);
	atomic_store(&sh.removed, 1);

	for (int i = 0; i < WORKERS + DMAS; i++)
		pthread_join(th[i], NULL);
	for (int s = 0; s < SLOTS; s++)
		CHECK(atomic_load(&sh.slot[s]) == NULL);
	CHECK_EQ_INT(atomic_load(&sh.corrupt), 0);
	CHECK(atomic_load(&sh.enodev) >= WORKERS);
	CHECK(atomic_load(&sh.allocs) > 100);
	CHECK(atomic_load(&sh.dma_ok) > 0);
	CHECK_EQ_INT(pdma_p2pmem_remove(sh.prov), -ENODEV);
	printf("round %d: %ld allocations (%ld live at remove), %ld handed to "
	       "DMA: %ld accessed, %ld after the owner's free, %ld revoked\n",
	       round, atomic_load(&sh.allocs), allocs_at_remove,
	       atomic_load(&sh.handoffs), atomic_load(&sh.dma_ok),
	       atomic_load(&sh.dma_freed), atomic_load(&sh.dma_revoked));
	pdma_p2pmem_provider_put(sh.prov);
}

int main(void)
{
	for (int round = 0; round < 4; round++)
		round_once(round);
	return harness_exit();
}
