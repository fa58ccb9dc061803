/* SPDX-License-Identifier: MIT */
/*
 * peerdma/nvme.h - an emulated NVMe controller on a platform function.
 *
 * Namespaces are files (read with pread, written with pwrite).  I/O queues
 * are rings in memory the host owns, named by DMA address: a submission
 * queue of 64-byte commands and a completion queue of 16-byte entries with
 * a phase bit, as in the NVMe specification.  There are no admin commands:
 * the host creates I/O queues with pdma_nvme_create_queue().
 *
 * The host writes doorbells with pdma_nvme_ring_sq() / pdma_nvme_ring_cq().
 * Every doorbell write is validated; a bad one (unknown queue, a value
 * beyond the queue size, a tail that moves back over unfetched commands, a
 * CQ head that passes the tail) is counted, logged in one line and
 * ignored.  Commands run synchronously inside the SQ doorbell call: the
 * controller fetches each command by DMA, moves its data with its DMA
 * engine (PRP1/PRP2 and PRP lists: DMA addresses of RAM through the IOMMU,
 * or bus addresses of peer memory such as another controller's CMB), and
 * posts a completion by DMA.  When the CQ is full it stops and resumes on
 * the next CQ doorbell.
 *
 * An optional controller memory buffer (a BAR) is published as p2pmem.
 *
 * Thread safety: every call on a controller may come from any thread; one
 * mutex per controller serializes doorbells and command execution.
 */
#ifndef PEERDMA_NVME_H
#define PEERDMA_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerdma/dev.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pdma_nvme;
struct pdma_p2pmem_provider;

/* Opcodes of the NVM command set that the controller implements. */
#define PDMA_NVME_CMD_FLUSH	0x00
#define PDMA_NVME_CMD_WRITE	0x01
#define PDMA_NVME_CMD_READ	0x02

/* Status codes (generic command status, SCT 0). */
#define PDMA_NVME_SC_SUCCESS		0x00
#define PDMA_NVME_SC_INVALID_OPCODE	0x01
#define PDMA_NVME_SC_INVALID_FIELD	0x02
#define PDMA_NVME_SC_DATA_XFER_ERROR	0x04
#define PDMA_NVME_SC_INTERNAL		0x06
#define PDMA_NVME_SC_INVALID_NS		0x0b
#define PDMA_NVME_SC_INVALID_PRP_OFFSET	0x13
#define PDMA_NVME_SC_LBA_RANGE		0x80

/* The memory page size PRPs are made of (CC.MPS = 0). */
#define PDMA_NVME_PAGE_SIZE	4096u
/* Largest transfer of one command (MDTS), in bytes. */
#define PDMA_NVME_MAX_XFER	(256u * PDMA_NVME_PAGE_SIZE)

/**
 * struct pdma_nvme_cmd - a submission queue entry (64 bytes, little endian
 * on the wire; the emulation runs on little-endian hosts).
 * @opcode, @flags, @cid: command dword 0.
 * @nsid:  namespace, 1-based.
 * @prp1, @prp2: data pointer; PRP2 is the second page or a PRP list.
 * @cdw10..@cdw15: READ/WRITE: SLBA = cdw10 | cdw11 << 32, NLB - 1 = cdw12
 *        bits 15:0.
 */
struct pdma_nvme_cmd {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2, cdw3;
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

/**
 * struct pdma_nvme_cqe - a completion queue entry (16 bytes).
 * @result:  command specific (dword 0).
 * @sq_head: how far the controller has fetched the SQ.
 * @sq_id, @cid: which command.
 * @status:  bit 0 phase, bits 8:1 status code, bits 11:9 status code type.
 */
struct pdma_nvme_cqe {
	uint32_t result;
	uint32_t rsvd;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status;
};

#define PDMA_NVME_CQE_PHASE(st)	((st) & 1u)
#define PDMA_NVME_CQE_SC(st)	(((st) >> 1) & 0xffu)
#define PDMA_NVME_CQE_SCT(st)	(((st) >> 9) & 0x7u)

/**
 * struct pdma_nvme_opts - how to build a controller.
 * @size:    sizeof(struct pdma_nvme_opts).
 * @cmb_bar: the BAR that is the controller memory buffer, -1 for none.
 * @max_queues: I/O queue pairs (qid 1..max_queues; default 8, at most 64).
 */
struct pdma_nvme_opts {
	size_t size;
	int cmb_bar;
	int max_queues;
};

/** pdma_nvme_opts_init() - the defaults: no CMB, 8 queues. */
void pdma_nvme_opts_init(struct pdma_nvme_opts *o);

/**
 * pdma_nvme_create() - a controller on function @func of @plat.
 * @dma:  the platform's DMA layer (borrowed), may be NULL.
 * @opts: NULL for the defaults.  With a CMB, the BAR is published as
 *        p2pmem (the whole BAR in the pool).
 * @err:  one line on failure.
 *
 * Return: 0, -EINVAL (no such function, bad options), -ENOENT (the CMB BAR
 * does not exist), -ENOMEM.
 */
int pdma_nvme_create(struct pdma_platform *plat, struct pdma_dma *dma,
		     int func, const struct pdma_nvme_opts *opts,
		     struct pdma_nvme **out, struct pdma_error *err);

/**
 * pdma_nvme_destroy() - free the controller, close its namespaces, and
 * remove its CMB provider (waits until its allocations are freed).
 * @ctrl may be NULL.
 */
void pdma_nvme_destroy(struct pdma_nvme *ctrl);

/**
 * pdma_nvme_add_namespace() - attach the file @path as the next namespace.
 * @lba_size: 512 or 4096; the namespace holds size(@path) / @lba_size
 *            blocks (at least one).
 * @nsid:     receives its 1-based id (may be NULL).
 *
 * Return: 0; -EINVAL (bad LBA size, file too small, 16 namespaces
 * already); the errno of open()/fstat().
 */
int pdma_nvme_add_namespace(struct pdma_nvme *ctrl, const char *path,
			    unsigned lba_size, uint32_t *nsid,
			    struct pdma_error *err);

/** pdma_nvme_ns_blocks() - blocks of namespace @nsid, 0 if none. */
uint64_t pdma_nvme_ns_blocks(struct pdma_nvme *ctrl, uint32_t nsid);

/**
 * pdma_nvme_create_queue() - an I/O queue pair @qid (SQ and CQ share it).
 * @sq_dma, @cq_dma: DMA addresses of the rings as the controller sees
 *            them (an IOVA from pdma_dma_map(), a bus address of a CMB);
 *            the memory must stay there until the queue is deleted.
 * @entries:  2 to 4096 entries in each ring.
 *
 * Return: 0, -EINVAL (qid outside 1..max_queues, bad size, address not
 * 4-byte aligned), -EEXIST (the queue exists).
 */
int pdma_nvme_create_queue(struct pdma_nvme *ctrl, uint16_t qid,
			   uint64_t sq_dma, uint64_t cq_dma, uint32_t entries);

/** pdma_nvme_delete_queue() - forget queue @qid.  Return: 0 or -ENOENT. */
int pdma_nvme_delete_queue(struct pdma_nvme *ctrl, uint16_t qid);

/**
 * pdma_nvme_ring_sq() - the host writes the SQ @qid tail doorbell: the
 * controller runs every new command it can complete (see above).
 *
 * Return: 0 when the write was accepted; -EINVAL when it was invalid (it
 * is then counted, logged and ignored, as hardware ignores it); -EIO when
 * the controller is in the fatal state (it could not fetch a command or
 * post a completion) and ignores doorbells.
 */
int pdma_nvme_ring_sq(struct pdma_nvme *ctrl, uint16_t qid, uint32_t tail);

/**
 * pdma_nvme_ring_cq() - the host writes the CQ @qid head doorbell,
 * handing entries back; commands waiting for room then run.
 * Return: as pdma_nvme_ring_sq().
 */
int pdma_nvme_ring_cq(struct pdma_nvme *ctrl, uint16_t qid, uint32_t head);

/**
 * pdma_nvme_cmb() - the CMB's p2pmem provider (borrowed; get a reference
 * to keep it), NULL without a CMB.
 */
struct pdma_p2pmem_provider *pdma_nvme_cmb(struct pdma_nvme *ctrl);

/**
 * struct pdma_nvme_stats - what the controller did.
 * @commands:      commands fetched.
 * @errors:        completions with a status other than success.
 * @xfer_errors:   of which data transfer errors.
 * @bad_doorbells: doorbell writes ignored.
 * @bytes_read, @bytes_written: data moved for READ / WRITE.
 * @fatal:         the controller failed (CSTS.CFS) and ignores doorbells.
 * @last_log:      the last line logged (a bad doorbell, a failed transfer).
 */
struct pdma_nvme_stats {
	uint64_t commands;
	uint64_t errors;
	uint64_t xfer_errors;
	uint64_t bad_doorbells;
	uint64_t bytes_read;
	uint64_t bytes_written;
	bool fatal;
	char last_log[200];
};

/** pdma_nvme_get_stats() - a consistent copy of the counters. */
void pdma_nvme_get_stats(struct pdma_nvme *ctrl, struct pdma_nvme_stats *st);

/** pdma_nvme_status_name() - "success", "LBA out of range", ... */
const char *pdma_nvme_status_name(unsigned sc);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_NVME_H */
