/* SPDX-License-Identifier: MIT */
/*
 * Unwrap and merge: every case of the kernel's st-dma-fence-unwrap
 * (sanitycheck, unwrap_array, unwrap_chain, unwrap_chain_array,
 * unwrap_merge, unwrap_merge_duplicate, unwrap_merge_seqno,
 * unwrap_merge_order, unwrap_merge_complex, unwrap_merge_complex_seqno),
 * plus merges that end in a private stub or a single fence.
 */
#include <stdarg.h>

#include "fence-chain.h"

/* An array over @n fences whose references it takes over. */
static struct pdma_fence *mock_array(unsigned int n, ...)
{
	struct pdma_fence **fences = calloc(n, sizeof(*fences)), *array;
	va_list ap;

	REQUIRE(fences);
	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++)
		fences[i] = va_arg(ap, struct pdma_fence *);
	va_end(ap);
	REQUIRE(!pdma_fence_array_create(n, fences,
					 pdma_fence_context_alloc(1), 1, false,
					 &array));
	return array;
}

/* A chain node that takes over the references of @prev and @fence. */
static struct pdma_fence *chain_of(struct pdma_fence *prev,
				   struct pdma_fence *fence)
{
	struct pdma_fence_chain *c = pdma_fence_chain_alloc();

	REQUIRE(c);
	return pdma_fence_chain_init(c, prev, fence, 1);
}

static struct pdma_fence *merge(unsigned int n, ...)
{
	struct pdma_fence *fences[8], *out;
	va_list ap;

	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++)
		fences[i] = va_arg(ap, struct pdma_fence *);
	va_end(ap);
	REQUIRE(!pdma_fence_unwrap_merge(n, fences, &out));
	return out;
}

/* Check that @head's leaves are exactly @want[0..n), in that order if
 * @ordered, each once. */
static void expect_leaves(struct pdma_fence *head, bool ordered,
			  unsigned int n, struct pdma_fence **want)
{
	struct pdma_fence_unwrap iter;
	struct pdma_fence *fence;
	unsigned int seen = 0, count = 0, bad = 0;

	pdma_fence_unwrap_for_each(fence, &iter, head) {
		unsigned int i;

		for (i = 0; i < n && want[i] != fence; i++)
			;
		if (i == n || (seen & (1u << i)) ||
		    (ordered && i != count)) {
			fprintf(stderr, "  unexpected leaf %llu:%llu at %u\n",
				(unsigned long long)fence->context,
				(unsigned long long)fence->seqno, count);
			bad++;
		} else {
			seen |= 1u << i;
		}
		count++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(count, n);
	CHECK_EQ_INT(seen, (1u << n) - 1);
}

static void sanitycheck(void)
{
	struct pdma_fence *f = mock_fence(), *array, *chain;

	pdma_fence_enable_sw_signaling(f);
	array = mock_array(1, f);
	chain = chain_of(NULL, array);
	CHECK(pdma_fence_is_chain(chain));
	pdma_fence_signal(f);
	pdma_fence_put(chain);
}

static void unwrap_array(void)
{
	struct pdma_fence *f[2] = { mock_fence(), mock_fence() }, *array;

	array = mock_array(2, pdma_fence_get(f[0]), pdma_fence_get(f[1]));
	expect_leaves(array, true, 2, f);
	pdma_fence_put(array);
	pdma_fence_put(f[0]);
	pdma_fence_put(f[1]);
}

static void unwrap_chain(void)
{
	struct pdma_fence *f[2] = { mock_fence(), mock_fence() }, *chain;

	chain = chain_of(pdma_fence_get(f[0]), pdma_fence_get(f[1]));
	expect_leaves(chain, false, 2, f);
	pdma_fence_put(chain);
	pdma_fence_put(f[0]);
	pdma_fence_put(f[1]);
}

static void unwrap_chain_array(void)
{
	struct pdma_fence *f[2] = { mock_fence(), mock_fence() }, *chain;

	chain = chain_of(NULL, mock_array(2, pdma_fence_get(f[0]),
					  pdma_fence_get(f[1])));
	expect_leaves(chain, true, 2, f);
	pdma_fence_put(chain);
	pdma_fence_put(f[0]);
	pdma_fence_put(f[1]);
}

static void unwrap_merge(void)
{
	struct pdma_fence *f[2] = { mock_fence(), mock_fence() }, *m;

	m = merge(2, f[0], f[1]);
	CHECK(pdma_fence_is_array(m));
	expect_leaves(m, true, 2, f);	/* f[0] has the older context */
	pdma_fence_put(m);
	pdma_fence_put(f[0]);
	pdma_fence_put(f[1]);
}

static void unwrap_merge_duplicate(void)
{
	struct pdma_fence *f = mock_fence(), *m;

	m = merge(2, f, f);
	CHECK(m == f);
	expect_leaves(m, true, 1, &f);
	pdma_fence_put(m);
	pdma_fence_put(f);
}

static void unwrap_merge_seqno(void)
{
	uint64_t ctx = pdma_fence_context_alloc(2);
	struct pdma_fence *f1 = mock_fence_on(ctx + 1, 1, false);
	struct pdma_fence *f2 = mock_fence_on(ctx + 1, 2, false);
	struct pdma_fence *f3 = mock_fence_on(ctx, 1, false);
	struct pdma_fence *m, *want[2] = { f3, f2 };

	m = merge(3, f1, f2, f3);
	expect_leaves(m, true, 2, want);
	pdma_fence_put(m);
	pdma_fence_put(f1);
	pdma_fence_put(f2);
	pdma_fence_put(f3);
}

static void unwrap_merge_order(void)
{
	struct pdma_fence *f[2] = { mock_fence(), mock_fence() };
	struct pdma_fence *a1, *c1, *c2, *a2;

	a1 = mock_array(2, pdma_fence_get(f[0]), pdma_fence_get(f[1]));
	c1 = chain_of(NULL, pdma_fence_get(f[0]));
	c2 = chain_of(c1, pdma_fence_get(f[1]));
	/* The chain yields f[1] then f[0]; the merge sorts by context. */
	a2 = merge(2, a1, c2);
	expect_leaves(a2, true, 2, f);
	pdma_fence_put(a2);
	pdma_fence_put(a1);
	pdma_fence_put(c2);
	pdma_fence_put(f[0]);
	pdma_fence_put(f[1]);
}

static void unwrap_merge_complex(void)
{
	struct pdma_fence *f[2] = { mock_fence(), mock_fence() };
	struct pdma_fence *f3, *f4, *stub, *f5;

	f3 = merge(2, f[1], f[0]);
	f4 = mock_array(2, pdma_fence_get(f[1]), pdma_fence_get(f[0]));
	stub = pdma_fence_get_stub();
	/* The stub is filtered, the arrays collapse to f[0], f[1]. */
	f5 = merge(3, f3, f4, stub);
	expect_leaves(f5, true, 2, f);
	pdma_fence_put(f5);
	pdma_fence_put(stub);
	pdma_fence_put(f4);
	pdma_fence_put(f3);
	pdma_fence_put(f[0]);
	pdma_fence_put(f[1]);
}

static void unwrap_merge_complex_seqno(void)
{
	uint64_t ctx = pdma_fence_context_alloc(2);
	struct pdma_fence *f1 = mock_fence_on(ctx, 2, false);
	struct pdma_fence *f2 = mock_fence_on(ctx + 1, 1, false);
	struct pdma_fence *f3 = mock_fence_on(ctx, 1, false);
	struct pdma_fence *f4 = mock_fence_on(ctx + 1, 2, false);
	struct pdma_fence *f5, *f6, *f7, *want[2] = { f1, f4 };

	f5 = mock_array(2, pdma_fence_get(f1), pdma_fence_get(f2));
	f6 = mock_array(2, pdma_fence_get(f3), pdma_fence_get(f4));
	f7 = merge(2, f5, f6);
	expect_leaves(f7, true, 2, want);
	pdma_fence_put(f7);
	pdma_fence_put(f6);
	pdma_fence_put(f5);
	pdma_fence_put(f4);
	pdma_fence_put(f3);
	pdma_fence_put(f2);
	pdma_fence_put(f1);
}

static void merge_signalled(void)
{
	struct pdma_fence *f[3] = { mock_fence(), mock_fence(), mock_fence() };
	struct pdma_fence *m, *array;

	array = mock_array(2, pdma_fence_get(f[0]), pdma_fence_get(f[1]));
	pdma_fence_signal_timestamp(f[0], 1000);
	pdma_fence_signal_timestamp(f[1], 3000);

	/* One pending fence left: that fence itself. */
	m = merge(2, array, f[2]);
	CHECK(m == f[2]);
	pdma_fence_put(m);

	/* None pending: a private stub with the newest timestamp. */
	pdma_fence_signal_timestamp(f[2], 2000);
	m = merge(2, array, f[2]);
	CHECK(m != f[0] && m != f[1] && m != f[2]);
	CHECK(!pdma_fence_is_container(m));
	CHECK(pdma_fence_is_signaled(m));
	CHECK_EQ_INT(pdma_fence_timestamp(m), 3000);
	pdma_fence_put(m);

	/* Nothing at all. */
	m = merge(0);
	CHECK(pdma_fence_is_signaled(m));
	CHECK_EQ_INT(pdma_fence_timestamp(m), 0);
	pdma_fence_put(m);

	pdma_fence_put(array);
	for (int i = 0; i < 3; i++)
		pdma_fence_put(f[i]);
}

int main(void)
{
	int released = mock_released_count();

	sanitycheck();
	unwrap_array();
	unwrap_chain();
	unwrap_chain_array();
	unwrap_merge();
	unwrap_merge_duplicate();
	unwrap_merge_seqno();
	unwrap_merge_order();
	unwrap_merge_complex();
	unwrap_merge_complex_seqno();
	merge_signalled();
	/* Every mock made above was released: no reference leaked. */
	CHECK_EQ_INT(mock_released_count() - released,
		     1 + 2 * 4 + 1 + 3 + 2 + 2 + 4 + 3);
	return harness_exit();
}
