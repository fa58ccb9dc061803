/* SPDX-License-Identifier: MIT */
/*
 * The radix page table (pgtable.h).  Level 0 is the root; level 3 tables
 * hold the leaf entries.  An IOVA splits as 9 | 9 | 9 | 9 | 12 bits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "pgtable.h"

static unsigned int pt_index(uint64_t iova, int level)
{
	unsigned int shift = PDMA__PT_PAGE_SHIFT +
			     PDMA__PT_BITS * (PDMA__PT_LEVELS - 1 - level);

	return (unsigned int)(iova >> shift) & (PDMA__PT_ENTRIES - 1);
}

/*
 * The leaf table for @iova, creating missing tables if @create.  @path gets
 * the table of each level reached (NULL below).  Return: NULL if a table is
 * missing (or, with @create, cannot be allocated).
 */
static struct pdma__pt_table *walk(struct pdma__pgtable *pt, uint64_t iova,
				   bool create,
				   struct pdma__pt_table *path[PDMA__PT_LEVELS])
{
	struct pdma__pt_table **slot = &pt->root;
	int l;

	for (l = 0; l < PDMA__PT_LEVELS; l++)
		path[l] = NULL;
	for (l = 0; l < PDMA__PT_LEVELS; l++) {
		if (!*slot) {
			if (!create)
				return NULL;
			*slot = calloc(1, sizeof(**slot));
			if (!*slot)
				return NULL;
			pt->tables++;
			if (l > 0)
				path[l - 1]->used++;
		}
		path[l] = *slot;
		if (l < PDMA__PT_LEVELS - 1)
			slot = &path[l]->child[pt_index(iova, l)];
	}
	return path[PDMA__PT_LEVELS - 1];
}

/* Free the empty tables on @path (of @iova), bottom up. */
static void prune(struct pdma__pgtable *pt, uint64_t iova,
		  struct pdma__pt_table *path[PDMA__PT_LEVELS])
{
	for (int l = PDMA__PT_LEVELS - 1; l >= 0; l--) {
		if (!path[l])
			continue;
		if (path[l]->used)
			return;
		free(path[l]);
		pt->tables--;
		if (l == 0) {
			pt->root = NULL;
		} else {
			path[l - 1]->child[pt_index(iova, l - 1)] = NULL;
			path[l - 1]->used--;
		}
	}
}

int pdma__pt_map(struct pdma__pgtable *pt, uint64_t iova, uint64_t phys,
		 uint64_t size, unsigned int prot)
{
	struct pdma__pt_table *path[PDMA__PT_LEVELS], *leaf;
	uint64_t done = 0, bits = PDMA__PTE_VALID | ((uint64_t)prot << 1);
	unsigned int i;
	int ret;

	while (done < size) {
		leaf = walk(pt, iova + done, true, path);
		if (!leaf) {
			prune(pt, iova + done, path);
			ret = -ENOMEM;
			goto err_unmap;
		}
		for (i = pt_index(iova + done, PDMA__PT_LEVELS - 1);
		     i < PDMA__PT_ENTRIES && done < size;
		     i++, done += PDMA__PT_PAGE) {
			if (leaf->pte[i] & PDMA__PTE_VALID) {
				ret = -EEXIST;
				goto err_unmap;
			}
			leaf->pte[i] = (phys + done) | bits;
			leaf->used++;
			pt->mapped_pages++;
		}
	}
	return 0;

err_unmap:
	pdma__pt_unmap(pt, iova, done);
	return ret;
}

uint64_t pdma__pt_unmap(struct pdma__pgtable *pt, uint64_t iova,
			uint64_t size)
{
	struct pdma__pt_table *path[PDMA__PT_LEVELS], *leaf;
	uint64_t done = 0, at;
	bool hole = false;
	unsigned int i;

	while (done < size && !hole) {
		at = iova + done;
		leaf = walk(pt, at, false, path);
		if (!leaf)
			break;
		for (i = pt_index(at, PDMA__PT_LEVELS - 1);
		     i < PDMA__PT_ENTRIES && done < size;
		     i++, done += PDMA__PT_PAGE) {
			if (!(leaf->pte[i] & PDMA__PTE_VALID)) {
				hole = true;
				break;
			}
			leaf->pte[i] = 0;
			leaf->used--;
			pt->mapped_pages--;
		}
		prune(pt, at, path);
	}
	return done;
}

uint64_t pdma__pt_lookup(const struct pdma__pgtable *pt, uint64_t iova)
{
	const struct pdma__pt_table *t = pt->root;

	for (int l = 0; t && l < PDMA__PT_LEVELS - 1; l++)
		t = t->child[pt_index(iova, l)];
	return t ? t->pte[pt_index(iova, PDMA__PT_LEVELS - 1)] : 0;
}

uint64_t pdma__pt_extent(const struct pdma__pgtable *pt, uint64_t iova,
			 uint64_t len, uint64_t need)
{
	uint64_t page = iova & ~(PDMA__PT_PAGE - 1), got, expect, pte;
	const struct pdma__pt_table *t;
	unsigned int i;
	int l;

	need |= PDMA__PTE_VALID;
	expect = PDMA__PTE_ADDR(pdma__pt_lookup(pt, iova)) + PDMA__PT_PAGE;
	got = PDMA__PT_PAGE - (iova - page);
	page += PDMA__PT_PAGE;
	while (got < len && page && page < (1ULL << PDMA__PT_VA_BITS)) {
		/* One walk per leaf table, then along its entries. */
		for (t = pt->root, l = 0; t && l < PDMA__PT_LEVELS - 1; l++)
			t = t->child[pt_index(page, l)];
		if (!t)
			break;
		for (i = pt_index(page, PDMA__PT_LEVELS - 1);
		     i < PDMA__PT_ENTRIES && got < len; i++) {
			pte = t->pte[i];
			if ((pte & need) != need || PDMA__PTE_ADDR(pte) != expect)
				return got < len ? got : len;
			got += PDMA__PT_PAGE;
			expect += PDMA__PT_PAGE;
			page += PDMA__PT_PAGE;
		}
	}
	return got < len ? got : len;
}

static void free_table(struct pdma__pt_table *t, int level)
{
	if (!t)
		return;
	if (level < PDMA__PT_LEVELS - 1)
		for (unsigned int i = 0; i < PDMA__PT_ENTRIES; i++)
			free_table(t->child[i], level + 1);
	free(t);
}

void pdma__pt_destroy(struct pdma__pgtable *pt)
{
	free_table(pt->root, 0);
	pt->root = NULL;
	pt->mapped_pages = 0;
	pt->tables = 0;
}
