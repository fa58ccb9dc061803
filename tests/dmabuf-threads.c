/* SPDX-License-Identifier: MIT */
/*
 * Races (run under ThreadSanitizer too): importer threads map, fence and
 * DMA-read a buffer while the exporter migrates it between VRAM and RAM
 * (move_notify vs map), then while it is revoked.  Importers behave like
 * the kernel's dynamic importers: the callback (lock held) only marks the
 * mapping stale; every DMA is fenced in the resv (BOOKKEEP) before it
 * starts; a stale mapping is unmapped and remapped under the lock.
 * Checks: every byte read is the buffer's data, no DMA fails before the
 * revoke, after it maps fail -ENODEV and a DMA through a kept mapping is
 * refused by the BAR guard.
 */
#include <pthread.h>

#include "dmabuf-env.h"
#include "fence-mock.h"

#define SZ (16 << 10)

struct imp {
	struct denv *e;
	struct pdma_dmabuf *buf;
	struct pdma_dmabuf_attachment *a;
	int dev;
	struct pdma_sgt *sgt;	/* resv lock */
	bool stale;		/* resv lock */
	/* results */
	long reads, bad_bytes, dma_errors, enodev, notified;
	int stop;		/* atomic */
	int revoked;		/* atomic: set by main after revoke */
};

static void on_move(struct pdma_dmabuf_attachment *a)
{
	struct imp *im = a->importer_priv;

	im->stale = true;
	im->notified++;
}

static const struct pdma_dmabuf_importer_ops ops = { true, on_move };

static void *importer(void *p)
{
	struct imp *im = p;
	struct pdma_resv *resv = pdma_dmabuf_resv(im->buf);
	unsigned char got[512];
	unsigned seed = (unsigned)im->dev * 7919u;

	while (!__atomic_load_n(&im->stop, __ATOMIC_ACQUIRE)) {
		struct pdma_fence *f;
		struct pdma_sgt *sgt;
		uint64_t off;
		int ret;

		pdma_resv_lock(resv, NULL);
		if (im->sgt && (im->stale || rand_r(&seed) % 8 == 0)) {
			pdma_dmabuf_unmap_attachment(im->a, im->sgt,
						     PDMA_TO_DEVICE);
			im->sgt = NULL;
		}
		if (!im->sgt) {
			im->stale = false;
			ret = pdma_dmabuf_map_attachment(im->a, PDMA_TO_DEVICE,
							 &im->sgt);
			if (ret) {
				pdma_resv_unlock(resv);
				if (ret == -ENODEV)
					im->enodev++;
				else
					im->dma_errors++;
				if (ret == -ENODEV)
					break;
				continue;
			}
		}
		/* Wait for the moves (KERNEL) before using a new mapping. */
		pdma_resv_wait_timeout(resv, PDMA_RESV_USAGE_KERNEL, false,
				       PDMA_FENCE_TIMEOUT_MAX);
		f = mock_fence();
		REQUIRE(pdma_resv_reserve_fences_locked(resv, 1) == 0);
		pdma_resv_add_fence_locked(resv, f, PDMA_RESV_USAGE_BOOKKEEP);
		sgt = im->sgt;
		pdma_resv_unlock(resv);

		off = rand_r(&seed) % (SZ - sizeof(got));
		ret = denv_dma(im->e, im->dev, sgt, off, got, sizeof(got),
			       PDMA_DMA_READ);
		if (ret) {
			im->dma_errors++;
		} else {
			im->reads++;
			for (size_t i = 0; i < sizeof(got); i++)
				if (got[i] != (unsigned char)((off + i) * 13 + 1))
					im->bad_bytes++;
		}
		pdma_fence_signal(f);
		pdma_fence_put(f);
	}
	pdma_resv_lock(resv, NULL);
	if (im->sgt)
		pdma_dmabuf_unmap_attachment(im->a, im->sgt, PDMA_TO_DEVICE);
	im->sgt = NULL;
	pdma_resv_unlock(resv);
	return NULL;
}

static struct pdma_dmabuf *make_buf(struct denv *e)
{
	struct pdma_dmabuf *buf;
	unsigned char *p;

	REQUIRE(pdma_dmabuf_exporter_alloc(e->x, SZ, PDMA_DMABUF_VRAM, &buf) == 0);
	pdma_resv_lock(pdma_dmabuf_resv(buf), NULL);
	REQUIRE(pdma_dmabuf_vmap(buf, (void **)&p) == 0);
	for (int i = 0; i < SZ; i++)
		p[i] = (unsigned char)(i * 13 + 1);
	pdma_dmabuf_vunmap(buf, p);
	pdma_resv_unlock(pdma_dmabuf_resv(buf));
	return buf;
}

static void start(struct denv *e, struct pdma_dmabuf *buf, struct imp *im,
		  pthread_t *th, int n)
{
	int devs[] = { e->nic, e->nvme, e->accel, e->gpu2 };

	for (int i = 0; i < n; i++) {
		memset(&im[i], 0, sizeof(im[i]));
		im[i].e = e;
		im[i].buf = buf;
		im[i].dev = devs[i % 4];
		REQUIRE(pdma_dmabuf_dynamic_attach(buf, im[i].dev, &ops, &im[i],
						   &im[i].a) == 0);
		REQUIRE(pthread_create(&th[i], NULL, importer, &im[i]) == 0);
	}
}

static void test_move_vs_map(void)
{
	struct pdma_dmabuf_where w;
	struct pdma_dmabuf *buf;
	struct imp im[4];
	pthread_t th[4];
	long reads = 0, moves = 0;
	struct denv e;

	denv_setup(&e, true);
	buf = make_buf(&e);
	start(&e, buf, im, th, 4);
	for (int i = 0; i < 400; i++) {
		int ret = pdma_dmabuf_exporter_move(buf, i % 2 ? PDMA_DMABUF_VRAM
							       : PDMA_DMABUF_RAM);

		CHECK_EQ_INT(ret, 0);
		moves++;
		if (i % 50 == 0)
			sleep_ns(1000 * 1000);
	}
	for (int i = 0; i < 4; i++)
		__atomic_store_n(&im[i].stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(im[i].bad_bytes, 0);
		CHECK_EQ_INT(im[i].dma_errors, 0);
		CHECK(im[i].notified > 0);
		reads += im[i].reads;
		pdma_dmabuf_detach(buf, im[i].a);
	}
	REQUIRE(pdma_dmabuf_exporter_where(buf, &w) == 0);
	CHECK_EQ_INT(w.moves, moves);
	CHECK(reads > 0);
	printf("move vs map: %ld moves, %ld fenced reads, all bytes right\n",
	       moves, reads);
	pdma_dmabuf_put(buf);
	denv_teardown(&e);
}

static void test_revoke_during_map(void)
{
	struct pdma_dmabuf_attachment *rogue;
	struct pdma_dmabuf *buf;
	struct pdma_sgt *kept;
	struct imp im[4];
	pthread_t th[4];
	struct denv e;
	char b[64];

	denv_setup(&e, true);
	buf = make_buf(&e);
	/* A static BUS_ADDR importer that keeps its mapping. */
	REQUIRE(pdma_dmabuf_attach(buf, e.gpu2, &rogue) == 0);
	start(&e, buf, im, th, 4);
	sleep_ns(20 * 1000 * 1000);
	/* gpu2 is static: pinned on map, in RAM (static = not P2P), so
	 * map it only after the importers got going, then revoke. */
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(rogue, PDMA_TO_DEVICE,
						    &kept) == 0);
	REQUIRE(pdma_dmabuf_revoke(buf) == 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);	/* each stops at -ENODEV */
		CHECK_EQ_INT(im[i].bad_bytes, 0);
		CHECK_EQ_INT(im[i].dma_errors, 0);
		CHECK_EQ_INT(im[i].enodev, 1);
		pdma_dmabuf_detach(buf, im[i].a);
	}
	/* The kept static mapping reads poison (RAM is not guarded, but
	 * the memory is held until release, so nobody else's data). */
	CHECK_EQ_INT(denv_dma(&e, e.gpu2, kept, 0, b, sizeof(b),
			      PDMA_DMA_READ), 0);
	CHECK((unsigned char)b[0] == 0x6b);
	pdma_dmabuf_unmap_attachment_unlocked(rogue, kept, PDMA_TO_DEVICE);
	pdma_dmabuf_detach(buf, rogue);
	pdma_dmabuf_put(buf);

	/* VRAM: a dynamic importer that ignores move_notify and keeps its
	 * mapping is refused by the BAR guard after the revoke. */
	buf = make_buf(&e);
	start(&e, buf, im, th, 1);
	sleep_ns(5 * 1000 * 1000);
	{
		struct pdma_dmabuf_attachment *a;
		static const struct pdma_dmabuf_importer_ops deaf = {
			true, on_move };
		struct imp quiet = { 0 };

		REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic, &deaf, &quiet,
						   &a) == 0);
		REQUIRE(pdma_dmabuf_map_attachment_unlocked(a, PDMA_TO_DEVICE,
							    &kept) == 0);
		REQUIRE(pdma_dmabuf_revoke(buf) == 0);
		CHECK_EQ_INT(denv_dma(&e, e.nic, kept, 0, b, sizeof(b),
				      PDMA_DMA_READ), -ENODEV);
		pdma_dmabuf_unmap_attachment_unlocked(a, kept, PDMA_TO_DEVICE);
		pdma_dmabuf_detach(buf, a);
	}
	pthread_join(th[0], NULL);
	CHECK_EQ_INT(im[0].bad_bytes, 0);
	CHECK_EQ_INT(im[0].dma_errors, 0);
	pdma_dmabuf_detach(buf, im[0].a);
	pdma_dmabuf_put(buf);
	denv_teardown(&e);
}

int main(void)
{
	test_move_vs_map();
	test_revoke_during_map();
	return harness_exit();
}
