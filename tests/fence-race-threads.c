/* SPDX-License-Identifier: MIT */
/*
 * st-dma-fence's race_signal_callback: two threads each publish a fence,
 * add a callback to the other thread's fence and signal their own, either
 * before or after adding.  Every callback must either run or have been
 * refused because the fence had already signalled; never lost.
 */
#include <pthread.h>

#include "fence-mock.h"

struct simple_cb {
	struct pdma_fence_cb cb;
	bool seen;		/* atomic */
};

static void simple_callback(struct pdma_fence *f, struct pdma_fence_cb *cb)
{
	(void)f;
	__atomic_store_n(&((struct simple_cb *)cb)->seen, true,
			 __ATOMIC_RELEASE);
}

/* The published fences: the kernel uses RCU; a mutex does here. */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pdma_fence *slots[2];
static bool stop;		/* atomic */

static void publish(int id, struct pdma_fence *f)
{
	pthread_mutex_lock(&slot_lock);
	slots[id] = f;
	pthread_mutex_unlock(&slot_lock);
}

static struct pdma_fence *get_published(int id)
{
	struct pdma_fence *f;

	pthread_mutex_lock(&slot_lock);
	f = pdma_fence_get(slots[id]);
	pthread_mutex_unlock(&slot_lock);
	return f;
}

static bool stopping(void)
{
	return __atomic_load_n(&stop, __ATOMIC_ACQUIRE);
}

struct race_thread {
	pthread_t thread;
	int id;
	bool before;
	unsigned long pass, miss, errors;
};

static void *thread_signal_callback(void *arg)
{
	struct race_thread *t = arg;

	while (!t->errors && !stopping()) {
		struct pdma_fence *f1, *f2;
		struct simple_cb cb;

		f1 = mock_fence();
		pdma_fence_enable_sw_signaling(f1);
		publish(t->id, f1);

		do {
			f2 = get_published(!t->id);
		} while (!f2 && !stopping());

		if (t->before)
			pdma_fence_signal(f1);

		__atomic_store_n(&cb.seen, false, __ATOMIC_SEQ_CST);
		if (!f2 || pdma_fence_add_callback(f2, &cb.cb,
						   simple_callback)) {
			t->miss++;
			__atomic_store_n(&cb.seen, true, __ATOMIC_RELAXED);
		}

		if (!t->before)
			pdma_fence_signal(f1);

		if (!__atomic_load_n(&cb.seen, __ATOMIC_ACQUIRE)) {
			pdma_fence_wait(f2, false);
			/* Callbacks run under the lock: pass it once. */
			pdma_fence_lock(f2);
			pdma_fence_unlock(f2);
		}

		if (!__atomic_load_n(&cb.seen, __ATOMIC_ACQUIRE)) {
			fprintf(stderr, "callback not seen on thread %d, pass "
				"%lu (%lu misses), signalling %s add_callback; "
				"fence signalled? %s\n", t->id, t->pass,
				t->miss, t->before ? "before" : "after",
				f2 && pdma_fence_is_signaled(f2) ? "yes" : "no");
			t->errors++;
		}

		pdma_fence_put(f2);
		publish(t->id, NULL);
		pdma_fence_put(f1);
		t->pass++;
	}
	return NULL;
}

int main(void)
{
	for (int pass = 0; pass <= 1; pass++) {
		struct race_thread t[2] = { 0 };

		__atomic_store_n(&stop, false, __ATOMIC_RELEASE);
		for (int i = 0; i < 2; i++) {
			t[i].id = i;
			t[i].before = pass;
			REQUIRE(!pthread_create(&t[i].thread, NULL,
						thread_signal_callback, &t[i]));
		}
		sleep_ns(200 * 1000000LL);
		__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
		for (int i = 0; i < 2; i++) {
			pthread_join(t[i].thread, NULL);
			printf("signal %s add: thread %d completed %lu passes, "
			       "%lu misses\n", pass ? "before" : "after", i,
			       t[i].pass, t[i].miss);
			CHECK_EQ_INT(t[i].errors, 0);
			CHECK(t[i].pass > 0);
		}
	}
	return harness_exit();
}
