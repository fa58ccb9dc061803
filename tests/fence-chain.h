/* SPDX-License-Identifier: MIT */
/*
 * Chains of mock fences, as st-dma-fence-chain's fence_chains_init():
 * fences[i] is the work of point chains[i]; every node has signalling
 * enabled.
 */
#ifndef PDMA_TEST_FENCE_CHAIN_H
#define PDMA_TEST_FENCE_CHAIN_H

#include "fence-mock.h"

struct fence_chains {
	unsigned int chain_length;
	struct pdma_fence **fences;
	struct pdma_fence **chains;
	struct pdma_fence *tail;
};

/* A node after @prev over @fence; takes new references on both. */
static inline struct pdma_fence *mock_chain(struct pdma_fence *prev,
					    struct pdma_fence *fence,
					    uint64_t seqno)
{
	struct pdma_fence_chain *c = pdma_fence_chain_alloc();

	REQUIRE(c);
	return pdma_fence_chain_init(c, pdma_fence_get(prev),
				     pdma_fence_get(fence), seqno);
}

static inline uint64_t seqno_inc(unsigned int n)
{
	return n + 1;
}

static inline uint64_t seqno_inc2(unsigned int n)
{
	return 2 * n + 2;
}

static inline void fence_chains_init(struct fence_chains *fc,
				     unsigned int count,
				     uint64_t (*seqno_fn)(unsigned int))
{
	fc->fences = calloc(count, sizeof(*fc->fences));
	fc->chains = calloc(count, sizeof(*fc->chains));
	REQUIRE(fc->fences && fc->chains);
	fc->tail = NULL;
	for (unsigned int i = 0; i < count; i++) {
		fc->fences[i] = mock_fence();
		fc->chains[i] = mock_chain(fc->tail, fc->fences[i],
					   seqno_fn(i));
		fc->tail = fc->chains[i];
		pdma_fence_enable_sw_signaling(fc->chains[i]);
	}
	fc->chain_length = count;
}

static inline void fence_chains_fini(struct fence_chains *fc)
{
	for (unsigned int i = 0; i < fc->chain_length; i++) {
		pdma_fence_signal(fc->fences[i]);
		pdma_fence_put(fc->chains[i]);
	}
	for (unsigned int i = 0; i < fc->chain_length; i++)
		pdma_fence_put(fc->fences[i]);
	free(fc->chains);
	free(fc->fences);
}

#endif /* PDMA_TEST_FENCE_CHAIN_H */
