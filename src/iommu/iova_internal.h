/* SPDX-License-Identifier: MIT */
/*
 * The IOVA allocator's insides, shared by iova.c (the tree), iova_rcache.c
 * (the magazine caches) and the tests.
 *
 * Locks, outermost first (a call may take a later one while holding an
 * earlier one, never the other way round):
 *
 *   pdma__iova_registry_lock (global, iova_rcache.c)
 *	every domain's list of thread caches (->tcaches, ->nr_threads,
 *	->exited_hits/misses), every thread's list of its caches, and the
 *	existence of a struct pdma__iova_tcache: only its holder may create or
 *	free one.
 *   tcache->lock (a spinlock; one per thread and domain)
 *	that thread's loaded and prev magazines and its hit/miss counters.
 *	Taken by the owning thread on every fast call, and by other threads
 *	only to flush or read statistics (under the registry lock).
 *   iovad->depot[class].lock
 *	one size class's depot of full magazines.
 *   iovad->lock (the tree lock; the kernel's iova_rbtree_lock)
 *	the tree, the cached nodes, max32_alloc_size, the range counters and
 *	the PDMA__IOVA_CACHED marks.
 */
#ifndef PDMA_IOMMU_IOVA_INTERNAL_H
#define PDMA_IOMMU_IOVA_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <peerdma/iommu.h>

#include "rbtree.h"

/* An allocated or reserved range [pfn_lo, pfn_hi]; a node of the tree. */
struct pdma__iova {
	struct pdma__rb_node node;
	uint64_t pfn_lo;
	uint64_t pfn_hi;
	unsigned int flags;
};
#define PDMA__IOVA_RESERVED	0x1u	/* from pdma_iova_reserve() */
#define PDMA__IOVA_CACHED	0x2u	/* in a magazine (CHECK_FREE only) */

#define PDMA__IOVA_ANCHOR	UINT64_MAX

/* A magazine: up to PDMA_IOVA_MAG_SIZE PFNs of one size class; 1 KiB. */
struct pdma__iova_mag {
	union {
		uint64_t size;			/* while loaded or prev */
		struct pdma__iova_mag *next;	/* while in the depot (full) */
	};
	uint64_t pfns[PDMA_IOVA_MAG_SIZE];
};

/* Doubly linked list node/head (circular). */
struct pdma__list {
	struct pdma__list *next;
	struct pdma__list *prev;
};

/*
 * One thread's cache for one domain: the kernel's per-CPU iova_cpu_rcache.
 * @lock is a spinlock, as in the kernel: its owner takes it on every fast
 * call and almost never finds it held; nobody holds it for long (a flush
 * copies the PFNs out and frees them to the tree after dropping it).
 */
struct pdma__iova_tcache {
	pthread_spinlock_t lock;
	struct {
		struct pdma__iova_mag *loaded;	/* protected by lock */
		struct pdma__iova_mag *prev;	/* protected by lock */
	} cls[PDMA_IOVA_RCACHE_CLASSES];
	uint64_t hits;				/* protected by lock */
	uint64_t misses;			/* protected by lock */
	struct pdma_iova_domain *iovad;		/* immutable */
	uint64_t domain_id;			/* immutable */
	struct pdma__list dom_link;		/* registry lock */
	struct pdma__list thr_link;		/* registry lock */
};

/* A size class's depot: full magazines, unbounded until trimmed. */
struct pdma__iova_depot {
	pthread_mutex_t lock;
	struct pdma__iova_mag *head;		/* protected by lock */
	unsigned int size;			/* protected by lock */
};

struct pdma_iova_domain {
	pthread_mutex_t lock;
	struct pdma__rb_root root;		/* protected by lock */
	struct pdma__rb_node *cached_node;	/* lock: limits above 4 GiB */
	struct pdma__rb_node *cached32_node;	/* lock: limits up to 4 GiB */
	uint64_t max32_alloc_size;		/* lock: fail-fast size */
	uint64_t nr_ranges;			/* lock: allocated ranges */
	uint64_t nr_reserved;			/* lock: reserved ranges */
	struct pdma__iova anchor;		/* lock; the node at ~0 */

	uint64_t granule;			/* immutable */
	unsigned int shift;			/* immutable: log2(granule) */
	uint64_t start_pfn;			/* immutable */
	uint64_t dma_32bit_pfn;			/* immutable: 4 GiB in PFNs */
	uint64_t max_pfn;			/* immutable: highest usable */
	unsigned int flags;			/* immutable */
	uint64_t id;				/* immutable, never reused */

	struct pdma__iova_depot depot[PDMA_IOVA_RCACHE_CLASSES];
	struct pdma__list tcaches;		/* registry lock */
	unsigned int nr_threads;		/* registry lock */
	uint64_t exited_hits;			/* registry lock */
	uint64_t exited_misses;			/* registry lock */
};

/* iova.c */

/* Free the range containing @pfn, cached or not; iovad->lock held. */
PDMA_INTERNAL int pdma__iova_free_locked(struct pdma_iova_domain *iovad,
					 uint64_t pfn);
/*
 * CHECK_FREE: mark the range starting at @pfn with @size granules as cached.
 * Return: 0, or -ENOENT if there is no such uncached allocated range.
 */
PDMA_INTERNAL int pdma__iova_mark_cached(struct pdma_iova_domain *iovad,
					 uint64_t pfn, uint64_t size);
/* CHECK_FREE: clear the mark; -ENOENT if @pfn does not start a cached range. */
PDMA_INTERNAL int pdma__iova_unmark_cached(struct pdma_iova_domain *iovad,
					   uint64_t pfn);
/*
 * Check the tree: red-black shape, ranges sorted and disjoint, the anchor
 * last, the counters right.  For tests.  Return: 0, or -1 if broken.
 */
PDMA_INTERNAL int pdma__iova_check(struct pdma_iova_domain *iovad);

/* iova_rcache.c */
PDMA_INTERNAL int pdma__iova_rcache_init(struct pdma_iova_domain *iovad);
/* Free every thread's cache and the depots (not their PFNs: the tree goes). */
PDMA_INTERNAL void pdma__iova_rcache_destroy(struct pdma_iova_domain *iovad);
/* Add the cache statistics of @iovad to @st. */
PDMA_INTERNAL void pdma__iova_rcache_stats(struct pdma_iova_domain *iovad,
					   struct pdma_iova_stats *st);

#endif /* PDMA_IOMMU_IOVA_INTERNAL_H */
