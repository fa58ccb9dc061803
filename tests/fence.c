/* SPDX-License-Identifier: MIT */
/*
 * Fences: the single-threaded cases of the kernel's st-dma-fence
 * (reference 4.1: sanitycheck, signaling, add_callback, late_add_callback,
 * rm_callback, late_rm_callback, status, error, stub) and the rest of the
 * contract: contexts, ordering, init checks, callback order, the ops
 * (enable_signaling once, signaled polling, set_deadline), timestamps,
 * names after signal, private stubs and releasing a fence with callbacks.
 */
#include "fence-mock.h"

struct simple_cb {
	struct pdma_fence_cb cb;
	int seen;
	int order;
	int error;		/* fence error when it ran */
};

static int order_counter;

static void simple_callback(struct pdma_fence *f, struct pdma_fence_cb *cb)
{
	struct simple_cb *s = (struct simple_cb *)cb;

	s->seen++;
	s->order = ++order_counter;
	s->error = f->error;
}

static void sanitycheck(void)
{
	struct pdma_fence *f = mock_fence();
	int released = mock_released_count();

	pdma_fence_enable_sw_signaling(f);
	CHECK_EQ_INT(pdma_fence_signal(f), 0);
	pdma_fence_put(f);
	CHECK_EQ_INT(mock_released_count(), released + 1);
	pdma_fence_put(NULL);	/* a no-op */
}

static void test_signaling(void)
{
	struct pdma_fence *f = mock_fence();

	pdma_fence_enable_sw_signaling(f);
	CHECK(!pdma_fence_is_signaled(f));
	CHECK_EQ_INT(pdma_fence_signal(f), 0);
	CHECK(pdma_fence_is_signaled(f));
	CHECK_EQ_INT(pdma_fence_signal(f), -EINVAL);
	pdma_fence_put(f);
}

static void test_add_callback(void)
{
	struct pdma_fence *f = mock_fence();
	struct simple_cb cb = { 0 };

	CHECK_EQ_INT(pdma_fence_add_callback(f, &cb.cb, simple_callback), 0);
	CHECK_EQ_INT(cb.seen, 0);
	pdma_fence_signal(f);
	CHECK_EQ_INT(cb.seen, 1);
	pdma_fence_put(f);
}

static void test_late_add_callback(void)
{
	struct pdma_fence *f = mock_fence();
	struct simple_cb cb = { 0 };

	pdma_fence_enable_sw_signaling(f);
	pdma_fence_signal(f);
	CHECK_EQ_INT(pdma_fence_add_callback(f, &cb.cb, simple_callback),
		     -ENOENT);
	CHECK_EQ_INT(cb.seen, 0);
	/* A failed add leaves the storage "not queued". */
	CHECK(!pdma_fence_remove_callback(f, &cb.cb));
	pdma_fence_put(f);
}

static void test_rm_callback(void)
{
	struct pdma_fence *f = mock_fence();
	struct simple_cb cb = { 0 };

	CHECK_EQ_INT(pdma_fence_add_callback(f, &cb.cb, simple_callback), 0);
	CHECK(pdma_fence_remove_callback(f, &cb.cb));
	pdma_fence_signal(f);
	CHECK_EQ_INT(cb.seen, 0);
	pdma_fence_put(f);
}

static void test_late_rm_callback(void)
{
	struct pdma_fence *f = mock_fence();
	struct simple_cb cb = { 0 };

	CHECK_EQ_INT(pdma_fence_add_callback(f, &cb.cb, simple_callback), 0);
	pdma_fence_signal(f);
	CHECK_EQ_INT(cb.seen, 1);
	CHECK(!pdma_fence_remove_callback(f, &cb.cb));
	pdma_fence_put(f);
}

static void test_status(void)
{
	struct pdma_fence *f = mock_fence();

	pdma_fence_enable_sw_signaling(f);
	CHECK_EQ_INT(pdma_fence_get_status(f), 0);
	pdma_fence_signal(f);
	CHECK_EQ_INT(pdma_fence_get_status(f), 1);
	pdma_fence_put(f);
}

static void test_error(void)
{
	struct pdma_fence *f = mock_fence();
	struct simple_cb cb = { 0 };

	CHECK_EQ_INT(pdma_fence_add_callback(f, &cb.cb, simple_callback), 0);
	CHECK_EQ_INT(pdma_fence_set_error(f, -EIO), 0);
	CHECK_EQ_INT(pdma_fence_get_status(f), 0);
	pdma_fence_signal(f);
	CHECK_EQ_INT(pdma_fence_get_status(f), -EIO);
	CHECK_EQ_INT(cb.error, -EIO);	/* visible to callbacks */

	/* Range, and never after the signal. */
	CHECK_EQ_INT(pdma_fence_set_error(f, -EINVAL), -EBUSY);
	CHECK_EQ_INT(pdma_fence_get_status(f), -EIO);
	pdma_fence_put(f);

	f = mock_fence();
	CHECK_EQ_INT(pdma_fence_set_error(f, 0), -EINVAL);
	CHECK_EQ_INT(pdma_fence_set_error(f, 5), -EINVAL);
	CHECK_EQ_INT(pdma_fence_set_error(f, -4096), -EINVAL);
	CHECK_EQ_INT(pdma_fence_set_error(f, -4095), 0);
	pdma_fence_signal(f);
	CHECK_EQ_INT(pdma_fence_get_status(f), -4095);
	pdma_fence_put(f);
}

static void test_stub(void)
{
	struct pdma_fence *f[64];
	int64_t t0;

	for (int i = 0; i < 64; i++) {
		f[i] = pdma_fence_get_stub();
		CHECK(pdma_fence_is_signaled(f[i]));
	}
	/* One global fence, stamped at first use, never released. */
	t0 = pdma_fence_timestamp(f[0]);
	CHECK(t0 > 0 && t0 <= now_ns());
	CHECK(f[0] == f[63]);
	CHECK_EQ_INT(pdma_fence_get_status(f[0]), 1);
	for (int i = 0; i < 64; i++)
		pdma_fence_put(f[i]);
	f[0] = pdma_fence_get_stub();
	CHECK_EQ_INT(pdma_fence_timestamp(f[0]), t0);
	pdma_fence_put(f[0]);

	/* Private stubs carry the timestamp they are given. */
	CHECK_EQ_INT(pdma_fence_allocate_private_stub(12345, &f[1]), 0);
	CHECK(f[1] != f[0]);
	CHECK(pdma_fence_is_signaled(f[1]));
	CHECK_EQ_INT(pdma_fence_timestamp(f[1]), 12345);
	pdma_fence_put(f[1]);
}

static void test_contexts_and_order(void)
{
	uint64_t a = pdma_fence_context_alloc(3), b;
	struct pdma_fence *x, *y, *z;

	CHECK(a >= 1);
	b = pdma_fence_context_alloc(1);
	CHECK_EQ_INT(b, a + 3);

	/* 32-bit seqnos wrap around. */
	x = mock_fence_on(a, 0xfffffff0u, false);
	y = mock_fence_on(a, 0x10, false);
	CHECK(pdma_fence_is_later(y, x));
	CHECK(!pdma_fence_is_later(x, y));
	CHECK(!pdma_fence_is_later(x, x));
	CHECK(pdma_fence_is_later_or_same(x, x));
	pdma_fence_put(x);
	pdma_fence_put(y);

	/* 64-bit seqnos do not. */
	x = mock_fence_on(a + 1, 0xfffffff0u, true);
	y = mock_fence_on(a + 1, 0x100000010ull, true);
	z = mock_fence_on(a + 1, 0x10, true);
	CHECK(pdma_fence_is_later(y, x));
	CHECK(pdma_fence_is_later(x, z));
	CHECK(!pdma_fence_is_later(z, x));
	pdma_fence_put(z);

	/* Different contexts are not ordered. */
	z = mock_fence_on(a + 2, 0x200000000ull, true);
	CHECK(!pdma_fence_is_later(z, x));
	CHECK(!pdma_fence_is_later(x, z));
	CHECK(!pdma_fence_is_later_or_same(x, z));
	pdma_fence_put(x);
	pdma_fence_put(y);
	pdma_fence_put(z);
}

static void test_init_and_args(void)
{
	static const struct pdma_fence_ops no_names = { 0 };
	struct pdma_fence_lock lock = PDMA_FENCE_LOCK_INIT;
	struct pdma_fence f, *m;
	struct simple_cb cb = { 0 };

	CHECK_EQ_INT(pdma_fence_init(&f, NULL, &lock, 1, 1), -EINVAL);
	CHECK_EQ_INT(pdma_fence_init(&f, &no_names, &lock, 1, 1), -EINVAL);
	CHECK_EQ_INT(pdma_fence_init(&f, &mock_ops, NULL, 1, 1), -EINVAL);
	CHECK_EQ_INT(pdma_fence_init64(NULL, &mock_ops, &lock, 1, 1), -EINVAL);

	m = mock_fence();
	CHECK_EQ_INT(pdma_fence_get_status(m), 0);
	CHECK_EQ_INT(m->refcount, 1);
	CHECK(pdma_fence_get(m) == m);
	CHECK(pdma_fence_get(NULL) == NULL);
	pdma_fence_put(m);
	CHECK_EQ_INT(pdma_fence_add_callback(NULL, &cb.cb, simple_callback),
		     -EINVAL);
	CHECK_EQ_INT(pdma_fence_add_callback(m, NULL, simple_callback),
		     -EINVAL);
	CHECK_EQ_INT(pdma_fence_add_callback(m, &cb.cb, NULL), -EINVAL);
	CHECK_EQ_INT(pdma_fence_signal(NULL), -EINVAL);
	pdma_fence_put(m);
	pdma_fence_lock_destroy(&lock);
}

static void test_callback_order(void)
{
	struct pdma_fence *f = mock_fence();
	struct simple_cb cb[5] = { 0 };

	order_counter = 0;
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(pdma_fence_add_callback(f, &cb[i].cb,
						     simple_callback), 0);
	CHECK(pdma_fence_remove_callback(f, &cb[2].cb));
	pdma_fence_signal(f);
	CHECK_EQ_INT(cb[0].order, 1);
	CHECK_EQ_INT(cb[1].order, 2);
	CHECK_EQ_INT(cb[2].seen, 0);
	CHECK_EQ_INT(cb[3].order, 3);
	CHECK_EQ_INT(cb[4].order, 4);
	pdma_fence_put(f);
}

/* A producer with every optional op, counting calls. */
struct counted {
	struct pdma_fence base;
	struct pdma_fence_lock lock;
	int enables;
	bool enable_says_done;
	bool hw_done;		/* what ->signaled reports */
	int deadlines;
	int64_t deadline;
	bool lock_held_in_enable;
};

static bool counted_enable(struct pdma_fence *f)
{
	struct counted *c = (struct counted *)f;

	c->enables++;
	/* The core calls it with the lock held: trylock must fail. */
	c->lock_held_in_enable = pthread_mutex_trylock(&c->lock.mutex) != 0;
	if (!c->lock_held_in_enable)
		pthread_mutex_unlock(&c->lock.mutex);
	return !c->enable_says_done;
}

static bool counted_signaled(struct pdma_fence *f)
{
	return ((struct counted *)f)->hw_done;
}

static void counted_deadline(struct pdma_fence *f, int64_t deadline)
{
	struct counted *c = (struct counted *)f;

	c->deadlines++;
	c->deadline = deadline;
}

static const struct pdma_fence_ops counted_ops = {
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
	.enable_signaling = counted_enable,
	.signaled = counted_signaled,
	.set_deadline = counted_deadline,
	.release = NULL,	/* embedded on the stack: nothing to free */
};

static void counted_init(struct counted *c)
{
	memset(c, 0, sizeof(*c));
	pdma_fence_lock_init(&c->lock);
	REQUIRE(!pdma_fence_init(&c->base, &counted_ops, &c->lock, 7, 1));
	pdma_fence_get(&c->base);	/* never reaches the free() */
}

static void test_ops(void)
{
	struct counted c;
	struct simple_cb cb1 = { 0 }, cb2 = { 0 };

	/* enable_signaling: once, with the lock held, on first need. */
	counted_init(&c);
	CHECK_EQ_INT(c.enables, 0);
	CHECK_EQ_INT(pdma_fence_add_callback(&c.base, &cb1.cb,
					     simple_callback), 0);
	CHECK_EQ_INT(c.enables, 1);
	CHECK(c.lock_held_in_enable);
	CHECK_EQ_INT(pdma_fence_add_callback(&c.base, &cb2.cb,
					     simple_callback), 0);
	pdma_fence_enable_sw_signaling(&c.base);
	CHECK_EQ_INT(c.enables, 1);

	/* set_deadline is forwarded while pending only. */
	pdma_fence_set_deadline(&c.base, 1000);
	pdma_fence_set_deadline(&c.base, 500);
	CHECK_EQ_INT(c.deadlines, 2);
	CHECK_EQ_INT(c.deadline, 500);

	/* ->signaled true: polling signals it and runs the callbacks. */
	c.hw_done = true;
	CHECK(pdma_fence_is_signaled(&c.base));
	CHECK_EQ_INT(cb1.seen + cb2.seen, 2);
	pdma_fence_set_deadline(&c.base, 100);
	CHECK_EQ_INT(c.deadlines, 2);
	CHECK_EQ_INT(pdma_fence_signal(&c.base), -EINVAL);

	/* enable_signaling returning false: "already done". */
	counted_init(&c);
	c.enable_says_done = true;
	memset(&cb1, 0, sizeof(cb1));
	CHECK_EQ_INT(pdma_fence_add_callback(&c.base, &cb1.cb,
					     simple_callback), -ENOENT);
	CHECK(pdma_fence_is_signaled(&c.base));
	CHECK_EQ_INT(cb1.seen, 0);
	CHECK_EQ_INT(c.enables, 1);
}

static void test_signal_locked_and_timestamps(void)
{
	struct pdma_fence *f = mock_fence();
	struct simple_cb cb = { 0 };
	int64_t before, after;

	CHECK_EQ_INT(pdma_fence_timestamp(f), 0);
	CHECK_STR(pdma_fence_driver_name(f), "mock");
	CHECK_STR(pdma_fence_timeline_name(f), "mock-timeline");
	CHECK_EQ_INT(pdma_fence_add_callback(f, &cb.cb, simple_callback), 0);

	before = now_ns();
	pdma_fence_lock(f);
	CHECK_EQ_INT(pdma_fence_get_status_locked(f), 0);
	CHECK_EQ_INT(pdma_fence_signal_locked(f), 0);
	CHECK_EQ_INT(cb.seen, 1);
	CHECK(pdma_fence_is_signaled_locked(f));
	CHECK_EQ_INT(pdma_fence_get_status_locked(f), 1);
	CHECK_EQ_INT(pdma_fence_signal_locked(f), -EINVAL);
	pdma_fence_unlock(f);
	after = now_ns();
	CHECK(pdma_fence_timestamp(f) >= before);
	CHECK(pdma_fence_timestamp(f) <= after);
	/* Names are fixed strings once signalled. */
	CHECK_STR(pdma_fence_driver_name(f), "signaled-driver");
	CHECK_STR(pdma_fence_timeline_name(f), "signaled-timeline");
	pdma_fence_put(f);

	f = mock_fence();
	CHECK_EQ_INT(pdma_fence_signal_timestamp(f, 424242), 0);
	CHECK_EQ_INT(pdma_fence_timestamp(f), 424242);
	CHECK_EQ_INT(pdma_fence_signal_timestamp(f, 1), -EINVAL);
	CHECK_EQ_INT(pdma_fence_timestamp(f), 424242);
	pdma_fence_put(f);
}

static void test_release_with_callbacks(void)
{
	struct pdma_fence *f = mock_fence();
	struct simple_cb cb = { 0 };
	int released = mock_released_count();

	/* The producer drops its fence without signalling: a bug that the
	 * core turns into an -EDEADLK signal, so the waiter is not lost. */
	CHECK_EQ_INT(pdma_fence_add_callback(f, &cb.cb, simple_callback), 0);
	pdma_fence_put(f);
	CHECK_EQ_INT(cb.seen, 1);
	CHECK_EQ_INT(cb.error, -EDEADLK);
	CHECK_EQ_INT(mock_released_count(), released + 1);
}

int main(void)
{
	sanitycheck();
	test_signaling();
	test_add_callback();
	test_late_add_callback();
	test_rm_callback();
	test_late_rm_callback();
	test_status();
	test_error();
	test_stub();
	test_contexts_and_order();
	test_init_and_args();
	test_callback_order();
	test_ops();
	test_signal_locked_and_timestamps();
	test_release_with_callbacks();
	return harness_exit();
}
