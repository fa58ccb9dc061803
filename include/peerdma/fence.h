/* SPDX-License-Identifier: MIT */
/*
 * peerdma/fence.h - fences: "this piece of work is done" as an object.
 *
 * A fence belongs to a timeline (a context, from pdma_fence_context_alloc())
 * and carries a 64-bit sequence number; fences of one context signal in
 * seqno order.  A fence signals exactly once, optionally with an error set
 * beforehand; callbacks run at that moment, in the order they were added,
 * with the fence lock held.  Waiting and callbacks switch on the producer's
 * signalling machinery lazily (ops->enable_signaling).
 *
 * Containers: a fence array signals when all (or any) of its fences have;
 * a fence chain node is a point on a timeline that signals when its fence
 * and every earlier node's fence have.  pdma_fence_unwrap_*() walks the
 * leaves of any chain->array nesting and pdma_fence_unwrap_merge() folds
 * several fences into the smallest equivalent one.
 *
 * A producer embeds struct pdma_fence in its own object and fills a
 * struct pdma_fence_ops; consumers only use the functions below.  The
 * semantics follow Linux's dma_fence (drivers/dma-buf/dma-fence*.c); the
 * differences that come from living in user space (time in nanoseconds,
 * interruption by signal handlers, deferred container work) are described
 * in docs/sync.md and the locking rules in docs/locking.md.
 */
#ifndef PEERDMA_FENCE_H
#define PEERDMA_FENCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pdma_fence;
struct pdma_fence_cb;

/* "Wait forever" for the wait functions (nanoseconds). */
#define PDMA_FENCE_TIMEOUT_MAX INT64_MAX

/* Largest error magnitude pdma_fence_set_error() accepts (as MAX_ERRNO). */
#define PDMA_FENCE_MAX_ERRNO 4095

/* Bits of pdma_fence.flags; bits from PDMA_FENCE_FLAG_USER_BITS belong to
 * the fence's producer. */
enum pdma_fence_flag_bits {
	PDMA_FENCE_FLAG_SEQNO64_BIT,	/* initialised with pdma_fence_init64 */
	PDMA_FENCE_FLAG_SIGNALED_BIT,	/* signalled (one-way) */
	PDMA_FENCE_FLAG_TIMESTAMP_BIT,	/* timestamp is valid */
	PDMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, /* enable_signaling was called */
	PDMA_FENCE_FLAG_POLLED_BIT,	/* ops->signaled exists (cached) */
	PDMA_FENCE_FLAG_USER_BITS,
};

/**
 * struct pdma_fence_lock - the lock that protects a fence's callback list.
 *
 * Several fences (typically all fences of one timeline) may share one.
 * Initialise with PDMA_FENCE_LOCK_INIT or pdma_fence_lock_init().  Take it
 * only with pdma_fence_lock()/pdma_fence_unlock(), never directly: leaving
 * the outermost fence lock is where work that containers deferred while
 * callbacks ran gets done (docs/locking.md).
 */
struct pdma_fence_lock {
	pthread_mutex_t mutex;
};

#define PDMA_FENCE_LOCK_INIT { PTHREAD_MUTEX_INITIALIZER }

/* Intrusive list link (private to the fence core). */
struct pdma_fence_link {
	struct pdma_fence_link *next, *prev;
};

/**
 * struct pdma_fence - a fence; embed it in the producer's object.
 *
 * All fields are private to the fence core; read them through the
 * accessors.  @context and @seqno are immutable after init and may be read
 * directly.
 */
struct pdma_fence {
	const struct pdma_fence_ops *ops;	/* immutable */
	struct pdma_fence_lock *lock;		/* immutable */
	struct pdma_fence_link cb_list;		/* protected by *lock */
	uint64_t context;			/* immutable */
	uint64_t seqno;				/* immutable */
	unsigned long flags;			/* atomic bit operations */
	int64_t timestamp;	/* CLOCK_MONOTONIC ns; valid once TIMESTAMP */
	int error;		/* atomic; set before signalling only */
	int refcount;		/* atomic */
};

/**
 * typedef pdma_fence_func_t - a callback.
 * @fence: the fence that signalled; do not call back into it with its lock
 *         (it is held): no add/remove_callback, no signal of @fence.
 * @cb:    the callback storage that was passed to pdma_fence_add_callback().
 *
 * Runs once, with @fence's lock held, possibly on the thread that signals.
 * Must not block, take a reservation lock or wait for a fence.
 */
typedef void (*pdma_fence_func_t)(struct pdma_fence *fence,
				  struct pdma_fence_cb *cb);

/**
 * struct pdma_fence_cb - callback storage, owned by the caller.
 * @node: private: the fence's list (points to itself when not queued).
 * @func: what to run.
 */
struct pdma_fence_cb {
	struct pdma_fence_link node;
	pdma_fence_func_t func;
};

/**
 * struct pdma_fence_ops - what a fence producer implements.
 *
 * @get_driver_name:  required.  Who calls it: the name accessors and sync
 *   fd info, with or without the fence lock held.  Returns a string that
 *   lives as long as the fence.  Never called once the fence has signalled
 *   (the accessors then return fixed strings), so it may use data the
 *   producer frees at signal time.
 * @get_timeline_name: required.  Same rules as @get_driver_name.
 * @enable_signaling: optional.  Called by the core at most once per fence,
 *   the first time somebody needs to know when it signals (add_callback,
 *   wait, pdma_fence_enable_sw_signaling()), with the fence lock HELD.  It
 *   may not sleep.  Return true if the fence will be signalled later (the
 *   producer now owes a pdma_fence_signal()), false if it has already
 *   completed: the core then signals it at once.  NULL: signalling needs no
 *   enabling.
 * @signaled: optional.  A cheap poll "has this completed?", called by
 *   pdma_fence_is_signaled() WITHOUT the lock (and by
 *   pdma_fence_is_signaled_locked() with it held).  Returning true makes the
 *   core signal the fence.  Must not block.  NULL: only an explicit signal
 *   counts.
 * @wait: optional.  Called by pdma_fence_wait_timeout() WITHOUT the lock, to
 *   wait for up to @timeout ns (> 0, or 0 to poll); return as
 *   pdma_fence_wait_timeout() does.  NULL: pdma_fence_default_wait().
 * @release: optional.  Called once, without the lock, when the last
 *   reference goes; must free the object.  NULL: free(@fence) (the fence
 *   must then be at the start of a malloc()ed object).
 * @set_deadline: optional.  Called by pdma_fence_set_deadline() WITHOUT the
 *   lock while the fence has not signalled: a hint that the result is
 *   wanted by @deadline (CLOCK_MONOTONIC ns).  It may be called several
 *   times; nothing is returned.
 */
struct pdma_fence_ops {
	const char *(*get_driver_name)(struct pdma_fence *fence);
	const char *(*get_timeline_name)(struct pdma_fence *fence);
	bool (*enable_signaling)(struct pdma_fence *fence);
	bool (*signaled)(struct pdma_fence *fence);
	int64_t (*wait)(struct pdma_fence *fence, bool intr, int64_t timeout);
	void (*release)(struct pdma_fence *fence);
	void (*set_deadline)(struct pdma_fence *fence, int64_t deadline);
};

/* --- locks, contexts, init ------------------------------------------- */

/** pdma_fence_lock_init() - initialise a fence lock. */
void pdma_fence_lock_init(struct pdma_fence_lock *lock);

/** pdma_fence_lock_destroy() - destroy an unused, unlocked fence lock. */
void pdma_fence_lock_destroy(struct pdma_fence_lock *lock);

/** pdma_fence_lock() - take @fence's lock (for the _locked calls). */
void pdma_fence_lock(struct pdma_fence *fence);

/**
 * pdma_fence_unlock() - drop @fence's lock.
 *
 * When this is the last fence lock the thread holds, the work that
 * containers deferred meanwhile (an array or chain whose member signalled)
 * runs here, on this thread, before the call returns.
 */
void pdma_fence_unlock(struct pdma_fence *fence);

/**
 * pdma_fence_context_alloc() - allocate @num consecutive fence contexts.
 *
 * Return: the first; contexts start at 1 and are never reused.  Thread-safe.
 */
uint64_t pdma_fence_context_alloc(unsigned int num);

/**
 * pdma_fence_init() - initialise an embedded fence with 32-bit seqnos.
 * @fence:   the fence.
 * @ops:     its ops; get_driver_name and get_timeline_name are required.
 * @lock:    the lock protecting its callbacks (may be shared).
 * @context: from pdma_fence_context_alloc().
 * @seqno:   position on the context; compared with 32-bit wrap-around.
 *
 * The fence starts with one reference, unsignalled, error 0.
 *
 * Return: 0, or -EINVAL if @fence, @ops, a required op or @lock is missing.
 */
int pdma_fence_init(struct pdma_fence *fence, const struct pdma_fence_ops *ops,
		    struct pdma_fence_lock *lock, uint64_t context,
		    uint64_t seqno);

/**
 * pdma_fence_init64() - as pdma_fence_init(), with a 64-bit seqno that is
 * compared without wrap-around.
 */
int pdma_fence_init64(struct pdma_fence *fence,
		      const struct pdma_fence_ops *ops,
		      struct pdma_fence_lock *lock, uint64_t context,
		      uint64_t seqno);

/* --- references --------------------------------------------------------- */

/** pdma_fence_get() - take a reference; returns @fence (NULL stays NULL). */
struct pdma_fence *pdma_fence_get(struct pdma_fence *fence);

/**
 * pdma_fence_put() - drop a reference; the last one releases the fence.
 *
 * put(NULL) does nothing.  Releasing a fence that has not signalled but
 * still has callbacks queued is a bug of its producer: a warning is logged
 * on stderr, the error is set to -EDEADLK and the fence is force-signalled
 * so the callbacks run.
 */
void pdma_fence_put(struct pdma_fence *fence);

/* --- signalling --------------------------------------------------------- */

/**
 * pdma_fence_signal() - mark @fence done and run its callbacks.
 * @fence: the fence; the caller holds a reference.
 *
 * Records the CLOCK_MONOTONIC time, then runs the callbacks in the order
 * they were added, with the fence lock held.
 *
 * Return: 0, or -EINVAL if it had already signalled (nothing is done).
 */
int pdma_fence_signal(struct pdma_fence *fence);

/** pdma_fence_signal_locked() - pdma_fence_signal() with the lock held. */
int pdma_fence_signal_locked(struct pdma_fence *fence);

/**
 * pdma_fence_signal_timestamp() - signal with an explicit timestamp.
 * @timestamp: CLOCK_MONOTONIC ns at which the work completed.
 *
 * Return: as pdma_fence_signal().
 */
int pdma_fence_signal_timestamp(struct pdma_fence *fence, int64_t timestamp);

/** pdma_fence_signal_timestamp_locked() - the same, lock held. */
int pdma_fence_signal_timestamp_locked(struct pdma_fence *fence,
				       int64_t timestamp);

/**
 * pdma_fence_is_signaled() - has @fence signalled?
 *
 * Also polls ops->signaled and signals the fence if that says so.  Call
 * without the fence lock.
 */
bool pdma_fence_is_signaled(struct pdma_fence *fence);

/** pdma_fence_is_signaled_locked() - the same, with the fence lock held. */
bool pdma_fence_is_signaled_locked(struct pdma_fence *fence);

/**
 * pdma_fence_enable_sw_signaling() - make sure ops->enable_signaling has
 * been called (at most once per fence).  Call without the fence lock.
 */
void pdma_fence_enable_sw_signaling(struct pdma_fence *fence);

/**
 * pdma_fence_set_error() - record why the work failed, before signalling.
 * @error: a negative errno in [-PDMA_FENCE_MAX_ERRNO, 0).
 *
 * Return: 0; -EINVAL if @error is out of range; -EBUSY if @fence has
 * already signalled (the error is not changed).
 */
int pdma_fence_set_error(struct pdma_fence *fence, int error);

/**
 * pdma_fence_get_status() - 0 while pending, 1 once signalled without an
 * error, or the (negative) error once signalled with one.
 */
int pdma_fence_get_status(struct pdma_fence *fence);

/** pdma_fence_get_status_locked() - the same, with the fence lock held. */
int pdma_fence_get_status_locked(struct pdma_fence *fence);

/**
 * pdma_fence_timestamp() - when @fence signalled (CLOCK_MONOTONIC ns).
 *
 * 0 while pending.  The signal publishes SIGNALED and the timestamp
 * together; a producer that sets the SIGNALED flag bit by hand gets the
 * current time here instead.
 */
int64_t pdma_fence_timestamp(struct pdma_fence *fence);

/**
 * pdma_fence_driver_name() - ops->get_driver_name(), or "signaled-driver"
 * once the fence has signalled.
 */
const char *pdma_fence_driver_name(struct pdma_fence *fence);

/**
 * pdma_fence_timeline_name() - ops->get_timeline_name(), or
 * "signaled-timeline" once the fence has signalled.
 */
const char *pdma_fence_timeline_name(struct pdma_fence *fence);

/* --- ordering ----------------------------------------------------------- */

/**
 * pdma_fence_is_later() - is @f1 after @f2 on their timeline?
 *
 * 64-bit compare for fences from pdma_fence_init64(), 32-bit wrap-around
 * compare otherwise.  Fences of different contexts are not ordered: false.
 */
bool pdma_fence_is_later(struct pdma_fence *f1, struct pdma_fence *f2);

/** pdma_fence_is_later_or_same() - @f1 == @f2 or pdma_fence_is_later(). */
bool pdma_fence_is_later_or_same(struct pdma_fence *f1, struct pdma_fence *f2);

/* --- callbacks ---------------------------------------------------------- */

/**
 * pdma_fence_add_callback() - run @func once @fence signals.
 * @fence: the fence to watch; the caller holds a reference.
 * @cb:    storage owned by the caller, untouched until it runs or is removed.
 * @func:  the callback.
 *
 * Enables signalling on first use.
 *
 * Return: 0 when queued; -ENOENT if @fence has already signalled (then @func
 * never runs); -EINVAL if an argument is NULL.
 */
int pdma_fence_add_callback(struct pdma_fence *fence, struct pdma_fence_cb *cb,
			    pdma_fence_func_t func);

/**
 * pdma_fence_remove_callback() - take back a queued callback.
 *
 * @cb must have been passed to pdma_fence_add_callback() of @fence (a
 * failed add counts).  When this returns, @cb is not running anywhere.
 *
 * Return: true if it was still queued (it will not run), false if it has
 * run or was never queued.
 */
bool pdma_fence_remove_callback(struct pdma_fence *fence,
				struct pdma_fence_cb *cb);

/* --- waiting ------------------------------------------------------------ */

/**
 * pdma_fence_wait_timeout() - sleep until @fence signals.
 * @fence:   the fence; the caller holds a reference.
 * @intr:    interruptible: a signal handler that runs on this thread while
 *           it sleeps ends the wait with -EINTR (see docs/sync.md).
 * @timeout: nanoseconds, >= 0, or PDMA_FENCE_TIMEOUT_MAX; 0 polls.
 *
 * Uses ops->wait, else pdma_fence_default_wait().
 *
 * Return: the time left (> 0; 1 if @timeout is 0 and it has signalled;
 * @timeout itself for PDMA_FENCE_TIMEOUT_MAX), 0 on timeout, -EINTR if
 * interrupted, -EINVAL if @timeout < 0.
 */
int64_t pdma_fence_wait_timeout(struct pdma_fence *fence, bool intr,
				int64_t timeout);

/**
 * pdma_fence_wait() - wait without a timeout.
 *
 * Return: 0, or -EINTR if @intr and interrupted.
 */
int pdma_fence_wait(struct pdma_fence *fence, bool intr);

/**
 * pdma_fence_default_wait() - the wait used when ops->wait is NULL; for
 * producers whose own wait wants to fall back on it.  Same contract as
 * pdma_fence_wait_timeout().
 */
int64_t pdma_fence_default_wait(struct pdma_fence *fence, bool intr,
				int64_t timeout);

/**
 * pdma_fence_wait_any_timeout() - sleep until one of @fences signals.
 * @fences: @count fences, each referenced by the caller.
 * @idx:    if not NULL, set to the index of the first signalled fence.
 *
 * Return: as pdma_fence_wait_timeout(); -EINVAL if @count is 0; -ENOMEM.
 */
int64_t pdma_fence_wait_any_timeout(struct pdma_fence **fences,
				    uint32_t count, bool intr,
				    int64_t timeout, uint32_t *idx);

/**
 * pdma_fence_set_deadline() - hint that @fence is wanted by @deadline
 * (CLOCK_MONOTONIC ns).  Forwarded to ops->set_deadline while unsignalled;
 * arrays and chains forward it to every member.
 */
void pdma_fence_set_deadline(struct pdma_fence *fence, int64_t deadline);

/* --- stubs -------------------------------------------------------------- */

/**
 * pdma_fence_get_stub() - a new reference to the global signalled fence,
 * timestamped when first used.  Never fails.
 */
struct pdma_fence *pdma_fence_get_stub(void);

/**
 * pdma_fence_allocate_private_stub() - a new signalled fence carrying
 * @timestamp.
 *
 * Return: 0 and *@out = the fence (one reference), or -ENOMEM.
 */
int pdma_fence_allocate_private_stub(int64_t timestamp,
				     struct pdma_fence **out);

/* --- arrays ------------------------------------------------------------- */

/**
 * pdma_fence_array_create() - a fence that signals when all (or any) of
 * @fences have.
 * @num_fences:    how many, > 0.
 * @fences:        malloc()ed array of referenced fences; on success the
 *                 array and the references belong to the new fence.
 *                 They should be leaves (no arrays or chains: a warning).
 * @context, @seqno: the new fence's place.
 * @signal_on_any: signal when the first member signals instead of the last.
 * @out:           the new fence, one reference.
 *
 * Its error is the first non-zero member error seen.
 *
 * Return: 0, -EINVAL (no fences), or -ENOMEM (then nothing is taken).
 */
int pdma_fence_array_create(unsigned int num_fences,
			    struct pdma_fence **fences, uint64_t context,
			    uint64_t seqno, bool signal_on_any,
			    struct pdma_fence **out);

/** pdma_fence_is_array() - was @fence made by pdma_fence_array_create()? */
bool pdma_fence_is_array(struct pdma_fence *fence);

/** pdma_fence_is_chain() - is @fence a chain node? */
bool pdma_fence_is_chain(struct pdma_fence *fence);

/** pdma_fence_is_container() - an array or a chain node. */
bool pdma_fence_is_container(struct pdma_fence *fence);

/** pdma_fence_array_num_fences() - members of an array (0 if not one). */
unsigned int pdma_fence_array_num_fences(struct pdma_fence *fence);

/**
 * pdma_fence_array_first() - the first member of array @head, or @head
 * itself if it is not an array, or NULL for NULL.  Borrowed, no reference.
 */
struct pdma_fence *pdma_fence_array_first(struct pdma_fence *head);

/**
 * pdma_fence_array_next() - member @index of array @head, or NULL past the
 * end or if @head is not an array.  Borrowed.
 */
struct pdma_fence *pdma_fence_array_next(struct pdma_fence *head,
					 unsigned int index);

/**
 * pdma_fence_match_context() - do all members of @fence (or @fence itself,
 * if not an array) belong to @context?
 */
bool pdma_fence_match_context(struct pdma_fence *fence, uint64_t context);

/* --- chains (timeline points) ------------------------------------------ */

struct pdma_fence_chain;

/**
 * pdma_fence_chain_alloc() - memory for one chain node, so that the
 * pdma_fence_chain_init() that follows (perhaps under a lock) cannot fail.
 *
 * Return: the node or NULL (out of memory).
 */
struct pdma_fence_chain *pdma_fence_chain_alloc(void);

/** pdma_fence_chain_free() - free a node that was never initialised. */
void pdma_fence_chain_free(struct pdma_fence_chain *chain);

/**
 * pdma_fence_chain_init() - make @chain the timeline point after @prev.
 * @chain: from pdma_fence_chain_alloc().
 * @prev:  the previous point (a chain node), or any fence, or NULL; its
 *         reference now belongs to @chain.
 * @fence: the work of this point, not itself a chain (warning); its
 *         reference now belongs to @chain.
 * @seqno: the point.  If @prev is a chain and @seqno is later, the node
 *         shares @prev's context; otherwise it gets a new context (and
 *         seqno becomes max(prev's seqno, @seqno) after a chain).
 *
 * The node signals once @fence and every earlier node's fence have.
 *
 * Return: the node's fence (the reference of the caller).
 */
struct pdma_fence *pdma_fence_chain_init(struct pdma_fence_chain *chain,
					 struct pdma_fence *prev,
					 struct pdma_fence *fence,
					 uint64_t seqno);

/**
 * pdma_fence_chain_contained() - the fence of chain node @fence, or @fence
 * itself if it is not a chain node (NULL stays NULL).  Borrowed.
 */
struct pdma_fence *pdma_fence_chain_contained(struct pdma_fence *fence);

/**
 * pdma_fence_chain_walk() - step to the previous point.
 * @fence: a chain node; its reference is consumed.
 *
 * Signalled predecessors are unlinked on the way (garbage collection).
 *
 * Return: a reference to the previous unsignalled point (a chain node or a
 * plain fence), or NULL at the end.
 */
struct pdma_fence *pdma_fence_chain_walk(struct pdma_fence *fence);

/**
 * pdma_fence_chain_find_seqno() - find the point that covers @seqno.
 * @pfence: in: a referenced chain node; out: a referenced node that must
 *          signal for @seqno to be done, or NULL if everything up to
 *          @seqno has signalled (and was collected).
 * @seqno:  0 is a no-op.
 *
 * Return: 0, or -EINVAL if *@pfence is not a chain node or @seqno is a
 * future point (after *@pfence's seqno); *@pfence is untouched then.
 */
int pdma_fence_chain_find_seqno(struct pdma_fence **pfence, uint64_t seqno);

/* Iterate @iter over @head and its predecessors (references handled). */
#define pdma_fence_chain_for_each(iter, head)				\
	for ((iter) = pdma_fence_get(head); (iter);			\
	     (iter) = pdma_fence_chain_walk(iter))

/* --- unwrap and merge --------------------------------------------------- */

/**
 * struct pdma_fence_unwrap - cursor over the leaves of a fence.
 *
 * Holds a reference on the current chain node; the leaves it yields are
 * borrowed from it.  Private fields.
 */
struct pdma_fence_unwrap {
	struct pdma_fence *chain;
	struct pdma_fence *array;
	unsigned int index;
};

/** pdma_fence_unwrap_first() - first leaf of @head, NULL if none. */
struct pdma_fence *pdma_fence_unwrap_first(struct pdma_fence *head,
					   struct pdma_fence_unwrap *cursor);

/**
 * pdma_fence_unwrap_next() - the next leaf, NULL at the end (the cursor's
 * reference is then dropped).
 */
struct pdma_fence *pdma_fence_unwrap_next(struct pdma_fence_unwrap *cursor);

/**
 * pdma_fence_unwrap_end() - drop the cursor's reference when leaving a
 * pdma_fence_unwrap_for_each() loop early (harmless after a full loop).
 */
void pdma_fence_unwrap_end(struct pdma_fence_unwrap *cursor);

/* Every leaf of @head; chain nodes already signalled may be skipped. */
#define pdma_fence_unwrap_for_each(fence, cursor, head)		\
	for ((fence) = pdma_fence_unwrap_first((head), (cursor)); (fence);\
	     (fence) = pdma_fence_unwrap_next(cursor))

/**
 * pdma_fence_unwrap_merge() - one fence equivalent to all of @fences.
 * @num_fences: how many; the caller keeps its references.
 * @out:        the result, a new reference.
 *
 * Leaves are collected from every chain and array; signalled ones are
 * dropped (their newest timestamp is kept); the newest leaf of each
 * context is kept.  None left: a private signalled stub with that
 * timestamp; one: that fence; several: a new array (new context, seqno 1,
 * signals when all do) sorted by context.
 *
 * Return: 0, or -ENOMEM.
 */
int pdma_fence_unwrap_merge(unsigned int num_fences, struct pdma_fence **fences,
			    struct pdma_fence **out);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_FENCE_H */
