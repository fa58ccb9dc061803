/* SPDX-License-Identifier: MIT */
/*
 * peerdma/rnic.h - an emulated RDMA NIC: memory regions and RDMA WRITE /
 * READ between two NICs over a modeled wire.
 *
 * A NIC sits on one function of a platform; its DMA engine reaches memory
 * only through the fabric (pdma_fabric_dma() with the NIC as initiator),
 * by the DMA addresses of its memory regions (MRs):
 *   - over RAM or any BAR by physical address (pdma_dma_map() for the NIC);
 *   - over p2pmem (a reference on the allocation is held while registered);
 *   - over a dma-buf, DYNAMIC: the NIC attaches with move_notify, which
 *     invalidates the MR's mapping; the next access re-faults: it re-maps
 *     under the buffer's reservation lock after the KERNEL fences (the
 *     exporter's move) signalled, as mlx5 on-demand paging does.  Accesses
 *     run with the reservation lock held, so a move waits for them;
 *   - over a dma-buf, PINNED: pinned and mapped at registration; the
 *     exporter refuses to move it (-EBUSY) until deregistration.
 *
 * RDMA WRITE: the local NIC DMA-reads the local MR, the bytes cross the
 * wire (counted, with a modeled time from its bandwidth), the remote NIC
 * DMA-writes them into the remote MR.  READ goes the other way.  Transfers
 * move in chunks of PDMA_RNIC_CHUNK bytes; no two reservation locks are
 * ever held at once.  The two NICs may be on one platform or on two (two
 * hosts joined by the wire).
 *
 * Every access checks the key and the bounds; failures are completions
 * with a negative status, never a crash:
 *   -EINVAL  a local error: unknown lkey, beyond the local MR, or a READ
 *            into an MR without PDMA_RNIC_LOCAL_WRITE (IBV_WC_LOC_PROT_ERR);
 *   -EACCES  a remote error: unknown rkey, beyond the remote MR, or the
 *            remote MR lacks REMOTE_WRITE / REMOTE_READ (IBV_WC_REM_ACCESS_ERR);
 *   -ENOTCONN no peer; a DMA or mapping error (-EFAULT, -ENODEV, ...).
 *
 * Thread safety: work requests, registration and deregistration may run
 * from several threads at once; create, connect and destroy may not.
 */
#ifndef PEERDMA_RNIC_H
#define PEERDMA_RNIC_H

#include <stdint.h>

#include <peerdma/dmabuf.h>
#include <peerdma/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pdma_rnic;
struct pdma_rnic_mr;
struct pdma_wire;

#define PDMA_RNIC_CHUNK (64u << 10)

/* MR access flags */
#define PDMA_RNIC_LOCAL_WRITE  0x1u
#define PDMA_RNIC_REMOTE_WRITE 0x2u
#define PDMA_RNIC_REMOTE_READ  0x4u

/* pdma_rnic_reg_dmabuf() flags */
#define PDMA_RNIC_MR_PINNED    0x1u

/**
 * pdma_wire_create() - a link of @gbps gigabits per second between NICs.
 * Return: 0, -EINVAL for a rate <= 0, -ENOMEM.
 */
int pdma_wire_create(double gbps, struct pdma_wire **out);

/** pdma_wire_destroy() - NULL is a no-op; no NIC may still use it. */
void pdma_wire_destroy(struct pdma_wire *w);

/**
 * struct pdma_wire_stats - what crossed the wire.
 * @bytes:    payload bytes, both directions.
 * @messages: chunks sent.
 * @seconds:  modeled busy time (bytes at the wire's rate).
 */
struct pdma_wire_stats {
	uint64_t bytes;
	uint64_t messages;
	double seconds;
};

/** pdma_wire_stats() - read the counters. */
void pdma_wire_stats(struct pdma_wire *w, struct pdma_wire_stats *st);

/**
 * pdma_rnic_create() - a NIC on function @func of @plat, mapping with @dma
 * (both borrowed; they must outlive it).
 * Return: 0, -EINVAL, -ENOMEM.
 */
int pdma_rnic_create(struct pdma_platform *plat, struct pdma_dma *dma,
		     int func, struct pdma_rnic **out);

/** pdma_rnic_destroy() - every MR must be deregistered.  NULL: no-op. */
void pdma_rnic_destroy(struct pdma_rnic *nic);

/**
 * pdma_rnic_connect() - join @a and @b (a reliable connection) over @w.
 * Return: 0, -EINVAL.
 */
int pdma_rnic_connect(struct pdma_rnic *a, struct pdma_rnic *b,
		      struct pdma_wire *w);

/**
 * pdma_rnic_reg_phys() - an MR over [@phys, @phys + @len) of RAM or of
 * one BAR, mapped for the NIC with pdma_dma_map().
 * Return: 0; -EINVAL; the mapping's error (-EREMOTEIO, -EPERM...); -ENOMEM.
 */
int pdma_rnic_reg_phys(struct pdma_rnic *nic, uint64_t phys, uint64_t len,
		       unsigned access, struct pdma_rnic_mr **out);

/**
 * pdma_rnic_reg_p2pmem() - an MR over p2pmem @ptr (@len bytes inside one
 * allocation of @prov), holding a reference on it until deregistration.
 * Return: as pdma_rnic_reg_phys(); -EFAULT, -ENODEV from the provider.
 */
int pdma_rnic_reg_p2pmem(struct pdma_rnic *nic,
			 struct pdma_p2pmem_provider *prov, void *ptr,
			 uint64_t len, unsigned access,
			 struct pdma_rnic_mr **out);

/**
 * pdma_rnic_reg_dmabuf() - an MR over all of @buf: dynamic (on-demand
 * re-faulting), or with PDMA_RNIC_MR_PINNED pinned and mapped now.
 * Return: 0; -EINVAL; the attach, pin or map error (-EBUSY...); -ENOMEM.
 */
int pdma_rnic_reg_dmabuf(struct pdma_rnic *nic, struct pdma_dmabuf *buf,
			 unsigned access, unsigned flags,
			 struct pdma_rnic_mr **out);

/**
 * pdma_rnic_dereg() - the key stops working at once; the MR is freed when
 * the last work request using it ends.  NULL is a no-op.
 */
void pdma_rnic_dereg(struct pdma_rnic_mr *mr);

/** pdma_rnic_mr_lkey() / _rkey() / _len() - the MR's keys and size. */
uint32_t pdma_rnic_mr_lkey(const struct pdma_rnic_mr *mr);
uint32_t pdma_rnic_mr_rkey(const struct pdma_rnic_mr *mr);
uint64_t pdma_rnic_mr_len(const struct pdma_rnic_mr *mr);

enum pdma_rnic_opcode {
	PDMA_RNIC_WRITE = 1,
	PDMA_RNIC_READ = 2,
};

/**
 * struct pdma_rnic_wc - a work completion.
 * @opcode: what ran.
 * @status: 0 or a negative errno (see the top of this file).
 * @bytes:  bytes that reached the destination.
 */
struct pdma_rnic_wc {
	enum pdma_rnic_opcode opcode;
	int status;
	uint64_t bytes;
};

/**
 * pdma_rnic_write() - RDMA WRITE of @len bytes from the local MR @lkey at
 * @loff to the peer's MR @rkey at @roff.
 * @wc: receives the completion (may be NULL).
 * Return: the completion's status.
 */
int pdma_rnic_write(struct pdma_rnic *nic, uint32_t lkey, uint64_t loff,
		    uint32_t rkey, uint64_t roff, uint64_t len,
		    struct pdma_rnic_wc *wc);

/** pdma_rnic_read() - RDMA READ from the peer's @rkey into local @lkey. */
int pdma_rnic_read(struct pdma_rnic *nic, uint32_t lkey, uint64_t loff,
		   uint32_t rkey, uint64_t roff, uint64_t len,
		   struct pdma_rnic_wc *wc);

/**
 * struct pdma_rnic_stats - a NIC's counters.
 * @faults:        dma-buf MR mappings (re)made on access.
 * @invalidations: move_notify calls on its dma-buf MRs.
 * @tx_bytes, @rx_bytes: bytes sent to and received from the wire.
 * @errors:        completions with an error status.
 */
struct pdma_rnic_stats {
	uint64_t faults;
	uint64_t invalidations;
	uint64_t tx_bytes, rx_bytes;
	uint64_t errors;
};

/** pdma_rnic_stats() - read the counters. */
void pdma_rnic_stats(struct pdma_rnic *nic, struct pdma_rnic_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_RNIC_H */
