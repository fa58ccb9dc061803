/* SPDX-License-Identifier: MIT */
#ifndef PDMA_DMA_INTERNAL_H
#define PDMA_DMA_INTERNAL_H

#include <stdatomic.h>

#include <peerdma/dma.h>
#include <peerdma/iommu.h>

#include "../fabric/model.h"

struct pdma_dma {
	struct pdma_platform *plat;	/* borrowed, immutable */
	struct pdma_fabric *fab;	/* borrowed, immutable */
	int nr_domains;
	struct pdma_iommu_domain **domains;	/* per group id; immutable */
	struct pdma_iommu_domain **dom_of;	/* per function; immutable */
	_Atomic uint64_t mapped_bytes;
};

/* What one segment took: an IOVA range, or nothing. */
struct pdma_sg_take {
	uint64_t iova_page;	/* first page of the IOVA range, 0 if none */
	uint64_t npages;
	bool fast;		/* from pdma_iova_alloc_fast() */
};

struct pdma_sgt_priv {
	int dev;
	struct pdma_sg_take *take;
};

#endif /* PDMA_DMA_INTERNAL_H */
