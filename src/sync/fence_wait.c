/* SPDX-License-Identifier: MIT */
/*
 * Waiting for fences.  A waiter queues a callback that sets a futex word
 * and wakes it; the sleep has an absolute CLOCK_MONOTONIC deadline, so a
 * signal handler running on the waiting thread interrupts it (-EINTR) for
 * interruptible waits, whatever SA_RESTART says; uninterruptible waits go
 * back to sleep.  Before returning, the waiter removes its callback under
 * the fence lock, so the callback is never running on a dead stack frame.
 */
#include "sync.h"

struct waiter {
	struct pdma_fence_cb cb;
	uint32_t *word;
};

static void wake_cb(struct pdma_fence *fence, struct pdma_fence_cb *cb)
{
	struct waiter *w = (struct waiter *)cb;

	(void)fence;
	__atomic_store_n(w->word, 1, __ATOMIC_RELEASE);
	pdma__futex_wake(w->word, INT_MAX);
}

/* What is left of @timeout at @deadline's clock, at least 1. */
static int64_t remaining(int64_t timeout, int64_t deadline)
{
	int64_t left;

	if (timeout == PDMA_FENCE_TIMEOUT_MAX)
		return timeout;
	left = deadline - pdma__now_ns();
	return left > 0 ? left : 1;
}

/*
 * Sleep until *@word is set, @deadline passes (-ETIMEDOUT) or, if @intr,
 * a signal handler runs (-EINTR).
 */
static int sleep_on(uint32_t *word, bool intr, int64_t deadline)
{
	int r;

	while (!__atomic_load_n(word, __ATOMIC_ACQUIRE)) {
		r = pdma__futex_wait(word, 0, deadline);
		if (r == -ETIMEDOUT || (r == -EINTR && intr))
			return __atomic_load_n(word, __ATOMIC_ACQUIRE) ? 0 : r;
	}
	return 0;
}

int64_t pdma_fence_default_wait(struct pdma_fence *fence, bool intr,
				int64_t timeout)
{
	uint32_t word = 0;
	struct waiter w = { .word = &word };
	int64_t deadline;
	int r;

	if (timeout < 0)
		return -EINVAL;
	if (pdma_fence_is_signaled(fence))
		return timeout ? timeout : 1;
	if (!timeout)
		return 0;

	deadline = timeout == PDMA_FENCE_TIMEOUT_MAX ? INT64_MAX :
		   pdma__deadline(timeout);
	if (pdma_fence_add_callback(fence, &w.cb, wake_cb))
		return timeout;		/* signalled meanwhile */

	r = sleep_on(&word, intr, deadline);
	if (pdma_fence_remove_callback(fence, &w.cb))
		return r == -EINTR ? -EINTR : 0;
	/* The callback ran (and has finished: it runs under the lock). */
	return remaining(timeout, deadline);
}

int64_t pdma_fence_wait_timeout(struct pdma_fence *fence, bool intr,
				int64_t timeout)
{
	if (timeout < 0)
		return -EINVAL;
	if (fence->ops->wait) {
		pdma_fence_enable_sw_signaling(fence);
		return fence->ops->wait(fence, intr, timeout);
	}
	return pdma_fence_default_wait(fence, intr, timeout);
}

int pdma_fence_wait(struct pdma_fence *fence, bool intr)
{
	int64_t ret = pdma_fence_wait_timeout(fence, intr,
					      PDMA_FENCE_TIMEOUT_MAX);

	return ret < 0 ? (int)ret : 0;
}

static bool test_signaled_any(struct pdma_fence **fences, uint32_t count,
			      uint32_t *idx)
{
	for (uint32_t i = 0; i < count; i++) {
		if (pdma_fence_is_signaled(fences[i])) {
			if (idx)
				*idx = i;
			return true;
		}
	}
	return false;
}

int64_t pdma_fence_wait_any_timeout(struct pdma_fence **fences,
				    uint32_t count, bool intr,
				    int64_t timeout, uint32_t *idx)
{
	struct waiter *cbs;
	uint32_t word = 0, i;
	int64_t deadline, ret = timeout;
	int r;

	if (!fences || !count || timeout < 0)
		return -EINVAL;
	if (!timeout)
		return test_signaled_any(fences, count, idx) ? 1 : 0;

	cbs = calloc(count, sizeof(*cbs));
	if (!cbs)
		return -ENOMEM;
	deadline = timeout == PDMA_FENCE_TIMEOUT_MAX ? INT64_MAX :
		   pdma__deadline(timeout);

	for (i = 0; i < count; i++) {
		cbs[i].word = &word;
		if (pdma_fence_add_callback(fences[i], &cbs[i].cb, wake_cb)) {
			if (idx)	/* already signalled */
				*idx = i;
			goto remove_cbs;
		}
	}

	for (;;) {
		if (test_signaled_any(fences, count, idx)) {
			ret = remaining(timeout, deadline);
			break;
		}
		r = sleep_on(&word, intr, deadline);
		if (r) {
			ret = r == -EINTR ? -EINTR : 0;
			break;
		}
	}

remove_cbs:
	while (i-- > 0)
		pdma_fence_remove_callback(fences[i], &cbs[i].cb);
	free(cbs);
	return ret;
}
