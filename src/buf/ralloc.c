/* SPDX-License-Identifier: MIT */
/*
 * The reference exporter's allocator: first fit over a range, with
 * allocations kept sorted so that the BAR guard can check a DMA target.
 * The callers serialise (exporter.h says with which lock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

void pdma__ralloc_init(struct pdma__ralloc *ra, uint64_t base, uint64_t len)
{
	memset(ra, 0, sizeof(*ra));
	ra->base = base;
	ra->len = len;
}

void pdma__ralloc_fini(struct pdma__ralloc *ra)
{
	free(ra->used);
	memset(ra, 0, sizeof(*ra));
}

int pdma__ralloc_alloc(struct pdma__ralloc *ra, uint64_t len, uint64_t *off)
{
	uint64_t at = ra->base, end = ra->base + ra->len;
	int i;

	for (i = 0; i <= ra->n; i++) {
		uint64_t gap_end = i < ra->n ? ra->used[i].off : end;

		if (gap_end - at >= len)
			break;
		if (i < ra->n)
			at = ra->used[i].off + ra->used[i].len;
	}
	if (i > ra->n || at + len > end)
		return -ENOSPC;
	if (ra->n == ra->cap) {
		int cap = ra->cap ? 2 * ra->cap : 16;
		struct pdma__ext *u = realloc(ra->used, cap * sizeof(*u));

		if (!u)
			return -ENOMEM;
		ra->used = u;
		ra->cap = cap;
	}
	memmove(&ra->used[i + 1], &ra->used[i],
		(ra->n - i) * sizeof(ra->used[0]));
	ra->used[i] = (struct pdma__ext){ at, len, false };
	ra->n++;
	*off = at;
	return 0;
}

static int find(const struct pdma__ralloc *ra, uint64_t off)
{
	int lo = 0, hi = ra->n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (ra->used[mid].off + ra->used[mid].len <= off)
			lo = mid + 1;
		else if (ra->used[mid].off > off)
			hi = mid - 1;
		else
			return mid;
	}
	return -1;
}

void pdma__ralloc_free(struct pdma__ralloc *ra, uint64_t off)
{
	int i = find(ra, off);

	if (i < 0 || ra->used[i].off != off)
		return;
	memmove(&ra->used[i], &ra->used[i + 1],
		(ra->n - i - 1) * sizeof(ra->used[0]));
	ra->n--;
}

void pdma__ralloc_revoke(struct pdma__ralloc *ra, uint64_t off)
{
	int i = find(ra, off);

	if (i >= 0)
		ra->used[i].revoked = true;
}

bool pdma__ralloc_live(const struct pdma__ralloc *ra, uint64_t off,
		       uint64_t len)
{
	int i = find(ra, off);

	return i >= 0 && !ra->used[i].revoked &&
	       off + len <= ra->used[i].off + ra->used[i].len;
}
