/* SPDX-License-Identifier: MIT */
/*
 * The emulated accelerator: copy, fill, deflate and AES-256-GCM on RAM
 * buffers (through the IOMMU) and on a GPU-like BAR below the same switch
 * (bus addresses, P2P); round trips (compress/decompress, encrypt/decrypt),
 * a flipped bit failing authentication without writing anything, bad
 * descriptors with their status codes, bad doorbells counted and ignored.
 */
#include "dev-env.h"

struct aq {
	struct pdma_accel *acc;
	uint16_t qid;
	uint32_t entries, tail, head;
	bool phase;
	struct pdma_accel_desc *sq;
	struct pdma_accel_cqe *cq;
};

static struct denv e;
static struct pdma_accel *acc;
static struct aq q;
static uint32_t next_id;

/* Run @d; the status, and *@bytes what it wrote. */
static int run(struct pdma_accel_desc d, uint32_t *bytes)
{
	struct pdma_accel_cqe c;

	d.id = ++next_id;
	q.sq[q.tail] = d;
	q.tail = (q.tail + 1) % q.entries;
	CHECK_EQ_INT(pdma_accel_ring_sq(acc, q.qid, q.tail), 0);
	c = q.cq[q.head];
	if (PDMA_ACCEL_CQE_PHASE(c.status) != q.phase) {
		CHECK(!"no completion");
		return -1;
	}
	if (++q.head == q.entries) {
		q.head = 0;
		q.phase = !q.phase;
	}
	CHECK_EQ_INT(pdma_accel_ring_cq(acc, q.qid, q.head), 0);
	CHECK_EQ_INT(c.id, d.id);
	CHECK_EQ_INT(c.sq_head, q.tail);
	if (bytes)
		*bytes = c.bytes;
	return (int)PDMA_ACCEL_CQE_STATUS(c.status);
}

static struct pdma_accel_desc desc(uint8_t op, uint64_t src, uint32_t src_len,
				   uint64_t dst, uint32_t dst_len)
{
	struct pdma_accel_desc d;

	memset(&d, 0, sizeof(d));
	d.op = op;
	d.src = src;
	d.src_len = src_len;
	d.dst = dst;
	d.dst_len = dst_len;
	for (int i = 0; i < 12; i++)
		d.iv[i] = (uint8_t)(0xa0 + i);
	return d;
}

/* Compressible but not trivial. */
static void text(unsigned char *p, size_t n, unsigned seed)
{
	static const char *words[] = { "peer ", "to ", "peer ", "DMA ",
				       "switch ", "root ", "port ", "BAR " };

	for (size_t i = 0; i < n;) {
		const char *w = words[(i / 7 + seed + (i >> 10)) % 8];

		for (size_t j = 0; w[j] && i < n; j++)
			p[i++] = (unsigned char)w[j];
	}
}

/*
 * Every operation between two places: @in and @out (CPU pointers) with
 * DMA addresses @in_dma and @out_dma, @tmp a third place for intermediate
 * results.
 */
static void ops(unsigned char *in, uint64_t in_dma, unsigned char *out,
		uint64_t out_dma, unsigned char *tmp, uint64_t tmp_dma,
		size_t len)
{
	uint32_t n, clen;

	text(in, len, (unsigned)len);
	/* copy */
	memset(out, 0, len);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COPY, in_dma, len, out_dma, len), &n),
		     PDMA_ACCEL_OK);
	CHECK_EQ_INT(n, len);
	CHECK(memcmp(in, out, len) == 0);
	/* fill */
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_FILL, 0x0807060504030201ull, 0,
			      out_dma, 1000), &n), PDMA_ACCEL_OK);
	CHECK_EQ_INT(n, 1000);
	CHECK(out[0] == 1 && out[7] == 8 && out[8] == 1 && out[999] == 8);
	/* compress, decompress */
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COMPRESS, in_dma, len, tmp_dma, len),
			 &clen), PDMA_ACCEL_OK);
	CHECK(clen > 0 && clen < len / 4);
	memset(out, 0, len);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_DECOMPRESS, tmp_dma, clen, out_dma,
			      len), &n), PDMA_ACCEL_OK);
	CHECK_EQ_INT(n, len);
	CHECK(memcmp(in, out, len) == 0);
	/* encrypt, decrypt */
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_ENCRYPT, in_dma, len, tmp_dma,
			      len + 16), &n), PDMA_ACCEL_OK);
	CHECK_EQ_INT(n, len + 16);
	CHECK(memcmp(in, tmp, len) != 0);
	memset(out, 0, len);
	{
		struct pdma_accel_desc d = desc(PDMA_ACCEL_DECRYPT, tmp_dma,
						len + 16, out_dma, len);

		CHECK_EQ_INT(run(d, &n), PDMA_ACCEL_OK);
		CHECK_EQ_INT(n, len);
		CHECK(memcmp(in, out, len) == 0);
		/* A flipped bit, in the data or the tag: nothing written. */
		memset(out, 0x33, len);
		tmp[len / 2] ^= 0x10;
		CHECK_EQ_INT(run(d, &n), PDMA_ACCEL_AUTH_FAILED);
		CHECK_EQ_INT(n, 0);
		tmp[len / 2] ^= 0x10;
		tmp[len + 15] ^= 0x01;
		CHECK_EQ_INT(run(d, &n), PDMA_ACCEL_AUTH_FAILED);
		tmp[len + 15] ^= 0x01;
		CHECK(out[0] == 0x33 && out[len - 1] == 0x33);
		/* The wrong IV fails too. */
		d.iv[0] ^= 1;
		CHECK_EQ_INT(run(d, &n), PDMA_ACCEL_AUTH_FAILED);
	}
}

static void test_ram_and_peer(void)
{
	struct pdma_platform_stats st0, st1;
	struct pdma_accel_stats as;
	struct pdma_bar_map gpu;
	struct pdma_phys_range r;
	struct pdma_sgt *sgt;
	unsigned char *in, *out, *tmp, *vram;
	uint64_t in_dma, out_dma, tmp_dma, vbus;
	size_t len = 64 << 10;

	in = denv_dma_alloc(&e, e.acc, len, &in_dma);
	out = denv_dma_alloc(&e, e.acc, len, &out_dma);
	tmp = denv_dma_alloc(&e, e.acc, len + 4096, &tmp_dma);
	ops(in, in_dma, out, out_dma, tmp, tmp_dma, len);

	/* The GPU's BAR, by bus address: P2P below the switch. */
	REQUIRE(pdma_platform_bar(e.plat, e.gpu, 2, &gpu) == 0);
	r = (struct pdma_phys_range){ gpu.cpu_addr, 1 << 20 };
	REQUIRE(pdma_dma_map(e.d, e.acc, &r, 1, PDMA_BIDIRECTIONAL, &sgt) == 0);
	CHECK(sgt->sgl[0].flags & PDMA_SG_BUS_ADDR);
	vbus = sgt->sgl[0].dma_addr;
	pdma_dma_unmap(e.d, sgt);
	vram = gpu.mem;
	pdma_platform_stats(e.plat, &st0);
	/* VRAM to VRAM: only descriptors and completions touch RAM. */
	ops(vram, vbus, vram + 256 * 1024, vbus + 256 * 1024,
	    vram + 512 * 1024, vbus + 512 * 1024, len);
	pdma_platform_stats(e.plat, &st1);
	CHECK(st1.switch_p2p_bytes - st0.switch_p2p_bytes > 6 * len);
	CHECK_EQ_INT(st1.host_bridge_p2p_bytes, st0.host_bridge_p2p_bytes);
	CHECK_EQ_INT(st1.ram_bytes - st0.ram_bytes, 9 * (64 + 16));
	/* Mixed: compress from VRAM into RAM, decompress back to VRAM. */
	{
		uint32_t clen, n;

		text(vram, len, 5);
		CHECK_EQ_INT(run(desc(PDMA_ACCEL_COMPRESS, vbus, len, tmp_dma,
				      len), &clen), PDMA_ACCEL_OK);
		memset(vram + 256 * 1024, 0, len);
		CHECK_EQ_INT(run(desc(PDMA_ACCEL_DECOMPRESS, tmp_dma, clen,
				      vbus + 256 * 1024, len), &n),
			     PDMA_ACCEL_OK);
		CHECK(memcmp(vram, vram + 256 * 1024, len) == 0);
	}
	pdma_accel_get_stats(acc, &as);
	CHECK_EQ_INT(as.descs, 20);
	CHECK_EQ_INT(as.errors, 6);	/* the authentication failures */
	CHECK_EQ_INT(as.bad_doorbells, 0);
}

static void test_bad_descriptors(void)
{
	struct pdma_accel_desc d;
	struct pdma_accel_stats as;
	unsigned char *buf, *z;
	uint64_t dma, zdma;
	uint32_t n, clen;

	buf = denv_dma_alloc(&e, e.acc, 8192, &dma);
	z = denv_dma_alloc(&e, e.acc, 8192, &zdma);
	text(buf, 8192, 1);
	d = desc(0, dma, 16, dma + 4096, 16);
	CHECK_EQ_INT(run(d, NULL), PDMA_ACCEL_INVALID_OP);
	d.op = 99;
	CHECK_EQ_INT(run(d, NULL), PDMA_ACCEL_INVALID_OP);
	d = desc(PDMA_ACCEL_COPY, dma, 16, dma + 4096, 16);
	d.flags = 1;
	CHECK_EQ_INT(run(d, NULL), PDMA_ACCEL_INVALID_FIELD);
	d.flags = 0;
	d.rsvd[19] = 1;
	CHECK_EQ_INT(run(d, NULL), PDMA_ACCEL_INVALID_FIELD);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COPY, dma, 0, dma, 16), NULL),
		     PDMA_ACCEL_INVALID_FIELD);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COPY, dma, 16, dma, 0), NULL),
		     PDMA_ACCEL_INVALID_FIELD);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COPY, dma, PDMA_ACCEL_MAX_LEN + 1,
			      dma, 16), NULL), PDMA_ACCEL_INVALID_FIELD);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_FILL, 0, 0, dma,
			      PDMA_ACCEL_MAX_LEN + 1), NULL),
		     PDMA_ACCEL_INVALID_FIELD);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COPY, dma, 4096, dma + 4096, 100),
			 NULL), PDMA_ACCEL_OVERFLOW);
	/* Crypto: an empty key slot, a slot out of range, a short input. */
	d = desc(PDMA_ACCEL_ENCRYPT, dma, 100, dma + 4096, 116);
	d.key_slot = 3;
	CHECK_EQ_INT(run(d, NULL), PDMA_ACCEL_INVALID_FIELD);
	d.key_slot = PDMA_ACCEL_KEY_SLOTS;
	CHECK_EQ_INT(run(d, NULL), PDMA_ACCEL_INVALID_FIELD);
	d.key_slot = 0;
	d.dst_len = 115;
	CHECK_EQ_INT(run(d, NULL), PDMA_ACCEL_OVERFLOW);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_DECRYPT, dma, 15, dma + 4096, 100),
			 NULL), PDMA_ACCEL_INVALID_FIELD);
	/* Deflate: garbage, a stream cut short, no room for the output. */
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_DECOMPRESS, dma, 4096, zdma, 8192),
			 NULL), PDMA_ACCEL_DATA_ERROR);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COMPRESS, dma, 8192, zdma, 8192),
			 &clen), PDMA_ACCEL_OK);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_DECOMPRESS, zdma, clen / 2, dma, 8192),
			 NULL), PDMA_ACCEL_DATA_ERROR);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_DECOMPRESS, zdma, clen, dma, 100),
			 &n), PDMA_ACCEL_OVERFLOW);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COMPRESS, dma, 8192, zdma, 8), NULL),
		     PDMA_ACCEL_OVERFLOW);
	(void)z;
	/* Addresses nobody maps: data transfer errors, no crash. */
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COPY, 0x7ff000000000ull, 64, dma, 64),
			 NULL), PDMA_ACCEL_XFER_ERROR);
	CHECK_EQ_INT(run(desc(PDMA_ACCEL_COPY, dma, 64, 0x7ff000000000ull, 64),
			 NULL), PDMA_ACCEL_XFER_ERROR);
	pdma_accel_get_stats(acc, &as);
	CHECK(strstr(as.last_log, "08:00.0") != NULL);
	CHECK(strstr(as.last_log, "failed") != NULL);
	CHECK(!as.fatal);
	CHECK_STR(pdma_accel_status_name(PDMA_ACCEL_AUTH_FAILED),
		  "authentication failed");
}

static void test_doorbells(void)
{
	struct pdma_accel_stats as0, as;

	pdma_accel_get_stats(acc, &as0);
	CHECK_EQ_INT(pdma_accel_ring_sq(acc, PDMA_ACCEL_MAX_QUEUES, 0), -EINVAL);
	CHECK_EQ_INT(pdma_accel_ring_sq(acc, 1, 0), -EINVAL);	/* no queue */
	CHECK_EQ_INT(pdma_accel_ring_sq(acc, q.qid, q.entries), -EINVAL);
	CHECK_EQ_INT(pdma_accel_ring_cq(acc, q.qid, q.entries + 5), -EINVAL);
	CHECK_EQ_INT(pdma_accel_ring_cq(acc, q.qid, (q.head + 1) % q.entries),
		     -EINVAL);				/* passes the tail */
	pdma_accel_get_stats(acc, &as);
	CHECK_EQ_INT(as.bad_doorbells - as0.bad_doorbells, 5);
	CHECK_EQ_INT(as.descs, as0.descs);
	CHECK(strstr(as.last_log, "passes the tail") != NULL);
	CHECK(strstr(as.last_log, "ignored CQ head doorbell") != NULL);
	/* Still working. */
	{
		uint64_t dma;

		denv_dma_alloc(&e, e.acc, 4096, &dma);
		CHECK_EQ_INT(run(desc(PDMA_ACCEL_FILL, 7, 0, dma, 64), NULL),
			     PDMA_ACCEL_OK);
	}
	CHECK_EQ_INT(pdma_accel_create_queue(acc, q.qid, 0, 0, 8), -EEXIST);
	CHECK_EQ_INT(pdma_accel_create_queue(acc, 1, 0, 0, 4097), -EINVAL);
	CHECK_EQ_INT(pdma_accel_set_key(acc, PDMA_ACCEL_KEY_SLOTS, NULL),
		     -EINVAL);
}

int main(void)
{
	struct pdma_error err;
	uint64_t sq_dma, cq_dma;
	uint8_t key[32];

	denv_setup(&e);
	CHECK_EQ_INT(pdma_accel_create(e.plat, e.d, -1, &acc, &err), -EINVAL);
	REQUIRE(pdma_accel_create(e.plat, e.d, e.acc, &acc, &err) == 0);
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 11 + 1);
	REQUIRE(pdma_accel_set_key(acc, 0, key) == 0);
	memset(&q, 0, sizeof(q));
	q.acc = acc;
	q.qid = 2;
	q.entries = 8;		/* small: the tests wrap it many times */
	q.phase = true;
	q.sq = denv_dma_alloc(&e, e.acc, 8 * 64, &sq_dma);
	q.cq = denv_dma_alloc(&e, e.acc, 8 * 16, &cq_dma);
	REQUIRE(pdma_accel_create_queue(acc, 2, sq_dma, cq_dma, 8) == 0);

	test_ram_and_peer();
	test_bad_descriptors();
	test_doorbells();

	pdma_accel_destroy(acc);
	denv_teardown(&e);
	return harness_exit();
}
