/* SPDX-License-Identifier: MIT */
/*
 * peerdma/dma.h - DMA mapping for the emulated platform.
 *
 * The DMA layer owns one IOMMU domain per IOMMU group of the fabric (of the
 * group's type: translated, identity or blocked; no domain where the fabric
 * has no IOMMU) and installs the platform's translation hook, so every
 * transaction that reaches a root complex is translated by its initiator's
 * domain.
 *
 * pdma_dma_map() maps memory for a device the way the kernel's
 * dma_map_sgtable() does with P2PDMA pages in the list:
 *   - RAM: an IOVA under a translated domain, else the physical address;
 *   - a peer's BAR with map type BUS_ADDR: the PCI bus address, no IOVA,
 *     flagged PDMA_SG_BUS_ADDR;
 *   - THRU_HOST_BRIDGE: mapped like RAM;
 *   - NOT_SUPPORTED: everything mapped so far is undone, -EREMOTEIO.
 * The table carries DMA addresses and lengths only, never CPU pointers:
 * what a dma-buf importer may look at.
 *
 * Thread safety: map and unmap may run from several threads at once; the
 * IOMMU domains serialize their own page tables and allocators.
 */
#ifndef PEERDMA_DMA_H
#define PEERDMA_DMA_H

#include <stdint.h>

#include <peerdma/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pdma_dma;
struct pdma_iommu_domain;

enum pdma_data_dir {
	PDMA_BIDIRECTIONAL = 0,
	PDMA_TO_DEVICE = 1,	/* the device reads the memory */
	PDMA_FROM_DEVICE = 2,	/* the device writes the memory */
};

/* struct pdma_sg.flags */
#define PDMA_SG_BUS_ADDR 0x1u	/* a PCI bus address: untranslated, no IOVA */

/**
 * struct pdma_sg - one segment: a DMA address and a length.  Nothing else.
 */
struct pdma_sg {
	uint64_t dma_addr;
	uint64_t len;
	unsigned flags;
};

struct pdma_sgt_priv;

/**
 * struct pdma_sgt - a mapped scatter-gather table.
 * @nents: segments.
 * @sgl:   the segments.
 * @priv:  what the mapping took (IOVA ranges); for pdma_dma_unmap() only.
 */
struct pdma_sgt {
	int nents;
	struct pdma_sg *sgl;
	struct pdma_sgt_priv *priv;
};

/** struct pdma_phys_range - memory to map, by CPU physical address. */
struct pdma_phys_range {
	uint64_t phys;
	uint64_t len;
};

/**
 * pdma_dma_create() - the DMA layer for @plat: one IOMMU domain per group.
 * @plat: borrowed; must outlive the DMA layer.
 *
 * Return: 0, -ENOMEM.
 */
int pdma_dma_create(struct pdma_platform *plat, struct pdma_dma **out);

/**
 * pdma_dma_destroy() - remove the translation hook and free the domains.
 * Every table must have been unmapped.  @d may be NULL.
 */
void pdma_dma_destroy(struct pdma_dma *d);

/**
 * pdma_dma_domain() - the IOMMU domain of @func's group, NULL when its DMA
 * is not translated by an IOMMU (dma-direct).  Borrowed.
 */
struct pdma_iommu_domain *pdma_dma_domain(const struct pdma_dma *d, int func);

/**
 * pdma_dma_map() - map @n ranges for device @dev.
 * @out: receives a new table; release it with pdma_dma_unmap().
 *
 * Return: 0; -EINVAL for bad arguments or a range that is neither RAM nor
 * inside one BAR; -EREMOTEIO if a peer's memory cannot be reached from
 * @dev (NOT_SUPPORTED); -EPERM if @dev's IOMMU domain blocks DMA; -ENOMEM
 * when IOVA space or memory runs out.  On error nothing stays mapped.
 */
int pdma_dma_map(struct pdma_dma *d, int dev, const struct pdma_phys_range *r,
		 int n, enum pdma_data_dir dir, struct pdma_sgt **out);

/**
 * pdma_dma_unmap() - undo exactly what pdma_dma_map() took and free @sgt.
 * Bus-address segments have nothing to undo.  @sgt may be NULL.
 */
void pdma_dma_unmap(struct pdma_dma *d, struct pdma_sgt *sgt);

/**
 * pdma_dma_mapped_bytes() - IOVA bytes currently mapped by this layer
 * (page granular), for tests and leak checks.
 */
uint64_t pdma_dma_mapped_bytes(const struct pdma_dma *d);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_DMA_H */
