/* SPDX-License-Identifier: MIT */
/*
 * Shared by the device tests: a machine with NVMe controllers, a GPU-like
 * BAR and an accelerator, host memory in its RAM, and a host-side driver
 * for NVMe queue pairs.
 *
 *   rp 00:02.0 ── usp 01:00.0 ─┬─ dsp 02:00.0 ── 03:00.0 NVMe A (BAR2 1M CMB)
 *                              ├─ dsp 02:01.0 ── 04:00.0 NVMe B (BAR2 1M CMB)
 *                              ├─ dsp 02:02.0 ── 05:00.0 GPU    (BAR0 4M)
 *                              └─ dsp 02:03.0 ── 08:00.0 accel
 *   rp 00:03.0 ── 06:00.0 NVMe C
 *
 * Intel CPU, host bridge not on the allow-list: peers below the switch are
 * BUS_ADDR, a peer across root ports is NOT_SUPPORTED.  Every endpoint has
 * its own IOMMU group with a translated domain, so RAM is reached by IOVA.
 */
#ifndef PDMA_TEST_DEV_ENV_H
#define PDMA_TEST_DEV_ENV_H

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <peerdma/accel.h>
#include <peerdma/nvme.h>

#include "tb.h"

struct denv {
	struct pdma_fabric *fab;
	struct pdma_platform *plat;
	struct pdma_dma *d;
	int a, b, gpu, c, acc;
	uint64_t ram_phys, ram_size, bump;
	unsigned char *ram;
	struct pdma_sgt *maps[128];
	int nr_maps;
	char paths[8][64];
	int nr_paths;
};

static inline int denv_ep(struct tb *t, int parent, uint8_t bus, uint32_t cls,
			  int group, int bar, uint64_t size)
{
	struct pdma_func_info fi = tb_info(bus, 0, 0);

	fi.class_code = cls;
	fi.parent = parent;
	fi.iommu_group = group;
	fi.bars[0] = (struct pdma_bar){ 0, 16 << 10, PDMA_BAR_MEM };
	if (bar >= 0)
		fi.bars[bar] = (struct pdma_bar){ 0, size, PDMA_BAR_MEM |
						  PDMA_BAR_64 | PDMA_BAR_PREFETCH };
	return tb_add(t, &fi);
}

static inline void denv_setup(struct denv *e)
{
	struct pdma_error err;
	struct tb t;
	int rp0, rp1, usp, dsp[4];

	memset(e, 0, sizeof(*e));
	tb_init(&t);
	t.pi.iommu = true;
	tb_ep(&t, PDMA_NONE, 0, 0, 0, 0x060000);
	rp0 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	usp = tb_port(&t, PDMA_PCIE_UPSTREAM, rp0, 1, 0, 0, 2);
	for (int i = 0; i < 4; i++)
		dsp[i] = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, i, 0,
				 i == 3 ? 8 : 3 + i);
	rp1 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 3, 0, 6);
	denv_ep(&t, dsp[0], 3, 0x010802, 1, 2, 1 << 20);
	denv_ep(&t, dsp[1], 4, 0x010802, 2, 2, 1 << 20);
	denv_ep(&t, dsp[2], 5, 0x030200, 3, 2, 4 << 20);
	denv_ep(&t, rp1, 6, 0x010802, 4, -1, 0);
	denv_ep(&t, dsp[3], 8, 0x120000, 5, -1, 0);
	for (int g = 1; g <= 5; g++)
		REQUIRE(pdma_fabric_set_iommu_group_type(t.fab, g,
							 PDMA_IOMMU_DMA) == 0);
	e->fab = tb_done(&t);
	REQUIRE(pdma_platform_create(e->fab, NULL, &e->plat, &err) == 0);
	REQUIRE(pdma_dma_create(e->plat, &e->d) == 0);
	e->a = tb_idx(e->fab, "03:00.0");
	e->b = tb_idx(e->fab, "04:00.0");
	e->gpu = tb_idx(e->fab, "05:00.0");
	e->c = tb_idx(e->fab, "06:00.0");
	e->acc = tb_idx(e->fab, "08:00.0");
	pdma_platform_ram(e->plat, &e->ram_phys, &e->ram_size,
			  (void **)&e->ram, NULL);
}

/* Page-aligned host memory in RAM: CPU pointer, *@phys its address. */
static inline void *denv_alloc(struct denv *e, size_t len, uint64_t *phys)
{
	uint64_t off = e->bump;

	e->bump += (len + 4095) & ~(uint64_t)4095;
	REQUIRE(e->bump <= e->ram_size);
	*phys = e->ram_phys + off;
	memset(e->ram + off, 0, len);
	return e->ram + off;
}

/* Map [phys, phys + len) for @dev; the one DMA address. */
static inline uint64_t denv_map(struct denv *e, int dev, uint64_t phys,
				uint64_t len)
{
	struct pdma_phys_range r = { phys, len };
	struct pdma_sgt *sgt;

	REQUIRE(e->nr_maps < 128);
	REQUIRE(pdma_dma_map(e->d, dev, &r, 1, PDMA_BIDIRECTIONAL, &sgt) == 0);
	REQUIRE(sgt->nents == 1);
	e->maps[e->nr_maps++] = sgt;
	return sgt->sgl[0].dma_addr;
}

/* Host memory mapped for @dev: CPU pointer and *@dma. */
static inline void *denv_dma_alloc(struct denv *e, int dev, size_t len,
				   uint64_t *dma)
{
	uint64_t phys;
	void *p = denv_alloc(e, len, &phys);

	*dma = denv_map(e, dev, phys, len);
	return p;
}

/* A file of @size bytes for a namespace, removed at teardown. */
static inline const char *denv_file(struct denv *e, size_t size)
{
	char *path = e->paths[e->nr_paths++];
	int fd;

	snprintf(path, 64, "/tmp/pdma-dev-XXXXXX");
	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, (off_t)size) == 0);
	close(fd);
	return path;
}

static inline void denv_teardown(struct denv *e)
{
	for (int i = 0; i < e->nr_maps; i++)
		pdma_dma_unmap(e->d, e->maps[i]);
	CHECK_EQ_INT(pdma_dma_mapped_bytes(e->d), 0);
	for (int i = 0; i < e->nr_paths; i++)
		unlink(e->paths[i]);
	pdma_dma_destroy(e->d);
	pdma_platform_destroy(e->plat);
	pdma_fabric_destroy(e->fab);
}

/* ---- a host-side NVMe queue pair -------------------------------------- */

struct hq {
	struct pdma_nvme *ctrl;
	uint16_t qid;
	uint32_t entries, sq_tail, cq_head;
	bool phase;
	struct pdma_nvme_cmd *sq;
	struct pdma_nvme_cqe *cq;
};

static inline void hq_create(struct denv *e, struct hq *h,
			     struct pdma_nvme *ctrl, int dev, uint16_t qid,
			     uint32_t entries)
{
	uint64_t sq_dma, cq_dma;

	memset(h, 0, sizeof(*h));
	h->ctrl = ctrl;
	h->qid = qid;
	h->entries = entries;
	h->phase = true;
	h->sq = denv_dma_alloc(e, dev, entries * 64, &sq_dma);
	h->cq = denv_dma_alloc(e, dev, entries * 16, &cq_dma);
	REQUIRE(pdma_nvme_create_queue(ctrl, qid, sq_dma, cq_dma, entries) == 0);
}

/* Put @cmd in the SQ and ring; the doorbell's return. */
static inline int hq_submit(struct hq *h, const struct pdma_nvme_cmd *cmd)
{
	h->sq[h->sq_tail] = *cmd;
	h->sq_tail = (h->sq_tail + 1) % h->entries;
	return pdma_nvme_ring_sq(h->ctrl, h->qid, h->sq_tail);
}

/* Take the next completion if its phase says it is new (no doorbell). */
static inline bool hq_peek(struct hq *h, struct pdma_nvme_cqe *out)
{
	struct pdma_nvme_cqe *c = &h->cq[h->cq_head];

	if (PDMA_NVME_CQE_PHASE(c->status) != h->phase)
		return false;
	*out = *c;
	if (++h->cq_head == h->entries) {
		h->cq_head = 0;
		h->phase = !h->phase;
	}
	return true;
}

/* Take the next completion and ring the CQ head; the status code or -1. */
static inline int hq_reap(struct hq *h, struct pdma_nvme_cqe *out)
{
	struct pdma_nvme_cqe c;

	if (!hq_peek(h, &c))
		return -1;
	CHECK_EQ_INT(pdma_nvme_ring_cq(h->ctrl, h->qid, h->cq_head), 0);
	if (out)
		*out = c;
	return (int)PDMA_NVME_CQE_SC(c.status);
}

static inline struct pdma_nvme_cmd nvme_rw(uint8_t op, uint16_t cid,
					   uint64_t slba, uint32_t nlb,
					   uint64_t prp1, uint64_t prp2)
{
	struct pdma_nvme_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = op;
	c.cid = cid;
	c.nsid = 1;
	c.prp1 = prp1;
	c.prp2 = prp2;
	c.cdw10 = (uint32_t)slba;
	c.cdw11 = (uint32_t)(slba >> 32);
	c.cdw12 = nlb - 1;
	return c;
}

/* Submit one command and return its status code (-1: no completion). */
static inline int hq_run(struct hq *h, const struct pdma_nvme_cmd *cmd)
{
	struct pdma_nvme_cqe c;
	int sc;

	CHECK_EQ_INT(hq_submit(h, cmd), 0);
	sc = hq_reap(h, &c);
	if (sc >= 0)
		CHECK_EQ_INT(c.cid, cmd->cid);
	return sc;
}

#endif /* PDMA_TEST_DEV_ENV_H */
