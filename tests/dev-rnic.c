/* SPDX-License-Identifier: MIT */
/*
 * The emulated RDMA NIC (machine in dev-gpu-env.h): WRITE and READ between
 * RAM on two platforms (two hosts, a wire of 100 Gb/s: bytes, chunks and
 * modeled time); into GPU VRAM through a dynamic dma-buf MR while the GPU
 * evicts and restores the buffer (invalidation, re-fault, bytes right,
 * peer-to-peer while in VRAM); a pinned dma-buf MR (the exporter refuses
 * the move, -EBUSY); a p2pmem MR on another device's BAR; every key,
 * bounds and permission error as a completion, with nothing written.
 */
#include <peerdma/rnic.h>

#include "dev-gpu-env.h"

#define M1 (1u << 20)
#define K256 (256u << 10)

static const unsigned ALL = PDMA_RNIC_LOCAL_WRITE | PDMA_RNIC_REMOTE_WRITE |
			    PDMA_RNIC_REMOTE_READ;

static void test_two_hosts(void)
{
	const uint64_t len = M1 + 123;
	struct pdma_rnic_mr *src, *back, *dst;
	struct pdma_platform_stats st;
	struct pdma_rnic *a, *b;
	struct pdma_wire_stats ws;
	struct pdma_rnic_stats ns;
	struct pdma_rnic_wc wc;
	struct pdma_wire *w;
	unsigned char *ps, *pb, *pd;
	uint64_t s, bk, d;
	struct genv h1, h2;

	genv_setup(&h1, 1 << 20, 0);
	genv_setup(&h2, 1 << 20, 0);
	ps = genv_alloc(&h1, len, &s);
	pb = genv_alloc(&h1, len, &bk);
	pd = genv_alloc(&h2, len, &d);
	pattern(ps, len, 21);
	REQUIRE(pdma_wire_create(100, &w) == 0);
	REQUIRE(pdma_rnic_create(h1.plat, h1.d, h1.nic0, &a) == 0);
	REQUIRE(pdma_rnic_create(h2.plat, h2.d, h2.nic2, &b) == 0);
	REQUIRE(pdma_rnic_connect(a, b, w) == 0);
	REQUIRE(pdma_rnic_reg_phys(a, s, len, 0, &src) == 0);
	REQUIRE(pdma_rnic_reg_phys(a, bk, len, PDMA_RNIC_LOCAL_WRITE,
				   &back) == 0);
	REQUIRE(pdma_rnic_reg_phys(b, d, len, ALL, &dst) == 0);
	CHECK_EQ_INT(pdma_rnic_mr_len(dst), len);

	pdma_platform_reset_stats(h2.plat);
	CHECK_EQ_INT(pdma_rnic_write(a, pdma_rnic_mr_lkey(src), 0,
				     pdma_rnic_mr_rkey(dst), 0, len, &wc), 0);
	CHECK_EQ_INT(wc.status, 0);
	CHECK_EQ_INT(wc.opcode, PDMA_RNIC_WRITE);
	CHECK_EQ_INT(wc.bytes, len);
	CHECK(is_pattern(pd, len, 21));
	pdma_platform_stats(h2.plat, &st);
	CHECK_EQ_INT(st.ram_bytes, len);	/* landed in host 2's RAM */

	CHECK_EQ_INT(pdma_rnic_read(a, pdma_rnic_mr_lkey(back), 0,
				    pdma_rnic_mr_rkey(dst), 0, len, &wc), 0);
	CHECK_EQ_INT(wc.opcode, PDMA_RNIC_READ);
	CHECK_EQ_INT(wc.bytes, len);
	CHECK(is_pattern(pb, len, 21));
	/* A part, at offsets. */
	memset(pb, 0, len);
	CHECK_EQ_INT(pdma_rnic_read(a, pdma_rnic_mr_lkey(back), 7,
				    pdma_rnic_mr_rkey(dst), 5000, 9000, &wc),
		     0);
	for (int i = 0; i < 9000; i++)
		CHECK_EQ_INT(pb[7 + i], pd[5000 + i]);
	CHECK_EQ_INT(pb[6], 0);
	CHECK_EQ_INT(pb[7 + 9000], 0);

	pdma_wire_stats(w, &ws);
	CHECK_EQ_INT(ws.bytes, 2 * len + 9000);
	CHECK_EQ_INT(ws.messages, 2 * ((len + PDMA_RNIC_CHUNK - 1) /
				       PDMA_RNIC_CHUNK) + 1);
	CHECK(ws.seconds > 0.999 * (double)ws.bytes * 8 / 100e9 &&
	      ws.seconds < 1.001 * (double)ws.bytes * 8 / 100e9);
	pdma_rnic_stats(a, &ns);
	CHECK_EQ_INT(ns.tx_bytes, len);
	CHECK_EQ_INT(ns.rx_bytes, len + 9000);
	CHECK_EQ_INT(ns.errors, 0);

	pdma_rnic_dereg(src);
	pdma_rnic_dereg(back);
	pdma_rnic_dereg(dst);
	pdma_rnic_destroy(a);
	pdma_rnic_destroy(b);
	pdma_wire_destroy(w);
	genv_teardown(&h1);
	genv_teardown(&h2);
}

struct pair {
	struct genv e;
	struct pdma_wire *w;
	struct pdma_rnic *a, *b;	/* a on NIC0 (RAM), b on NIC1 */
	struct pdma_rnic_mr *ram;
	unsigned char *p;
	uint64_t phys;
};

static void pair_setup(struct pair *q, uint64_t vram)
{
	genv_setup(&q->e, vram, 0);
	q->p = genv_alloc(&q->e, K256, &q->phys);
	REQUIRE(pdma_wire_create(200, &q->w) == 0);
	REQUIRE(pdma_rnic_create(q->e.plat, q->e.d, q->e.nic0, &q->a) == 0);
	REQUIRE(pdma_rnic_create(q->e.plat, q->e.d, q->e.nic1, &q->b) == 0);
	REQUIRE(pdma_rnic_connect(q->a, q->b, q->w) == 0);
	REQUIRE(pdma_rnic_reg_phys(q->a, q->phys, K256, ALL, &q->ram) == 0);
}

static void pair_teardown(struct pair *q)
{
	pdma_rnic_dereg(q->ram);
	pdma_rnic_destroy(q->a);
	pdma_rnic_destroy(q->b);
	pdma_wire_destroy(q->w);
	genv_teardown(&q->e);
}

/* a writes its RAM (pattern @seed) to b's @mr, reads it back, checks. */
static void round_trip(struct pair *q, struct pdma_gpu_bo *bo,
		       struct pdma_rnic_mr *mr, unsigned seed)
{
	static unsigned char got[K256];

	pattern(q->p, K256, seed);
	CHECK_EQ_INT(pdma_rnic_write(q->a, pdma_rnic_mr_lkey(q->ram), 0,
				     pdma_rnic_mr_rkey(mr), 0, K256, NULL), 0);
	REQUIRE(pdma_gpu_bo_read(bo, 0, got, K256) == 0);
	CHECK(is_pattern(got, K256, seed));
	memset(q->p, 0, K256);
	CHECK_EQ_INT(pdma_rnic_read(q->a, pdma_rnic_mr_lkey(q->ram), 0,
				    pdma_rnic_mr_rkey(mr), 0, K256, NULL), 0);
	CHECK(is_pattern(q->p, K256, seed));
}

static void test_gpu_dynamic(void)
{
	struct pdma_platform_stats st;
	struct pdma_rnic_stats ns;
	struct pdma_rnic_mr *mr;
	struct pdma_dmabuf *buf;
	struct pdma_gpu_bo *bo;
	struct pair q;

	pair_setup(&q, 1 << 20);
	REQUIRE(pdma_gpu_bo_create(q.e.gpu, K256, 0, &bo) == 0);
	REQUIRE(pdma_gpu_bo_export(bo, &buf) == 0);
	REQUIRE(pdma_rnic_reg_dmabuf(q.b, buf, ALL, 0, &mr) == 0);
	pdma_platform_reset_stats(q.e.plat);
	round_trip(&q, bo, mr, 31);
	pdma_platform_stats(q.e.plat, &st);
	CHECK_EQ_INT(st.switch_p2p_bytes, 2 * K256);	/* NIC1 <-> VRAM */
	pdma_rnic_stats(q.b, &ns);
	CHECK_EQ_INT(ns.faults, 1);		/* first touch */
	CHECK_EQ_INT(ns.invalidations, 0);

	REQUIRE(pdma_gpu_bo_evict(bo) == 0);
	CHECK_EQ_INT(pdma_gpu_bo_place(bo), PDMA_GPU_SYSTEM);
	pdma_rnic_stats(q.b, &ns);
	CHECK_EQ_INT(ns.invalidations, 1);
	pdma_platform_reset_stats(q.e.plat);
	round_trip(&q, bo, mr, 32);
	pdma_platform_stats(q.e.plat, &st);
	CHECK_EQ_INT(st.switch_p2p_bytes, 0);	/* in RAM now */
	pdma_rnic_stats(q.b, &ns);
	CHECK_EQ_INT(ns.faults, 2);

	REQUIRE(pdma_gpu_bo_restore(bo) == 0);
	round_trip(&q, bo, mr, 33);
	pdma_rnic_stats(q.b, &ns);
	CHECK_EQ_INT(ns.faults, 3);
	CHECK_EQ_INT(ns.invalidations, 2);

	/* Revoked: completions fail -ENODEV, nothing crashes. */
	REQUIRE(pdma_dmabuf_revoke(buf) == 0);
	CHECK_EQ_INT(pdma_rnic_write(q.a, pdma_rnic_mr_lkey(q.ram), 0,
				     pdma_rnic_mr_rkey(mr), 0, 64, NULL),
		     -ENODEV);
	pdma_rnic_dereg(mr);
	pdma_dmabuf_put(buf);
	pdma_gpu_bo_put(bo);
	pair_teardown(&q);
}

static void test_gpu_pinned(void)
{
	struct pdma_rnic_stats ns;
	struct pdma_rnic_mr *mr;
	struct pdma_dmabuf *buf;
	struct pdma_gpu_bo *bo;
	struct pair q;

	pair_setup(&q, 1 << 20);
	REQUIRE(pdma_gpu_bo_create(q.e.gpu, K256, 0, &bo) == 0);
	REQUIRE(pdma_gpu_bo_export(bo, &buf) == 0);
	REQUIRE(pdma_rnic_reg_dmabuf(q.b, buf, ALL, PDMA_RNIC_MR_PINNED,
				     &mr) == 0);
	round_trip(&q, bo, mr, 41);
	CHECK_EQ_INT(pdma_gpu_bo_evict(bo), -EBUSY);
	CHECK_EQ_INT(pdma_dmabuf_exporter_move(buf, PDMA_DMABUF_RAM), -EBUSY);
	CHECK_EQ_INT(pdma_gpu_bo_place(bo), PDMA_GPU_VISIBLE);
	round_trip(&q, bo, mr, 42);
	pdma_rnic_stats(q.b, &ns);
	CHECK_EQ_INT(ns.faults, 0);		/* mapped once, at reg */
	CHECK_EQ_INT(ns.invalidations, 0);
	pdma_rnic_dereg(mr);
	CHECK_EQ_INT(pdma_gpu_bo_evict(bo), 0);	/* unpinned by dereg */
	pdma_dmabuf_put(buf);
	pdma_gpu_bo_put(bo);
	pair_teardown(&q);
}

/* NIC2 (across the host bridge) writes into p2pmem in NIC0's BAR2 through
 * an MR of NIC1 (a BUS_ADDR peer of NIC0). */
static void test_p2pmem(void)
{
	struct pdma_p2pmem_provider *prov;
	struct pdma_platform_stats st;
	struct pdma_rnic_mr *src, *mr;
	struct pdma_rnic *c, *b;
	struct pdma_wire *w;
	unsigned char *ps, *ptr;
	uint64_t s;
	struct genv e;

	genv_setup(&e, 1 << 20, 0);
	REQUIRE(pdma_platform_p2pmem_provider(e.plat, e.nic0, 2, &prov) == 0);
	REQUIRE(pdma_p2pmem_add_resource(prov, 2, 0, 0) == 0);
	REQUIRE(pdma_p2pmem_alloc(prov, K256, (void **)&ptr) == 0);
	ps = genv_alloc(&e, K256, &s);
	pattern(ps, K256, 51);
	REQUIRE(pdma_wire_create(25, &w) == 0);
	REQUIRE(pdma_rnic_create(e.plat, e.d, e.nic2, &c) == 0);
	REQUIRE(pdma_rnic_create(e.plat, e.d, e.nic1, &b) == 0);
	REQUIRE(pdma_rnic_connect(c, b, w) == 0);
	REQUIRE(pdma_rnic_reg_phys(c, s, K256, ALL, &src) == 0);
	REQUIRE(pdma_rnic_reg_p2pmem(b, prov, ptr, K256, ALL, &mr) == 0);
	pdma_platform_reset_stats(e.plat);
	CHECK_EQ_INT(pdma_rnic_write(c, pdma_rnic_mr_lkey(src), 0,
				     pdma_rnic_mr_rkey(mr), 0, K256, NULL), 0);
	CHECK(is_pattern(ptr, K256, 51));
	pdma_platform_stats(e.plat, &st);
	CHECK_EQ_INT(st.switch_p2p_bytes, K256);
	memset(ps, 0, K256);
	CHECK_EQ_INT(pdma_rnic_read(c, pdma_rnic_mr_lkey(src), 0,
				    pdma_rnic_mr_rkey(mr), 0, K256, NULL), 0);
	CHECK(is_pattern(ps, K256, 51));
	/* Outside any allocation: refused at registration. */
	{
		struct pdma_rnic_mr *bad = mr;

		CHECK_EQ_INT(pdma_rnic_reg_p2pmem(b, prov, ptr + K256, 4096,
						  ALL, &bad), -EFAULT);
		CHECK(bad == NULL);
	}
	pdma_rnic_dereg(src);
	pdma_rnic_dereg(mr);
	CHECK_EQ_INT(pdma_p2pmem_free(prov, ptr, K256), 0);
	pdma_p2pmem_provider_put(prov);
	pdma_rnic_destroy(c);
	pdma_rnic_destroy(b);
	pdma_wire_destroy(w);
	genv_teardown(&e);
}

static void test_errors(void)
{
	struct pdma_rnic_mr *ro, *dst, *nolocal, *tmp;
	struct pdma_rnic *lone;
	struct pdma_rnic_stats ns;
	struct pdma_rnic_wc wc;
	unsigned char *pd;
	uint64_t d;
	uint32_t lk, rk;
	struct pair q;

	pair_setup(&q, 1 << 20);
	pd = genv_alloc(&q.e, 8192, &d);
	lk = pdma_rnic_mr_lkey(q.ram);
	REQUIRE(pdma_rnic_reg_phys(q.b, d, 4096, PDMA_RNIC_REMOTE_READ,
				   &ro) == 0);
	REQUIRE(pdma_rnic_reg_phys(q.b, d + 4096, 4096, ALL, &dst) == 0);
	REQUIRE(pdma_rnic_reg_phys(q.a, q.phys, 4096,
				   PDMA_RNIC_REMOTE_READ, &nolocal) == 0);
	rk = pdma_rnic_mr_rkey(dst);
	pattern(q.p, 8192, 61);

#define W(l, lo, r, ro_, n) pdma_rnic_write(q.a, l, lo, r, ro_, n, &wc)
#define R(l, lo, r, ro_, n) pdma_rnic_read(q.a, l, lo, r, ro_, n, &wc)
	CHECK_EQ_INT(W(lk ^ 0x1, 0, rk, 0, 64), -EINVAL);	/* bad lkey */
	CHECK_EQ_INT(wc.status, -EINVAL);
	CHECK_EQ_INT(wc.bytes, 0);
	CHECK_EQ_INT(W(0, 0, rk, 0, 64), -EINVAL);
	CHECK_EQ_INT(W(rk, 0, rk, 0, 64), -EINVAL);	/* b's key on a */
	CHECK_EQ_INT(W(lk, 0, rk ^ 0x100, 0, 64), -EACCES);	/* bad rkey */
	CHECK_EQ_INT(W(lk, 0, 0xffffffffu, 0, 64), -EACCES);
	CHECK_EQ_INT(W(lk, K256 - 8, rk, 0, 16), -EINVAL);	/* local OOB */
	CHECK_EQ_INT(W(lk, UINT64_MAX, rk, 0, 2), -EINVAL);
	CHECK_EQ_INT(W(lk, 0, rk, 4090, 16), -EACCES);	/* remote OOB */
	CHECK_EQ_INT(W(lk, 0, rk, UINT64_MAX, 2), -EACCES);
	CHECK_EQ_INT(W(lk, 0, pdma_rnic_mr_rkey(ro), 0, 64), -EACCES);
	CHECK_EQ_INT(R(pdma_rnic_mr_lkey(nolocal), 0, rk, 0, 64), -EINVAL);
	for (int i = 0; i < 8192; i++)
		CHECK_EQ_INT(pd[i], 0);			/* nothing landed */

	/* What is allowed works; a zero-length write moves nothing. */
	CHECK_EQ_INT(W(lk, 0, rk, 0, 4096), 0);
	CHECK(is_pattern(pd + 4096, 4096, 61));
	CHECK_EQ_INT(R(lk, 0, pdma_rnic_mr_rkey(ro), 0, 4096), 0);
	CHECK_EQ_INT(W(lk, 0, rk, 4096, 0), 0);
	CHECK_EQ_INT(wc.bytes, 0);

	/* A deregistered key is dead at once; the slot's next key differs. */
	pdma_rnic_dereg(dst);
	CHECK_EQ_INT(W(lk, 0, rk, 0, 64), -EACCES);
	REQUIRE(pdma_rnic_reg_phys(q.b, d + 4096, 4096, ALL, &tmp) == 0);
	CHECK(pdma_rnic_mr_rkey(tmp) != rk);
	CHECK_EQ_INT(W(lk, 0, rk, 0, 64), -EACCES);
	pdma_rnic_dereg(tmp);
#undef W
#undef R
	pdma_rnic_stats(q.a, &ns);
	CHECK_EQ_INT(ns.errors, 13);

	/* Registration and connection errors. */
	CHECK_EQ_INT(pdma_rnic_reg_phys(q.a, q.phys, 0, ALL, &tmp), -EINVAL);
	CHECK_EQ_INT(pdma_rnic_reg_phys(q.a, q.phys, 64, 0x80, &tmp), -EINVAL);
	CHECK_EQ_INT(pdma_rnic_reg_phys(q.a, UINT64_MAX - 4, 64, ALL, &tmp),
		     -EINVAL);
	CHECK_EQ_INT(pdma_rnic_reg_phys(q.a, 1ull << 50, 4096, ALL, &tmp),
		     -EINVAL);
	CHECK(tmp == NULL);
	CHECK_EQ_INT(pdma_rnic_create(q.e.plat, q.e.d, 999, &lone), -EINVAL);
	REQUIRE(pdma_rnic_create(q.e.plat, q.e.d, q.e.nic2, &lone) == 0);
	CHECK_EQ_INT(pdma_rnic_write(lone, 1, 0, 1, 0, 1, &wc), -ENOTCONN);
	CHECK_EQ_INT(pdma_rnic_connect(lone, lone, q.w), -EINVAL);
	pdma_rnic_destroy(lone);
	{
		struct pdma_wire *w2 = (struct pdma_wire *)&q;

		CHECK_EQ_INT(pdma_wire_create(0, &w2), -EINVAL);
		CHECK(w2 == NULL);
		CHECK_EQ_INT(pdma_wire_create(-1, &w2), -EINVAL);
	}
	pdma_rnic_dereg(ro);
	pdma_rnic_dereg(nolocal);
	pair_teardown(&q);
}

int main(void)
{
	test_two_hosts();
	test_gpu_dynamic();
	test_gpu_pinned();
	test_p2pmem();
	test_errors();
	return harness_exit();
}
