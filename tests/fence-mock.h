/* SPDX-License-Identifier: MIT */
/*
 * Mock fences for the sync tests: a producer with its own ops, as the
 * kernel's selftests use.  Each mock has its own lock unless a timeline
 * lock is given; release counts, so tests can see that the last reference
 * really went.
 */
#ifndef PDMA_TEST_FENCE_MOCK_H
#define PDMA_TEST_FENCE_MOCK_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <peerdma/fence.h>
#include <peerdma/resv.h>

#include "harness.h"

struct mock_fence {
	struct pdma_fence base;
	struct pdma_fence_lock lock;
};

static int mock_released;	/* atomic: mocks freed so far */

static inline const char *mock_driver_name(struct pdma_fence *f)
{
	(void)f;
	return "mock";
}

static inline const char *mock_timeline_name(struct pdma_fence *f)
{
	(void)f;
	return "mock-timeline";
}

static inline void mock_release(struct pdma_fence *f)
{
	struct mock_fence *m = (struct mock_fence *)f;

	pdma_fence_lock_destroy(&m->lock);
	free(m);
	__atomic_add_fetch(&mock_released, 1, __ATOMIC_RELAXED);
}

static const struct pdma_fence_ops mock_ops = {
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
	.release = mock_release,
};

/* A new unsignalled mock on @context at @seqno (init64 if @seqno64). */
static inline struct pdma_fence *mock_fence_on(uint64_t context,
					       uint64_t seqno, bool seqno64)
{
	struct mock_fence *m = calloc(1, sizeof(*m));

	REQUIRE(m);
	pdma_fence_lock_init(&m->lock);
	if (seqno64)
		REQUIRE(!pdma_fence_init64(&m->base, &mock_ops, &m->lock,
					   context, seqno));
	else
		REQUIRE(!pdma_fence_init(&m->base, &mock_ops, &m->lock,
					 context, seqno));
	return &m->base;
}

/* A new mock on a context of its own, seqno 1. */
static inline struct pdma_fence *mock_fence(void)
{
	return mock_fence_on(pdma_fence_context_alloc(1), 1, false);
}

/* A mock that records the last deadline hint it was given. */
struct deadline_fence {
	struct mock_fence m;
	int64_t deadline;
};

static inline void record_deadline(struct pdma_fence *f, int64_t deadline)
{
	((struct deadline_fence *)f)->deadline = deadline;
}

static const struct pdma_fence_ops deadline_ops = {
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
	.set_deadline = record_deadline,
	.release = mock_release,
};

/* A new unsignalled deadline mock on a context of its own, seqno 1. */
static inline struct deadline_fence *deadline_fence(void)
{
	struct deadline_fence *d = calloc(1, sizeof(*d));

	REQUIRE(d);
	pdma_fence_lock_init(&d->m.lock);
	REQUIRE(!pdma_fence_init(&d->m.base, &deadline_ops, &d->m.lock,
				 pdma_fence_context_alloc(1), 1));
	return d;
}

static inline int mock_released_count(void)
{
	return __atomic_load_n(&mock_released, __ATOMIC_RELAXED);
}

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000LL, ns % 1000000000LL };

	while (nanosleep(&ts, &ts))
		;
}

/*
 * Run @fn(@arg) in a child and report whether it aborted (SIGABRT) having
 * printed @msg on stderr: the library's answer to a broken contract.
 */
static inline bool aborts_with(void (*fn)(void *), void *arg, const char *msg)
{
	char buf[1024] = "";
	int p[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	REQUIRE(!pipe(p));
	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0);
	if (!pid) {
		dup2(p[1], 2);
		close(p[0]);
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(p[0]);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
		fprintf(stderr, "  child did not abort (status %#x): %s\n",
			status, buf);
		return false;
	}
	if (!strstr(buf, msg)) {
		fprintf(stderr, "  abort message \"%s\" lacks \"%s\"\n", buf,
			msg);
		return false;
	}
	return true;
}

#endif /* PDMA_TEST_FENCE_MOCK_H */
