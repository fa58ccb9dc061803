/* SPDX-License-Identifier: MIT */
/*
 * Fence chains with threads: st-dma-fence-chain's wait_forward,
 * wait_backward and wait_random (a thread waits on the tail of 4096 nodes
 * while the fences signal in each order) and find_race (one thread per
 * CPU, at least two, runs random finds and signals on a 4096-node chain
 * for two seconds; every find must succeed).
 */
#include <pthread.h>
#include <sys/sysinfo.h>

#include "fence-chain.h"

#define CHAIN_SZ 4096

struct waiter {
	pthread_t thread;
	struct fence_chains *fc;
	int ret;
	bool done;		/* atomic */
};

static void *wait_tail(void *arg)
{
	struct waiter *w = arg;

	w->ret = pdma_fence_wait(w->fc->tail, false);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* A small xorshift, one state per thread. */
static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

enum order { FORWARD, BACKWARD, RANDOM };

static void wait_order(enum order order)
{
	struct fence_chains fc;
	struct waiter w = { .fc = &fc };
	unsigned int *perm = malloc(CHAIN_SZ * sizeof(*perm));
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned int early = 0;

	REQUIRE(perm);
	fence_chains_init(&fc, CHAIN_SZ, seqno_inc);
	for (unsigned int i = 0; i < CHAIN_SZ; i++)
		perm[i] = order == BACKWARD ? CHAIN_SZ - 1 - i : i;
	if (order == RANDOM) {
		for (unsigned int i = CHAIN_SZ - 1; i > 0; i--) {
			unsigned int j = rnd(&seed) % (i + 1), t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
	}

	REQUIRE(!pthread_create(&w.thread, NULL, wait_tail, &w));
	sched_yield();
	for (unsigned int i = 0; i < CHAIN_SZ; i++) {
		/* The tail cannot be done while a fence is pending. */
		early += __atomic_load_n(&w.done, __ATOMIC_ACQUIRE);
		pdma_fence_signal(fc.fences[perm[i]]);
	}
	pthread_join(w.thread, NULL);
	CHECK_EQ_INT(early, 0);
	CHECK_EQ_INT(w.ret, 0);
	CHECK(pdma_fence_is_signaled(fc.tail));
	fence_chains_fini(&fc);
	free(perm);
}

struct find_race {
	struct fence_chains fc;
	bool stop;		/* atomic */
};

struct racer {
	pthread_t thread;
	struct find_race *data;
	uint64_t seed;
	unsigned long finds, errors;
};

static void *find_racer(void *arg)
{
	struct racer *r = arg;
	struct find_race *data = r->data;
	unsigned int len = data->fc.chain_length;

	while (!__atomic_load_n(&data->stop, __ATOMIC_ACQUIRE)) {
		struct pdma_fence *fence = pdma_fence_get(data->fc.tail);
		uint64_t seqno = 1 + rnd(&r->seed) % len;
		int err;

		err = pdma_fence_chain_find_seqno(&fence, seqno);
		r->finds++;
		if (err) {
			fprintf(stderr, "failed to find seqno %llu: %d\n",
				(unsigned long long)seqno, err);
			pdma_fence_put(fence);
			r->errors++;
			break;
		}
		/* Only the node of that very point finds itself. */
		if (fence && fence->seqno == seqno) {
			err = pdma_fence_chain_find_seqno(&fence, seqno);
			if (err) {
				fprintf(stderr, "invalid fence for find-self "
					"%llu\n", (unsigned long long)seqno);
				r->errors++;
			}
		}
		pdma_fence_put(fence);

		pdma_fence_signal(data->fc.fences[rnd(&r->seed) % (len - 1)]);
	}
	return NULL;
}

static void find_race(void)
{
	struct find_race data = { .stop = false };
	int ncpus = get_nprocs();
	struct racer *r;
	unsigned long finds = 0, signalled = 0;

	if (ncpus < 2)
		ncpus = 2;
	r = calloc(ncpus, sizeof(*r));
	REQUIRE(r);
	fence_chains_init(&data.fc, CHAIN_SZ, seqno_inc);
	for (int i = 0; i < ncpus; i++) {
		r[i].data = &data;
		r[i].seed = 0x1234567ull * (i + 1);
		REQUIRE(!pthread_create(&r[i].thread, NULL, find_racer, &r[i]));
	}
	sleep_ns(2000000000LL);
	__atomic_store_n(&data.stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < ncpus; i++) {
		pthread_join(r[i].thread, NULL);
		CHECK_EQ_INT(r[i].errors, 0);
		finds += r[i].finds;
	}
	for (unsigned int i = 0; i < data.fc.chain_length; i++)
		signalled += pdma_fence_is_signaled(data.fc.fences[i]);
	printf("find_race: %d threads, %lu finds, %lu of %u fences "
	       "signalled\n", ncpus, finds, signalled, data.fc.chain_length);
	CHECK(finds > 0);
	fence_chains_fini(&data.fc);
	free(r);
}

int main(void)
{
	wait_order(FORWARD);
	wait_order(BACKWARD);
	wait_order(RANDOM);
	find_race();
	return harness_exit();
}
