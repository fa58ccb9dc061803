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
#include <peerdma/resv.h>

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
PDMA_INTERNAL void pdma__fence_put_slow(struct pdma_fence *f, int left);

/* pdma_fence_get() and pdma_fence_put() for the library's hot paths. */
static inline struct pdma_fence *pdma__get(struct pdma_fence *f)
{
	__atomic_add_fetch(&f->refcount, 1, __ATOMIC_RELAXED);
	return f;
}

static inline void pdma__put(struct pdma_fence *f)
{
	int left;

	if (!f)
		return;
	left = __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL);
	if (left <= 0)
		pdma__fence_put_slow(f, left);
}
PDMA_INTERNAL bool pdma__fence_is_later(struct pdma_fence *f, uint64_t s1,
					uint64_t s2);
PDMA_INTERNAL void pdma__fence_free(struct pdma_fence *f);
PDMA_INTERNAL int pdma__fence_refcount(struct pdma_fence *f);

/* pdma_fence_is_signaled() without the call when the flag answers. */
static inline bool pdma__signaled(struct pdma_fence *f)
{
	unsigned long flags = __atomic_load_n(&f->flags, __ATOMIC_ACQUIRE);

	if (flags & (1UL << PDMA_FENCE_FLAG_SIGNALED_BIT))
		return true;
	return (flags & (1UL << PDMA_FENCE_FLAG_POLLED_BIT)) &&
	       pdma_fence_is_signaled(f);
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

/*
 * The fence slots of a reservation object (resv.c, resv_iter.c).  Writers
 * hold the reservation lock; slots and num_fences are also read by
 * unlocked readers, so they are accessed atomically.
 */
struct pdma__resv_list {
	unsigned int num_fences;	/* atomic; published with release */
	unsigned int max_fences;	/* reserved limit; resv lock */
	unsigned int capacity;		/* immutable */
	uintptr_t table[];		/* atomic: fence | usage */
};

#define PDMA__USAGE_MASK 3UL

/*
 * A slot may be overwritten while a reader looks (the reader then sees the
 * old or the new fence): release/acquire, so that whoever sees a fence
 * pointer also sees the fence's initialisation.
 */
static inline uintptr_t pdma__slot_load(struct pdma__resv_list *list,
					unsigned int i)
{
	return __atomic_load_n(&list->table[i], __ATOMIC_ACQUIRE);
}

static inline void pdma__slot_set(struct pdma__resv_list *list, unsigned int i,
				  uintptr_t e)
{
	__atomic_store_n(&list->table[i], e, __ATOMIC_RELEASE);
}

static inline struct pdma_fence *pdma__slot_fence(uintptr_t e)
{
	return (struct pdma_fence *)(e & ~PDMA__USAGE_MASK);
}

static inline int pdma__slot_usage(uintptr_t e)
{
	return (int)(e & PDMA__USAGE_MASK);
}

/* ww.c: which thread holds a ww mutex. */
PDMA_INTERNAL extern __thread char pdma__thread_anchor
	__attribute__((tls_model("initial-exec")));

static inline const void *pdma__thread_id(void)
{
	return &pdma__thread_anchor;
}

/*
 * Only the holder writes its own id into @owner, and clears it before
 * unlocking, so a relaxed read equals ours exactly when this thread holds
 * the lock.
 */
static inline bool pdma__ww_held(struct pdma_ww_mutex *lock)
{
	return __atomic_load_n(&lock->state, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) ==
	       pdma__thread_id();
}

/* In the _locked calls: the caller must hold the reservation lock. */
#define pdma__resv_assert_held(obj)					\
	do {								\
		if (PDMA_SYNC_DEBUG && !pdma__ww_held(&(obj)->lock))	\
			pdma__bug("%s() without the reservation lock "	\
				  "held by this thread", __func__);	\
	} while (0)

static inline unsigned int pdma__list_num(struct pdma__resv_list *list)
{
	return list ? __atomic_load_n(&list->num_fences, __ATOMIC_ACQUIRE) : 0;
}

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
