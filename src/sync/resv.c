/* SPDX-License-Identifier: MIT */
/*
 * Reservation objects: the lock, and the writers of the fence slots.
 *
 * The slots live in one array (struct pdma__resv_list) whose entries pack
 * a fence pointer with its usage in the low two bits.  Writers hold the
 * reservation lock.  Unlocked readers (resv_iter.c) must never take a
 * reference on a fence whose last reference a writer is dropping at the
 * same moment (the kernel relies on RCU and type-safe slabs for that).
 * Here readers look at slots only inside obj->fences_lock, a spinlock held
 * for a few instructions and never while calling out, and a writer that
 * unpublishes something (overwrites a slot, replaces the array) passes
 * through that spinlock once before dropping the old references or memory
 * (readers_barrier()): any reader that saw the old value has taken its
 * reference by then, any later one sees the new value.  Appending needs no
 * barrier: the slot is written before num_fences is released.  obj->gen
 * grows every time the array is replaced, so a cursor that was walking an
 * old array (freed since) notices before touching it and restarts.
 */
#include <string.h>

#include "sync.h"

#include <peerdma/resv.h>

struct pdma_ww_class pdma_reservation_ww_class =
	PDMA_WW_CLASS_INIT("reservation_ww_class");

static inline void entry(struct pdma__resv_list *list, unsigned int i,
			 struct pdma_fence **fence, enum pdma_resv_usage *usage)
{
	uintptr_t e = pdma__slot_load(list, i);

	*fence = pdma__slot_fence(e);
	if (usage)
		*usage = (enum pdma_resv_usage)pdma__slot_usage(e);
}

static inline uintptr_t pack(struct pdma_fence *fence,
			     enum pdma_resv_usage usage)
{
	return (uintptr_t)fence | (uintptr_t)usage;
}

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
		pdma__put(fence);
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
	pdma__resv_assert_held(obj);
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

/* Wait until no unlocked reader can still see what was just unpublished. */
static void readers_barrier(struct pdma_resv *obj)
{
	pdma__spin_lock(&obj->fences_lock);
	pdma__spin_unlock(&obj->fences_lock);
}

/*
 * Make @list @obj's array.  Once this returns, no reader looks at the old
 * one any more: the caller may drop its references and free it.
 */
static void list_publish(struct pdma_resv *obj, struct pdma__resv_list *list)
{
	struct pdma__resv_list *old = obj->fences;

	__atomic_store_n(&obj->fences, list, __ATOMIC_RELEASE);
	__atomic_store_n(&obj->gen, obj->gen + 1, __ATOMIC_RELEASE);
	if (old)
		readers_barrier(obj);
}

/* Append to a published array (a reserved slot). */
static void slot_append(struct pdma__resv_list *list, struct pdma_fence *fence,
			enum pdma_resv_usage usage)
{
	unsigned int n = list->num_fences;

	pdma__slot_set(list, n, pack(fence, usage));
	__atomic_store_n(&list->num_fences, n + 1, __ATOMIC_RELEASE);
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

	pdma__resv_assert_held(obj);
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
	 * no reader can find them any more.
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
		pdma__put((struct pdma_fence *)new->table[i]);
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

	pdma__resv_assert_held(obj);
	if (pdma__to_array(fence) || pdma__to_chain(fence))
		fprintf(stderr, "peerdma: warning: fence %llu:%llu added to a "
			"reservation object is an array or chain; add its "
			"leaves instead (pdma_fence_unwrap)\n",
			(unsigned long long)fence->context,
			(unsigned long long)fence->seqno);
	pdma__get(fence);

	list = obj->fences;
	count = list ? list->num_fences : 0;
	for (i = 0; i < count; i++) {
		entry(list, i, &old, &old_usage);
		if ((old->context == fence->context && old_usage >= usage &&
		     pdma_fence_is_later_or_same(fence, old)) ||
		    pdma__signaled(old)) {
			pdma__slot_set(list, i, (uintptr_t)fence |
						(uintptr_t)usage);
			readers_barrier(obj);
			pdma__put(old);
			return;
		}
	}

	if (!list || count >= list->max_fences)
		pdma__bug("pdma_resv_add_fence_locked() with no reserved slot "
			  "(%u fences, %u reserved): call "
			  "pdma_resv_reserve_fences_locked() after taking the "
			  "lock, reservations end at unlock", count,
			  list ? list->max_fences : 0);
	slot_append(list, fence, usage);
}

void pdma_resv_replace_fences_locked(struct pdma_resv *obj, uint64_t context,
				     struct pdma_fence *replacement,
				     enum pdma_resv_usage usage)
{
	struct pdma__resv_list *list = obj->fences;
	struct pdma_fence *old;
	unsigned int i, n;

	pdma__resv_assert_held(obj);
	n = list ? list->num_fences : 0;
	for (i = 0; i < n; i++) {
		entry(list, i, &old, NULL);
		if (old->context != context)
			continue;
		pdma__slot_set(list, i, (uintptr_t)pdma__get(replacement) |
					(uintptr_t)usage);
		readers_barrier(obj);
		pdma__put(old);
	}
}

int pdma_resv_copy_fences_locked(struct pdma_resv *dst, struct pdma_resv *src)
{
	struct pdma__resv_list *list = NULL, *old;
	struct pdma_resv_iter cursor;
	struct pdma_fence *f;

	pdma__resv_assert_held(dst);
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
			(uintptr_t)pdma__get(f) |
			(uintptr_t)pdma_resv_iter_usage(&cursor);
	}
	pdma_resv_iter_end(&cursor);

	if (list && PDMA_SYNC_DEBUG)
		list->max_fences = list->num_fences;
	old = dst->fences;
	list_publish(dst, list);
	list_free(old);
	return 0;
}
