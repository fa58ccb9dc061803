/* SPDX-License-Identifier: MIT */
/*
 * peerdma/accel.h - an emulated accelerator on a platform function.
 *
 * A copy/fill engine, a deflate engine (zlib format) and an AES-256-GCM
 * engine behind user queues: the host writes 64-byte descriptors into a
 * submission ring in its memory, rings a doorbell, and reads 16-byte
 * completions with a phase bit from a completion ring, both rings named by
 * DMA address as the device sees them.  Buffers are DMA addresses too:
 * RAM through the IOMMU, or a peer's BAR by bus address.  The engine reads
 * its inputs by DMA into its local memory, computes, and writes the result
 * by DMA.  Keys live in the device's key table (pdma_accel_set_key()); a
 * descriptor names a slot and carries the IV.
 *
 * Doorbells are validated as the NVMe controller's are (<peerdma/nvme.h>):
 * a bad write is counted, logged and ignored.  Descriptors run
 * synchronously inside the SQ doorbell call.
 *
 * Thread safety: any call from any thread; one mutex per device.
 */
#ifndef PEERDMA_ACCEL_H
#define PEERDMA_ACCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerdma/dev.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pdma_accel;

/* struct pdma_accel_desc.op */
enum pdma_accel_op {
	PDMA_ACCEL_COPY = 1,		/* src_len bytes src -> dst */
	PDMA_ACCEL_FILL = 2,		/* dst_len bytes of the pattern in src */
	PDMA_ACCEL_COMPRESS = 3,	/* deflate (zlib format) src -> dst */
	PDMA_ACCEL_DECOMPRESS = 4,	/* inflate src -> dst */
	PDMA_ACCEL_ENCRYPT = 5,		/* dst = ciphertext || 16-byte tag */
	PDMA_ACCEL_DECRYPT = 6,		/* src = ciphertext || tag; verified */
};

/* Completion status codes. */
enum pdma_accel_status {
	PDMA_ACCEL_OK = 0,
	PDMA_ACCEL_INVALID_OP = 1,	/* unknown opcode */
	PDMA_ACCEL_INVALID_FIELD = 2,	/* a length of 0 or too large, a bad
					   key slot, a wrong reserved field */
	PDMA_ACCEL_XFER_ERROR = 3,	/* a DMA failed (IOMMU fault, P2P not
					   routed, revoked, beyond a BAR) */
	PDMA_ACCEL_AUTH_FAILED = 4,	/* GCM tag mismatch; nothing written */
	PDMA_ACCEL_DATA_ERROR = 5,	/* not a valid deflate stream */
	PDMA_ACCEL_OVERFLOW = 6,	/* the result does not fit dst_len */
};

/* Largest src_len or dst_len of one descriptor. */
#define PDMA_ACCEL_MAX_LEN	(1u << 20)
#define PDMA_ACCEL_KEY_SLOTS	16
#define PDMA_ACCEL_MAX_QUEUES	4
#define PDMA_ACCEL_TAG_LEN	16

/**
 * struct pdma_accel_desc - one descriptor (64 bytes).
 * @op:       enum pdma_accel_op.
 * @flags:    must be 0.
 * @key_slot: ENCRYPT/DECRYPT: the key table slot.
 * @id:       returned in the completion.
 * @src:      DMA address of the input; FILL: the 8-byte pattern itself.
 * @dst:      DMA address of the output.
 * @src_len:  input bytes (DECRYPT: ciphertext plus the tag).
 * @dst_len:  room at @dst (FILL: bytes to fill).
 * @iv:       ENCRYPT/DECRYPT: the 96-bit GCM nonce.
 */
struct pdma_accel_desc {
	uint8_t op;
	uint8_t flags;
	uint16_t key_slot;
	uint32_t id;
	uint64_t src;
	uint64_t dst;
	uint32_t src_len;
	uint32_t dst_len;
	uint8_t iv[12];
	uint8_t rsvd[20];
};

/**
 * struct pdma_accel_cqe - one completion (16 bytes).
 * @id:      the descriptor's id.
 * @bytes:   bytes written at dst.
 * @sq_head: how far the device has fetched the ring.
 * @status:  bit 0 phase, bits 15:1 enum pdma_accel_status.
 */
struct pdma_accel_cqe {
	uint32_t id;
	uint32_t bytes;
	uint16_t sq_head;
	uint16_t status;
	uint32_t rsvd;
};

#define PDMA_ACCEL_CQE_PHASE(st)	((st) & 1u)
#define PDMA_ACCEL_CQE_STATUS(st)	((st) >> 1)

/**
 * pdma_accel_create() - an accelerator on function @func of @plat.
 * @dma: the DMA layer (borrowed), may be NULL.
 * Return: 0, -EINVAL (no such function), -ENOMEM.
 */
int pdma_accel_create(struct pdma_platform *plat, struct pdma_dma *dma,
		      int func, struct pdma_accel **out,
		      struct pdma_error *err);

/** pdma_accel_destroy() - free it (wiping the keys); NULL is a no-op. */
void pdma_accel_destroy(struct pdma_accel *acc);

/**
 * pdma_accel_set_key() - load a 256-bit key into @slot, or clear the slot
 * with @key NULL.  Return: 0 or -EINVAL for a slot out of range.
 */
int pdma_accel_set_key(struct pdma_accel *acc, unsigned slot,
		       const uint8_t key[32]);

/**
 * pdma_accel_create_queue() - queue pair @qid (0..PDMA_ACCEL_MAX_QUEUES-1)
 * with rings at DMA addresses @sq_dma and @cq_dma, @entries (2..4096) each.
 * Return: 0, -EINVAL, -EEXIST.
 */
int pdma_accel_create_queue(struct pdma_accel *acc, uint16_t qid,
			    uint64_t sq_dma, uint64_t cq_dma,
			    uint32_t entries);

/** pdma_accel_delete_queue() - forget queue @qid.  Return: 0 or -ENOENT. */
int pdma_accel_delete_queue(struct pdma_accel *acc, uint16_t qid);

/**
 * pdma_accel_ring_sq() - SQ tail doorbell: run the new descriptors.
 * Return: 0 accepted, -EINVAL ignored (counted and logged), -EIO when the
 * device is in the fatal state (a descriptor fetch or a completion write
 * failed).
 */
int pdma_accel_ring_sq(struct pdma_accel *acc, uint16_t qid, uint32_t tail);

/** pdma_accel_ring_cq() - CQ head doorbell.  Return: as ring_sq. */
int pdma_accel_ring_cq(struct pdma_accel *acc, uint16_t qid, uint32_t head);

/**
 * struct pdma_accel_stats - what the device did.
 * @descs:         descriptors fetched.
 * @errors:        completions with a status other than OK.
 * @bad_doorbells: doorbell writes ignored.
 * @bytes_in, @bytes_out: bytes read and written by DMA for descriptors.
 * @fatal:         the device failed and ignores doorbells.
 * @last_log:      the last line logged.
 */
struct pdma_accel_stats {
	uint64_t descs;
	uint64_t errors;
	uint64_t bad_doorbells;
	uint64_t bytes_in;
	uint64_t bytes_out;
	bool fatal;
	char last_log[200];
};

/** pdma_accel_get_stats() - a consistent copy of the counters. */
void pdma_accel_get_stats(struct pdma_accel *acc, struct pdma_accel_stats *st);

/** pdma_accel_status_name() - "ok", "authentication failed", ... */
const char *pdma_accel_status_name(unsigned status);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_ACCEL_H */
