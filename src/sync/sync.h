/* SPDX-License-Identifier: MIT */
/*
 * Private to src/sync: atomics, futexes, a tiny spinlock, the deferred-work
 * queue of the fence locks, and the container structures.
 */
#ifndef PDMA_SYNC_SYNC_H
#define PDMA_SYNC_SYNC_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <peerdma/fence.h>

#ifndef PDMA_INTERNAL
#define PDMA_INTERNAL __attribute__((visibility("hidden")))
#endif

/*
 * Debug checks (reservations voided at unlock, _locked calls asserting the
 * lock, acquire-context misuse) are on unless NDEBUG is defined, like
 * assert(); -DPDMA_DEBUG forces them on in any build.
 */
#if defined(PDMA_DEBUG) || !defined(NDEBUG)
#define PDMA_SYNC_DEBUG 1
#else
#define PDMA_SYNC_DEBUG 0
#endif

/* A broken API contract: say which and abort (a kernel BUG_ON). */
#define pdma__bug(...)							\
	do {								\
		fprintf(stderr, "peerdma: BUG: " __VA_ARGS__);		\
		fputc('\n', stderr);					\
		abort();						\
	} while (0)

#define NSEC_PER_SEC 1000000000LL

static inline int64_t pdma__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* now + @timeout, saturating at INT64_MAX. */
static inline int64_t pdma__deadline(int64_t timeout)
{
	int64_t now = pdma__now_ns();

	return timeout > INT64_MAX - now ? INT64_MAX : now + timeout;
}

/* --- bit helpers on fence->flags ------------------------------------- */

static inline bool pdma__test_bit(const unsigned long *flags, int bit)
{
	return __atomic_load_n(flags, __ATOMIC_ACQUIRE) & (1UL << bit);
}

static inline bool pdma__test_and_set_bit(unsigned long *flags, int bit)
{
	return __atomic_fetch_or(flags, 1UL << bit, __ATOMIC_ACQ_REL) &
	       (1UL << bit);
}

static inline void pdma__set_bit(unsigned long *flags, int bit)
{
	__atomic_fetch_or(flags, 1UL << bit, __ATOMIC_RELEASE);
}

/* --- futex ------------------------------------------------------------ */

/*
 * Sleep while *@word == @val, until @deadline (CLOCK_MONOTONIC ns).
 * Always given an absolute deadline, so that a signal handler running on
 * this thread ends the sleep with -EINTR even under SA_RESTART.
 * Return: 0 (woken, maybe spuriously), -EAGAIN (*word != val), -ETIMEDOUT,
 * -EINTR.
 */
static inline int pdma__futex_wait(uint32_t *word, uint32_t val,
				   int64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / NSEC_PER_SEC,
		.tv_nsec = deadline % NSEC_PER_SEC,
	};

	if (syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
		    val, &ts, NULL, FUTEX_BITSET_MATCH_ANY) == 0)
		return 0;
	return -errno;
}

static inline void pdma__futex_wake(uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL,
		NULL, 0);
}

/* --- spinlock: for critical sections of a few instructions ------------ */

static inline void pdma__spin_lock(uint32_t *lock)
{
	unsigned int spins = 0;

	for (;;) {
		if (!__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
			return;
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			if (++spins > 64)
				sched_yield();
	}
}

static inline void pdma__spin_unlock(uint32_t *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* --- deferred work (fence.c) ------------------------------------------- */

/*
 * The user-space stand-in for the kernel's irq_work: containers must not
 * take other fence locks from a callback (the signalling fence's lock is
 * held, and fences of a timeline often share one), so they queue work
 * here.  It runs on the same thread as soon as that thread holds no fence
 * lock: in pdma_fence_unlock() of the outermost lock, or at once if none
 * is held.  A work item is queued at most once at a time and holds a
 * reference on its owner.
 */
struct pdma__work {
	struct pdma__work *next;
	void (*func)(struct pdma__work *work);
};

PDMA_INTERNAL void pdma__defer(struct pdma__work *work);

/* --- fence.c internals used by the containers -------------------------- */

PDMA_INTERNAL bool pdma__fence_enable_signaling_locked(struct pdma_fence *f);
PDMA_INTERNAL bool pdma__fence_is_later(struct pdma_fence *f, uint64_t s1,
					uint64_t s2);
PDMA_INTERNAL void pdma__fence_free(struct pdma_fence *f);
PDMA_INTERNAL int pdma__fence_refcount(struct pdma_fence *f);

/* pdma_fence_is_signaled() without the call when the flag answers. */
static inline bool pdma__signaled(struct pdma_fence *f)
{
	if (pdma__test_bit(&f->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
		return true;
	return f->ops->signaled && pdma_fence_is_signaled(f);
}

/* --- containers -------------------------------------------------------- */

struct pdma__array_cb {
	struct pdma_fence_cb cb;
	struct pdma__fence_array *array;
};

struct pdma__fence_array {
	struct pdma_fence base;
	struct pdma_fence_lock lock;
	unsigned int num_fences;	/* immutable */
	int num_pending;		/* atomic */
	struct pdma_fence **fences;	/* immutable, owned */
	struct pdma__work work;
	struct pdma__array_cb callbacks[];	/* num_fences */
};

/* Private value of base.error until a member reports one. */
#define PDMA__ARRAY_PENDING_ERROR 1

struct pdma_fence_chain {
	struct pdma_fence base;
	struct pdma_fence_lock lock;
	uint32_t prev_lock;		/* spinlock: @prev against walkers */
	struct pdma_fence *prev;	/* protected by prev_lock; a reference */
	uint64_t prev_seqno;		/* immutable */
	struct pdma_fence *fence;	/* immutable, a reference */
	struct pdma_fence_cb cb;	/* on the fence being waited for */
	struct pdma__work work;
};

/* The fence slots of a reservation object (resv.c). */
struct pdma__resv_list {
	unsigned int num_fences;	/* resv lock + fences_lock to write */
	unsigned int max_fences;	/* reserved limit; resv lock */
	unsigned int capacity;		/* immutable */
	uintptr_t table[];		/* fence | usage, num_fences used */
};

PDMA_INTERNAL extern const struct pdma_fence_ops pdma__fence_array_ops;
PDMA_INTERNAL extern const struct pdma_fence_ops pdma__fence_chain_ops;

static inline struct pdma__fence_array *pdma__to_array(struct pdma_fence *f)
{
	if (!f || f->ops != &pdma__fence_array_ops)
		return NULL;
	return (struct pdma__fence_array *)f;
}

static inline struct pdma_fence_chain *pdma__to_chain(struct pdma_fence *f)
{
	if (!f || f->ops != &pdma__fence_chain_ops)
		return NULL;
	return (struct pdma_fence_chain *)f;
}

#endif /* PDMA_SYNC_SYNC_H */
