/* SPDX-License-Identifier: MIT */
/*
 * peerdma/syncfd.h - fences as pollable file descriptors (like sync_file).
 *
 * A sync fd is the read end of a pipe that becomes readable (POLLIN) when
 * its fence signals: hand it to poll()/epoll, never read() from it (that
 * would consume the readiness).  Within the process it maps back to its
 * fence (pdma_syncfd_get_fence()), also through dup()ed descriptors.
 * Close it with pdma_syncfd_close(), or close() it: the bookkeeping of
 * closed ones is collected at the next export.
 *
 * The calls mirror the SYNC_IOC_* ioctls of Linux's sync_file.
 */
#ifndef PEERDMA_SYNCFD_H
#define PEERDMA_SYNCFD_H

#include <stdint.h>

#include <peerdma/fence.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PDMA_SYNCFD_NAME_LEN 32

/** struct pdma_syncfd_fence_info - one leaf fence, as SYNC_IOC_FILE_INFO. */
struct pdma_syncfd_fence_info {
	char obj_name[PDMA_SYNCFD_NAME_LEN];	/* timeline name */
	char driver_name[PDMA_SYNCFD_NAME_LEN];
	int32_t status;		/* pdma_fence_get_status() */
	uint32_t flags;		/* 0 */
	uint64_t timestamp_ns;	/* CLOCK_MONOTONIC; 0 while pending */
};

/** struct pdma_syncfd_info - in/out of pdma_syncfd_info(). */
struct pdma_syncfd_info {
	char name[PDMA_SYNCFD_NAME_LEN];	/* out */
	int32_t status;		/* out: 1, 0 pending, or the first error */
	uint32_t flags;		/* in: must be 0 */
	uint32_t num_fences;	/* in: room in @sync_fence_info (0: count
				 * only); out: number of leaf fences */
	uint32_t pad;		/* in: must be 0 */
	struct pdma_syncfd_fence_info *sync_fence_info;	/* in: the room */
};

/**
 * pdma_syncfd_export() - a new sync fd (O_CLOEXEC) for @fence.
 * @fence: the fence; a new reference is taken.
 * @name:  reported by pdma_syncfd_info(); NULL or "" for the default
 *         "driver-timeline<context>-<seqno>"; truncated to 31 bytes.
 * @out_fd: the descriptor, or -1 on error.
 *
 * Return: 0, -EINVAL (no fence), or -errno of pipe2() (-EMFILE...).
 */
int pdma_syncfd_export(struct pdma_fence *fence, const char *name,
		       int *out_fd);

/**
 * pdma_syncfd_get_fence() - the fence behind sync fd @fd, a new reference;
 * NULL if @fd is not a sync fd of this process.
 */
struct pdma_fence *pdma_syncfd_get_fence(int fd);

/**
 * pdma_syncfd_merge() - a sync fd that signals when both @fd1 and @fd2
 * have (pdma_fence_unwrap_merge() of their fences).
 * @name:   its name (truncated, NUL-terminated); NULL for the default.
 * @flags:  must be 0.
 * @out_fd: the new descriptor (O_CLOEXEC).
 *
 * Return: 0; -EINVAL for flags or if @fd1 is not a sync fd; -ENOENT if @fd2
 * is not; -ENOMEM; -errno of pipe2().
 */
int pdma_syncfd_merge(int fd1, int fd2, const char *name, uint32_t flags,
		      int *out_fd);

/**
 * pdma_syncfd_info() - status of @fd and of each of its leaf fences.
 *
 * With info->num_fences == 0 only the count, the name and the status of
 * the fence as a whole are returned.  Otherwise @info->sync_fence_info is
 * filled for every leaf and the status is the first status <= 0 among
 * them in iteration order, else 1.
 *
 * Return: 0; -EINVAL if flags or pad are set, @fd is not a sync fd, or
 * num_fences is non-zero but too small; -EFAULT if the room is NULL.
 */
int pdma_syncfd_info(int fd, struct pdma_syncfd_info *info);

/**
 * pdma_syncfd_set_deadline() - pdma_fence_set_deadline() on @fd's fence.
 * Return: 0, or -EINVAL if @fd is not a sync fd.
 */
int pdma_syncfd_set_deadline(int fd, int64_t deadline_ns);

/**
 * pdma_syncfd_close() - close @fd and forget its fence if no other
 * descriptor of it is open.  Return: 0 or -errno of close().
 */
int pdma_syncfd_close(int fd);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_SYNCFD_H */
