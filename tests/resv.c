/* SPDX-License-Identifier: MIT */
/*
 * Reservation objects: the kernel's st-dma-resv, each case once for every
 * usage KERNEL..BOOKKEEP: sanitycheck, test_signaling, test_for_each,
 * test_for_each_unlocked (with a forced restart), test_get_fences.
 */
#include "fence-mock.h"

static const char *usage_name[] = { "kernel", "write", "read", "bookkeep" };

static void sanitycheck(void)
{
	struct pdma_fence *f = mock_fence();
	struct pdma_resv resv;

	pdma_fence_enable_sw_signaling(f);
	pdma_fence_signal(f);
	pdma_fence_put(f);

	pdma_resv_init(&resv);
	CHECK_EQ_INT(pdma_resv_lock(&resv, NULL), 0);
	CHECK(pdma_resv_held(&resv));
	pdma_resv_unlock(&resv);
	CHECK(!pdma_resv_held(&resv));
	pdma_resv_fini(&resv);
}

/* A locked resv holding one new pending fence with @usage. */
static struct pdma_fence *setup(struct pdma_resv *resv,
				enum pdma_resv_usage usage)
{
	struct pdma_fence *f = mock_fence();

	pdma_fence_enable_sw_signaling(f);
	pdma_resv_init(resv);
	REQUIRE(!pdma_resv_lock(resv, NULL));
	REQUIRE(!pdma_resv_reserve_fences_locked(resv, 1));
	pdma_resv_add_fence_locked(resv, f, usage);
	return f;
}

static void test_signaling(enum pdma_resv_usage usage)
{
	struct pdma_resv resv;
	struct pdma_fence *f = setup(&resv, usage);

	CHECK(!pdma_resv_test_signaled(&resv, usage));
	pdma_fence_signal(f);
	CHECK(pdma_resv_test_signaled(&resv, usage));
	pdma_resv_unlock(&resv);
	pdma_resv_fini(&resv);
	pdma_fence_put(f);
}

static void test_for_each(enum pdma_resv_usage usage)
{
	struct pdma_resv resv;
	struct pdma_fence *f = setup(&resv, usage), *fence;
	struct pdma_resv_iter cursor;
	int found = 0;

	pdma_resv_for_each_fence_locked(&cursor, &resv, usage, fence) {
		CHECK(fence == f);
		CHECK_EQ_INT(pdma_resv_iter_usage(&cursor), usage);
		found++;
	}
	CHECK_EQ_INT(found, 1);
	pdma_fence_signal(f);
	pdma_resv_unlock(&resv);
	pdma_resv_fini(&resv);
	pdma_fence_put(f);
}

static void test_for_each_unlocked(enum pdma_resv_usage usage)
{
	struct pdma_resv resv;
	struct pdma_fence *f = setup(&resv, usage), *fence;
	struct pdma_resv_iter cursor;
	int state = -ENOENT, seen = 0;

	pdma_resv_unlock(&resv);
	pdma_resv_iter_begin(&cursor, &resv, usage);
	pdma_resv_for_each_fence_unlocked(&cursor, fence) {
		seen++;
		CHECK(pdma_resv_iter_is_restarted(&cursor));
		CHECK(fence == f);
		CHECK_EQ_INT(pdma_resv_iter_usage(&cursor), usage);
		CHECK_EQ_INT(fence->refcount, 3);	/* ours, resv, cursor */
		if (state == -ENOENT) {
			state = -EINVAL;
			/* That must trigger a restart. */
			cursor.fences = (void *)~0UL;
		} else if (state == -EINVAL) {
			state = 0;
		}
	}
	pdma_resv_iter_end(&cursor);
	CHECK_EQ_INT(state, 0);
	CHECK_EQ_INT(seen, 2);
	CHECK_EQ_INT(f->refcount, 2);
	pdma_fence_signal(f);
	pdma_resv_fini(&resv);
	pdma_fence_put(f);
}

static void test_get_fences(enum pdma_resv_usage usage)
{
	struct pdma_resv resv;
	struct pdma_fence *f = setup(&resv, usage), **fences = NULL;
	unsigned int n = 0;

	pdma_resv_unlock(&resv);
	CHECK_EQ_INT(pdma_resv_get_fences(&resv, usage, &n, &fences), 0);
	CHECK_EQ_INT(n, 1);
	CHECK(n == 1 && fences[0] == f);
	pdma_fence_signal(f);
	while (n--)
		pdma_fence_put(fences[n]);
	free(fences);
	pdma_resv_fini(&resv);
	pdma_fence_put(f);
}

/* The usage filter: a fence with usage U is seen by queries >= U. */
static void test_filter(enum pdma_resv_usage usage)
{
	struct pdma_resv resv;
	struct pdma_fence *f = setup(&resv, usage), **fences;
	unsigned int n;

	pdma_resv_unlock(&resv);
	for (int q = PDMA_RESV_USAGE_KERNEL; q <= PDMA_RESV_USAGE_BOOKKEEP;
	     q++) {
		CHECK_EQ_INT(pdma_resv_get_fences(&resv, q, &n, &fences), 0);
		CHECK_EQ_INT(n, q >= (int)usage);
		CHECK_EQ_INT(pdma_resv_test_signaled(&resv, q), q < (int)usage);
		while (n--)
			pdma_fence_put(fences[n]);
		free(fences);
	}
	pdma_fence_signal(f);
	pdma_resv_fini(&resv);
	pdma_fence_put(f);
}

int main(void)
{
	sanitycheck();
	for (int u = PDMA_RESV_USAGE_KERNEL; u <= PDMA_RESV_USAGE_BOOKKEEP;
	     u++) {
		int before = harness_failures;

		test_signaling(u);
		test_for_each(u);
		test_for_each_unlocked(u);
		test_get_fences(u);
		test_filter(u);
		if (harness_failures != before)
			fprintf(stderr, "  (usage %s)\n", usage_name[u]);
	}
	return harness_exit();
}
