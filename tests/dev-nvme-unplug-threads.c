/* SPDX-License-Identifier: MIT */
/*
 * NVMe with threads: two host threads drive their own queues of controller
 * A at once (write, read back, compare), and B's CMB is hot-unplugged while
 * A's reads land in it: from the moment the provider is revoked, every
 * command into the CMB completes with a Data Transfer Error, the BAR is not
 * written, and pdma_p2pmem_remove() returns once the buffer is freed.
 * Run under ThreadSanitizer too.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "dev-env.h"

#define ROUNDS 200

struct host {
	struct hq h;
	unsigned char *buf, *back;
	uint64_t buf_dma, back_dma;
	uint64_t slba;
	int bad;		/* failures, checked by main */
};

/* One command, busy-waiting for nothing: the controller is synchronous. */
static int run(struct hq *h, const struct pdma_nvme_cmd *cmd)
{
	struct pdma_nvme_cqe c;

	if (hq_submit(h, cmd) || !hq_peek(h, &c) ||
	    pdma_nvme_ring_cq(h->ctrl, h->qid, h->cq_head) ||
	    c.cid != cmd->cid)
		return -1;
	return (int)PDMA_NVME_CQE_SC(c.status);
}

static void *host_main(void *arg)
{
	struct host *ho = arg;
	struct pdma_nvme_cmd cmd;

	for (int i = 0; i < ROUNDS; i++) {
		uint64_t lba = ho->slba + (i % 16) * 8;

		memset(ho->buf, i, 4096);
		cmd = nvme_rw(PDMA_NVME_CMD_WRITE, (uint16_t)(2 * i), lba, 8,
			      ho->buf_dma, 0);
		if (run(&ho->h, &cmd))
			ho->bad++;
		cmd = nvme_rw(PDMA_NVME_CMD_READ, (uint16_t)(2 * i + 1), lba,
			      8, ho->back_dma, 0);
		if (run(&ho->h, &cmd) || memcmp(ho->buf, ho->back, 4096))
			ho->bad++;
	}
	return NULL;
}

int main(void)
{
	struct pdma_nvme *a, *b;
	struct pdma_p2pmem_provider *cmb;
	struct pdma_nvme_opts o;
	struct pdma_nvme_stats st;
	struct pdma_error err;
	struct pdma_nvme_cmd cmd;
	struct pdma_fault f;
	struct host ho[2];
	struct tb_remover rm;
	struct hq hu;
	pthread_t t[2], rt;
	struct denv e;
	uint64_t bus;
	void *cmb_buf;

	denv_setup(&e);
	pdma_nvme_opts_init(&o);
	o.cmb_bar = 2;
	REQUIRE(pdma_nvme_create(e.plat, e.d, e.a, NULL, &a, &err) == 0);
	REQUIRE(pdma_nvme_create(e.plat, e.d, e.b, &o, &b, &err) == 0);
	REQUIRE(pdma_nvme_add_namespace(a, denv_file(&e, 1 << 20), 512, NULL,
					&err) == 0);
	cmb = pdma_nvme_cmb(b);

	/* Two hosts on two queues at once. */
	for (int i = 0; i < 2; i++) {
		memset(&ho[i], 0, sizeof(ho[i]));
		hq_create(&e, &ho[i].h, a, e.a, (uint16_t)(i + 1), 4);
		ho[i].buf = denv_dma_alloc(&e, e.a, 4096, &ho[i].buf_dma);
		ho[i].back = denv_dma_alloc(&e, e.a, 4096, &ho[i].back_dma);
		ho[i].slba = (uint64_t)i * 1024;
	}
	for (int i = 0; i < 2; i++)
		REQUIRE(pthread_create(&t[i], NULL, host_main, &ho[i]) == 0);
	for (int i = 0; i < 2; i++) {
		REQUIRE(pthread_join(t[i], NULL) == 0);
		CHECK_EQ_INT(ho[i].bad, 0);
	}
	pdma_nvme_get_stats(a, &st);
	CHECK_EQ_INT(st.commands, 2 * 2 * ROUNDS);
	CHECK_EQ_INT(st.errors, 0);

	/* A reads into B's CMB, then B is unplugged with the buffer out. */
	hq_create(&e, &hu, a, e.a, 3, 8);
	REQUIRE(pdma_p2pmem_alloc(cmb, 4096, &cmb_buf) == 0);
	bus = pdma_p2pmem_virt_to_bus(cmb, cmb_buf);
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 1, 1024, 8, bus, 0);
	CHECK_EQ_INT(hq_run(&hu, &cmd), 0);
	/* LBA 1024 holds host 1's last round with i % 16 == 0. */
	memset(ho[1].back, (ROUNDS - 1) / 16 * 16, 4096);
	CHECK(memcmp(cmb_buf, ho[1].back, 4096) == 0);

	memset(&rm, 0, sizeof(rm));
	rm.prov = cmb;
	REQUIRE(pthread_create(&rt, NULL, tb_remover_main, &rm) == 0);
	while (pdma_p2pmem_has_p2pmem(cmb))
		sched_yield();
	memset(cmb_buf, 0x11, 4096);
	for (int i = 0; i < 5; i++) {
		cmd = nvme_rw(PDMA_NVME_CMD_READ, (uint16_t)(10 + i), 0, 8,
			      bus, 0);
		CHECK_EQ_INT(hq_run(&hu, &cmd), PDMA_NVME_SC_DATA_XFER_ERROR);
	}
	CHECK(!atomic_load(&rm.done));		/* the buffer is still out */
	REQUIRE(pdma_platform_fault_get(e.plat, 0, &f) == 0);
	CHECK_EQ_INT(f.status, PDMA_TLP_REVOKED);
	CHECK_EQ_INT(pdma_p2pmem_free(cmb, cmb_buf, 4096), 0);
	REQUIRE(pthread_join(rt, NULL) == 0);
	CHECK_EQ_INT(rm.ret, 0);
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 20, 0, 8, bus, 0);
	CHECK_EQ_INT(hq_run(&hu, &cmd), PDMA_NVME_SC_DATA_XFER_ERROR);
	for (int i = 0; i < 4096; i++)
		if (((unsigned char *)cmb_buf)[i] != 0x11) {
			CHECK(!"the CMB was written after the unplug");
			break;
		}
	pdma_nvme_get_stats(a, &st);
	CHECK_EQ_INT(st.xfer_errors, 6);
	CHECK(!st.fatal);
	CHECK(strstr(st.last_log, "data transfer error") != NULL);

	pdma_nvme_destroy(b);	/* the provider is already removed */
	pdma_nvme_destroy(a);
	denv_teardown(&e);
	return harness_exit();
}
