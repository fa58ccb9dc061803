/* SPDX-License-Identifier: MIT */
/*
 * Fence chains: timeline points.  A node holds (prev, fence, seqno) and
 * signals once its fence and every earlier node's fence have.
 *
 * @prev is read and replaced concurrently by walkers, which unlink
 * signalled predecessors (compare-and-swap on @prev).  The kernel reads it
 * under RCU; here a per-node spinlock covers "load prev and take a
 * reference" and "replace prev if unchanged", so a walker never touches a
 * node whose last reference another walker just dropped.  The lock is
 * held for a few instructions and never while calling out.
 */
#include "sync.h"

static const char *chain_driver_name(struct pdma_fence *fence)
{
	(void)fence;
	return "pdma_fence_chain";
}

static const char *chain_timeline_name(struct pdma_fence *fence)
{
	(void)fence;
	return "unbound";
}

static struct pdma_fence *chain_get_prev(struct pdma_fence_chain *chain)
{
	struct pdma_fence *prev;

	pdma__spin_lock(&chain->prev_lock);
	prev = pdma_fence_get(chain->prev);
	pdma__spin_unlock(&chain->prev_lock);
	return prev;
}

/* chain->prev = @new if it is still @old; true if replaced. */
static bool chain_cmpxchg_prev(struct pdma_fence_chain *chain,
			       struct pdma_fence *old, struct pdma_fence *new)
{
	bool swapped = false;

	pdma__spin_lock(&chain->prev_lock);
	if (chain->prev == old) {
		chain->prev = new;
		swapped = true;
	}
	pdma__spin_unlock(&chain->prev_lock);
	return swapped;
}

struct pdma_fence *pdma_fence_chain_walk(struct pdma_fence *fence)
{
	struct pdma_fence_chain *chain, *prev_chain;
	struct pdma_fence *prev, *replacement;

	chain = pdma__to_chain(fence);
	if (!chain) {
		pdma_fence_put(fence);
		return NULL;
	}

	while ((prev = chain_get_prev(chain))) {
		prev_chain = pdma__to_chain(prev);
		if (prev_chain) {
			if (!pdma__signaled(prev_chain->fence))
				break;
			replacement = chain_get_prev(prev_chain);
		} else {
			if (!pdma__signaled(prev))
				break;
			replacement = NULL;
		}

		if (chain_cmpxchg_prev(chain, prev, replacement))
			pdma_fence_put(prev);	/* chain's old reference */
		else
			pdma_fence_put(replacement);
		pdma_fence_put(prev);
	}

	pdma_fence_put(fence);
	return prev;
}

int pdma_fence_chain_find_seqno(struct pdma_fence **pfence, uint64_t seqno)
{
	struct pdma_fence_chain *chain, *node;

	if (!seqno)
		return 0;
	chain = pdma__to_chain(*pfence);
	if (!chain || chain->base.seqno < seqno)
		return -EINVAL;

	pdma_fence_chain_for_each(*pfence, &chain->base) {
		node = pdma__to_chain(*pfence);
		if ((*pfence)->context != chain->base.context || !node ||
		    node->prev_seqno < seqno)
			break;
	}
	pdma_fence_put(&chain->base);
	return 0;
}

struct pdma_fence *pdma_fence_chain_contained(struct pdma_fence *fence)
{
	struct pdma_fence_chain *chain = pdma__to_chain(fence);

	return chain ? chain->fence : fence;
}

static bool chain_enable_signaling(struct pdma_fence *fence);

static void chain_work(struct pdma__work *work)
{
	struct pdma_fence_chain *chain = (struct pdma_fence_chain *)
		((char *)work - offsetof(struct pdma_fence_chain, work));

	/* Re-arm on the next unsignalled fence, or signal if none is left. */
	if (!chain_enable_signaling(&chain->base))
		pdma_fence_signal(&chain->base);
	pdma_fence_put(&chain->base);
}

/* The awaited fence signalled; its lock is held. */
static void chain_cb(struct pdma_fence *fence, struct pdma_fence_cb *cb)
{
	struct pdma_fence_chain *chain = (struct pdma_fence_chain *)
		((char *)cb - offsetof(struct pdma_fence_chain, cb));

	pdma__defer(&chain->work);	/* keeps the reference on chain */
	pdma_fence_put(fence);
}

/*
 * Put the node's one callback on the newest unsignalled fence of the
 * chain.  Called by the core with the node's lock held, and by chain_work
 * without it.  Returns false if every fence has signalled.
 */
static bool chain_enable_signaling(struct pdma_fence *fence)
{
	struct pdma_fence_chain *head = pdma__to_chain(fence);

	pdma_fence_get(&head->base);
	pdma_fence_chain_for_each(fence, &head->base) {
		struct pdma_fence *f = pdma_fence_chain_contained(fence);

		pdma_fence_get(f);
		if (!pdma_fence_add_callback(f, &head->cb, chain_cb)) {
			pdma_fence_put(fence);
			return true;
		}
		pdma_fence_put(f);
	}
	pdma_fence_put(&head->base);
	return false;
}

static bool chain_signaled(struct pdma_fence *fence)
{
	pdma_fence_chain_for_each(fence, fence) {
		struct pdma_fence *f = pdma_fence_chain_contained(fence);

		if (!pdma__signaled(f)) {
			pdma_fence_put(fence);
			return false;
		}
	}
	return true;
}

/*
 * Unlink predecessors that only this node references before dropping
 * them, so that a long chain is freed in a loop, not by recursion.
 */
static void chain_release(struct pdma_fence *fence)
{
	struct pdma_fence_chain *chain = pdma__to_chain(fence);
	struct pdma_fence *prev;

	/* The last reference: nobody else can reach chain->prev. */
	while ((prev = chain->prev)) {
		struct pdma_fence_chain *prev_chain;

		if (pdma__fence_refcount(prev) > 1)
			break;
		prev_chain = pdma__to_chain(prev);
		if (!prev_chain)
			break;
		/* And we hold the last reference to prev_chain. */
		chain->prev = prev_chain->prev;
		prev_chain->prev = NULL;
		pdma_fence_put(prev);
	}
	pdma_fence_put(prev);
	pdma_fence_put(chain->fence);
	pdma_fence_lock_destroy(&chain->lock);
	free(chain);
}

static void chain_set_deadline(struct pdma_fence *fence, int64_t deadline)
{
	pdma_fence_chain_for_each(fence, fence)
		pdma_fence_set_deadline(pdma_fence_chain_contained(fence),
					deadline);
}

const struct pdma_fence_ops pdma__fence_chain_ops = {
	.get_driver_name = chain_driver_name,
	.get_timeline_name = chain_timeline_name,
	.enable_signaling = chain_enable_signaling,
	.signaled = chain_signaled,
	.release = chain_release,
	.set_deadline = chain_set_deadline,
};

bool pdma_fence_is_chain(struct pdma_fence *fence)
{
	return pdma__to_chain(fence) != NULL;
}

struct pdma_fence_chain *pdma_fence_chain_alloc(void)
{
	return malloc(sizeof(struct pdma_fence_chain));
}

void pdma_fence_chain_free(struct pdma_fence_chain *chain)
{
	free(chain);
}

struct pdma_fence *pdma_fence_chain_init(struct pdma_fence_chain *chain,
					 struct pdma_fence *prev,
					 struct pdma_fence *fence,
					 uint64_t seqno)
{
	struct pdma_fence_chain *prev_chain = pdma__to_chain(prev);
	uint64_t context;

	pdma_fence_lock_init(&chain->lock);
	chain->prev_lock = 0;
	chain->prev = prev;
	chain->fence = fence;
	chain->prev_seqno = 0;
	chain->work.func = chain_work;
	chain->work.next = NULL;

	/* Share the previous node's context when this is a later point. */
	if (prev_chain && pdma__fence_is_later(prev, seqno, prev->seqno)) {
		context = prev->context;
		chain->prev_seqno = prev->seqno;
	} else {
		context = pdma_fence_context_alloc(1);
		if (prev_chain && prev->seqno > seqno)
			seqno = prev->seqno;
	}
	pdma_fence_init64(&chain->base, &pdma__fence_chain_ops, &chain->lock,
			  context, seqno);

	if (pdma_fence_is_chain(fence))
		fprintf(stderr, "peerdma: warning: chain node %llu:%llu "
			"contains another chain node; link chains through "
			"@prev instead\n", (unsigned long long)context,
			(unsigned long long)seqno);
	return &chain->base;
}
