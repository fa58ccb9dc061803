/* SPDX-License-Identifier: MIT */
/*
 * Memory regions: memfd_create() + ftruncate() + mmap(MAP_SHARED), so the
 * same bytes can be mapped again from the fd, here or in another process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <peerdma/mem.h>

struct pdma_region {
	int fd;			/* immutable */
	void *base;		/* immutable */
	size_t size;		/* immutable */
};

size_t pdma_page_size(void)
{
	static size_t page;
	size_t p = __atomic_load_n(&page, __ATOMIC_RELAXED);

	if (!p) {
		long v = sysconf(_SC_PAGESIZE);

		p = v > 0 ? (size_t)v : 4096;
		__atomic_store_n(&page, p, __ATOMIC_RELAXED);
	}
	return p;
}

int pdma_region_create(const char *name, size_t size,
		       struct pdma_region **out)
{
	size_t page = pdma_page_size();
	struct pdma_region *r;
	int ret;

	*out = NULL;
	if (!size || size > (size_t)INT64_MAX - page)
		return -EINVAL;
	if (!name)
		name = "peerdma";
	if (strlen(name) > 249)
		return -EINVAL;
	size = (size + page - 1) & ~(page - 1);

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->size = size;
	r->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	if (ftruncate(r->fd, (off_t)size) < 0) {
		ret = -errno;
		goto err_close;
	}
	if (fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		ret = -errno;
		goto err_close;
	}
	r->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
		       0);
	if (r->base == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	*out = r;
	return 0;

err_close:
	close(r->fd);
err_free:
	free(r);
	return ret;
}

void pdma_region_destroy(struct pdma_region *r)
{
	if (!r)
		return;
	munmap(r->base, r->size);
	close(r->fd);
	free(r);
}

int pdma_region_fd(const struct pdma_region *r)
{
	return r->fd;
}

void *pdma_region_base(const struct pdma_region *r)
{
	return r->base;
}

size_t pdma_region_size(const struct pdma_region *r)
{
	return r->size;
}
