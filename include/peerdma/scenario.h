/* SPDX-License-Identifier: MIT */
/*
 * peerdma/scenario.h - end-to-end data paths on an emulated machine.
 *
 * A scenario names a fabric (a preset, a topology file or a sysfs
 * snapshot), which function plays which device (NIC, NVMe, GPU) and a list
 * of flows.  Running it builds the platform, its DMA layer, the devices
 * and their namespaces (temporary files), a remote host (a second platform
 * joined to the local NIC by a wire), then runs the flows one after the
 * other.  Each flow moves real bytes through the emulated devices, checks
 * every byte with a CRC-32 at both ends, and reports measured throughput
 * (wall clock of the emulation), modeled throughput (the link model),
 * bytes per link, bytes that touched RAM, and whether P2P was used or the
 * data was staged through RAM, and why (the verdict).
 *
 * The file format is in docs/scenario-format.md; the built-in scenarios
 * are written in the same form.
 *
 * Thread safety: a scenario and a result are plain data; one run uses its
 * own platform, so runs in different threads do not interact.
 */
#ifndef PEERDMA_SCENARIO_H
#define PEERDMA_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerdma/fabric.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PDMA_SCENARIO_MAX_FLOWS	8
#define PDMA_SCENARIO_MAX_LINKS	32

/* What a flow does. */
enum pdma_flow_kind {
	PDMA_FLOW_NIC_TO_NVME = 1,	/* RDMA WRITE from the remote host into
					   a staging buffer, NVMe WRITE from
					   there (NVMe-oF target offload) */
	PDMA_FLOW_NVME_TO_GPU = 2,	/* NVMe READ into a GPU buffer */
	PDMA_FLOW_GPU_TO_NIC = 3,	/* RDMA WRITE from a GPU buffer to the
					   remote host's RAM */
	PDMA_FLOW_NIC_TO_ACCEL = 4,	/* encrypted packets RDMA-written into
					   a staging buffer, decrypted there in
					   place by the accelerator */
};

/* Where a flow stages its data. */
enum pdma_flow_mode {
	PDMA_FLOW_AUTO = 0,	/* P2P where the verdict allows, else RAM */
	PDMA_FLOW_P2P = 1,	/* P2P or, when impossible, RAM (with why) */
	PDMA_FLOW_BOUNCE = 2,	/* always through RAM */
};

/**
 * struct pdma_scenario_flow - one flow.
 * @name:        shown in reports.
 * @kind:        what it does.
 * @source, @destination: device roles ("remote", "nvme", "gpu", "accel");
 *               each kind has one valid pair (docs/scenario-format.md).
 * @mode:        where to stage.
 * @io_size:     bytes per command / work request (4 KiB multiple, up to
 *               1 MiB).
 * @queue_depth: commands in flight per doorbell (1..64).
 * @total_bytes: bytes per pass (a multiple of @io_size).
 * @duration:    seconds to keep running passes (0: one pass).
 * @unplug_at:   fault: remove the staging device's p2pmem after this
 *               fraction of the bytes (0 < x < 1), or < 0 for none.
 * @evict_storm: fault: a thread evicts and restores the GPU buffer while
 *               the flow runs.
 */
struct pdma_scenario_flow {
	char name[48];
	enum pdma_flow_kind kind;
	char source[16], destination[16];
	enum pdma_flow_mode mode;
	uint64_t io_size;
	int queue_depth;
	uint64_t total_bytes;
	double duration;
	double unplug_at;
	bool evict_storm;
};

/* Where the fabric comes from. */
enum pdma_scenario_fabric {
	PDMA_SCENARIO_PRESET = 0,	/* @fabric is a preset name ("" default) */
	PDMA_SCENARIO_TOPO,		/* a topology file */
	PDMA_SCENARIO_SYSFS,		/* a sysfs root or snapshot */
};

/**
 * struct pdma_scenario - a loaded scenario.
 * @name, @description: for people.
 * @fabric_kind, @fabric: the source; relative paths of a scenario file are
 *               resolved against the file's directory.
 * @nic, @nvme, @gpu, @accel: function names (BDF or label), "" to
 *               choose automatically (the pair with the best verdict).
 * @wire_gbps:   the network between the hosts, Gbit/s (default 200).
 * @nr_flows, @flows: what to run, in order.
 */
struct pdma_scenario {
	char name[64];
	char description[256];
	enum pdma_scenario_fabric fabric_kind;
	char fabric[512];
	char nic[64], nvme[64], gpu[64];
	double wire_gbps;
	char accel[64];
	int nr_flows;
	struct pdma_scenario_flow flows[PDMA_SCENARIO_MAX_FLOWS];
};

/**
 * pdma_scenario_load() - read a scenario file (JSON).
 * @out: receives a malloc'ed scenario (free()); NULL on error.
 * @err: one line naming the file, the JSON path or line, and why.
 *
 * Return: 0; -EINVAL for a malformed file; the errno of opening it.
 */
int pdma_scenario_load(const char *path, struct pdma_scenario **out,
		       struct pdma_error *err);

/**
 * pdma_scenario_load_mem() - the same from @len bytes at @buf; @name is
 * used in messages, @dir resolves relative fabric paths (NULL: as given).
 */
int pdma_scenario_load_mem(const char *buf, size_t len, const char *name,
			   const char *dir, struct pdma_scenario **out,
			   struct pdma_error *err);

/**
 * pdma_scenario_builtin() - a built-in scenario by name ("" or NULL: the
 * default, copy-offload).  Return: 0, -ENOENT (with the list in @err).
 */
int pdma_scenario_builtin(const char *name, struct pdma_scenario **out,
			  struct pdma_error *err);

/** pdma_scenario_builtin_name() / _description() - the idx-th, or NULL. */
const char *pdma_scenario_builtin_name(int idx);
const char *pdma_scenario_builtin_description(int idx);

/** pdma_scenario_builtin_text() - the JSON text of the idx-th, or NULL. */
const char *pdma_scenario_builtin_text(int idx);

/**
 * struct pdma_scenario_link - bytes one link carried during a path.
 * @func: the function below the link; @up, @down: bytes each way.
 */
struct pdma_scenario_link {
	int func;
	uint64_t up, down;
};

/**
 * struct pdma_path_result - what one flow did.
 * @name, @kind:   the flow.
 * @src, @dst:     the functions whose memory or engine start and end it
 *                 (local side), PDMA_NONE when not used.
 * @p2p:           data went device to device (else staged through RAM).
 * @map_type:      the verdict for the pair.
 * @why:           one line: the verdict and what the run did about it
 *                 ("NOT_SUPPORTED: ...: staged through RAM").
 * @bytes:         payload bytes moved end to end (all passes).
 * @src_crc, @dst_crc: CRC-32 of the data at both ends (last pass).
 * @verified:      every byte arrived intact (the CRCs and a byte compare).
 * @corrupt_bytes: bytes that differ at the destination.
 * @seconds, @measured_gbps: wall clock of the emulation.
 * @modeled_gbps:  the link model's rate for the path (its legs at once,
 *                 the wire included).
 * @ram_bytes:     bytes the local RAM saw (data and queue traffic).
 * @wire_bytes:    bytes across the network.
 * @evictions, @refaults: GPU evictions and NIC re-faults during the run.
 * @error, @error_text: the first failure a fault caused (0 when none): the
 *                 work in flight failed with it and the rest continued.
 * @nr_links, @links: every link with traffic, by function.
 */
struct pdma_path_result {
	char name[48];
	enum pdma_flow_kind kind;
	int src, dst;
	bool p2p;
	int map_type;
	char why[400];
	uint64_t bytes;
	uint32_t src_crc, dst_crc;
	bool verified;
	uint64_t corrupt_bytes;
	double seconds, measured_gbps, modeled_gbps;
	uint64_t ram_bytes, wire_bytes;
	uint64_t evictions, refaults;
	int error;
	char error_text[256];
	int nr_links;
	struct pdma_scenario_link links[PDMA_SCENARIO_MAX_LINKS];
};

/**
 * struct pdma_scenario_result - a whole run.
 * @fab:       the local fabric (owned by the result; for names and the
 *             topology drawing).
 * @nic, @nvme, @gpu, @accel: the functions used, PDMA_NONE if none.
 * @nr_paths, @paths: one per flow.
 * @ok:        every path verified.
 */
struct pdma_scenario_result {
	char scenario[64];
	struct pdma_fabric *fab;
	int nic, nvme, gpu;
	int nr_paths;
	int accel;
	struct pdma_path_result paths[PDMA_SCENARIO_MAX_FLOWS];
	bool ok;
};

/**
 * struct pdma_scenario_opts - how to run.
 * @size:     sizeof(struct pdma_scenario_opts).
 * @progress: called now and then with the bytes done of a flow (may be
 *            NULL); @ctx is passed to it.
 * @override_kind, @override: when @override is set, load this source
 *            instead of the scenario's.
 */
struct pdma_scenario_opts {
	size_t size;
	void (*progress)(void *ctx, const char *flow, uint64_t done,
			 uint64_t total);
	void *ctx;
	enum pdma_scenario_fabric override_kind;
	const char *override;
};

/** pdma_scenario_opts_init() - no progress, the scenario's own fabric. */
void pdma_scenario_opts_init(struct pdma_scenario_opts *o);

/**
 * pdma_scenario_run() - run every flow of @sc.
 * @out: receives a malloc'ed result; free with pdma_scenario_result_free().
 * @err: one line when the run cannot start (fabric, devices).
 *
 * A flow whose data does not verify still gives a result (@ok false).
 * Return: 0; -EINVAL (bad scenario, no such device); a loader's error;
 * -ENOMEM; the errno of creating a namespace file.
 */
int pdma_scenario_run(const struct pdma_scenario *sc,
		      const struct pdma_scenario_opts *opts,
		      struct pdma_scenario_result **out,
		      struct pdma_error *err);

/** pdma_scenario_result_free() - NULL is a no-op. */
void pdma_scenario_result_free(struct pdma_scenario_result *r);

/**
 * pdma_scenario_compare_bounce() - the copy-offload flow on the preset
 * @preset ("" for the default), @total_bytes of it, once P2P and once
 * staged through RAM.
 * @p2p_gbps, @bounce_gbps: measured throughputs (either may be NULL).
 * @p2p_used: whether the first run could use P2P (may be NULL).
 *
 * Return: 0; -EIO when either run did not verify; as pdma_scenario_run().
 */
int pdma_scenario_compare_bounce(const char *preset, uint64_t total_bytes,
				 double *p2p_gbps, double *bounce_gbps,
				 bool *p2p_used, struct pdma_error *err);

/** pdma_flow_kind_name() - "nic-to-nvme", ...; "?" when unknown. */
const char *pdma_flow_kind_name(enum pdma_flow_kind k);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_SCENARIO_H */
