/* SPDX-License-Identifier: MIT */
/*
 * Fences: init, references, signalling, callbacks, errors, timestamps,
 * stubs, and the fence locks with their deferred-work queue.
 * Waiting is in fence_wait.c.
 */
#include <string.h>

#include "sync.h"

/* --- fence locks and deferred work ------------------------------------- */

/*
 * Per thread: how many fence locks are held, and the work waiting for 0.
 * One small block in the initial-exec model: every lock and unlock
 * touches it, and the general-dynamic model would make each access a
 * call into the dynamic linker.
 */
static __thread struct {
	unsigned int held;
	bool draining;
	struct pdma__work *head, *tail;
} tls __attribute__((tls_model("initial-exec")));

static void drain_deferred(void)
{
	struct pdma__work *w;

	if (tls.draining)
		return;
	tls.draining = true;
	while ((w = tls.head)) {
		tls.head = w->next;
		if (!tls.head)
			tls.tail = NULL;
		w->next = NULL;
		w->func(w);
	}
	tls.draining = false;
}

void pdma__defer(struct pdma__work *work)
{
	work->next = NULL;
	if (tls.tail)
		tls.tail->next = work;
	else
		tls.head = work;
	tls.tail = work;
	if (!tls.held)
		drain_deferred();
}

void pdma_fence_lock_init(struct pdma_fence_lock *lock)
{
	pthread_mutex_init(&lock->mutex, NULL);
}

void pdma_fence_lock_destroy(struct pdma_fence_lock *lock)
{
	pthread_mutex_destroy(&lock->mutex);
}

void pdma_fence_lock(struct pdma_fence *fence)
{
	pthread_mutex_lock(&fence->lock->mutex);
	tls.held++;
}

void pdma_fence_unlock(struct pdma_fence *fence)
{
	pthread_mutex_unlock(&fence->lock->mutex);
	if (!--tls.held && tls.head)
		drain_deferred();
}

/* --- list helpers ------------------------------------------------------ */

static void link_init(struct pdma_fence_link *l)
{
	l->next = l->prev = l;
}

static bool link_queued(const struct pdma_fence_link *l)
{
	return l->next != l;
}

static void link_add_tail(struct pdma_fence_link *l,
			  struct pdma_fence_link *head)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static void link_del_init(struct pdma_fence_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	link_init(l);
}

/* --- contexts and init -------------------------------------------------- */

static uint64_t next_context = 1;

uint64_t pdma_fence_context_alloc(unsigned int num)
{
	return __atomic_fetch_add(&next_context, num, __ATOMIC_RELAXED);
}

static int fence_init(struct pdma_fence *fence,
		      const struct pdma_fence_ops *ops,
		      struct pdma_fence_lock *lock, uint64_t context,
		      uint64_t seqno, unsigned long flags)
{
	if (!fence || !ops || !ops->get_driver_name ||
	    !ops->get_timeline_name || !lock)
		return -EINVAL;
	fence->ops = ops;
	fence->lock = lock;
	link_init(&fence->cb_list);
	fence->context = context;
	fence->seqno = seqno;
	if (ops->signaled)
		flags |= 1UL << PDMA_FENCE_FLAG_POLLED_BIT;
	fence->flags = flags;
	fence->timestamp = 0;
	fence->error = 0;
	fence->refcount = 1;
	return 0;
}

int pdma_fence_init(struct pdma_fence *fence, const struct pdma_fence_ops *ops,
		    struct pdma_fence_lock *lock, uint64_t context,
		    uint64_t seqno)
{
	return fence_init(fence, ops, lock, context, seqno, 0);
}

int pdma_fence_init64(struct pdma_fence *fence,
		      const struct pdma_fence_ops *ops,
		      struct pdma_fence_lock *lock, uint64_t context,
		      uint64_t seqno)
{
	return fence_init(fence, ops, lock, context, seqno,
			  1UL << PDMA_FENCE_FLAG_SEQNO64_BIT);
}

/* --- references --------------------------------------------------------- */

struct pdma_fence *pdma_fence_get(struct pdma_fence *fence)
{
	if (fence)
		__atomic_add_fetch(&fence->refcount, 1, __ATOMIC_RELAXED);
	return fence;
}

int pdma__fence_refcount(struct pdma_fence *f)
{
	return __atomic_load_n(&f->refcount, __ATOMIC_ACQUIRE);
}

void pdma__fence_free(struct pdma_fence *f)
{
	free(f);
}

static void fence_release(struct pdma_fence *fence)
{
	/*
	 * Nobody else holds a reference, so nobody may touch the list: it is
	 * safe to look without the lock, and usually it is empty.
	 */
	if (link_queued(&fence->cb_list) &&
	    !pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT)) {
		pdma_fence_lock(fence);
		fprintf(stderr,
			"peerdma: warning: fence %s:%s %llu:%llu released "
			"unsignalled with callbacks queued; signalling it "
			"with -EDEADLK (its producer dropped it too early)\n",
			fence->ops->get_driver_name(fence),
			fence->ops->get_timeline_name(fence),
			(unsigned long long)fence->context,
			(unsigned long long)fence->seqno);
		__atomic_store_n(&fence->error, -EDEADLK, __ATOMIC_RELAXED);
		pdma_fence_signal_locked(fence);
		pdma_fence_unlock(fence);
	}

	if (fence->ops->release)
		fence->ops->release(fence);
	else
		pdma__fence_free(fence);
}

void pdma_fence_put(struct pdma_fence *fence)
{
	pdma__put(fence);
}

/* The count went to @left <= 0. */
void pdma__fence_put_slow(struct pdma_fence *fence, int left)
{
	if (left < 0)
		pdma__bug("pdma_fence_put() of fence %llu:%llu without a "
			  "reference (refcount %d)",
			  (unsigned long long)fence->context,
			  (unsigned long long)fence->seqno, left);
	fence_release(fence);
}

/* --- signalling --------------------------------------------------------- */

int pdma_fence_signal_timestamp_locked(struct pdma_fence *fence,
				       int64_t timestamp)
{
	struct pdma_fence_link list, *l, *next;

	/*
	 * Every signal happens under the lock, so a plain test decides who
	 * is first; the timestamp is stored before SIGNALED and TIMESTAMP
	 * are published together (one atomic OR: producers may flip their
	 * own flag bits concurrently, without the lock).
	 */
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
		return -EINVAL;
	fence->timestamp = timestamp;
	__atomic_fetch_or(&fence->flags,
			  1UL << PDMA_FENCE_FLAG_SIGNALED_BIT |
			  1UL << PDMA_FENCE_FLAG_TIMESTAMP_BIT,
			  __ATOMIC_RELEASE);

	/* Detach the callbacks: add_callback sees SIGNALED from now on. */
	if (link_queued(&fence->cb_list)) {
		list = fence->cb_list;
		list.next->prev = &list;
		list.prev->next = &list;
	} else {
		link_init(&list);
	}
	link_init(&fence->cb_list);

	for (l = list.next; l != &list; l = next) {
		struct pdma_fence_cb *cb = (struct pdma_fence_cb *)l;

		next = l->next;
		link_init(l);
		cb->func(fence, cb);
	}
	return 0;
}

int pdma_fence_signal_locked(struct pdma_fence *fence)
{
	return pdma_fence_signal_timestamp_locked(fence, pdma__now_ns());
}

int pdma_fence_signal_timestamp(struct pdma_fence *fence, int64_t timestamp)
{
	int ret;

	if (!fence)
		return -EINVAL;
	pdma_fence_lock(fence);
	ret = pdma_fence_signal_timestamp_locked(fence, timestamp);
	pdma_fence_unlock(fence);
	return ret;
}

int pdma_fence_signal(struct pdma_fence *fence)
{
	return pdma_fence_signal_timestamp(fence, pdma__now_ns());
}

bool pdma_fence_is_signaled_locked(struct pdma_fence *fence)
{
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
		return true;
	if (fence->ops->signaled && fence->ops->signaled(fence)) {
		pdma_fence_signal_locked(fence);
		return true;
	}
	return false;
}

bool pdma_fence_is_signaled(struct pdma_fence *fence)
{
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
		return true;
	if (fence->ops->signaled && fence->ops->signaled(fence)) {
		pdma_fence_signal(fence);
		return true;
	}
	return false;
}

/*
 * Call ops->enable_signaling once; lock held.  False if the fence has
 * signalled (perhaps just now, because the producer said it was done).
 */
bool pdma__fence_enable_signaling_locked(struct pdma_fence *fence)
{
	bool was_set;

	was_set = pdma__test_bit(&fence->flags,
				 PDMA_FENCE_FLAG_ENABLE_SIGNAL_BIT) ||
		  pdma__test_and_set_bit(&fence->flags,
					 PDMA_FENCE_FLAG_ENABLE_SIGNAL_BIT);
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
		return false;
	if (!was_set && fence->ops->enable_signaling &&
	    !fence->ops->enable_signaling(fence)) {
		pdma_fence_signal_locked(fence);
		return false;
	}
	return true;
}

void pdma_fence_enable_sw_signaling(struct pdma_fence *fence)
{
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_ENABLE_SIGNAL_BIT) ||
	    pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
		return;
	pdma_fence_lock(fence);
	pdma__fence_enable_signaling_locked(fence);
	pdma_fence_unlock(fence);
}

/* --- errors, status, timestamps, names --------------------------------- */

int pdma_fence_set_error(struct pdma_fence *fence, int error)
{
	if (error >= 0 || error < -PDMA_FENCE_MAX_ERRNO)
		return -EINVAL;
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
		return -EBUSY;
	__atomic_store_n(&fence->error, error, __ATOMIC_RELAXED);
	return 0;
}

int pdma_fence_get_status_locked(struct pdma_fence *fence)
{
	int error;

	if (!pdma_fence_is_signaled_locked(fence))
		return 0;
	error = __atomic_load_n(&fence->error, __ATOMIC_RELAXED);
	return error ? error : 1;
}

int pdma_fence_get_status(struct pdma_fence *fence)
{
	int status;

	pdma_fence_lock(fence);
	status = pdma_fence_get_status_locked(fence);
	pdma_fence_unlock(fence);
	return status;
}

int64_t pdma_fence_timestamp(struct pdma_fence *fence)
{
	unsigned long flags = __atomic_load_n(&fence->flags, __ATOMIC_ACQUIRE);

	if (flags & (1UL << PDMA_FENCE_FLAG_TIMESTAMP_BIT))
		return fence->timestamp;
	/* Signalled by a producer that set only SIGNALED itself. */
	if (flags & (1UL << PDMA_FENCE_FLAG_SIGNALED_BIT))
		return pdma__now_ns();
	return 0;
}

const char *pdma_fence_driver_name(struct pdma_fence *fence)
{
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
		return "signaled-driver";
	return fence->ops->get_driver_name(fence);
}

const char *pdma_fence_timeline_name(struct pdma_fence *fence)
{
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
		return "signaled-timeline";
	return fence->ops->get_timeline_name(fence);
}

/* --- ordering ----------------------------------------------------------- */

bool pdma__fence_is_later(struct pdma_fence *f, uint64_t s1, uint64_t s2)
{
	if (f->flags & (1UL << PDMA_FENCE_FLAG_SEQNO64_BIT))
		return s1 > s2;
	return (int32_t)((uint32_t)s1 - (uint32_t)s2) > 0;
}

bool pdma_fence_is_later(struct pdma_fence *f1, struct pdma_fence *f2)
{
	if (f1->context != f2->context)
		return false;
	return pdma__fence_is_later(f1, f1->seqno, f2->seqno);
}

bool pdma_fence_is_later_or_same(struct pdma_fence *f1, struct pdma_fence *f2)
{
	return f1 == f2 || pdma_fence_is_later(f1, f2);
}

/* --- callbacks ---------------------------------------------------------- */

int pdma_fence_add_callback(struct pdma_fence *fence, struct pdma_fence_cb *cb,
			    pdma_fence_func_t func)
{
	int ret = 0;

	if (!fence || !cb || !func)
		return -EINVAL;
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_SIGNALED_BIT)) {
		link_init(&cb->node);
		return -ENOENT;
	}

	pdma_fence_lock(fence);
	if (pdma__fence_enable_signaling_locked(fence)) {
		cb->func = func;
		link_add_tail(&cb->node, &fence->cb_list);
	} else {
		link_init(&cb->node);
		ret = -ENOENT;
	}
	pdma_fence_unlock(fence);
	return ret;
}

bool pdma_fence_remove_callback(struct pdma_fence *fence,
				struct pdma_fence_cb *cb)
{
	bool queued;

	pdma_fence_lock(fence);
	queued = link_queued(&cb->node);
	if (queued)
		link_del_init(&cb->node);
	pdma_fence_unlock(fence);
	return queued;
}

/* --- deadlines ---------------------------------------------------------- */

void pdma_fence_set_deadline(struct pdma_fence *fence, int64_t deadline)
{
	if (fence->ops->set_deadline && !pdma_fence_is_signaled(fence))
		fence->ops->set_deadline(fence, deadline);
}

/* --- stubs -------------------------------------------------------------- */

static const char *stub_name(struct pdma_fence *fence)
{
	(void)fence;
	return "stub";
}

static void stub_release_global(struct pdma_fence *fence)
{
	/* The global stub holds a reference of its own: never reached. */
	(void)fence;
}

static const struct pdma_fence_ops stub_ops = {
	.get_driver_name = stub_name,
	.get_timeline_name = stub_name,
};

static const struct pdma_fence_ops global_stub_ops = {
	.get_driver_name = stub_name,
	.get_timeline_name = stub_name,
	.release = stub_release_global,
};

static struct pdma_fence_lock stub_lock = PDMA_FENCE_LOCK_INIT;
static struct pdma_fence global_stub;
static pthread_once_t global_stub_once = PTHREAD_ONCE_INIT;

static void global_stub_init(void)
{
	pdma_fence_init(&global_stub, &global_stub_ops, &stub_lock, 0, 0);
	pdma__set_bit(&global_stub.flags, PDMA_FENCE_FLAG_ENABLE_SIGNAL_BIT);
	pdma_fence_signal(&global_stub);
}

struct pdma_fence *pdma_fence_get_stub(void)
{
	pthread_once(&global_stub_once, global_stub_init);
	return pdma_fence_get(&global_stub);
}

int pdma_fence_allocate_private_stub(int64_t timestamp,
				     struct pdma_fence **out)
{
	struct pdma_fence *fence;

	*out = NULL;
	fence = malloc(sizeof(*fence));
	if (!fence)
		return -ENOMEM;
	pdma_fence_init(fence, &stub_ops, &stub_lock, 0, 0);
	/* Not shared yet: no callbacks, no lock needed. */
	fence->timestamp = timestamp;
	fence->flags |= 1UL << PDMA_FENCE_FLAG_ENABLE_SIGNAL_BIT |
			1UL << PDMA_FENCE_FLAG_SIGNALED_BIT |
			1UL << PDMA_FENCE_FLAG_TIMESTAMP_BIT;
	*out = fence;
	return 0;
}
