/* SPDX-License-Identifier: MIT */
/*
 * The extent allocator behind p2pmem: what it costs in metadata (empty,
 * full, fragmented pools against the 1.56% a struct page per 4 KiB page
 * would cost), and that it gives exactly what a naive first-fit page bitmap
 * gives, on random workloads, without ever merging across chunks.
 */
#include <errno.h>

#include <peerdma/mem.h>

#include "harness.h"
#include "mem/p2pmem.h"

#define MiB	((size_t)1 << 20)
#define GiB	((size_t)1 << 30)

static size_t page;

static struct pdma_p2pmem_provider *pool(struct pdma_region *r,
					 size_t chunk_len)
{
	struct pdma_p2pmem_provider *prov;
	struct pdma_p2pmem_bar b = {
		.size = sizeof(b),
		.flags = PDMA_BAR_MEM,
		.region = r,
		.cpu_addr = 0x4000000000ull,
		.bus_addr = 0x4000000000ull,
	};

	REQUIRE(pdma_p2pmem_provider_create(NULL, 0, &prov) == 0);
	REQUIRE(pdma_p2pmem_set_bar(prov, 0, &b) == 0);
	for (size_t off = 0; off < pdma_region_size(r); off += chunk_len)
		REQUIRE(pdma_p2pmem_add_resource(prov, 0, chunk_len, off) == 0);
	return prov;
}

static double pct(size_t meta, size_t pool_bytes)
{
	return 100.0 * (double)meta / (double)pool_bytes;
}

static void report(const char *what, size_t meta, size_t pool_bytes)
{
	printf("  %-40s %9zu bytes  %.6f%% of the pool\n", what, meta,
	       pct(meta, pool_bytes));
}

static void test_metadata(void)
{
	enum { N = GiB / MiB };
	struct pdma_region *r;
	struct pdma_p2pmem_provider *prov;
	static void *blk[N], *small[4096];
	size_t ext = sizeof(struct pdma__extent), empty, m;
	size_t struct_page = GiB / 4096 * 64;
	void *big;

	REQUIRE(pdma_region_create("pool-1g", GiB, &r) == 0);
	prov = pool(r, GiB);
	printf("metadata of a 1 GiB pool (one extent record = %zu bytes; a "
	       "64-byte struct page per 4 KiB would be %zu bytes, %.4f%%):\n",
	       ext, struct_page, pct(struct_page, GiB));

	empty = pdma_p2pmem_metadata_bytes(prov);
	report("empty", empty, GiB);
	CHECK(pct(empty, GiB) <= 0.01);

	/* Full, one allocation: the free extent became the allocation. */
	REQUIRE(pdma_p2pmem_alloc(prov, GiB, &big) == 0);
	m = pdma_p2pmem_metadata_bytes(prov);
	report("full, one 1 GiB allocation", m, GiB);
	CHECK(pct(m, GiB) <= 0.01);
	CHECK_EQ_INT(m, empty);
	REQUIRE(pdma_p2pmem_free(prov, big, GiB) == 0);
	CHECK_EQ_INT(pdma_p2pmem_metadata_bytes(prov), empty);

	/* Full, 1024 allocations of 1 MiB: one record each. */
	for (int i = 0; i < N; i++)
		REQUIRE(pdma_p2pmem_alloc(prov, MiB, &blk[i]) == 0);
	m = pdma_p2pmem_metadata_bytes(prov);
	report("full, 1024 allocations of 1 MiB", m, GiB);
	CHECK(pct(m, GiB) <= 0.01);
	CHECK_EQ_INT(m, empty - ext + N * ext);
	{
		void *more;

		CHECK_EQ_INT(pdma_p2pmem_alloc(prov, page, &more), -ENOMEM);
	}

	/* Fragmented: every other one freed, 512 holes + 512 allocations. */
	for (int i = 0; i < N; i += 2)
		REQUIRE(pdma_p2pmem_free(prov, blk[i], MiB) == 0);
	m = pdma_p2pmem_metadata_bytes(prov);
	report("fragmented, 512 x 1 MiB used, 512 holes", m, GiB);
	CHECK(pct(m, GiB) <= 0.01);
	CHECK_EQ_INT(m, empty - ext + N * ext);

	/* Freeing the rest merges everything back into one extent. */
	for (int i = 1; i < N; i += 2)
		REQUIRE(pdma_p2pmem_free(prov, blk[i], MiB) == 0);
	CHECK_EQ_INT(pdma_p2pmem_metadata_bytes(prov), empty);

	/* The worst case is one record per page-sized allocation: then the
	 * cost is per allocation, like any allocator's. */
	for (int i = 0; i < 4096; i++)
		REQUIRE(pdma_p2pmem_alloc(prov, page, &small[i]) == 0);
	m = pdma_p2pmem_metadata_bytes(prov);
	report("4096 one-page allocations (+ 1 free)", m, GiB);
	CHECK_EQ_INT(m, empty + 4096 * ext);
	printf("  per allocation: %zu bytes, whatever the pool size\n", ext);
	for (int i = 0; i < 4096; i++)
		REQUIRE(pdma_p2pmem_free(prov, small[i], page) == 0);
	CHECK_EQ_INT(pdma_p2pmem_metadata_bytes(prov), empty);

	CHECK_EQ_INT(pdma_p2pmem_remove(prov), 0);
	/* Removed: the provider struct is all that is left. */
	CHECK_EQ_INT(pdma_p2pmem_metadata_bytes(prov),
		     sizeof(struct pdma_p2pmem_provider));
	pdma_p2pmem_provider_put(prov);
	pdma_region_destroy(r);
}

/* ---- random workloads against a page bitmap ---------------------------- */

struct ref {
	int pages;
	int chunk_pages;	/* no run may cross a multiple of this */
	unsigned char *used;
};

/* First fit in page units, runs confined to one chunk. */
static int ref_alloc(struct ref *rf, int n)
{
	for (int start = 0; start + n <= rf->pages; start++) {
		int ok = 1;

		if (start / rf->chunk_pages != (start + n - 1) / rf->chunk_pages)
			continue;
		for (int i = 0; i < n && ok; i++)
			ok = !rf->used[start + i];
		if (ok) {
			memset(rf->used + start, 1, (size_t)n);
			return start;
		}
	}
	return -1;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_against_bitmap(int chunks)
{
	enum { PAGES = 1024, OPS = 20000, LIVE = 256 };
	struct pdma_region *r;
	struct pdma_p2pmem_provider *prov;
	struct ref rf = { PAGES, PAGES / chunks, calloc(PAGES, 1) };
	struct { char *p; int pages; } live[LIVE];
	int nlive = 0, mismatches = 0, fails = 0;
	uint64_t s = 0x9e3779b97f4a7c15ull;
	struct pdma_p2pmem st;
	char *base;

	REQUIRE(rf.used);
	REQUIRE(pdma_region_create("pool", PAGES * page, &r) == 0);
	base = pdma_region_base(r);
	prov = pool(r, (size_t)rf.chunk_pages * page);

	for (int op = 0; op < OPS; op++) {
		if (nlive < LIVE && (nlive == 0 || rnd(&s) % 3 != 0)) {
			int n = 1 + (int)(rnd(&s) % 24), want;
			void *p;
			int ret;

			want = ref_alloc(&rf, n);
			ret = pdma_p2pmem_alloc(prov, (size_t)n * page - 7, &p);
			if (want < 0) {
				mismatches += ret != -ENOMEM;
				fails++;
				continue;
			}
			if (ret || (char *)p != base + (size_t)want * page) {
				mismatches++;
				continue;
			}
			/* Tag the pages: an overlap would show later. */
			for (int i = 0; i < n; i++)
				((char *)p)[(size_t)i * page] = (char)(nlive + 1);
			live[nlive].p = p;
			live[nlive].pages = n;
			nlive++;
		} else {
			int k = (int)(rnd(&s) % (uint64_t)nlive);
			int start = (int)((live[k].p - base) / (long)page);

			for (int i = 0; i < live[k].pages; i++)
				mismatches += live[k].p[(size_t)i * page] !=
					      (char)(k + 1);
			memset(rf.used + start, 0, (size_t)live[k].pages);
			mismatches += pdma_p2pmem_free(prov, live[k].p,
						       (size_t)live[k].pages *
						       page) != 0;
			live[k] = live[--nlive];
			/* Re-tag the entry that moved into slot k. */
			if (k < nlive)
				for (int i = 0; i < live[k].pages; i++)
					live[k].p[(size_t)i * page] =
						(char)(k + 1);
		}
	}
	printf("random workload, %d chunk(s): %d ops, %d failed allocations, "
	       "%d mismatches with the bitmap\n", chunks, OPS, fails,
	       mismatches);
	CHECK_EQ_INT(mismatches, 0);
	CHECK(fails > 0);	/* the pool really was under pressure */

	/* Bookkeeping agrees with the bitmap. */
	{
		size_t used = 0;

		for (int i = 0; i < PAGES; i++)
			used += rf.used[i];
		pdma_p2pmem_stat(prov, &st);
		CHECK_EQ_INT(st.available, (PAGES - used) * page);
	}
	while (nlive) {
		nlive--;
		CHECK_EQ_INT(pdma_p2pmem_free(prov, live[nlive].p,
					      (size_t)live[nlive].pages * page),
			     0);
	}
	/* Everything merged back: one free extent per chunk, no more. */
	{
		struct pdma_p2pmem_provider *fresh = pool(r, (size_t)rf.chunk_pages *
							  page);

		CHECK_EQ_INT(pdma_p2pmem_metadata_bytes(prov),
			     pdma_p2pmem_metadata_bytes(fresh));
		pdma_p2pmem_provider_put(fresh);
	}
	/* Chunks never merge: a run across the boundary cannot be had. */
	if (chunks > 1) {
		void *p;

		CHECK_EQ_INT(pdma_p2pmem_alloc(prov,
					       (size_t)(rf.chunk_pages + 1) * page,
					       &p), -ENOMEM);
	}
	pdma_p2pmem_provider_put(prov);
	pdma_region_destroy(r);
	free(rf.used);
}

int main(void)
{
	page = pdma_page_size();
	test_metadata();
	test_random_against_bitmap(1);
	test_random_against_bitmap(4);
	return harness_exit();
}
