/* SPDX-License-Identifier: MIT */
/*
 * Unlocked readers against a writer.  A writer thread keeps adding,
 * replacing (same context, later seqno), signalling, reallocating
 * (reserve) and replacing the whole array (copy_fences) of one
 * reservation object while reader threads iterate it without the lock,
 * take its fences, poll it and build singletons.  Every fence a reader
 * gets must be alive (its reference held) and one of the writer's; the
 * run must be clean under ThreadSanitizer and AddressSanitizer.
 */
#include <pthread.h>

#include "fence-mock.h"

#define TIMELINES 16

static struct pdma_resv resv, other;
static uint64_t ctx0;
static bool stop;		/* atomic */

static bool stopping(void)
{
	return __atomic_load_n(&stop, __ATOMIC_ACQUIRE);
}

static bool ours(struct pdma_fence *f)
{
	return f->context >= ctx0 && f->context < ctx0 + TIMELINES &&
	       f->ops->release == mock_release &&
	       __atomic_load_n(&f->refcount, __ATOMIC_RELAXED) >= 1;
}

struct writer {
	pthread_t thread;
	unsigned long rounds, bad;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	uint64_t seqno[TIMELINES] = { 0 };
	struct pdma_fence *pending[TIMELINES] = { 0 };
	uint64_t s = 88172645463325252ull;

	while (!stopping()) {
		unsigned int n, t;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		n = 1 + s % 6;

		REQUIRE(!pdma_resv_lock(&resv, NULL));
		if (pdma_resv_reserve_fences_locked(&resv, n)) {
			w->bad++;
			pdma_resv_unlock(&resv);
			break;
		}
		for (unsigned int i = 0; i < n; i++) {
			struct pdma_fence *f;

			t = (s >> (8 + 4 * i)) % TIMELINES;
			f = mock_fence_on(ctx0 + t, ++seqno[t], false);
			pdma_resv_add_fence_locked(&resv, f,
						   (s >> (32 + i)) & 3);
			/* The previous point of the timeline completes. */
			if (pending[t]) {
				pdma_fence_signal(pending[t]);
				pdma_fence_put(pending[t]);
			}
			pending[t] = f;
		}
		if (w->rounds % 64 == 63) {
			/* Replace the array wholesale. */
			REQUIRE(!pdma_resv_lock(&other, NULL));
			if (pdma_resv_copy_fences_locked(&other, &resv) ||
			    pdma_resv_copy_fences_locked(&resv, &other))
				w->bad++;
			pdma_resv_unlock(&other);
		}
		if (w->rounds % 16 == 5) {
			struct pdma_fence *stub = pdma_fence_get_stub();

			pdma_resv_replace_fences_locked(&resv,
							ctx0 + s % TIMELINES,
							stub,
							PDMA_RESV_USAGE_BOOKKEEP);
			pdma_fence_put(stub);
		}
		pdma_resv_unlock(&resv);
		w->rounds++;
	}

	/* Leave nothing pending. */
	for (unsigned int t = 0; t < TIMELINES; t++) {
		if (pending[t]) {
			pdma_fence_signal(pending[t]);
			pdma_fence_put(pending[t]);
		}
	}
	return NULL;
}

struct reader {
	pthread_t thread;
	unsigned long passes, fences, restarts, bad;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	while (!stopping()) {
		struct pdma_resv_iter cursor;
		struct pdma_fence *f, **fences;
		unsigned int n, since_restart = 0;

		pdma_resv_iter_begin(&cursor, &resv, PDMA_RESV_USAGE_BOOKKEEP);
		pdma_resv_for_each_fence_unlocked(&cursor, f) {
			if (pdma_resv_iter_is_restarted(&cursor)) {
				r->restarts++;
				since_restart = 0;
			}
			if (!ours(f))
				r->bad++;
			if (++since_restart > cursor.num_fences)
				r->bad++;
			r->fences++;
		}
		pdma_resv_iter_end(&cursor);

		if (pdma_resv_get_fences(&resv, PDMA_RESV_USAGE_READ, &n,
					 &fences)) {
			r->bad++;
		} else {
			while (n--)
				pdma_fence_put(fences[n]);
			free(fences);
		}
		if (pdma_resv_get_singleton(&resv, PDMA_RESV_USAGE_WRITE, &f))
			r->bad++;
		pdma_fence_put(f);
		pdma_resv_test_signaled(&resv, PDMA_RESV_USAGE_KERNEL);
		if (pdma_resv_wait_timeout(&resv, PDMA_RESV_USAGE_BOOKKEEP,
					   false, 0) < 0)
			r->bad++;
		r->passes++;
	}
	return NULL;
}

int main(void)
{
	struct writer w = { 0 };
	struct reader r[3] = { 0 };
	unsigned long passes = 0;
	int released = mock_released_count();

	ctx0 = pdma_fence_context_alloc(TIMELINES);
	pdma_resv_init(&resv);
	pdma_resv_init(&other);

	REQUIRE(!pthread_create(&w.thread, NULL, writer_fn, &w));
	for (int i = 0; i < 3; i++)
		REQUIRE(!pthread_create(&r[i].thread, NULL, reader_fn, &r[i]));
	sleep_ns(1500 * 1000000LL);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_join(w.thread, NULL);
	for (int i = 0; i < 3; i++) {
		pthread_join(r[i].thread, NULL);
		CHECK_EQ_INT(r[i].bad, 0);
		passes += r[i].passes;
		printf("reader %d: %lu passes, %lu fences, %lu restarts\n", i,
		       r[i].passes, r[i].fences, r[i].restarts);
	}
	printf("writer: %lu rounds\n", w.rounds);
	CHECK_EQ_INT(w.bad, 0);
	CHECK(w.rounds > 0);
	CHECK(passes > 0);

	/* Everything signalled now; then all references go with fini. */
	CHECK(pdma_resv_test_signaled(&resv, PDMA_RESV_USAGE_BOOKKEEP));
	pdma_resv_fini(&resv);
	pdma_resv_fini(&other);
	CHECK(mock_released_count() > released);
	return harness_exit();
}
