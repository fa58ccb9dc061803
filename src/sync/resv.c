/* SPDX-License-Identifier: MIT */
/*
 * Reservation objects: the lock, and the fence slots.
 *
 * The slots live in one array (struct pdma__resv_list) whose entries pack
 * a fence pointer with its usage in the low two bits.  Writers hold the
 * reservation lock.  Unlocked readers must never take a reference on a
 * fence whose last reference a writer is dropping at the same moment (the
 * kernel relies on RCU and type-safe slabs for that).  Here every store a
 * writer makes to obj->fences, obj->gen or a slot, and every unlocked
 * reader's "look at a slot and take a reference", happen under
 * obj->fences_lock, a spinlock held for a few instructions and never
 * while calling out.  So a reader's reference is taken while the slot
 * still owns one; the writer drops the slot's reference after the store.
 * obj->gen grows every time the array is replaced, so a cursor that walks
 * an old array (freed since) notices before touching it and restarts.
 */
#include <string.h>

#include "sync.h"

#include <peerdma/resv.h>

struct pdma_ww_class pdma_reservation_ww_class =
	PDMA_WW_CLASS_INIT("reservation_ww_class");

#define USAGE_MASK 3UL

static inline void entry(const struct pdma__resv_list *list, unsigned int i,
			 struct pdma_fence **fence, enum pdma_resv_usage *usage)
{
	uintptr_t e = list->table[i];

	*fence = (struct pdma_fence *)(e & ~USAGE_MASK);
	if (usage)
		*usage = (enum pdma_resv_usage)(e & USAGE_MASK);
}

static inline uintptr_t pack(struct pdma_fence *fence,
			     enum pdma_resv_usage usage)
{
	return (uintptr_t)fence | (uintptr_t)usage;
}

#define assert_held(obj)						\
	do {								\
		if (PDMA_SYNC_DEBUG && !pdma_resv_held(obj))		\
			pdma__bug("%s() without the reservation lock "	\
				  "held by this thread", __func__);	\
	} while (0)

/* --- lifetime and lock --------------------------------------------------- */

void pdma_resv_init(struct pdma_resv *obj)
{
	pdma_ww_mutex_init(&obj->lock, &pdma_reservation_ww_class);
	obj->fences_lock = 0;
	obj->gen = 0;
	obj->fences = NULL;
}

static void list_free(struct pdma__resv_list *list)
{
	struct pdma_fence *fence;

	if (!list)
		return;
	for (unsigned int i = 0; i < list->num_fences; i++) {
		entry(list, i, &fence, NULL);
		pdma_fence_put(fence);
	}
	free(list);
}

void pdma_resv_fini(struct pdma_resv *obj)
{
	list_free(obj->fences);
	obj->fences = NULL;
	pdma_ww_mutex_destroy(&obj->lock);
}

int pdma_resv_lock(struct pdma_resv *obj, struct pdma_ww_acquire_ctx *ctx)
{
	return pdma_ww_mutex_lock(&obj->lock, ctx);
}

int pdma_resv_lock_interruptible(struct pdma_resv *obj,
				 struct pdma_ww_acquire_ctx *ctx)
{
	return pdma_ww_mutex_lock_interruptible(&obj->lock, ctx);
}

void pdma_resv_lock_slow(struct pdma_resv *obj,
			 struct pdma_ww_acquire_ctx *ctx)
{
	pdma_ww_mutex_lock_slow(&obj->lock, ctx);
}

int pdma_resv_lock_slow_interruptible(struct pdma_resv *obj,
				      struct pdma_ww_acquire_ctx *ctx)
{
	return pdma_ww_mutex_lock_slow_interruptible(&obj->lock, ctx);
}

bool pdma_resv_trylock(struct pdma_resv *obj)
{
	return pdma_ww_mutex_trylock(&obj->lock);
}

bool pdma_resv_held(struct pdma_resv *obj)
{
	return pdma_ww_mutex_held(&obj->lock);
}

void pdma_resv_unlock(struct pdma_resv *obj)
{
	assert_held(obj);
	/* Reservations do not survive the lock: make that visible. */
	if (PDMA_SYNC_DEBUG && obj->fences)
		obj->fences->max_fences = obj->fences->num_fences;
	pdma_ww_mutex_unlock(&obj->lock);
}

/* --- writers ------------------------------------------------------------- */

static struct pdma__resv_list *list_alloc(unsigned int capacity)
{
	struct pdma__resv_list *list;

	list = malloc(sizeof(*list) + (size_t)capacity * sizeof(uintptr_t));
	if (!list)
		return NULL;
	list->num_fences = 0;
	list->max_fences = capacity;
	list->capacity = capacity;
	return list;
}

/* Publish @list as @obj's array; the caller frees the old one. */
static void list_publish(struct pdma_resv *obj, struct pdma__resv_list *list)
{
	pdma__spin_lock(&obj->fences_lock);
	obj->fences = list;
	obj->gen++;
	pdma__spin_unlock(&obj->fences_lock);
}

static void slot_store(struct pdma_resv *obj, struct pdma__resv_list *list,
		       unsigned int i, struct pdma_fence *fence,
		       enum pdma_resv_usage usage)
{
	pdma__spin_lock(&obj->fences_lock);
	list->table[i] = pack(fence, usage);
	if (i == list->num_fences)
		list->num_fences = i + 1;
	pdma__spin_unlock(&obj->fences_lock);
}

static unsigned int roundup_pow2(unsigned int n)
{
	unsigned int p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int pdma_resv_reserve_fences_locked(struct pdma_resv *obj, unsigned int num)
{
	struct pdma__resv_list *old, *new;
	struct pdma_fence *fence;
	enum pdma_resv_usage usage;
	unsigned int i, j, k, max;

	assert_held(obj);
	if (!num || num > UINT_MAX / 4)
		return -EINVAL;

	old = obj->fences;
	if (old) {
		if (old->num_fences + num <= old->capacity) {
			if (old->max_fences < old->num_fences + num)
				old->max_fences = old->num_fences + num;
			return 0;
		}
		max = old->num_fences + num;
		if (max < 2 * old->capacity)
			max = 2 * old->capacity;
	} else {
		max = roundup_pow2(num);
		if (max < 4)
			max = 4;
	}

	new = list_alloc(max);
	if (!new)
		return -ENOMEM;

	/*
	 * Move the references of pending fences to the front of the new
	 * array and park the signalled ones at its end, to be dropped once
	 * nobody can find them any more.
	 */
	for (i = 0, j = 0, k = max; old && i < old->num_fences; i++) {
		entry(old, i, &fence, &usage);
		if (pdma__signaled(fence))
			new->table[--k] = (uintptr_t)fence;
		else
			new->table[j++] = pack(fence, usage);
	}
	new->num_fences = j;
	if (PDMA_SYNC_DEBUG)
		new->max_fences = j + num;

	list_publish(obj, new);

	for (i = k; i < max; i++)
		pdma_fence_put((struct pdma_fence *)new->table[i]);
	free(old);
	return 0;
}

void pdma_resv_add_fence_locked(struct pdma_resv *obj, struct pdma_fence *fence,
				enum pdma_resv_usage usage)
{
	struct pdma__resv_list *list;
	struct pdma_fence *old;
	enum pdma_resv_usage old_usage;
	unsigned int i, count;

	assert_held(obj);
	if (pdma__to_array(fence) || pdma__to_chain(fence))
		fprintf(stderr, "peerdma: warning: fence %llu:%llu added to a "
			"reservation object is an array or chain; add its "
			"leaves instead (pdma_fence_unwrap)\n",
			(unsigned long long)fence->context,
			(unsigned long long)fence->seqno);
	pdma_fence_get(fence);

	list = obj->fences;
	count = list ? list->num_fences : 0;
	for (i = 0; i < count; i++) {
		entry(list, i, &old, &old_usage);
		if ((old->context == fence->context && old_usage >= usage &&
		     pdma_fence_is_later_or_same(fence, old)) ||
		    pdma__signaled(old)) {
			slot_store(obj, list, i, fence, usage);
			pdma_fence_put(old);
			return;
		}
	}

	if (!list || count >= list->max_fences)
		pdma__bug("pdma_resv_add_fence_locked() with no reserved slot "
			  "(%u fences, %u reserved): call "
			  "pdma_resv_reserve_fences_locked() after taking the "
			  "lock, reservations end at unlock", count,
			  list ? list->max_fences : 0);
	slot_store(obj, list, count, fence, usage);
}

void pdma_resv_replace_fences_locked(struct pdma_resv *obj, uint64_t context,
				     struct pdma_fence *replacement,
				     enum pdma_resv_usage usage)
{
	struct pdma__resv_list *list;
	struct pdma_fence *old;

	assert_held(obj);
	list = obj->fences;
	for (unsigned int i = 0; list && i < list->num_fences; i++) {
		entry(list, i, &old, NULL);
		if (old->context != context)
			continue;
		slot_store(obj, list, i, pdma_fence_get(replacement), usage);
		pdma_fence_put(old);
	}
}

int pdma_resv_copy_fences_locked(struct pdma_resv *dst, struct pdma_resv *src)
{
	struct pdma__resv_list *list = NULL, *old;
	struct pdma_resv_iter cursor;
	struct pdma_fence *f;

	assert_held(dst);
	pdma_resv_iter_begin(&cursor, src, PDMA_RESV_USAGE_BOOKKEEP);
	pdma_resv_for_each_fence_unlocked(&cursor, f) {
		if (pdma_resv_iter_is_restarted(&cursor)) {
			list_free(list);
			list = list_alloc(cursor.num_fences ?
					  cursor.num_fences : 1);
			if (!list) {
				pdma_resv_iter_end(&cursor);
				return -ENOMEM;
			}
		}
		list->table[list->num_fences++] =
			pack(pdma_fence_get(f), pdma_resv_iter_usage(&cursor));
	}
	pdma_resv_iter_end(&cursor);

	if (list && PDMA_SYNC_DEBUG)
		list->max_fences = list->num_fences;
	old = dst->fences;
	list_publish(dst, list);
	list_free(old);
	return 0;
}

/* --- iteration ----------------------------------------------------------- */

/* fences_lock held: start over on the current array. */
static void iter_restart(struct pdma_resv_iter *cursor)
{
	struct pdma_resv *obj = cursor->obj;

	cursor->index = 0;
	cursor->fences = obj->fences;
	cursor->gen = obj->gen;
	cursor->num_fences = obj->fences ? obj->fences->num_fences : 0;
	cursor->is_restarted = true;
}

/* Drop the current fence and find the next pending one within usage. */
static void iter_walk_unlocked(struct pdma_resv_iter *cursor, bool restart)
{
	struct pdma_resv *obj = cursor->obj;

	for (;;) {
		pdma_fence_put(cursor->fence);
		cursor->fence = NULL;

		pdma__spin_lock(&obj->fences_lock);
		if (restart || cursor->fences != (void *)obj->fences ||
		    cursor->gen != obj->gen)
			iter_restart(cursor);
		restart = false;
		if (cursor->index >= cursor->num_fences) {
			pdma__spin_unlock(&obj->fences_lock);
			return;
		}
		entry(obj->fences, cursor->index++, &cursor->fence,
		      &cursor->fence_usage);
		pdma_fence_get(cursor->fence);
		pdma__spin_unlock(&obj->fences_lock);

		if (cursor->fence_usage <= cursor->usage &&
		    !pdma__signaled(cursor->fence))
			return;
	}
}

struct pdma_fence *pdma_resv_iter_first_unlocked(struct pdma_resv_iter *cursor)
{
	iter_walk_unlocked(cursor, true);
	return cursor->fence;
}

struct pdma_fence *pdma_resv_iter_next_unlocked(struct pdma_resv_iter *cursor)
{
	cursor->is_restarted = false;
	iter_walk_unlocked(cursor, false);
	return cursor->fence;
}

void pdma_resv_iter_end(struct pdma_resv_iter *cursor)
{
	pdma_fence_put(cursor->fence);
	cursor->fence = NULL;
}

struct pdma_fence *pdma_resv_iter_next_locked(struct pdma_resv_iter *cursor)
{
	struct pdma__resv_list *list = cursor->fences;
	struct pdma_fence *fence;

	assert_held(cursor->obj);
	cursor->is_restarted = false;
	do {
		if (!list || cursor->index >= list->num_fences)
			return NULL;
		entry(list, cursor->index++, &fence, &cursor->fence_usage);
	} while (cursor->fence_usage > cursor->usage);
	return fence;
}

struct pdma_fence *pdma_resv_iter_first_locked(struct pdma_resv_iter *cursor)
{
	struct pdma_fence *fence;

	assert_held(cursor->obj);
	cursor->index = 0;
	cursor->fences = cursor->obj->fences;
	cursor->gen = cursor->obj->gen;
	cursor->num_fences = cursor->fences ?
			     cursor->obj->fences->num_fences : 0;
	cursor->fence = NULL;
	fence = pdma_resv_iter_next_locked(cursor);
	cursor->is_restarted = true;
	return fence;
}

/* --- unlocked queries ------------------------------------------------------ */

int pdma_resv_get_fences(struct pdma_resv *obj, enum pdma_resv_usage usage,
			 unsigned int *num_fences, struct pdma_fence ***fences)
{
	struct pdma_resv_iter cursor;
	struct pdma_fence *fence, **array;

	*num_fences = 0;
	*fences = NULL;
	pdma_resv_iter_begin(&cursor, obj, usage);
	pdma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (pdma_resv_iter_is_restarted(&cursor)) {
			while (*num_fences)
				pdma_fence_put((*fences)[--(*num_fences)]);
			array = realloc(*fences, (cursor.num_fences + 1) *
					sizeof(*array));
			if (!array) {
				free(*fences);
				*fences = NULL;
				pdma_resv_iter_end(&cursor);
				return -ENOMEM;
			}
			*fences = array;
		}
		(*fences)[(*num_fences)++] = pdma_fence_get(fence);
	}
	pdma_resv_iter_end(&cursor);
	return 0;
}

int pdma_resv_get_singleton(struct pdma_resv *obj, enum pdma_resv_usage usage,
			    struct pdma_fence **fence)
{
	struct pdma_fence **fences;
	unsigned int count;
	int ret;

	*fence = NULL;
	ret = pdma_resv_get_fences(obj, usage, &count, &fences);
	if (ret)
		return ret;
	if (count <= 1) {
		*fence = count ? fences[0] : NULL;
		free(fences);
		return 0;
	}
	ret = pdma_fence_array_create(count, fences,
				      pdma_fence_context_alloc(1), 1, false,
				      fence);
	if (ret) {
		while (count--)
			pdma_fence_put(fences[count]);
		free(fences);
	}
	return ret;
}

int64_t pdma_resv_wait_timeout(struct pdma_resv *obj,
			       enum pdma_resv_usage usage, bool intr,
			       int64_t timeout)
{
	struct pdma_resv_iter cursor;
	struct pdma_fence *fence;
	int64_t ret;

	if (timeout < 0)
		return -EINVAL;
	ret = timeout ? timeout : 1;
	pdma_resv_iter_begin(&cursor, obj, usage);
	pdma_resv_for_each_fence_unlocked(&cursor, fence) {
		ret = pdma_fence_wait_timeout(fence, intr, timeout);
		if (ret <= 0)
			break;
		/* A poll stays a poll: every fence gets timeout 0. */
		if (timeout)
			timeout = ret;
	}
	pdma_resv_iter_end(&cursor);
	return ret;
}

bool pdma_resv_test_signaled(struct pdma_resv *obj, enum pdma_resv_usage usage)
{
	struct pdma_resv_iter cursor;
	struct pdma_fence *fence;
	bool signaled = true;

	pdma_resv_iter_begin(&cursor, obj, usage);
	pdma_resv_for_each_fence_unlocked(&cursor, fence) {
		signaled = false;
		break;
	}
	pdma_resv_iter_end(&cursor);
	return signaled;
}

void pdma_resv_set_deadline(struct pdma_resv *obj, enum pdma_resv_usage usage,
			    int64_t deadline)
{
	struct pdma_resv_iter cursor;
	struct pdma_fence *fence;

	pdma_resv_iter_begin(&cursor, obj, usage);
	pdma_resv_for_each_fence_unlocked(&cursor, fence)
		pdma_fence_set_deadline(fence, deadline);
	pdma_resv_iter_end(&cursor);
}
