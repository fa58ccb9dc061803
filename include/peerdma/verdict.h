/* SPDX-License-Identifier: MIT */
/*
 * peerdma/verdict.h - can @provider's memory be reached by @client's DMA?
 *
 * The answer is the Linux kernel's (drivers/pci/p2pdma.c,
 * calc_map_type_and_dist() and pci_p2pdma_distance_many() with one client):
 * the distance and the map type, computed from the fabric model.  On top of
 * it peerdma gives the route, its NCCL-style class, the narrowest link, the
 * reasons for anything that is not BUS_ADDR and the fix.
 *
 * Verdicts are cached per provider, like the kernel's map_types xarray; unlike
 * the kernel's, the cache is dropped whenever the model changes.
 */
#ifndef PEERDMA_VERDICT_H
#define PEERDMA_VERDICT_H

#include <peerdma/fabric.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Same order and meaning as enum pci_p2pdma_map_type. */
enum pdma_map_type {
	PDMA_MAP_UNKNOWN = 0,
	PDMA_MAP_NOT_SUPPORTED = 2,
	PDMA_MAP_BUS_ADDR = 3,
	PDMA_MAP_THRU_HOST_BRIDGE = 4,
};

/* NCCL / nvidia-smi topo path classes, of the route the TLPs really take. */
enum pdma_path_class {
	PDMA_PATH_X = 0,	/* the same function */
	PDMA_PATH_PIX,		/* through at most one bridge or switch */
	PDMA_PATH_PXB,		/* through several switches, not the host bridge */
	PDMA_PATH_PHB,		/* through one host bridge (root complex) */
	PDMA_PATH_NODE,		/* between host bridges of one NUMA node */
	PDMA_PATH_SYS,		/* between NUMA nodes (SMP interconnect) */
};

/* The rule a reason cites. */
enum pdma_rule {
	PDMA_RULE_ACS_REDIRECT = 1,	/* RR/CR/EC set on a port of the path */
	PDMA_RULE_NO_COMMON_BRIDGE,	/* no shared upstream bridge */
	PDMA_RULE_CPU_ALLOWS,		/* AMD family >= 0x17 */
	PDMA_RULE_CPU_TOO_OLD,		/* AMD, family < 0x17 */
	PDMA_RULE_CPU_NOT_AMD,		/* the CPU rule does not apply */
	PDMA_RULE_HB_ALLOWED,		/* host bridge on the allow-list */
	PDMA_RULE_HB_NOT_LISTED,	/* host bridge device not on the list */
	PDMA_RULE_HB_REQ_SAME,		/* listed, but only within one bridge */
	PDMA_RULE_HB_NO_ROOT_DEV,	/* no 00.0 / root port to inspect */
	PDMA_RULE_ACS_UNKNOWN,		/* ACS could not be read */
	PDMA_RULE_IOMMU_TRANSLATES,	/* the route goes through an IOMMU */
	PDMA_RULE_IOMMU_BLOCKS,		/* the client's IOMMU domain blocks DMA */
};

/**
 * struct pdma_reason - one step of the reasoning.
 * @rule:        what the kernel checked.
 * @func:        the function it concerns, or PDMA_NONE.
 * @host_bridge: the host bridge it concerns, or PDMA_NONE.
 * @text:        one sentence for people.
 */
struct pdma_reason {
	enum pdma_rule rule;
	int func;
	int host_bridge;
	char text[200];
};

/* A hop of a route: a function, or a host bridge (root complex). */
struct pdma_hop {
	bool is_host_bridge;
	int idx;
};

#define PDMA_MAX_REASONS 8

/**
 * struct pdma_verdict - the full answer for one (provider, client) pair.
 * @provider, @client: function indices.
 * @distance:     what pci_p2pdma_distance() returns: -1 when rejected.
 * @raw_distance: the distance the kernel computed before rejecting.
 * @map_type:     the kernel's map type.
 * @path_class:   class of the route taken (ACS redirect sends a pair that
 *                shares a switch through the root complex: PHB).
 * @ancestor:     the common upstream bridge, or PDMA_NONE.
 * @nr_hops, @hops: the route from provider to client (malloc'ed).
 * @bottleneck_gbps: GB/s of the narrowest link on the route after line
 *                encoding (0 unknown).
 * @bottleneck_link: the function whose upstream link it is, or PDMA_NONE.
 * @bottleneck_speed: that link's generation and width, as the narrower of
 *                its two ends reports it.
 * @modeled_gbps: payload GB/s one flow gets on that route by the link model
 *                (TLP and DLLP overheads, MPS 256; <peerdma/link.h>); 0
 *                unknown.
 * @nr_reasons, @reasons: why, in the kernel's order.
 * @fix:          what would give BUS_ADDR or allow the pair ("" if nothing).
 */
struct pdma_verdict {
	int provider, client;
	int distance;
	int raw_distance;
	enum pdma_map_type map_type;
	enum pdma_path_class path_class;
	int ancestor;
	int nr_hops;
	struct pdma_hop *hops;
	double bottleneck_gbps;
	int bottleneck_link;
	struct pdma_link bottleneck_speed;
	double modeled_gbps;
	int nr_reasons;
	struct pdma_reason reasons[PDMA_MAX_REASONS];
	char fix[512];
};

/* Which kernel's rules apply (the allow-list grew over time). */
enum pdma_rules {
	PDMA_RULES_V6_12 = 0,	/* Linux 6.12 LTS, the fixtures' kernel */
	PDMA_RULES_LATEST,	/* about 7.0: DSA/IAA/QAT, NVIDIA, Google */
};

/** pdma_rules_name() - "Linux 6.12 (drivers/pci/p2pdma.c)" and so on. */
const char *pdma_rules_name(enum pdma_rules rules);
/** pdma_rules_parse() - "6.12" or "latest"; 0 or -EINVAL. */
int pdma_rules_parse(const char *s, enum pdma_rules *out);
/** pdma_fabric_set_rules() - choose the rules; invalidates verdicts. */
void pdma_fabric_set_rules(struct pdma_fabric *fab, enum pdma_rules rules);
/** pdma_fabric_rules() - the rules in force (default PDMA_RULES_V6_12). */
enum pdma_rules pdma_fabric_rules(const struct pdma_fabric *fab);

/**
 * pdma_verdict_map_type() - the kernel's map type and distance for a pair,
 * from the per-provider cache (filled for the whole row on a miss).
 * @distance: receives the distance (-1 when NOT_SUPPORTED); may be NULL.
 *
 * Safe to call from several threads on a finalized fabric.
 *
 * Return: the map type, or PDMA_MAP_UNKNOWN for a bad index or a bridge.
 */
enum pdma_map_type pdma_verdict_map_type(struct pdma_fabric *fab,
					 int provider, int client,
					 int *distance);

/**
 * pdma_verdict_distance_many() - pci_p2pdma_distance_many(): the sum of the
 * distances from @provider to every client, -1 if any is NOT_SUPPORTED or
 * @n is 0.
 */
int pdma_verdict_distance_many(struct pdma_fabric *fab, int provider,
			       const int *clients, int n);

/**
 * pdma_verdict_explain() - the full answer for one pair.
 * @v: filled; release with pdma_verdict_release().
 *
 * Return: 0, -EINVAL for a bad index or a bridge, -ENOMEM.
 */
int pdma_verdict_explain(struct pdma_fabric *fab, int provider, int client,
			 struct pdma_verdict *v);

/** pdma_verdict_release() - free what explain allocated (not @v itself). */
void pdma_verdict_release(struct pdma_verdict *v);

/** pdma_map_type_name() - "BUS_ADDR", "THRU_HOST_BRIDGE", "NOT_SUPPORTED". */
const char *pdma_map_type_name(enum pdma_map_type t);
/** pdma_path_class_name() - "X", "PIX", "PXB", "PHB", "NODE", "SYS". */
const char *pdma_path_class_name(enum pdma_path_class c);
/** pdma_rule_name() - a stable identifier ("acs_redirect", ...). */
const char *pdma_rule_name(enum pdma_rule r);

/**
 * pdma_verdict_cache_stats() - cache hits, misses (rows computed) and
 * invalidations so far, for tests and the CLI's --stats.
 */
void pdma_verdict_cache_stats(const struct pdma_fabric *fab, uint64_t *hits,
			      uint64_t *misses, uint64_t *invalidations);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_VERDICT_H */
