/* SPDX-License-Identifier: MIT */
/*
 * The emulated NVMe controller with host memory in RAM, through the IOMMU:
 * write then read back (PRP1 only, PRP1+PRP2, a chained PRP list), status
 * codes (LBA range, namespace, opcode, PRP offset, transfer size), every
 * kind of bad doorbell write counted and ignored, queue wrap-around with
 * the phase bit, a full CQ that stalls the SQ until the host makes room,
 * and a controller that cannot fetch its SQ going fatal without a crash;
 * first the DMA engine alone (scatter-gather lists, short lists, errors).
 */
#include "dev-env.h"

#define NS_BYTES (4u << 20)

static unsigned char pattern(uint64_t i, unsigned seed)
{
	return (unsigned char)(i * 131 + seed * 7 + (i >> 9));
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pattern(i, seed);
}

/* Write @nlb blocks at @slba from one host buffer, read them back. */
/*
 * Write @nlb blocks at @slba from one host buffer, read them back.  A PRP
 * list starts @list_off bytes into its page, so that with a large offset
 * it fills that page's last slot with a pointer to the next list page.
 */
static void round_trip(struct denv *e, struct hq *h, unsigned lba,
		       uint64_t slba, uint32_t nlb, unsigned seed,
		       uint16_t cid, size_t list_off)
{
	size_t len = (size_t)nlb * lba, pages = (len + 4095) / 4096;
	uint64_t dma, list_dma, back_dma, back_list_dma;
	unsigned char *buf, *back, *list, *back_list;
	struct pdma_nvme_cmd cmd;
	size_t at = list_off;

	buf = denv_dma_alloc(e, e->a, len, &dma);
	back = denv_dma_alloc(e, e->a, len, &back_dma);
	list = denv_dma_alloc(e, e->a, 2 * 4096, &list_dma);
	back_list = denv_dma_alloc(e, e->a, 2 * 4096, &back_list_dma);
	for (size_t i = 1; i < pages; i++) {
		uint64_t ent = dma + i * 4096, back_ent = back_dma + i * 4096;

		if (at % 4096 == 4088 && i < pages - 1) {
			uint64_t next = list_dma + 4096;
			uint64_t back_next = back_list_dma + 4096;

			memcpy(list + at, &next, 8);
			memcpy(back_list + at, &back_next, 8);
			at += 8;
		}
		memcpy(list + at, &ent, 8);
		memcpy(back_list + at, &back_ent, 8);
		at += 8;
	}
	fill(buf, len, seed);
	cmd = nvme_rw(PDMA_NVME_CMD_WRITE, cid, slba, nlb, dma,
		      pages == 2 ? dma + 4096 :
		      pages > 2 ? list_dma + list_off : 0);
	CHECK_EQ_INT(hq_run(h, &cmd), PDMA_NVME_SC_SUCCESS);
	cmd = nvme_rw(PDMA_NVME_CMD_READ, cid + 1, slba, nlb, back_dma,
		      pages == 2 ? back_dma + 4096 :
		      pages > 2 ? back_list_dma + list_off : 0);
	CHECK_EQ_INT(hq_run(h, &cmd), PDMA_NVME_SC_SUCCESS);
	CHECK(memcmp(buf, back, len) == 0);
}

static void test_io(void)
{
	struct pdma_nvme_stats st;
	struct pdma_nvme *ctrl;
	struct pdma_error err;
	struct pdma_nvme_cmd cmd;
	struct denv e;
	struct hq h;
	const char *path;
	unsigned char file[4096];
	uint64_t dma;
	unsigned char *buf;
	uint32_t nsid;
	int fd;

	denv_setup(&e);
	REQUIRE(pdma_nvme_create(e.plat, e.d, e.a, NULL, &ctrl, &err) == 0);
	path = denv_file(&e, NS_BYTES);
	CHECK_EQ_INT(pdma_nvme_add_namespace(ctrl, path, 1000, NULL, &err),
		     -EINVAL);
	CHECK(strstr(err.msg, "512 or 4096") != NULL);
	CHECK_EQ_INT(pdma_nvme_add_namespace(ctrl, "/nonexistent/ns", 512,
					     NULL, &err), -ENOENT);
	CHECK(strstr(err.msg, "/nonexistent/ns") != NULL);
	REQUIRE(pdma_nvme_add_namespace(ctrl, path, 512, &nsid, &err) == 0);
	CHECK_EQ_INT(nsid, 1);
	CHECK_EQ_INT(pdma_nvme_ns_blocks(ctrl, 1), NS_BYTES / 512);
	CHECK_EQ_INT(pdma_nvme_ns_blocks(ctrl, 2), 0);
	CHECK_EQ_INT(pdma_nvme_create_queue(ctrl, 0, 0, 0, 8), -EINVAL);
	CHECK_EQ_INT(pdma_nvme_create_queue(ctrl, 1, 0, 0, 1), -EINVAL);
	hq_create(&e, &h, ctrl, e.a, 1, 16);
	CHECK_EQ_INT(pdma_nvme_create_queue(ctrl, 1, 0, 0, 8), -EEXIST);

	round_trip(&e, &h, 512, 0, 1, 1, 10, 0);	/* PRP1 only */
	round_trip(&e, &h, 512, 100, 16, 2, 20, 0);	/* PRP1 + PRP2 */
	round_trip(&e, &h, 512, 1000, 256, 3, 30, 0);	/* a PRP list */
	/* 1 MiB, the list chained after 10 slots. */
	round_trip(&e, &h, 512, 4000, 2048, 4, 40, 4096 - 80);
	/* The bytes are in the file, at the LBA. */
	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(pread(fd, file, sizeof(file), 100 * 512) == sizeof(file));
	close(fd);
	for (int i = 0; i < 4096; i++)
		if (file[i] != pattern(i, 2)) {
			CHECK(!"the namespace file does not hold the data");
			break;
		}

	buf = denv_dma_alloc(&e, e.a, 2 * 4096, &dma);
	(void)buf;
	/* LBA range, namespace, opcode, PRP offset, MDTS, flush. */
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 50, NS_BYTES / 512, 1, dma, 0);
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_LBA_RANGE);
	cmd = nvme_rw(PDMA_NVME_CMD_WRITE, 51, NS_BYTES / 512 - 1, 2, dma,
		      dma + 4096);
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_LBA_RANGE);
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 52, UINT64_MAX, 1, dma, 0);
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_LBA_RANGE);
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 53, 0, 1, dma, 0);
	cmd.nsid = 2;
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_INVALID_NS);
	cmd.nsid = 0;
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_INVALID_NS);
	cmd = nvme_rw(0x7f, 54, 0, 1, dma, 0);
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_INVALID_OPCODE);
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 55, 0, 16, dma, dma + 4096 + 8);
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_INVALID_PRP_OFFSET);
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 56, 0, 4096, dma, dma + 4096);
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_INVALID_FIELD);
	cmd = nvme_rw(PDMA_NVME_CMD_FLUSH, 57, 0, 1, 0, 0);
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_SUCCESS);
	/* A data pointer the IOMMU does not map: a data transfer error. */
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 58, 0, 1, 0x7ff000000000ull, 0);
	CHECK_EQ_INT(hq_run(&h, &cmd), PDMA_NVME_SC_DATA_XFER_ERROR);
	pdma_nvme_get_stats(ctrl, &st);
	CHECK_EQ_INT(st.errors, 9);
	CHECK_EQ_INT(st.xfer_errors, 1);
	CHECK(strstr(st.last_log, "03:00.0") != NULL);
	CHECK(strstr(st.last_log, "data transfer error") != NULL);
	CHECK(!st.fatal);
	CHECK_EQ_INT(st.bytes_written, (1 + 16 + 256 + 2048) * 512);
	CHECK_EQ_INT(st.bytes_read, st.bytes_written);
	CHECK_STR(pdma_nvme_status_name(PDMA_NVME_SC_LBA_RANGE),
		  "LBA out of range");

	pdma_nvme_destroy(ctrl);
	denv_teardown(&e);
}

/* 4K LBAs, a 4-entry queue driven around 10 times. */
static void test_wrap(void)
{
	struct pdma_nvme_cqe cqe;
	struct pdma_nvme *ctrl;
	struct pdma_error err;
	struct pdma_nvme_cmd cmd;
	struct denv e;
	struct hq h;
	unsigned char *buf;
	uint64_t dma;
	int flips = 0;

	denv_setup(&e);
	REQUIRE(pdma_nvme_create(e.plat, e.d, e.a, NULL, &ctrl, &err) == 0);
	REQUIRE(pdma_nvme_add_namespace(ctrl, denv_file(&e, 64 * 4096), 4096,
					NULL, &err) == 0);
	CHECK_EQ_INT(pdma_nvme_ns_blocks(ctrl, 1), 64);
	hq_create(&e, &h, ctrl, e.a, 3, 4);
	buf = denv_dma_alloc(&e, e.a, 4096, &dma);
	for (int i = 0; i < 40; i++) {
		bool phase = h.phase;

		memset(buf, i, 4096);
		cmd = nvme_rw(PDMA_NVME_CMD_WRITE, (uint16_t)i, i, 1, dma, 0);
		CHECK_EQ_INT(hq_submit(&h, &cmd), 0);
		REQUIRE(hq_peek(&h, &cqe));
		CHECK_EQ_INT(PDMA_NVME_CQE_PHASE(cqe.status), phase);
		CHECK_EQ_INT(PDMA_NVME_CQE_SC(cqe.status), 0);
		CHECK_EQ_INT(cqe.cid, i);
		CHECK_EQ_INT(cqe.sq_id, 3);
		CHECK_EQ_INT(cqe.sq_head, (i + 1) % 4);
		flips += h.phase != phase;
		CHECK_EQ_INT(pdma_nvme_ring_cq(ctrl, 3, h.cq_head), 0);
		/* Nothing more is there: the old entry has the old phase. */
		CHECK(!hq_peek(&h, &cqe));
	}
	CHECK_EQ_INT(flips, 10);
	for (int i = 0; i < 40; i++) {
		cmd = nvme_rw(PDMA_NVME_CMD_READ, (uint16_t)i, i, 1, dma, 0);
		CHECK_EQ_INT(hq_run(&h, &cmd), 0);
		CHECK(buf[0] == i && buf[4095] == i);
	}
	pdma_nvme_destroy(ctrl);
	denv_teardown(&e);
}

static void test_doorbells(void)
{
	struct pdma_nvme_stats st;
	struct pdma_nvme_cqe cqe;
	struct pdma_nvme *ctrl, *bad;
	struct pdma_nvme_opts o;
	struct pdma_error err;
	struct pdma_nvme_cmd cmd;
	struct denv e;
	struct hq h;
	uint64_t dma, before;

	denv_setup(&e);
	pdma_nvme_opts_init(&o);
	o.max_queues = 2;
	REQUIRE(pdma_nvme_create(e.plat, e.d, e.a, &o, &ctrl, &err) == 0);
	REQUIRE(pdma_nvme_add_namespace(ctrl, denv_file(&e, 1 << 20), 512,
					NULL, &err) == 0);
	hq_create(&e, &h, ctrl, e.a, 1, 8);
	denv_dma_alloc(&e, e.a, 4096, &dma);

	/* Unknown queues: the admin queue, beyond max_queues, not created. */
	CHECK_EQ_INT(pdma_nvme_ring_sq(ctrl, 0, 1), -EINVAL);
	CHECK_EQ_INT(pdma_nvme_ring_sq(ctrl, 3, 1), -EINVAL);
	CHECK_EQ_INT(pdma_nvme_ring_cq(ctrl, 2, 0), -EINVAL);
	pdma_nvme_get_stats(ctrl, &st);
	CHECK_EQ_INT(st.bad_doorbells, 3);
	CHECK(strstr(st.last_log, "no such I/O queue") != NULL);
	/* Values beyond the queue. */
	CHECK_EQ_INT(pdma_nvme_ring_sq(ctrl, 1, 8), -EINVAL);
	CHECK_EQ_INT(pdma_nvme_ring_sq(ctrl, 1, UINT32_MAX), -EINVAL);
	CHECK_EQ_INT(pdma_nvme_ring_cq(ctrl, 1, 9), -EINVAL);
	pdma_nvme_get_stats(ctrl, &st);
	CHECK_EQ_INT(st.bad_doorbells, 6);
	CHECK(strstr(st.last_log, "beyond a queue of 8") != NULL);
	CHECK_EQ_INT(st.commands, 0);
	/* A CQ head that passes the tail (nothing was posted yet). */
	CHECK_EQ_INT(pdma_nvme_ring_cq(ctrl, 1, 1), -EINVAL);
	pdma_nvme_get_stats(ctrl, &st);
	CHECK(strstr(st.last_log, "passes the tail") != NULL);

	/* Fill the CQ without handing entries back: 7 complete, then stall. */
	for (int i = 0; i < 7; i++) {
		cmd = nvme_rw(PDMA_NVME_CMD_READ, (uint16_t)i, i, 1, dma, 0);
		CHECK_EQ_INT(hq_submit(&h, &cmd), 0);
	}
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 7, 7, 1, dma, 0);
	CHECK_EQ_INT(hq_submit(&h, &cmd), 0);
	pdma_nvme_get_stats(ctrl, &st);
	CHECK_EQ_INT(st.commands, 7);		/* the 8th waits for room */
	/* The tail may not move back over the waiting command. */
	CHECK_EQ_INT(pdma_nvme_ring_sq(ctrl, 1, 7), -EINVAL);
	pdma_nvme_get_stats(ctrl, &st);
	CHECK(strstr(st.last_log, "moves back over unfetched") != NULL);
	/* Nor may the CQ head pass the 7 posted entries. */
	before = st.bad_doorbells;
	CHECK_EQ_INT(pdma_nvme_ring_cq(ctrl, 1, 0), 0);	/* no change */
	for (int i = 0; i < 7; i++)
		REQUIRE(hq_peek(&h, &cqe));
	CHECK(!hq_peek(&h, &cqe));
	/* head 0 is the same value again, fine; head 7 hands all back. */
	CHECK_EQ_INT(pdma_nvme_ring_cq(ctrl, 1, 7), 0);
	pdma_nvme_get_stats(ctrl, &st);
	CHECK_EQ_INT(st.commands, 8);		/* the waiting one ran */
	CHECK_EQ_INT(st.bad_doorbells, before);
	REQUIRE(hq_peek(&h, &cqe));
	CHECK_EQ_INT(cqe.cid, 7);
	CHECK_EQ_INT(PDMA_NVME_CQE_SC(cqe.status), 0);
	/* Head 2 would pass the tail (entry 0 is the last written). */
	CHECK_EQ_INT(pdma_nvme_ring_cq(ctrl, 1, 2), -EINVAL);
	CHECK_EQ_INT(pdma_nvme_ring_cq(ctrl, 1, h.cq_head), 0);
	/* After all that, the queue still works. */
	cmd = nvme_rw(PDMA_NVME_CMD_READ, 99, 0, 1, dma, 0);
	CHECK_EQ_INT(hq_run(&h, &cmd), 0);
	pdma_nvme_get_stats(ctrl, &st);
	CHECK_EQ_INT(st.bad_doorbells, 9);
	CHECK(!st.fatal);

	/* A SQ the device cannot read: fatal, later doorbells refused. */
	REQUIRE(pdma_nvme_create(e.plat, e.d, e.b, NULL, &bad, &err) == 0);
	CHECK_EQ_INT(pdma_nvme_create_queue(bad, 1, 0x7ff000000000ull,
					    0x7ff000100000ull, 4), 0);
	CHECK_EQ_INT(pdma_nvme_ring_sq(bad, 1, 1), 0);
	pdma_nvme_get_stats(bad, &st);
	CHECK(st.fatal);
	CHECK(strstr(st.last_log, "cannot fetch a command") != NULL);
	CHECK_EQ_INT(pdma_nvme_ring_sq(bad, 1, 2), -EIO);
	CHECK_EQ_INT(pdma_nvme_delete_queue(bad, 1), 0);
	CHECK_EQ_INT(pdma_nvme_delete_queue(bad, 1), -ENOENT);
	pdma_nvme_destroy(bad);

	CHECK_EQ_INT(pdma_nvme_create(e.plat, e.d, 999, NULL, &bad, &err),
		     -EINVAL);
	CHECK(bad == NULL);
	o.cmb_bar = 4;
	CHECK_EQ_INT(pdma_nvme_create(e.plat, e.d, e.a, &o, &bad, &err),
		     -ENOENT);
	CHECK(strstr(err.msg, "BAR 4") != NULL);
	pdma_nvme_destroy(ctrl);
	denv_teardown(&e);
}

/* The engine alone: a list in pieces, a short list, a failing segment. */
static void test_engine(void)
{
	unsigned char out[6000], in[6000], *ram;
	struct pdma_sg sg[3];
	struct pdma_dev dev;
	uint64_t dma;
	struct denv e;

	denv_setup(&e);
	CHECK_EQ_INT(pdma_dev_init(&dev, e.plat, e.d, 999), -EINVAL);
	REQUIRE(pdma_dev_init(&dev, e.plat, e.d, e.a) == 0);
	ram = denv_dma_alloc(&e, e.a, 3 * 4096, &dma);
	for (int i = 0; i < 6000; i++)
		out[i] = (unsigned char)(i * 13);
	sg[0] = (struct pdma_sg){ dma + 8192, 100, 0 };
	sg[1] = (struct pdma_sg){ dma, 4000, 0 };
	sg[2] = (struct pdma_sg){ dma + 5000, 1900, 0 };
	CHECK_EQ_INT(pdma_dev_sg_bytes(sg, 3), 6000);
	CHECK_EQ_INT(pdma_dev_dma_sg(&dev, sg, 3, out, 6000, PDMA_DMA_WRITE),
		     0);
	CHECK(memcmp(ram + 8192, out, 100) == 0);
	CHECK(memcmp(ram, out + 100, 4000) == 0);
	CHECK(memcmp(ram + 5000, out + 4100, 1900) == 0);
	memset(in, 0, sizeof(in));
	CHECK_EQ_INT(pdma_dev_dma_sg(&dev, sg, 3, in, 6000, PDMA_DMA_READ), 0);
	CHECK(memcmp(in, out, 6000) == 0);
	CHECK_EQ_INT(pdma_dev_dma_sg(&dev, sg, 3, in, 6001, PDMA_DMA_READ),
		     -EINVAL);
	/* A window that starts inside the first segment and spans into the
	 * third, and one that starts exactly where a segment does. */
	memset(in, 0, sizeof(in));
	CHECK_EQ_INT(pdma_dev_dma_sg_at(&dev, sg, 3, 60, in, 4100,
					PDMA_DMA_READ), 0);
	CHECK(memcmp(in, out + 60, 4100) == 0);
	memset(in, 0, sizeof(in));
	CHECK_EQ_INT(pdma_dev_dma_sg_at(&dev, sg, 3, 4100, in, 1900,
					PDMA_DMA_READ), 0);
	CHECK(memcmp(in, out + 4100, 1900) == 0);
	CHECK_EQ_INT(pdma_dev_dma_sg_at(&dev, sg, 3, 5000, in, 1001,
					PDMA_DMA_READ), -EINVAL);
	CHECK_EQ_INT(pdma_dev_dma_sg_at(&dev, sg, 3, 6000, in, 0,
					PDMA_DMA_READ), 0);
	/* An unmapped IOVA in the middle: its error, earlier segments moved. */
	memset(ram + 8192, 0, 100);
	sg[1].dma_addr = 0x7ff000000000ull;
	CHECK_EQ_INT(pdma_dev_dma_sg(&dev, sg, 3, out, 6000, PDMA_DMA_WRITE),
		     -EFAULT);
	CHECK(memcmp(ram + 8192, out, 100) == 0);
	denv_teardown(&e);
}

int main(void)
{
	test_engine();
	test_io();
	test_wrap();
	test_doorbells();
	return harness_exit();
}
