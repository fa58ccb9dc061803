/* SPDX-License-Identifier: MIT */
/*
 * Memory regions: memfd-backed, shared, page-rounded; a second mapping of
 * the fd (what a daemon's client would do) sees the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <peerdma/mem.h>

#include "harness.h"

static void test_basic(void)
{
	size_t page = pdma_page_size();
	struct pdma_region *r = NULL;
	unsigned char *p, *q;
	char link[64], target[128];
	ssize_t n;

	CHECK(page >= 4096 && (page & (page - 1)) == 0);
	CHECK_EQ_INT(pdma_region_create("test-bar0", 3 * page + 1, &r), 0);
	REQUIRE(r);
	CHECK_EQ_INT(pdma_region_size(r), 4 * page);
	CHECK(pdma_region_fd(r) >= 0);
	p = pdma_region_base(r);
	REQUIRE(p);
	CHECK_EQ_INT((uintptr_t)p % page, 0);

	/* Zero-filled; writes read back. */
	CHECK_EQ_INT(p[0] | p[4 * page - 1], 0);
	for (size_t i = 0; i < 4 * page; i++)
		p[i] = (unsigned char)(i * 7 + 3);
	CHECK_EQ_INT(p[page + 5], (unsigned char)((page + 5) * 7 + 3));

	/* The fd maps again onto the same bytes, both ways. */
	q = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 pdma_region_fd(r), 0);
	REQUIRE(q != MAP_FAILED);
	CHECK(q != p);
	CHECK(memcmp(p, q, 4 * page) == 0);
	q[2 * page + 9] = 0xa5;
	CHECK_EQ_INT(p[2 * page + 9], 0xa5);
	munmap(q, 4 * page);

	/* The fd names a memfd and is close-on-exec. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", pdma_region_fd(r));
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		CHECK(strncmp(target, "/memfd:test-bar0", 16) == 0);
	}
	CHECK(fcntl(pdma_region_fd(r), F_GETFD) & FD_CLOEXEC);

	/* The size is sealed: a receiver cannot truncate it under us. */
	CHECK(ftruncate(pdma_region_fd(r), (off_t)page) < 0 && errno == EPERM);
	CHECK(ftruncate(pdma_region_fd(r), (off_t)(8 * page)) < 0 &&
	      errno == EPERM);
	pdma_region_destroy(r);
	pdma_region_destroy(NULL);
}

static void test_errors(void)
{
	struct pdma_region *r = (struct pdma_region *)&r;
	char longname[300];

	CHECK_EQ_INT(pdma_region_create("zero", 0, &r), -EINVAL);
	CHECK(r == NULL);
	CHECK_EQ_INT(pdma_region_create("huge", SIZE_MAX, &r), -EINVAL);
	CHECK(r == NULL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_EQ_INT(pdma_region_create(longname, 4096, &r), -EINVAL);
	CHECK(r == NULL);

	/* NULL name is fine; a large sparse region costs no memory. */
	CHECK_EQ_INT(pdma_region_create(NULL, (size_t)1 << 32, &r), 0);
	if (r) {
		CHECK_EQ_INT(pdma_region_size(r), (size_t)1 << 32);
		((char *)pdma_region_base(r))[((size_t)1 << 32) - 1] = 1;
		pdma_region_destroy(r);
	}
}

int main(void)
{
	test_basic();
	test_errors();
	return harness_exit();
}
