/* SPDX-License-Identifier: MIT */
/*
 * A machine for the GPU and RDMA NIC tests (AMD: the host bridge routes
 * P2P), every endpoint in its own translated IOMMU group:
 *
 *   rp0 00:02.0 ── usp 01:00.0 ─┬─ dsp 02:00.0 ── 03:00.0 GPU  (BAR0 VRAM)
 *                               ├─ dsp 02:01.0 ── 04:00.0 NIC0 (BAR2 1M
 *                               │                 device memory: p2pmem)
 *                               └─ dsp 02:02.0 ── 05:00.0 NIC1
 *   rp1 00:03.0 ── 06:00.0 NIC2
 *
 * NIC0, NIC1 and the GPU are BUS_ADDR peers; NIC2 reaches them
 * THRU_HOST_BRIDGE.  RAM below 32 MiB is handed out by genv_alloc(); the
 * GPU evicts into [32 MiB, 48 MiB).
 */
#ifndef PDMA_TEST_DEV_GPU_ENV_H
#define PDMA_TEST_DEV_GPU_ENV_H

#include <errno.h>

#include <peerdma/gpu.h>

#include "tb.h"

#define GENV_RAM_OFF (32u << 20)
#define GENV_RAM_LEN (16u << 20)

struct genv {
	struct pdma_fabric *fab;
	struct pdma_platform *plat;
	struct pdma_dma *d;
	struct pdma_gpu *gpu;
	int g, nic0, nic1, nic2;
	uint64_t ram_phys, ram_size, bump;
	unsigned char *ram;
};

static inline int genv_ep(struct tb *t, int parent, uint8_t bus, uint32_t cls,
			  int group, int bar, uint64_t size)
{
	struct pdma_func_info fi = tb_info(bus, 0, 0);

	fi.class_code = cls;
	fi.parent = parent;
	fi.iommu_group = group;
	fi.bars[0] = (struct pdma_bar){ 0, 64 << 10, PDMA_BAR_MEM };
	if (bar >= 0)
		fi.bars[bar] = (struct pdma_bar){ 0, size, PDMA_BAR_MEM |
						  PDMA_BAR_64 | PDMA_BAR_PREFETCH };
	return tb_add(t, &fi);
}

/* @vram: the GPU's BAR0 (its visible window); @invisible: VRAM beyond. */
static inline void genv_setup(struct genv *e, uint64_t vram,
			      uint64_t invisible)
{
	struct pdma_gpu_opts go = { 0 };
	struct pdma_error err;
	struct tb t;
	int rp0, rp1, usp, dsp[3];

	memset(e, 0, sizeof(*e));
	tb_init(&t);
	t.pi.cpu_vendor = PDMA_CPU_AMD;
	t.pi.cpu_family = 0x19;
	t.pi.iommu = true;
	tb_ep(&t, PDMA_NONE, 0, 0, 0, 0x060000);
	rp0 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	usp = tb_port(&t, PDMA_PCIE_UPSTREAM, rp0, 1, 0, 0, 2);
	for (int i = 0; i < 3; i++)
		dsp[i] = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, i, 0, 3 + i);
	rp1 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 3, 0, 6);
	{
		struct pdma_func_info fi = tb_info(3, 0, 0);

		fi.class_code = 0x030000;
		fi.parent = dsp[0];
		fi.iommu_group = 1;
		fi.bars[0] = (struct pdma_bar){ 0, vram, PDMA_BAR_MEM |
						PDMA_BAR_64 | PDMA_BAR_PREFETCH };
		tb_add(&t, &fi);
	}
	genv_ep(&t, dsp[1], 4, 0x020000, 2, 2, 1 << 20);
	genv_ep(&t, dsp[2], 5, 0x020000, 3, -1, 0);
	genv_ep(&t, rp1, 6, 0x020000, 4, -1, 0);
	for (int g = 1; g <= 4; g++)
		REQUIRE(pdma_fabric_set_iommu_group_type(t.fab, g,
							 PDMA_IOMMU_DMA) == 0);
	e->fab = tb_done(&t);
	REQUIRE(pdma_platform_create(e->fab, NULL, &e->plat, &err) == 0);
	REQUIRE(pdma_dma_create(e->plat, &e->d) == 0);
	e->g = tb_idx(e->fab, "03:00.0");
	e->nic0 = tb_idx(e->fab, "04:00.0");
	e->nic1 = tb_idx(e->fab, "05:00.0");
	e->nic2 = tb_idx(e->fab, "06:00.0");
	pdma_platform_ram(e->plat, &e->ram_phys, &e->ram_size,
			  (void **)&e->ram, NULL);
	go.func = e->g;
	go.bar = 0;
	go.ram_off = GENV_RAM_OFF;
	go.ram_len = GENV_RAM_LEN;
	go.invisible_bytes = invisible;
	REQUIRE(pdma_gpu_create(e->plat, e->d, &go, &e->gpu) == 0);
}

/* Page-aligned RAM: CPU pointer, *@phys its physical address. */
static inline void *genv_alloc(struct genv *e, size_t len, uint64_t *phys)
{
	uint64_t off = e->bump;

	e->bump += (len + 4095) & ~(uint64_t)4095;
	REQUIRE(e->bump <= GENV_RAM_OFF);
	*phys = e->ram_phys + off;
	memset(e->ram + off, 0, len);
	return e->ram + off;
}

static inline void genv_teardown(struct genv *e)
{
	pdma_gpu_destroy(e->gpu);
	CHECK_EQ_INT(pdma_dma_mapped_bytes(e->d), 0);
	pdma_dma_destroy(e->d);
	pdma_platform_destroy(e->plat);
	pdma_fabric_destroy(e->fab);
}

static inline void pattern(unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 13 + seed + (i >> 12));
}

static inline bool is_pattern(const unsigned char *p, size_t len,
			      unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)(i * 13 + seed + (i >> 12)))
			return false;
	return true;
}

#endif /* PDMA_TEST_DEV_GPU_ENV_H */
