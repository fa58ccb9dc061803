/* SPDX-License-Identifier: MIT */
/*
 * The extent allocator: a treap of extents ordered by start address,
 * augmented with the largest free length of each subtree.
 *
 *                 [A 0x3000+2p used] max_free 8p
 *                 /                  \
 *    [F 0x1000+2p free] 2p      [F 0x5000+8p free] 8p
 *
 * First fit walks down preferring the left (lower addresses) whenever the
 * left subtree has a large enough hole.  Inserts and erases are split and
 * merge; priorities come from a hash of the start address, so the shape is
 * deterministic and balanced in expectation.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "extent.h"

static inline size_t max_free(const struct pdma__extent *e)
{
	return e ? e->max_free : 0;
}

/* Recompute @e's augmentation from its children. */
static void pull(struct pdma__extent *e)
{
	size_t m = e->state == PDMA__EXT_FREE ? e->len : 0;

	if (max_free(e->left) > m)
		m = max_free(e->left);
	if (max_free(e->right) > m)
		m = max_free(e->right);
	e->max_free = m;
}

/* Split @e into keys < @key (*l) and >= @key (*r). */
static void split(struct pdma__extent *e, uintptr_t key,
		  struct pdma__extent **l, struct pdma__extent **r)
{
	if (!e) {
		*l = *r = NULL;
		return;
	}
	if (e->start < key) {
		split(e->right, key, &e->right, r);
		*l = e;
	} else {
		split(e->left, key, l, &e->left);
		*r = e;
	}
	pull(e);
}

/* Join @a and @b, every key of @a below every key of @b. */
static struct pdma__extent *merge(struct pdma__extent *a,
				  struct pdma__extent *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->right = merge(a->right, b);
		pull(a);
		return a;
	}
	b->left = merge(a, b->left);
	pull(b);
	return b;
}

static uint32_t prio_of(uintptr_t start)
{
	uint64_t z = (uint64_t)start + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(z ^ (z >> 31));
}

static void insert(struct pdma__extents *t, struct pdma__extent *e)
{
	struct pdma__extent *l, *r;

	e->left = e->right = NULL;
	e->prio = prio_of(e->start);
	pull(e);
	split(t->root, e->start, &l, &r);
	t->root = merge(merge(l, e), r);
}

/* Unlink the node that starts at @key (it must exist). */
static void erase(struct pdma__extents *t, uintptr_t key)
{
	struct pdma__extent *l, *m, *r;

	split(t->root, key, &l, &r);
	split(r, key + 1, &m, &r);
	t->root = merge(l, r);
}

/* Recompute the augmentation on the path to the node at @key. */
static void repull(struct pdma__extent *e, uintptr_t key)
{
	if (!e)
		return;
	if (key < e->start)
		repull(e->left, key);
	else if (key > e->start)
		repull(e->right, key);
	pull(e);
}

static struct pdma__extent *new_extent(struct pdma__chunk *chunk,
				       uintptr_t start, size_t len)
{
	struct pdma__extent *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->chunk = chunk;
	e->start = start;
	e->len = len;
	e->state = PDMA__EXT_FREE;
	return e;
}

void pdma__extents_init(struct pdma__extents *t)
{
	t->root = NULL;
	t->nr_free = t->nr_used = 0;
	t->free_bytes = 0;
}

static void destroy(struct pdma__extent *e)
{
	while (e) {
		struct pdma__extent *right = e->right;

		destroy(e->left);
		free(e);
		e = right;
	}
}

void pdma__extents_destroy(struct pdma__extents *t)
{
	destroy(t->root);
	pdma__extents_init(t);
}

int pdma__extents_add(struct pdma__extents *t, struct pdma__chunk *chunk,
		      uintptr_t start, size_t len)
{
	struct pdma__extent *e = new_extent(chunk, start, len);

	if (!e)
		return -ENOMEM;
	insert(t, e);
	t->nr_free++;
	t->free_bytes += len;
	return 0;
}

/* The lowest-addressed free extent of at least @len bytes. */
static struct pdma__extent *first_fit(struct pdma__extent *e, size_t len)
{
	if (max_free(e) < len)
		return NULL;
	for (;;) {
		if (max_free(e->left) >= len)
			e = e->left;
		else if (e->state == PDMA__EXT_FREE && e->len >= len)
			return e;
		else
			e = e->right;
	}
}

int pdma__extents_alloc(struct pdma__extents *t, size_t len,
			struct pdma__extent **out)
{
	struct pdma__extent *e, *rest = NULL;

	e = first_fit(t->root, len);
	if (!e)
		return -ENOMEM;
	if (e->len > len) {
		rest = new_extent(e->chunk, e->start + len, e->len - len);
		if (!rest)
			return -ENOMEM;
	}
	e->state = PDMA__EXT_LIVE;
	e->refs = 0;
	t->nr_free--;
	t->nr_used++;
	t->free_bytes -= len;
	if (rest) {
		e->len = len;
		repull(t->root, e->start);
		insert(t, rest);
		t->nr_free++;
	} else {
		repull(t->root, e->start);
	}
	*out = e;
	return 0;
}

struct pdma__extent *pdma__extents_find(const struct pdma__extents *t,
					uintptr_t addr)
{
	struct pdma__extent *e = t->root, *best = NULL;

	/* The last extent that starts at or below @addr. */
	while (e) {
		if (e->start <= addr) {
			best = e;
			e = e->right;
		} else {
			e = e->left;
		}
	}
	if (best && addr - best->start < best->len)
		return best;
	return NULL;
}

/* The extent that starts exactly at @key, or NULL. */
static struct pdma__extent *find_at(const struct pdma__extents *t,
				    uintptr_t key)
{
	struct pdma__extent *e = t->root;

	while (e && e->start != key)
		e = key < e->start ? e->left : e->right;
	return e;
}

/* The extent that ends exactly at @key, or NULL. */
static struct pdma__extent *find_ending_at(const struct pdma__extents *t,
					   uintptr_t key)
{
	struct pdma__extent *e = pdma__extents_find(t, key - 1);

	return e && e->start + e->len == key ? e : NULL;
}

static bool mergeable(const struct pdma__extent *e,
		      const struct pdma__extent *with)
{
	return e && e->state == PDMA__EXT_FREE && e->chunk == with->chunk;
}

void pdma__extents_release(struct pdma__extents *t, struct pdma__extent *e)
{
	struct pdma__extent *prev = NULL, *next;

	if (e->start)
		prev = find_ending_at(t, e->start);
	next = find_at(t, e->start + e->len);

	t->nr_used--;
	t->free_bytes += e->len;
	e->state = PDMA__EXT_FREE;
	e->refs = 0;
	if (mergeable(next, e)) {
		erase(t, next->start);
		e->len += next->len;
		free(next);
		t->nr_free--;
	}
	if (mergeable(prev, e)) {
		erase(t, e->start);
		prev->len += e->len;
		free(e);
		repull(t->root, prev->start);
	} else {
		repull(t->root, e->start);
		t->nr_free++;
	}
}
