/* SPDX-License-Identifier: MIT */
/*
 * p2pmem providers: every errno of registration, publish, allocation, free,
 * translation, sgl, references and removal, and find_many's choice among
 * providers on a small hand-built fabric (reference sections 1.2, 1.3, 1.6,
 * 1.8).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <peerdma/mem.h>

#include "tb.h"

#define BAR_CPU	0xe0000000ull
#define BAR_BUS	0x80e0000000ull		/* bus_offset 0x8000000000 */

static size_t page;

static struct pdma_p2pmem_bar mem_bar(struct pdma_region *r, uint64_t cpu,
				      uint64_t bus)
{
	struct pdma_p2pmem_bar b = {
		.size = sizeof(b),
		.flags = PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH,
		.region = r,
		.cpu_addr = cpu,
		.bus_addr = bus,
	};
	return b;
}

static void test_registration(void)
{
	struct pdma_region *r2, *r4;
	struct pdma_p2pmem_provider *prov;
	struct pdma_p2pmem_bar b, io = { .size = sizeof(io), .len = 256 };
	struct pdma_p2pmem st;
	void *p;

	REQUIRE(pdma_region_create("bar2", 16 * page, &r2) == 0);
	REQUIRE(pdma_region_create("bar4", 4 * page, &r4) == 0);
	REQUIRE(pdma_p2pmem_provider_create(NULL, 0, &prov) == 0);
	CHECK_EQ_INT(pdma_p2pmem_provider_func(prov), PDMA_NONE);

	/* set_bar */
	b = mem_bar(r2, BAR_CPU, BAR_BUS);
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, -1, &b), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 6, &b), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 2, NULL), -EINVAL);
	b.size = 8;
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 2, &b), -EINVAL);
	b = mem_bar(NULL, BAR_CPU, BAR_BUS);
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 2, &b), -EINVAL);
	b = mem_bar(r2, BAR_CPU, BAR_BUS);
	b.len = 17 * page;		/* longer than its backing */
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 2, &b), -EINVAL);
	b = mem_bar(r2, UINT64_MAX - page, BAR_BUS);	/* wraps */
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 2, &b), -EINVAL);
	b = mem_bar(r2, BAR_CPU, BAR_BUS);
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 2, &b), 0);
	CHECK_EQ_INT(pdma_p2pmem_bus_offset(prov, 2), BAR_BUS - BAR_CPU);
	CHECK_EQ_INT(pdma_p2pmem_bus_offset(prov, 3), 0);
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 0, &io), 0);	/* I/O BAR */
	/* BAR 4: bus address below the CPU address (negative offset). */
	b = mem_bar(r4, 0xf0000000ull, 0x10000000ull);
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 4, &b), 0);
	CHECK_EQ_INT(pdma_p2pmem_bus_offset(prov, 4),
		     (int64_t)0x10000000 - (int64_t)0xf0000000);

	/* No pool yet: nothing to allocate, nothing to show. */
	pdma_p2pmem_stat(prov, &st);
	CHECK(!st.present && st.size == 0 && st.available == 0);
	CHECK_EQ_INT(pdma_p2pmem_publish(prov, true), 0);
	CHECK(!pdma_p2pmem_has_p2pmem(prov));
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, page, &p), -ENODEV);
	CHECK(p == NULL);

	/* add_resource: the kernel's checks. */
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, -1, 0, 0), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 6, 0, 0), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 1, 0, 0), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 0, 0, 0), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, 0, 16 * page), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, 0, 20 * page), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, 9 * page, 8 * page),
		     -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, UINT64_MAX, page),
		     -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, page, 100), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, 100, 0), -EINVAL);
	pdma_p2pmem_stat(prov, &st);
	CHECK(!st.present);

	/* Two chunks of BAR 2: [0, 4p) and the rest from 8p. */
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, 4 * page, 0), 0);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, 0, 8 * page), 0);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, 2 * page, 3 * page),
		     -EBUSY);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, page, 15 * page),
		     -EBUSY);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, 2 * page, 4 * page), 0);
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 2, &b), -EBUSY);
	pdma_p2pmem_stat(prov, &st);
	CHECK(st.present);
	CHECK_EQ_INT(st.size, 14 * page);
	CHECK_EQ_INT(st.available, 14 * page);
	CHECK(st.published);
	CHECK(pdma_p2pmem_has_p2pmem(prov));
	CHECK_EQ_INT(pdma_p2pmem_publish(prov, false), 0);
	CHECK(!pdma_p2pmem_has_p2pmem(prov));
	pdma_p2pmem_stat(prov, &st);
	CHECK(!st.published);
	CHECK_EQ_INT(pdma_p2pmem_publish(prov, true), 0);

	/* Remove: everything after it fails with -ENODEV. */
	CHECK_EQ_INT(pdma_p2pmem_remove(prov), 0);
	CHECK_EQ_INT(pdma_p2pmem_remove(prov), -ENODEV);
	CHECK(!pdma_p2pmem_has_p2pmem(prov));
	pdma_p2pmem_stat(prov, &st);
	CHECK(!st.present && st.size == 0 && !st.published);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, page, &p), -ENODEV);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 4, 0, 0), -ENODEV);
	CHECK_EQ_INT(pdma_p2pmem_publish(prov, true), -ENODEV);
	CHECK_EQ_INT(pdma_p2pmem_set_bar(prov, 5, &b), -ENODEV);
	CHECK_EQ_INT(pdma_p2pmem_virt_to_bus(prov, pdma_region_base(r2)), 0);
	CHECK_EQ_INT(pdma_p2pmem_metadata_bytes(prov),
		     pdma_p2pmem_metadata_bytes(prov));
	pdma_p2pmem_provider_put(prov);
	pdma_p2pmem_provider_put(NULL);
	pdma_region_destroy(r4);
	pdma_region_destroy(r2);
}

static void test_alloc_free(void)
{
	struct pdma_region *r2, *r4;
	struct pdma_p2pmem_provider *prov;
	struct pdma_p2pmem_bar b;
	struct pdma_p2pmem st;
	struct pdma_p2pmem_sge *sgl = (void *)1;
	struct pdma_p2pmem_block *blk, *blk2, *dummy;
	unsigned nents = 9;
	char *base, *p1, *p2, *p3, *p4, *p5, *q;

	REQUIRE(pdma_region_create("bar2", 16 * page, &r2) == 0);
	REQUIRE(pdma_region_create("bar4", 4 * page, &r4) == 0);
	base = pdma_region_base(r2);
	REQUIRE(pdma_p2pmem_provider_create(NULL, 0, &prov) == 0);
	b = mem_bar(r2, BAR_CPU, BAR_BUS);
	REQUIRE(pdma_p2pmem_set_bar(prov, 2, &b) == 0);
	b = mem_bar(r4, 0xf0000000ull, 0x10000000ull);
	REQUIRE(pdma_p2pmem_set_bar(prov, 4, &b) == 0);
	/* BAR 2 from page 8 on: 8 pages.  (Chunks are ordered by where the
	 * regions happen to be mapped, so BAR 4 comes later.) */
	REQUIRE(pdma_p2pmem_add_resource(prov, 2, 0, 8 * page) == 0);

	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 0, (void **)&p1), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, SIZE_MAX, (void **)&p1), -ENOMEM);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 9 * page, (void **)&p1), -ENOMEM);
	CHECK(p1 == NULL);

	/* First fit, page granular, lowest address first. */
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 1, (void **)&p1), 0);
	CHECK(p1 == base + 8 * page);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, page + 1, (void **)&p2), 0);
	CHECK(p2 == p1 + page);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 3 * page, (void **)&p3), 0);
	CHECK(p3 == p2 + 2 * page);
	pdma_p2pmem_stat(prov, &st);
	CHECK_EQ_INT(st.available, 2 * page);
	memset(p1, 0x11, page);
	memset(p3, 0x33, 3 * page);

	/* free: size must match (in pages), pointer must be a start. */
	CHECK_EQ_INT(pdma_p2pmem_free(prov, NULL, page), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p2, page), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p2, 3 * page), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p2, 0), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p2 + page, page), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, base, page), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p3 + 3 * page, 2 * page), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p2, 2 * page), 0);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p2, 2 * page), -EINVAL);

	/* Two holes of 2 pages, not adjacent: 3 pages do not fit. */
	pdma_p2pmem_stat(prov, &st);
	CHECK_EQ_INT(st.available, 4 * page);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 3 * page, (void **)&q), -ENOMEM);
	/* The lower hole first; sizes compare in pages. */
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 2 * page, (void **)&q), 0);
	CHECK(q == p2);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, q, 2 * page - 5), 0);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 2 * page, (void **)&q), 0);
	CHECK(q == p2);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 2 * page, (void **)&p4), 0);
	CHECK(p4 == p3 + 3 * page);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 1, (void **)&p5), -ENOMEM);

	/* More memory while allocations are out: all of BAR 4. */
	REQUIRE(pdma_p2pmem_add_resource(prov, 4, 0, 0) == 0);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, 3 * page, (void **)&p5), 0);
	CHECK(p5 == (char *)pdma_region_base(r4));
	pdma_p2pmem_stat(prov, &st);
	CHECK_EQ_INT(st.size, 12 * page);
	CHECK_EQ_INT(st.available, page);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, q, 2 * page), 0);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p4, 2 * page), 0);
	CHECK(*p1 == 0x11 && p3[3 * page - 1] == 0x33);

	/* virt_to_bus: bus = cpu + bus_offset, per BAR. */
	CHECK_EQ_INT(pdma_p2pmem_virt_to_bus(prov, NULL), 0);
	CHECK_EQ_INT(pdma_p2pmem_virt_to_bus(prov, base), 0);	/* not pool */
	CHECK_EQ_INT(pdma_p2pmem_virt_to_bus(prov, p1), BAR_BUS + 8 * page);
	CHECK_EQ_INT(pdma_p2pmem_virt_to_phys(prov, p1), BAR_CPU + 8 * page);
	CHECK_EQ_INT(pdma_p2pmem_virt_to_bus(prov, p3 + 17),
		     pdma_p2pmem_virt_to_phys(prov, p3 + 17) +
		     (uint64_t)pdma_p2pmem_bus_offset(prov, 2));
	{
		char *b4 = pdma_region_base(r4);

		CHECK_EQ_INT(pdma_p2pmem_virt_to_bus(prov, b4 + page + 3),
			     0x10000000ull + page + 3);
		CHECK_EQ_INT(pdma_p2pmem_virt_to_bus(prov, b4 + page + 3),
			     pdma_p2pmem_virt_to_phys(prov, b4 + page + 3) +
			     (uint64_t)pdma_p2pmem_bus_offset(prov, 4));
	}

	/* sgl: one entry, nents 1; free_sgl gives it back. */
	CHECK_EQ_INT(pdma_p2pmem_alloc_sgl(prov, 0, &sgl, &nents), -EINVAL);
	CHECK(sgl == NULL && nents == 0);
	CHECK_EQ_INT(pdma_p2pmem_alloc_sgl(prov, 100 * page, &sgl, &nents),
		     -ENOMEM);
	pdma_p2pmem_stat(prov, &st);
	CHECK_EQ_INT(pdma_p2pmem_alloc_sgl(prov, 2 * page, &sgl, &nents), 0);
	CHECK_EQ_INT(nents, 1);
	CHECK(sgl && sgl[0].addr && sgl[0].len == 2 * page);
	if (sgl) {
		uint64_t avail = st.available;

		pdma_p2pmem_stat(prov, &st);
		CHECK_EQ_INT(st.available, avail - 2 * page);
		pdma_p2pmem_free_sgl(prov, sgl, nents);
		pdma_p2pmem_stat(prov, &st);
		CHECK_EQ_INT(st.available, avail);
	}
	pdma_p2pmem_free_sgl(prov, NULL, 0);

	/* References: range checks, and a freed block stays out of the pool
	 * until the last put. */
	CHECK_EQ_INT(pdma_p2pmem_get(prov, NULL, 1, &blk), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_get(prov, p3, 0, &blk), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_get(prov, p2, 1, &blk), -EFAULT);  /* free */
	CHECK_EQ_INT(pdma_p2pmem_get(prov, base, 1, &blk), -EFAULT);
	CHECK_EQ_INT(pdma_p2pmem_get(prov, p3 + page, 2 * page + 1, &blk),
		     -EFAULT);
	CHECK(blk == NULL);
	CHECK_EQ_INT(pdma_p2pmem_get(prov, p3 + page, 2 * page, &blk), 0);
	REQUIRE(blk);
	CHECK(pdma_p2pmem_block_addr(blk) == p3);
	CHECK_EQ_INT(pdma_p2pmem_block_size(blk), 3 * page);
	CHECK(!pdma_p2pmem_block_revoked(blk));
	CHECK_EQ_INT(pdma_p2pmem_access_begin(prov, p3, 3 * page, &blk2), 0);
	pdma_p2pmem_stat(prov, &st);
	{
		uint64_t avail = st.available;

		CHECK_EQ_INT(pdma_p2pmem_free(prov, p3, 3 * page), 0);
		pdma_p2pmem_stat(prov, &st);
		CHECK_EQ_INT(st.available, avail);	/* still referenced */
		CHECK_EQ_INT(pdma_p2pmem_free(prov, p3, 3 * page), -EINVAL);
		CHECK_EQ_INT(pdma_p2pmem_get(prov, p3, 1, &dummy), -EFAULT);
		CHECK(p3[0] == 0x33);	/* not reused: nobody wrote it */
		pdma_p2pmem_access_end(blk2);
		pdma_p2pmem_stat(prov, &st);
		CHECK_EQ_INT(st.available, avail);
		pdma_p2pmem_put(blk);
		pdma_p2pmem_stat(prov, &st);
		CHECK_EQ_INT(st.available, avail + 3 * page);
	}
	pdma_p2pmem_put(NULL);

	CHECK_EQ_INT(pdma_p2pmem_free(prov, p1, page), 0);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p5, 3 * page), 0);
	pdma_p2pmem_stat(prov, &st);
	CHECK_EQ_INT(st.available, st.size);
	CHECK_EQ_INT(pdma_p2pmem_remove(prov), 0);
	pdma_p2pmem_provider_put(prov);
	pdma_region_destroy(r4);
	pdma_region_destroy(r2);
}

/* ---- remove waits for the last user ----------------------------------- */

struct remover {
	struct pdma_p2pmem_provider *prov;
	atomic_int done;
	int ret;
};

static void *remove_thread(void *arg)
{
	struct remover *rm = arg;

	rm->ret = pdma_p2pmem_remove(rm->prov);
	atomic_store(&rm->done, 1);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void test_remove_waits(void)
{
	struct pdma_region *r;
	struct pdma_p2pmem_provider *prov;
	struct pdma_p2pmem_bar b;
	struct pdma_p2pmem_block *blk, *dma;
	struct remover rm;
	pthread_t th;
	void *p, *p2, *p3;

	REQUIRE(pdma_region_create("bar", 8 * page, &r) == 0);
	REQUIRE(pdma_p2pmem_provider_create(NULL, 0, &prov) == 0);
	b = mem_bar(r, BAR_CPU, BAR_BUS);
	REQUIRE(pdma_p2pmem_set_bar(prov, 0, &b) == 0);
	REQUIRE(pdma_p2pmem_add_resource(prov, 0, 0, 0) == 0);
	REQUIRE(pdma_p2pmem_publish(prov, true) == 0);
	REQUIRE(pdma_p2pmem_alloc(prov, page, &p) == 0);
	REQUIRE(pdma_p2pmem_alloc(prov, page, &p2) == 0);
	REQUIRE(pdma_p2pmem_get(prov, p, page, &blk) == 0);

	rm.prov = prov;
	atomic_init(&rm.done, 0);
	rm.ret = 1;
	REQUIRE(pthread_create(&th, NULL, remove_thread, &rm) == 0);
	/* Revocation is immediate... */
	for (int i = 0; i < 2000 && !pdma_p2pmem_block_revoked(blk); i++)
		sleep_ms(1);
	CHECK(pdma_p2pmem_block_revoked(blk));
	CHECK(!pdma_p2pmem_has_p2pmem(prov));
	CHECK_EQ_INT(pdma_p2pmem_access_begin(prov, p, 1, &dma), -ENODEV);
	CHECK_EQ_INT(pdma_p2pmem_get(prov, p2, 1, &dma), -ENODEV);
	CHECK_EQ_INT(pdma_p2pmem_alloc(prov, page, &p3), -ENODEV);
	CHECK_EQ_INT(pdma_p2pmem_virt_to_bus(prov, p2), 0);
	/* ...but remove waits for the two allocations and the reference. */
	sleep_ms(50);
	CHECK_EQ_INT(atomic_load(&rm.done), 0);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p, page), 0);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, p2, page), 0);
	sleep_ms(50);
	CHECK_EQ_INT(atomic_load(&rm.done), 0);
	pdma_p2pmem_put(blk);
	pthread_join(th, NULL);
	CHECK_EQ_INT(atomic_load(&rm.done), 1);
	CHECK_EQ_INT(rm.ret, 0);
	pdma_p2pmem_provider_put(prov);
	pdma_region_destroy(r);
}

/* ---- find_many ---------------------------------------------------------- */

/*
 *   00:00.0 host bridge (1b36:0010, not on the allow-list; Intel CPU)
 *   rp0 00:02.0 ── usp 01:00.0 ─┬─ dsp 02:00.0 ── 03:00.0  P1
 *                               ├─ dsp 02:01.0 ── 04:00.0  P2
 *                               └─ dsp 02:02.0 ── 05:00.0  client C
 *                                                 05:00.1  P3 (closer)
 *   rp1 00:03.0 ── 06:00.0  P4 (other root port: NOT_SUPPORTED)
 */
static struct pdma_fabric *build_fabric(void)
{
	struct tb t;
	int rp0, usp, d0, d1, d2, rp1;

	tb_init(&t);
	tb_ep(&t, PDMA_NONE, 0, 0, 0, 0x060000);
	rp0 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	usp = tb_port(&t, PDMA_PCIE_UPSTREAM, rp0, 1, 0, 0, 2);
	d0 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 0, 0, 3);
	d1 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 0, 4);
	d2 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 2, 0, 5);
	tb_ep(&t, d0, 3, 0, 0, 0x010802);
	tb_ep(&t, d1, 4, 0, 0, 0x030000);
	tb_ep(&t, d2, 5, 0, 0, 0x020000);
	tb_ep(&t, d2, 5, 0, 1, 0x020000);
	rp1 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 3, 0, 6);
	tb_ep(&t, rp1, 6, 0, 0, 0x010802);
	return tb_done(&t);
}

static struct pdma_p2pmem_provider *
make_provider(struct pdma_fabric *fab, const char *bdf, struct pdma_region *r)
{
	struct pdma_p2pmem_provider *prov;
	struct pdma_p2pmem_bar b = mem_bar(r, BAR_CPU, BAR_BUS);

	REQUIRE(pdma_p2pmem_provider_create(fab, tb_idx(fab, bdf), &prov) ==
		0);
	REQUIRE(pdma_p2pmem_set_bar(prov, 0, &b) == 0);
	REQUIRE(pdma_p2pmem_add_resource(prov, 0, 0, 0) == 0);
	REQUIRE(pdma_p2pmem_publish(prov, true) == 0);
	return prov;
}

/* Choose @runs times with seeds 1..runs; count picks per provider. */
static void pick(struct pdma_fabric *fab, struct pdma_p2pmem_provider **v,
		 int n, const int *clients, int nc, int runs, int *count,
		 int *none)
{
	memset(count, 0, (size_t)n * sizeof(*count));
	*none = 0;
	for (int s = 1; s <= runs; s++) {
		uint64_t rng = (uint64_t)s;
		struct pdma_p2pmem_provider *got;
		int i;

		got = pdma_p2pmem_find_many(fab, v, n, clients, nc, &rng);
		if (!got) {
			(*none)++;
			continue;
		}
		for (i = 0; i < n && v[i] != got; i++)
			;
		REQUIRE(i < n);
		count[i]++;
		pdma_p2pmem_provider_put(got);
	}
}

static void test_find_many(void)
{
	struct pdma_fabric *fab = build_fabric();
	struct pdma_region *r;
	struct pdma_p2pmem_provider *v[4], *other, *got;
	int c = tb_idx(fab, "05:00.0"), count[4], none, d;
	int two[2];
	struct pdma_fabric *fab2 = build_fabric();

	REQUIRE(pdma_region_create("bars", 4 * page, &r) == 0);
	v[0] = make_provider(fab, "03:00.0", r);
	v[1] = make_provider(fab, "04:00.0", r);
	v[2] = make_provider(fab, "05:00.1", r);
	v[3] = make_provider(fab, "06:00.0", r);

	/* The distances the choice rests on. */
	CHECK_EQ_INT(tb_verdict(fab, "03:00.0", "05:00.0", &d),
		     PDMA_MAP_BUS_ADDR);
	CHECK_EQ_INT(d, 4);
	CHECK_EQ_INT(tb_verdict(fab, "05:00.1", "05:00.0", &d),
		     PDMA_MAP_BUS_ADDR);
	CHECK_EQ_INT(d, 2);
	CHECK_EQ_INT(tb_verdict(fab, "06:00.0", "05:00.0", &d),
		     PDMA_MAP_NOT_SUPPORTED);

	/* The closer provider always wins. */
	pick(fab, v, 4, &c, 1, 300, count, &none);
	CHECK_EQ_INT(count[2], 300);

	/* Two tied providers: both chosen, about evenly; P4 never. */
	{
		struct pdma_p2pmem_provider *w[3] = { v[0], v[3], v[1] };

		pick(fab, w, 3, &c, 1, 2000, count, &none);
		CHECK_EQ_INT(none, 0);
		CHECK_EQ_INT(count[1], 0);
		CHECK(count[0] > 850 && count[2] > 850);
		CHECK_EQ_INT(count[0] + count[2], 2000);
	}

	/* The same seed gives the same choice. */
	{
		uint64_t s1 = 77, s2 = 77;
		struct pdma_p2pmem_provider *a, *b;

		a = pdma_p2pmem_find_many(fab, v, 2, &c, 1, &s1);
		b = pdma_p2pmem_find_many(fab, v, 2, &c, 1, &s2);
		CHECK(a && a == b);
		pdma_p2pmem_provider_put(a);
		pdma_p2pmem_provider_put(b);
	}

	/* Only NOT_SUPPORTED: nothing.  No clients: nothing. */
	pick(fab, &v[3], 1, &c, 1, 50, count, &none);
	CHECK_EQ_INT(none, 50);
	CHECK(pdma_p2pmem_find_many(fab, v, 4, &c, 0, NULL) == NULL);
	CHECK(pdma_p2pmem_find_many(NULL, v, 4, &c, 1, NULL) == NULL);

	/* Unpublished memory is private: P3 drops out, P1/P2 tie. */
	CHECK_EQ_INT(pdma_p2pmem_publish(v[2], false), 0);
	pick(fab, v, 4, &c, 1, 400, count, &none);
	CHECK_EQ_INT(count[2], 0);
	CHECK(count[0] > 0 && count[1] > 0);
	CHECK_EQ_INT(pdma_p2pmem_publish(v[2], true), 0);

	/* Two clients: the sum of distances.  P2 is client 04:00.0 itself
	 * (0) plus 4 to C; P1 is 4 + 4; P3 is 2 + 4 = 6. */
	two[0] = c;
	two[1] = tb_idx(fab, "04:00.0");
	pick(fab, v, 4, two, 2, 100, count, &none);
	CHECK_EQ_INT(count[1], 100);

	/* Providers of another fabric are skipped; a NULL entry too. */
	other = make_provider(fab2, "05:00.1", r);
	{
		struct pdma_p2pmem_provider *w[3] = { other, NULL, v[0] };

		pick(fab, w, 3, &c, 1, 100, count, &none);
		CHECK_EQ_INT(count[2], 100);
	}

	/* A removed provider is never chosen; the returned reference keeps
	 * the struct alive past its owner's put. */
	got = pdma_p2pmem_find_many(fab, v, 4, &c, 1, NULL);
	CHECK(got == v[2]);
	CHECK_EQ_INT(pdma_p2pmem_remove(v[2]), 0);
	pick(fab, v, 4, &c, 1, 100, count, &none);
	CHECK_EQ_INT(count[2], 0);
	CHECK_EQ_INT(count[0] + count[1], 100);
	pdma_p2pmem_provider_put(v[2]);
	CHECK(!pdma_p2pmem_has_p2pmem(got));
	pdma_p2pmem_provider_put(got);

	for (int i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		pdma_p2pmem_remove(v[i]);
		pdma_p2pmem_provider_put(v[i]);
	}
	pdma_p2pmem_remove(other);
	pdma_p2pmem_provider_put(other);
	pdma_region_destroy(r);
	pdma_fabric_destroy(fab2);
	pdma_fabric_destroy(fab);
}

/* The kernel keeps at most 512 tied providers: later ones never win. */
static void test_find_many_cap(void)
{
	enum { N = 600 };
	struct pdma_fabric *fab = build_fabric();
	struct pdma_region *r;
	struct pdma_p2pmem_provider **v = calloc(N, sizeof(*v));
	int c = tb_idx(fab, "05:00.0"), *count = calloc(N, sizeof(int));
	int none, distinct = 0, late = 0;

	REQUIRE(v && count);
	REQUIRE(pdma_region_create("bars", page, &r) == 0);
	for (int i = 0; i < N; i++)
		v[i] = make_provider(fab, i % 2 ? "03:00.0" : "04:00.0", r);
	pick(fab, v, N, &c, 1, 5000, count, &none);
	CHECK_EQ_INT(none, 0);
	for (int i = 0; i < N; i++) {
		if (i < 512)
			distinct += count[i] > 0;
		else
			late += count[i];
	}
	CHECK_EQ_INT(late, 0);
	CHECK(distinct > 480);
	for (int i = 0; i < N; i++) {
		pdma_p2pmem_remove(v[i]);
		pdma_p2pmem_provider_put(v[i]);
	}
	free(count);
	free(v);
	pdma_region_destroy(r);
	pdma_fabric_destroy(fab);
}

static void test_create_errors(void)
{
	struct pdma_fabric *fab = build_fabric();
	struct pdma_p2pmem_provider *prov = (void *)1;

	CHECK_EQ_INT(pdma_p2pmem_provider_create(fab, -1, &prov), -EINVAL);
	CHECK(prov == NULL);
	CHECK_EQ_INT(pdma_p2pmem_provider_create(fab, pdma_fabric_nr_funcs(fab),
						 &prov), -EINVAL);
	CHECK_EQ_INT(pdma_p2pmem_provider_create(fab, tb_idx(fab, "03:00.0"),
						 &prov), 0);
	CHECK_EQ_INT(pdma_p2pmem_provider_func(prov), tb_idx(fab, "03:00.0"));
	CHECK(pdma_p2pmem_provider_get(prov) == prov);
	pdma_p2pmem_provider_put(prov);
	pdma_p2pmem_provider_put(prov);	/* never removed: put frees it */
	pdma_fabric_destroy(fab);
}

int main(void)
{
	page = pdma_page_size();
	test_create_errors();
	test_registration();
	test_alloc_free();
	test_remove_waits();
	test_find_many();
	test_find_many_cap();
	return harness_exit();
}
