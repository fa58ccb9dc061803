/* SPDX-License-Identifier: MIT */
/*
 * bench/fence: what the sync layer costs, against a plain mutex +
 * condition variable design doing the same work.
 *
 * 1. A fence's life: create, add a callback, signal (the timestamp is
 *    taken, the callback runs), release.  Baseline: a malloc()ed {mutex,
 *    condvar, done, timestamp, callback list} with the same steps (lock,
 *    append; lock, set done, read the clock, run the callbacks,
 *    broadcast; destroy).
 * 2. Waiting for a fence that has already signalled.  Baseline: lock,
 *    while (!done) cond_wait, unlock.
 * 3. Adding N fences (1, 8, 64, each of its own context) to an empty
 *    reservation object: lock, reserve N, add N, unlock, and fini.
 *    Baseline: a mutex-protected growable array that also scans for a
 *    fence of the same context to replace, and takes a reference.
 * 4. Iterating N pending fences without the reservation lock (a reference
 *    taken and dropped on each, signalled ones skipped).  Baseline: the
 *    same walk over the mutex-protected array, holding the mutex.
 *
 * Ours and the baseline run interleaved in one process; each figure is the
 * median of many short runs, timed in thread CPU time; ratio = ours /
 * baseline (below 1: we are faster).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <peerdma/peerdma.h>

#include "bench.h"

#define RUNS 31	/* short runs, many: the median shrugs off preemption */

/* --- ours: a minimal fence producer ---------------------------------------- */

struct bfence {
	struct pdma_fence base;
	struct pdma_fence_lock lock;
};

static const char *bname(struct pdma_fence *f)
{
	(void)f;
	return "bench";
}

static void brelease(struct pdma_fence *f)
{
	struct bfence *b = (struct bfence *)f;

	pdma_fence_lock_destroy(&b->lock);
	free(b);
}

static const struct pdma_fence_ops bops = {
	.get_driver_name = bname,
	.get_timeline_name = bname,
	.release = brelease,
};

static struct pdma_fence *bfence_new(uint64_t context)
{
	struct bfence *b = malloc(sizeof(*b));

	if (!b)
		exit(1);
	pdma_fence_lock_init(&b->lock);
	pdma_fence_init(&b->base, &bops, &b->lock, context, 1);
	return &b->base;
}

static volatile unsigned long sink;	/* keeps the work observable */

static void count_cb(struct pdma_fence *f, struct pdma_fence_cb *cb)
{
	(void)f;
	(void)cb;
	sink++;
}

/* --- baseline: mutex + condition variable -------------------------------- */

struct bcb {
	struct bcb *next;
	void (*func)(struct bcb *cb);
};

struct mfence {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool done;
	struct timespec stamp;	/* when it signalled, as ours records */
	int refcount;
	uint64_t context;
	struct bcb *cbs, **tail;
};

static struct mfence *mfence_new(uint64_t context)
{
	struct mfence *f = malloc(sizeof(*f));

	if (!f)
		exit(1);
	pthread_mutex_init(&f->m, NULL);
	pthread_cond_init(&f->c, NULL);
	f->done = false;
	f->refcount = 1;
	f->context = context;
	f->cbs = NULL;
	f->tail = &f->cbs;
	return f;
}

static void mfence_get(struct mfence *f)
{
	__atomic_add_fetch(&f->refcount, 1, __ATOMIC_RELAXED);
}

static void mfence_put(struct mfence *f)
{
	if (__atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	pthread_cond_destroy(&f->c);
	pthread_mutex_destroy(&f->m);
	free(f);
}

static void mfence_add_cb(struct mfence *f, struct bcb *cb)
{
	pthread_mutex_lock(&f->m);
	cb->next = NULL;
	*f->tail = cb;
	f->tail = &cb->next;
	pthread_mutex_unlock(&f->m);
}

static void mfence_signal(struct mfence *f)
{
	pthread_mutex_lock(&f->m);
	f->done = true;
	clock_gettime(CLOCK_MONOTONIC, &f->stamp);
	for (struct bcb *cb = f->cbs; cb; cb = cb->next)
		cb->func(cb);
	f->cbs = NULL;
	pthread_cond_broadcast(&f->c);
	pthread_mutex_unlock(&f->m);
}

static void mfence_wait(struct mfence *f)
{
	pthread_mutex_lock(&f->m);
	while (!f->done)
		pthread_cond_wait(&f->c, &f->m);
	pthread_mutex_unlock(&f->m);
}

static void mcount_cb(struct bcb *cb)
{
	(void)cb;
	sink++;
}

/* A mutex-protected fence list, the baseline reservation object. */
struct mresv {
	pthread_mutex_t m;
	struct mfence **fences;
	unsigned int n, cap;
};

static void mresv_add(struct mresv *r, struct mfence *f)
{
	for (unsigned int i = 0; i < r->n; i++) {
		if (r->fences[i]->context == f->context ||
		    r->fences[i]->done) {
			mfence_get(f);
			mfence_put(r->fences[i]);
			r->fences[i] = f;
			return;
		}
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 4;
		r->fences = realloc(r->fences, r->cap * sizeof(*r->fences));
		if (!r->fences)
			exit(1);
	}
	mfence_get(f);
	r->fences[r->n++] = f;
}

static void mresv_fini(struct mresv *r)
{
	while (r->n)
		mfence_put(r->fences[--r->n]);
	free(r->fences);
	pthread_mutex_destroy(&r->m);
}

/* --- the measurements ---------------------------------------------------- */

/*
 * This thread's CPU time: on a loaded machine wall time mostly measures
 * the other processes; every case here runs on one thread.
 */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double ns_per(double t0, double t1, unsigned long ops)
{
	return (t1 - t0) * 1e9 / (double)ops;
}

static void row(const char *what, double ours, double base)
{
	printf("  %-42s %9.1f ns %9.1f ns   %5.2fx\n", what, ours, base,
	       ours / base);
}

static void bench_lifecycle(void)
{
	enum { N = 50000 };
	double ours[RUNS], base[RUNS], t0;
	uint64_t ctx = pdma_fence_context_alloc(1);

	for (int r = 0; r < RUNS; r++) {
		t0 = cpu_now();
		for (int i = 0; i < N; i++) {
			struct pdma_fence *f = bfence_new(ctx);
			struct pdma_fence_cb cb;

			pdma_fence_add_callback(f, &cb, count_cb);
			pdma_fence_signal(f);
			pdma_fence_put(f);
		}
		ours[r] = ns_per(t0, cpu_now(), N);

		t0 = cpu_now();
		for (int i = 0; i < N; i++) {
			struct mfence *f = mfence_new(ctx);
			struct bcb cb = { .func = mcount_cb };

			mfence_add_cb(f, &cb);
			mfence_signal(f);
			mfence_put(f);
		}
		base[r] = ns_per(t0, cpu_now(), N);
	}
	row("create + callback + signal + release",
	    bench_median(ours, RUNS), bench_median(base, RUNS));
}

static void bench_wait_signalled(void)
{
	enum { N = 500000 };
	double ours[RUNS], base[RUNS], t0;
	struct pdma_fence *f = bfence_new(1);
	struct mfence *m = mfence_new(1);

	pdma_fence_signal(f);
	mfence_signal(m);
	for (int r = 0; r < RUNS; r++) {
		t0 = cpu_now();
		for (int i = 0; i < N; i++)
			sink += pdma_fence_wait(f, false) == 0;
		ours[r] = ns_per(t0, cpu_now(), N);

		t0 = cpu_now();
		for (int i = 0; i < N; i++) {
			mfence_wait(m);
			sink++;
		}
		base[r] = ns_per(t0, cpu_now(), N);
	}
	row("wait for a signalled fence", bench_median(ours, RUNS),
	    bench_median(base, RUNS));
	pdma_fence_put(f);
	mfence_put(m);
}

static void bench_resv(unsigned int n)
{
	unsigned long rounds = 100000 / n + 250;
	double add_o[RUNS], add_b[RUNS], it_o[RUNS], it_b[RUNS], t0;
	struct pdma_fence **f = malloc(n * sizeof(*f));
	struct mfence **m = malloc(n * sizeof(*m));
	uint64_t ctx = pdma_fence_context_alloc(n);
	struct pdma_resv resv;
	struct mresv mr = { .m = PTHREAD_MUTEX_INITIALIZER };
	char what[64];

	if (!f || !m)
		exit(1);
	for (unsigned int i = 0; i < n; i++) {
		f[i] = bfence_new(ctx + i);
		m[i] = mfence_new(ctx + i);
	}

	for (int r = 0; r < RUNS; r++) {
		t0 = cpu_now();
		for (unsigned long k = 0; k < rounds; k++) {
			struct pdma_resv o;

			pdma_resv_init(&o);
			pdma_resv_lock(&o, NULL);
			pdma_resv_reserve_fences_locked(&o, n);
			for (unsigned int i = 0; i < n; i++)
				pdma_resv_add_fence_locked(&o, f[i],
						PDMA_RESV_USAGE_WRITE);
			pdma_resv_unlock(&o);
			pdma_resv_fini(&o);
		}
		add_o[r] = ns_per(t0, cpu_now(), rounds * n);

		t0 = cpu_now();
		for (unsigned long k = 0; k < rounds; k++) {
			struct mresv b = { .fences = NULL };

			pthread_mutex_init(&b.m, NULL);
			pthread_mutex_lock(&b.m);
			for (unsigned int i = 0; i < n; i++)
				mresv_add(&b, m[i]);
			pthread_mutex_unlock(&b.m);
			mresv_fini(&b);
		}
		add_b[r] = ns_per(t0, cpu_now(), rounds * n);
	}
	snprintf(what, sizeof(what), "resv add_fence, %u fences (per fence)", n);
	row(what, bench_median(add_o, RUNS), bench_median(add_b, RUNS));

	/* Iteration over a populated object. */
	pdma_resv_init(&resv);
	pdma_resv_lock(&resv, NULL);
	pdma_resv_reserve_fences_locked(&resv, n);
	for (unsigned int i = 0; i < n; i++)
		pdma_resv_add_fence_locked(&resv, f[i], PDMA_RESV_USAGE_WRITE);
	pdma_resv_unlock(&resv);
	pthread_mutex_lock(&mr.m);
	for (unsigned int i = 0; i < n; i++)
		mresv_add(&mr, m[i]);
	pthread_mutex_unlock(&mr.m);

	for (int r = 0; r < RUNS; r++) {
		t0 = cpu_now();
		for (unsigned long k = 0; k < rounds; k++) {
			struct pdma_resv_iter cursor;
			struct pdma_fence *fence;

			pdma_resv_iter_begin(&cursor, &resv,
					     PDMA_RESV_USAGE_BOOKKEEP);
			pdma_resv_for_each_fence_unlocked(&cursor, fence)
				sink++;
			pdma_resv_iter_end(&cursor);
		}
		it_o[r] = ns_per(t0, cpu_now(), rounds * n);

		t0 = cpu_now();
		for (unsigned long k = 0; k < rounds; k++) {
			pthread_mutex_lock(&mr.m);
			for (unsigned int i = 0; i < mr.n; i++) {
				struct mfence *x = mr.fences[i];

				mfence_get(x);
				if (!__atomic_load_n(&x->done,
						     __ATOMIC_ACQUIRE))
					sink++;
				mfence_put(x);
			}
			pthread_mutex_unlock(&mr.m);
		}
		it_b[r] = ns_per(t0, cpu_now(), rounds * n);
	}
	snprintf(what, sizeof(what), "unlocked iteration, %u fences (per fence)",
		 n);
	row(what, bench_median(it_o, RUNS), bench_median(it_b, RUNS));

	pdma_resv_fini(&resv);
	mresv_fini(&mr);
	for (unsigned int i = 0; i < n; i++) {
		pdma_fence_put(f[i]);
		mfence_put(m[i]);
	}
	free(f);
	free(m);
}

int main(void)
{
	printf("bench-fence: ours vs mutex+condvar baseline, median of %d runs"
	       "\n  %-42s %12s %12s   %s\n", RUNS, "", "ours", "baseline",
	       "ratio");
	bench_lifecycle();
	bench_wait_signalled();
	bench_resv(1);
	bench_resv(8);
	bench_resv(64);
	return 0;
}
