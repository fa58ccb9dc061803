/* SPDX-License-Identifier: MIT */
/*
 * Fence chains: st-dma-fence-chain's single-threaded cases (sanitycheck,
 * find_seqno, find_signaled, find_out_of_order, find_gap, signal_forward,
 * signal_backward), the context rule of chain_init, walks with garbage
 * collection, deadline forwarding, and the iterative release of a chain
 * far too long to free by recursion.
 */
#include "fence-chain.h"

static void sanitycheck(void)
{
	struct pdma_fence *f = mock_fence(), *chain;

	chain = mock_chain(NULL, f, 1);
	pdma_fence_enable_sw_signaling(chain);
	CHECK(pdma_fence_is_chain(chain));
	CHECK(pdma_fence_chain_contained(chain) == f);
	CHECK(pdma_fence_chain_contained(f) == f);
	CHECK(!pdma_fence_is_signaled(chain));
	pdma_fence_signal(f);
	CHECK(pdma_fence_is_signaled(chain));
	pdma_fence_put(chain);
	pdma_fence_put(f);
}

static void find_seqno(void)
{
	struct fence_chains fc;
	struct pdma_fence *fence;

	fence_chains_init(&fc, 64, seqno_inc);

	fence = pdma_fence_get(fc.tail);
	CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, 0), 0);
	CHECK(fence == fc.tail);
	pdma_fence_put(fence);

	for (unsigned int i = 0; i < fc.chain_length; i++) {
		fence = pdma_fence_get(fc.tail);
		CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, i + 1), 0);
		pdma_fence_put(fence);
		CHECK(fence == fc.chains[i]);

		/* Find self. */
		pdma_fence_get(fence);
		CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, i + 1), 0);
		pdma_fence_put(fence);
		CHECK(fence == fc.chains[i]);

		/* A future point is an error and leaves the fence alone. */
		pdma_fence_get(fence);
		CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, i + 2),
			     -EINVAL);
		CHECK(fence == fc.chains[i]);
		pdma_fence_put(fence);

		/* The previous point. */
		pdma_fence_get(fence);
		CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, i), 0);
		pdma_fence_put(fence);
		if (i > 0)
			CHECK(fence == fc.chains[i - 1]);
	}

	/* Not a chain. */
	fence = pdma_fence_get(fc.fences[0]);
	CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, 1), -EINVAL);
	CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, 0), 0);
	pdma_fence_put(fence);

	fence_chains_fini(&fc);
}

static void find_signaled(void)
{
	struct fence_chains fc;
	struct pdma_fence *fence;

	fence_chains_init(&fc, 2, seqno_inc);
	pdma_fence_signal(fc.fences[0]);

	fence = pdma_fence_get(fc.tail);
	CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, 1), 0);
	pdma_fence_put(fence);
	CHECK(!fence || fence == fc.chains[0]);

	fence_chains_fini(&fc);
}

static void find_out_of_order(void)
{
	struct fence_chains fc;
	struct pdma_fence *fence;

	fence_chains_init(&fc, 3, seqno_inc);
	pdma_fence_signal(fc.fences[1]);

	/* Point 2 waits for fence 1 too: the answer is node 0 (node 1 is
	 * collected on the way). */
	fence = pdma_fence_get(fc.tail);
	CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, 2), 0);
	pdma_fence_put(fence);
	CHECK(fence == fc.chains[0]);

	fence_chains_fini(&fc);
}

static void find_gap(void)
{
	struct fence_chains fc;
	struct pdma_fence *fence;

	fence_chains_init(&fc, 64, seqno_inc2);
	for (unsigned int i = 0; i < fc.chain_length; i++) {
		fence = pdma_fence_get(fc.tail);
		CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, 2 * i + 1), 0);
		pdma_fence_put(fence);
		CHECK(fence == fc.chains[i]);
		CHECK_EQ_INT(fence->seqno, 2 * i + 2);

		pdma_fence_get(fence);
		CHECK_EQ_INT(pdma_fence_chain_find_seqno(&fence, 2 * i + 2), 0);
		pdma_fence_put(fence);
		CHECK(fence == fc.chains[i]);
	}
	fence_chains_fini(&fc);
}

static void signal_forward(void)
{
	struct fence_chains fc;
	unsigned int bad = 0;

	fence_chains_init(&fc, 64, seqno_inc);
	for (unsigned int i = 0; i < fc.chain_length; i++) {
		pdma_fence_signal(fc.fences[i]);
		if (!pdma_fence_is_signaled(fc.chains[i]))
			bad++;
		if (i + 1 < fc.chain_length &&
		    pdma_fence_is_signaled(fc.chains[i + 1]))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	fence_chains_fini(&fc);
}

static void signal_backward(void)
{
	struct fence_chains fc;
	unsigned int bad = 0;

	fence_chains_init(&fc, 64, seqno_inc);
	for (unsigned int i = fc.chain_length; i--; ) {
		pdma_fence_signal(fc.fences[i]);
		if (i > 0 && pdma_fence_is_signaled(fc.chains[i]))
			bad++;
	}
	for (unsigned int i = 0; i < fc.chain_length; i++)
		if (!pdma_fence_is_signaled(fc.chains[i]))
			bad++;
	CHECK_EQ_INT(bad, 0);
	fence_chains_fini(&fc);
}

static void context_rule(void)
{
	struct pdma_fence *f[4], *a, *b, *c, *d, *w;

	for (int i = 0; i < 4; i++)
		f[i] = mock_fence();
	a = mock_chain(NULL, f[0], 5);
	b = mock_chain(a, f[1], 7);		/* later: shares a's context */
	CHECK_EQ_INT(b->context, a->context);
	CHECK_EQ_INT(b->seqno, 7);
	c = mock_chain(b, f[2], 3);		/* not later: new context */
	CHECK(c->context != b->context);
	CHECK_EQ_INT(c->seqno, 7);		/* max(prev, seqno) */
	d = mock_chain(f[0], f[3], 1);		/* prev not a chain */
	CHECK(d->context != a->context);
	CHECK_EQ_INT(d->seqno, 1);

	/* Walking from c: b, a, then nothing. */
	w = pdma_fence_chain_walk(pdma_fence_get(c));
	CHECK(w == b);
	w = pdma_fence_chain_walk(w);
	CHECK(w == a);
	w = pdma_fence_chain_walk(w);
	CHECK(w == NULL);
	/* From d the plain prev fence is the last step. */
	w = pdma_fence_chain_walk(pdma_fence_get(d));
	CHECK(w == f[0]);
	CHECK(pdma_fence_chain_walk(w) == NULL);

	/* Signalled predecessors are collected by the walk. */
	pdma_fence_signal(f[1]);
	w = pdma_fence_chain_walk(pdma_fence_get(c));
	CHECK(w == a);
	pdma_fence_put(w);

	for (int i = 0; i < 4; i++)
		pdma_fence_signal(f[i]);
	pdma_fence_put(a);
	pdma_fence_put(b);
	pdma_fence_put(c);
	pdma_fence_put(d);
	for (int i = 0; i < 4; i++)
		pdma_fence_put(f[i]);
}

static void deadline_forwarding(void)
{
	struct deadline_fence *d[3];
	struct pdma_fence *tail = NULL, *node;

	for (int i = 0; i < 3; i++) {
		d[i] = deadline_fence();
		node = mock_chain(tail, &d[i]->m.base, i + 1);
		pdma_fence_put(tail);
		tail = node;
	}
	pdma_fence_signal(&d[1]->m.base);
	pdma_fence_set_deadline(tail, 4242);
	CHECK_EQ_INT(d[0]->deadline, 4242);
	CHECK_EQ_INT(d[1]->deadline, 0);	/* signalled */
	CHECK_EQ_INT(d[2]->deadline, 4242);
	for (int i = 0; i < 3; i++) {
		pdma_fence_signal(&d[i]->m.base);
		pdma_fence_put(&d[i]->m.base);
	}
	pdma_fence_put(tail);
}

static void long_chain_release(void)
{
	enum { N = 200000 };
	struct pdma_fence *tail = NULL, *f, *node;
	int released = mock_released_count();

	for (unsigned int i = 0; i < N; i++) {
		f = mock_fence();
		node = mock_chain(tail, f, i + 1);
		pdma_fence_put(f);
		pdma_fence_put(tail);
		tail = node;
	}
	CHECK_EQ_INT(tail->seqno, N);
	/* Unsignalled nodes without callbacks: freed without warnings, in
	 * a loop (a recursive free would overflow the stack here). */
	pdma_fence_put(tail);
	CHECK_EQ_INT(mock_released_count(), released + N);
}

int main(void)
{
	sanitycheck();
	find_seqno();
	find_signaled();
	find_out_of_order();
	find_gap();
	signal_forward();
	signal_backward();
	context_rule();
	deadline_forwarding();
	long_chain_release();
	return harness_exit();
}
