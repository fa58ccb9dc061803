/* SPDX-License-Identifier: MIT */
/*
 * dma-buf CPU side and implicit sync: CPU access brackets, vmap, mmap,
 * poll, and the sync-file export/import ioctls.
 */
#include <errno.h>
#include <stdint.h>

#include <peerdma/syncfd.h>

#include "buf.h"

static bool valid_dir(enum pdma_data_dir dir)
{
	return dir == PDMA_BIDIRECTIONAL || dir == PDMA_TO_DEVICE ||
	       dir == PDMA_FROM_DEVICE;
}

int pdma_dmabuf_begin_cpu_access(struct pdma_dmabuf *buf,
				 enum pdma_data_dir dir)
{
	enum pdma_resv_usage usage;
	int64_t t;
	int ret;

	if (!buf || !valid_dir(dir))
		return -EINVAL;
	pdma__buf_assert_unheld(buf, "pdma_dmabuf_begin_cpu_access");
	if (buf->ops->begin_cpu_access) {
		ret = buf->ops->begin_cpu_access(buf, dir);
		if (ret)
			return ret;
	}
	/* A CPU write waits for every reader and writer, a read for the
	 * writers only. */
	usage = pdma_resv_usage_rw(dir == PDMA_TO_DEVICE ||
				   dir == PDMA_BIDIRECTIONAL);
	t = pdma_resv_wait_timeout(buf->resv, usage, true,
				   PDMA_FENCE_TIMEOUT_MAX);
	return t < 0 ? (int)t : 0;
}

int pdma_dmabuf_end_cpu_access(struct pdma_dmabuf *buf,
			       enum pdma_data_dir dir)
{
	if (!buf || !valid_dir(dir))
		return -EINVAL;
	pdma__buf_assert_unheld(buf, "pdma_dmabuf_end_cpu_access");
	return buf->ops->end_cpu_access ? buf->ops->end_cpu_access(buf, dir) : 0;
}

int pdma_dmabuf_sync(struct pdma_dmabuf *buf, unsigned flags)
{
	const unsigned rw = PDMA_DMABUF_SYNC_READ | PDMA_DMABUF_SYNC_WRITE;
	enum pdma_data_dir dir;

	if (flags & ~(rw | PDMA_DMABUF_SYNC_END) || !(flags & rw))
		return -EINVAL;
	if ((flags & rw) == rw)
		dir = PDMA_BIDIRECTIONAL;
	else if (flags & PDMA_DMABUF_SYNC_READ)
		dir = PDMA_FROM_DEVICE;
	else
		dir = PDMA_TO_DEVICE;
	if (flags & PDMA_DMABUF_SYNC_END)
		return pdma_dmabuf_end_cpu_access(buf, dir);
	return pdma_dmabuf_begin_cpu_access(buf, dir);
}

int pdma_dmabuf_vmap(struct pdma_dmabuf *buf, void **vaddr)
{
	void *p = NULL;
	int ret;

	*vaddr = NULL;
	if (!buf || !buf->ops->vmap)
		return -EINVAL;
	pdma__buf_assert_held(buf, "pdma_dmabuf_vmap");
	if (buf->vmap_count) {
		buf->vmap_count++;
		*vaddr = buf->vmap_ptr;
		return 0;
	}
	ret = buf->ops->vmap(buf, &p);
	if (ret)
		return ret;
	if (!p)
		return -ENOMEM;
	buf->vmap_ptr = p;
	buf->vmap_count = 1;
	*vaddr = p;
	return 0;
}

void pdma_dmabuf_vunmap(struct pdma_dmabuf *buf, void *vaddr)
{
	if (!buf)
		return;
	pdma__buf_assert_held(buf, "pdma_dmabuf_vunmap");
	if (!buf->vmap_count)
		pdma__buf_bug("vunmap of a buffer that is not vmapped");
	if (vaddr != buf->vmap_ptr)
		pdma__buf_bug("vunmap with an address vmap did not give");
	if (--buf->vmap_count)
		return;
	buf->ops->vunmap(buf, vaddr);
	buf->vmap_ptr = NULL;
}

int pdma_dmabuf_mmap(struct pdma_dmabuf *buf, uint64_t pgoff, uint64_t len,
		     void **addr)
{
	uint64_t page = pdma_page_size(), pages, end;

	*addr = NULL;
	if (!buf || !buf->ops->mmap || !len)
		return -EINVAL;
	pdma__buf_assert_unheld(buf, "pdma_dmabuf_mmap");
	pages = len / page + (len % page != 0);
	if (__builtin_add_overflow(pgoff, pages, &end) || end > UINT64_MAX / page)
		return -EOVERFLOW;
	/* Whole pages, as the kernel: a partial last page is not mapped. */
	if (end > buf->size / page)
		return -EINVAL;
	return buf->ops->mmap(buf, pgoff, len, addr);
}

/* The usage an event waits for: EPOLLIN = writers done, EPOLLOUT = all. */
static enum pdma_resv_usage event_usage(int event)
{
	return event == PDMA_DMABUF_POLLOUT ? PDMA_RESV_USAGE_READ
					    : PDMA_RESV_USAGE_WRITE;
}

int pdma_dmabuf_poll(struct pdma_dmabuf *buf, int events)
{
	int ready = 0;

	if (!buf)
		return 0;
	if ((events & PDMA_DMABUF_POLLIN) &&
	    pdma_resv_test_signaled(buf->resv, PDMA_RESV_USAGE_WRITE))
		ready |= PDMA_DMABUF_POLLIN;
	if ((events & PDMA_DMABUF_POLLOUT) &&
	    pdma_resv_test_signaled(buf->resv, PDMA_RESV_USAGE_READ))
		ready |= PDMA_DMABUF_POLLOUT;
	return ready;
}

/* A sync fd for the singleton of @usage (the stub when there is none). */
static int singleton_fd(struct pdma_dmabuf *buf, enum pdma_resv_usage usage,
			const char *name, int *out_fd)
{
	struct pdma_fence *f = NULL;
	int ret;

	ret = pdma_resv_get_singleton(buf->resv, usage, &f);
	if (ret)
		return ret;
	if (!f)
		f = pdma_fence_get_stub();
	ret = pdma_syncfd_export(f, name, out_fd);
	pdma_fence_put(f);
	return ret;
}

int pdma_dmabuf_poll_fd(struct pdma_dmabuf *buf, int event, int *out_fd)
{
	*out_fd = -1;
	if (!buf || (event != PDMA_DMABUF_POLLIN &&
		     event != PDMA_DMABUF_POLLOUT))
		return -EINVAL;
	return singleton_fd(buf, event_usage(event), "dma-buf poll", out_fd);
}

static bool valid_sync_flags(unsigned flags)
{
	const unsigned rw = PDMA_DMABUF_SYNC_READ | PDMA_DMABUF_SYNC_WRITE;

	return flags && !(flags & ~rw);
}

int pdma_dmabuf_export_sync_file(struct pdma_dmabuf *buf, unsigned flags,
				 int *out_fd)
{
	*out_fd = -1;
	if (!buf || !valid_sync_flags(flags))
		return -EINVAL;
	return singleton_fd(buf,
			    pdma_resv_usage_rw(flags & PDMA_DMABUF_SYNC_WRITE),
			    "dma-buf", out_fd);
}

int pdma_dmabuf_import_sync_file(struct pdma_dmabuf *buf, int fd,
				 unsigned flags)
{
	struct pdma_fence_unwrap cur;
	enum pdma_resv_usage usage;
	struct pdma_fence *fence, *f;
	unsigned int n = 0;
	int ret;

	if (!buf || !valid_sync_flags(flags))
		return -EINVAL;
	pdma__buf_assert_unheld(buf, "pdma_dmabuf_import_sync_file");
	fence = pdma_syncfd_get_fence(fd);
	if (!fence)
		return -EINVAL;
	usage = flags & PDMA_DMABUF_SYNC_WRITE ? PDMA_RESV_USAGE_WRITE
					       : PDMA_RESV_USAGE_READ;
	pdma_fence_unwrap_for_each(f, &cur, fence)
		n++;
	ret = pdma_resv_lock_interruptible(buf->resv, NULL);
	if (ret)
		goto out_put;
	ret = pdma_resv_reserve_fences_locked(buf->resv, n ? n : 1);
	if (!ret) {
		unsigned int added = 0;

		pdma_fence_unwrap_for_each(f, &cur, fence) {
			if (added++ == n) {
				pdma_fence_unwrap_end(&cur);
				break;
			}
			pdma_resv_add_fence_locked(buf->resv, f, usage);
		}
	}
	pdma_resv_unlock(buf->resv);
out_put:
	pdma_fence_put(fence);
	return ret;
}
