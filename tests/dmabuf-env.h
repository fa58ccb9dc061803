/* SPDX-License-Identifier: MIT */
/*
 * A machine for the dma-buf tests:
 *
 *   rp0 00:02.0 ── usp 01:00.0 ─┬─ dsp 02:00.0 ── 03:00.0 GPU  (BAR0 4M VRAM) grp 1
 *                               ├─ dsp 02:01.0 ── 04:00.0 NIC  (BAR0 64K)     grp 2
 *                               └─ dsp 02:02.0 ── 05:00.0 GPU2 (BAR0 4M VRAM) grp 5
 *   rp1 00:03.0 ── 06:00.0 NVMe (BAR0 64K)                                    grp 3
 *   rp2 00:04.0 ── 07:00.0 accel (no IOMMU: dma-direct)
 *
 * GPU, NIC and GPU2 share a switch: BUS_ADDR between them.  On an AMD Zen
 * CPU the host bridge routes P2P, so NVMe and accel reach the GPUs
 * THRU_HOST_BRIDGE; on the Intel variant that crossing is NOT_SUPPORTED.
 * Groups 1, 2, 3 and 5 are translated by the IOMMU.
 */
#ifndef PDMA_TEST_DMABUF_ENV_H
#define PDMA_TEST_DMABUF_ENV_H

#include <errno.h>

#include <peerdma/dmabuf.h>

#include "tb.h"

struct denv {
	struct pdma_fabric *fab;
	struct pdma_platform *plat;
	struct pdma_dma *d;
	struct pdma_dmabuf_exporter *x, *x2;
	int gpu, nic, gpu2, nvme, accel;
	uint64_t ram_phys;
	char *ram;
};

static inline void denv_dev(struct tb *t, int parent, uint8_t bus, int grp,
			    uint64_t bar0, uint32_t cls)
{
	struct pdma_func_info fi = tb_info(bus, 0, 0);

	fi.class_code = cls;
	fi.parent = parent;
	fi.iommu_group = grp;
	if (bar0)
		fi.bars[0] = (struct pdma_bar){ 0, bar0, PDMA_BAR_MEM |
						PDMA_BAR_64 | PDMA_BAR_PREFETCH };
	tb_add(t, &fi);
}

static inline struct pdma_fabric *denv_build(bool amd)
{
	struct tb t;
	int rp0, usp, d0, d1, d2, rp1, rp2;

	tb_init(&t);
	t.pi.cpu_vendor = amd ? PDMA_CPU_AMD : PDMA_CPU_INTEL;
	t.pi.cpu_family = amd ? 0x19 : 6;
	t.pi.iommu = true;
	tb_ep(&t, PDMA_NONE, 0, 0, 0, 0x060000);
	rp0 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	usp = tb_port(&t, PDMA_PCIE_UPSTREAM, rp0, 1, 0, 0, 2);
	d0 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 0, 0, 3);
	d1 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 0, 4);
	d2 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 2, 0, 5);
	rp1 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 3, 0, 6);
	rp2 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 4, 0, 7);
	denv_dev(&t, d0, 3, 1, 4 << 20, 0x030000);
	denv_dev(&t, d1, 4, 2, 64 << 10, 0x020000);
	denv_dev(&t, d2, 5, 5, 4 << 20, 0x030200);
	denv_dev(&t, rp1, 6, 3, 64 << 10, 0x010802);
	denv_dev(&t, rp2, 7, -1, 0, 0x120000);
	for (int g = 1; g <= 5; g++)
		if (g != 4)
			REQUIRE(pdma_fabric_set_iommu_group_type(
					t.fab, g, PDMA_IOMMU_DMA) == 0);
	return tb_done(&t);
}

static inline void denv_setup(struct denv *e, bool amd)
{
	struct pdma_dmabuf_exporter_opts o = { 0 };
	struct pdma_error err;
	uint64_t ram_size;
	void *ram;

	memset(e, 0, sizeof(*e));
	e->fab = denv_build(amd);
	REQUIRE(pdma_platform_create(e->fab, NULL, &e->plat, &err) == 0);
	REQUIRE(pdma_dma_create(e->plat, &e->d) == 0);
	e->gpu = tb_idx(e->fab, "03:00.0");
	e->nic = tb_idx(e->fab, "04:00.0");
	e->gpu2 = tb_idx(e->fab, "05:00.0");
	e->nvme = tb_idx(e->fab, "06:00.0");
	e->accel = tb_idx(e->fab, "07:00.0");
	pdma_platform_ram(e->plat, &e->ram_phys, &ram_size, &ram, NULL);
	e->ram = ram;
	o.func = e->gpu;
	o.bar = 0;
	o.ram_off = 16 << 20;
	o.ram_len = 8 << 20;
	REQUIRE(pdma_dmabuf_exporter_create(e->plat, e->d, &o, &e->x) == 0);
	o.func = e->gpu2;
	o.ram_off = 24 << 20;
	REQUIRE(pdma_dmabuf_exporter_create(e->plat, e->d, &o, &e->x2) == 0);
}

static inline void denv_teardown(struct denv *e)
{
	pdma_dmabuf_exporter_destroy(e->x);
	pdma_dmabuf_exporter_destroy(e->x2);
	CHECK_EQ_INT(pdma_dma_mapped_bytes(e->d), 0);
	pdma_dma_destroy(e->d);
	pdma_platform_destroy(e->plat);
	pdma_fabric_destroy(e->fab);
}

/*
 * @dev's DMA engine moves @len bytes at offset @off of the mapped buffer
 * (segment by segment, DMA addresses and lengths only).
 */
static inline int denv_dma(struct denv *e, int dev, const struct pdma_sgt *sgt,
			   uint64_t off, void *buf, uint64_t len,
			   enum pdma_dma_dir dir)
{
	const struct pdma_dev eng = { e->plat, NULL, dev };

	return pdma_dev_dma_sg_at(&eng, sgt->sgl, sgt->nents, off, buf, len,
				  dir);
}

#endif /* PDMA_TEST_DMABUF_ENV_H */
