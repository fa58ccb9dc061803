// SPDX-License-Identifier: MIT
/*
 * bench: what the sync layer costs, against a plain mutex + condition
 * variable design doing the same work.
 *
 * 1. A fence's life: create, add a callback, signal (the timestamp is
 *    taken, the callback runs), release.  Baseline: a malloc()ed {mutex,
 *    condvar, done, timestamp, callback list} with the same steps.
 * 2. Waiting for a fence that has already signalled.  Baseline: lock,
 *    while (!done) cond_wait, unlock.
 * 3. Adding N fences (each of its own context) to an empty reservation
 *    object: lock, reserve N, add N, unlock, and fini.  Baseline: a
 *    mutex-protected growable array that also scans for a fence of the
 *    same context to replace, and takes a reference.
 * 4. Iterating N pending fences without the reservation lock (a reference
 *    taken and dropped on each, signalled ones skipped).  Baseline: the
 *    same walk over the mutex-protected array, holding the mutex.
 *
 * Every case runs on one thread and is timed in thread CPU time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <peerdma/fence.h>
#include <peerdma/resv.h>

#include "bench/bench_internal.h"

#define MAX_RUNS 63

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
		return NULL;
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
		return NULL;
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

static int mresv_add(struct mresv *r, struct mfence *f)
{
	for (unsigned int i = 0; i < r->n; i++) {
		if (r->fences[i]->context == f->context ||
		    r->fences[i]->done) {
			mfence_get(f);
			mfence_put(r->fences[i]);
			r->fences[i] = f;
			return 0;
		}
	}
	if (r->n == r->cap) {
		unsigned int cap = r->cap ? 2 * r->cap : 4;
		struct mfence **nf = realloc(r->fences, cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		r->fences = nf;
		r->cap = cap;
	}
	mfence_get(f);
	r->fences[r->n++] = f;
	return 0;
}

static void mresv_fini(struct mresv *r)
{
	while (r->n)
		mfence_put(r->fences[--r->n]);
	free(r->fences);
	pthread_mutex_destroy(&r->m);
}

static double ns_per(double t0, double t1, unsigned long ops)
{
	return (t1 - t0) * 1e9 / (double)ops;
}

static int clamp_runs(int runs)
{
	return runs < 1 ? 1 : runs > MAX_RUNS ? MAX_RUNS : runs;
}

int pdma__bench_fence_lifecycle(int runs, int n,
				struct pdma__bench_fence_res *res)
{
	double ours[MAX_RUNS], base[MAX_RUNS], t0;
	uint64_t ctx = pdma_fence_context_alloc(1);

	runs = clamp_runs(runs);
	for (int r = 0; r < runs; r++) {
		t0 = pdma__bench_cpu_now();
		for (int i = 0; i < n; i++) {
			struct pdma_fence *f = bfence_new(ctx);
			struct pdma_fence_cb cb;

			if (!f)
				return -ENOMEM;
			pdma_fence_add_callback(f, &cb, count_cb);
			pdma_fence_signal(f);
			pdma_fence_put(f);
		}
		ours[r] = ns_per(t0, pdma__bench_cpu_now(), n);

		t0 = pdma__bench_cpu_now();
		for (int i = 0; i < n; i++) {
			struct mfence *f = mfence_new(ctx);
			struct bcb cb = { .func = mcount_cb };

			if (!f)
				return -ENOMEM;
			mfence_add_cb(f, &cb);
			mfence_signal(f);
			mfence_put(f);
		}
		base[r] = ns_per(t0, pdma__bench_cpu_now(), n);
	}
	res->ours_ns = pdma__bench_median(ours, runs);
	res->base_ns = pdma__bench_median(base, runs);
	return 0;
}

int pdma__bench_fence_wait(int runs, int n, struct pdma__bench_fence_res *res)
{
	double ours[MAX_RUNS], base[MAX_RUNS], t0;
	struct pdma_fence *f = bfence_new(1);
	struct mfence *m = mfence_new(1);
	int ret = -ENOMEM;

	runs = clamp_runs(runs);
	if (!f || !m)
		goto put;
	pdma_fence_signal(f);
	mfence_signal(m);
	for (int r = 0; r < runs; r++) {
		t0 = pdma__bench_cpu_now();
		for (int i = 0; i < n; i++)
			sink += pdma_fence_wait(f, false) == 0;
		ours[r] = ns_per(t0, pdma__bench_cpu_now(), n);

		t0 = pdma__bench_cpu_now();
		for (int i = 0; i < n; i++) {
			mfence_wait(m);
			sink++;
		}
		base[r] = ns_per(t0, pdma__bench_cpu_now(), n);
	}
	res->ours_ns = pdma__bench_median(ours, runs);
	res->base_ns = pdma__bench_median(base, runs);
	ret = 0;
put:
	if (f)
		pdma_fence_put(f);
	if (m)
		mfence_put(m);
	return ret;
}

static int resv_add(struct pdma_fence **f, struct mfence **m, unsigned int n,
		    int runs, unsigned long rounds,
		    struct pdma__bench_fence_res *res)
{
	double ours[MAX_RUNS], base[MAX_RUNS], t0;
	int err = 0;

	for (int r = 0; r < runs; r++) {
		t0 = pdma__bench_cpu_now();
		for (unsigned long k = 0; k < rounds; k++) {
			struct pdma_resv o;

			pdma_resv_init(&o);
			pdma_resv_lock(&o, NULL);
			err |= pdma_resv_reserve_fences_locked(&o, n);
			for (unsigned int i = 0; i < n && !err; i++)
				pdma_resv_add_fence_locked(&o, f[i],
						PDMA_RESV_USAGE_WRITE);
			pdma_resv_unlock(&o);
			pdma_resv_fini(&o);
		}
		ours[r] = ns_per(t0, pdma__bench_cpu_now(), rounds * n);

		t0 = pdma__bench_cpu_now();
		for (unsigned long k = 0; k < rounds; k++) {
			struct mresv b = { .fences = NULL };

			pthread_mutex_init(&b.m, NULL);
			pthread_mutex_lock(&b.m);
			for (unsigned int i = 0; i < n; i++)
				err |= mresv_add(&b, m[i]);
			pthread_mutex_unlock(&b.m);
			mresv_fini(&b);
		}
		base[r] = ns_per(t0, pdma__bench_cpu_now(), rounds * n);
	}
	res->ours_ns = pdma__bench_median(ours, runs);
	res->base_ns = pdma__bench_median(base, runs);
	return err ? -ENOMEM : 0;
}

static int resv_iter(struct pdma_fence **f, struct mfence **m, unsigned int n,
		     int runs, unsigned long rounds,
		     struct pdma__bench_fence_res *res)
{
	double ours[MAX_RUNS], base[MAX_RUNS], t0;
	struct mresv mr = { .m = PTHREAD_MUTEX_INITIALIZER };
	struct pdma_resv resv;
	int err;

	pdma_resv_init(&resv);
	pdma_resv_lock(&resv, NULL);
	err = pdma_resv_reserve_fences_locked(&resv, n);
	for (unsigned int i = 0; i < n && !err; i++)
		pdma_resv_add_fence_locked(&resv, f[i], PDMA_RESV_USAGE_WRITE);
	pdma_resv_unlock(&resv);
	pthread_mutex_lock(&mr.m);
	for (unsigned int i = 0; i < n; i++)
		err |= mresv_add(&mr, m[i]);
	pthread_mutex_unlock(&mr.m);

	for (int r = 0; r < runs && !err; r++) {
		t0 = pdma__bench_cpu_now();
		for (unsigned long k = 0; k < rounds; k++) {
			struct pdma_resv_iter cursor;
			struct pdma_fence *fence;

			pdma_resv_iter_begin(&cursor, &resv,
					     PDMA_RESV_USAGE_BOOKKEEP);
			pdma_resv_for_each_fence_unlocked(&cursor, fence)
				sink++;
			pdma_resv_iter_end(&cursor);
		}
		ours[r] = ns_per(t0, pdma__bench_cpu_now(), rounds * n);

		t0 = pdma__bench_cpu_now();
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
		base[r] = ns_per(t0, pdma__bench_cpu_now(), rounds * n);
	}
	if (!err) {
		res->ours_ns = pdma__bench_median(ours, runs);
		res->base_ns = pdma__bench_median(base, runs);
	}
	pdma_resv_fini(&resv);
	mresv_fini(&mr);
	return err ? -ENOMEM : 0;
}

int pdma__bench_fence_resv(unsigned int n, int runs, unsigned long rounds,
			   struct pdma__bench_fence_res *add,
			   struct pdma__bench_fence_res *iter)
{
	struct pdma_fence **f = calloc(n, sizeof(*f));
	struct mfence **m = calloc(n, sizeof(*m));
	uint64_t ctx = pdma_fence_context_alloc(n);
	int ret = -ENOMEM;

	runs = clamp_runs(runs);
	if (!n || !f || !m)
		goto free_arrays;
	for (unsigned int i = 0; i < n; i++) {
		f[i] = bfence_new(ctx + i);
		m[i] = mfence_new(ctx + i);
		if (!f[i] || !m[i])
			goto put_fences;
	}
	ret = resv_add(f, m, n, runs, rounds, add);
	if (!ret)
		ret = resv_iter(f, m, n, runs, rounds, iter);
put_fences:
	for (unsigned int i = 0; i < n; i++) {
		if (f[i])
			pdma_fence_put(f[i]);
		if (m[i])
			mfence_put(m[i]);
	}
free_arrays:
	free(f);
	free(m);
	return ret ? (n ? ret : -EINVAL) : 0;
}
