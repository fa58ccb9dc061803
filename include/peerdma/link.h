/* SPDX-License-Identifier: MIT */
/*
 * peerdma/link.h - what PCIe links can carry, and how flows share them.
 *
 * Two parts:
 *
 *  - pdma_link_data_gbps(): the payload bandwidth of one link in one
 *    direction once line encoding, TLP headers and framing and the ACK/FC
 *    DLLPs are paid for (the formula is in docs/memory.md, "Link model").
 *
 *  - struct pdma_linkmodel: links with a capacity per direction and flows
 *    that cross some of them; pdma_linkmodel_solve() gives every flow its
 *    max-min fair rate (progressive filling), and from that the modeled time
 *    to move a number of bytes.
 *
 * Units: GB/s are 10^9 bytes per second, times are seconds.
 *
 * Thread safety: a link model is not locked; the caller serialises every
 * call on one model.  pdma_link_data_gbps() is pure.
 */
#ifndef PEERDMA_LINK_H
#define PEERDMA_LINK_H

#include <stddef.h>
#include <stdint.h>

#include <peerdma/fabric.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct pdma_link_params - protocol overheads of the link model.
 * @size:          sizeof(struct pdma_link_params), so the struct can grow.
 * @mps:           Max_Payload_Size in bytes (128..4096); default 256.
 * @tlp_header:    TLP header bytes: 12 (3DW, 32-bit address) or 16 (4DW,
 *                 64-bit address); default 16.
 * @tlp_framing:   per-TLP bytes the data link and physical layers add:
 *                 STP (+END at gen 1-2), sequence number and LCRC; default
 *                 8.  Gen 6 runs in FLIT mode, where sequence numbers and
 *                 CRC belong to the flit, so this is not charged there.
 * @dllp_bytes:    bytes of one ACK or flow-control DLLP with its framing;
 *                 default 8.
 * @tlps_per_dllp: one such DLLP per this many TLPs (default 4); 0 charges
 *                 no DLLPs.
 *
 * Fill with pdma_link_params_init() and change what differs.
 */
struct pdma_link_params {
	size_t size;
	unsigned mps;
	unsigned tlp_header;
	unsigned tlp_framing;
	unsigned dllp_bytes;
	unsigned tlps_per_dllp;
};

/** pdma_link_params_init() - fill @p with the defaults listed above. */
void pdma_link_params_init(struct pdma_link_params *p);

/**
 * pdma_link_data_gbps() - payload bandwidth of @link in one direction.
 * @link: generation 1..6 and width; see struct pdma_link.
 * @p:    overheads; NULL for the defaults.
 *
 * raw GT/s x width x encoding / 8 x mps / (mps + header + framing +
 * dllp_bytes / tlps_per_dllp), in GB/s.  Encoding is 8b/10b for gen 1-2,
 * 128b/130b for gen 3-5 and 242/256 (FLIT) for gen 6.
 *
 * Return: GB/s, or 0 for an unknown link (gen or width 0) or invalid @p
 * (wrong @size, @mps outside 128..4096 or not a power of two).
 */
double pdma_link_data_gbps(struct pdma_link link,
			   const struct pdma_link_params *p);

/* A direction on a link (the same enum as in <peerdma/platform.h>). */
#ifndef PDMA_LINK_DIR_DEFINED
#define PDMA_LINK_DIR_DEFINED
enum pdma_link_dir {
	PDMA_LINK_UP = 0,	/* toward the root complex */
	PDMA_LINK_DOWN = 1,	/* away from it */
};
#endif

struct pdma_linkmodel;

/**
 * pdma_linkmodel_create() - a new model with no links and no flows.
 * @out: receives it; release with pdma_linkmodel_destroy().
 *
 * Return: 0 or -ENOMEM.
 */
int pdma_linkmodel_create(struct pdma_linkmodel **out);

/** pdma_linkmodel_destroy() - free @lm (NULL is a no-op). */
void pdma_linkmodel_destroy(struct pdma_linkmodel *lm);

/**
 * pdma_linkmodel_add_link() - add a full-duplex link.
 * @gbps: capacity in each direction (>= 0, finite), e.g. from
 *        pdma_link_data_gbps().
 * @id:   receives the link's id, 0, 1, ... in order (may be NULL).
 *
 * Return: 0, -EINVAL for a negative or non-finite capacity, -ENOMEM.
 */
int pdma_linkmodel_add_link(struct pdma_linkmodel *lm, double gbps, int *id);

/**
 * pdma_linkmodel_set_capacity() - change a link's capacity (what if the
 * link trains at x8?).  Takes effect at the next solve.
 *
 * Return: 0, -EINVAL for a bad id or capacity.
 */
int pdma_linkmodel_set_capacity(struct pdma_linkmodel *lm, int link,
				double gbps);

/**
 * pdma_linkmodel_add_flow() - add a flow of bytes along a route.
 * @links, @dirs: the @n (link, direction) pairs it crosses; a pair listed
 *        twice carries the flow twice.
 * @demand: the most the flow asks for, GB/s; 0 for no limit.
 * @id:   receives the flow's id (may be NULL).  Ids of removed flows are
 *        reused.
 *
 * Return: 0, -EINVAL for an unknown link, a bad direction, a negative or
 * non-finite demand, or a flow that crosses nothing and has no demand
 * (its rate would be infinite), -ENOMEM.
 */
int pdma_linkmodel_add_flow(struct pdma_linkmodel *lm, const int *links,
			    const enum pdma_link_dir *dirs, int n,
			    double demand, int *id);

/**
 * pdma_linkmodel_remove_flow() - the flow has finished.
 * Return: 0 or -EINVAL for an unknown flow.
 */
int pdma_linkmodel_remove_flow(struct pdma_linkmodel *lm, int flow);

/**
 * pdma_linkmodel_solve() - give every flow its max-min fair rate.
 *
 * Progressive filling: all flows start at 0 and rise together; when a link
 * direction is full, or a flow reaches its demand, those flows stop and the
 * rest keep rising.  The result is exact up to rounding and depends only on
 * the links and flows, not on timing.
 *
 * Return: 0 or -ENOMEM.
 */
int pdma_linkmodel_solve(struct pdma_linkmodel *lm);

/**
 * pdma_linkmodel_flow_rate() - a flow's rate from the last solve, GB/s.
 * Return: 0, -EINVAL for an unknown flow, -EAGAIN if links or flows changed
 * since the last solve.
 */
int pdma_linkmodel_flow_rate(const struct pdma_linkmodel *lm, int flow,
			     double *gbps);

/**
 * pdma_linkmodel_flow_bottleneck() - what stopped a flow's rate.
 * @link, @dir: the link direction that filled up first on its route, or
 *              -1 (and @dir untouched) when the flow got its whole demand.
 *
 * Return: 0, -EINVAL, -EAGAIN as for pdma_linkmodel_flow_rate().
 */
int pdma_linkmodel_flow_bottleneck(const struct pdma_linkmodel *lm, int flow,
				   int *link, enum pdma_link_dir *dir);

/**
 * pdma_linkmodel_link_load() - GB/s crossing a link direction, summed over
 * the flows of the last solve (never more than the capacity).
 *
 * Return: 0, -EINVAL for a bad link or direction, -EAGAIN if not solved.
 */
int pdma_linkmodel_link_load(const struct pdma_linkmodel *lm, int link,
			     enum pdma_link_dir dir, double *gbps);

/**
 * pdma_linkmodel_transfer_time() - seconds to move @bytes at the flow's
 * solved rate (INFINITY when the rate is 0 and @bytes is not).
 *
 * Return: 0, -EINVAL, -EAGAIN as for pdma_linkmodel_flow_rate().
 */
int pdma_linkmodel_transfer_time(const struct pdma_linkmodel *lm, int flow,
				 uint64_t bytes, double *seconds);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_LINK_H */
