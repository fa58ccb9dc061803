/* SPDX-License-Identifier: MIT */
/*
 * Reservation objects beyond st-dma-resv: the reserve growth rule,
 * replacement (same context and later, or signalled), promotion but never
 * demotion, replace_fences, get_singleton, copy_fences, wait_timeout (a
 * timeout of 0 only polls), usage_rw, set_deadline, and the debug checks:
 * reservations end at unlock, adding without one aborts, _locked calls
 * without the lock abort.
 */
#include "fence-mock.h"
#include "sync/sync.h"		/* struct pdma__resv_list: the capacity */

static unsigned int capacity(struct pdma_resv *r)
{
	return r->fences ? r->fences->capacity : 0;
}

static unsigned int count(struct pdma_resv *r, enum pdma_resv_usage usage)
{
	struct pdma_resv_iter cursor;
	struct pdma_fence *f;
	unsigned int n = 0;

	pdma_resv_for_each_fence_locked(&cursor, r, usage, f)
		n++;
	return n;
}

static void test_growth(void)
{
	struct pdma_resv r;
	struct pdma_fence *f[40];

	for (int i = 0; i < 40; i++)
		f[i] = mock_fence();
	pdma_resv_init(&r);
	pdma_resv_lock(&r, NULL);
	CHECK_EQ_INT(pdma_resv_reserve_fences_locked(&r, 0), -EINVAL);

	CHECK_EQ_INT(pdma_resv_reserve_fences_locked(&r, 1), 0);
	CHECK_EQ_INT(capacity(&r), 4);		/* max(4, pow2 >= 1) */
	pdma_resv_unlock(&r);
	pdma_resv_fini(&r);

	pdma_resv_init(&r);
	pdma_resv_lock(&r, NULL);
	CHECK_EQ_INT(pdma_resv_reserve_fences_locked(&r, 5), 0);
	CHECK_EQ_INT(capacity(&r), 8);		/* next pow2 >= 5 */
	for (int i = 0; i < 5; i++)
		pdma_resv_add_fence_locked(&r, f[i], PDMA_RESV_USAGE_READ);
	CHECK_EQ_INT(pdma_resv_reserve_fences_locked(&r, 3), 0);
	CHECK_EQ_INT(capacity(&r), 8);		/* fits: no change */
	for (int i = 5; i < 8; i++)
		pdma_resv_add_fence_locked(&r, f[i], PDMA_RESV_USAGE_READ);
	CHECK_EQ_INT(pdma_resv_reserve_fences_locked(&r, 1), 0);
	CHECK_EQ_INT(capacity(&r), 16);		/* max(8 + 1, 2 * 8) */
	CHECK_EQ_INT(pdma_resv_reserve_fences_locked(&r, 8), 0);
	CHECK_EQ_INT(capacity(&r), 16);
	for (int i = 8; i < 16; i++)
		pdma_resv_add_fence_locked(&r, f[i], PDMA_RESV_USAGE_READ);
	CHECK_EQ_INT(pdma_resv_reserve_fences_locked(&r, 20), 0);
	CHECK_EQ_INT(capacity(&r), 36);		/* max(16 + 20, 2 * 16) */
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_BOOKKEEP), 16);
	for (int i = 16; i < 36; i++)
		pdma_resv_add_fence_locked(&r, f[i], PDMA_RESV_USAGE_READ);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_BOOKKEEP), 36);

	/* Signalled fences are dropped when the array moves. */
	for (int i = 0; i < 10; i++)
		pdma_fence_signal(f[i]);
	CHECK_EQ_INT(f[0]->refcount, 2);
	CHECK_EQ_INT(pdma_resv_reserve_fences_locked(&r, 1), 0);
	CHECK_EQ_INT(capacity(&r), 72);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_BOOKKEEP), 26);
	CHECK_EQ_INT(f[0]->refcount, 1);	/* the resv let go */
	CHECK_EQ_INT(f[20]->refcount, 2);
	/* And a new fence takes a signalled slot before a reserved one. */
	pdma_fence_signal(f[12]);
	pdma_resv_add_fence_locked(&r, f[36], PDMA_RESV_USAGE_READ);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_BOOKKEEP), 26);
	CHECK_EQ_INT(f[12]->refcount, 1);
	pdma_resv_unlock(&r);
	pdma_resv_fini(&r);
	for (int i = 0; i < 40; i++) {
		CHECK_EQ_INT(f[i]->refcount, 1);
		pdma_fence_put(f[i]);
	}
}

static void test_replacement(void)
{
	uint64_t ctx = pdma_fence_context_alloc(2);
	struct pdma_fence *a1 = mock_fence_on(ctx, 1, false);
	struct pdma_fence *a2 = mock_fence_on(ctx, 2, false);
	struct pdma_fence *b1 = mock_fence_on(ctx + 1, 1, false);
	struct pdma_fence *x = mock_fence(), *f;
	struct pdma_resv_iter cursor;
	struct pdma_resv r;

	pdma_resv_init(&r);
	pdma_resv_lock(&r, NULL);
	REQUIRE(!pdma_resv_reserve_fences_locked(&r, 4));
	pdma_resv_add_fence_locked(&r, a1, PDMA_RESV_USAGE_WRITE);
	pdma_resv_add_fence_locked(&r, b1, PDMA_RESV_USAGE_WRITE);

	/* Same context, later, usage not above the old one: replaces. */
	pdma_resv_add_fence_locked(&r, a2, PDMA_RESV_USAGE_WRITE);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_BOOKKEEP), 2);
	CHECK_EQ_INT(a1->refcount, 1);
	pdma_resv_for_each_fence_locked(&cursor, &r, PDMA_RESV_USAGE_BOOKKEEP,
					f)
		CHECK(f != a1);

	/* Earlier fence of that context: appended, not replacing. */
	pdma_resv_add_fence_locked(&r, a1, PDMA_RESV_USAGE_WRITE);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_BOOKKEEP), 3);

	/* A signalled fence's slot is reused by anyone. */
	pdma_fence_signal(b1);
	pdma_resv_add_fence_locked(&r, x, PDMA_RESV_USAGE_BOOKKEEP);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_BOOKKEEP), 3);
	CHECK_EQ_INT(b1->refcount, 1);

	/* replace_fences: every fence of a context. */
	pdma_resv_replace_fences_locked(&r, ctx, x, PDMA_RESV_USAGE_KERNEL);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_KERNEL), 2);
	CHECK_EQ_INT(a1->refcount, 1);
	CHECK_EQ_INT(a2->refcount, 1);
	CHECK_EQ_INT(x->refcount, 4);
	pdma_resv_unlock(&r);
	pdma_resv_fini(&r);
	CHECK_EQ_INT(x->refcount, 1);
	pdma_fence_put(a1);
	pdma_fence_put(a2);
	pdma_fence_put(b1);
	pdma_fence_put(x);
}

static void test_promotion(void)
{
	struct pdma_fence *f = mock_fence();
	struct pdma_resv r;

	pdma_resv_init(&r);
	pdma_resv_lock(&r, NULL);
	REQUIRE(!pdma_resv_reserve_fences_locked(&r, 2));
	pdma_resv_add_fence_locked(&r, f, PDMA_RESV_USAGE_BOOKKEEP);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_READ), 0);
	/* Promoted: re-added with a lower class, in place. */
	pdma_resv_add_fence_locked(&r, f, PDMA_RESV_USAGE_WRITE);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_WRITE), 1);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_BOOKKEEP), 1);
	/* Never demoted: the WRITE entry stays (an extra entry is made). */
	pdma_resv_add_fence_locked(&r, f, PDMA_RESV_USAGE_BOOKKEEP);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_WRITE), 1);
	CHECK_EQ_INT(count(&r, PDMA_RESV_USAGE_KERNEL), 0);
	pdma_resv_unlock(&r);
	pdma_fence_signal(f);
	pdma_resv_fini(&r);
	pdma_fence_put(f);
}

static void test_singleton_and_copy(void)
{
	struct pdma_fence *f[2] = { mock_fence(), mock_fence() }, *s;
	struct pdma_resv r, d;

	CHECK_EQ_INT(pdma_resv_usage_rw(true), PDMA_RESV_USAGE_READ);
	CHECK_EQ_INT(pdma_resv_usage_rw(false), PDMA_RESV_USAGE_WRITE);

	pdma_resv_init(&r);
	CHECK_EQ_INT(pdma_resv_get_singleton(&r, PDMA_RESV_USAGE_READ, &s), 0);
	CHECK(s == NULL);

	pdma_resv_lock(&r, NULL);
	REQUIRE(!pdma_resv_reserve_fences_locked(&r, 2));
	pdma_resv_add_fence_locked(&r, f[0], PDMA_RESV_USAGE_WRITE);
	pdma_resv_add_fence_locked(&r, f[1], PDMA_RESV_USAGE_READ);
	pdma_resv_unlock(&r);

	CHECK_EQ_INT(pdma_resv_get_singleton(&r, PDMA_RESV_USAGE_WRITE, &s), 0);
	CHECK(s == f[0]);
	pdma_fence_put(s);
	CHECK_EQ_INT(pdma_resv_get_singleton(&r, PDMA_RESV_USAGE_READ, &s), 0);
	CHECK(pdma_fence_is_array(s));
	CHECK_EQ_INT(s->seqno, 1);
	CHECK_EQ_INT(pdma_fence_array_num_fences(s), 2);
	CHECK(pdma_fence_match_context(s, f[0]->context) == false);

	/* copy_fences: dst gets src's (pending) fences with their usage. */
	pdma_resv_init(&d);
	pdma_resv_lock(&d, NULL);
	CHECK_EQ_INT(pdma_resv_copy_fences_locked(&d, &r), 0);
	CHECK_EQ_INT(count(&d, PDMA_RESV_USAGE_WRITE), 1);
	CHECK_EQ_INT(count(&d, PDMA_RESV_USAGE_READ), 2);
	pdma_resv_unlock(&d);
	CHECK(!pdma_resv_test_signaled(&d, PDMA_RESV_USAGE_READ));

	pdma_fence_signal(f[0]);
	CHECK(!pdma_fence_is_signaled(s));
	CHECK(pdma_resv_test_signaled(&d, PDMA_RESV_USAGE_WRITE));
	pdma_fence_signal(f[1]);
	CHECK(pdma_fence_is_signaled(s));
	CHECK(pdma_resv_test_signaled(&d, PDMA_RESV_USAGE_BOOKKEEP));
	pdma_fence_put(s);
	pdma_resv_fini(&d);
	pdma_resv_fini(&r);
	pdma_fence_put(f[0]);
	pdma_fence_put(f[1]);
}

static void test_wait_and_deadline(void)
{
	struct deadline_fence *d = deadline_fence();
	struct pdma_fence *f, *k = mock_fence();
	struct pdma_resv r;
	int64_t t0;

	f = &d->m.base;

	pdma_resv_init(&r);
	CHECK_EQ_INT(pdma_resv_wait_timeout(&r, PDMA_RESV_USAGE_BOOKKEEP,
					    false, 0), 1);
	pdma_resv_lock(&r, NULL);
	REQUIRE(!pdma_resv_reserve_fences_locked(&r, 2));
	pdma_resv_add_fence_locked(&r, f, PDMA_RESV_USAGE_READ);
	pdma_resv_add_fence_locked(&r, k, PDMA_RESV_USAGE_KERNEL);
	pdma_resv_unlock(&r);

	pdma_resv_set_deadline(&r, PDMA_RESV_USAGE_WRITE, 11);
	CHECK_EQ_INT(d->deadline, 0);		/* READ is above WRITE */
	pdma_resv_set_deadline(&r, PDMA_RESV_USAGE_READ, 22);
	CHECK_EQ_INT(d->deadline, 22);

	/* A poll never sleeps. */
	t0 = now_ns();
	CHECK_EQ_INT(pdma_resv_wait_timeout(&r, PDMA_RESV_USAGE_READ, false,
					    0), 0);
	CHECK(now_ns() - t0 < 5000000);
	CHECK_EQ_INT(pdma_resv_wait_timeout(&r, PDMA_RESV_USAGE_READ, true,
					    2000000), 0);
	CHECK_EQ_INT(pdma_resv_wait_timeout(&r, PDMA_RESV_USAGE_READ, true,
					    -1), -EINVAL);
	pdma_fence_signal(k);
	CHECK_EQ_INT(pdma_resv_wait_timeout(&r, PDMA_RESV_USAGE_KERNEL, false,
					    0), 1);
	CHECK_EQ_INT(pdma_resv_wait_timeout(&r, PDMA_RESV_USAGE_READ, false,
					    0), 0);
	pdma_fence_signal(f);
	CHECK_EQ_INT(pdma_resv_wait_timeout(&r, PDMA_RESV_USAGE_READ, false,
					    0), 1);
	CHECK(pdma_resv_wait_timeout(&r, PDMA_RESV_USAGE_READ, false,
				     1000000) > 0);
	pdma_resv_fini(&r);
	pdma_fence_put(f);
	pdma_fence_put(k);
}

/* --- broken contracts: the process aborts with a message ---------------- */

static void add_without_reserve(void *arg)
{
	struct pdma_resv r;

	(void)arg;
	pdma_resv_init(&r);
	pdma_resv_lock(&r, NULL);
	pdma_resv_add_fence_locked(&r, mock_fence(), PDMA_RESV_USAGE_READ);
}

#ifndef NDEBUG
static void add_after_unlock(void *arg)
{
	struct pdma_resv r;

	(void)arg;
	pdma_resv_init(&r);
	pdma_resv_lock(&r, NULL);
	REQUIRE(!pdma_resv_reserve_fences_locked(&r, 4));
	pdma_resv_add_fence_locked(&r, mock_fence(), PDMA_RESV_USAGE_READ);
	pdma_resv_unlock(&r);
	pdma_resv_lock(&r, NULL);
	/* Room in the array, but the reservation died with the lock. */
	pdma_resv_add_fence_locked(&r, mock_fence(), PDMA_RESV_USAGE_READ);
}

static void reserve_unlocked(void *arg)
{
	struct pdma_resv r;

	(void)arg;
	pdma_resv_init(&r);
	pdma_resv_reserve_fences_locked(&r, 1);
}
#endif

static void test_contracts(void)
{
	CHECK(aborts_with(add_without_reserve, NULL, "no reserved slot"));
#ifdef NDEBUG
	fprintf(stderr, "  NDEBUG build: debug-only checks not tested\n");
#else
	CHECK(aborts_with(add_after_unlock, NULL, "no reserved slot"));
	CHECK(aborts_with(reserve_unlocked, NULL,
			  "pdma_resv_reserve_fences_locked() without the "
			  "reservation lock"));
#endif
}

int main(void)
{
	test_growth();
	test_replacement();
	test_promotion();
	test_singleton_and_copy();
	test_wait_and_deadline();
	test_contracts();
	return harness_exit();
}
