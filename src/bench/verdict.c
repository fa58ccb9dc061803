// SPDX-License-Identifier: MIT
/*
 * bench: the full P2P matrix of a large synthetic fabric, computed the
 * kernel's way (calc_map_type_and_dist() per pair: two nested walks up the
 * bridge chains and an allow-list scan for each crossing) and peerdma's
 * way (one pass over the tree per provider), on the same providers.
 *
 * The fabric: 8 host bridges (one PCI domain each), endpoints below root
 * ports and 2-3 levels of nested switches, RCiEPs, multifunction and SR-IOV
 * style devices, ACS on some ports, root devices drawn from the allow-lists
 * and from ids on no list.  Each way runs in its own passes (the median is
 * kept); the kernel's answers are kept and ours are compared with them in
 * a separate, untimed pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_internal.h"
#include "bench/synth.h"
#include "fabric/verdict_internal.h"

#define MAX_RUNS 15

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
	double t0 = pdma__bench_cpu_now();
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
	return pdma__bench_cpu_now() - t0;
}

/* peerdma's way: a whole row per provider. */
static double ours_pass(struct run *r)
{
	double t0 = pdma__bench_cpu_now();

	for (int i = 0; i < r->nr_prov; i++)
		pdma__verdict_row(r->fab, r->prov[i], r->row, r->scratch);
	__asm__ volatile("" : : "r"(r->row[0]) : "memory");
	return pdma__bench_cpu_now() - t0;
}

/* Untimed: ours against the kept kernel answers; counts the types. */
static void verify(struct run *r, struct pdma__bench_verdict *v)
{
	for (int i = 0; i < r->nr_prov; i++) {
		pdma__verdict_row(r->fab, r->prov[i], r->row, r->scratch);
		for (int j = 0; j < r->nr_eps; j++) {
			int32_t k = r->kmat[(size_t)i * r->nr_eps + j];
			int32_t o = r->row[r->eps[j]];

			v->counts[pdma__entry_type(o) & 7]++;
			if (o == k)
				continue;
			if (v->bad++)
				continue;
			snprintf(v->mismatch, sizeof(v->mismatch),
				 "provider %d client %d: kernel %s %d, peerdma %s %d",
				 r->prov[i], r->eps[j],
				 pdma_map_type_name(pdma__entry_type(k)),
				 pdma__entry_dist(k),
				 pdma_map_type_name(pdma__entry_type(o)),
				 pdma__entry_dist(o));
		}
	}
}

static int build(const struct pdma__bench_verdict *v, struct pdma_fabric **fab,
		 struct pdma_error *err)
{
	struct synth_params sp = synth_defaults(v->seed);

	sp.nr_hbs = 8;
	sp.endpoints = v->endpoints;
	sp.max_levels = 3;
	sp.acs_pct = 15;
	sp.mf_pct = 30;
	sp.sriov_pct = 8;
	sp.rciep_pct = 50;
	sp.listed_pct = 75;
	sp.random_platform = false;
	sp.domains = true;
	return pdma__synth_build(&sp, fab, err);
}

/* Shuffle the endpoints into r->prov: the sample is the first few. */
static void shuffle(struct run *r, uint64_t seed)
{
	uint64_t rng = seed ^ 0xbe4c4ull;

	memcpy(r->prov, r->eps, sizeof(int) * (size_t)r->nr_eps);
	for (int i = 0; i < r->nr_eps; i++) {
		int j = i + synth_below(&rng, r->nr_eps - i), t = r->prov[i];

		r->prov[i] = r->prov[j];
		r->prov[j] = t;
	}
}

static int measure(struct run *r, struct pdma__bench_verdict *v)
{
	double kt[MAX_RUNS], ot[MAX_RUNS];
	int kruns = v->kernel_runs, oruns = v->ours_runs;

	kruns = kruns < 1 ? 1 : kruns > MAX_RUNS ? MAX_RUNS : kruns;
	oruns = oruns < 1 ? 1 : oruns > MAX_RUNS ? MAX_RUNS : oruns;
	/* Estimate the kernel-shaped pass on a sample of providers. */
	r->nr_prov = r->nr_eps < 64 ? r->nr_eps : 64;
	v->est_full_s = kernel_pass(r, false) / r->nr_prov * r->nr_eps;
	if (v->est_full_s * kruns > v->kernel_budget_s)
		kruns = 1;
	r->nr_prov = r->nr_eps;
	if (v->est_full_s * kruns > v->kernel_budget_s) {
		r->nr_prov = (int)(r->nr_eps * v->kernel_budget_s /
				   v->est_full_s);
		if (r->nr_prov < 1)
			r->nr_prov = 1;
	}
	v->nr_prov = r->nr_prov;
	v->kruns = kruns;
	v->pairs = (double)r->nr_prov * r->nr_eps;
	r->kmat = malloc(sizeof(int32_t) * (size_t)r->nr_prov *
			 (size_t)r->nr_eps);
	if (!r->kmat)
		return -ENOMEM;
	/* Interleaved: a kernel pass, then ours, while both have runs left. */
	for (int k = 0; k < kruns || k < oruns; k++) {
		if (k < kruns)
			kt[k] = kernel_pass(r, k == 0);
		if (k < oruns)
			ot[k] = ours_pass(r);
	}
	v->kernel_s = pdma__bench_median(kt, kruns);
	v->ours_s = pdma__bench_median(ot, oruns);
	return 0;
}

int pdma__bench_verdict(struct pdma__bench_verdict *v, struct pdma_error *err)
{
	struct run r = { 0 };
	int ret;

	v->nr_bridges = v->max_depth = v->nr_eps = 0;
	v->bad = 0;
	v->mismatch[0] = '\0';
	memset(v->counts, 0, sizeof(v->counts));
	ret = build(v, &r.fab, err);
	if (ret)
		return ret;
	r.n = pdma_fabric_nr_funcs(r.fab);
	r.eps = malloc(sizeof(int) * (size_t)r.n);
	r.prov = malloc(sizeof(int) * (size_t)r.n);
	r.row = calloc((size_t)r.n, sizeof(int32_t));
	r.scratch = malloc(sizeof(int) * 4 * (size_t)r.n);
	ret = -ENOMEM;
	if (!r.eps || !r.prov || !r.row || !r.scratch)
		goto free_run;
	for (int i = 0; i < r.n; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(r.fab, i);

		if (fi->depth > v->max_depth)
			v->max_depth = fi->depth;
		if (pdma_fabric_is_bridge(fi))
			v->nr_bridges++;
		else
			r.eps[r.nr_eps++] = i;
	}
	v->nr_hbs = pdma_fabric_nr_host_bridges(r.fab);
	v->nr_funcs = r.n;
	v->nr_eps = r.nr_eps;
	shuffle(&r, v->seed);
	ret = measure(&r, v);
	if (!ret)
		verify(&r, v);
free_run:
	free(r.kmat);
	free(r.eps);
	free(r.prov);
	free(r.row);
	free(r.scratch);
	pdma_fabric_destroy(r.fab);
	if (ret == -ENOMEM)
		pdma__err(err, "bench verdict: out of memory for %d functions",
			  r.n);
	return ret;
}
