/* SPDX-License-Identifier: MIT */
/*
 * Sync fds: a fence exported as the read end of a pipe.
 *
 * Each export creates a pipe; we keep the write end and one byte is
 * written to it when the fence signals, so the read end polls POLLIN from
 * then on.  A process-wide registry maps the pipe's (st_dev, st_ino) to
 * the fence: every descriptor of that pipe (dup()s included) finds it,
 * and since we keep the write end open, the pipe, and so its inode
 * number, cannot be reused while the entry exists.  Entries whose read
 * ends are all closed are found by polling our write ends for POLLERR
 * ("no readers"), at every export and at pdma_syncfd_close().
 *
 * Lock order: registry lock, then a fence lock (removing a callback).  The
 * signal callback only write()s to the pipe and takes no lock.
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>

#include "sync.h"

#include <peerdma/syncfd.h>

struct syncfd {
	struct syncfd *next;		/* registry list */
	struct pdma_fence *fence;	/* a reference; immutable */
	struct pdma_fence_cb cb;
	int wfd;			/* our write end */
	dev_t dev;			/* of the pipe, immutable */
	ino_t ino;
	char name[PDMA_SYNCFD_NAME_LEN];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct syncfd *registry;		/* protected by registry_lock */

static void syncfd_signal_cb(struct pdma_fence *fence, struct pdma_fence_cb *cb)
{
	struct syncfd *sf = (struct syncfd *)
		((char *)cb - offsetof(struct syncfd, cb));
	ssize_t n;

	(void)fence;
	n = write(sf->wfd, "s", 1);	/* empty non-blocking pipe: succeeds */
	(void)n;
}

static void syncfd_destroy(struct syncfd *sf)
{
	/* When this returns the callback is neither queued nor running. */
	pdma_fence_remove_callback(sf->fence, &sf->cb);
	close(sf->wfd);
	pdma_fence_put(sf->fence);
	free(sf);
}

/* Forget every entry whose read ends are all closed; registry locked. */
static void collect_closed_locked(void)
{
	struct syncfd **pp, *sf;
	struct pollfd *pfds;
	unsigned int n = 0, i;

	for (sf = registry; sf; sf = sf->next)
		n++;
	if (!n)
		return;
	pfds = calloc(n, sizeof(*pfds));
	if (!pfds)
		return;		/* try again next time */
	for (sf = registry, i = 0; sf; sf = sf->next, i++)
		pfds[i].fd = sf->wfd;
	if (poll(pfds, n, 0) > 0) {
		for (pp = &registry, i = 0; (sf = *pp); i++) {
			if (pfds[i].revents & POLLERR) {
				*pp = sf->next;
				syncfd_destroy(sf);
			} else {
				pp = &sf->next;
			}
		}
	}
	free(pfds);
}

/* The entry of @fd, registry locked; NULL if @fd is not a sync fd. */
static struct syncfd *lookup_locked(int fd)
{
	struct syncfd *sf;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || !S_ISFIFO(st.st_mode))
		return NULL;
	for (sf = registry; sf; sf = sf->next)
		if (sf->dev == st.st_dev && sf->ino == st.st_ino)
			return sf;
	return NULL;
}

static void copy_name(char *dst, const char *src)
{
	size_t len = src ? strnlen(src, PDMA_SYNCFD_NAME_LEN - 1) : 0;

	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

int pdma_syncfd_export(struct pdma_fence *fence, const char *name,
		       int *out_fd)
{
	struct syncfd *sf;
	struct stat st;
	int p[2], ret;

	*out_fd = -1;
	if (!fence)
		return -EINVAL;
	sf = calloc(1, sizeof(*sf));
	if (!sf)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
		ret = -errno;
		goto err_free;
	}
	if (fstat(p[0], &st)) {
		ret = -errno;
		goto err_close;
	}
	sf->fence = pdma_fence_get(fence);
	sf->wfd = p[1];
	sf->dev = st.st_dev;
	sf->ino = st.st_ino;
	copy_name(sf->name, name);

	if (pdma_fence_add_callback(fence, &sf->cb, syncfd_signal_cb))
		syncfd_signal_cb(fence, &sf->cb);	/* already signalled */

	pthread_mutex_lock(&registry_lock);
	collect_closed_locked();
	sf->next = registry;
	registry = sf;
	pthread_mutex_unlock(&registry_lock);
	*out_fd = p[0];
	return 0;

err_close:
	close(p[0]);
	close(p[1]);
err_free:
	free(sf);
	return ret;
}

/* A reference to @fd's fence and a copy of its name, or NULL. */
static struct pdma_fence *get_fence_name(int fd, char *name)
{
	struct pdma_fence *fence = NULL;
	struct syncfd *sf;

	pthread_mutex_lock(&registry_lock);
	sf = lookup_locked(fd);
	if (sf) {
		fence = pdma_fence_get(sf->fence);
		if (name)
			memcpy(name, sf->name, PDMA_SYNCFD_NAME_LEN);
	}
	pthread_mutex_unlock(&registry_lock);
	return fence;
}

struct pdma_fence *pdma_syncfd_get_fence(int fd)
{
	return get_fence_name(fd, NULL);
}

int pdma_syncfd_merge(int fd1, int fd2, const char *name, uint32_t flags,
		      int *out_fd)
{
	struct pdma_fence *fences[2], *merged;
	int ret;

	*out_fd = -1;
	if (flags)
		return -EINVAL;
	fences[0] = pdma_syncfd_get_fence(fd1);
	if (!fences[0])
		return -EINVAL;
	fences[1] = pdma_syncfd_get_fence(fd2);
	if (!fences[1]) {
		ret = -ENOENT;
		goto put_first;
	}
	ret = pdma_fence_unwrap_merge(2, fences, &merged);
	if (!ret) {
		ret = pdma_syncfd_export(merged, name, out_fd);
		pdma_fence_put(merged);
	}
	pdma_fence_put(fences[1]);
put_first:
	pdma_fence_put(fences[0]);
	return ret;
}

static int fill_fence_info(struct pdma_fence *fence,
			   struct pdma_syncfd_fence_info *info)
{
	memset(info, 0, sizeof(*info));
	copy_name(info->obj_name, pdma_fence_timeline_name(fence));
	copy_name(info->driver_name, pdma_fence_driver_name(fence));
	info->status = pdma_fence_get_status(fence);
	if (pdma_fence_is_signaled(fence))
		info->timestamp_ns = (uint64_t)pdma_fence_timestamp(fence);
	return info->status;
}

int pdma_syncfd_info(int fd, struct pdma_syncfd_info *info)
{
	struct pdma_fence_unwrap iter;
	struct pdma_fence *fence, *leaf;
	char name[PDMA_SYNCFD_NAME_LEN];
	uint32_t count = 0;
	int status;

	if (info->flags || info->pad)
		return -EINVAL;
	fence = get_fence_name(fd, name);
	if (!fence)
		return -EINVAL;

	pdma_fence_unwrap_for_each(leaf, &iter, fence)
		count++;

	if (!info->num_fences) {
		info->status = pdma_fence_get_status(fence);
	} else {
		if (info->num_fences < count) {
			pdma_fence_put(fence);
			return -EINVAL;
		}
		if (!info->sync_fence_info) {
			pdma_fence_put(fence);
			return -EFAULT;
		}
		/* Leaves only disappear (signalled chain nodes) meanwhile. */
		info->status = 1;
		count = 0;
		pdma_fence_unwrap_for_each(leaf, &iter, fence) {
			status = fill_fence_info(leaf,
						 &info->sync_fence_info[count++]);
			if (info->status > 0)
				info->status = status;
		}
	}

	if (name[0])
		memcpy(info->name, name, sizeof(info->name));
	else
		snprintf(info->name, sizeof(info->name), "%s-%s%llu-%llu",
			 pdma_fence_driver_name(fence),
			 pdma_fence_timeline_name(fence),
			 (unsigned long long)fence->context,
			 (unsigned long long)fence->seqno);
	info->num_fences = count;
	pdma_fence_put(fence);
	return 0;
}

int pdma_syncfd_set_deadline(int fd, int64_t deadline_ns)
{
	struct pdma_fence *fence = pdma_syncfd_get_fence(fd);

	if (!fence)
		return -EINVAL;
	pdma_fence_set_deadline(fence, deadline_ns);
	pdma_fence_put(fence);
	return 0;
}

int pdma_syncfd_close(int fd)
{
	int ret = close(fd) ? -errno : 0;

	pthread_mutex_lock(&registry_lock);
	collect_closed_locked();
	pthread_mutex_unlock(&registry_lock);
	return ret;
}
