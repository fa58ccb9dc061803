/* SPDX-License-Identifier: MIT */
/*
 * Unwrap: the leaves of chain -> array nesting, and merging several fences
 * into the smallest equivalent one.
 */
#include "sync.h"

static struct pdma_fence *unwrap_array(struct pdma_fence_unwrap *cursor)
{
	cursor->array = pdma_fence_chain_contained(cursor->chain);
	cursor->index = 0;
	return pdma_fence_array_first(cursor->array);
}

struct pdma_fence *pdma_fence_unwrap_first(struct pdma_fence *head,
					   struct pdma_fence_unwrap *cursor)
{
	cursor->chain = pdma_fence_get(head);
	return unwrap_array(cursor);
}

struct pdma_fence *pdma_fence_unwrap_next(struct pdma_fence_unwrap *cursor)
{
	struct pdma_fence *tmp;

	tmp = pdma_fence_array_next(cursor->array, ++cursor->index);
	if (tmp)
		return tmp;
	cursor->chain = pdma_fence_chain_walk(cursor->chain);
	return unwrap_array(cursor);
}

void pdma_fence_unwrap_end(struct pdma_fence_unwrap *cursor)
{
	pdma_fence_put(cursor->chain);
	cursor->chain = NULL;
	cursor->array = NULL;
}

/* By context, then newest first. */
static int fence_cmp(const void *pa, const void *pb)
{
	struct pdma_fence *a = *(struct pdma_fence *const *)pa;
	struct pdma_fence *b = *(struct pdma_fence *const *)pb;

	if (a->context != b->context)
		return a->context < b->context ? -1 : 1;
	if (pdma_fence_is_later(b, a))
		return 1;
	if (pdma_fence_is_later(a, b))
		return -1;
	return 0;
}

/*
 * Walk the leaves of @fences: count the unsignalled ones, keep the last in
 * *@one (referenced) when @one, store references to the first @max in @out
 * when @out, and raise *@timestamp to the newest signalled timestamp.
 */
static unsigned int collect(unsigned int num_fences, struct pdma_fence **fences,
			    struct pdma_fence **out, unsigned int max,
			    struct pdma_fence **one, int64_t *timestamp)
{
	struct pdma_fence_unwrap iter;
	struct pdma_fence *tmp;
	unsigned int count = 0;

	for (unsigned int i = 0; i < num_fences; i++) {
		pdma_fence_unwrap_for_each(tmp, &iter, fences[i]) {
			if (!pdma__signaled(tmp)) {
				if (out && count < max)
					out[count] = pdma_fence_get(tmp);
				if (one) {
					pdma_fence_put(*one);
					*one = pdma_fence_get(tmp);
				}
				count++;
			} else {
				int64_t t = pdma_fence_timestamp(tmp);

				if (t > *timestamp)
					*timestamp = t;
			}
		}
	}
	return out && count > max ? max : count;
}

int pdma_fence_unwrap_merge(unsigned int num_fences, struct pdma_fence **fences,
			    struct pdma_fence **out)
{
	struct pdma_fence *unsignaled = NULL, **array;
	int64_t timestamp = 0;
	unsigned int count, max, i, j;
	int ret;

	*out = NULL;
	count = collect(num_fences, fences, NULL, 0, &unsignaled, &timestamp);
	/* The frequent cases: nothing pending, or exactly one fence. */
	if (count == 0)
		return pdma_fence_allocate_private_stub(timestamp, out);
	if (count == 1) {
		*out = unsignaled;
		return 0;
	}
	pdma_fence_put(unsignaled);

	max = count;
	array = malloc(max * sizeof(*array));
	if (!array)
		return -ENOMEM;
	/*
	 * Fences only go from pending to signalled, and chain walks only
	 * drop signalled nodes, so this pass finds at most @max.
	 */
	count = collect(num_fences, fences, array, max, NULL, &timestamp);

	if (count > 1) {
		qsort(array, count, sizeof(*array), fence_cmp);
		/* Keep the newest fence of each context. */
		for (i = 1, j = 0; i < count; i++) {
			if (array[i]->context == array[j]->context)
				pdma_fence_put(array[i]);
			else
				array[++j] = array[i];
		}
		count = j + 1;
	}

	if (count > 1) {
		ret = pdma_fence_array_create(count, array,
					      pdma_fence_context_alloc(1), 1,
					      false, out);
		if (!ret)
			return 0;
		for (i = 0; i < count; i++)
			pdma_fence_put(array[i]);
		free(array);
		return ret;
	}

	if (count == 1) {
		*out = array[0];
		ret = 0;
	} else {
		ret = pdma_fence_allocate_private_stub(timestamp, out);
	}
	free(array);
	return ret;
}
