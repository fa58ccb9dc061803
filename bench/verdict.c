/* SPDX-License-Identifier: MIT */
/*
 * bench/verdict: the full P2P matrix of a large synthetic fabric, computed
 * the kernel's way (calc_map_type_and_dist() per pair: two nested walks up
 * the bridge chains and an allow-list scan for each crossing) and
 * peerdma's way (one pass over the tree per provider), in the same run on
 * the same providers.  Every pair must agree (exit 1 otherwise).
 *
 *   meson compile -C build bench-verdict && ./build/bench/bench-verdict [seed]
 *
 * The fabric: 8 host bridges (one PCI domain each), about 4096 endpoints
 * below root ports and 2-3 levels of nested switches, RCiEPs, multifunction
 * and SR-IOV style devices, ACS on some ports, root devices drawn from the
 * allow-lists and from ids on no list.  Goal: >= 5x.
 *
 * Each way runs in its own passes over the providers (the median of a few
 * passes is reported); the kernel's answers are kept and ours are compared
 * with them in a separate, untimed pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "fabric/verdict_internal.h"
#include "synth.h"

#define KERNEL_RUNS 3
#define OURS_RUNS 7
/* Keep the kernel-shaped passes under about this many seconds in all. */
#define KERNEL_BUDGET_S 30.0

/*
 * Time is this thread's CPU time: the machines these run on are shared,
 * and a compute-bound loop should not be charged for waiting its turn.
 */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct run {
	struct pdma_fabric *fab;
	int n, nr_eps;
	int *eps;		/* non-bridge functions */
	int *prov, nr_prov;	/* the providers timed */
	int32_t *kmat;		/* nr_prov x nr_eps kernel answers, or NULL */
	int32_t *row;		/* one row of ours, by function index */
	int *scratch;
};

/* The kernel's way: every pair, one at a time. */
static double kernel_pass(struct run *r, bool keep)
{
	double t0 = cpu_now();
	int32_t sink = 0;

	for (int i = 0; i < r->nr_prov; i++)
		for (int j = 0; j < r->nr_eps; j++) {
			int d;
			enum pdma_map_type t = pdma__kernel_calc(
				r->fab, r->prov[i], r->eps[j], &d, NULL);
			int32_t e = pdma__entry(
				t == PDMA_MAP_NOT_SUPPORTED ? -1 : d, t);

			if (keep)
				r->kmat[(size_t)i * r->nr_eps + j] = e;
			sink ^= e;
		}
	__asm__ volatile("" : : "r"(sink));
	return cpu_now() - t0;
}

/* peerdma's way: a whole row per provider. */
static double ours_pass(struct run *r)
{
	double t0 = cpu_now();

	for (int i = 0; i < r->nr_prov; i++)
		pdma__verdict_row(r->fab, r->prov[i], r->row, r->scratch);
	__asm__ volatile("" : : "r"(r->row[0]) : "memory");
	return cpu_now() - t0;
}

/* Untimed: ours against the kept kernel answers; counts the types. */
static long verify(struct run *r, long counts[8])
{
	long bad = 0;

	for (int i = 0; i < r->nr_prov; i++) {
		pdma__verdict_row(r->fab, r->prov[i], r->row, r->scratch);
		for (int j = 0; j < r->nr_eps; j++) {
			int32_t k = r->kmat[(size_t)i * r->nr_eps + j];
			int32_t o = r->row[r->eps[j]];

			counts[pdma__entry_type(o) & 7]++;
			if (o == k)
				continue;
			if (bad++ < 10)
				fprintf(stderr, "MISMATCH provider %d client %d: kernel %s %d, peerdma %s %d\n",
					r->prov[i], r->eps[j],
					pdma_map_type_name(pdma__entry_type(k)),
					pdma__entry_dist(k),
					pdma_map_type_name(pdma__entry_type(o)),
					pdma__entry_dist(o));
		}
	}
	return bad;
}

static struct pdma_fabric *build(uint64_t seed)
{
	struct synth_params sp = synth_defaults(seed);
	struct pdma_fabric *fab;
	struct pdma_error err;

	sp.nr_hbs = 8;
	sp.endpoints = 4096;
	sp.max_levels = 3;
	sp.acs_pct = 15;
	sp.mf_pct = 30;
	sp.sriov_pct = 8;
	sp.rciep_pct = 50;
	sp.listed_pct = 75;
	sp.random_platform = false;
	sp.domains = true;
	if (synth_build(&sp, &fab, &err)) {
		fprintf(stderr, "bench-verdict: cannot build the fabric: %s\n",
			err.msg);
		exit(1);
	}
	return fab;
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 4096;
	uint64_t rng = seed ^ 0xbe4c4ull;
	struct run r = { .fab = build(seed) };
	double kt[KERNEL_RUNS], ot[OURS_RUNS], est, tk, to, pairs;
	int max_depth = 0, bridges = 0, kruns;
	long counts[8] = { 0 }, bad;

	r.n = pdma_fabric_nr_funcs(r.fab);
	r.eps = malloc(sizeof(int) * (size_t)r.n);
	r.prov = malloc(sizeof(int) * (size_t)r.n);
	r.row = calloc((size_t)r.n, sizeof(int32_t));
	r.scratch = malloc(sizeof(int) * 4 * (size_t)r.n);
	if (!r.eps || !r.prov || !r.row || !r.scratch)
		goto oom;
	for (int i = 0; i < r.n; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(r.fab, i);

		if (fi->depth > max_depth)
			max_depth = fi->depth;
		if (pdma_fabric_is_bridge(fi))
			bridges++;
		else
			r.eps[r.nr_eps++] = i;
	}
	printf("fabric: %d host bridges, %d functions (%d endpoints, %d bridges), up to %d bridges deep, seed %llu\n",
	       pdma_fabric_nr_host_bridges(r.fab), r.n, r.nr_eps, bridges,
	       max_depth, (unsigned long long)seed);
	printf("full matrix: %d x %d = %lld ordered pairs\n", r.nr_eps,
	       r.nr_eps, (long long)r.nr_eps * r.nr_eps);

	/* Estimate the kernel-shaped pass on a random sample of providers. */
	memcpy(r.prov, r.eps, sizeof(int) * (size_t)r.nr_eps);
	for (int i = 0; i < r.nr_eps; i++) {
		int j = i + synth_below(&rng, r.nr_eps - i), t = r.prov[i];

		r.prov[i] = r.prov[j];
		r.prov[j] = t;
	}
	r.nr_prov = r.nr_eps < 64 ? r.nr_eps : 64;
	est = kernel_pass(&r, false) / r.nr_prov * r.nr_eps;
	kruns = est * KERNEL_RUNS <= KERNEL_BUDGET_S ? KERNEL_RUNS : 1;
	if (est * kruns > KERNEL_BUDGET_S) {
		r.nr_prov = (int)(r.nr_eps * KERNEL_BUDGET_S / est);
		printf("the kernel-shaped full matrix would take about %.0f s: both ways are timed on a random sample of %d of %d providers\n",
		       est, r.nr_prov, r.nr_eps);
	} else {
		r.nr_prov = r.nr_eps;
		printf("both ways compute the full matrix\n");
	}
	r.kmat = malloc(sizeof(int32_t) * (size_t)r.nr_prov * (size_t)r.nr_eps);
	if (!r.kmat)
		goto oom;
	pairs = (double)r.nr_prov * r.nr_eps;

	for (int k = 0; k < kruns; k++)
		kt[k] = kernel_pass(&r, k == 0);
	for (int k = 0; k < OURS_RUNS; k++)
		ot[k] = ours_pass(&r);
	tk = bench_median(kt, kruns);
	to = bench_median(ot, OURS_RUNS);
	bad = verify(&r, counts);

	printf("kernel-shaped (pdma__kernel_calc per pair, median of %d): %.3e pairs in %7.3f s = %7.1f Mpairs/s\n",
	       kruns, pairs, tk, pairs / tk / 1e6);
	printf("peerdma (pdma__verdict_row per provider, median of %d):   %.3e pairs in %7.3f s = %7.1f Mpairs/s\n",
	       OURS_RUNS, pairs, to, pairs / to / 1e6);
	printf("verdicts: BUS_ADDR %.1f%%, THRU_HOST_BRIDGE %.1f%%, NOT_SUPPORTED %.1f%%\n",
	       100.0 * counts[PDMA_MAP_BUS_ADDR] / pairs,
	       100.0 * counts[PDMA_MAP_THRU_HOST_BRIDGE] / pairs,
	       100.0 * counts[PDMA_MAP_NOT_SUPPORTED] / pairs);
	if (bad) {
		printf("agreement: %ld of %.0f pairs DIFFER\n", bad, pairs);
		return 1;
	}
	printf("agreement: all %.0f pairs equal\n", pairs);
	printf("speedup: %.1fx (goal >= 5x)\n", tk / to);
	free(r.kmat);
	free(r.eps);
	free(r.prov);
	free(r.row);
	free(r.scratch);
	pdma_fabric_destroy(r.fab);
	return 0;
oom:
	fprintf(stderr, "bench-verdict: out of memory\n");
	return 1;
}
