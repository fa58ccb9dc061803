/* SPDX-License-Identifier: MIT */
/*
 * The IOVA allocator's tree, after Linux drivers/iommu/iova.c.
 *
 * Allocated and reserved ranges of PFNs (granules) are nodes of a red-black
 * tree ordered by address.  An anchor node at PFN ~0 sits above everything,
 * so every walk has a node to start from.  Allocation is top-down: starting
 * from a cached node (one for limits up to 4 GiB, one for higher limits),
 * the walk goes to lower addresses until the gap between two neighbours
 * holds the request, aligned down:
 *
 *      start_pfn                                   limit        ~0
 *        |   [A]   gap   [B]   gap    [new][C]       |          [anchor]
 *                                        <---- walk from cached node C
 *
 * When the space below the cached node runs out, the walk restarts once
 * from the exact limit position, covering what lies between the cached
 * node and the limit.  A failed size is remembered (max32_alloc_size) so
 * that 32-bit requests at least that large fail at once, until a range
 * below 4 GiB is freed.  Free ranges are not coalesced: a free just removes
 * a node.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "iova_internal.h"

static struct pdma__iova *to_iova(const struct pdma__rb_node *n)
{
	return pdma__rb_entry(n, struct pdma__iova, node);
}

static unsigned int fls64(uint64_t x)
{
	return x ? 64 - (unsigned int)__builtin_clzll(x) : 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static atomic_uint_fast64_t next_domain_id;

int pdma_iova_domain_create(uint64_t granule, uint64_t start_pfn,
			    unsigned int flags, struct pdma_iova_domain **out)
{
	struct pdma_iova_domain *iovad;
	unsigned int shift;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!granule || (granule & (granule - 1)) || granule > (1ULL << 30))
		return -EINVAL;
	if (flags & ~PDMA_IOVA_CHECK_FREE)
		return -EINVAL;
	shift = (unsigned int)__builtin_ctzll(granule);

	iovad = calloc(1, sizeof(*iovad));
	if (!iovad)
		return -ENOMEM;
	iovad->granule = granule;
	iovad->shift = shift;
	/* The anchor owns PFN ~0: nothing may reach it. */
	iovad->max_pfn = min_u64(UINT64_MAX >> shift, PDMA__IOVA_ANCHOR - 1);
	if (start_pfn > iovad->max_pfn) {
		free(iovad);
		return -EINVAL;
	}
	iovad->start_pfn = start_pfn;
	iovad->dma_32bit_pfn = 1ULL << (32 - shift);
	iovad->max32_alloc_size = iovad->dma_32bit_pfn;
	iovad->flags = flags;
	iovad->id = atomic_fetch_add(&next_domain_id, 1) + 1;

	iovad->anchor.pfn_lo = iovad->anchor.pfn_hi = PDMA__IOVA_ANCHOR;
	pdma__rb_link(&iovad->root, &iovad->anchor.node, NULL,
		      &iovad->root.node);
	iovad->cached_node = &iovad->anchor.node;
	iovad->cached32_node = &iovad->anchor.node;

	ret = pthread_mutex_init(&iovad->lock, NULL);
	if (ret) {
		free(iovad);
		return -ret;
	}
	ret = pdma__iova_rcache_init(iovad);
	if (ret)
		goto err_lock;
	*out = iovad;
	return 0;

err_lock:
	pthread_mutex_destroy(&iovad->lock);
	free(iovad);
	return ret;
}

static void free_subtree(struct pdma_iova_domain *iovad,
			 struct pdma__rb_node *n)
{
	/* Red-black: the depth is at most 2 log2(n), so recursion is fine. */
	if (!n)
		return;
	free_subtree(iovad, n->left);
	free_subtree(iovad, n->right);
	if (n != &iovad->anchor.node)
		free(to_iova(n));
}

void pdma_iova_domain_destroy(struct pdma_iova_domain *iovad)
{
	if (!iovad)
		return;
	pdma__iova_rcache_destroy(iovad);
	free_subtree(iovad, iovad->root.node);
	pthread_mutex_destroy(&iovad->lock);
	free(iovad);
}

uint64_t pdma_iova_granule(const struct pdma_iova_domain *iovad)
{
	return iovad->granule;
}

/* The node where a walk for @limit (exclusive) starts. */
static struct pdma__rb_node *cached_node(struct pdma_iova_domain *iovad,
					 uint64_t limit)
{
	if (limit <= iovad->dma_32bit_pfn)
		return iovad->cached32_node;
	return iovad->cached_node;
}

static void cached_insert_update(struct pdma_iova_domain *iovad,
				 struct pdma__iova *new)
{
	if (new->pfn_hi < iovad->dma_32bit_pfn)
		iovad->cached32_node = &new->node;
	else
		iovad->cached_node = &new->node;
}

/* @free is about to leave the tree: keep the cached nodes valid. */
static void cached_delete_update(struct pdma_iova_domain *iovad,
				 struct pdma__iova *free)
{
	struct pdma__iova *c = to_iova(iovad->cached32_node);

	if (free == c || (free->pfn_hi < iovad->dma_32bit_pfn &&
			  free->pfn_lo >= c->pfn_lo))
		iovad->cached32_node = pdma__rb_next(&free->node);
	if (free->pfn_lo < iovad->dma_32bit_pfn)
		iovad->max32_alloc_size = iovad->dma_32bit_pfn;
	c = to_iova(iovad->cached_node);
	if (free->pfn_lo >= c->pfn_lo)
		iovad->cached_node = pdma__rb_next(&free->node);
}

/*
 * The lowest node whose last PFN is at or above @pfn (the anchor at worst):
 * a walk for the limit @pfn starts there.
 */
static struct pdma__rb_node *find_limit(struct pdma_iova_domain *iovad,
					uint64_t pfn)
{
	struct pdma__rb_node *n = iovad->root.node, *best = NULL;

	while (n) {
		if (to_iova(n)->pfn_hi >= pfn) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

/* The node containing @pfn, or NULL. */
static struct pdma__iova *find_locked(struct pdma_iova_domain *iovad,
				      uint64_t pfn)
{
	struct pdma__rb_node *n = iovad->root.node;

	while (n) {
		struct pdma__iova *iova = to_iova(n);

		if (pfn < iova->pfn_lo)
			n = n->left;
		else if (pfn > iova->pfn_hi)
			n = n->right;
		else
			return iova;
	}
	return NULL;
}

/* Link @new, which sorts right below @above, into the tree. */
static void insert_below(struct pdma_iova_domain *iovad,
			 struct pdma__iova *new, struct pdma__rb_node *above)
{
	struct pdma__rb_node *n = above->left;

	if (!n) {
		pdma__rb_link(&iovad->root, &new->node, above, &above->left);
		return;
	}
	while (n->right)
		n = n->right;
	pdma__rb_link(&iovad->root, &new->node, n, &n->right);
}

/* Link @new by its address, from the root. */
static void insert_from_root(struct pdma_iova_domain *iovad,
			     struct pdma__iova *new)
{
	struct pdma__rb_node **link = &iovad->root.node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (new->pfn_lo < to_iova(parent)->pfn_lo)
			link = &parent->left;
		else
			link = &parent->right;
	}
	pdma__rb_link(&iovad->root, &new->node, parent, link);
}

/*
 * Find room for @size PFNs ending at or below @limit (exclusive), fill in
 * @new and link it.  The kernel's __alloc_and_insert_iova_range().
 */
static int alloc_insert_locked(struct pdma_iova_domain *iovad, uint64_t size,
			       uint64_t limit, bool size_aligned,
			       struct pdma__iova *new)
{
	uint64_t high = limit, low = iovad->start_pfn;
	uint64_t mask = UINT64_MAX, new_pfn, retry_pfn;
	struct pdma__rb_node *curr, *prev;
	struct pdma__iova *ci;
	unsigned int order;

	if (size_aligned) {
		order = fls64(size - 1);
		mask = order >= 64 ? 0 : UINT64_MAX << order;
	}
	if (limit <= iovad->dma_32bit_pfn && size >= iovad->max32_alloc_size)
		return -ENOMEM;

	curr = cached_node(iovad, limit);
	ci = to_iova(curr);
	retry_pfn = ci->pfn_hi;
retry:
	for (;;) {
		high = min_u64(high, ci->pfn_lo);
		if (high < size)
			goto full;
		new_pfn = (high - size) & mask;
		if (new_pfn < low)
			goto full;
		prev = curr;
		curr = pdma__rb_prev(curr);
		if (!curr)
			break;
		ci = to_iova(curr);
		if (new_pfn > ci->pfn_hi)
			break;		/* fits in the gap above ci */
	}
	new->pfn_lo = new_pfn;
	new->pfn_hi = new_pfn + size - 1;
	new->flags = 0;
	insert_below(iovad, new, prev);
	cached_insert_update(iovad, new);
	iovad->nr_ranges++;
	return 0;

full:
	/*
	 * Nothing below the cached node.  The space between it and the limit
	 * has not been looked at: walk that once, from the exact limit.
	 */
	if (low == iovad->start_pfn && retry_pfn < limit) {
		high = limit;
		low = retry_pfn + 1;
		curr = find_limit(iovad, limit);
		ci = to_iova(curr);
		goto retry;
	}
	iovad->max32_alloc_size = size;
	return -ENOMEM;
}

int pdma_iova_alloc(struct pdma_iova_domain *iovad, uint64_t size,
		    uint64_t limit_pfn, bool size_aligned, uint64_t *pfn)
{
	struct pdma__iova *new;
	int ret;

	if (!iovad || !pfn || !size || limit_pfn > iovad->max_pfn)
		return -EINVAL;
	if (limit_pfn < iovad->start_pfn ||
	    size > limit_pfn - iovad->start_pfn + 1)
		return -ENOMEM;
	new = malloc(sizeof(*new));
	if (!new)
		return -ENOMEM;
	pthread_mutex_lock(&iovad->lock);
	ret = alloc_insert_locked(iovad, size, limit_pfn + 1, size_aligned,
				  new);
	pthread_mutex_unlock(&iovad->lock);
	if (ret) {
		free(new);
		return ret;
	}
	*pfn = new->pfn_lo;
	return 0;
}

static void remove_locked(struct pdma_iova_domain *iovad,
			  struct pdma__iova *iova)
{
	cached_delete_update(iovad, iova);
	pdma__rb_erase(&iovad->root, &iova->node);
	if (iova->flags & PDMA__IOVA_RESERVED)
		iovad->nr_reserved--;
	else
		iovad->nr_ranges--;
}

int pdma__iova_free_locked(struct pdma_iova_domain *iovad, uint64_t pfn)
{
	struct pdma__iova *iova = find_locked(iovad, pfn);

	if (!iova || iova == &iovad->anchor)
		return -ENOENT;
	if (iova->flags & PDMA__IOVA_RESERVED)
		return -EBUSY;
	remove_locked(iovad, iova);
	free(iova);
	return 0;
}

int pdma_iova_free(struct pdma_iova_domain *iovad, uint64_t pfn)
{
	struct pdma__iova *iova;
	int ret = -ENOENT;

	if (!iovad)
		return -EINVAL;
	pthread_mutex_lock(&iovad->lock);
	iova = find_locked(iovad, pfn);
	if (iova && !(iova->flags & PDMA__IOVA_CACHED))
		ret = pdma__iova_free_locked(iovad, pfn);
	pthread_mutex_unlock(&iovad->lock);
	return ret;
}

int pdma_iova_find(struct pdma_iova_domain *iovad, uint64_t pfn,
		   uint64_t *pfn_lo, uint64_t *pfn_hi)
{
	struct pdma__iova *iova;
	int ret = -ENOENT;

	if (!iovad)
		return -EINVAL;
	pthread_mutex_lock(&iovad->lock);
	iova = find_locked(iovad, pfn);
	if (iova && iova != &iovad->anchor) {
		if (pfn_lo)
			*pfn_lo = iova->pfn_lo;
		if (pfn_hi)
			*pfn_hi = iova->pfn_hi;
		ret = 0;
	}
	pthread_mutex_unlock(&iovad->lock);
	return ret;
}

int pdma_iova_reserve(struct pdma_iova_domain *iovad, uint64_t pfn_lo,
		      uint64_t pfn_hi)
{
	struct pdma__rb_node *n, *next;
	struct pdma__iova *new, *iova;

	if (!iovad || pfn_lo > pfn_hi || pfn_hi > iovad->max_pfn)
		return -EINVAL;
	new = malloc(sizeof(*new));
	if (!new)
		return -ENOMEM;
	new->pfn_lo = pfn_lo;
	new->pfn_hi = pfn_hi;
	new->flags = PDMA__IOVA_RESERVED;

	pthread_mutex_lock(&iovad->lock);
	/* Everything that overlaps must be a reservation... */
	for (n = find_limit(iovad, pfn_lo); n != &iovad->anchor.node;
	     n = pdma__rb_next(n)) {
		iova = to_iova(n);
		if (iova->pfn_lo > pfn_hi)
			break;
		if (!(iova->flags & PDMA__IOVA_RESERVED)) {
			pthread_mutex_unlock(&iovad->lock);
			free(new);
			return -EBUSY;
		}
	}
	/* ...and is merged into the new one. */
	for (n = find_limit(iovad, pfn_lo); n != &iovad->anchor.node; n = next) {
		iova = to_iova(n);
		if (iova->pfn_lo > pfn_hi)
			break;
		next = pdma__rb_next(n);
		if (iova->pfn_lo < new->pfn_lo)
			new->pfn_lo = iova->pfn_lo;
		if (iova->pfn_hi > new->pfn_hi)
			new->pfn_hi = iova->pfn_hi;
		remove_locked(iovad, iova);
		free(iova);
	}
	insert_from_root(iovad, new);
	iovad->nr_reserved++;
	pthread_mutex_unlock(&iovad->lock);
	return 0;
}

int pdma__iova_mark_cached(struct pdma_iova_domain *iovad, uint64_t pfn,
			   uint64_t size)
{
	struct pdma__iova *iova;
	int ret = -ENOENT;

	pthread_mutex_lock(&iovad->lock);
	iova = find_locked(iovad, pfn);
	if (iova && iova != &iovad->anchor && iova->pfn_lo == pfn &&
	    iova->pfn_hi - iova->pfn_lo + 1 == size &&
	    !(iova->flags & (PDMA__IOVA_RESERVED | PDMA__IOVA_CACHED))) {
		iova->flags |= PDMA__IOVA_CACHED;
		ret = 0;
	}
	pthread_mutex_unlock(&iovad->lock);
	return ret;
}

int pdma__iova_unmark_cached(struct pdma_iova_domain *iovad, uint64_t pfn)
{
	struct pdma__iova *iova;
	int ret = -ENOENT;

	pthread_mutex_lock(&iovad->lock);
	iova = find_locked(iovad, pfn);
	if (iova && iova->pfn_lo == pfn && (iova->flags & PDMA__IOVA_CACHED)) {
		iova->flags &= ~PDMA__IOVA_CACHED;
		ret = 0;
	}
	pthread_mutex_unlock(&iovad->lock);
	return ret;
}

int pdma__iova_check(struct pdma_iova_domain *iovad)
{
	struct pdma__rb_node *n;
	struct pdma__iova *iova, *last = NULL;
	uint64_t count = 0;
	int ret = 0;

	pthread_mutex_lock(&iovad->lock);
	if (pdma__rb_check(&iovad->root) < 0)
		ret = -1;
	for (n = pdma__rb_first(&iovad->root); n && !ret; n = pdma__rb_next(n)) {
		iova = to_iova(n);
		if (iova->pfn_lo > iova->pfn_hi)
			ret = -1;
		if (last && last->pfn_hi >= iova->pfn_lo)
			ret = -1;
		if (iova != &iovad->anchor && (iova->pfn_lo < iovad->start_pfn ||
					       iova->pfn_hi > iovad->max_pfn) &&
		    !(iova->flags & PDMA__IOVA_RESERVED))
			ret = -1;
		last = iova;
		count++;
	}
	if (last != &iovad->anchor ||
	    count != iovad->nr_ranges + iovad->nr_reserved + 1)
		ret = -1;
	pthread_mutex_unlock(&iovad->lock);
	return ret;
}

void pdma_iova_get_stats(struct pdma_iova_domain *iovad,
			 struct pdma_iova_stats *st)
{
	*st = (struct pdma_iova_stats){ 0 };
	pthread_mutex_lock(&iovad->lock);
	st->ranges = iovad->nr_ranges;
	st->reserved = iovad->nr_reserved;
	pthread_mutex_unlock(&iovad->lock);
	pdma__iova_rcache_stats(iovad, st);
}
