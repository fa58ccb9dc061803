/* SPDX-License-Identifier: MIT */
/*
 * p2pmem on the emulated platform: an NVMe CMB published as p2pmem, used by
 * a NIC below the same switch, then hot-unplugged while the NIC's DMA engine
 * keeps writing into it.
 *
 *   rp 00:02.0 ── usp 01:00.0 ─┬─ dsp 02:00.0 ── 03:00.0 NVMe (BAR2: 1 MiB CMB)
 *                              └─ dsp 02:01.0 ── 04:00.0 NIC
 *
 * Checked: the allocation's bus address is what the DMA layer maps for the
 * NIC (BUS_ADDR); the NIC's writes land in it; pdma_p2pmem_remove() waits
 * for the allocation to be freed; from the moment it returns, every DMA into
 * the BAR fails with -ENODEV and the memory is never written again; the
 * failures are recorded as faults.  Run under ThreadSanitizer too.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tb.h"

static struct pdma_fabric *build(void)
{
	struct pdma_func_info fi;
	struct tb t;
	int rp, usp, d0, d1;

	tb_init(&t);
	tb_ep(&t, PDMA_NONE, 0, 0, 0, 0x060000);
	rp = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	usp = tb_port(&t, PDMA_PCIE_UPSTREAM, rp, 1, 0, 0, 2);
	d0 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 0, 0, 3);
	d1 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 0, 4);
	fi = tb_info(3, 0, 0);
	fi.class_code = 0x010802;
	fi.parent = d0;
	fi.bars[0] = (struct pdma_bar){ 0, 16 << 10, PDMA_BAR_MEM };
	fi.bars[2] = (struct pdma_bar){ 0, 1 << 20,
					PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH };
	tb_add(&t, &fi);
	fi = tb_info(4, 0, 0);
	fi.class_code = 0x020000;
	fi.parent = d1;
	tb_add(&t, &fi);
	return tb_done(&t);
}

struct writer {
	struct pdma_platform *plat;
	int nic;
	uint64_t bus;		/* where the NIC writes */
	atomic_bool stop;
	atomic_bool removed;	/* set once pdma_p2pmem_remove() returned */
	atomic_int ok, refused, ok_after_remove, other;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned char buf[4096];

	memset(buf, 0xab, sizeof(buf));
	while (!atomic_load(&w->stop)) {
		bool after = atomic_load(&w->removed);
		int ret = pdma_fabric_dma(w->plat, w->nic, w->bus, buf,
					  sizeof(buf), PDMA_DMA_WRITE);

		if (!ret && after)
			atomic_fetch_add(&w->ok_after_remove, 1);
		else if (!ret)
			atomic_fetch_add(&w->ok, 1);
		else if (ret == -ENODEV)
			atomic_fetch_add(&w->refused, 1);
		else
			atomic_fetch_add(&w->other, 1);
	}
	return NULL;
}

int main(void)
{
	struct pdma_fabric *fab = build();
	struct pdma_p2pmem_provider *prov;
	struct pdma_platform *plat;
	struct pdma_error err;
	struct pdma_dma *d;
	struct pdma_sgt *sgt;
	struct pdma_bar_map bm;
	struct writer w;
	struct tb_remover r;
	pthread_t wt, rt;
	int nvme = tb_idx(fab, "03:00.0"), nic = tb_idx(fab, "04:00.0");
	unsigned char *blk;
	void *ptr;

	REQUIRE(pdma_platform_create(fab, NULL, &plat, &err) == 0);
	REQUIRE(pdma_dma_create(plat, &d) == 0);
	REQUIRE(pdma_platform_bar(plat, nvme, 2, &bm) == 0);
	CHECK_EQ_INT(pdma_platform_p2pmem_provider(plat, nvme, 4, &prov), -ENOENT);
	REQUIRE(pdma_platform_p2pmem_provider(plat, nvme, 2, &prov) == 0);
	CHECK_EQ_INT(pdma_p2pmem_add_resource(prov, 2, 0, 0), 0);
	CHECK_EQ_INT(pdma_p2pmem_publish(prov, true), 0);
	CHECK(pdma_p2pmem_has_p2pmem(prov));

	/* The NIC's closest provider is the CMB. */
	{
		struct pdma_p2pmem_provider *found =
			pdma_p2pmem_find_many(fab, &prov, 1, &nic, 1, NULL);

		CHECK(found == prov);
		pdma_p2pmem_provider_put(found);
	}

	REQUIRE(pdma_p2pmem_alloc(prov, 64 << 10, &ptr) == 0);
	blk = ptr;
	CHECK(blk >= (unsigned char *)bm.mem &&
	      blk < (unsigned char *)bm.mem + bm.size);
	/* The DMA layer maps it for the NIC at its bus address. */
	REQUIRE(pdma_dma_map(d, nic,
			     &(struct pdma_phys_range){
				     pdma_p2pmem_virt_to_phys(prov, ptr), 4096 },
			     1, PDMA_BIDIRECTIONAL, &sgt) == 0);
	CHECK(sgt->sgl[0].flags & PDMA_SG_BUS_ADDR);
	CHECK_EQ_INT(sgt->sgl[0].dma_addr, pdma_p2pmem_virt_to_bus(prov, ptr));

	memset(&w, 0, sizeof(w));
	w.plat = plat;
	w.nic = nic;
	w.bus = sgt->sgl[0].dma_addr;
	pdma_dma_unmap(d, sgt);
	/* One write by hand first: the bytes land in the allocation. */
	{
		unsigned char buf[4096];

		memset(buf, 0xab, sizeof(buf));
		CHECK_EQ_INT(pdma_fabric_dma(plat, nic, w.bus, buf, sizeof(buf),
					     PDMA_DMA_WRITE), 0);
		CHECK(blk[0] == 0xab && blk[4095] == 0xab);
	}
	REQUIRE(pthread_create(&wt, NULL, writer_main, &w) == 0);
	while (atomic_load(&w.ok) < 100)
		sched_yield();

	/* Unplug: remove waits while the allocation is out. */
	memset(&r, 0, sizeof(r));
	r.prov = prov;
	REQUIRE(pthread_create(&rt, NULL, tb_remover_main, &r) == 0);
	while (atomic_load(&w.refused) == 0)
		sched_yield();
	usleep(20000);
	CHECK(!atomic_load(&r.done));	/* the allocation is still out */
	/* Revoked: the driver's free still works, and lets remove finish. */
	CHECK_EQ_INT(pdma_p2pmem_free(prov, ptr, 64 << 10), 0);
	REQUIRE(pthread_join(rt, NULL) == 0);
	CHECK_EQ_INT(r.ret, 0);
	/* From here, nothing may be written into the BAR. */
	memset(bm.mem, 0x11, 64 << 10);
	atomic_store(&w.removed, true);
	{
		int seen = atomic_load(&w.refused);

		while (atomic_load(&w.refused) < seen + 100)
			sched_yield();
	}
	atomic_store(&w.stop, true);
	REQUIRE(pthread_join(wt, NULL) == 0);

	CHECK(atomic_load(&w.ok) >= 100);
	CHECK(atomic_load(&w.refused) >= 100);
	CHECK_EQ_INT(atomic_load(&w.ok_after_remove), 0);
	CHECK_EQ_INT(atomic_load(&w.other), 0);
	for (int i = 0; i < 64 << 10; i++)
		if (((unsigned char *)bm.mem)[i] != 0x11) {
			CHECK(!"the BAR was written after the provider was removed");
			break;
		}
	CHECK(pdma_platform_fault_count(plat) >= 100);
	{
		struct pdma_fault f;

		REQUIRE(pdma_platform_fault_get(plat, 0, &f) == 0);
		CHECK_EQ_INT(f.status, PDMA_TLP_REVOKED);
		CHECK(strstr(f.text, "revoked") != NULL);
	}
	/* A removed provider gives nothing more. */
	CHECK(!pdma_p2pmem_has_p2pmem(prov));
	CHECK(pdma_p2pmem_alloc(prov, 4096, &ptr) == -ENODEV);
	pdma_p2pmem_provider_put(prov);
	pdma_dma_destroy(d);
	pdma_platform_destroy(plat);
	pdma_fabric_destroy(fab);
	return harness_exit();
}
