/* SPDX-License-Identifier: MIT */
/*
 * The reference exporter's peer-to-peer decisions and tables (machine in
 * dmabuf-env.h): a BUS_ADDR importer gets VRAM bus addresses, a
 * THRU_HOST_BRIDGE importer an IOVA of the BAR, a NOT_SUPPORTED or
 * non-P2P importer gets the buffer migrated to RAM (-EBUSY while pinned in
 * VRAM); every table is checked by DMA through the fabric.  move_notify
 * reaches dynamic importers only; static importers are pinned on map;
 * revoke makes maps fail -ENODEV and the BAR guard refuse DMA; map without
 * the lock aborts in debug builds.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "dmabuf-env.h"
#include "fence-mock.h"

#define SZ (64 << 10)

struct imp {
	int notified;
};

static void on_move(struct pdma_dmabuf_attachment *a)
{
	struct imp *im = a->importer_priv;

	CHECK(pdma_resv_held(pdma_dmabuf_resv(a->dmabuf)));
	im->notified++;
}

static const struct pdma_dmabuf_importer_ops p2p_ops = { true, on_move };
static const struct pdma_dmabuf_importer_ops nop2p_ops = { false, on_move };

static void fill(struct pdma_dmabuf *buf, unsigned seed)
{
	struct pdma_resv *resv = pdma_dmabuf_resv(buf);
	unsigned char *p;

	REQUIRE(pdma_dmabuf_begin_cpu_access(buf, PDMA_TO_DEVICE) == 0);
	pdma_resv_lock(resv, NULL);
	REQUIRE(pdma_dmabuf_vmap(buf, (void **)&p) == 0);
	for (int i = 0; i < SZ; i++)
		p[i] = (unsigned char)(i * 7 + seed);
	pdma_dmabuf_vunmap(buf, p);
	pdma_resv_unlock(resv);
	pdma_dmabuf_end_cpu_access(buf, PDMA_TO_DEVICE);
}

/* @dev reads the whole buffer through @sgt and finds the pattern. */
static bool reads_pattern(struct denv *e, int dev, struct pdma_sgt *sgt,
			  unsigned seed)
{
	static unsigned char got[SZ];
	int ret = denv_dma(e, dev, sgt, 0, got, SZ, PDMA_DMA_READ);

	if (ret) {
		fprintf(stderr, "  DMA read by %d failed: %d\n", dev, ret);
		return false;
	}
	for (int i = 0; i < SZ; i++)
		if (got[i] != (unsigned char)(i * 7 + seed))
			return false;
	return true;
}

static int where(struct pdma_dmabuf *buf)
{
	struct pdma_dmabuf_where w;

	REQUIRE(pdma_dmabuf_exporter_where(buf, &w) == 0);
	return w.where;
}

static void test_bus_addr_and_host_bridge(void)
{
	struct pdma_dmabuf_attachment *nic, *nvme;
	struct pdma_platform_stats st;
	struct pdma_dmabuf_where w;
	struct pdma_bar_map bm;
	struct pdma_dmabuf *buf;
	struct pdma_sgt *sgt;
	struct imp i1 = { 0 }, i2 = { 0 };
	struct denv e;

	denv_setup(&e, true);
	REQUIRE(pdma_platform_bar(e.plat, e.gpu, 0, &bm) == 0);
	REQUIRE(pdma_dmabuf_exporter_alloc(e.x, SZ, PDMA_DMABUF_VRAM, &buf) == 0);
	fill(buf, 1);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic, &p2p_ops, &i1, &nic) == 0);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nvme, &p2p_ops, &i2,
					   &nvme) == 0);
	CHECK(nic->peer2peer);
	CHECK(nvme->peer2peer);		/* AMD: THRU_HOST_BRIDGE */

	pdma_platform_reset_stats(e.plat);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(nic, PDMA_BIDIRECTIONAL,
						     &sgt) == 0);
	REQUIRE(pdma_dmabuf_exporter_where(buf, &w) == 0);
	CHECK_EQ_INT(w.where, PDMA_DMABUF_VRAM);
	CHECK_EQ_INT(sgt->nents, 1);
	CHECK_EQ_INT(sgt->sgl[0].dma_addr, w.phys - bm.cpu_addr + bm.bus_addr);
	CHECK(sgt->sgl[0].flags & PDMA_SG_BUS_ADDR);
	CHECK(reads_pattern(&e, e.nic, sgt, 1));
	pdma_platform_stats(e.plat, &st);
	CHECK_EQ_INT(st.switch_p2p_bytes, SZ);
	CHECK_EQ_INT(st.ram_bytes, 0);
	pdma_dmabuf_unmap_attachment_unlocked(nic, sgt, PDMA_BIDIRECTIONAL);

	pdma_platform_reset_stats(e.plat);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(nvme, PDMA_TO_DEVICE,
						    &sgt) == 0);
	CHECK(!(sgt->sgl[0].flags & PDMA_SG_BUS_ADDR));	/* an IOVA */
	CHECK(reads_pattern(&e, e.nvme, sgt, 1));
	pdma_platform_stats(e.plat, &st);
	CHECK_EQ_INT(st.host_bridge_p2p_bytes, SZ);
	pdma_dmabuf_unmap_attachment_unlocked(nvme, sgt, PDMA_TO_DEVICE);
	CHECK_EQ_INT(where(buf), PDMA_DMABUF_VRAM);
	CHECK_EQ_INT(i1.notified + i2.notified, 0);

	pdma_dmabuf_detach(buf, nic);
	pdma_dmabuf_detach(buf, nvme);
	pdma_dmabuf_put(buf);
	denv_teardown(&e);
}

/* Intel: the NVMe cannot reach the GPU; a non-P2P NIC neither may. */
static void test_migrate_for_importer(void)
{
	struct pdma_dmabuf_attachment *nic, *nvme, *plain, *st;
	struct pdma_dmabuf *buf;
	struct pdma_sgt *sgt, *sgt2;
	struct imp i1 = { 0 }, i2 = { 0 }, i3 = { 0 };
	struct denv e;

	denv_setup(&e, false);
	CHECK_EQ_INT(pdma_verdict_map_type(e.fab, e.gpu, e.nvme, NULL),
		     PDMA_MAP_NOT_SUPPORTED);
	REQUIRE(pdma_dmabuf_exporter_alloc(e.x, SZ, PDMA_DMABUF_VRAM, &buf) == 0);
	fill(buf, 2);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic, &p2p_ops, &i1, &nic) == 0);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nvme, &p2p_ops, &i2,
					   &nvme) == 0);
	REQUIRE(pdma_dmabuf_attach(buf, e.gpu2, &st) == 0);
	CHECK(!nvme->peer2peer);	/* cleared by the exporter */

	REQUIRE(pdma_dmabuf_map_attachment_unlocked(nic, PDMA_TO_DEVICE,
						    &sgt) == 0);
	CHECK(reads_pattern(&e, e.nic, sgt, 2));
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(nvme, PDMA_TO_DEVICE,
						    &sgt2) == 0);
	CHECK_EQ_INT(where(buf), PDMA_DMABUF_RAM);
	CHECK_EQ_INT(i1.notified, 1);	/* the NIC's mapping went stale */
	CHECK_EQ_INT(i2.notified, 1);
	CHECK(reads_pattern(&e, e.nvme, sgt2, 2));
	/* The NIC's old bus addresses now hit freed VRAM: the guard. */
	{
		char b[64];

		CHECK_EQ_INT(denv_dma(&e, e.nic, sgt, 0, b, sizeof(b),
				      PDMA_DMA_READ), -ENODEV);
	}
	pdma_dmabuf_unmap_attachment_unlocked(nic, sgt, PDMA_TO_DEVICE);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(nic, PDMA_TO_DEVICE,
						    &sgt) == 0);
	CHECK(reads_pattern(&e, e.nic, sgt, 2));	/* RAM now */
	pdma_dmabuf_unmap_attachment_unlocked(nic, sgt, PDMA_TO_DEVICE);
	pdma_dmabuf_unmap_attachment_unlocked(nvme, sgt2, PDMA_TO_DEVICE);

	/* Back to VRAM; an importer that refuses peer memory. */
	REQUIRE(pdma_dmabuf_exporter_move(buf, PDMA_DMABUF_VRAM) == 0);
	CHECK_EQ_INT(i1.notified, 2);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic, &nop2p_ops, &i3,
					   &plain) == 0);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(plain, PDMA_TO_DEVICE,
						    &sgt) == 0);
	CHECK_EQ_INT(where(buf), PDMA_DMABUF_RAM);
	CHECK(reads_pattern(&e, e.nic, sgt, 2));
	pdma_dmabuf_unmap_attachment_unlocked(plain, sgt, PDMA_TO_DEVICE);
	pdma_dmabuf_detach(buf, plain);
	CHECK_EQ_INT(i1.notified, 3);
	CHECK_EQ_INT(i2.notified, 3);

	pdma_dmabuf_detach(buf, nic);
	pdma_dmabuf_detach(buf, nvme);
	pdma_dmabuf_detach(buf, st);
	pdma_dmabuf_put(buf);
	denv_teardown(&e);
}

/* Pins: a pinned VRAM buffer cannot go where a non-P2P importer needs. */
static void test_pinned(void)
{
	struct pdma_dmabuf_attachment *nic, *plain, *nvme, *st;
	struct pdma_dmabuf *buf;
	struct pdma_resv *resv;
	struct pdma_sgt *sgt;
	struct imp i1 = { 0 }, i2 = { 0 };
	struct pdma_dmabuf_where w;
	struct denv e;

	denv_setup(&e, false);
	REQUIRE(pdma_dmabuf_exporter_alloc(e.x, SZ, PDMA_DMABUF_VRAM, &buf) == 0);
	resv = pdma_dmabuf_resv(buf);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic, &p2p_ops, &i1, &nic) == 0);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic, &nop2p_ops, &i2,
					   &plain) == 0);
	REQUIRE(pdma_dmabuf_attach(buf, e.gpu2, &st) == 0);
	pdma_resv_lock(resv, NULL);
	CHECK_EQ_INT(pdma_dmabuf_pin(st), -EINVAL);	/* static: no pin */
	REQUIRE(pdma_dmabuf_pin(nic) == 0);
	CHECK_EQ_INT(pdma_dmabuf_map_attachment(plain, PDMA_TO_DEVICE, &sgt),
		     -EBUSY);
	CHECK(sgt == NULL);
	/* The static importer's pin on map fails the same way. */
	CHECK_EQ_INT(pdma_dmabuf_map_attachment(st, PDMA_TO_DEVICE, &sgt),
		     -EBUSY);
	CHECK_EQ_INT(pdma_dmabuf_exporter_move_locked(buf, PDMA_DMABUF_RAM),
		     -EBUSY);
	pdma_resv_unlock(resv);
	/* An importer that cannot reach VRAM cannot even attach now. */
	CHECK_EQ_INT(pdma_dmabuf_dynamic_attach(buf, e.nvme, &p2p_ops, NULL,
						&nvme), -EBUSY);
	pdma_resv_lock(resv, NULL);
	pdma_dmabuf_unpin(nic);
	/* Static importer: pinned (in RAM, it is not P2P) while mapped. */
	REQUIRE(pdma_dmabuf_map_attachment(st, PDMA_TO_DEVICE, &sgt) == 0);
	REQUIRE(pdma_dmabuf_exporter_where(buf, &w) == 0);
	CHECK_EQ_INT(w.where, PDMA_DMABUF_RAM);
	CHECK_EQ_INT(w.pins, 1);
	CHECK_EQ_INT(pdma_dmabuf_exporter_move_locked(buf, PDMA_DMABUF_VRAM),
		     -EBUSY);
	pdma_dmabuf_unmap_attachment(st, sgt, PDMA_TO_DEVICE);
	REQUIRE(pdma_dmabuf_exporter_where(buf, &w) == 0);
	CHECK_EQ_INT(w.pins, 0);
	CHECK_EQ_INT(pdma_dmabuf_exporter_move_locked(buf, PDMA_DMABUF_VRAM),
		     0);
	pdma_resv_unlock(resv);
	/* Dynamic importers heard of both moves; nothing else exists to
	 * tell the static one (it has no callback: it was pinned). */
	CHECK_EQ_INT(i1.notified, 2);
	CHECK_EQ_INT(i2.notified, 2);

	pdma_dmabuf_detach(buf, nic);
	pdma_dmabuf_detach(buf, plain);
	pdma_dmabuf_detach(buf, st);
	pdma_dmabuf_put(buf);
	denv_teardown(&e);
}

static void test_revoke(void)
{
	struct pdma_dmabuf_attachment *nic, *st;
	struct pdma_dmabuf *buf, *rbuf;
	struct pdma_sgt *sgt, *ssgt;
	struct imp i1 = { 0 };
	struct denv e;
	char b[256];

	denv_setup(&e, true);
	REQUIRE(pdma_dmabuf_exporter_alloc(e.x, SZ, PDMA_DMABUF_VRAM, &buf) == 0);
	fill(buf, 3);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, e.nic, &p2p_ops, &i1, &nic) == 0);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(nic, PDMA_BIDIRECTIONAL,
						    &sgt) == 0);
	CHECK(reads_pattern(&e, e.nic, sgt, 3));
	REQUIRE(pdma_dmabuf_revoke(buf) == 0);
	CHECK_EQ_INT(i1.notified, 1);
	CHECK_EQ_INT(where(buf), 0);
	CHECK_EQ_INT(denv_dma(&e, e.nic, sgt, 0, b, sizeof(b), PDMA_DMA_READ),
		     -ENODEV);
	CHECK_EQ_INT(denv_dma(&e, e.nic, sgt, 0, b, sizeof(b), PDMA_DMA_WRITE),
		     -ENODEV);
	pdma_dmabuf_unmap_attachment_unlocked(nic, sgt, PDMA_BIDIRECTIONAL);
	CHECK_EQ_INT(pdma_dmabuf_map_attachment_unlocked(nic, PDMA_TO_DEVICE,
							 &sgt), -ENODEV);
	CHECK_EQ_INT(pdma_dmabuf_exporter_move(buf, PDMA_DMABUF_RAM), -ENODEV);
	CHECK_EQ_INT(pdma_dmabuf_revoke(buf), 0);	/* idempotent */
	CHECK_EQ_INT(i1.notified, 1);
	pdma_dmabuf_detach(buf, nic);

	/* A static importer of a RAM buffer: revoke poisons, maps fail. */
	REQUIRE(pdma_dmabuf_exporter_alloc(e.x, SZ, PDMA_DMABUF_RAM, &rbuf) == 0);
	fill(rbuf, 4);
	REQUIRE(pdma_dmabuf_attach(rbuf, e.nvme, &st) == 0);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(st, PDMA_TO_DEVICE,
						    &ssgt) == 0);
	CHECK(reads_pattern(&e, e.nvme, ssgt, 4));
	REQUIRE(pdma_dmabuf_revoke(rbuf) == 0);
	CHECK(!reads_pattern(&e, e.nvme, ssgt, 4));
	pdma_dmabuf_unmap_attachment_unlocked(st, ssgt, PDMA_TO_DEVICE);
	CHECK_EQ_INT(pdma_dmabuf_map_attachment_unlocked(st, PDMA_TO_DEVICE,
							 &ssgt), -ENODEV);
	pdma_dmabuf_detach(rbuf, st);
	pdma_dmabuf_put(rbuf);
	pdma_dmabuf_put(buf);
	denv_teardown(&e);
}

/* A static importer's map waits for KERNEL fences (a clear, a move). */
struct map_arg {
	struct pdma_dmabuf_attachment *a;
	struct pdma_sgt *sgt;
	int ret;
	int done;	/* atomic */
};

static void *map_thread(void *p)
{
	struct map_arg *m = p;

	m->ret = pdma_dmabuf_map_attachment_unlocked(m->a, PDMA_TO_DEVICE,
						     &m->sgt);
	__atomic_store_n(&m->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_static_waits_kernel(void)
{
	struct pdma_dmabuf_attachment *st;
	struct pdma_dmabuf *buf;
	struct pdma_fence *f;
	struct map_arg m = { 0 };
	struct pdma_resv *resv;
	pthread_t th;
	struct denv e;

	denv_setup(&e, true);
	REQUIRE(pdma_dmabuf_exporter_alloc(e.x, SZ, PDMA_DMABUF_RAM, &buf) == 0);
	resv = pdma_dmabuf_resv(buf);
	f = mock_fence();
	pdma_resv_lock(resv, NULL);
	REQUIRE(pdma_resv_reserve_fences_locked(resv, 1) == 0);
	pdma_resv_add_fence_locked(resv, f, PDMA_RESV_USAGE_KERNEL);
	pdma_resv_unlock(resv);
	REQUIRE(pdma_dmabuf_attach(buf, e.nvme, &st) == 0);
	m.a = st;
	REQUIRE(pthread_create(&th, NULL, map_thread, &m) == 0);
	sleep_ns(50 * 1000 * 1000);
	CHECK(!__atomic_load_n(&m.done, __ATOMIC_ACQUIRE));
	pdma_fence_signal(f);
	pthread_join(th, NULL);
	CHECK_EQ_INT(m.ret, 0);
	pdma_dmabuf_unmap_attachment_unlocked(st, m.sgt, PDMA_TO_DEVICE);
	pdma_fence_put(f);
	pdma_dmabuf_detach(buf, st);
	pdma_dmabuf_put(buf);
	denv_teardown(&e);
}

static struct pdma_dmabuf_attachment *g_att;

static void map_unlocked(void *arg)
{
	struct pdma_sgt *sgt;

	(void)arg;
	pdma_dmabuf_map_attachment(g_att, PDMA_TO_DEVICE, &sgt);
}

static void begin_locked(void *arg)
{
	(void)arg;
	pdma_resv_lock(pdma_dmabuf_resv(g_att->dmabuf), NULL);
	pdma_dmabuf_begin_cpu_access(g_att->dmabuf, PDMA_TO_DEVICE);
}

static void test_lock_rules(void)
{
#ifdef NDEBUG
	harness_checks++;
	fprintf(stderr, "lock-rule aborts not checked: NDEBUG build\n");
#else
	struct pdma_dmabuf *buf;
	struct denv e;

	denv_setup(&e, true);
	REQUIRE(pdma_dmabuf_exporter_alloc(e.x, SZ, PDMA_DMABUF_RAM, &buf) == 0);
	REQUIRE(pdma_dmabuf_attach(buf, e.nvme, &g_att) == 0);
	CHECK(aborts_with(map_unlocked, NULL, "needs the reservation lock"));
	CHECK(aborts_with(begin_locked, NULL, "without the reservation lock"));
	pdma_dmabuf_detach(buf, g_att);
	pdma_dmabuf_put(buf);
	denv_teardown(&e);
#endif
}

int main(void)
{
	test_bus_addr_and_host_bridge();
	test_migrate_for_importer();
	test_pinned();
	test_revoke();
	test_static_waits_kernel();
	test_lock_rules();
	return harness_exit();
}
