/* SPDX-License-Identifier: MIT */
/*
 * Private to src/mem/: the extent allocator behind a p2pmem pool.
 *
 * A pool is a set of chunks (address ranges).  Every byte of every chunk
 * belongs to exactly one extent, free or allocated, and every extent is one
 * node of a treap ordered by address.  Each node also keeps the largest
 * free length in its subtree, so first-fit is one descent, and the node that
 * holds any address is one search.  Memory for bookkeeping is one node per
 * extent: proportional to the number of allocations and holes, never to the
 * pool size.
 *
 * Not locked: the pool's owner serialises every call (p2pmem.c holds the
 * provider's lock).
 */
#ifndef PDMA_MEM_EXTENT_H
#define PDMA_MEM_EXTENT_H

#include <stddef.h>
#include <stdint.h>

#ifndef PDMA_INTERNAL
#define PDMA_INTERNAL __attribute__((visibility("hidden")))
#endif

struct pdma__chunk;

enum pdma__ext_state {
	PDMA__EXT_FREE = 0,	/* in the pool */
	PDMA__EXT_LIVE,		/* allocated, not yet freed by its owner */
	PDMA__EXT_FREED,	/* the owner freed it, references remain */
};

struct pdma__extent {
	struct pdma__extent *left, *right;
	uintptr_t start;
	size_t len;
	size_t max_free;	/* largest free len in this subtree */
	struct pdma__chunk *chunk;	/* never merged across chunks */
	uint32_t prio;		/* treap heap order, hash of start */
	uint32_t refs;		/* owner + references; 0 when free */
	uint8_t state;		/* enum pdma__ext_state */
};

struct pdma__extents {
	struct pdma__extent *root;
	size_t nr_free, nr_used;	/* extents of each kind */
	size_t free_bytes;
};

PDMA_INTERNAL void pdma__extents_init(struct pdma__extents *t);

/* Free every node. */
PDMA_INTERNAL void pdma__extents_destroy(struct pdma__extents *t);

/* Add [start, start + len) of @chunk as one free extent: 0 or -ENOMEM. */
PDMA_INTERNAL int pdma__extents_add(struct pdma__extents *t,
				    struct pdma__chunk *chunk,
				    uintptr_t start, size_t len);

/*
 * First fit: the lowest-addressed free extent of at least @len bytes is
 * split, its head becomes the allocation (state LIVE, refs 0).
 * Return: 0, -ENOMEM when nothing fits or a node cannot be allocated.
 */
PDMA_INTERNAL int pdma__extents_alloc(struct pdma__extents *t, size_t len,
				      struct pdma__extent **out);

/* The extent (of any state) that holds @addr, or NULL. */
PDMA_INTERNAL struct pdma__extent *
pdma__extents_find(const struct pdma__extents *t, uintptr_t addr);

/*
 * Return allocated extent @e to the pool, merged with free neighbours of the
 * same chunk; @e may be freed.
 */
PDMA_INTERNAL void pdma__extents_release(struct pdma__extents *t,
					 struct pdma__extent *e);

/* Bytes of bookkeeping: one node per extent. */
static inline size_t pdma__extents_metadata(const struct pdma__extents *t)
{
	return (t->nr_free + t->nr_used) * sizeof(struct pdma__extent);
}

#endif /* PDMA_MEM_EXTENT_H */
