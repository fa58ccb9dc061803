/* SPDX-License-Identifier: MIT */
/*
 * Reservation objects: iteration, and the queries that need no lock.
 *
 * An unlocked cursor looks at the array only inside obj->fences_lock (see
 * resv.c for why that is enough): it checks that the array it walks is
 * still the object's (pointer and generation), or starts over, then takes
 * references on up to PDMA_RESV_ITER_AHEAD of the next pending entries
 * within its usage filter, and hands them out one per step without the
 * lock.  Before each hand-out it re-reads the pointer and generation (two
 * loads, no lock), so a replaced array still restarts the walk at the next
 * step, as in the kernel.
 */
#include "sync.h"

#include <peerdma/resv.h>

static bool array_changed(struct pdma_resv_iter *cursor)
{
	struct pdma_resv *obj = cursor->obj;

	return cursor->gen != __atomic_load_n(&obj->gen, __ATOMIC_ACQUIRE) ||
	       cursor->fences != (void *)__atomic_load_n(&obj->fences,
							 __ATOMIC_ACQUIRE);
}

/* Drop the references taken ahead and not handed out. */
static void drop_ahead(struct pdma_resv_iter *cursor)
{
	while (cursor->ahead_pos < cursor->ahead)
		pdma__put(cursor->batch[cursor->ahead_pos++].fence);
	cursor->ahead = cursor->ahead_pos = 0;
}

/* fences_lock held: take the next batch, starting over if needed. */
static void refill_locked(struct pdma_resv_iter *cursor, bool restart)
{
	struct pdma_resv *obj = cursor->obj;
	struct pdma__resv_list *list;

	if (restart || array_changed(cursor)) {
		/* The generation first: see list_publish(). */
		cursor->gen = __atomic_load_n(&obj->gen, __ATOMIC_ACQUIRE);
		list = __atomic_load_n(&obj->fences, __ATOMIC_ACQUIRE);
		cursor->fences = list;
		cursor->num_fences = pdma__list_num(list);
		cursor->index = 0;
		cursor->is_restarted = true;
	}
	list = cursor->fences;
	while (cursor->index < cursor->num_fences &&
	       cursor->ahead < PDMA_RESV_ITER_AHEAD) {
		uintptr_t e = pdma__slot_load(list, cursor->index++);
		struct pdma_fence *f = pdma__slot_fence(e);

		if (pdma__slot_usage(e) > (int)cursor->usage ||
		    pdma__test_bit(&f->flags, PDMA_FENCE_FLAG_SIGNALED_BIT))
			continue;
		cursor->batch[cursor->ahead].fence = pdma__get(f);
		cursor->batch[cursor->ahead].usage = pdma__slot_usage(e);
		cursor->ahead++;
	}
}

/* Drop the current fence and find the next pending one within usage. */
static void iter_walk_unlocked(struct pdma_resv_iter *cursor, bool restart)
{
	struct pdma_resv *obj = cursor->obj;

	for (;;) {
		pdma__put(cursor->fence);
		cursor->fence = NULL;

		if (!restart && cursor->ahead_pos < cursor->ahead) {
			if (array_changed(cursor)) {
				drop_ahead(cursor);
				restart = true;
				continue;
			}
			cursor->fence = cursor->batch[cursor->ahead_pos].fence;
			cursor->fence_usage =
				cursor->batch[cursor->ahead_pos].usage;
			cursor->ahead_pos++;
			if (!pdma__signaled(cursor->fence))
				return;
			continue;
		}

		drop_ahead(cursor);
		/* Walked to the end of an array that is still current. */
		if (!restart && cursor->index >= cursor->num_fences &&
		    !array_changed(cursor))
			return;
		pdma__spin_lock(&obj->fences_lock);
		refill_locked(cursor, restart);
		pdma__spin_unlock(&obj->fences_lock);
		restart = false;
		if (!cursor->ahead)
			return;		/* the end */
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
	pdma__put(cursor->fence);
	cursor->fence = NULL;
	drop_ahead(cursor);
}

struct pdma_fence *pdma_resv_iter_next_locked(struct pdma_resv_iter *cursor)
{
	struct pdma__resv_list *list = cursor->fences;
	enum pdma_resv_usage usage;
	uintptr_t e;

	pdma__resv_assert_held(cursor->obj);
	cursor->is_restarted = false;
	do {
		if (!list || cursor->index >= list->num_fences)
			return NULL;
		e = pdma__slot_load(list, cursor->index++);
		usage = (enum pdma_resv_usage)pdma__slot_usage(e);
	} while (usage > cursor->usage);
	cursor->fence_usage = usage;
	return pdma__slot_fence(e);
}

struct pdma_fence *pdma_resv_iter_first_locked(struct pdma_resv_iter *cursor)
{
	struct pdma_fence *fence;

	pdma__resv_assert_held(cursor->obj);
	cursor->index = 0;
	cursor->fences = cursor->obj->fences;
	cursor->gen = cursor->obj->gen;
	cursor->num_fences = pdma__list_num(cursor->obj->fences);
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
