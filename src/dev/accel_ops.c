// SPDX-License-Identifier: MIT
/*
 * The accelerator's engines: fetch a descriptor by DMA, read the input
 * into local memory, compute (copy, fill, deflate, AES-256-GCM), write the
 * result by DMA, post a completion.  Runs with the device's lock held.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "dev/accel_internal.h"

#define TAG PDMA_ACCEL_TAG_LEN

_Static_assert(sizeof(struct pdma_accel_desc) == 64, "a descriptor is 64 bytes");
_Static_assert(sizeof(struct pdma_accel_cqe) == 16, "a completion is 16 bytes");

struct result {
	unsigned status;
	uint32_t bytes;
};

static unsigned dma(struct pdma_accel *a, uint64_t addr, void *buf,
		    size_t len, enum pdma_dma_dir dir)
{
	int ret;

	if (!len)
		return PDMA_ACCEL_OK;
	ret = pdma_fabric_dma(a->dev.plat, a->dev.func, addr, buf, len, dir);
	if (ret) {
		pdma__accel_log(a, "DMA %s 0x%" PRIx64 " (%zu bytes) failed: %s",
				dir == PDMA_DMA_READ ? "from" : "to", addr, len,
				strerror(-ret));
		return PDMA_ACCEL_XFER_ERROR;
	}
	if (dir == PDMA_DMA_READ)
		a->st.bytes_in += len;
	else
		a->st.bytes_out += len;
	return PDMA_ACCEL_OK;
}

static unsigned deflate_buf(struct pdma_accel *a, uint32_t in_len,
			    uint32_t room, uint32_t *out_len)
{
	uLongf n = room;
	int zret = compress2(a->out, &n, a->in, in_len, Z_DEFAULT_COMPRESSION);

	if (zret == Z_BUF_ERROR)
		return PDMA_ACCEL_OVERFLOW;
	if (zret != Z_OK)
		return PDMA_ACCEL_DATA_ERROR;
	*out_len = (uint32_t)n;
	return PDMA_ACCEL_OK;
}

static unsigned inflate_buf(struct pdma_accel *a, uint32_t in_len,
			    uint32_t room, uint32_t *out_len)
{
	z_stream zs;
	int zret;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return PDMA_ACCEL_DATA_ERROR;
	zs.next_in = a->in;
	zs.avail_in = in_len;
	zs.next_out = a->out;
	zs.avail_out = room;
	zret = inflate(&zs, Z_FINISH);
	*out_len = (uint32_t)zs.total_out;
	inflateEnd(&zs);
	if (zret == Z_STREAM_END)
		return PDMA_ACCEL_OK;
	/* Out of room with input left: overflow; else a broken stream. */
	if (zret == Z_BUF_ERROR && zs.avail_out == 0)
		return PDMA_ACCEL_OVERFLOW;
	return PDMA_ACCEL_DATA_ERROR;
}

/* AES-256-GCM of a->in (@len bytes) into a->out; decrypt checks the tag. */
static unsigned gcm(struct pdma_accel *a, const struct pdma_accel_desc *d,
		    bool enc, uint32_t len)
{
	const EVP_CIPHER *cipher = EVP_aes_256_gcm();
	unsigned status = PDMA_ACCEL_DATA_ERROR;
	EVP_CIPHER_CTX *ctx;
	int n, fin;

	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return PDMA_ACCEL_DATA_ERROR;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, a->keys[d->key_slot].key,
			      d->iv, enc) != 1)
		goto out;
	if (EVP_CipherUpdate(ctx, a->out, &n, a->in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG,
					a->in + len) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, a->out + n, &fin) != 1) {
		status = enc ? PDMA_ACCEL_DATA_ERROR : PDMA_ACCEL_AUTH_FAILED;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG,
				       a->out + len) != 1)
		goto out;
	status = PDMA_ACCEL_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return status;
}

static bool zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static struct result execute(struct pdma_accel *a,
			     const struct pdma_accel_desc *d)
{
	struct result r = { PDMA_ACCEL_INVALID_FIELD, 0 };
	uint32_t in_len = d->src_len, out_len = 0;
	bool crypto = d->op == PDMA_ACCEL_ENCRYPT || d->op == PDMA_ACCEL_DECRYPT;

	if (d->op < PDMA_ACCEL_COPY || d->op > PDMA_ACCEL_DECRYPT) {
		r.status = PDMA_ACCEL_INVALID_OP;
		return r;
	}
	if (d->flags || !zero(d->rsvd, sizeof(d->rsvd)) ||
	    d->src_len > PDMA_ACCEL_MAX_LEN || !d->dst_len ||
	    d->dst_len > PDMA_ACCEL_MAX_LEN + TAG ||
	    (d->op != PDMA_ACCEL_FILL && !d->src_len))
		return r;
	if (crypto && (d->key_slot >= PDMA_ACCEL_KEY_SLOTS ||
		       !a->keys[d->key_slot].set))
		return r;
	if (d->op == PDMA_ACCEL_DECRYPT && d->src_len < TAG)
		return r;

	if (d->op == PDMA_ACCEL_FILL) {
		uint8_t pat[8];

		if (d->dst_len > PDMA_ACCEL_MAX_LEN)
			return r;
		memcpy(pat, &d->src, 8);
		for (uint32_t i = 0; i < d->dst_len; i++)
			a->out[i] = pat[i % 8];
		out_len = d->dst_len;
		goto write;
	}
	r.status = dma(a, d->src, a->in, in_len, PDMA_DMA_READ);
	if (r.status)
		return r;
	switch (d->op) {
	case PDMA_ACCEL_COPY:
		if (in_len > d->dst_len) {
			r.status = PDMA_ACCEL_OVERFLOW;
			return r;
		}
		memcpy(a->out, a->in, in_len);
		out_len = in_len;
		break;
	case PDMA_ACCEL_COMPRESS:
		r.status = deflate_buf(a, in_len, d->dst_len, &out_len);
		break;
	case PDMA_ACCEL_DECOMPRESS:
		r.status = inflate_buf(a, in_len, d->dst_len, &out_len);
		break;
	case PDMA_ACCEL_ENCRYPT:
		out_len = in_len + TAG;
		r.status = out_len > d->dst_len ? PDMA_ACCEL_OVERFLOW :
			   gcm(a, d, true, in_len);
		break;
	case PDMA_ACCEL_DECRYPT:
		out_len = in_len - TAG;
		r.status = out_len > d->dst_len ? PDMA_ACCEL_OVERFLOW :
			   gcm(a, d, false, out_len);
		break;
	}
	if (r.status)
		return r;
write:
	r.status = dma(a, d->dst, a->out, out_len, PDMA_DMA_WRITE);
	if (!r.status)
		r.bytes = out_len;
	return r;
}

static void fatal(struct pdma_accel *a, const char *what, uint64_t addr,
		  int ret)
{
	a->st.fatal = true;
	pdma__accel_log(a, "device fatal: cannot %s at 0x%" PRIx64 ": %s",
			what, addr, strerror(-ret));
}

void pdma__accel_process(struct pdma_accel *a, uint16_t qid)
{
	struct pdma__qpair *q = &a->q[qid];

	while (!a->st.fatal && q->sq_head != q->sq_tail &&
	       !pdma__qpair_cq_full(q)) {
		uint64_t at = q->sq_dma + (uint64_t)q->sq_head * 64;
		struct pdma_accel_desc d;
		struct pdma_accel_cqe cqe;
		struct result r;
		int ret;

		ret = pdma_fabric_dma(a->dev.plat, a->dev.func, at, &d,
				      sizeof(d), PDMA_DMA_READ);
		if (ret) {
			fatal(a, "fetch a descriptor", at, ret);
			return;
		}
		q->sq_head = (q->sq_head + 1) % q->entries;
		a->st.descs++;
		r = execute(a, &d);
		if (r.status)
			a->st.errors++;
		cqe = (struct pdma_accel_cqe){
			.id = d.id,
			.bytes = r.bytes,
			.sq_head = (uint16_t)q->sq_head,
			.status = (uint16_t)(r.status << 1 | q->phase),
		};
		at = q->cq_dma + (uint64_t)q->cq_tail * sizeof(cqe);
		ret = pdma_fabric_dma(a->dev.plat, a->dev.func, at, &cqe,
				      sizeof(cqe), PDMA_DMA_WRITE);
		if (ret) {
			fatal(a, "post a completion", at, ret);
			return;
		}
		pdma__qpair_cq_advance(q);
	}
}
