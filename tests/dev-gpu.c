/* SPDX-License-Identifier: MIT */
/*
 * The emulated GPU (machine in dev-gpu-env.h): BOs exported as dma-bufs
 * and reached by a NIC through the fabric (bytes both ways, switch
 * counters); the copy engine between VRAM, RAM and invisible VRAM with
 * fences; eviction under pressure (LRU order, move_notify to a dynamic
 * importer, the stale mapping refused, data intact after re-map); pinned
 * BOs never evicted (-ENOSPC); the visible-window rule for export.
 */
#include "dev-gpu-env.h"

#define K64 (64u << 10)
#define K256 (256u << 10)

struct imp {
	int notified;
};

static void on_move(struct pdma_dmabuf_attachment *a)
{
	struct imp *im = a->importer_priv;

	CHECK(pdma_resv_held(pdma_dmabuf_resv(a->dmabuf)));
	im->notified++;
}

static const struct pdma_dmabuf_importer_ops imp_ops = { true, on_move };

/* @dev's DMA engine moves @len bytes at the start of the mapped table. */
static int sg_dma(struct genv *e, int dev, const struct pdma_sgt *sgt,
		  void *buf, uint64_t len, enum pdma_dma_dir dir)
{
	unsigned char *p = buf;

	for (int i = 0; i < sgt->nents && len; i++) {
		uint64_t n = sgt->sgl[i].len < len ? sgt->sgl[i].len : len;
		int ret = pdma_fabric_dma(e->plat, dev, sgt->sgl[i].dma_addr,
					  p, n, dir);

		if (ret)
			return ret;
		p += n;
		len -= n;
	}
	return len ? -ERANGE : 0;
}

static void test_export_p2p(void)
{
	static unsigned char src[K64], got[K64];
	struct pdma_dmabuf_attachment *a;
	struct pdma_platform_stats st;
	struct pdma_dmabuf *buf;
	struct pdma_gpu_bo *bo;
	struct pdma_sgt *sgt;
	struct imp im = { 0 };
	struct genv e;

	genv_setup(&e, 4 << 20, 0);
	REQUIRE(pdma_gpu_bo_create(e.gpu, K64, 0, &bo) == 0);
	CHECK_EQ_INT(pdma_gpu_bo_size(bo), K64);
	CHECK_EQ_INT(pdma_gpu_bo_place(bo), PDMA_GPU_VISIBLE);
	pattern(src, K64, 1);
	REQUIRE(pdma_gpu_bo_write(bo, 0, src, K64) == 0);
	REQUIRE(pdma_gpu_bo_export(bo, &buf) == 0);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic0, &imp_ops, &im,
					   &a) == 0);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(a, PDMA_BIDIRECTIONAL,
						    &sgt) == 0);
	pdma_platform_reset_stats(e.plat);
	REQUIRE(sg_dma(&e, e.nic0, sgt, got, K64, PDMA_DMA_READ) == 0);
	CHECK(is_pattern(got, K64, 1));
	pattern(src, K64, 2);
	REQUIRE(sg_dma(&e, e.nic0, sgt, src, K64, PDMA_DMA_WRITE) == 0);
	pdma_platform_stats(e.plat, &st);
	CHECK_EQ_INT(st.switch_p2p_bytes, 2 * K64);	/* peer to peer */
	CHECK_EQ_INT(st.ram_bytes, 0);
	REQUIRE(pdma_gpu_bo_read(bo, 0, got, K64) == 0);
	CHECK(is_pattern(got, K64, 2));
	CHECK_EQ_INT(im.notified, 0);
	pdma_dmabuf_unmap_attachment_unlocked(a, sgt, PDMA_BIDIRECTIONAL);
	pdma_dmabuf_detach(buf, a);
	/* The export keeps the buffer after the GPU lets go of the BO. */
	pdma_gpu_bo_put(bo);
	CHECK_EQ_INT(pdma_dmabuf_size(buf), K64);
	pdma_dmabuf_put(buf);
	CHECK_EQ_INT(pdma_gpu_bo_create(e.gpu, 0, 0, &bo), -EINVAL);
	CHECK(bo == NULL);
	genv_teardown(&e);
}

static void check_copy(struct genv *e, struct pdma_gpu_bo *dst,
		       struct pdma_gpu_bo *src, unsigned seed)
{
	static unsigned char in[K64], got[K64];
	struct pdma_fence *f;

	pattern(in, K64, seed);
	REQUIRE(pdma_gpu_bo_write(src, 0, in, K64) == 0);
	REQUIRE(pdma_gpu_copy(e->gpu, dst, 4096, src, 0, K64 - 4096, NULL,
			      &f) == 0);
	CHECK(pdma_fence_is_signaled(f));
	CHECK_EQ_INT(pdma_fence_get_status(f), 1);
	pdma_fence_put(f);
	REQUIRE(pdma_gpu_bo_read(dst, 4096, got, K64 - 4096) == 0);
	CHECK(is_pattern(got, K64 - 4096, seed));
}

static void test_copy(void)
{
	struct pdma_gpu_bo *a, *b, *inv;
	struct pdma_gpu_stats gs;
	struct pdma_fence *f, *f2;
	struct pdma_dmabuf *buf;
	struct genv e;

	genv_setup(&e, 4 << 20, 1 << 20);
	REQUIRE(pdma_gpu_bo_create(e.gpu, K64, 0, &a) == 0);
	REQUIRE(pdma_gpu_bo_create(e.gpu, K64, 0, &b) == 0);
	REQUIRE(pdma_gpu_bo_create(e.gpu, K64, PDMA_GPU_BO_INVISIBLE,
				   &inv) == 0);
	CHECK_EQ_INT(pdma_gpu_bo_place(inv), PDMA_GPU_INVISIBLE);
	check_copy(&e, b, a, 3);		/* VRAM -> VRAM */
	REQUIRE(pdma_gpu_bo_evict(a) == 0);
	CHECK_EQ_INT(pdma_gpu_bo_place(a), PDMA_GPU_SYSTEM);
	check_copy(&e, b, a, 4);		/* RAM -> VRAM */
	check_copy(&e, a, b, 5);		/* VRAM -> RAM */
	check_copy(&e, inv, a, 6);		/* RAM -> invisible */
	check_copy(&e, b, inv, 7);		/* invisible -> VRAM */
	check_copy(&e, inv, inv, 8);		/* within invisible */

	/* The copy's fence sits in both resvs; a later copy may wait on it. */
	REQUIRE(pdma_gpu_copy(e.gpu, a, 0, b, 0, 4096, NULL, &f) == 0);
	REQUIRE(pdma_gpu_bo_export(a, &buf) == 0);
	CHECK(pdma_resv_test_signaled(pdma_dmabuf_resv(buf),
				      PDMA_RESV_USAGE_BOOKKEEP));
	REQUIRE(pdma_gpu_copy(e.gpu, b, 0, a, 0, 4096, f, &f2) == 0);
	CHECK(pdma_fence_is_later(f2, f));
	pdma_fence_put(f);
	pdma_fence_put(f2);
	pdma_dmabuf_put(buf);

	/* Bad ranges never reach the engine. */
	CHECK_EQ_INT(pdma_gpu_copy(e.gpu, a, K64, b, 0, 1, NULL, &f), -EINVAL);
	CHECK(f == NULL);
	CHECK_EQ_INT(pdma_gpu_copy(e.gpu, a, 0, b, 1, K64, NULL, NULL),
		     -EINVAL);
	CHECK_EQ_INT(pdma_gpu_copy(e.gpu, a, 0, b, 0, 0, NULL, NULL),
		     -EINVAL);
	CHECK_EQ_INT(pdma_gpu_copy(e.gpu, a, UINT64_MAX, b, 0, 2, NULL,
				   NULL), -EINVAL);
	pdma_gpu_stats(e.gpu, &gs);
	CHECK_EQ_INT(gs.copies, 8);
	CHECK_EQ_INT(gs.copy_bytes, 6 * (K64 - 4096) + 2 * 4096);
	CHECK_EQ_INT(gs.evictions, 0);		/* evict() is not pressure */
	pdma_gpu_bo_put(a);
	pdma_gpu_bo_put(b);
	pdma_gpu_bo_put(inv);
	genv_teardown(&e);
}

/* VRAM of 1 MiB: four 256 KiB BOs fill it; the fifth evicts the coldest. */
static void test_eviction(void)
{
	static unsigned char in[K256], got[K256];
	struct pdma_gpu_bo *bo[5];
	struct pdma_dmabuf_attachment *a;
	struct pdma_gpu_stats gs;
	struct pdma_dmabuf *buf;
	struct pdma_sgt *sgt;
	struct imp im = { 0 };
	struct genv e;

	genv_setup(&e, 1 << 20, 0);
	for (int i = 0; i < 4; i++)
		REQUIRE(pdma_gpu_bo_create(e.gpu, K256, 0, &bo[i]) == 0);
	pattern(in, K256, 9);
	REQUIRE(pdma_gpu_bo_write(bo[0], 0, in, K256) == 0);
	REQUIRE(pdma_gpu_bo_export(bo[0], &buf) == 0);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic1, &imp_ops, &im,
					   &a) == 0);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(a, PDMA_TO_DEVICE,
						    &sgt) == 0);
	REQUIRE(sg_dma(&e, e.nic1, sgt, got, K256, PDMA_DMA_READ) == 0);
	CHECK(is_pattern(got, K256, 9));
	for (int i = 1; i < 4; i++)		/* bo[0] becomes the coldest */
		REQUIRE(pdma_gpu_bo_write(bo[i], 0, in, 16) == 0);

	REQUIRE(pdma_gpu_bo_create(e.gpu, K256, 0, &bo[4]) == 0);
	CHECK_EQ_INT(pdma_gpu_bo_place(bo[0]), PDMA_GPU_SYSTEM);
	for (int i = 1; i < 5; i++)
		CHECK_EQ_INT(pdma_gpu_bo_place(bo[i]), PDMA_GPU_VISIBLE);
	CHECK_EQ_INT(im.notified, 1);
	pdma_gpu_stats(e.gpu, &gs);
	CHECK_EQ_INT(gs.evictions, 1);
	/* The importer's old bus addresses now reach the new BO (it took
	 * the freed VRAM): zeros, not bo[0]'s bytes.  Hence move_notify. */
	REQUIRE(sg_dma(&e, e.nic1, sgt, got, 64, PDMA_DMA_READ) == 0);
	for (int i = 0; i < 64; i++)
		CHECK_EQ_INT(got[i], 0);
	pdma_dmabuf_unmap_attachment_unlocked(a, sgt, PDMA_TO_DEVICE);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(a, PDMA_TO_DEVICE,
						    &sgt) == 0);
	memset(got, 0, sizeof(got));
	REQUIRE(sg_dma(&e, e.nic1, sgt, got, K256, PDMA_DMA_READ) == 0);
	CHECK(is_pattern(got, K256, 9));	/* intact in RAM */
	pdma_dmabuf_unmap_attachment_unlocked(a, sgt, PDMA_TO_DEVICE);

	/* Back into VRAM: evicts the next coldest (bo[1]); notified again. */
	REQUIRE(pdma_gpu_bo_restore(bo[0]) == 0);
	CHECK_EQ_INT(pdma_gpu_bo_place(bo[0]), PDMA_GPU_VISIBLE);
	CHECK_EQ_INT(pdma_gpu_bo_place(bo[1]), PDMA_GPU_SYSTEM);
	CHECK_EQ_INT(im.notified, 2);
	REQUIRE(pdma_gpu_bo_read(bo[0], 0, got, K256) == 0);
	CHECK(is_pattern(got, K256, 9));
	pdma_dmabuf_detach(buf, a);
	pdma_dmabuf_put(buf);
	for (int i = 0; i < 5; i++)
		pdma_gpu_bo_put(bo[i]);
	genv_teardown(&e);
}

static void test_pinned(void)
{
	struct pdma_dmabuf_attachment *a;
	struct pdma_gpu_bo *bo[5];
	struct pdma_dmabuf *buf;
	struct pdma_resv *resv;
	struct imp im = { 0 };
	struct genv e;

	genv_setup(&e, 1 << 20, 0);
	for (int i = 0; i < 4; i++)
		REQUIRE(pdma_gpu_bo_create(e.gpu, K256, 0, &bo[i]) == 0);
	for (int i = 0; i < 3; i++)
		REQUIRE(pdma_gpu_bo_pin(bo[i]) == 0);
	/* The fourth is pinned by an importer, not by the GPU. */
	REQUIRE(pdma_gpu_bo_export(bo[3], &buf) == 0);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic0, &imp_ops, &im,
					   &a) == 0);
	resv = pdma_dmabuf_resv(buf);
	pdma_resv_lock(resv, NULL);
	REQUIRE(pdma_dmabuf_pin(a) == 0);
	pdma_resv_unlock(resv);

	CHECK_EQ_INT(pdma_gpu_bo_create(e.gpu, K256, 0, &bo[4]), -ENOSPC);
	CHECK(bo[4] == NULL);
	CHECK_EQ_INT(pdma_gpu_bo_evict(bo[0]), -EBUSY);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(pdma_gpu_bo_place(bo[i]), PDMA_GPU_VISIBLE);
	CHECK_EQ_INT(im.notified, 0);

	pdma_gpu_bo_unpin(bo[1]);
	REQUIRE(pdma_gpu_bo_create(e.gpu, K256, 0, &bo[4]) == 0);
	CHECK_EQ_INT(pdma_gpu_bo_place(bo[1]), PDMA_GPU_SYSTEM);
	CHECK_EQ_INT(pdma_gpu_bo_place(bo[3]), PDMA_GPU_VISIBLE);

	pdma_resv_lock(resv, NULL);
	pdma_dmabuf_unpin(a);
	pdma_resv_unlock(resv);
	pdma_gpu_bo_unpin(bo[0]);
	pdma_gpu_bo_unpin(bo[2]);
	pdma_dmabuf_detach(buf, a);
	pdma_dmabuf_put(buf);
	for (int i = 0; i < 5; i++)
		pdma_gpu_bo_put(bo[i]);
	genv_teardown(&e);
}

/* A 1 MiB window over 2 MiB of VRAM. */
static void test_visible_window(void)
{
	static unsigned char in[K256], got[K256];
	struct pdma_dmabuf_attachment *a;
	struct pdma_gpu_bo *vis[4], *inv;
	struct pdma_gpu_stats gs;
	struct pdma_dmabuf *buf;
	struct pdma_sgt *sgt;
	struct imp im = { 0 };
	struct genv e;

	genv_setup(&e, 1 << 20, 1 << 20);
	REQUIRE(pdma_gpu_bo_create(e.gpu, K256, PDMA_GPU_BO_INVISIBLE,
				   &inv) == 0);
	CHECK_EQ_INT(pdma_gpu_bo_place(inv), PDMA_GPU_INVISIBLE);
	pattern(in, K256, 11);
	REQUIRE(pdma_gpu_bo_write(inv, 0, in, K256) == 0);
	for (int i = 0; i < 4; i++) {
		REQUIRE(pdma_gpu_bo_create(e.gpu, K256, 0, &vis[i]) == 0);
		REQUIRE(pdma_gpu_bo_pin(vis[i]) == 0);
	}
	/* No room in the window: export is refused, the BO stays put. */
	CHECK_EQ_INT(pdma_gpu_bo_export(inv, &buf), -ENOSPC);
	CHECK(buf == NULL);
	CHECK_EQ_INT(pdma_gpu_bo_place(inv), PDMA_GPU_INVISIBLE);

	pdma_gpu_bo_unpin(vis[2]);
	REQUIRE(pdma_gpu_bo_export(inv, &buf) == 0);
	CHECK_EQ_INT(pdma_gpu_bo_place(inv), PDMA_GPU_VISIBLE);
	CHECK_EQ_INT(pdma_gpu_bo_place(vis[2]), PDMA_GPU_SYSTEM);
	pdma_gpu_stats(e.gpu, &gs);
	CHECK_EQ_INT(gs.window_moves, 1);
	CHECK_EQ_INT(gs.evictions, 1);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic2, &imp_ops, &im,
					   &a) == 0);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(a, PDMA_TO_DEVICE,
						    &sgt) == 0);
	REQUIRE(sg_dma(&e, e.nic2, sgt, got, K256, PDMA_DMA_READ) == 0);
	CHECK(is_pattern(got, K256, 11));
	pdma_dmabuf_unmap_attachment_unlocked(a, sgt, PDMA_TO_DEVICE);
	pdma_dmabuf_detach(buf, a);
	pdma_dmabuf_put(buf);
	for (int i = 0; i < 4; i++) {
		if (i != 2)
			pdma_gpu_bo_unpin(vis[i]);
		pdma_gpu_bo_put(vis[i]);
	}
	pdma_gpu_bo_put(inv);
	genv_teardown(&e);
}

int main(void)
{
	test_export_p2p();
	test_copy();
	test_eviction();
	test_pinned();
	test_visible_window();
	return harness_exit();
}
