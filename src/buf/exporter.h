/* SPDX-License-Identifier: MIT */
/*
 * Private to src/buf: the reference exporter's allocator and objects.
 */
#ifndef PDMA_BUF_EXPORTER_H
#define PDMA_BUF_EXPORTER_H

#include <pthread.h>

#include <peerdma/platform.h>

#include "buf.h"

/* One allocation: [off, off + len); revoked ones stay until release. */
struct pdma__ext {
	uint64_t off, len;
	bool revoked;
};

/* First-fit over [base, base + len), allocations sorted by offset. */
struct pdma__ralloc {
	uint64_t base, len;
	struct pdma__ext *used;
	int n, cap;
};

PDMA_INTERNAL void pdma__ralloc_init(struct pdma__ralloc *ra, uint64_t base,
				     uint64_t len);
PDMA_INTERNAL void pdma__ralloc_fini(struct pdma__ralloc *ra);
/* 0 and *off, -ENOSPC, -ENOMEM. */
PDMA_INTERNAL int pdma__ralloc_alloc(struct pdma__ralloc *ra, uint64_t len,
				     uint64_t *off);
PDMA_INTERNAL void pdma__ralloc_free(struct pdma__ralloc *ra, uint64_t off);
PDMA_INTERNAL void pdma__ralloc_revoke(struct pdma__ralloc *ra, uint64_t off);
/* Is [off, off + len) inside one live, unrevoked allocation? */
PDMA_INTERNAL bool pdma__ralloc_live(const struct pdma__ralloc *ra,
				     uint64_t off, uint64_t len);

struct pdma_dmabuf_exporter {
	struct pdma_platform *plat;		/* immutable */
	struct pdma_dma *dma;			/* immutable */
	struct pdma_fabric *fab;		/* immutable */
	int func, bar;				/* immutable */
	struct pdma_bar_map bm;			/* immutable */
	char *ram_mem;				/* immutable */
	uint64_t ram_phys;			/* immutable */
	/* VRAM allocations: written with guard_lock held for writing,
	 * read by the BAR guard with it held for reading during DMA. */
	pthread_rwlock_t guard_lock;
	struct pdma__ralloc vram;
	pthread_mutex_t ram_lock;		/* protects @ram */
	struct pdma__ralloc ram;
	int nr_bufs;				/* atomic */
};

#endif /* PDMA_BUF_EXPORTER_H */
