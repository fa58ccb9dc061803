/* SPDX-License-Identifier: MIT */
/*
 * Private to src/buf: one buffer of the reference exporter.
 */
#ifndef PDMA_BUF_EXPORTER_OBJ_H
#define PDMA_BUF_EXPORTER_OBJ_H

#include "exporter.h"

struct pdma__xbuf {
	struct pdma_dmabuf_exporter *x;		/* immutable */
	struct pdma_dmabuf *buf;		/* immutable */
	uint64_t size;				/* immutable, page multiple */
	uint64_t fence_ctx;			/* immutable: copy fences */
	struct pdma_fence_lock fence_lock;
	/* resv lock for writers; atomic loads for pdma_dmabuf_exporter_where */
	int where;			/* enum pdma_dmabuf_placement */
	uint64_t off;			/* in the BAR or in RAM */
	bool revoked;
	int pins;			/* pins and vmaps */
	uint64_t moves;
	uint64_t seqno;			/* last copy fence */
};

PDMA_INTERNAL extern const struct pdma_dmabuf_ops pdma__xbuf_ops;

/* CPU pointer and physical address of placement (@where, @off). */
PDMA_INTERNAL char *pdma__xbuf_ptr(struct pdma__xbuf *xb, int where,
				   uint64_t off);
PDMA_INTERNAL uint64_t pdma__xbuf_phys(struct pdma__xbuf *xb, int where,
				       uint64_t off);
PDMA_INTERNAL int pdma__xbuf_alloc_mem(struct pdma__xbuf *xb, int where,
				       uint64_t *off);
/* Poison and free memory at (@where, @off). */
PDMA_INTERNAL void pdma__xbuf_free_mem(struct pdma__xbuf *xb, int where,
				       uint64_t off);

#endif /* PDMA_BUF_EXPORTER_OBJ_H */
