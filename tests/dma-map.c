/* SPDX-License-Identifier: MIT */
/*
 * pdma_dma_map(): mixed tables, what unmap gives back, every error.
 *
 *   rp0 00:02.0 ── usp 01:00.0 ─┬─ dsp 02:00.0 ── 03:00.0 A (BAR2 1M)  group 1
 *                               └─ dsp 02:01.0 ── 04:00.0 B (BAR0 1M)  group 2
 *   rp1 00:03.0 ── 05:00.0 C (BAR0 1M)                                 group 3
 *   rp2 00:04.0 ── 06:00.0 D                                           group 4 (blocked)
 *
 * The IOMMU translates groups 1-3; the CPU is AMD Zen, so crossing root
 * ports is THRU_HOST_BRIDGE; a second fabric has an Intel CPU and a host
 * bridge that is not allowed, so the same crossing is NOT_SUPPORTED.
 */
#include <errno.h>

#include <peerdma/iommu.h>

#include "tb.h"

static struct pdma_fabric *build(bool amd)
{
	struct pdma_func_info fi;
	struct tb t;
	int rp0, usp, d0, d1, rp1, rp2;

	tb_init(&t);
	t.pi.cpu_vendor = amd ? PDMA_CPU_AMD : PDMA_CPU_INTEL;
	t.pi.cpu_family = amd ? 0x19 : 6;
	t.pi.iommu = true;
	tb_ep(&t, PDMA_NONE, 0, 0, 0, 0x060000);
	rp0 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	usp = tb_port(&t, PDMA_PCIE_UPSTREAM, rp0, 1, 0, 0, 2);
	d0 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 0, 0, 3);
	d1 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 0, 4);
	rp1 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 3, 0, 5);
	rp2 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 4, 0, 6);
	fi = tb_info(3, 0, 0);
	fi.class_code = 0x030200;
	fi.parent = d0;
	fi.iommu_group = 1;
	fi.bars[2] = (struct pdma_bar){ 0, 1 << 20,
					PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH };
	tb_add(&t, &fi);
	fi = tb_info(4, 0, 0);
	fi.class_code = 0x020700;
	fi.parent = d1;
	fi.iommu_group = 2;
	fi.bars[0] = (struct pdma_bar){ 0, 1 << 20, PDMA_BAR_MEM };
	tb_add(&t, &fi);
	fi = tb_info(5, 0, 0);
	fi.class_code = 0x010802;
	fi.parent = rp1;
	fi.iommu_group = 3;
	fi.bars[0] = (struct pdma_bar){ 0, 1 << 20, PDMA_BAR_MEM };
	tb_add(&t, &fi);
	fi = tb_info(6, 0, 0);
	fi.class_code = 0x120000;
	fi.parent = rp2;
	fi.iommu_group = 4;
	tb_add(&t, &fi);
	for (int g = 1; g <= 3; g++)
		REQUIRE(pdma_fabric_set_iommu_group_type(t.fab, g,
							 PDMA_IOMMU_DMA) == 0);
	REQUIRE(pdma_fabric_set_iommu_group_type(t.fab, 4,
						 PDMA_IOMMU_BLOCKED) == 0);
	return tb_done(&t);
}

struct env {
	struct pdma_fabric *fab;
	struct pdma_platform *plat;
	struct pdma_dma *d;
	int a, b, c, dd;
	struct pdma_bar_map bar_a, bar_c;
	uint64_t ram;
};

static void setup(struct env *e, bool amd)
{
	struct pdma_error err;

	e->fab = build(amd);
	REQUIRE(pdma_platform_create(e->fab, NULL, &e->plat, &err) == 0);
	REQUIRE(pdma_dma_create(e->plat, &e->d) == 0);
	e->a = tb_idx(e->fab, "03:00.0");
	e->b = tb_idx(e->fab, "04:00.0");
	e->c = tb_idx(e->fab, "05:00.0");
	e->dd = tb_idx(e->fab, "06:00.0");
	REQUIRE(pdma_platform_bar(e->plat, e->a, 2, &e->bar_a) == 0);
	REQUIRE(pdma_platform_bar(e->plat, e->c, 0, &e->bar_c) == 0);
	pdma_platform_ram(e->plat, &e->ram, NULL, NULL, NULL);
}

static void teardown(struct env *e)
{
	CHECK_EQ_INT(pdma_dma_mapped_bytes(e->d), 0);
	pdma_dma_destroy(e->d);
	pdma_platform_destroy(e->plat);
	pdma_fabric_destroy(e->fab);
}

/* RAM + a BUS_ADDR peer + a THRU_HOST_BRIDGE peer in one table, for B. */
static void test_mixed(void)
{
	struct pdma_phys_range r[3];
	struct pdma_iova_stats st0, st1;
	struct pdma_iova_domain *iovad;
	struct pdma_sgt *sgt;
	uint64_t sgt_dma0;
	struct env e;
	char buf[512], back[512];

	setup(&e, true);
	iovad = pdma_iommu_domain_iovad(pdma_dma_domain(e.d, e.b));
	pdma_iova_get_stats(iovad, &st0);
	r[0] = (struct pdma_phys_range){ e.ram + 100, 8192 };
	r[1] = (struct pdma_phys_range){ e.bar_a.cpu_addr + 4096, 4096 };
	r[2] = (struct pdma_phys_range){ e.bar_c.cpu_addr + 12288, 300 };
	REQUIRE(pdma_dma_map(e.d, e.b, r, 3, PDMA_BIDIRECTIONAL, &sgt) == 0);
	CHECK_EQ_INT(sgt->nents, 3);
	/* RAM: an IOVA with the same page offset; 3 pages are covered. */
	CHECK(!(sgt->sgl[0].flags & PDMA_SG_BUS_ADDR));
	CHECK_EQ_INT(sgt->sgl[0].dma_addr & 4095, 100);
	CHECK(sgt->sgl[0].dma_addr != e.ram + 100);
	CHECK_EQ_INT(sgt->sgl[0].len, 8192);
	/* A below the same switch: its bus address, untranslated. */
	CHECK(sgt->sgl[1].flags & PDMA_SG_BUS_ADDR);
	CHECK_EQ_INT(sgt->sgl[1].dma_addr, e.bar_a.bus_addr + 4096);
	/* C on another root port: mapped like RAM, an IOVA. */
	CHECK(!(sgt->sgl[2].flags & PDMA_SG_BUS_ADDR));
	CHECK(sgt->sgl[2].dma_addr != e.bar_c.cpu_addr + 12288);
	CHECK_EQ_INT(pdma_dma_mapped_bytes(e.d), 3 * 4096 + 4096);

	/* B's DMA engine really reaches all three. */
	for (int i = 0; i < 512; i++)
		buf[i] = (char)(i ^ 0x5a);
	for (int i = 0; i < 3; i++) {
		size_t n = sgt->sgl[i].len < 512 ? sgt->sgl[i].len : 512;

		CHECK_EQ_INT(pdma_fabric_dma(e.plat, e.b, sgt->sgl[i].dma_addr,
					     buf, n, PDMA_DMA_WRITE), 0);
		CHECK_EQ_INT(pdma_fabric_dma(e.plat, e.b, sgt->sgl[i].dma_addr,
					     back, n, PDMA_DMA_READ), 0);
		CHECK(!memcmp(buf, back, n));
	}
	CHECK(!memcmp((char *)e.bar_c.mem + 12288, buf, 300));
	/* Another device cannot use B's IOVAs: they are not in its domain. */
	CHECK_EQ_INT(pdma_fabric_dma(e.plat, e.c, sgt->sgl[0].dma_addr, buf, 64,
				     PDMA_DMA_WRITE), -EFAULT);

	sgt_dma0 = sgt->sgl[0].dma_addr;
	pdma_dma_unmap(e.d, sgt);
	CHECK_EQ_INT(pdma_dma_mapped_bytes(e.d), 0);
	/* Every IOVA range is back: free in the tree, or in a cache. */
	pdma_iova_get_stats(iovad, &st1);
	CHECK_EQ_INT(st1.ranges - st1.cached, st0.ranges - st0.cached);
	CHECK(st1.cached >= st0.cached);
	/* Unmapped: the same IOVA now faults. */
	CHECK_EQ_INT(pdma_fabric_dma(e.plat, e.b, sgt_dma0, buf, 64,
				     PDMA_DMA_WRITE), -EFAULT);
	pdma_dma_unmap(e.d, NULL);
	teardown(&e);
}

/* Read-only and write-only mappings carry their permission. */
static void test_direction(void)
{
	struct pdma_sgt *sgt;
	struct env e;
	char buf[64] = { 0 };

	setup(&e, true);
	REQUIRE(pdma_dma_map(e.d, e.b,
			     &(struct pdma_phys_range){ e.ram, 4096 }, 1,
			     PDMA_TO_DEVICE, &sgt) == 0);
	CHECK_EQ_INT(pdma_fabric_dma(e.plat, e.b, sgt->sgl[0].dma_addr, buf, 64,
				     PDMA_DMA_READ), 0);
	CHECK_EQ_INT(pdma_fabric_dma(e.plat, e.b, sgt->sgl[0].dma_addr, buf, 64,
				     PDMA_DMA_WRITE), -EFAULT);
	pdma_dma_unmap(e.d, sgt);
	REQUIRE(pdma_dma_map(e.d, e.b,
			     &(struct pdma_phys_range){ e.ram, 4096 }, 1,
			     PDMA_FROM_DEVICE, &sgt) == 0);
	CHECK_EQ_INT(pdma_fabric_dma(e.plat, e.b, sgt->sgl[0].dma_addr, buf, 64,
				     PDMA_DMA_WRITE), 0);
	CHECK_EQ_INT(pdma_fabric_dma(e.plat, e.b, sgt->sgl[0].dma_addr, buf, 64,
				     PDMA_DMA_READ), -EFAULT);
	pdma_dma_unmap(e.d, sgt);
	teardown(&e);
}

static void test_errors(void)
{
	struct pdma_phys_range ok = { 0, 4096 }, r[2];
	struct pdma_sgt *sgt = (void *)1;
	struct env e;

	setup(&e, true);
	ok.phys = e.ram;
	CHECK_EQ_INT(pdma_dma_map(e.d, -1, &ok, 1, PDMA_BIDIRECTIONAL, &sgt),
		     -EINVAL);
	CHECK(sgt == NULL);
	CHECK_EQ_INT(pdma_dma_map(e.d, 999, &ok, 1, PDMA_BIDIRECTIONAL, &sgt),
		     -EINVAL);
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, NULL, 1, PDMA_BIDIRECTIONAL, &sgt),
		     -EINVAL);
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, &ok, 0, PDMA_BIDIRECTIONAL, &sgt),
		     -EINVAL);
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, &ok, 1, 7, &sgt), -EINVAL);
	/* Zero length, wrap-around, nowhere, across the end of RAM or a BAR. */
	r[0] = (struct pdma_phys_range){ e.ram, 0 };
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, r, 1, PDMA_BIDIRECTIONAL, &sgt),
		     -EINVAL);
	r[0] = (struct pdma_phys_range){ UINT64_MAX - 10, 100 };
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, r, 1, PDMA_BIDIRECTIONAL, &sgt),
		     -EINVAL);
	r[0] = (struct pdma_phys_range){ 0x1000, 4096 };
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, r, 1, PDMA_BIDIRECTIONAL, &sgt),
		     -EINVAL);
	r[0] = (struct pdma_phys_range){ e.bar_a.cpu_addr + e.bar_a.size - 10,
					 100 };
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, r, 1, PDMA_BIDIRECTIONAL, &sgt),
		     -EINVAL);
	/* A blocked domain maps nothing through the root complex. */
	CHECK_EQ_INT(pdma_dma_map(e.d, e.dd, &ok, 1, PDMA_BIDIRECTIONAL, &sgt),
		     -EPERM);
	/* A failure after a good entry leaves nothing mapped. */
	r[0] = (struct pdma_phys_range){ e.ram, 8192 };
	r[1] = (struct pdma_phys_range){ 0x2000, 4096 };
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, r, 2, PDMA_BIDIRECTIONAL, &sgt),
		     -EINVAL);
	CHECK_EQ_INT(pdma_dma_mapped_bytes(e.d), 0);
	teardown(&e);

	/* Intel, host bridge not allowed: C's BAR is NOT_SUPPORTED for B. */
	setup(&e, false);
	r[0] = (struct pdma_phys_range){ e.ram, 4096 };
	r[1] = (struct pdma_phys_range){ e.bar_c.cpu_addr, 4096 };
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, r, 2, PDMA_BIDIRECTIONAL, &sgt),
		     -EREMOTEIO);
	CHECK_EQ_INT(pdma_dma_mapped_bytes(e.d), 0);
	/* ...while A below the same switch is still fine. */
	r[1] = (struct pdma_phys_range){ e.bar_a.cpu_addr, 4096 };
	CHECK_EQ_INT(pdma_dma_map(e.d, e.b, r, 2, PDMA_BIDIRECTIONAL, &sgt), 0);
	pdma_dma_unmap(e.d, sgt);
	teardown(&e);
}

/* Many mappings: small ones use the per-thread caches, big ones the tree;
 * all give back exactly what they took. */
static void test_many(void)
{
	struct pdma_sgt *sgts[64];
	struct env e;

	setup(&e, true);
	for (int i = 0; i < 64; i++) {
		uint64_t len = (uint64_t)(i % 40 + 1) * 4096;

		REQUIRE(pdma_dma_map(e.d, e.b,
				     &(struct pdma_phys_range){ e.ram + (uint64_t)i * 4096, len },
				     1, PDMA_BIDIRECTIONAL, &sgts[i]) == 0);
	}
	for (int i = 0; i < 64; i++)
		for (int j = i + 1; j < 64; j++) {
			uint64_t a = sgts[i]->sgl[0].dma_addr, al = sgts[i]->sgl[0].len;
			uint64_t b = sgts[j]->sgl[0].dma_addr, bl = sgts[j]->sgl[0].len;

			CHECK(a + al <= b || b + bl <= a);
		}
	for (int i = 63; i >= 0; i--)
		pdma_dma_unmap(e.d, sgts[i]);
	teardown(&e);
}

int main(void)
{
	test_mixed();
	test_direction();
	test_errors();
	test_many();
	return harness_exit();
}
