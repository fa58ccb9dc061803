/* SPDX-License-Identifier: MIT */
/*
 * src/scenario: what the scenario files share (private).
 */
#ifndef PDMA_SCENARIO_INTERNAL_H
#define PDMA_SCENARIO_INTERNAL_H

#include <peerdma/accel.h>
#include <peerdma/dma.h>
#include <peerdma/gpu.h>
#include <peerdma/mem.h>
#include <peerdma/nvme.h>
#include <peerdma/platform.h>
#include <peerdma/rnic.h>
#include <peerdma/scenario.h>
#include <peerdma/source.h>
#include <peerdma/verdict.h>

#include "../fabric/model.h"

#define SC_MAX_MAPS	256
#define SC_MAX_FILES	PDMA_SCENARIO_MAX_FLOWS

/* One host: a platform, its DMA layer and a bump allocator in its RAM. */
struct sc_host {
	struct pdma_fabric *fab;
	struct pdma_platform *plat;
	struct pdma_dma *dma;
	uint64_t ram_phys, ram_size, bump, bump_limit;
	unsigned char *ram;
	struct pdma_sgt *maps[SC_MAX_MAPS];
	int nr_maps;
};

/* A host-side NVMe queue pair with rings and one PRP list page per slot. */
struct sc_queue {
	struct pdma_nvme *ctrl;
	uint16_t qid;
	uint32_t entries, sq_tail, cq_head;
	bool phase;
	struct pdma_nvme_cmd *sq;
	struct pdma_nvme_cqe *cq;
	uint64_t *lists;	/* entries pages of PRP entries */
	uint64_t lists_dma;
};

/* Everything a run builds. */
struct sc_env {
	const struct pdma_scenario *sc;
	const struct pdma_scenario_opts *opts;
	struct sc_host local, remote;
	int nic, nvme, gpu, accel;	/* local functions, PDMA_NONE if none */
	struct pdma_nvme *ctrl;
	int cmb_bar;			/* -1: the NVMe has no CMB */
	struct pdma_gpu *gpu_dev;
	struct pdma_accel *accel_dev;
	int nr_accel_queues;
	struct pdma_wire *wire;
	struct pdma_rnic *lnic, *rnic;
	char files[SC_MAX_FILES][64];
	int nr_files;
	uint64_t *link_before;		/* 2 per function */
	uint64_t wire_before;
	int nr_queues;
};

/* env.c */
PDMA_INTERNAL int pdma__sc_env_setup(struct sc_env *e,
				     const struct pdma_scenario *sc,
				     const struct pdma_scenario_opts *opts,
				     struct pdma_error *err);
PDMA_INTERNAL void pdma__sc_env_teardown(struct sc_env *e);
PDMA_INTERNAL void *pdma__sc_alloc(struct sc_host *h, uint64_t len,
				   uint64_t *phys);
PDMA_INTERNAL int pdma__sc_map(struct sc_host *h, int dev, uint64_t phys,
			       uint64_t len, uint64_t *dma);
PDMA_INTERNAL int pdma__sc_namespace(struct sc_env *e, uint64_t bytes,
				     uint32_t *nsid, int *fd,
				     struct pdma_error *err);
PDMA_INTERNAL int pdma__sc_queue(struct sc_env *e, struct sc_queue *q,
				 uint16_t qid, uint32_t entries);
PDMA_INTERNAL int pdma__sc_nvme_batch(struct sc_queue *q, uint8_t op,
				      uint32_t nsid, const uint64_t *slba,
				      const uint64_t *const *pages,
				      const uint32_t *npages, int n,
				      int *status);
PDMA_INTERNAL void pdma__sc_pattern(void *p, uint64_t len, uint64_t off,
				    uint32_t seed);

/* path.c: the verdict and the figures of one path */
PDMA_INTERNAL void pdma__sc_verdict(struct sc_env *e, int provider,
				    int client, struct pdma_path_result *r,
				    const char *no_p2p_why);
PDMA_INTERNAL void pdma__sc_begin(struct sc_env *e,
				  struct pdma_path_result *r);
PDMA_INTERNAL void pdma__sc_end(struct sc_env *e, struct pdma_path_result *r,
				double seconds);
PDMA_INTERNAL void pdma__sc_model(struct sc_env *e,
				  struct pdma_path_result *r,
				  const struct pdma_flow *legs, int n);
PDMA_INTERNAL void pdma__sc_progress(struct sc_env *e,
				     const struct pdma_scenario_flow *f,
				     uint64_t done, uint64_t total);
PDMA_INTERNAL double pdma__sc_now(void);
PDMA_INTERNAL void pdma__sc_why(struct pdma_path_result *r, bool replace_p2p,
				const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* flow_nvme.c, flow_gpu.c */
PDMA_INTERNAL int pdma__sc_nic_to_nvme(struct sc_env *e,
				       const struct pdma_scenario_flow *f,
				       struct pdma_path_result *r);
PDMA_INTERNAL int pdma__sc_nvme_to_gpu(struct sc_env *e,
				       const struct pdma_scenario_flow *f,
				       struct pdma_path_result *r);
PDMA_INTERNAL int pdma__sc_nic_to_accel(struct sc_env *e,
					const struct pdma_scenario_flow *f,
					struct pdma_path_result *r);
PDMA_INTERNAL int pdma__sc_gpu_to_nic(struct sc_env *e,
				      const struct pdma_scenario_flow *f,
				      struct pdma_path_result *r);

#endif /* PDMA_SCENARIO_INTERNAL_H */
