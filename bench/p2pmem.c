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
 *
 * The measuring is the library's (src/bench/p2pmem.c, also behind
 * 'peerdma bench').
 */
#include <stdio.h>

#include "bench/bench_internal.h"

#define RUNS	5
#define STEPS	200000

static void meta_line(const char *what, size_t bytes, size_t pool)
{
	printf("  %-44s %9zu bytes  %.6f%%\n", what, bytes,
	       100.0 * (double)bytes / (double)pool);
}

int main(void)
{
	struct pdma__bench_p2pmem_res r;

	printf("alloc+free pairs per second, 1 GiB pool, 6000 live allocations "
	       "of 1-64 pages (~3/4 full), %d steps, median of %d:\n",
	       STEPS, RUNS);
	if (pdma__bench_p2pmem(STEPS, RUNS, &r)) {
		fprintf(stderr, "bench-p2pmem: an allocation failed\n");
		return 1;
	}
	printf("  (check: the bitmap and p2pmem placed %ld allocations, %ld "
	       "differently)\n", r.placed, r.differ);
	printf("  p2pmem (extent treap)        %12.0f /s\n", r.ours);
	printf("  first-fit page bitmap        %12.0f /s   p2pmem is %.2fx\n",
	       r.bitmap, r.ours / r.bitmap);
	printf("  malloc/free (glibc)          %12.0f /s   p2pmem is %.2fx\n",
	       r.malloc_, r.ours / r.malloc_);

	printf("\nmetadata per pool byte, 1 GiB pool:\n");
	meta_line("p2pmem, empty", r.meta_empty, r.pool);
	meta_line("p2pmem, full (one allocation)", r.meta_full, r.pool);
	meta_line("p2pmem, full (1024 x 1 MiB)", r.meta_1024, r.pool);
	meta_line("p2pmem, fragmented (512 x 1 MiB + 512 holes)",
		  r.meta_holes, r.pool);
	meta_line("p2pmem, fragmented (3000 x 1-64 pages + holes)",
		  r.meta_frag, r.pool);
	meta_line("first-fit bitmap, any state", r.bitmap_bytes, r.pool);
	meta_line("struct page (64 bytes per 4 KiB), any state",
		  r.struct_page_bytes, r.pool);
	return r.differ ? 1 : 0;
}
