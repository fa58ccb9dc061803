/* SPDX-License-Identifier: MIT */
/*
 * The multi-object lock, step by step: -EALREADY, -EDEADLK for a younger
 * context and the back-off (unlock all, slow-lock, retry), an older
 * context waiting for a younger one, trylock, locking without a context,
 * interruptible variants (-EINTR when a signal handler runs), and the
 * debug checks on acquire contexts.
 */
#include <pthread.h>

#include "fence-mock.h"

#define MS 1000000LL

static struct pdma_resv a, b;

/* --- a helper thread that runs one scripted step at a time ------------ */

struct helper {
	pthread_t thread;
	struct pdma_ww_acquire_ctx ctx;
	int step;		/* atomic: what main asked for */
	int done;		/* atomic: last step finished */
	int ret;
};

static void helper_wait_step(struct helper *h, int step)
{
	while (__atomic_load_n(&h->step, __ATOMIC_ACQUIRE) < step)
		sleep_ns(MS / 10);
}

static void helper_finish(struct helper *h, int step, int ret)
{
	h->ret = ret;
	__atomic_store_n(&h->done, step, __ATOMIC_RELEASE);
}

static void helper_go(struct helper *h, int step)
{
	__atomic_store_n(&h->step, step, __ATOMIC_RELEASE);
}

static bool helper_finished(struct helper *h, int step)
{
	return __atomic_load_n(&h->done, __ATOMIC_ACQUIRE) >= step;
}

static void helper_join_step(struct helper *h, int step)
{
	while (!helper_finished(h, step))
		sleep_ns(MS / 10);
}

/* --- -EALREADY, -EDEADLK and back-off ---------------------------------- */

/* The young one: holds b, then wants a (held by the old one). */
static void *young_fn(void *arg)
{
	struct helper *h = arg;

	helper_wait_step(h, 1);
	pdma_ww_acquire_init(&h->ctx, &pdma_reservation_ww_class);
	helper_finish(h, 1, pdma_resv_lock(&b, &h->ctx));

	helper_wait_step(h, 2);
	h->ret = pdma_resv_lock(&a, &h->ctx);
	if (h->ret == -EDEADLK) {
		/* Back off: drop b, sleep on a, then take b again. */
		pdma_resv_unlock(&b);
		pdma_resv_lock_slow(&a, &h->ctx);
		h->ret = pdma_resv_lock(&b, &h->ctx) ? -1 : -EDEADLK;
	}
	helper_finish(h, 2, h->ret);

	helper_wait_step(h, 3);
	pdma_ww_acquire_done(&h->ctx);
	pdma_resv_unlock(&a);
	pdma_resv_unlock(&b);
	pdma_ww_acquire_fini(&h->ctx);
	helper_finish(h, 3, 0);
	return NULL;
}

static void test_deadlk_backoff(void)
{
	struct pdma_ww_acquire_ctx old;
	struct helper h = { 0 };

	pdma_ww_acquire_init(&old, &pdma_reservation_ww_class);
	REQUIRE(!pthread_create(&h.thread, NULL, young_fn, &h));
	helper_go(&h, 1);		/* young: takes b */
	helper_join_step(&h, 1);
	CHECK_EQ_INT(h.ret, 0);
	CHECK(old.stamp < h.ctx.stamp);

	CHECK_EQ_INT(pdma_resv_lock(&a, &old), 0);
	CHECK_EQ_INT(pdma_resv_lock(&a, &old), -EALREADY);
	CHECK_EQ_INT(old.acquired, 1);

	helper_go(&h, 2);		/* young wants a: dies, backs off */
	/* Old wants b: waits until young has dropped it, then gets it. */
	CHECK_EQ_INT(pdma_resv_lock(&b, &old), 0);
	CHECK(!helper_finished(&h, 2));	/* young sleeps on a */
	pdma_ww_acquire_done(&old);
	pdma_resv_unlock(&b);
	pdma_resv_unlock(&a);
	pdma_ww_acquire_fini(&old);

	helper_join_step(&h, 2);
	CHECK_EQ_INT(h.ret, -EDEADLK);	/* it did back off, then got both */
	helper_go(&h, 3);
	pthread_join(h.thread, NULL);
	CHECK(!pdma_ww_mutex_is_locked(&a.lock));
	CHECK(!pdma_ww_mutex_is_locked(&b.lock));
}

/* The old one waits for a young holder instead of dying. */
static void *young_holder_fn(void *arg)
{
	struct helper *h = arg;

	pdma_ww_acquire_init(&h->ctx, &pdma_reservation_ww_class);
	helper_wait_step(h, 1);
	helper_finish(h, 1, pdma_resv_lock(&a, &h->ctx));
	helper_wait_step(h, 2);
	sleep_ns(20 * MS);
	pdma_resv_unlock(&a);
	pdma_ww_acquire_fini(&h->ctx);
	helper_finish(h, 2, 0);
	return NULL;
}

static void test_old_waits(void)
{
	struct pdma_ww_acquire_ctx old;
	struct helper h = { 0 };
	int64_t t0;

	pdma_ww_acquire_init(&old, &pdma_reservation_ww_class);
	REQUIRE(!pthread_create(&h.thread, NULL, young_holder_fn, &h));
	helper_go(&h, 1);
	helper_join_step(&h, 1);
	CHECK_EQ_INT(h.ret, 0);
	CHECK(pdma_ww_mutex_is_locked(&a.lock));
	CHECK(!pdma_resv_held(&a));
	CHECK(!pdma_resv_trylock(&a));

	t0 = now_ns();
	helper_go(&h, 2);
	CHECK_EQ_INT(pdma_resv_lock(&a, &old), 0);
	CHECK(now_ns() - t0 >= 20 * MS);
	CHECK(pdma_resv_held(&a));
	pdma_resv_unlock(&a);
	pdma_ww_acquire_fini(&old);
	pthread_join(h.thread, NULL);

	/* Without a context: never -EDEADLK, trylock works on a free lock. */
	CHECK(pdma_resv_trylock(&a));
	CHECK(!pdma_resv_trylock(&a));
	pdma_resv_unlock(&a);
	CHECK_EQ_INT(pdma_resv_lock(&a, NULL), 0);
	pdma_resv_unlock(&a);
}

/* --- interruption -------------------------------------------------------- */

static int handled;

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
}

struct intr_waiter {
	pthread_t thread;
	bool slow;
	int ret;
	bool done;		/* atomic */
};

static void *intr_fn(void *arg)
{
	struct intr_waiter *w = arg;
	struct pdma_ww_acquire_ctx ctx;

	pdma_ww_acquire_init(&ctx, &pdma_reservation_ww_class);
	if (w->slow)
		w->ret = pdma_resv_lock_slow_interruptible(&a, &ctx);
	else
		w->ret = pdma_resv_lock_interruptible(&a, &ctx);
	if (!w->ret)
		pdma_resv_unlock(&a);
	pdma_ww_acquire_fini(&ctx);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void test_interruptible(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigemptyset(&sa.sa_mask);
	REQUIRE(!sigaction(SIGUSR1, &sa, NULL));
	/* Held without a context: a context waits for it (an older holding
	 * context would make the waiter die instead). */
	REQUIRE(!pdma_resv_lock(&a, NULL));

	for (int slow = 0; slow <= 1; slow++) {
		struct intr_waiter w = { .slow = slow };

		REQUIRE(!pthread_create(&w.thread, NULL, intr_fn, &w));
		for (int i = 0; i < 500; i++) {
			if (__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
				break;
			pthread_kill(w.thread, SIGUSR1);
			sleep_ns(10 * MS);
		}
		pthread_join(w.thread, NULL);
		CHECK_EQ_INT(w.ret, -EINTR);
	}
	CHECK(__atomic_load_n(&handled, __ATOMIC_RELAXED) >= 2);
	CHECK(pdma_resv_held(&a));
	pdma_resv_unlock(&a);
}

/* --- contracts (debug builds) ------------------------------------------- */

#ifndef NDEBUG

static void slow_with_locks_held(void *arg)
{
	struct pdma_ww_acquire_ctx ctx;

	(void)arg;
	pdma_ww_acquire_init(&ctx, &pdma_reservation_ww_class);
	pdma_resv_lock(&a, &ctx);
	pdma_resv_lock_slow(&b, &ctx);
}

static void fini_with_locks_held(void *arg)
{
	struct pdma_ww_acquire_ctx ctx;

	(void)arg;
	pdma_ww_acquire_init(&ctx, &pdma_reservation_ww_class);
	pdma_resv_lock(&a, &ctx);
	pdma_ww_acquire_fini(&ctx);
}

static void unlock_not_held(void *arg)
{
	(void)arg;
	pdma_resv_unlock(&a);
}

static void lock_after_done(void *arg)
{
	struct pdma_ww_acquire_ctx ctx;

	(void)arg;
	pdma_ww_acquire_init(&ctx, &pdma_reservation_ww_class);
	pdma_ww_acquire_done(&ctx);
	pdma_resv_lock(&a, &ctx);
}

static void test_contracts(void)
{
	CHECK(aborts_with(slow_with_locks_held, NULL, "slow lock with 1 locks"));
	CHECK(aborts_with(fini_with_locks_held, NULL,
			  "pdma_ww_acquire_fini() with 1 locks still held"));
	CHECK(aborts_with(unlock_not_held, NULL,
			  "pdma_resv_unlock() without the reservation lock"));
	CHECK(aborts_with(lock_after_done, NULL, "after pdma_ww_acquire_done"));
}
#else
static void test_contracts(void)
{
	fprintf(stderr, "  NDEBUG build: debug-only checks not tested\n");
}
#endif

int main(void)
{
	pdma_resv_init(&a);
	pdma_resv_init(&b);
	test_deadlk_backoff();
	test_old_waits();
	test_interruptible();
	test_contracts();
	pdma_resv_fini(&a);
	pdma_resv_fini(&b);
	return harness_exit();
}
