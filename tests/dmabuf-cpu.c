/* SPDX-License-Identifier: MIT */
/*
 * CPU side and implicit sync: begin_cpu_access waits on READ usage for a
 * CPU write and on WRITE usage for a read (never BOOKKEEP), the SYNC flag
 * rules, vmap refcounting, mmap size checks, poll (EPOLLIN = writers done,
 * EPOLLOUT = all done) also through poll(2) on a fence fd, and the
 * sync-file export/import rules.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include <peerdma/syncfd.h>

#include "dmabuf-env.h"
#include "fence-mock.h"

static void add(struct pdma_dmabuf *buf, struct pdma_fence *f,
		enum pdma_resv_usage u)
{
	struct pdma_resv *resv = pdma_dmabuf_resv(buf);

	pdma_resv_lock(resv, NULL);
	REQUIRE(pdma_resv_reserve_fences_locked(resv, 1) == 0);
	pdma_resv_add_fence_locked(resv, f, u);
	pdma_resv_unlock(resv);
}

struct begin_arg {
	struct pdma_dmabuf *buf;
	enum pdma_data_dir dir;
	int ret, done;	/* done atomic */
};

static void *begin_thread(void *p)
{
	struct begin_arg *b = p;

	b->ret = pdma_dmabuf_begin_cpu_access(b->buf, b->dir);
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Does begin_cpu_access(@dir) block until @f signals? */
static bool blocks_on(struct pdma_dmabuf *buf, enum pdma_data_dir dir,
		      struct pdma_fence *f)
{
	struct begin_arg b = { buf, dir, -1, 0 };
	bool blocked;
	pthread_t th;

	REQUIRE(pthread_create(&th, NULL, begin_thread, &b) == 0);
	sleep_ns(30 * 1000 * 1000);
	blocked = !__atomic_load_n(&b.done, __ATOMIC_ACQUIRE);
	pdma_fence_signal(f);
	pthread_join(th, NULL);
	CHECK_EQ_INT(b.ret, 0);
	return blocked;
}

static void test_cpu_access(struct denv *e)
{
	struct pdma_dmabuf *buf;
	struct pdma_fence *f;

	REQUIRE(pdma_dmabuf_exporter_alloc(e->x, 8192, PDMA_DMABUF_RAM,
					   &buf) == 0);
	/* A device reads: the CPU may read, must wait to write. */
	f = mock_fence();
	add(buf, f, PDMA_RESV_USAGE_READ);
	CHECK_EQ_INT(pdma_dmabuf_begin_cpu_access(buf, PDMA_FROM_DEVICE), 0);
	CHECK(blocks_on(buf, PDMA_TO_DEVICE, f));
	pdma_fence_put(f);
	f = mock_fence();
	add(buf, f, PDMA_RESV_USAGE_READ);
	CHECK(blocks_on(buf, PDMA_BIDIRECTIONAL, f));
	pdma_fence_put(f);
	/* A device writes: even a CPU read waits. */
	f = mock_fence();
	add(buf, f, PDMA_RESV_USAGE_WRITE);
	CHECK(blocks_on(buf, PDMA_FROM_DEVICE, f));
	pdma_fence_put(f);
	/* BOOKKEEP is not implicit sync. */
	f = mock_fence();
	add(buf, f, PDMA_RESV_USAGE_BOOKKEEP);
	CHECK_EQ_INT(pdma_dmabuf_begin_cpu_access(buf, PDMA_BIDIRECTIONAL), 0);
	CHECK_EQ_INT(pdma_dmabuf_end_cpu_access(buf, PDMA_BIDIRECTIONAL), 0);
	pdma_fence_signal(f);
	pdma_fence_put(f);

	/* DMA_BUF_IOCTL_SYNC flags. */
	CHECK_EQ_INT(pdma_dmabuf_sync(buf, 0), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_sync(buf, PDMA_DMABUF_SYNC_END), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_sync(buf, 8 | PDMA_DMABUF_SYNC_READ), -EINVAL);
	f = mock_fence();
	add(buf, f, PDMA_RESV_USAGE_READ);
	CHECK_EQ_INT(pdma_dmabuf_sync(buf, PDMA_DMABUF_SYNC_READ), 0);
	CHECK_EQ_INT(pdma_dmabuf_sync(buf, PDMA_DMABUF_SYNC_READ |
				      PDMA_DMABUF_SYNC_END), 0);
	pdma_fence_signal(f);
	pdma_fence_put(f);
	CHECK_EQ_INT(pdma_dmabuf_sync(buf, PDMA_DMABUF_SYNC_WRITE), 0);
	CHECK_EQ_INT(pdma_dmabuf_begin_cpu_access(buf, 7), -EINVAL);
	pdma_dmabuf_put(buf);
}

static void test_vmap_mmap(struct denv *e)
{
	struct pdma_dmabuf *buf;
	struct pdma_resv *resv;
	struct pdma_dmabuf_where w;
	uint64_t page = pdma_page_size();
	void *a, *b, *m;

	REQUIRE(pdma_dmabuf_exporter_alloc(e->x, 3 * page + 100,
					   PDMA_DMABUF_VRAM, &buf) == 0);
	resv = pdma_dmabuf_resv(buf);
	pdma_resv_lock(resv, NULL);
	REQUIRE(pdma_dmabuf_vmap(buf, &a) == 0);
	REQUIRE(pdma_dmabuf_vmap(buf, &b) == 0);
	CHECK(a == b);
	REQUIRE(pdma_dmabuf_exporter_where(buf, &w) == 0);
	CHECK_EQ_INT(w.pins, 1);	/* one call reached the exporter */
	CHECK_EQ_INT(pdma_dmabuf_exporter_move_locked(buf, PDMA_DMABUF_RAM),
		     -EBUSY);
	pdma_dmabuf_vunmap(buf, b);
	REQUIRE(pdma_dmabuf_exporter_where(buf, &w) == 0);
	CHECK_EQ_INT(w.pins, 1);
	pdma_dmabuf_vunmap(buf, a);
	REQUIRE(pdma_dmabuf_exporter_where(buf, &w) == 0);
	CHECK_EQ_INT(w.pins, 0);
	CHECK_EQ_INT(pdma_dmabuf_exporter_move_locked(buf, PDMA_DMABUF_RAM), 0);
	pdma_resv_unlock(resv);

	/* size = 3 pages + 100 bytes: as in the kernel, pgoff + pages must
	 * not pass size >> PAGE_SHIFT, so only 3 whole pages. */
	CHECK_EQ_INT(pdma_dmabuf_mmap(buf, 0, 3 * page, &m), 0);
	CHECK(m != NULL);
	CHECK_EQ_INT(pdma_dmabuf_mmap(buf, 2, 1, &m), 0);
	CHECK_EQ_INT(pdma_dmabuf_mmap(buf, 0, 3 * page + 1, &m), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_mmap(buf, 3, 1, &m), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_mmap(buf, 1, 3 * page, &m), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_mmap(buf, 0, 0, &m), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_mmap(buf, UINT64_MAX, page, &m), -EOVERFLOW);
	CHECK_EQ_INT(pdma_dmabuf_mmap(buf, UINT64_MAX / page, page, &m),
		     -EOVERFLOW);
	pdma_dmabuf_put(buf);
}

static void test_poll_and_sync_files(struct denv *e)
{
	const int both = PDMA_DMABUF_POLLIN | PDMA_DMABUF_POLLOUT;
	struct pdma_fence *w, *r, *bk, *got, *chain_f;
	struct pdma_syncfd_info info = { 0 };
	struct pdma_fence_chain *chain;
	struct pdma_dmabuf *buf;
	struct pollfd pfd;
	int fd, fd2;

	REQUIRE(pdma_dmabuf_exporter_alloc(e->x, 4096, PDMA_DMABUF_RAM,
					   &buf) == 0);
	CHECK_EQ_INT(pdma_dmabuf_poll(buf, both), both);
	bk = mock_fence();
	add(buf, bk, PDMA_RESV_USAGE_BOOKKEEP);
	CHECK_EQ_INT(pdma_dmabuf_poll(buf, both), both);	/* ignored */
	r = mock_fence();
	add(buf, r, PDMA_RESV_USAGE_READ);
	CHECK_EQ_INT(pdma_dmabuf_poll(buf, both), PDMA_DMABUF_POLLIN);
	w = mock_fence();
	add(buf, w, PDMA_RESV_USAGE_WRITE);
	CHECK_EQ_INT(pdma_dmabuf_poll(buf, both), 0);
	CHECK_EQ_INT(pdma_dmabuf_poll(buf, PDMA_DMABUF_POLLOUT), 0);

	/* poll(2) on a fence fd for EPOLLIN: readable once the writer is. */
	REQUIRE(pdma_dmabuf_poll_fd(buf, PDMA_DMABUF_POLLIN, &fd) == 0);
	CHECK_EQ_INT(pdma_dmabuf_poll_fd(buf, 3, &fd2), -EINVAL);
	pfd = (struct pollfd){ fd, POLLIN, 0 };
	CHECK_EQ_INT(poll(&pfd, 1, 0), 0);

	/* Export: WRITE -> every reader and writer; READ -> writers. */
	CHECK_EQ_INT(pdma_dmabuf_export_sync_file(buf, 0, &fd2), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_export_sync_file(buf, 4, &fd2), -EINVAL);
	REQUIRE(pdma_dmabuf_export_sync_file(buf, PDMA_DMABUF_SYNC_READ,
					     &fd2) == 0);
	got = pdma_syncfd_get_fence(fd2);
	CHECK(got == w);	/* a single fence is itself */
	pdma_fence_put(got);
	pdma_syncfd_close(fd2);
	REQUIRE(pdma_dmabuf_export_sync_file(buf, PDMA_DMABUF_SYNC_WRITE,
					     &fd2) == 0);
	info.num_fences = 0;
	REQUIRE(pdma_syncfd_info(fd2, &info) == 0);
	CHECK_EQ_INT(info.num_fences, 2);	/* an array of r and w */
	CHECK_EQ_INT(info.status, 0);
	pdma_syncfd_close(fd2);

	pdma_fence_signal(w);
	CHECK_EQ_INT(poll(&pfd, 1, 1000), 1);
	pdma_syncfd_close(fd);
	CHECK_EQ_INT(pdma_dmabuf_poll(buf, both), PDMA_DMABUF_POLLIN);
	pdma_fence_signal(r);
	CHECK_EQ_INT(pdma_dmabuf_poll(buf, both), both);
	/* Nothing left: the signalled stub. */
	REQUIRE(pdma_dmabuf_export_sync_file(buf, PDMA_DMABUF_SYNC_WRITE,
					     &fd2) == 0);
	got = pdma_syncfd_get_fence(fd2);
	CHECK(got && pdma_fence_is_signaled(got));
	pdma_fence_put(got);
	pdma_syncfd_close(fd2);

	/* Import: BOOKKEEP work promoted to implicit sync, flattened. */
	CHECK_EQ_INT(pdma_dmabuf_import_sync_file(buf, -1,
						  PDMA_DMABUF_SYNC_READ),
		     -EINVAL);
	chain = pdma_fence_chain_alloc();
	REQUIRE(chain);
	chain_f = pdma_fence_chain_init(chain, NULL, pdma_fence_get(bk), 1);
	REQUIRE(pdma_syncfd_export(chain_f, NULL, &fd) == 0);
	CHECK_EQ_INT(pdma_dmabuf_import_sync_file(buf, fd, 0), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_import_sync_file(buf, fd, 8), -EINVAL);
	REQUIRE(pdma_dmabuf_import_sync_file(buf, fd,
					     PDMA_DMABUF_SYNC_WRITE) == 0);
	CHECK_EQ_INT(pdma_dmabuf_poll(buf, both), 0);
	{
		struct pdma_resv_iter it;
		struct pdma_fence *f;
		int n = 0, leaf = 0;

		pdma_resv_lock(pdma_dmabuf_resv(buf), NULL);
		pdma_resv_for_each_fence_locked(&it, pdma_dmabuf_resv(buf),
						PDMA_RESV_USAGE_WRITE, f) {
			n++;
			leaf += f == bk;
			CHECK(!pdma_fence_is_chain(f));
		}
		pdma_resv_unlock(pdma_dmabuf_resv(buf));
		CHECK(leaf == 1);
		CHECK(n >= 1);
	}
	pdma_fence_signal(bk);
	CHECK_EQ_INT(pdma_dmabuf_poll(buf, both), both);
	pdma_syncfd_close(fd);
	pdma_fence_put(chain_f);
	pdma_fence_put(w);
	pdma_fence_put(r);
	pdma_fence_put(bk);
	pdma_dmabuf_put(buf);
}

int main(void)
{
	struct denv e;

	denv_setup(&e, true);
	test_cpu_access(&e);
	test_vmap_mmap(&e);
	test_poll_and_sync_files(&e);
	denv_teardown(&e);
	return harness_exit();
}
