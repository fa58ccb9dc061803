/* SPDX-License-Identifier: MIT */
/*
 * Synthetic PCIe fabrics for the verdict benchmark and the equivalence
 * test: host bridges whose root device is drawn from the kernel's
 * allow-lists (and from ids on no list, and root buses with no device the
 * kernel can look up), RCiEPs on root buses, root ports (some of them
 * functions of one multifunction device, like AMD's GPP bridges), nested
 * switches, PCIe-to-PCI bridges, multifunction endpoints, SR-IOV style
 * functions spread over a bus, and random ACS control words on ports and
 * endpoints.  The same seed gives the same fabric.
 *
 * Private to the library, its tests and bench/:
 *
 *	struct synth_params sp = synth_defaults(42);
 *	struct pdma_fabric *fab;
 *	if (pdma__synth_build(&sp, &fab, &err)) ...
 */
#ifndef PDMA_BENCH_SYNTH_H
#define PDMA_BENCH_SYNTH_H

#include <stdint.h>
#include <stdbool.h>

#include <peerdma/peerdma.h>

#include "fabric/model.h"

/**
 * struct synth_params - what to generate.
 * @seed:        the random stream.
 * @nr_hbs:      host bridges (1..64).
 * @endpoints:   about this many non-bridge functions in all.
 * @max_levels:  switch levels below a root port (0..4).
 * @acs_pct:     percent of ports with an ACS capability (random control
 *               word); endpoints get one at a quarter of that rate.
 * @mf_pct:      percent of devices that are multifunction.
 * @sriov_pct:   percent of devices with many functions over the bus.
 * @rciep_pct:   percent of root buses with integrated endpoints.
 * @listed_pct:  percent of root buses whose root device has an id every
 *               kernel allows across host bridges (Skylake-E, Ice Lake);
 *               the others draw from all lists and from ids on none.
 * @random_platform: random CPU vendor/family and kernel rules (else an
 *               Intel CPU and the 6.12 rules).
 * @domains:     one PCI domain per host bridge (else they split bus
 *               numbers 0-255 of domain 0).
 */
struct synth_params {
	uint64_t seed;
	int nr_hbs;
	int endpoints;
	int max_levels;
	int acs_pct;
	int mf_pct;
	int sriov_pct;
	int rciep_pct;
	int listed_pct;
	bool random_platform;
	bool domains;
};

static inline struct synth_params synth_defaults(uint64_t seed)
{
	struct synth_params sp = {
		.seed = seed, .nr_hbs = 2, .endpoints = 40, .max_levels = 2,
		.acs_pct = 30, .mf_pct = 20, .sriov_pct = 5, .rciep_pct = 50,
		.random_platform = true, .domains = false,
	};
	return sp;
}

/* splitmix64 */
static inline uint64_t synth_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static inline int synth_below(uint64_t *s, int n)
{
	return n > 0 ? (int)(synth_rand(s) % (uint64_t)n) : 0;
}

static inline bool synth_pct(uint64_t *s, int pct)
{
	return synth_below(s, 100) < pct;
}

/**
 * pdma__synth_build() - generate and finalize a fabric.
 * Return: 0, -ENOMEM, or what finalize returns (a generator bug).
 */
PDMA_INTERNAL int pdma__synth_build(const struct synth_params *sp,
				    struct pdma_fabric **out,
				    struct pdma_error *err);

#endif /* PDMA_BENCH_SYNTH_H */
