// SPDX-License-Identifier: MIT
/*
 * The accelerator pipeline (nic-to-accel): the remote host sends packets
 * encrypted with AES-256-GCM (ciphertext and tag) by RDMA WRITE into
 * staging memory, and the accelerator decrypts each one in place (source
 * and destination the same address), checking its tag.  The staging memory
 * is device memory, the NVMe's CMB (P2P: the packets never touch RAM), or
 * RAM (bounce).  The plaintext is checked against what the remote host
 * encrypted.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "scenario_internal.h"

#define TAG PDMA_ACCEL_TAG_LEN

struct aq {
	struct pdma_accel *acc;
	uint32_t entries, tail, head;
	bool phase;
	struct pdma_accel_desc *sq;
	struct pdma_accel_cqe *cq;
};

static int aq_create(struct sc_env *e, struct aq *q, uint32_t entries)
{
	uint64_t phys, sq, cq;
	int ret;

	memset(q, 0, sizeof(*q));
	q->acc = e->accel_dev;
	q->entries = entries;
	q->phase = true;
	q->sq = pdma__sc_alloc(&e->local, entries * 64ull, &phys);
	if (!q->sq)
		return -ENOMEM;
	if ((ret = pdma__sc_map(&e->local, e->accel, phys, entries * 64ull,
				&sq)))
		return ret;
	q->cq = pdma__sc_alloc(&e->local, entries * 16ull, &phys);
	if (!q->cq)
		return -ENOMEM;
	if ((ret = pdma__sc_map(&e->local, e->accel, phys, entries * 16ull,
				&cq)))
		return ret;
	return pdma_accel_create_queue(q->acc, (uint16_t)e->nr_accel_queues++,
				       sq, cq, entries);
}

/* Decrypt @n packets in place; status of each in @st (-1: none). */
static int aq_decrypt(struct aq *q, uint16_t qid, const uint64_t *addr,
		      uint32_t len, const uint8_t (*iv)[12], int n, int *st)
{
	int ret;

	for (int i = 0; i < n; i++) {
		struct pdma_accel_desc *d = &q->sq[q->tail];

		memset(d, 0, sizeof(*d));
		d->op = PDMA_ACCEL_DECRYPT;
		d->id = (uint32_t)i;
		d->src = addr[i];
		d->dst = addr[i];
		d->src_len = len + TAG;
		d->dst_len = len;
		memcpy(d->iv, iv[i], 12);
		st[i] = -1;
		q->tail = (q->tail + 1) % q->entries;
	}
	ret = pdma_accel_ring_sq(q->acc, qid, q->tail);
	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		struct pdma_accel_cqe *c = &q->cq[q->head];

		if (PDMA_ACCEL_CQE_PHASE(c->status) != q->phase)
			break;
		if (c->id < (uint32_t)n)
			st[c->id] = (int)PDMA_ACCEL_CQE_STATUS(c->status);
		if (++q->head == q->entries) {
			q->head = 0;
			q->phase = !q->phase;
		}
	}
	return pdma_accel_ring_cq(q->acc, qid, q->head);
}

/* The remote host's CPU: @len bytes of @in into @out || tag. */
static int encrypt(const uint8_t key[32], const uint8_t iv[12],
		   const unsigned char *in, uint32_t len, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, fin, ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
	     EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, out + n, &fin) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG,
				 out + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int pdma__sc_nic_to_accel(struct sc_env *e,
			  const struct pdma_scenario_flow *f,
			  struct pdma_path_result *r)
{
	uint64_t io = f->io_size, slots = (uint64_t)f->queue_depth;
	uint64_t stride = io + 4096, total = f->total_bytes;
	uint64_t len = stride * slots, src_phys, phys, dma = 0, nic_dma = 0;
	struct pdma_p2pmem_provider *prov = NULL;
	struct pdma_rnic_mr *src_mr = NULL, *mr = NULL;
	unsigned char *src, *plain = malloc(io), *want = malloc(io);
	unsigned char *stage = NULL;
	uint8_t key[32], (*iv)[12] = calloc(slots, 12);
	uint64_t addr[64];
	int st[64], ret;
	uint32_t seed = 0xacce1;
	struct pdma_flow legs[2];
	double t0, busy = 0;
	struct aq q;
	uint16_t qid;

	r->src = e->nic;
	r->dst = e->accel;
	pdma__sc_verdict(e, e->nvme, e->nic, r, e->cmb_bar < 0 ?
			 "the NVMe has no controller memory buffer to stage "
			 "in" : NULL);
	if (r->p2p) {		/* the accelerator must reach it too */
		struct pdma_path_result ra = { 0 };

		pdma__sc_verdict(e, e->nvme, e->accel, &ra, NULL);
		if (!ra.p2p) {
			r->p2p = false;
			r->map_type = ra.map_type;
			memcpy(r->why, ra.why, sizeof(r->why));
		}
	}
	if (f->mode == PDMA_FLOW_BOUNCE && r->p2p) {
		r->p2p = false;
		pdma__sc_why(r, true, "but mode is bounce: staged through RAM");
	}
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 37 + 11);
	src = pdma__sc_alloc(&e->remote, len, &src_phys);
	ret = !src || !plain || !want || !iv ? -ENOMEM : 0;
	if (!ret)
		ret = pdma_rnic_reg_phys(e->rnic, src_phys, len, 0, &src_mr);
	if (!ret)
		ret = pdma_accel_set_key(e->accel_dev, 0, key);
	qid = (uint16_t)e->nr_accel_queues;
	if (!ret)
		ret = aq_create(e, &q, (uint32_t)slots + 1);
	if (ret)
		goto out;
	if (r->p2p) {
		prov = pdma_nvme_cmb(e->ctrl);
		ret = pdma_p2pmem_alloc(prov, len, (void **)&stage);
		if (!ret) {
			phys = pdma_p2pmem_virt_to_phys(prov, stage);
			ret = pdma__sc_map(&e->local, e->accel, phys, len, &dma);
		}
		if (!ret)
			ret = pdma__sc_map(&e->local, e->nic, phys, len,
					   &nic_dma);
		if (!ret)
			ret = pdma_rnic_reg_p2pmem(e->lnic, prov, stage, len,
						   PDMA_RNIC_LOCAL_WRITE |
						   PDMA_RNIC_REMOTE_WRITE, &mr);
		if (ret) {
			pdma_rnic_dereg(mr);
			mr = NULL;
			if (stage)
				pdma_p2pmem_free(prov, stage, len);
			stage = NULL;
			r->p2p = false;
			pdma__sc_why(r, true, "but the CMB could not be used "
				     "(%s): staged through RAM",
				     strerror(-ret));
		}
	}
	if (!r->p2p) {
		stage = pdma__sc_alloc(&e->local, len, &phys);
		ret = stage ? pdma__sc_map(&e->local, e->accel, phys, len, &dma)
			    : -ENOMEM;
		if (!ret)
			ret = pdma__sc_map(&e->local, e->nic, phys, len,
					   &nic_dma);
		if (!ret)
			ret = pdma_rnic_reg_phys(e->lnic, phys, len,
						 PDMA_RNIC_LOCAL_WRITE |
						 PDMA_RNIC_REMOTE_WRITE, &mr);
		if (ret)
			goto out;
	}
	pdma__sc_begin(e, r);
	do {
		uint32_t scrc = (uint32_t)crc32(0, NULL, 0), dcrc = scrc;

		r->corrupt_bytes = 0;
		for (uint64_t off = 0; off < total; off += io * slots) {
			int n = (int)((total - off) / io < slots ?
				      (total - off) / io : slots);

			/* the remote host encrypts the packets */
			for (int i = 0; i < n && !ret; i++) {
				uint64_t pkt = (off + i * io) / io;

				pdma__sc_pattern(plain, io, off + i * io, seed);
				scrc = (uint32_t)crc32(scrc, plain, (uInt)io);
				memset(iv[i], 0, 12);
				memcpy(iv[i], &pkt, sizeof(pkt));
				ret = encrypt(key, iv[i], plain, (uint32_t)io,
					      src + i * stride);
				addr[i] = dma + i * stride;
			}
			if (ret)
				goto out_end;
			t0 = pdma__sc_now();
			for (int i = 0; i < n && !ret; i++) {
				struct pdma_rnic_wc wc;

				if (pdma_rnic_write(e->rnic,
						    pdma_rnic_mr_lkey(src_mr),
						    i * stride,
						    pdma_rnic_mr_rkey(mr),
						    i * stride, io + TAG, &wc))
					ret = wc.status;
			}
			if (!ret)
				ret = aq_decrypt(&q, qid, addr, (uint32_t)io,
						 (const uint8_t (*)[12])iv, n,
						 st);
			busy += pdma__sc_now() - t0;
			for (int i = 0; i < n && !ret; i++)
				if (st[i]) {
					ret = -EIO;
					snprintf(r->error_text,
						 sizeof(r->error_text),
						 "DECRYPT in place: %s",
						 pdma_accel_status_name(
							 (unsigned)st[i]));
					r->error = -EIO;
				}
			if (ret)
				goto out_end;
			/* the plaintext, where the packets landed */
			for (int i = 0; i < n; i++) {
				unsigned char *got = stage + i * stride;

				dcrc = (uint32_t)crc32(dcrc, got, (uInt)io);
				pdma__sc_pattern(want, io, off + i * io, seed);
				for (uint64_t b = 0; b < io; b++)
					r->corrupt_bytes += got[b] != want[b];
			}
			r->bytes += (uint64_t)n * io;
			pdma__sc_progress(e, f, off + (uint64_t)n * io, total);
		}
		r->src_crc = scrc;
		r->dst_crc = dcrc;
	} while (busy < f->duration);
out_end:
	pdma__sc_end(e, r, busy);
	if (!ret) {
		/* the NIC writes the packets while the engine reads them */
		legs[0] = (struct pdma_flow){ e->nic, nic_dma, true, 0 };
		legs[1] = (struct pdma_flow){ e->accel, dma, false, 0 };
		pdma__sc_model(e, r, legs, 2);
		r->verified = !r->corrupt_bytes && r->src_crc == r->dst_crc;
	}
out:
	pdma_rnic_dereg(mr);
	if (prov && stage && r->p2p)
		pdma_p2pmem_free(prov, stage, len);
	pdma_rnic_dereg(src_mr);
	free(plain);
	free(want);
	free(iv);
	return ret;
}
