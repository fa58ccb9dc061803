/* SPDX-License-Identifier: MIT */
/*
 * Sync fds: poll (readable exactly once signalled), import (also through
 * dup), merge (signals when both have; flags; a bad second fd), info
 * (count only, too small, per-fence status and timestamps, the overall
 * status rule, names), set_deadline, and forgetting closed descriptors.
 */
#include <fcntl.h>
#include <poll.h>

#include <peerdma/syncfd.h>

#include "fence-mock.h"

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_poll_and_import(void)
{
	struct pdma_fence *f = mock_fence(), *g;
	int fd, fd2, devnull;

	CHECK_EQ_INT(pdma_syncfd_export(NULL, NULL, &fd), -EINVAL);
	CHECK_EQ_INT(fd, -1);
	CHECK_EQ_INT(pdma_syncfd_export(f, "job", &fd), 0);
	REQUIRE(fd >= 0);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(!readable(fd));

	g = pdma_syncfd_get_fence(fd);
	CHECK(g == f);
	pdma_fence_put(g);
	fd2 = dup(fd);
	g = pdma_syncfd_get_fence(fd2);
	CHECK(g == f);
	pdma_fence_put(g);

	pdma_fence_signal(f);
	CHECK(readable(fd));
	CHECK(readable(fd2));
	CHECK(readable(fd));	/* it stays readable */

	devnull = open("/dev/null", O_RDONLY);
	CHECK(pdma_syncfd_get_fence(devnull) == NULL);
	CHECK(pdma_syncfd_get_fence(-1) == NULL);
	CHECK(pdma_syncfd_get_fence(1000000) == NULL);
	close(devnull);

	CHECK_EQ_INT(pdma_syncfd_close(fd2), 0);
	CHECK_EQ_INT(pdma_syncfd_close(fd), 0);
	CHECK_EQ_INT(pdma_syncfd_close(fd), -EBADF);
	pdma_fence_put(f);

	/* Exporting a signalled fence: readable at once. */
	f = mock_fence();
	pdma_fence_signal(f);
	CHECK_EQ_INT(pdma_syncfd_export(f, NULL, &fd), 0);
	CHECK(readable(fd));
	pdma_syncfd_close(fd);
	pdma_fence_put(f);
}

static void test_merge(void)
{
	struct pdma_fence *f1 = mock_fence(), *f2 = mock_fence(), *m;
	int fd1, fd2, fd3, devnull;

	REQUIRE(!pdma_syncfd_export(f1, NULL, &fd1));
	REQUIRE(!pdma_syncfd_export(f2, NULL, &fd2));
	CHECK_EQ_INT(pdma_syncfd_merge(fd1, fd2, "m", 1, &fd3), -EINVAL);
	devnull = open("/dev/null", O_RDONLY);
	CHECK_EQ_INT(pdma_syncfd_merge(fd1, devnull, "m", 0, &fd3), -ENOENT);
	CHECK_EQ_INT(pdma_syncfd_merge(devnull, fd2, "m", 0, &fd3), -EINVAL);
	close(devnull);

	CHECK_EQ_INT(pdma_syncfd_merge(fd1, fd2, "merged", 0, &fd3), 0);
	CHECK(fcntl(fd3, F_GETFD) & FD_CLOEXEC);
	m = pdma_syncfd_get_fence(fd3);
	CHECK(m && pdma_fence_is_array(m));
	pdma_fence_put(m);

	CHECK(!readable(fd3));
	pdma_fence_signal(f2);
	CHECK(readable(fd2));
	CHECK(!readable(fd3));
	pdma_fence_signal(f1);
	CHECK(readable(fd3));

	pdma_syncfd_close(fd1);
	pdma_syncfd_close(fd2);
	pdma_syncfd_close(fd3);
	pdma_fence_put(f1);
	pdma_fence_put(f2);
}

static void test_info(void)
{
	struct pdma_fence *f1 = mock_fence(), *f2 = mock_fence();
	struct pdma_syncfd_fence_info fi[3];
	struct pdma_syncfd_info info;
	char want[64];
	int fd1, fd2, fd3;

	REQUIRE(!pdma_syncfd_export(f1, NULL, &fd1));
	REQUIRE(!pdma_syncfd_export(f2, "a name much longer than thirty-one "
				    "bytes", &fd2));
	REQUIRE(!pdma_syncfd_merge(fd1, fd2, "both", 0, &fd3));

	memset(&info, 0, sizeof(info));
	info.flags = 1;
	CHECK_EQ_INT(pdma_syncfd_info(fd3, &info), -EINVAL);
	info.flags = 0;
	info.pad = 1;
	CHECK_EQ_INT(pdma_syncfd_info(fd3, &info), -EINVAL);
	info.pad = 0;
	CHECK_EQ_INT(pdma_syncfd_info(-1, &info), -EINVAL);

	/* num_fences == 0: count and status only. */
	CHECK_EQ_INT(pdma_syncfd_info(fd3, &info), 0);
	CHECK_EQ_INT(info.num_fences, 2);
	CHECK_EQ_INT(info.status, 0);
	CHECK_STR(info.name, "both");

	info.num_fences = 1;
	info.sync_fence_info = fi;
	CHECK_EQ_INT(pdma_syncfd_info(fd3, &info), -EINVAL);
	info.num_fences = 3;
	info.sync_fence_info = NULL;
	CHECK_EQ_INT(pdma_syncfd_info(fd3, &info), -EFAULT);

	/* One fence done with an error, one pending: status is the first
	 * status <= 0 in order, here the error. */
	pdma_fence_set_error(f1, -EIO);
	pdma_fence_signal_timestamp(f1, 5555);
	info.sync_fence_info = fi;
	info.num_fences = 3;
	CHECK_EQ_INT(pdma_syncfd_info(fd3, &info), 0);
	CHECK_EQ_INT(info.num_fences, 2);
	CHECK_EQ_INT(info.status, -EIO);
	CHECK_EQ_INT(fi[0].status, -EIO);
	CHECK_EQ_INT(fi[0].timestamp_ns, 5555);
	CHECK_STR(fi[0].driver_name, "signaled-driver");
	CHECK_EQ_INT(fi[1].status, 0);
	CHECK_EQ_INT(fi[1].timestamp_ns, 0);
	CHECK_STR(fi[1].driver_name, "mock");
	CHECK_STR(fi[1].obj_name, "mock-timeline");

	pdma_fence_signal_timestamp(f2, 6666);
	info.num_fences = 3;
	CHECK_EQ_INT(pdma_syncfd_info(fd3, &info), 0);
	CHECK_EQ_INT(info.status, -EIO);
	CHECK_EQ_INT(fi[1].status, 1);
	CHECK_EQ_INT(fi[1].timestamp_ns, 6666);

	/* Single fences: the default name and the truncated one. */
	info.num_fences = 0;
	CHECK_EQ_INT(pdma_syncfd_info(fd2, &info), 0);
	CHECK_EQ_INT(strlen(info.name), 31);
	CHECK(!strncmp(info.name, "a name much longer than thirty-", 31));
	CHECK_EQ_INT(info.status, 1);
	CHECK_EQ_INT(info.num_fences, 1);

	pdma_syncfd_close(fd1);
	pdma_fence_put(f1);
	f1 = mock_fence();
	REQUIRE(!pdma_syncfd_export(f1, NULL, &fd1));
	info.num_fences = 0;
	CHECK_EQ_INT(pdma_syncfd_info(fd1, &info), 0);
	snprintf(want, sizeof(want), "mock-mock-timeline%llu-1",
		 (unsigned long long)f1->context);
	want[PDMA_SYNCFD_NAME_LEN - 1] = '\0';
	CHECK_STR(info.name, want);
	CHECK_EQ_INT(info.status, 0);
	pdma_fence_signal(f1);

	pdma_syncfd_close(fd1);
	pdma_syncfd_close(fd2);
	pdma_syncfd_close(fd3);
	pdma_fence_put(f1);
	pdma_fence_put(f2);
}

static void test_deadline_and_lifetime(void)
{
	struct deadline_fence *d = deadline_fence();
	struct pdma_fence *stub;
	int fd, fd2, released;

	REQUIRE(!pdma_syncfd_export(&d->m.base, NULL, &fd));
	CHECK_EQ_INT(pdma_syncfd_set_deadline(fd, 123456), 0);
	CHECK_EQ_INT(d->deadline, 123456);
	CHECK_EQ_INT(pdma_syncfd_set_deadline(-1, 1), -EINVAL);

	/* The fd holds a reference: the fence outlives our put. */
	released = mock_released_count();
	pdma_fence_signal(&d->m.base);
	pdma_fence_put(&d->m.base);
	CHECK_EQ_INT(mock_released_count(), released);
	/* A plain close() is noticed at the next export. */
	close(fd);
	stub = pdma_fence_get_stub();
	REQUIRE(!pdma_syncfd_export(stub, NULL, &fd2));
	CHECK_EQ_INT(mock_released_count(), released + 1);
	pdma_syncfd_close(fd2);
	pdma_fence_put(stub);
}

int main(void)
{
	test_poll_and_import();
	test_merge();
	test_info();
	test_deadline_and_lifetime();
	return harness_exit();
}
