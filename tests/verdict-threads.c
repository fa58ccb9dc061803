/* SPDX-License-Identifier: MIT */
/*
 * Several threads query the verdicts of one fabric at once (map types
 * through the shared cache, explanations, cache statistics); every answer
 * equals the single-threaded reference, and every row is computed exactly
 * once per model generation.  Between rounds the model changes (with
 * every reader stopped, as the API requires) and the next round must see
 * the new answers.  Meant to run under ThreadSanitizer as well.
 */
#include <pthread.h>

#include "tb.h"

#include "fabric/verdict_internal.h"
#include "bench/synth.h"

#define NR_THREADS 4

struct shared {
	struct pdma_fabric *fab;
	int n;
	int *eps;		/* non-bridge functions */
	int nr_eps;
	int32_t *ref;		/* nr_eps * nr_eps reference entries */
	pthread_barrier_t start;
};

struct worker {
	pthread_t tid;
	struct shared *sh;
	int id;
	long queries, bad;
};

static void reference(struct shared *sh)
{
	for (int i = 0; i < sh->nr_eps; i++)
		for (int j = 0; j < sh->nr_eps; j++) {
			int d;
			enum pdma_map_type t = pdma__kernel_calc(
				sh->fab, sh->eps[i], sh->eps[j], &d, NULL);

			sh->ref[i * sh->nr_eps + j] =
				pdma__entry(t == PDMA_MAP_NOT_SUPPORTED ? -1 : d, t);
		}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint64_t rng = 0x7e4dull * (uint64_t)(w->id + 1);
	int m = sh->nr_eps;

	pthread_barrier_wait(&sh->start);
	/* Each thread walks the providers from its own starting point. */
	for (int k = 0; k < m; k++) {
		int i = (k + w->id * m / NR_THREADS) % m;

		for (int j = 0; j < m; j++) {
			int d;
			enum pdma_map_type t = pdma_verdict_map_type(
				sh->fab, sh->eps[i], sh->eps[j], &d);
			int32_t want = sh->ref[i * m + j];

			w->queries++;
			if (t != pdma__entry_type(want) ||
			    d != pdma__entry_dist(want))
				w->bad++;
		}
		if (synth_pct(&rng, 10)) {
			struct pdma_verdict v;
			int j = synth_below(&rng, m);
			int32_t want = sh->ref[i * m + j];

			if (pdma_verdict_explain(sh->fab, sh->eps[i], sh->eps[j],
						 &v) ||
			    v.map_type != pdma__entry_type(want) ||
			    v.distance != pdma__entry_dist(want))
				w->bad++;
			pdma_verdict_release(&v);
		}
		if (k % 16 == 0) {
			uint64_t h, mi, inv;

			pdma_verdict_cache_stats(sh->fab, &h, &mi, &inv);
			if (mi > (uint64_t)sh->n * 64)
				w->bad++;
		}
	}
	return NULL;
}

/* One round: all threads at once; returns the queries made. */
static long round_trip(struct shared *sh, const char *what)
{
	struct worker w[NR_THREADS];
	uint64_t h0, m0, h1, m1;
	long queries = 0, bad = 0;

	reference(sh);
	pdma_verdict_cache_stats(sh->fab, &h0, &m0, NULL);
	REQUIRE(pthread_barrier_init(&sh->start, NULL, NR_THREADS) == 0);
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .sh = sh, .id = i };
		REQUIRE(pthread_create(&w[i].tid, NULL, work, &w[i]) == 0);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(w[i].tid, NULL);
		queries += w[i].queries;
		bad += w[i].bad;
	}
	pthread_barrier_destroy(&sh->start);
	pdma_verdict_cache_stats(sh->fab, &h1, &m1, NULL);
	if (bad)
		fprintf(stderr, "%s: %ld wrong answers of %ld\n", what, bad,
			queries);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT((long)(h1 - h0 + m1 - m0), queries);
	/* Each provider's row once, however many threads wanted it. */
	CHECK_EQ_INT((long)(m1 - m0), sh->nr_eps);
	return queries;
}

static void run(struct pdma_fabric *fab, const char *what)
{
	struct shared sh = { .fab = fab, .n = pdma_fabric_nr_funcs(fab) };
	int changed = 0;

	sh.eps = malloc(sizeof(int) * (size_t)sh.n);
	REQUIRE(sh.eps);
	for (int i = 0; i < sh.n; i++)
		if (!pdma_fabric_is_bridge(pdma_fabric_func(fab, i)))
			sh.eps[sh.nr_eps++] = i;
	sh.ref = malloc(sizeof(int32_t) * (size_t)sh.nr_eps * (size_t)sh.nr_eps);
	REQUIRE(sh.ref);

	round_trip(&sh, what);
	/* Flip redirect on every other ACS-capable port, then again. */
	for (int i = 0; i < sh.n; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, i);

		if (fi->has_acs && (i % 2))
			changed += !pdma_fabric_set_acs_ctrl(
				fab, i, fi->acs_ctrl ^ PDMA_ACS_RR);
	}
	CHECK(changed > 0);
	round_trip(&sh, what);
	pdma_fabric_set_rules(fab, PDMA_RULES_LATEST);
	round_trip(&sh, what);
	free(sh.ref);
	free(sh.eps);
}

int main(void)
{
	struct synth_params sp = synth_defaults(0x7badull);
	struct pdma_fabric *fab;
	struct pdma_error err;

	REQUIRE(pdma_load_preset("dgx-like", &fab, &err) == 0);
	run(fab, "dgx-like");
	pdma_fabric_destroy(fab);

	sp.nr_hbs = 4;
	sp.endpoints = 400;
	sp.max_levels = 3;
	sp.acs_pct = 40;
	sp.random_platform = false;
	REQUIRE(pdma__synth_build(&sp, &fab, &err) == 0);
	run(fab, "synthetic");
	pdma_fabric_destroy(fab);
	return harness_exit();
}
