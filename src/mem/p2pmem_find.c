/* SPDX-License-Identifier: MIT */
/*
 * pci_p2pmem_find_many(): the closest published provider for a set of
 * clients, chosen at random among ties.
 */
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <peerdma/verdict.h>

#include "p2pmem.h"

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n): reject the low 2^64 mod n values. */
static uint64_t rand_below(uint64_t *s, uint64_t n)
{
	uint64_t skip = (UINT64_MAX % n + 1) % n, x;

	do
		x = splitmix64(s);
	while (x < skip);
	return x % n;
}

static uint64_t *thread_rng(void)
{
	static _Thread_local uint64_t state;
	static _Thread_local bool seeded;

	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
			((uint64_t)getpid() << 17) ^ (uintptr_t)&state;
		seeded = true;
	}
	return &state;
}

struct pdma_p2pmem_provider *
pdma_p2pmem_find_many(struct pdma_fabric *fab,
		      struct pdma_p2pmem_provider *const *provs, int nr_provs,
		      const int *clients, int nr_clients, uint64_t *rng)
{
	struct pdma_p2pmem_provider *ties[PDMA__MAX_TIES];
	int nr_ties = 0, closest = INT_MAX;

	if (!fab || nr_clients <= 0)
		return NULL;
	for (int i = 0; i < nr_provs; i++) {
		struct pdma_p2pmem_provider *p = provs[i];
		int d;

		if (!p || p->fab != fab || !pdma_p2pmem_has_p2pmem(p))
			continue;
		d = pdma_verdict_distance_many(fab, p->func, clients,
					       nr_clients);
		if (d < 0 || d > closest)
			continue;
		if (d == closest && nr_ties >= PDMA__MAX_TIES)
			continue;
		if (d < closest) {
			closest = d;
			nr_ties = 0;
		}
		ties[nr_ties++] = p;
	}
	if (!nr_ties)
		return NULL;
	if (!rng)
		rng = thread_rng();
	return pdma_p2pmem_provider_get(ties[rand_below(rng, nr_ties)]);
}
