/* SPDX-License-Identifier: MIT */
/*
 * Waiting: st-dma-fence's test_wait (a producer's own wait op returning
 * -ETIME) and test_wait_timeout (a timer thread signals after one "jiffy",
 * here 10 ms), the default wait's return values, wait_any_timeout, and
 * interruption: an interruptible wait ends with -EINTR when a signal
 * handler runs on the waiting thread; an uninterruptible one goes on.
 */
#include <pthread.h>

#include "fence-mock.h"

#define JIFFY 10000000LL	/* 10 ms */

/* The kernel mock's wait: 0 when signalled, -ETIME on timeout. */
static int64_t mock_wait(struct pdma_fence *f, bool intr, int64_t timeout)
{
	int64_t ret = pdma_fence_default_wait(f, intr, timeout);

	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIME;
}

static const struct pdma_fence_ops wait_ops = {
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
	.wait = mock_wait,
	.release = mock_release,
};

static struct pdma_fence *wait_fence(void)
{
	struct mock_fence *m = calloc(1, sizeof(*m));

	REQUIRE(m);
	pdma_fence_lock_init(&m->lock);
	pdma_fence_init(&m->base, &wait_ops, &m->lock,
			pdma_fence_context_alloc(1), 1);
	return &m->base;
}

static void test_wait(void)
{
	struct pdma_fence *f = wait_fence();

	pdma_fence_enable_sw_signaling(f);
	CHECK_EQ_INT(pdma_fence_wait_timeout(f, false, 0), -ETIME);
	pdma_fence_signal(f);
	CHECK_EQ_INT(pdma_fence_wait_timeout(f, false, 0), 0);
	pdma_fence_put(f);
}

struct timer {
	pthread_t thread;
	struct pdma_fence *f;
	int64_t delay;
	bool fired;		/* atomic */
};

static void *timer_fn(void *arg)
{
	struct timer *t = arg;

	sleep_ns(t->delay);
	pdma_fence_signal(t->f);
	__atomic_store_n(&t->fired, true, __ATOMIC_RELEASE);
	return NULL;
}

static void test_wait_timeout(void)
{
	struct timer t = { .f = wait_fence(), .delay = JIFFY };
	int64_t ret;

	pdma_fence_enable_sw_signaling(t.f);
	CHECK_EQ_INT(pdma_fence_wait_timeout(t.f, false, JIFFY), -ETIME);

	REQUIRE(!pthread_create(&t.thread, NULL, timer_fn, &t));
	ret = pdma_fence_wait_timeout(t.f, false, 2 * JIFFY);
	if (ret == -ETIME && !__atomic_load_n(&t.fired, __ATOMIC_ACQUIRE))
		fprintf(stderr, "  note: timer did not fire within the "
			"jiffy (not our fault)\n");
	else
		CHECK_EQ_INT(ret, 0);
	pthread_join(t.thread, NULL);
	CHECK(pdma_fence_is_signaled(t.f));
	pdma_fence_put(t.f);
}

static void test_default_wait(void)
{
	struct pdma_fence *f = mock_fence();
	struct timer t = { .f = f, .delay = JIFFY };
	int64_t before, ret;

	CHECK_EQ_INT(pdma_fence_wait_timeout(f, false, -1), -EINVAL);
	CHECK_EQ_INT(pdma_fence_wait_timeout(f, false, 0), 0);

	before = now_ns();
	CHECK_EQ_INT(pdma_fence_wait_timeout(f, true, JIFFY), 0);
	CHECK(now_ns() - before >= JIFFY);

	/* Signalled while sleeping: the time left comes back. */
	REQUIRE(!pthread_create(&t.thread, NULL, timer_fn, &t));
	ret = pdma_fence_wait_timeout(f, false, 100 * JIFFY);
	CHECK(ret > 0 && ret < 100 * JIFFY);
	pthread_join(t.thread, NULL);

	CHECK_EQ_INT(pdma_fence_wait_timeout(f, false, 0), 1);
	CHECK_EQ_INT(pdma_fence_wait_timeout(f, false, 777), 777);
	CHECK_EQ_INT(pdma_fence_wait_timeout(f, false, PDMA_FENCE_TIMEOUT_MAX),
		     PDMA_FENCE_TIMEOUT_MAX);
	CHECK_EQ_INT(pdma_fence_wait(f, true), 0);
	pdma_fence_put(f);

	/* Waiting forever for a fence signalled later. */
	f = mock_fence();
	t.f = f;
	t.fired = false;
	REQUIRE(!pthread_create(&t.thread, NULL, timer_fn, &t));
	CHECK_EQ_INT(pdma_fence_wait(f, false), 0);
	CHECK(__atomic_load_n(&t.fired, __ATOMIC_ACQUIRE) ||
	      pdma_fence_is_signaled(f));
	pthread_join(t.thread, NULL);
	pdma_fence_put(f);
}

static void test_wait_any(void)
{
	struct pdma_fence *f[3] = { mock_fence(), mock_fence(), mock_fence() };
	struct timer t = { .f = f[2], .delay = JIFFY };
	uint32_t idx = 99;

	CHECK_EQ_INT(pdma_fence_wait_any_timeout(f, 0, false, 0, &idx),
		     -EINVAL);
	CHECK_EQ_INT(pdma_fence_wait_any_timeout(f, 3, false, -1, &idx),
		     -EINVAL);
	CHECK_EQ_INT(pdma_fence_wait_any_timeout(f, 3, false, 0, &idx), 0);
	CHECK_EQ_INT(pdma_fence_wait_any_timeout(f, 3, false, JIFFY, &idx), 0);
	CHECK_EQ_INT(idx, 99);

	REQUIRE(!pthread_create(&t.thread, NULL, timer_fn, &t));
	CHECK(pdma_fence_wait_any_timeout(f, 3, true, 100 * JIFFY, &idx) > 0);
	CHECK_EQ_INT(idx, 2);
	pthread_join(t.thread, NULL);

	/* Already signalled: at once, the first one in array order. */
	pdma_fence_signal(f[1]);
	CHECK_EQ_INT(pdma_fence_wait_any_timeout(f, 3, false, 0, &idx), 1);
	CHECK_EQ_INT(idx, 1);
	CHECK_EQ_INT(pdma_fence_wait_any_timeout(f, 3, false, 5 * JIFFY,
						 &idx), 5 * JIFFY);
	CHECK_EQ_INT(idx, 1);
	for (int i = 0; i < 3; i++)
		pdma_fence_put(f[i]);
}

/* --- interruption -------------------------------------------------------- */

static int handled;	/* atomic: written by the handler */

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
}

static int handled_count(void)
{
	return __atomic_load_n(&handled, __ATOMIC_RELAXED);
}

struct waiter {
	pthread_t thread;
	struct pdma_fence *f;
	bool intr;
	int64_t timeout;
	int64_t ret;
	bool done;		/* atomic */
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	w->ret = pdma_fence_wait_timeout(w->f, w->intr, w->timeout);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Poke @w with SIGUSR1 until it returns (a signal sent before it sleeps
 * is not seen, as with any user-space wait) or @tries run out. */
static bool poke_until_done(struct waiter *w, int tries)
{
	for (int i = 0; i < tries; i++) {
		if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			return true;
		pthread_kill(w->thread, SIGUSR1);
		sleep_ns(JIFFY);
	}
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

static void test_interruptible(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct waiter w = { .f = mock_fence(), .intr = true,
			    .timeout = PDMA_FENCE_TIMEOUT_MAX };
	int64_t ret;

	sigemptyset(&sa.sa_mask);
	REQUIRE(!sigaction(SIGUSR1, &sa, NULL));

	/* Interruptible, even with SA_RESTART: -EINTR. */
	REQUIRE(!pthread_create(&w.thread, NULL, waiter_fn, &w));
	CHECK(poke_until_done(&w, 500));
	pthread_join(w.thread, NULL);
	CHECK_EQ_INT(w.ret, -EINTR);
	CHECK(handled_count() > 0);
	CHECK(!pdma_fence_is_signaled(w.f));

	/* Uninterruptible: signals are handled, the wait goes on. */
	w.intr = false;
	w.done = false;
	w.timeout = 30 * JIFFY;
	__atomic_store_n(&handled, 0, __ATOMIC_RELAXED);
	REQUIRE(!pthread_create(&w.thread, NULL, waiter_fn, &w));
	for (int i = 0; i < 5 && !handled_count(); i++) {
		pthread_kill(w.thread, SIGUSR1);
		sleep_ns(JIFFY);
	}
	pdma_fence_signal(w.f);
	pthread_join(w.thread, NULL);
	CHECK(w.ret > 0);	/* signalled, not interrupted */

	/* And the fence is untouched by the interrupted waiter. */
	ret = pdma_fence_wait_timeout(w.f, true, 0);
	CHECK_EQ_INT(ret, 1);
	pdma_fence_put(w.f);
}

int main(void)
{
	test_wait();
	test_wait_timeout();
	test_default_wait();
	test_wait_any();
	test_interruptible();
	return harness_exit();
}
