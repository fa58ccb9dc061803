/* SPDX-License-Identifier: MIT */
/*
 * The multi-object lock: a wait/die mutex.
 *
 * Deadlock avoidance: a context may only sleep on a lock whose holder is
 * younger (a larger stamp) or has no context; a younger context that finds
 * an older holder returns -EDEADLK at once.  Every waits-for edge thus
 * goes from older to younger, so there is no cycle.  When a context takes
 * a lock that has sleepers, it wakes them so that those younger than it
 * re-check and die instead of sleeping on an older holder.  After backing
 * off, a context sleeps on the contended lock holding nothing
 * (lock_slow), which cannot close a cycle either, and it keeps its stamp,
 * so it eventually is the oldest and wins.
 *
 * The lock word @state holds the holder's stamp and a locked bit, so an
 * uncontended lock or unlock is one atomic instruction, and a contender
 * reads the holder's age from the same word it failed to take.  Sleepers
 * register in @waiters (under wait_lock) and then re-read @state; a
 * releaser (or a context that just took the lock) changes @state and then
 * reads @waiters; both sequentially consistent, so either the sleeper sees
 * the change or the waker sees the sleeper.  Waking bumps the futex word
 * @wake_seq under wait_lock, which the sleeper read under wait_lock before
 * sleeping, so no wake-up is lost.  Sleeps have a (far) deadline, which
 * makes a signal handler end them with EINTR even under SA_RESTART: that
 * is the interruptible variant.
 */
#include "sync.h"

#include <peerdma/resv.h>

void pdma_ww_acquire_init(struct pdma_ww_acquire_ctx *ctx,
			  struct pdma_ww_class *ww_class)
{
	ctx->ww_class = ww_class;
	ctx->stamp = __atomic_add_fetch(&ww_class->stamp, 1, __ATOMIC_RELAXED);
	ctx->acquired = 0;
	ctx->done = false;
	ctx->contending = NULL;
}

void pdma_ww_acquire_done(struct pdma_ww_acquire_ctx *ctx)
{
	ctx->done = true;
}

void pdma_ww_acquire_fini(struct pdma_ww_acquire_ctx *ctx)
{
	if (PDMA_SYNC_DEBUG && ctx->acquired)
		pdma__bug("pdma_ww_acquire_fini() with %u locks still held; "
			  "unlock them first", ctx->acquired);
}

void pdma_ww_mutex_init(struct pdma_ww_mutex *lock,
			struct pdma_ww_class *ww_class)
{
	lock->state = 0;
	lock->owner = NULL;
	lock->ctx = NULL;
	lock->waiters = 0;
	lock->wake_seq = 0;
	pthread_mutex_init(&lock->wait_lock, NULL);
	lock->ww_class = ww_class;
}

void pdma_ww_mutex_destroy(struct pdma_ww_mutex *lock)
{
	if (PDMA_SYNC_DEBUG && pdma_ww_mutex_is_locked(lock))
		pdma__bug("pdma_ww_mutex_destroy() of a locked mutex");
	pthread_mutex_destroy(&lock->wait_lock);
}

/* Wake every sleeper so that it re-checks. */
static void wake_sleepers(struct pdma_ww_mutex *lock)
{
	if (!__atomic_load_n(&lock->waiters, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&lock->wait_lock);
	lock->wake_seq++;
	pdma__futex_wake(&lock->wake_seq, INT_MAX);
	pthread_mutex_unlock(&lock->wait_lock);
}

static bool try_take(struct pdma_ww_mutex *lock, uint64_t stamp)
{
	uint64_t free = 0;

	return __atomic_compare_exchange_n(&lock->state, &free, stamp << 1 | 1,
					   false, __ATOMIC_SEQ_CST,
					   __ATOMIC_RELAXED);
}

/* Just taken: record the holder. */
static void taken(struct pdma_ww_mutex *lock, struct pdma_ww_acquire_ctx *ctx)
{
	if (ctx && PDMA_SYNC_DEBUG) {
		if (ctx->done)
			pdma__bug("lock taken with an acquire context after "
				  "pdma_ww_acquire_done()");
		if (ctx->contending) {
			if (ctx->contending != lock)
				pdma__bug("after -EDEADLK on one lock, another "
					  "was taken; back off and lock the "
					  "contended one first");
			if (ctx->acquired)
				pdma__bug("after -EDEADLK, %u locks were not "
					  "released before retrying",
					  ctx->acquired);
			ctx->contending = NULL;
		}
	}
	__atomic_store_n(&lock->owner, pdma__thread_id(), __ATOMIC_RELAXED);
	__atomic_store_n(&lock->ctx, ctx, __ATOMIC_RELAXED);
	if (ctx) {
		ctx->acquired++;
		/* Younger sleepers must now die rather than wait for us. */
		wake_sleepers(lock);
	}
}

static int ww_lock(struct pdma_ww_mutex *lock, struct pdma_ww_acquire_ctx *ctx,
		   bool intr, bool slow)
{
	uint64_t stamp = ctx ? ctx->stamp : 0, state;
	uint32_t seq;
	int ret, r;

	if (ctx && PDMA_SYNC_DEBUG) {
		if (ctx->ww_class != lock->ww_class)
			pdma__bug("lock of class %s taken with a context of "
				  "class %s", lock->ww_class->name,
				  ctx->ww_class->name);
		if (slow && ctx->acquired)
			pdma__bug("slow lock with %u locks still held by the "
				  "context; unlock them first", ctx->acquired);
	}

	if (try_take(lock, stamp)) {
		taken(lock, ctx);
		return 0;
	}

	pthread_mutex_lock(&lock->wait_lock);
	for (;;) {
		state = __atomic_load_n(&lock->state, __ATOMIC_SEQ_CST);
		if (!state) {
			if (!try_take(lock, stamp))
				continue;
			pthread_mutex_unlock(&lock->wait_lock);
			taken(lock, ctx);
			return 0;
		}
		/* Only this thread can have stored its own ctx there. */
		if (ctx && __atomic_load_n(&lock->ctx, __ATOMIC_RELAXED) == ctx) {
			ret = -EALREADY;
			break;
		}
		if (ctx && !slow && (state >> 1) && stamp > (state >> 1)) {
			/* An older context holds it: die. */
			if (PDMA_SYNC_DEBUG)
				ctx->contending = lock;
			ret = -EDEADLK;
			break;
		}

		/* Sleep until the lock changes hands. */
		__atomic_add_fetch(&lock->waiters, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&lock->state, __ATOMIC_SEQ_CST) != state) {
			__atomic_sub_fetch(&lock->waiters, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		seq = lock->wake_seq;
		pthread_mutex_unlock(&lock->wait_lock);
		r = pdma__futex_wait(&lock->wake_seq, seq, INT64_MAX);
		pthread_mutex_lock(&lock->wait_lock);
		__atomic_sub_fetch(&lock->waiters, 1, __ATOMIC_SEQ_CST);
		if (r == -EINTR && intr) {
			ret = -EINTR;
			break;
		}
	}
	pthread_mutex_unlock(&lock->wait_lock);
	return ret;
}

int pdma_ww_mutex_lock(struct pdma_ww_mutex *lock,
		       struct pdma_ww_acquire_ctx *ctx)
{
	return ww_lock(lock, ctx, false, false);
}

int pdma_ww_mutex_lock_interruptible(struct pdma_ww_mutex *lock,
				     struct pdma_ww_acquire_ctx *ctx)
{
	return ww_lock(lock, ctx, true, false);
}

void pdma_ww_mutex_lock_slow(struct pdma_ww_mutex *lock,
			     struct pdma_ww_acquire_ctx *ctx)
{
	ww_lock(lock, ctx, false, true);
}

int pdma_ww_mutex_lock_slow_interruptible(struct pdma_ww_mutex *lock,
					  struct pdma_ww_acquire_ctx *ctx)
{
	return ww_lock(lock, ctx, true, true);
}

bool pdma_ww_mutex_trylock(struct pdma_ww_mutex *lock)
{
	if (!try_take(lock, 0))
		return false;
	taken(lock, NULL);
	return true;
}

void pdma_ww_mutex_unlock(struct pdma_ww_mutex *lock)
{
	struct pdma_ww_acquire_ctx *ctx;

	if (PDMA_SYNC_DEBUG && !pdma__ww_held(lock))
		pdma__bug("unlock of a ww mutex this thread does not hold");

	ctx = __atomic_load_n(&lock->ctx, __ATOMIC_RELAXED);
	if (ctx)
		ctx->acquired--;
	__atomic_store_n(&lock->ctx, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&lock->owner, NULL, __ATOMIC_RELAXED);
	__atomic_exchange_n(&lock->state, 0, __ATOMIC_SEQ_CST);
	wake_sleepers(lock);
}

bool pdma_ww_mutex_is_locked(struct pdma_ww_mutex *lock)
{
	return __atomic_load_n(&lock->state, __ATOMIC_RELAXED) != 0;
}

/* The address of a thread-local byte: unique among running threads. */
__thread char pdma__thread_anchor;

bool pdma_ww_mutex_held(struct pdma_ww_mutex *lock)
{
	return pdma__ww_held(lock);
}
