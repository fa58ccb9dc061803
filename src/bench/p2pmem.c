// SPDX-License-Identifier: MIT
/*
 * bench: what the p2pmem extent allocator costs, in time and metadata.
 *
 * Alloc+free pairs per second on a 1 GiB pool kept about 3/4 full by LIVE
 * allocations of 1 to 64 pages, each step freeing a random one and
 * allocating a new one of a random size.  The same sequence runs on
 * p2pmem (lock, extent treap, references), on a first-fit page bitmap over
 * the same pages searched a word at a time (what the kernel's genalloc
 * does for p2pdma's pool), and on malloc/free of the same sizes.  Both
 * first-fit allocators run in lockstep once first and must place every
 * allocation at the same page, so the timings compare like with like.
 * Then metadata bytes for an empty, a full and a fragmented pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/mem.h>

#include "bench/bench_internal.h"

#define MAX_RUNS 15
#define POOL	((size_t)1 << 30)
#define LIVE	6000		/* x 32.5 pages average = 3/4 of the pool */
#define MAXPG	64

struct ctx {
	size_t page, npages;
	int steps;
	uint16_t *sizes;	/* pages of the i-th new allocation */
	uint32_t *victims;	/* slot freed at step i */
	struct pdma_p2pmem_provider *prov;
	char *base;
	uint64_t *w;		/* the bitmap */
	void **slot;
	long *at;
	uint16_t *len;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void make_sequence(struct ctx *c)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < LIVE + c->steps; i++)
		c->sizes[i] = (uint16_t)(1 + rnd(&s) % MAXPG);
	for (int i = 0; i < c->steps; i++)
		c->victims[i] = (uint32_t)(rnd(&s) % LIVE);
}

/* ---- the baseline: a first-fit page bitmap ----------------------------- */

static void set_range(struct ctx *c, size_t i, size_t n, int v)
{
	for (size_t k = i; k < i + n; k++) {
		if (v)
			c->w[k / 64] |= 1ull << (k % 64);
		else
			c->w[k / 64] &= ~(1ull << (k % 64));
	}
}

/* The first bit at or after @i that is @v (npages if none), word-wise. */
static size_t find_next(const struct ctx *c, size_t i, int v)
{
	while (i < c->npages) {
		uint64_t w = v ? c->w[i / 64] : ~c->w[i / 64];

		w &= ~0ull << (i % 64);
		if (w) {
			i = i / 64 * 64 + (size_t)__builtin_ctzll(w);
			return i < c->npages ? i : c->npages;
		}
		i = (i / 64 + 1) * 64;
	}
	return c->npages;
}

/* First run of @n clear bits (genalloc's first fit); -1 if none. */
static long bitmap_alloc(struct ctx *c, size_t n)
{
	size_t start = 0;

	for (;;) {
		size_t end;

		start = find_next(c, start, 0);
		if (start + n > c->npages)
			return -1;
		end = find_next(c, start, 1);
		if (end >= start + n) {
			set_range(c, start, n, 1);
			return (long)start;
		}
		start = end;
	}
}

/* ---- the runs (pairs per second, < 0 on failure) ------------------------ */

static double run_p2pmem(struct ctx *c)
{
	double t0, t;
	int err = 0;

	for (int i = 0; i < LIVE; i++) {
		c->len[i] = c->sizes[i];
		err |= pdma_p2pmem_alloc(c->prov, c->len[i] * c->page,
					 &c->slot[i]);
	}
	t0 = pdma__bench_now();
	for (int i = 0; i < c->steps && !err; i++) {
		uint32_t v = c->victims[i];

		err |= pdma_p2pmem_free(c->prov, c->slot[v],
					c->len[v] * c->page);
		c->len[v] = c->sizes[LIVE + i];
		err |= pdma_p2pmem_alloc(c->prov, c->len[v] * c->page,
					 &c->slot[v]);
	}
	t = pdma__bench_now() - t0;
	for (int i = 0; i < LIVE && !err; i++)
		pdma_p2pmem_free(c->prov, c->slot[i], c->len[i] * c->page);
	return err ? -1 : c->steps / t;
}

static double run_bitmap(struct ctx *c)
{
	double t0, t;

	memset(c->w, 0, (c->npages + 63) / 64 * 8);
	for (int i = 0; i < LIVE; i++) {
		c->at[i] = bitmap_alloc(c, c->sizes[i]);
		c->len[i] = c->sizes[i];
		if (c->at[i] < 0)
			return -1;
	}
	t0 = pdma__bench_now();
	for (int i = 0; i < c->steps; i++) {
		uint32_t v = c->victims[i];

		set_range(c, (size_t)c->at[v], c->len[v], 0);
		c->at[v] = bitmap_alloc(c, c->sizes[LIVE + i]);
		c->len[v] = c->sizes[LIVE + i];
		if (c->at[v] < 0)
			return -1;
	}
	t = pdma__bench_now() - t0;
	return c->steps / t;
}

static double run_malloc(struct ctx *c)
{
	double t0, t;
	int err = 0;

	for (int i = 0; i < LIVE; i++)
		c->slot[i] = malloc(c->sizes[i] * c->page);
	t0 = pdma__bench_now();
	for (int i = 0; i < c->steps; i++) {
		uint32_t v = c->victims[i];

		free(c->slot[v]);
		c->slot[v] = malloc(c->sizes[LIVE + i] * c->page);
		err |= !c->slot[v];
	}
	t = pdma__bench_now() - t0;
	for (int i = 0; i < LIVE; i++)
		free(c->slot[i]);
	return err ? -1 : c->steps / t;
}

/* Both first fit over the same pages, in lockstep: count differences. */
static int verify(struct ctx *c, struct pdma__bench_p2pmem_res *res)
{
	memset(c->w, 0, (c->npages + 63) / 64 * 8);
	res->placed = LIVE + c->steps;
	res->differ = 0;
	for (int i = 0; i < LIVE + c->steps; i++) {
		int v = i < LIVE ? i : (int)c->victims[i - LIVE];

		if (i >= LIVE) {
			pdma_p2pmem_free(c->prov, c->slot[v],
					 c->len[v] * c->page);
			set_range(c, (size_t)c->at[v], c->len[v], 0);
		}
		c->len[v] = c->sizes[i];
		if (pdma_p2pmem_alloc(c->prov, c->len[v] * c->page,
				      &c->slot[v]))
			return -EIO;
		c->at[v] = bitmap_alloc(c, c->len[v]);
		res->differ += c->at[v] !=
			((char *)c->slot[v] - c->base) / (long)c->page;
	}
	for (int i = 0; i < LIVE; i++)
		pdma_p2pmem_free(c->prov, c->slot[i], c->len[i] * c->page);
	return 0;
}

static int metadata(struct ctx *c, struct pdma__bench_p2pmem_res *res)
{
	void *big;

	res->meta_empty = pdma_p2pmem_metadata_bytes(c->prov);
	if (pdma_p2pmem_alloc(c->prov, POOL, &big))
		return -EIO;
	res->meta_full = pdma_p2pmem_metadata_bytes(c->prov);
	pdma_p2pmem_free(c->prov, big, POOL);
	for (int i = 0; i < 1024; i++)
		if (pdma_p2pmem_alloc(c->prov, POOL / 1024, &c->slot[i]))
			return -EIO;
	res->meta_1024 = pdma_p2pmem_metadata_bytes(c->prov);
	for (int i = 0; i < 1024; i += 2)
		pdma_p2pmem_free(c->prov, c->slot[i], POOL / 1024);
	res->meta_holes = pdma_p2pmem_metadata_bytes(c->prov);
	for (int i = 1; i < 1024; i += 2)
		pdma_p2pmem_free(c->prov, c->slot[i], POOL / 1024);
	for (int i = 0; i < LIVE; i++)
		if (pdma_p2pmem_alloc(c->prov, c->sizes[i] * c->page,
				      &c->slot[i]))
			return -EIO;
	for (int i = 0; i < LIVE; i += 2)
		pdma_p2pmem_free(c->prov, c->slot[i], c->sizes[i] * c->page);
	res->meta_frag = pdma_p2pmem_metadata_bytes(c->prov);
	for (int i = 1; i < LIVE; i += 2)
		pdma_p2pmem_free(c->prov, c->slot[i], c->sizes[i] * c->page);
	res->bitmap_bytes = c->npages / 8;
	res->struct_page_bytes = POOL / 4096 * 64;
	return 0;
}

static int measure(struct ctx *c, int runs, struct pdma__bench_p2pmem_res *res)
{
	double ours[MAX_RUNS], bits[MAX_RUNS], mall[MAX_RUNS];
	int ret = verify(c, res);

	if (ret)
		return ret;
	for (int k = 0; k < runs; k++) {
		ours[k] = run_p2pmem(c);
		bits[k] = run_bitmap(c);
		mall[k] = run_malloc(c);
		if (ours[k] < 0 || bits[k] < 0 || mall[k] < 0)
			return -EIO;
	}
	res->ours = pdma__bench_median(ours, runs);
	res->bitmap = pdma__bench_median(bits, runs);
	res->malloc_ = pdma__bench_median(mall, runs);
	return metadata(c, res);
}

int pdma__bench_p2pmem(int steps, int runs, struct pdma__bench_p2pmem_res *res)
{
	struct ctx c = { .steps = steps };
	struct pdma_p2pmem_bar b;
	struct pdma_region *r;
	int ret;

	if (steps < 1)
		return -EINVAL;
	runs = runs < 1 ? 1 : runs > MAX_RUNS ? MAX_RUNS : runs;
	c.page = pdma_page_size();
	c.npages = POOL / c.page;
	res->pool = POOL;
	ret = -ENOMEM;
	c.sizes = malloc((size_t)(LIVE + steps) * sizeof(*c.sizes));
	c.victims = malloc((size_t)steps * sizeof(*c.victims));
	c.slot = calloc(LIVE, sizeof(*c.slot));
	c.at = calloc(LIVE, sizeof(*c.at));
	c.len = calloc(LIVE, sizeof(*c.len));
	c.w = calloc((c.npages + 63) / 64, sizeof(uint64_t));
	if (!c.sizes || !c.victims || !c.slot || !c.at || !c.len || !c.w)
		goto free_all;
	make_sequence(&c);
	ret = pdma_region_create("bench-p2pmem", POOL, &r);
	if (ret)
		goto free_all;
	ret = pdma_p2pmem_provider_create(NULL, 0, &c.prov);
	if (ret)
		goto destroy_region;
	b = (struct pdma_p2pmem_bar){ .size = sizeof(b), .flags = PDMA_BAR_MEM,
				      .region = r };
	ret = pdma_p2pmem_set_bar(c.prov, 0, &b);
	if (!ret)
		ret = pdma_p2pmem_add_resource(c.prov, 0, 0, 0);
	c.base = pdma_region_base(r);
	if (!ret)
		ret = measure(&c, runs, res);
	pdma_p2pmem_remove(c.prov);
	pdma_p2pmem_provider_put(c.prov);
destroy_region:
	pdma_region_destroy(r);
free_all:
	free(c.w);
	free(c.len);
	free(c.at);
	free(c.slot);
	free(c.victims);
	free(c.sizes);
	return ret;
}
