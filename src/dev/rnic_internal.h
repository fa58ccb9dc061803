/* SPDX-License-Identifier: MIT */
/*
 * Private to the RDMA NIC: NICs, memory regions, the wire.
 *
 * Locks: a dma-buf MR's mapping (sgt, valid) is protected by the buffer's
 * reservation lock; nic->lock protects the MR table only and is never held
 * with a reservation lock.  MRs are refcounted: a work request holds its
 * two MRs from the key lookup to its completion.
 */
#ifndef PDMA_DEV_RNIC_INTERNAL_H
#define PDMA_DEV_RNIC_INTERNAL_H

#include <pthread.h>

#include <peerdma/rnic.h>

#ifndef PDMA_INTERNAL
#define PDMA_INTERNAL __attribute__((visibility("hidden")))
#endif

struct pdma_wire {
	double gbps;				/* immutable */
	pthread_mutex_t lock;
	struct pdma_wire_stats st;		/* lock */
};

struct pdma_rnic {
	struct pdma_platform *plat;		/* immutable */
	struct pdma_dma *dma;			/* immutable */
	int func;				/* immutable */
	struct pdma_rnic *peer;			/* set by connect */
	struct pdma_wire *wire;			/* set by connect */
	pthread_mutex_t lock;
	struct pdma_rnic_mr **mrs;		/* lock */
	int cap;				/* lock */
	struct pdma_rnic_stats st;		/* atomic */
};

enum mr_kind {
	MR_PHYS = 1,
	MR_DMABUF,
};

struct pdma_rnic_mr {
	struct pdma_rnic *nic;			/* immutable */
	enum mr_kind kind;			/* immutable */
	unsigned access;			/* immutable */
	uint64_t len;				/* immutable */
	uint32_t key;				/* immutable */
	int refs;				/* atomic */
	bool pinned;				/* immutable */
	struct pdma_p2pmem_block *blk;		/* immutable */
	struct pdma_dmabuf *buf;		/* immutable */
	struct pdma_dmabuf_attachment *a;	/* immutable */
	/* MR_PHYS: immutable; MR_DMABUF: resv lock */
	struct pdma_sgt *sgt;
	bool valid;
};

PDMA_INTERNAL struct pdma_rnic_mr *pdma__rnic_mr_lookup(struct pdma_rnic *nic,
							uint32_t key);
PDMA_INTERNAL void pdma__rnic_mr_put(struct pdma_rnic_mr *mr);
PDMA_INTERNAL void pdma__rnic_count(uint64_t *ctr, uint64_t n);

#endif /* PDMA_DEV_RNIC_INTERNAL_H */
