/* SPDX-License-Identifier: MIT */
/*
 * NVMe peer to peer: controller A reads its namespace straight into
 * controller B's CMB by bus address (both below one switch: BUS_ADDR, the
 * data never touches RAM), B writes it from its own CMB to its namespace;
 * controller C, behind another root port, is NOT_SUPPORTED for that CMB:
 * the DMA layer refuses the mapping, and a command that uses the bus
 * address anyway completes with a Data Transfer Error, no crash, and the
 * controller keeps working.
 */
#include "dev-env.h"

#define LEN (16u << 10)

int main(void)
{
	struct pdma_platform_stats st0, st1;
	struct pdma_nvme *a, *b, *c;
	struct pdma_p2pmem_provider *cmb;
	struct pdma_nvme_opts o;
	struct pdma_nvme_stats ns;
	struct pdma_error err;
	struct pdma_nvme_cmd cmd;
	struct pdma_fault f;
	struct pdma_sgt *sgt;
	struct hq ha, hb, hc;
	struct pdma_phys_range r;
	unsigned char *src, *list, *back;
	uint64_t src_dma, list_dma, back_dma, bus, ent;
	struct denv e;
	void *cmb_buf;

	denv_setup(&e);
	pdma_nvme_opts_init(&o);
	o.cmb_bar = 2;
	REQUIRE(pdma_nvme_create(e.plat, e.d, e.a, NULL, &a, &err) == 0);
	REQUIRE(pdma_nvme_create(e.plat, e.d, e.b, &o, &b, &err) == 0);
	REQUIRE(pdma_nvme_create(e.plat, e.d, e.c, NULL, &c, &err) == 0);
	CHECK(pdma_nvme_cmb(a) == NULL);
	cmb = pdma_nvme_cmb(b);
	REQUIRE(cmb != NULL);
	CHECK(pdma_p2pmem_has_p2pmem(cmb));
	REQUIRE(pdma_nvme_add_namespace(a, denv_file(&e, 1 << 20), 512, NULL,
					&err) == 0);
	REQUIRE(pdma_nvme_add_namespace(b, denv_file(&e, 1 << 20), 4096, NULL,
					&err) == 0);
	REQUIRE(pdma_nvme_add_namespace(c, denv_file(&e, 1 << 20), 512, NULL,
					&err) == 0);
	hq_create(&e, &ha, a, e.a, 1, 8);
	hq_create(&e, &hb, b, e.b, 1, 8);
	hq_create(&e, &hc, c, e.c, 1, 8);

	/* A's namespace gets 16 KiB through RAM. */
	src = denv_dma_alloc(&e, e.a, LEN, &src_dma);
	for (unsigned i = 0; i < LEN; i++)
		src[i] = (unsigned char)(i * 7 + 3);
	list = denv_dma_alloc(&e, e.a, 4096, &list_dma);
	for (int i = 1; i < 4; i++) {
		ent = src_dma + i * 4096;
		memcpy(list + 8 * (i - 1), &ent, 8);
	}
	cmd = nvme_rw(PDMA_NVME_CMD_WRITE, 1, 0, LEN / 512, src_dma, list_dma);
	CHECK_EQ_INT(hq_run(&ha, &cmd), 0);

	/* A reads it into B's CMB; the PRP list (in RAM) holds bus addresses. */
	REQUIRE(pdma_p2pmem_alloc(cmb, LEN, &cmb_buf) == 0);
	memset(cmb_buf, 0, LEN);
	r = (struct pdma_phys_range){ pdma_p2pmem_virt_to_phys(cmb, cmb_buf),
				      LEN };
	REQUIRE(pdma_dma_map(e.d, e.a, &r, 1, PDMA_FROM_DEVICE, &sgt) == 0);
	CHECK(sgt->sgl[0].flags & PDMA_SG_BUS_ADDR);
	bus = sgt->sgl[0].dma_addr;
	CHECK_EQ_INT(bus, pdma_p2pmem_virt_to_bus(cmb, cmb_buf));
	pdma_dma_unmap(e.d, sgt);
	for (int i = 1; i < 4; i++) {
		ent = bus + i * 4096;
		memcpy(list + 8 * (i - 1), &ent, 8);
	}
	pdma_platform_stats(e.plat, &st0);
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 2, 0, LEN / 512, bus, list_dma);
	CHECK_EQ_INT(hq_run(&ha, &cmd), 0);
	pdma_platform_stats(e.plat, &st1);
	CHECK(memcmp(cmb_buf, src, LEN) == 0);
	CHECK_EQ_INT(st1.switch_p2p_bytes - st0.switch_p2p_bytes, LEN);
	CHECK_EQ_INT(st1.host_bridge_p2p_bytes, st0.host_bridge_p2p_bytes);
	/* RAM saw only the command, the PRP list and the completion. */
	CHECK_EQ_INT(st1.ram_bytes - st0.ram_bytes, 64 + 3 * 8 + 16);
	CHECK_EQ_INT(pdma_platform_link_bytes(e.plat, e.b, PDMA_LINK_DOWN),
		     LEN);

	/* B writes its own CMB to its namespace (bus address, PRP1+list). */
	memset(list, 0, 4096);
	{
		uint64_t blist_dma;
		unsigned char *blist = denv_dma_alloc(&e, e.b, 4096, &blist_dma);

		for (int i = 1; i < 4; i++) {
			ent = bus + i * 4096;
			memcpy(blist + 8 * (i - 1), &ent, 8);
		}
		cmd = nvme_rw(PDMA_NVME_CMD_WRITE, 3, 10, LEN / 4096, bus,
			      blist_dma);
		CHECK_EQ_INT(hq_run(&hb, &cmd), 0);
	}
	back = denv_dma_alloc(&e, e.b, LEN, &back_dma);
	for (int i = 0; i < 4; i++) {
		cmd = nvme_rw(PDMA_NVME_CMD_READ, (uint16_t)(4 + i), 10 + i, 1,
			      back_dma + i * 4096, 0);
		CHECK_EQ_INT(hq_run(&hb, &cmd), 0);
	}
	CHECK(memcmp(back, src, LEN) == 0);

	/* C is behind another root port: NOT_SUPPORTED. */
	CHECK_EQ_INT(pdma_dma_map(e.d, e.c, &r, 1, PDMA_FROM_DEVICE, &sgt),
		     -EREMOTEIO);
	CHECK_EQ_INT(tb_verdict(e.fab, "04:00.0", "06:00.0", NULL),
		     PDMA_MAP_NOT_SUPPORTED);
	memset(cmb_buf, 0x5a, LEN);
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 9, 0, 8, bus, 0);
	CHECK_EQ_INT(hq_run(&hc, &cmd), PDMA_NVME_SC_DATA_XFER_ERROR);
	CHECK(((unsigned char *)cmb_buf)[0] == 0x5a);
	pdma_nvme_get_stats(c, &ns);
	CHECK_EQ_INT(ns.xfer_errors, 1);
	CHECK(!ns.fatal);
	CHECK(strstr(ns.last_log, "06:00.0") != NULL);
	REQUIRE(pdma_platform_fault_get(e.plat, 0, &f) == 0);
	CHECK_EQ_INT(f.initiator, e.c);
	CHECK_EQ_INT(f.addr, bus);
	/* C still works through RAM. */
	{
		uint64_t cdma;

		denv_dma_alloc(&e, e.c, 4096, &cdma);
		cmd = nvme_rw(PDMA_NVME_CMD_READ, 10, 0, 8, cdma, 0);
		CHECK_EQ_INT(hq_run(&hc, &cmd), 0);
	}

	CHECK_EQ_INT(pdma_p2pmem_free(cmb, cmb_buf, LEN), 0);
	pdma_nvme_destroy(c);
	pdma_nvme_destroy(b);
	pdma_nvme_destroy(a);
	denv_teardown(&e);
	return harness_exit();
}
