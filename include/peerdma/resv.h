/* SPDX-License-Identifier: MIT */
/*
 * peerdma/resv.h - reservation objects: the fences of a buffer, and the
 * lock that lets a job lock several buffers at once without deadlock.
 *
 * The lock is a wait/die mutex (like the kernel's ww_mutex with a wait-die
 * class): every acquire context gets a ticket stamp when it starts; an
 * older context waits for a younger holder, a younger one gets -EDEADLK
 * ("die"), must unlock everything it holds, sleep on the contended object
 * with pdma_resv_lock_slow() and then take the others again.  It keeps its
 * stamp, so it ages and eventually wins.
 *
 *	pdma_ww_acquire_init(&ctx, &pdma_reservation_ww_class);
 *	retry:
 *	for each buffer b:
 *		ret = pdma_resv_lock(b, &ctx);
 *		if (ret == -EDEADLK) {
 *			unlock every buffer locked so far;
 *			pdma_resv_lock_slow(b, &ctx);
 *			(b is now held; lock the others again, skipping b)
 *		}
 *	pdma_ww_acquire_done(&ctx);
 *	... reserve, add fences ...
 *	unlock all; pdma_ww_acquire_fini(&ctx);
 *
 * Each object holds fences with a usage class, KERNEL < WRITE < READ <
 * BOOKKEEP; a query for usage U sees U and every lower class.  Fences are
 * added in two steps with the lock held: pdma_resv_reserve_fences_locked()
 * may fail, the pdma_resv_add_fence_locked() after it cannot.  Readers may
 * iterate without the lock; see docs/locking.md for how that stays safe.
 * Semantics follow Linux's dma_resv (drivers/dma-buf/dma-resv.c).
 */
#ifndef PEERDMA_RESV_H
#define PEERDMA_RESV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <peerdma/fence.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- the multi-object lock ---------------------------------------------- */

/**
 * struct pdma_ww_class - a family of locks that may be taken together;
 * hands out the stamps.  Define with PDMA_WW_CLASS_INIT(name).
 */
struct pdma_ww_class {
	uint64_t stamp;		/* atomic: the last stamp handed out */
	const char *name;	/* immutable */
};

#define PDMA_WW_CLASS_INIT(n) { 0, (n) }

/**
 * struct pdma_ww_acquire_ctx - one attempt to lock a set of objects.
 * Lives on the stack of one thread; fields are private.
 */
struct pdma_ww_acquire_ctx {
	struct pdma_ww_class *ww_class;	/* immutable */
	uint64_t stamp;			/* immutable: lower is older */
	unsigned int acquired;		/* locks held with this context */
	bool done;			/* pdma_ww_acquire_done() called */
	void *contending;		/* debug: lock that returned -EDEADLK */
};

/** struct pdma_ww_mutex - the lock; fields private. */
struct pdma_ww_mutex {
	uint64_t state;		/* atomic: 0 free, else holder stamp << 1 | 1 */
	const void *owner;	/* atomic; identifies the holder's thread */
	struct pdma_ww_acquire_ctx *ctx;	/* atomic; holder's context */
	unsigned int waiters;	/* atomic; changed under wait_lock */
	uint32_t wake_seq;	/* futex word; bumped under wait_lock */
	pthread_mutex_t wait_lock;	/* serialises sleepers and wakers */
	struct pdma_ww_class *ww_class;	/* immutable */
};

/** The class of every reservation object's lock. */
extern struct pdma_ww_class pdma_reservation_ww_class;

/**
 * pdma_ww_acquire_init() - start an acquire context (takes a new stamp).
 */
void pdma_ww_acquire_init(struct pdma_ww_acquire_ctx *ctx,
			  struct pdma_ww_class *ww_class);

/** pdma_ww_acquire_done() - no more locks will be taken with @ctx. */
void pdma_ww_acquire_done(struct pdma_ww_acquire_ctx *ctx);

/**
 * pdma_ww_acquire_fini() - end @ctx; every lock taken with it must have
 * been unlocked (checked in debug builds).
 */
void pdma_ww_acquire_fini(struct pdma_ww_acquire_ctx *ctx);

/** pdma_ww_mutex_init() - initialise @lock in @ww_class. */
void pdma_ww_mutex_init(struct pdma_ww_mutex *lock,
			struct pdma_ww_class *ww_class);

/** pdma_ww_mutex_destroy() - destroy an unlocked @lock. */
void pdma_ww_mutex_destroy(struct pdma_ww_mutex *lock);

/**
 * pdma_ww_mutex_lock() - take @lock as part of @ctx (or alone, ctx NULL).
 *
 * Return: 0; -EALREADY if @ctx already holds it; -EDEADLK if @ctx must
 * back off (only with a context: an older context holds @lock).
 */
int pdma_ww_mutex_lock(struct pdma_ww_mutex *lock,
		       struct pdma_ww_acquire_ctx *ctx);

/**
 * pdma_ww_mutex_lock_interruptible() - as pdma_ww_mutex_lock(), and
 * -EINTR when a signal handler runs on this thread while it sleeps.
 */
int pdma_ww_mutex_lock_interruptible(struct pdma_ww_mutex *lock,
				     struct pdma_ww_acquire_ctx *ctx);

/**
 * pdma_ww_mutex_lock_slow() - after -EDEADLK and unlocking everything
 * held with @ctx, sleep until @lock is free and take it (never -EDEADLK).
 */
void pdma_ww_mutex_lock_slow(struct pdma_ww_mutex *lock,
			     struct pdma_ww_acquire_ctx *ctx);

/** pdma_ww_mutex_lock_slow_interruptible() - the same; 0 or -EINTR. */
int pdma_ww_mutex_lock_slow_interruptible(struct pdma_ww_mutex *lock,
					  struct pdma_ww_acquire_ctx *ctx);

/** pdma_ww_mutex_trylock() - take @lock if free, without a context. */
bool pdma_ww_mutex_trylock(struct pdma_ww_mutex *lock);

/** pdma_ww_mutex_unlock() - release @lock (the holder's thread only). */
void pdma_ww_mutex_unlock(struct pdma_ww_mutex *lock);

/** pdma_ww_mutex_is_locked() - is anyone holding @lock? */
bool pdma_ww_mutex_is_locked(struct pdma_ww_mutex *lock);

/** pdma_ww_mutex_held() - does the calling thread hold @lock? */
bool pdma_ww_mutex_held(struct pdma_ww_mutex *lock);

/* --- reservation objects ------------------------------------------------- */

enum pdma_resv_usage {
	PDMA_RESV_USAGE_KERNEL,	/* memory management: moves, clears */
	PDMA_RESV_USAGE_WRITE,	/* implicitly synchronised writes */
	PDMA_RESV_USAGE_READ,	/* implicitly synchronised reads */
	PDMA_RESV_USAGE_BOOKKEEP, /* not implicitly synchronised */
};

/**
 * pdma_resv_usage_rw() - what a new access must wait for: a writer waits
 * for readers and writers (READ), a reader only for writers (WRITE).
 */
static inline enum pdma_resv_usage pdma_resv_usage_rw(bool write)
{
	return write ? PDMA_RESV_USAGE_READ : PDMA_RESV_USAGE_WRITE;
}

struct pdma__resv_list;

/**
 * struct pdma_resv - a reservation object; embed it.  Fields private.
 */
struct pdma_resv {
	struct pdma_ww_mutex lock;
	uint32_t fences_lock;		/* spinlock: unlocked readers' view */
	uint64_t gen;			/* atomic: bumped when @fences moves */
	struct pdma__resv_list *fences;	/* atomic; written with @lock held */
};

/** pdma_resv_init() - initialise an empty object. */
void pdma_resv_init(struct pdma_resv *obj);

/** pdma_resv_fini() - drop every fence; @obj must be unlocked. */
void pdma_resv_fini(struct pdma_resv *obj);

/**
 * pdma_resv_lock() - lock @obj, alone (@ctx NULL) or as part of @ctx.
 * Return: 0, -EALREADY, or -EDEADLK (back off; see the top of this file).
 */
int pdma_resv_lock(struct pdma_resv *obj, struct pdma_ww_acquire_ctx *ctx);

/** pdma_resv_lock_interruptible() - the same, or -EINTR. */
int pdma_resv_lock_interruptible(struct pdma_resv *obj,
				 struct pdma_ww_acquire_ctx *ctx);

/** pdma_resv_lock_slow() - the back-off sleep after -EDEADLK. */
void pdma_resv_lock_slow(struct pdma_resv *obj,
			 struct pdma_ww_acquire_ctx *ctx);

/** pdma_resv_lock_slow_interruptible() - the same; 0 or -EINTR. */
int pdma_resv_lock_slow_interruptible(struct pdma_resv *obj,
				      struct pdma_ww_acquire_ctx *ctx);

/** pdma_resv_trylock() - lock if free (no context); true on success. */
bool pdma_resv_trylock(struct pdma_resv *obj);

/**
 * pdma_resv_unlock() - unlock @obj.  Reservations made under this lock
 * are void afterwards (enforced in debug builds).
 */
void pdma_resv_unlock(struct pdma_resv *obj);

/** pdma_resv_held() - does the calling thread hold @obj's lock? */
bool pdma_resv_held(struct pdma_resv *obj);

/**
 * pdma_resv_reserve_fences_locked() - make room for @num more fences.
 *
 * Lock held.  Growth: max(count + @num, 2 * capacity), or max(4, the next
 * power of two >= @num) for the first array; signalled fences are dropped
 * when the array is reallocated.
 *
 * Return: 0 or -ENOMEM.
 */
int pdma_resv_reserve_fences_locked(struct pdma_resv *obj, unsigned int num);

/**
 * pdma_resv_add_fence_locked() - add @fence (a new reference is taken).
 *
 * Lock held.  Cannot fail: it replaces a fence of the same context that
 * @fence is later than (or equal to) and whose usage is >= @usage, or any
 * signalled fence; otherwise it uses a reserved slot (no reservation left
 * is a bug: abort).  So re-adding a fence with a lower usage promotes it,
 * never demotes it.  Arrays and chains should be added leaf by leaf.
 */
void pdma_resv_add_fence_locked(struct pdma_resv *obj, struct pdma_fence *fence,
				enum pdma_resv_usage usage);

/**
 * pdma_resv_replace_fences_locked() - replace every fence of @context by
 * @replacement with @usage (for example after preemption).  Lock held.
 */
void pdma_resv_replace_fences_locked(struct pdma_resv *obj, uint64_t context,
				     struct pdma_fence *replacement,
				     enum pdma_resv_usage usage);

/**
 * pdma_resv_copy_fences_locked() - make @dst's fences a copy of @src's
 * unsignalled ones.  @dst locked; @src need not be.
 * Return: 0 or -ENOMEM (then @dst is unchanged).
 */
int pdma_resv_copy_fences_locked(struct pdma_resv *dst, struct pdma_resv *src);

/**
 * pdma_resv_get_fences() - references to the unsignalled fences with usage
 * <= @usage.  Lock not needed.
 * @num_fences: how many.
 * @fences:     a malloc()ed array (NULL if none); free it and put each.
 * Return: 0 or -ENOMEM.
 */
int pdma_resv_get_fences(struct pdma_resv *obj, enum pdma_resv_usage usage,
			 unsigned int *num_fences, struct pdma_fence ***fences);

/**
 * pdma_resv_get_singleton() - one fence for all fences with usage <=
 * @usage: NULL if none, the fence itself if one, else a new array (new
 * context, seqno 1, signals when all have).  Never add the result back to
 * a reservation object.  Lock not needed.
 * Return: 0 or -ENOMEM.
 */
int pdma_resv_get_singleton(struct pdma_resv *obj, enum pdma_resv_usage usage,
			    struct pdma_fence **fence);

/**
 * pdma_resv_wait_timeout() - wait for every fence with usage <= @usage.
 * @timeout: ns; 0 polls without sleeping.  Lock not needed (and better not
 *           held: it blocks others for as long as the wait).
 * Return: > 0 (time left, 1 for a poll) once all have signalled, 0 on
 * timeout, -EINTR if @intr and interrupted.
 */
int64_t pdma_resv_wait_timeout(struct pdma_resv *obj,
			       enum pdma_resv_usage usage, bool intr,
			       int64_t timeout);

/** pdma_resv_test_signaled() - have all fences <= @usage signalled? */
bool pdma_resv_test_signaled(struct pdma_resv *obj, enum pdma_resv_usage usage);

/** pdma_resv_set_deadline() - forward a deadline to fences <= @usage. */
void pdma_resv_set_deadline(struct pdma_resv *obj, enum pdma_resv_usage usage,
			    int64_t deadline);

/* --- iteration ----------------------------------------------------------- */

/**
 * struct pdma_resv_iter - cursor over an object's fences.
 *
 * Unlocked: each fence returned is referenced by the cursor until the next
 * step; signalled fences are skipped; if the object's array is replaced
 * meanwhile the walk starts again from index 0 and is_restarted is set (a
 * caller that accumulates must then drop what it gathered).  The cursor
 * references up to PDMA_RESV_ITER_AHEAD fences at a time, so that it
 * visits the object's spinlock once per batch.  Locked: every entry
 * within the usage filter, signalled ones too, without references.
 */
#define PDMA_RESV_ITER_AHEAD 8

struct pdma_resv_iter {
	struct pdma_resv *obj;
	enum pdma_resv_usage usage;
	struct pdma_fence *fence;
	enum pdma_resv_usage fence_usage;
	unsigned int index;
	void *fences;		/* private: the array being walked */
	uint64_t gen;		/* private: its generation */
	unsigned int num_fences;	/* entries of that array */
	bool is_restarted;
	/* private: fences an unlocked walk has referenced ahead */
	unsigned int ahead, ahead_pos;
	struct {
		struct pdma_fence *fence;
		enum pdma_resv_usage usage;
	} batch[PDMA_RESV_ITER_AHEAD];
};

/** pdma_resv_iter_begin() - start a cursor on @obj for fences <= @usage. */
static inline void pdma_resv_iter_begin(struct pdma_resv_iter *cursor,
					struct pdma_resv *obj,
					enum pdma_resv_usage usage)
{
	cursor->obj = obj;
	cursor->usage = usage;
	cursor->fence = NULL;
	cursor->fence_usage = PDMA_RESV_USAGE_KERNEL;
	cursor->index = 0;
	cursor->fences = NULL;
	cursor->gen = 0;
	cursor->num_fences = 0;
	cursor->is_restarted = false;
	cursor->ahead = 0;
	cursor->ahead_pos = 0;
}

/** pdma_resv_iter_end() - drop the cursor's reference (unlocked walks). */
void pdma_resv_iter_end(struct pdma_resv_iter *cursor);

/** pdma_resv_iter_first_unlocked() - first fence, or NULL. */
struct pdma_fence *pdma_resv_iter_first_unlocked(struct pdma_resv_iter *cursor);

/** pdma_resv_iter_next_unlocked() - next fence, or NULL. */
struct pdma_fence *pdma_resv_iter_next_unlocked(struct pdma_resv_iter *cursor);

/** pdma_resv_iter_first_locked() - first entry, lock held. */
struct pdma_fence *pdma_resv_iter_first_locked(struct pdma_resv_iter *cursor);

/** pdma_resv_iter_next_locked() - next entry, lock held. */
struct pdma_fence *pdma_resv_iter_next_locked(struct pdma_resv_iter *cursor);

/** pdma_resv_iter_usage() - the usage of the current fence. */
static inline enum pdma_resv_usage
pdma_resv_iter_usage(const struct pdma_resv_iter *cursor)
{
	return cursor->fence_usage;
}

/** pdma_resv_iter_is_restarted() - did this step start over? */
static inline bool pdma_resv_iter_is_restarted(const struct pdma_resv_iter *c)
{
	return c->is_restarted;
}

#define pdma_resv_for_each_fence_unlocked(cursor, fence)		\
	for ((fence) = pdma_resv_iter_first_unlocked(cursor); (fence);	\
	     (fence) = pdma_resv_iter_next_unlocked(cursor))

#define pdma_resv_for_each_fence_locked(cursor, obj, usage, fence)	\
	for (pdma_resv_iter_begin((cursor), (obj), (usage)),		\
	     (fence) = pdma_resv_iter_first_locked(cursor); (fence);	\
	     (fence) = pdma_resv_iter_next_locked(cursor))

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_RESV_H */
