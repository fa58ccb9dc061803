/* SPDX-License-Identifier: MIT */
/*
 * Every error path of the platform's public calls: each returns its errno,
 * says why in one line where it takes a struct pdma_error, and leaves
 * nothing behind.
 */
#include <errno.h>

#include "tb.h"

static struct pdma_fabric *small(uint64_t bar_size, bool finalize)
{
	struct pdma_func_info fi;
	struct tb t;
	int rp;

	tb_init(&t);
	rp = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	fi = tb_info(1, 0, 0);
	fi.class_code = 0x030000;
	fi.parent = rp;
	fi.bars[0] = (struct pdma_bar){ 0, bar_size,
					PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH };
	fi.bars[4] = (struct pdma_bar){ 0, 256, 0 };	/* I/O space */
	tb_add(&t, &fi);
	if (!finalize)
		return t.fab;
	return tb_done(&t);
}

int main(void)
{
	struct pdma_platform_opts o;
	struct pdma_platform *plat = (void *)1;
	struct pdma_fabric *fab;
	struct pdma_error err;
	struct pdma_bar_map bm;
	struct pdma_fault f;
	struct pdma_route r;
	uint64_t a, b, c, d;
	char buf[64] = { 0 };
	int ep, rp;

	/* create: an unfinished fabric, no RAM, a BAR too large to map. */
	fab = small(1 << 20, false);
	CHECK_EQ_INT(pdma_platform_create(fab, NULL, &plat, &err), -EINVAL);
	CHECK(plat == NULL);
	CHECK(strstr(err.msg, "not finalized") != NULL);
	pdma_fabric_destroy(fab);

	fab = small(1 << 20, true);
	pdma_platform_opts_init(&o);
	o.ram_bytes = 0;
	CHECK_EQ_INT(pdma_platform_create(fab, &o, &plat, &err), -EINVAL);
	CHECK(strstr(err.msg, "RAM") != NULL);
	pdma_fabric_destroy(fab);

	fab = small(1ULL << 50, true);
	CHECK_EQ_INT(pdma_platform_create(fab, NULL, &plat, &err), -EINVAL);
	CHECK(strstr(err.msg, "0000:01:00.0") != NULL);
	CHECK(strstr(err.msg, "BAR 0") != NULL);
	pdma_fabric_destroy(fab);

	/* An old, shorter opts struct is accepted (its size says so). */
	fab = small(1 << 20, true);
	pdma_platform_opts_init(&o);
	o.size = offsetof(struct pdma_platform_opts, keep_source_bars);
	o.ram_bytes = 1 << 20;
	REQUIRE(pdma_platform_create(fab, &o, &plat, &err) == 0);
	ep = tb_idx(fab, "01:00.0");
	rp = tb_idx(fab, "00:02.0");

	/* Lookups of what is not there. */
	CHECK_EQ_INT(pdma_platform_bar(plat, ep, 4, &bm), -ENOENT); /* I/O */
	CHECK_EQ_INT(pdma_platform_bar(plat, ep, 6, &bm), -ENOENT);
	CHECK_EQ_INT(pdma_platform_bar(plat, -1, 0, &bm), -ENOENT);
	CHECK_EQ_INT(pdma_platform_bar(plat, 99, 0, &bm), -ENOENT);
	CHECK(pdma_platform_bar_region(plat, ep, 1) == NULL);
	CHECK_EQ_INT(pdma_platform_window(plat, ep, &a, &b, &c, &d), -EINVAL);
	CHECK_EQ_INT(pdma_platform_window(plat, rp, &a, &b, &c, &d), 0);
	CHECK(c < d);	/* the root port's prefetchable window holds the BAR */
	CHECK_EQ_INT(pdma_platform_find(plat, 0x10, &ep, &rp, &a), -ENOENT);
	CHECK_EQ_INT(pdma_platform_set_bar_guard(plat, ep, 2, NULL), -ENOENT);
	CHECK_EQ_INT(pdma_platform_fault_get(plat, 0, &f), -ENOENT);
	CHECK_EQ_INT(pdma_platform_fault_get(plat, -1, &f), -ENOENT);
	CHECK_EQ_INT(pdma_platform_link_bytes(plat, 99, PDMA_LINK_UP), 0);
	CHECK_EQ_INT(pdma_platform_link_bytes(plat, ep, 7), 0);
	CHECK_EQ_INT(pdma_platform_bus_offset(plat, 5), 0);

	/* Routing and DMA with bad arguments: -EINVAL, no fault recorded. */
	REQUIRE(pdma_platform_bar(plat, ep, 0, &bm) == 0);
	CHECK_EQ_INT(pdma_platform_resolve(plat, -1, bm.bus_addr, 8, true, &r),
		     -EINVAL);
	CHECK_EQ_INT(pdma_platform_resolve(plat, ep, bm.bus_addr, 0, true, &r),
		     -EINVAL);
	CHECK_EQ_INT(pdma_platform_resolve(plat, ep, UINT64_MAX - 3, 8, true,
					   &r), -EINVAL);
	CHECK_EQ_INT(pdma_fabric_dma(plat, ep, bm.bus_addr, NULL, 8,
				     PDMA_DMA_WRITE), -EINVAL);
	CHECK_EQ_INT(pdma_fabric_dma(plat, ep, bm.bus_addr, buf, 0,
				     PDMA_DMA_WRITE), -EINVAL);
	CHECK_EQ_INT(pdma_fabric_dma(plat, ep, bm.bus_addr, buf, 8, 0), -EINVAL);
	CHECK_EQ_INT(pdma_fabric_dma(plat, 99, bm.bus_addr, buf, 8,
				     PDMA_DMA_WRITE), -EINVAL);
	CHECK_EQ_INT(pdma_fabric_copy(plat, ep, bm.bus_addr, bm.bus_addr, 0),
		     -EINVAL);
	CHECK_EQ_INT(pdma_fabric_copy(plat, -1, bm.bus_addr, bm.bus_addr, 8),
		     -EINVAL);
	CHECK_EQ_INT(pdma_platform_fault_count(plat), 0);

	/* A copy whose source is fine but whose target is not: a fault. */
	CHECK_EQ_INT(pdma_fabric_copy(plat, ep, 0x10, bm.bus_addr, 8),
		     -EREMOTEIO);
	CHECK_EQ_INT(pdma_platform_fault_count(plat), 1);
	REQUIRE(pdma_platform_fault_get(plat, 0, &f) == 0);
	CHECK_EQ_INT(f.status, PDMA_TLP_UNSUPPORTED);
	CHECK(f.write);
	CHECK_EQ_INT(f.addr, 0x10);
	CHECK(strstr(f.text, "unsupported request at 0x10") != NULL);
	/* The fault log is a ring: the newest first, the oldest forgotten. */
	for (int i = 0; i < 300; i++)
		pdma_fabric_dma(plat, ep, 0x1000 + (uint64_t)i, buf, 1,
				PDMA_DMA_READ);
	CHECK_EQ_INT(pdma_platform_fault_count(plat), 301);
	REQUIRE(pdma_platform_fault_get(plat, 0, &f) == 0);
	CHECK_EQ_INT(f.addr, 0x1000 + 299);
	REQUIRE(pdma_platform_fault_get(plat, 255, &f) == 0);
	CHECK_EQ_INT(f.addr, 0x1000 + 299 - 255);
	CHECK_EQ_INT(pdma_platform_fault_get(plat, 256, &f), -ENOENT);
	pdma_platform_reset_stats(plat);
	CHECK_EQ_INT(pdma_platform_fault_count(plat), 0);
	CHECK_EQ_INT(pdma_platform_fault_get(plat, 0, &f), -ENOENT);
	CHECK_STR(pdma_tlp_status_name(PDMA_TLP_IOMMU_FAULT), "IOMMU fault");
	CHECK_STR(pdma_tlp_status_name(99), "?");

	pdma_platform_destroy(plat);
	pdma_platform_destroy(NULL);
	pdma_fabric_destroy(fab);
	return harness_exit();
}
