/* SPDX-License-Identifier: MIT */
/*
 * bench/p2pmem: what the extent allocator costs, in time and in metadata.
 *
 * 1. alloc+free pairs per second on a 1 GiB pool kept about 3/4 full by
 *    LIVE allocations of 1 to 64 pages, each step freeing a random one and
 *    allocating a new one of a random size.  The same sequence runs on:
 *      - p2pmem (pdma_p2pmem_alloc/free: lock, extent treap, references),
 *      - a first-fit page bitmap over the same pages, one bit per page,
 *        searched a word at a time for the next clear and set bits (what
 *        the kernel's genalloc does for p2pdma's pool),
 *      - malloc/free of the same sizes (glibc; no pool, no first fit).
 *    Interleaved in one process, median of RUNS runs, ratios printed.
 * 2. Metadata bytes per pool byte for an empty, a full and a fragmented
 *    pool, against the bitmap (fixed) and a 64-byte struct page per 4 KiB
 *    page (fixed, 1.56%).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/mem.h>

#include "bench.h"

#define RUNS	5
#define POOL	((size_t)1 << 30)
#define LIVE	6000		/* x 32.5 pages average = 3/4 of the pool */
#define STEPS	200000
#define MAXPG	64

static size_t page;
static size_t npages;
static uint16_t *sizes;		/* pages of the i-th new allocation */
static uint32_t *victims;	/* slot freed at step i */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void make_sequence(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;

	sizes = malloc((LIVE + STEPS) * sizeof(*sizes));
	victims = malloc(STEPS * sizeof(*victims));
	if (!sizes || !victims)
		exit(1);
	for (int i = 0; i < LIVE + STEPS; i++)
		sizes[i] = (uint16_t)(1 + rnd(&s) % MAXPG);
	for (int i = 0; i < STEPS; i++)
		victims[i] = (uint32_t)(rnd(&s) % LIVE);
}

/* ---- the baseline: a first-fit page bitmap ----------------------------- */

struct bitmap {
	uint64_t *w;
	size_t nbits;
};

static void set_range(struct bitmap *b, size_t i, size_t n, int v)
{
	for (size_t k = i; k < i + n; k++) {
		if (v)
			b->w[k / 64] |= 1ull << (k % 64);
		else
			b->w[k / 64] &= ~(1ull << (k % 64));
	}
}

/* The first bit at or after @i that is @v (nbits if none), word-wise. */
static size_t find_next(const struct bitmap *b, size_t i, int v)
{
	while (i < b->nbits) {
		uint64_t w = v ? b->w[i / 64] : ~b->w[i / 64];

		w &= ~0ull << (i % 64);
		if (w) {
			i = i / 64 * 64 + (size_t)__builtin_ctzll(w);
			return i < b->nbits ? i : b->nbits;
		}
		i = (i / 64 + 1) * 64;
	}
	return b->nbits;
}

/* First run of @n clear bits (genalloc's first fit); -1 if none. */
static long bitmap_alloc(struct bitmap *b, size_t n)
{
	size_t start = 0;

	for (;;) {
		size_t end;

		start = find_next(b, start, 0);
		if (start + n > b->nbits)
			return -1;
		end = find_next(b, start, 1);
		if (end >= start + n) {
			set_range(b, start, n, 1);
			return (long)start;
		}
		start = end;
	}
}

/* ---- the runs ---------------------------------------------------------- */

static double run_p2pmem(struct pdma_p2pmem_provider *prov, void **slot,
			 uint16_t *len)
{
	double t0, t;

	for (int i = 0; i < LIVE; i++) {
		len[i] = sizes[i];
		if (pdma_p2pmem_alloc(prov, len[i] * page, &slot[i]))
			exit(1);
	}
	t0 = bench_now();
	for (int i = 0; i < STEPS; i++) {
		uint32_t v = victims[i];

		if (pdma_p2pmem_free(prov, slot[v], len[v] * page))
			exit(1);
		len[v] = sizes[LIVE + i];
		if (pdma_p2pmem_alloc(prov, len[v] * page, &slot[v]))
			exit(1);
	}
	t = bench_now() - t0;
	for (int i = 0; i < LIVE; i++)
		pdma_p2pmem_free(prov, slot[i], len[i] * page);
	return STEPS / t;
}

static double run_bitmap(struct bitmap *b, long *at, uint16_t *len)
{
	double t0, t;

	memset(b->w, 0, (b->nbits + 63) / 64 * 8);
	for (int i = 0; i < LIVE; i++) {
		at[i] = bitmap_alloc(b, sizes[i]);
		len[i] = sizes[i];
		if (at[i] < 0)
			exit(1);
	}
	t0 = bench_now();
	for (int i = 0; i < STEPS; i++) {
		uint32_t v = victims[i];

		set_range(b, (size_t)at[v], len[v], 0);
		at[v] = bitmap_alloc(b, sizes[LIVE + i]);
		len[v] = sizes[LIVE + i];
		if (at[v] < 0)
			exit(1);
	}
	t = bench_now() - t0;
	return STEPS / t;
}

static double run_malloc(void **slot)
{
	double t0, t;

	for (int i = 0; i < LIVE; i++)
		slot[i] = malloc(sizes[i] * page);
	t0 = bench_now();
	for (int i = 0; i < STEPS; i++) {
		uint32_t v = victims[i];

		free(slot[v]);
		slot[v] = malloc(sizes[LIVE + i] * page);
		if (!slot[v])
			exit(1);
	}
	t = bench_now() - t0;
	for (int i = 0; i < LIVE; i++)
		free(slot[i]);
	return STEPS / t;
}

/*
 * Both are first fit over the same pages: run them in lockstep once and
 * check they place every allocation at the same page, so the timings
 * compare like with like.
 */
static void verify(struct pdma_p2pmem_provider *prov, char *base,
		   struct bitmap *b, void **slot, long *at, uint16_t *len)
{
	long bad = 0;

	memset(b->w, 0, (b->nbits + 63) / 64 * 8);
	for (int i = 0; i < LIVE + STEPS; i++) {
		int v = i < LIVE ? i : (int)victims[i - LIVE];

		if (i >= LIVE) {
			pdma_p2pmem_free(prov, slot[v], len[v] * page);
			set_range(b, (size_t)at[v], len[v], 0);
		}
		len[v] = sizes[i];
		if (pdma_p2pmem_alloc(prov, len[v] * page, &slot[v]))
			exit(1);
		at[v] = bitmap_alloc(b, len[v]);
		bad += at[v] != ((char *)slot[v] - base) / (long)page;
	}
	for (int i = 0; i < LIVE; i++)
		pdma_p2pmem_free(prov, slot[i], len[i] * page);
	printf("  (check: the bitmap and p2pmem placed %d allocations, %ld "
	       "differently)\n", LIVE + STEPS, bad);
	if (bad)
		exit(1);
}

/* ---- metadata ---------------------------------------------------------- */

static void meta_line(const char *what, size_t bytes)
{
	printf("  %-44s %9zu bytes  %.6f%%\n", what, bytes,
	       100.0 * (double)bytes / (double)POOL);
}

static void metadata(struct pdma_p2pmem_provider *prov, void **slot)
{
	void *big;

	printf("\nmetadata per pool byte, 1 GiB pool:\n");
	meta_line("p2pmem, empty", pdma_p2pmem_metadata_bytes(prov));
	if (pdma_p2pmem_alloc(prov, POOL, &big))
		exit(1);
	meta_line("p2pmem, full (one allocation)",
		  pdma_p2pmem_metadata_bytes(prov));
	pdma_p2pmem_free(prov, big, POOL);
	for (int i = 0; i < 1024; i++)
		if (pdma_p2pmem_alloc(prov, POOL / 1024, &slot[i]))
			exit(1);
	meta_line("p2pmem, full (1024 x 1 MiB)",
		  pdma_p2pmem_metadata_bytes(prov));
	for (int i = 0; i < 1024; i += 2)
		pdma_p2pmem_free(prov, slot[i], POOL / 1024);
	meta_line("p2pmem, fragmented (512 x 1 MiB + 512 holes)",
		  pdma_p2pmem_metadata_bytes(prov));
	for (int i = 1; i < 1024; i += 2)
		pdma_p2pmem_free(prov, slot[i], POOL / 1024);
	for (int i = 0; i < LIVE; i++)
		if (pdma_p2pmem_alloc(prov, sizes[i] * page, &slot[i]))
			exit(1);
	for (int i = 0; i < LIVE; i += 2)
		pdma_p2pmem_free(prov, slot[i], sizes[i] * page);
	meta_line("p2pmem, fragmented (3000 x 1-64 pages + holes)",
		  pdma_p2pmem_metadata_bytes(prov));
	for (int i = 1; i < LIVE; i += 2)
		pdma_p2pmem_free(prov, slot[i], sizes[i] * page);
	meta_line("first-fit bitmap, any state", npages / 8);
	meta_line("struct page (64 bytes per 4 KiB), any state",
		  POOL / 4096 * 64);
}

int main(void)
{
	struct pdma_region *r;
	struct pdma_p2pmem_provider *prov;
	struct pdma_p2pmem_bar b;
	struct bitmap bm;
	double ours[RUNS], bits[RUNS], mall[RUNS], o, bt, m;
	void **slot;
	long *at;
	uint16_t *len;

	page = pdma_page_size();
	npages = POOL / page;
	make_sequence();
	if (pdma_region_create("bench-p2pmem", POOL, &r) ||
	    pdma_p2pmem_provider_create(NULL, 0, &prov))
		return 1;
	b = (struct pdma_p2pmem_bar){ .size = sizeof(b), .flags = PDMA_BAR_MEM,
				      .region = r };
	if (pdma_p2pmem_set_bar(prov, 0, &b) ||
	    pdma_p2pmem_add_resource(prov, 0, 0, 0))
		return 1;
	slot = calloc(LIVE, sizeof(*slot));
	at = calloc(LIVE, sizeof(*at));
	len = calloc(LIVE, sizeof(*len));
	bm.nbits = npages;
	bm.w = calloc((npages + 63) / 64, sizeof(uint64_t));
	if (!slot || !at || !len || !bm.w)
		return 1;

	printf("alloc+free pairs per second, 1 GiB pool, %d live allocations "
	       "of 1-%d pages (~3/4 full), %d steps, median of %d:\n",
	       LIVE, MAXPG, STEPS, RUNS);
	verify(prov, pdma_region_base(r), &bm, slot, at, len);
	for (int k = 0; k < RUNS; k++) {
		ours[k] = run_p2pmem(prov, slot, len);
		bits[k] = run_bitmap(&bm, at, len);
		mall[k] = run_malloc(slot);
	}
	o = bench_median(ours, RUNS);
	bt = bench_median(bits, RUNS);
	m = bench_median(mall, RUNS);
	printf("  p2pmem (extent treap)        %12.0f /s\n", o);
	printf("  first-fit page bitmap        %12.0f /s   p2pmem is %.2fx\n",
	       bt, o / bt);
	printf("  malloc/free (glibc)          %12.0f /s   p2pmem is %.2fx\n",
	       m, o / m);

	metadata(prov, slot);

	pdma_p2pmem_remove(prov);
	pdma_p2pmem_provider_put(prov);
	pdma_region_destroy(r);
	free(bm.w);
	free(len);
	free(at);
	free(slot);
	free(victims);
	free(sizes);
	return 0;
}
