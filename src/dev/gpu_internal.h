/* SPDX-License-Identifier: MIT */
/*
 * Private to the GPU: the card and its buffer objects.
 *
 * Locks, outermost first: bo->mu (a BO's placement between invisible VRAM
 * and a dma-buf), the BOs' reservation locks (the dma-buf's), gpu->lock
 * (the LRU list, references, invisible VRAM allocator, counters).
 */
#ifndef PDMA_DEV_GPU_INTERNAL_H
#define PDMA_DEV_GPU_INTERNAL_H

#include <pthread.h>

#include <peerdma/gpu.h>

#include "../buf/exporter.h"

struct pdma_gpu {
	struct pdma_platform *plat;		/* immutable */
	struct pdma_dma *dma;			/* immutable */
	int func;				/* immutable */
	struct pdma_dmabuf_exporter *x;		/* immutable */
	unsigned char *inv_mem;			/* immutable */
	struct pdma_fence_lock fence_lock;
	uint64_t fence_ctx;			/* immutable */
	pthread_mutex_t lock;
	struct pdma__ralloc inv;		/* lock */
	struct pdma_gpu_bo *lru_head, *lru_tail; /* lock; head: coldest */
	uint64_t seqno;				/* lock */
	struct pdma_gpu_stats st;		/* lock */
	int nr_bos;				/* lock */
};

struct pdma_gpu_bo {
	struct pdma_gpu *gpu;			/* immutable */
	uint64_t size;				/* immutable */
	pthread_mutex_t mu;
	/* bo->mu: invisible until buf is set (once, never cleared) */
	bool invisible;
	uint64_t inv_off;
	struct pdma_dmabuf *buf;
	/* the GPU's own dynamic attachment: copy engine and pins */
	struct pdma_dmabuf_attachment *self;
	/* gpu->lock */
	int refs;
	bool on_lru;
	struct pdma_gpu_bo *prev, *next;
};

PDMA_INTERNAL void pdma__gpu_touch(struct pdma_gpu_bo *bo);
/* A VRAM buffer of @size for @gpu, evicting others when full. */
PDMA_INTERNAL int pdma__gpu_alloc_visible(struct pdma_gpu *gpu, uint64_t size,
					  struct pdma_dmabuf **out);

#endif /* PDMA_DEV_GPU_INTERNAL_H */
