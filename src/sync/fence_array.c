/* SPDX-License-Identifier: MIT */
/*
 * Fence arrays: one fence for "all of these" (or "any of these").
 *
 * num_pending starts at the member count (1 for signal-on-any) and each
 * member's callback decrements it; the one that reaches 0 queues the final
 * signal as deferred work (the member's lock is held in the callback).
 * Every queued callback holds a reference on the array, because the array
 * may be reported signalled before all of them have run.  The error is a
 * private "pending" marker until the first member error replaces it by
 * compare-and-swap; whatever is still the marker at signal time becomes 0.
 */
#include "sync.h"

static const char *array_driver_name(struct pdma_fence *fence)
{
	(void)fence;
	return "pdma_fence_array";
}

static const char *array_timeline_name(struct pdma_fence *fence)
{
	(void)fence;
	return "unbound";
}

static void set_pending_error(struct pdma__fence_array *array, int error)
{
	int expected = PDMA__ARRAY_PENDING_ERROR;

	if (error)
		__atomic_compare_exchange_n(&array->base.error, &expected, error,
					    false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
}

static void clear_pending_error(struct pdma__fence_array *array)
{
	int expected = PDMA__ARRAY_PENDING_ERROR;

	__atomic_compare_exchange_n(&array->base.error, &expected, 0, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static void array_work(struct pdma__work *work)
{
	struct pdma__fence_array *array = (struct pdma__fence_array *)
		((char *)work - offsetof(struct pdma__fence_array, work));

	clear_pending_error(array);
	pdma_fence_signal(&array->base);
	pdma_fence_put(&array->base);
}

/* A member signalled; its lock is held. */
static void array_cb_func(struct pdma_fence *fence, struct pdma_fence_cb *cb)
{
	struct pdma__fence_array *array = ((struct pdma__array_cb *)cb)->array;

	set_pending_error(array, __atomic_load_n(&fence->error,
						 __ATOMIC_RELAXED));
	if (__atomic_sub_fetch(&array->num_pending, 1, __ATOMIC_ACQ_REL) == 0)
		pdma__defer(&array->work);	/* keeps this reference */
	else
		pdma_fence_put(&array->base);
}

/* Called by the core once, with the array's lock held. */
static bool array_enable_signaling(struct pdma_fence *fence)
{
	struct pdma__fence_array *array = pdma__to_array(fence);
	struct pdma__array_cb *cb = array->callbacks;

	for (unsigned int i = 0; i < array->num_fences; i++) {
		cb[i].array = array;
		pdma_fence_get(&array->base);
		if (pdma_fence_add_callback(array->fences[i], &cb[i].cb,
					    array_cb_func)) {
			struct pdma_fence *f = array->fences[i];

			set_pending_error(array, __atomic_load_n(&f->error,
							__ATOMIC_RELAXED));
			pdma_fence_put(&array->base);
			if (__atomic_sub_fetch(&array->num_pending, 1,
					       __ATOMIC_ACQ_REL) == 0) {
				clear_pending_error(array);
				return false;
			}
		}
	}
	return true;
}

static bool array_signaled(struct pdma_fence *fence)
{
	struct pdma__fence_array *array = pdma__to_array(fence);
	int num_pending;

	/*
	 * Read the count before the enable bit: once enabled, the count is
	 * the truth; before, count the members that have signalled.
	 */
	num_pending = __atomic_load_n(&array->num_pending, __ATOMIC_ACQUIRE);
	if (pdma__test_bit(&fence->flags, PDMA_FENCE_FLAG_ENABLE_SIGNAL_BIT)) {
		if (num_pending <= 0)
			goto signal;
		return false;
	}
	for (unsigned int i = 0; i < array->num_fences; i++)
		if (pdma_fence_is_signaled(array->fences[i]) && !--num_pending)
			goto signal;
	return false;

signal:
	clear_pending_error(array);
	return true;
}

static void array_release(struct pdma_fence *fence)
{
	struct pdma__fence_array *array = pdma__to_array(fence);

	for (unsigned int i = 0; i < array->num_fences; i++)
		pdma_fence_put(array->fences[i]);
	free(array->fences);
	pdma_fence_lock_destroy(&array->lock);
	free(array);
}

static void array_set_deadline(struct pdma_fence *fence, int64_t deadline)
{
	struct pdma__fence_array *array = pdma__to_array(fence);

	for (unsigned int i = 0; i < array->num_fences; i++)
		pdma_fence_set_deadline(array->fences[i], deadline);
}

const struct pdma_fence_ops pdma__fence_array_ops = {
	.get_driver_name = array_driver_name,
	.get_timeline_name = array_timeline_name,
	.enable_signaling = array_enable_signaling,
	.signaled = array_signaled,
	.release = array_release,
	.set_deadline = array_set_deadline,
};

int pdma_fence_array_create(unsigned int num_fences,
			    struct pdma_fence **fences, uint64_t context,
			    uint64_t seqno, bool signal_on_any,
			    struct pdma_fence **out)
{
	struct pdma__fence_array *array;

	*out = NULL;
	if (!num_fences || !fences || num_fences > INT_MAX)
		return -EINVAL;
	array = calloc(1, sizeof(*array) +
			  num_fences * sizeof(array->callbacks[0]));
	if (!array)
		return -ENOMEM;

	pdma_fence_lock_init(&array->lock);
	pdma_fence_init(&array->base, &pdma__fence_array_ops, &array->lock,
			context, seqno);
	array->work.func = array_work;
	array->num_fences = num_fences;
	array->num_pending = signal_on_any ? 1 : (int)num_fences;
	array->fences = fences;
	array->base.error = PDMA__ARRAY_PENDING_ERROR;

	for (unsigned int i = 0; i < num_fences; i++)
		if (pdma_fence_is_container(fences[i]))
			fprintf(stderr, "peerdma: warning: member %u of fence "
				"array %llu:%llu is itself an array or chain; "
				"add its leaves instead (pdma_fence_unwrap)\n",
				i, (unsigned long long)context,
				(unsigned long long)seqno);
	*out = &array->base;
	return 0;
}

bool pdma_fence_is_array(struct pdma_fence *fence)
{
	return pdma__to_array(fence) != NULL;
}

bool pdma_fence_is_container(struct pdma_fence *fence)
{
	return pdma_fence_is_array(fence) || pdma_fence_is_chain(fence);
}

unsigned int pdma_fence_array_num_fences(struct pdma_fence *fence)
{
	struct pdma__fence_array *array = pdma__to_array(fence);

	return array ? array->num_fences : 0;
}

struct pdma_fence *pdma_fence_array_first(struct pdma_fence *head)
{
	struct pdma__fence_array *array;

	if (!head)
		return NULL;
	array = pdma__to_array(head);
	if (!array)
		return head;
	return array->num_fences ? array->fences[0] : NULL;
}

struct pdma_fence *pdma_fence_array_next(struct pdma_fence *head,
					 unsigned int index)
{
	struct pdma__fence_array *array = pdma__to_array(head);

	if (!array || index >= array->num_fences)
		return NULL;
	return array->fences[index];
}

bool pdma_fence_match_context(struct pdma_fence *fence, uint64_t context)
{
	struct pdma__fence_array *array = pdma__to_array(fence);

	if (!array)
		return fence->context == context;
	for (unsigned int i = 0; i < array->num_fences; i++)
		if (array->fences[i]->context != context)
			return false;
	return true;
}
