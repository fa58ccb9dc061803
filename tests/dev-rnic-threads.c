/* SPDX-License-Identifier: MIT */
/*
 * Eviction storm (machine in dev-gpu-env.h): one thread keeps moving a
 * GPU buffer between VRAM and RAM (explicit evict / restore, and pressure
 * from new BOs filling VRAM) while another does RDMA WRITE then READ of
 * varying sizes and offsets into it through a dynamic dma-buf MR, and
 * checks every byte that comes back.  Zero corrupted or lost bytes; every
 * completion succeeds; the MR re-faulted after invalidations.
 *
 *   dev-rnic-threads [iterations]   (default 10000)
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <peerdma/rnic.h>

#include "dev-gpu-env.h"

#define BO_SZ (128u << 10)
#define MAX_OP (32u << 10)

struct storm {
	struct genv e;
	struct pdma_gpu_bo *bo;
	struct pdma_rnic *a, *b;
	struct pdma_rnic_mr *src, *dst, *mr;
	unsigned char *ps, *pd;
	long iters;
	int done;			/* atomic */
	uint64_t moves, pressure, busy;	/* mover's */
	uint64_t bad_bytes, failed, bytes; /* RDMA thread's */
	uint64_t last_off, last_len;
	unsigned last_seed;
};

static void *mover(void *arg)
{
	struct storm *s = arg;
	unsigned n = 0;

	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
		int ret;

		n++;
		if (n % 4 == 1) {
			/* pressure: four BOs of 256 KiB fill the 1 MiB VRAM */
			struct pdma_gpu_bo *t[4];
			int k = 0;

			while (k < 4 && !pdma_gpu_bo_create(s->e.gpu, 256 << 10,
							    0, &t[k]))
				k++;
			while (k)
				pdma_gpu_bo_put(t[--k]);
			s->pressure++;
			continue;
		}
		/* restore, pressure, restore, evict, ... */
		ret = n % 4 == 3 ? pdma_gpu_bo_evict(s->bo) :
				   pdma_gpu_bo_restore(s->bo);
		if (!ret)
			s->moves++;
		else
			s->busy++;
	}
	return NULL;
}

static void *rdma(void *arg)
{
	struct storm *s = arg;

	for (long i = 0; i < s->iters; i++) {
		uint64_t len = ((uint64_t)(i * 7919) % (MAX_OP / 512)) * 512 +
			       1 + (uint64_t)(i % 511);
		uint64_t off = (uint64_t)(i * 4099) % (BO_SZ - len);
		unsigned seed = (unsigned)i * 17 + 3;
		struct pdma_rnic_wc wc;

		pattern(s->ps, len, seed);
		memset(s->pd, 0, len);
		pdma_rnic_write(s->a, pdma_rnic_mr_lkey(s->src), 0,
				pdma_rnic_mr_rkey(s->mr), off, len, &wc);
		if (wc.status || wc.bytes != len)
			s->failed++;
		pdma_rnic_read(s->a, pdma_rnic_mr_lkey(s->dst), 0,
			       pdma_rnic_mr_rkey(s->mr), off, len, &wc);
		if (wc.status || wc.bytes != len)
			s->failed++;
		for (uint64_t k = 0; k < len; k++)
			if (s->pd[k] != s->ps[k])
				s->bad_bytes++;
		s->bytes += 2 * len;
		s->last_off = off;
		s->last_len = len;
		s->last_seed = seed;
	}
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct storm s;
	static unsigned char got[MAX_OP];
	const unsigned all = PDMA_RNIC_LOCAL_WRITE | PDMA_RNIC_REMOTE_WRITE |
			     PDMA_RNIC_REMOTE_READ;
	struct pdma_rnic_stats ns;
	struct pdma_gpu_stats gs;
	struct pdma_dmabuf *buf;
	struct pdma_wire *w;
	struct timespec t0, t1;
	pthread_t tm, tr;
	uint64_t ps, pd;
	double secs;

	s.iters = argc > 1 ? atol(argv[1]) : 10000;
	REQUIRE(s.iters > 0);
	genv_setup(&s.e, 1 << 20, 0);
	s.ps = genv_alloc(&s.e, MAX_OP, &ps);
	s.pd = genv_alloc(&s.e, MAX_OP, &pd);
	REQUIRE(pdma_wire_create(100, &w) == 0);
	REQUIRE(pdma_rnic_create(s.e.plat, s.e.d, s.e.nic0, &s.a) == 0);
	REQUIRE(pdma_rnic_create(s.e.plat, s.e.d, s.e.nic1, &s.b) == 0);
	REQUIRE(pdma_rnic_connect(s.a, s.b, w) == 0);
	REQUIRE(pdma_rnic_reg_phys(s.a, ps, MAX_OP, all, &s.src) == 0);
	REQUIRE(pdma_rnic_reg_phys(s.a, pd, MAX_OP, all, &s.dst) == 0);
	REQUIRE(pdma_gpu_bo_create(s.e.gpu, BO_SZ, 0, &s.bo) == 0);
	REQUIRE(pdma_gpu_bo_export(s.bo, &buf) == 0);
	REQUIRE(pdma_rnic_reg_dmabuf(s.b, buf, all, 0, &s.mr) == 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	REQUIRE(pthread_create(&tm, NULL, mover, &s) == 0);
	REQUIRE(pthread_create(&tr, NULL, rdma, &s) == 0);
	pthread_join(tr, NULL);
	pthread_join(tm, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	pdma_rnic_stats(s.b, &ns);
	pdma_gpu_stats(s.e.gpu, &gs);
	printf("# %ld iterations, %llu bytes checked in %.2f s; %llu moves, "
	       "%llu pressure rounds (%llu evictions), %llu invalidations, "
	       "%llu faults\n", s.iters, (unsigned long long)s.bytes, secs,
	       (unsigned long long)s.moves, (unsigned long long)s.pressure,
	       (unsigned long long)gs.evictions,
	       (unsigned long long)ns.invalidations,
	       (unsigned long long)ns.faults);
	CHECK_EQ_INT(s.bad_bytes, 0);
	CHECK_EQ_INT(s.failed, 0);
	CHECK(s.moves > 0);
	CHECK(gs.evictions > 0);
	CHECK(ns.invalidations > 0);
	/* Every invalidation was followed by at most one re-fault. */
	CHECK(ns.faults <= ns.invalidations + 1);
	/* The last write is in the buffer wherever it is now. */
	REQUIRE(pdma_gpu_bo_read(s.bo, s.last_off, got, s.last_len) == 0);
	CHECK(is_pattern(got, s.last_len, s.last_seed));

	pdma_rnic_dereg(s.mr);
	pdma_rnic_dereg(s.src);
	pdma_rnic_dereg(s.dst);
	pdma_dmabuf_put(buf);
	pdma_gpu_bo_put(s.bo);
	pdma_rnic_destroy(s.a);
	pdma_rnic_destroy(s.b);
	pdma_wire_destroy(w);
	genv_teardown(&s.e);
	return harness_exit();
}
