/* SPDX-License-Identifier: MIT */
/*
 * The IOVA allocator's tree (pdma_iova_alloc/free/reserve/find): top-down
 * order, alignment, limits on both sides of 4 GiB, exhaustion, the 32-bit
 * fail-fast and its reset, the retry from the exact limit, reservations,
 * frees of what is not allocated, and a long random run checked against a
 * brute-force bitmap of the address space.
 */
#include <errno.h>
#include <stdint.h>

#include <peerdma/iommu.h>

#include "harness.h"
#include "iommu/iova_internal.h"

#define PFN_4G	0x100000ULL	/* 4 GiB in 4 KiB PFNs */

static struct pdma_iova_domain *mk(uint64_t start_pfn)
{
	struct pdma_iova_domain *d = NULL;

	REQUIRE(pdma_iova_domain_create(4096, start_pfn, 0, &d) == 0 && d);
	return d;
}

static uint64_t alloc_ok(struct pdma_iova_domain *d, uint64_t size,
			 uint64_t limit, bool aligned)
{
	uint64_t pfn = ~0ULL;
	int ret = pdma_iova_alloc(d, size, limit, aligned, &pfn);

	CHECK_EQ_INT(ret, 0);
	return pfn;
}

static void test_create(void)
{
	struct pdma_iova_domain *d = (void *)1;

	CHECK_EQ_INT(pdma_iova_domain_create(0, 1, 0, &d), -EINVAL);
	CHECK(d == NULL);
	CHECK_EQ_INT(pdma_iova_domain_create(3000, 1, 0, &d), -EINVAL);
	CHECK_EQ_INT(pdma_iova_domain_create(4096, 1, 0x80, &d), -EINVAL);
	CHECK_EQ_INT(pdma_iova_domain_create(4096, 1ULL << 52, 0, &d), -EINVAL);
	CHECK_EQ_INT(pdma_iova_domain_create(4096, 1, 0, NULL), -EINVAL);
	/* Granules above the kernel's PAGE_SIZE limit are fine here. */
	CHECK_EQ_INT(pdma_iova_domain_create(65536, 1, 0, &d), 0);
	CHECK_EQ_INT(pdma_iova_granule(d), 65536);
	/* 4 GiB is 65536 granules of 64 KiB. */
	CHECK_EQ_INT(alloc_ok(d, 1, 0xffff, false), 0xffff);
	pdma_iova_domain_destroy(d);
	CHECK_EQ_INT(pdma_iova_domain_create(512, 0, 0, &d), 0);
	CHECK_EQ_INT(alloc_ok(d, 1, (1ULL << 23) - 1, false), (1ULL << 23) - 1);
	pdma_iova_domain_destroy(d);
	pdma_iova_domain_destroy(NULL);
}

static void test_bad_args(void)
{
	struct pdma_iova_domain *d = mk(1);
	uint64_t pfn;

	CHECK_EQ_INT(pdma_iova_alloc(d, 0, PFN_4G - 1, false, &pfn), -EINVAL);
	CHECK_EQ_INT(pdma_iova_alloc(d, 1, 1ULL << 52, false, &pfn), -EINVAL);
	CHECK_EQ_INT(pdma_iova_alloc(d, 1, 100, false, NULL), -EINVAL);
	/* A limit below start_pfn, or a size that cannot fit: no space. */
	CHECK_EQ_INT(pdma_iova_alloc(d, 1, 0, false, &pfn), -ENOMEM);
	CHECK_EQ_INT(pdma_iova_alloc(d, 101, 100, false, &pfn), -ENOMEM);
	CHECK_EQ_INT(pdma_iova_reserve(d, 10, 9), -EINVAL);
	CHECK_EQ_INT(pdma_iova_reserve(d, 10, 1ULL << 52), -EINVAL);
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	pdma_iova_domain_destroy(d);
}

static void test_top_down(void)
{
	struct pdma_iova_domain *d = mk(1);
	uint64_t a, b, c, lo, hi;

	/* Each allocation sits right below the previous one. */
	CHECK_EQ_INT(alloc_ok(d, 1, PFN_4G - 1, false), PFN_4G - 1);
	CHECK_EQ_INT(alloc_ok(d, 1, PFN_4G - 1, false), PFN_4G - 2);
	CHECK_EQ_INT(alloc_ok(d, 3, PFN_4G - 1, false), PFN_4G - 5);
	/* Size-aligned: 3 rounds up to 4, so the start is a multiple of 4. */
	a = alloc_ok(d, 3, PFN_4G - 1, true);
	CHECK_EQ_INT(a, PFN_4G - 8);
	CHECK_EQ_INT(pdma_iova_find(d, a, &lo, &hi), 0);
	CHECK_EQ_INT(lo, a);
	CHECK_EQ_INT(hi, a + 2);	/* only 3 PFNs are taken */
	b = alloc_ok(d, 16, PFN_4G - 1, true);
	CHECK_EQ_INT(b % 16, 0);
	CHECK_EQ_INT(b, PFN_4G - 32);
	/* A 64-bit limit starts from its own cached node, at the limit. */
	c = alloc_ok(d, 1, (1ULL << 36) - 1, false);
	CHECK_EQ_INT(c, (1ULL << 36) - 1);
	CHECK_EQ_INT(alloc_ok(d, 1, (1ULL << 36) - 1, false), c - 1);
	/* ...and the 32-bit side goes on below its last allocation. */
	CHECK_EQ_INT(alloc_ok(d, 1, PFN_4G - 1, false), PFN_4G - 33);
	/* A lower limit is honoured, and a large alignment too. */
	CHECK_EQ_INT(alloc_ok(d, 1, 0x12345, false), 0x12345);
	CHECK_EQ_INT(alloc_ok(d, 1000, 0x7ffff, true) % 1024, 0);
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	pdma_iova_domain_destroy(d);
}

static void test_exhaustion(void)
{
	struct pdma_iova_domain *d = mk(0x100);
	uint64_t pfn;
	int i;

	for (i = 0; i < 256; i++)
		CHECK_EQ_INT(alloc_ok(d, 1, 0x1ff, false), 0x1ff - i);
	CHECK_EQ_INT(pdma_iova_alloc(d, 1, 0x1ff, false, &pfn), -ENOMEM);
	/*
	 * That failure is remembered for every 32-bit limit: a higher limit
	 * with room fails fast too, until something below 4 GiB is freed.
	 */
	CHECK_EQ_INT(pdma_iova_alloc(d, 1, 0x2ff, false, &pfn), -ENOMEM);
	/* Free one in the middle: exactly that PFN comes back. */
	CHECK_EQ_INT(pdma_iova_free(d, 0x180), 0);
	CHECK_EQ_INT(alloc_ok(d, 1, 0x1ff, false), 0x180);
	/* The higher limit has room again. */
	CHECK_EQ_INT(alloc_ok(d, 1, 0x2ff, false), 0x2ff);
	/* Two free neighbours are not coalesced into a 2-aligned hole... */
	CHECK_EQ_INT(pdma_iova_free(d, 0x151), 0);
	CHECK_EQ_INT(pdma_iova_free(d, 0x152), 0);
	CHECK_EQ_INT(pdma_iova_alloc(d, 2, 0x1ff, true, &pfn), -ENOMEM);
	/* ...but an unaligned request of 2 fits. */
	CHECK_EQ_INT(pdma_iova_free(d, 0x170), 0);
	CHECK_EQ_INT(alloc_ok(d, 2, 0x1ff, false), 0x151);
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	pdma_iova_domain_destroy(d);
}

static void test_fail_fast(void)
{
	struct pdma_iova_domain *d = mk(0x1000);
	uint64_t pfn, big;
	int i;

	CHECK_EQ_INT(d->max32_alloc_size, PFN_4G);
	/* Fill the 32-bit space below 0x1100 except for 64 PFNs. */
	big = alloc_ok(d, PFN_4G - 0x1100, PFN_4G - 1, false);
	CHECK_EQ_INT(big, 0x1100);
	for (i = 0; i < 3; i++)
		alloc_ok(d, 64, PFN_4G - 1, true);
	/* 0x1000..0x103f is left: a request for 128 fails... */
	CHECK_EQ_INT(pdma_iova_alloc(d, 128, PFN_4G - 1, false, &pfn), -ENOMEM);
	CHECK_EQ_INT(d->max32_alloc_size, 128);
	/* ...and is remembered: 64 still fits, bigger ones fail fast. */
	CHECK_EQ_INT(alloc_ok(d, 32, PFN_4G - 1, false), 0x1020);
	CHECK_EQ_INT(pdma_iova_alloc(d, 200, PFN_4G - 1, false, &pfn), -ENOMEM);
	CHECK_EQ_INT(d->max32_alloc_size, 128);
	/* A limit above 4 GiB does not look at it. */
	CHECK_EQ_INT(alloc_ok(d, 200, 2 * PFN_4G - 1, false), 2 * PFN_4G - 200);
	/* Freeing a range above 4 GiB does not reset it... */
	CHECK_EQ_INT(pdma_iova_free(d, 2 * PFN_4G - 1), 0);
	CHECK_EQ_INT(d->max32_alloc_size, 128);
	/* ...freeing one below 4 GiB does, and 128 fits in the room. */
	CHECK_EQ_INT(pdma_iova_free(d, 0x1100), 0);
	CHECK_EQ_INT(d->max32_alloc_size, PFN_4G);
	CHECK_EQ_INT(alloc_ok(d, 128, PFN_4G - 1, false), PFN_4G - 128);
	/*
	 * Like the kernel, the remembered size holds for every limit up to
	 * 4 GiB: a failure under a low limit makes the same size fail fast
	 * under a higher one, although there is room there.
	 */
	CHECK_EQ_INT(pdma_iova_alloc(d, 64, 0x103f, false, &pfn), -ENOMEM);
	CHECK_EQ_INT(d->max32_alloc_size, 64);
	CHECK_EQ_INT(pdma_iova_alloc(d, 64, PFN_4G - 1, false, &pfn), -ENOMEM);
	CHECK_EQ_INT(pdma_iova_free(d, 0x1020), 0);
	CHECK_EQ_INT(alloc_ok(d, 64, PFN_4G - 1, false) >= 0x1100, 1);
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	pdma_iova_domain_destroy(d);
}

static void test_retry_from_limit(void)
{
	struct pdma_iova_domain *d = mk(0x7fff0);
	uint64_t pfn;
	int i;

	/* A low limit leaves the 32-bit cached node at 0x7ffff... */
	CHECK_EQ_INT(alloc_ok(d, 1, 0x7ffff, false), 0x7ffff);
	/* ...so a full 32-bit request walks down from there first... */
	for (i = 1; i <= 15; i++)
		CHECK_EQ_INT(alloc_ok(d, 1, PFN_4G - 1, false), 0x7ffff - i);
	/* ...and when that runs out, retries from the exact limit. */
	CHECK_EQ_INT(alloc_ok(d, 1, PFN_4G - 1, false), PFN_4G - 1);
	CHECK_EQ_INT(alloc_ok(d, 1, PFN_4G - 1, false), PFN_4G - 2);
	/* A limit between the two groups lands right under it. */
	CHECK_EQ_INT(alloc_ok(d, 1, 0x80005, false), 0x80005);
	/* Below 0x80000 everything is taken. */
	CHECK_EQ_INT(pdma_iova_alloc(d, 1, 0x7ffff, false, &pfn), -ENOMEM);
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	pdma_iova_domain_destroy(d);
}

static void test_reserve(void)
{
	struct pdma_iova_domain *d = mk(1);
	struct pdma_iova_stats st;
	uint64_t lo = 0, hi = 0, a;

	CHECK_EQ_INT(pdma_iova_reserve(d, 100, 199), 0);
	CHECK_EQ_INT(pdma_iova_reserve(d, 150, 299), 0);
	CHECK_EQ_INT(pdma_iova_find(d, 120, &lo, &hi), 0);
	CHECK_EQ_INT(lo, 100);
	CHECK_EQ_INT(hi, 299);
	CHECK_EQ_INT(pdma_iova_reserve(d, 50, 60), 0);
	pdma_iova_get_stats(d, &st);
	CHECK_EQ_INT(st.reserved, 2);
	/* Overlapping two reservations merges all three into one. */
	CHECK_EQ_INT(pdma_iova_reserve(d, 40, 120), 0);
	CHECK_EQ_INT(pdma_iova_find(d, 55, &lo, &hi), 0);
	CHECK_EQ_INT(lo, 40);
	CHECK_EQ_INT(hi, 299);
	/* Contained in an existing one: nothing changes. */
	CHECK_EQ_INT(pdma_iova_reserve(d, 41, 42), 0);
	pdma_iova_get_stats(d, &st);
	CHECK_EQ_INT(st.reserved, 1);
	CHECK_EQ_INT(st.ranges, 0);
	/* Adjacent is not overlapping: a second range. */
	CHECK_EQ_INT(pdma_iova_reserve(d, 300, 300), 0);
	pdma_iova_get_stats(d, &st);
	CHECK_EQ_INT(st.reserved, 2);

	/* Allocation avoids reservations (an MSI window below 4 GiB). */
	CHECK_EQ_INT(pdma_iova_reserve(d, 0xfee00, PFN_4G - 1), 0);
	CHECK_EQ_INT(alloc_ok(d, 1, PFN_4G - 1, false), 0xfedff);
	a = alloc_ok(d, 2, 301 + 2 - 1, false);
	CHECK_EQ_INT(a, 301);
	/* Reserving over an allocation is refused; freeing a reservation too. */
	CHECK_EQ_INT(pdma_iova_reserve(d, 290, 310), -EBUSY);
	CHECK_EQ_INT(pdma_iova_find(d, 290, &lo, &hi), 0);
	CHECK_EQ_INT(hi, 299);
	CHECK_EQ_INT(pdma_iova_free(d, 150), -EBUSY);
	CHECK_EQ_INT(pdma_iova_find(d, 150, NULL, NULL), 0);
	/* The whole space below a limit reserved: no room. */
	CHECK_EQ_INT(alloc_ok(d, 1, 299, false), 39);
	CHECK_EQ_INT(pdma_iova_reserve(d, 1, 38), 0);
	CHECK_EQ_INT(pdma_iova_alloc(d, 1, 299, false, &lo), -ENOMEM);
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	pdma_iova_domain_destroy(d);
}

static void test_free_unknown(void)
{
	struct pdma_iova_domain *d = mk(1);
	uint64_t a, lo, hi;

	CHECK_EQ_INT(pdma_iova_free(d, 12345), -ENOENT);
	CHECK_EQ_INT(pdma_iova_free(d, ~0ULL), -ENOENT);	/* the anchor */
	CHECK_EQ_INT(pdma_iova_find(d, ~0ULL, NULL, NULL), -ENOENT);
	a = alloc_ok(d, 8, PFN_4G - 1, true);
	CHECK_EQ_INT(pdma_iova_find(d, a + 7, &lo, &hi), 0);
	CHECK_EQ_INT(lo, a);
	CHECK_EQ_INT(hi, a + 7);
	CHECK_EQ_INT(pdma_iova_find(d, a - 1, &lo, &hi), -ENOENT);
	/* Like the kernel's free_iova(), any PFN of the range frees it. */
	CHECK_EQ_INT(pdma_iova_free(d, a + 3), 0);
	CHECK_EQ_INT(pdma_iova_free(d, a), -ENOENT);		/* double free */
	CHECK_EQ_INT(pdma_iova_find(d, a, &lo, &hi), -ENOENT);
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	pdma_iova_domain_destroy(d);
}

/* ---- random run against a bitmap ---- */

#define SPACE	4096		/* PFNs 0..4095; start_pfn 16 */
#define START	16
#define MAXLIVE	512

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static unsigned char used[SPACE];

/* Is there an (aligned) free range of @size in [START, limit]? */
static bool model_fits(uint64_t size, uint64_t limit, bool aligned)
{
	uint64_t align = 1, p;

	if (aligned)
		while (align < size)
			align <<= 1;
	for (p = START + (align - START % align) % align; p + size - 1 <= limit;
	     p += align) {
		uint64_t i;

		for (i = 0; i < size && !used[p + i]; i++)
			;
		if (i == size)
			return true;
	}
	return false;
}

/*
 * @base 0 puts the space below 4 GiB (where the fail-fast size may refuse
 * a fit), @base 4 GiB above it (where every refusal must be a real one).
 * The model works in offsets from @base; @base is a multiple of every
 * alignment used.
 */

static void test_random(uint64_t base)
{
	static const uint64_t limits[] = { SPACE - 1, 2047, 1023, 3000 };
	struct { uint64_t pfn, size; } live[MAXLIVE];
	struct pdma_iova_domain *d = mk(base + START);
	unsigned int nlive = 0, nomem = 0, checked = 0, allocs = 0, bad = 0;
	uint64_t pfn, lo, hi;

	memset(used, 0, sizeof(used));

	for (int op = 0; op < 40000; op++) {
		if (nlive && (nlive == MAXLIVE || rnd() % 100 < 45)) {
			unsigned int k = (unsigned int)(rnd() % nlive);

			if (pdma_iova_free(d, base + live[k].pfn +
					   rnd() % live[k].size))
				bad++;
			for (uint64_t i = 0; i < live[k].size; i++)
				used[live[k].pfn + i] = 0;
			live[k] = live[--nlive];
			continue;
		}
		uint64_t size = 1 + rnd() % (rnd() % 8 ? 8 : 40);
		uint64_t limit = limits[rnd() % 4];
		bool aligned = rnd() % 2;
		uint64_t max32 = d->max32_alloc_size;
		int ret = pdma_iova_alloc(d, size, base + limit, aligned, &pfn);

		if (ret == -ENOMEM) {
			nomem++;
			/* Only the remembered 32-bit size may refuse a fit. */
			if (base || size < max32)
				checked++;
			if (model_fits(size, limit, aligned) &&
			    (base || size < max32)) {
				fprintf(stderr, "op %d: %llu under %llu fits\n",
					op, (unsigned long long)size,
					(unsigned long long)limit);
				bad++;
			}
			continue;
		}
		CHECK_EQ_INT(ret, 0);
		if (ret)
			continue;
		allocs++;
		if (pfn < base) {
			bad++;
			continue;
		}
		pfn -= base;
		if (pfn < START || pfn + size - 1 > limit)
			bad++;
		if (aligned) {
			uint64_t align = 1;

			while (align < size)
				align <<= 1;
			if (pfn % align)
				bad++;
		}
		for (uint64_t i = 0; i < size && pfn + i < SPACE; i++) {
			if (used[pfn + i])
				bad++;
			used[pfn + i] = 1;
		}
		live[nlive].pfn = pfn;
		live[nlive].size = size;
		nlive++;
		if (op % 1000 == 0) {
			CHECK_EQ_INT(pdma__iova_check(d), 0);
			CHECK_EQ_INT(pdma_iova_find(d, base + pfn, &lo, &hi), 0);
			CHECK_EQ_INT(hi - lo + 1, size);
		}
	}
	/* Every model bit matches a range in the tree, and vice versa. */
	for (uint64_t p = 0; p < SPACE; p++)
		if ((pdma_iova_find(d, base + p, NULL, NULL) == 0) != used[p])
			bad++;
	CHECK_EQ_INT(bad, 0);
	CHECK(allocs > 10000);
	CHECK(checked > 0);
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	printf("random at 0x%llx: %u allocations, %u refused (%u checked "
	       "against the model), %u live at the end\n",
	       (unsigned long long)base, allocs, nomem, checked, nlive);
	pdma_iova_domain_destroy(d);
}

/* Alignment of size-aligned requests, checked apart from the model. */
static void test_alignment(void)
{
	struct pdma_iova_domain *d = mk(1);

	for (uint64_t size = 1; size <= 300; size++) {
		uint64_t align = 1, pfn;

		while (align < size)
			align <<= 1;
		pfn = alloc_ok(d, size, PFN_4G - 1, true);
		CHECK_EQ_INT(pfn % align, 0);
		/* Some unaligned ones in between to break the pattern. */
		alloc_ok(d, 1 + size % 3, PFN_4G - 1, false);
	}
	CHECK_EQ_INT(pdma__iova_check(d), 0);
	pdma_iova_domain_destroy(d);
}

int main(void)
{
	test_create();
	test_bad_args();
	test_top_down();
	test_exhaustion();
	test_fail_fast();
	test_retry_from_limit();
	test_reserve();
	test_free_unknown();
	test_alignment();
	test_random(0);
	test_random(PFN_4G);
	return harness_exit();
}
