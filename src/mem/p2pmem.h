/* SPDX-License-Identifier: MIT */
/*
 * Private to src/mem/: a p2pmem provider and the chunks of its pool.
 *
 * Locking: prov->lock (a leaf: nothing else is locked under it, and the
 * verdict layer is only called without it) protects every field marked
 * "lock" and the extent tree, including each extent's refs and state.
 * prov->drained is signalled when the last allocation goes back to the pool
 * and when the pool is torn down.
 */
#ifndef PDMA_MEM_P2PMEM_H
#define PDMA_MEM_P2PMEM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <peerdma/mem.h>

#include "extent.h"

/* One add_resource() range: immutable once added, freed with the pool. */
struct pdma__chunk {
	struct pdma_p2pmem_provider *prov;
	int bar;
	uintptr_t va;		/* where it is mapped in this process */
	size_t len;
	uint64_t offset;	/* in the BAR */
	uint64_t cpu_addr;	/* emulated CPU physical address of va */
	uint64_t bus_addr;	/* bus address of va */
};

enum pdma__prov_state {
	PDMA__PROV_LIVE = 0,
	PDMA__PROV_REVOKED,	/* remove() waits for the last user */
	PDMA__PROV_GONE,	/* the pool is freed */
};

#define PDMA__NR_BARS	6
/* pci_p2pmem_find_many() keeps PAGE_SIZE / sizeof(void *) ties. */
#define PDMA__MAX_TIES	512

struct pdma_p2pmem_provider {
	atomic_int kref;	/* owner, find_many callers, one per extent
				 * in use */
	struct pdma_fabric *fab;	/* immutable, borrowed */
	int func;			/* immutable */

	pthread_mutex_t lock;
	pthread_cond_t drained;
	atomic_int state;	/* enum pdma__prov_state; written under lock,
				 * read without it by block_revoked() */
	bool published;					/* lock */
	bool bar_set[PDMA__NR_BARS];			/* lock */
	struct pdma_p2pmem_bar bars[PDMA__NR_BARS];	/* lock */
	int nr_chunks, cap_chunks;			/* lock */
	struct pdma__chunk **chunks;			/* lock */
	uint64_t pool_size;				/* lock */
	struct pdma__extents ext;			/* lock */
};

#endif /* PDMA_MEM_P2PMEM_H */
