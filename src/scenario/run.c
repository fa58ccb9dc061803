// SPDX-License-Identifier: MIT
/*
 * Running a scenario: set up, run the flows in order, tear down; and the
 * copy offload P2P against bounce for 'peerdma bench'.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_internal.h"

void pdma_scenario_opts_init(struct pdma_scenario_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
}

void pdma_scenario_result_free(struct pdma_scenario_result *r)
{
	if (!r)
		return;
	pdma_fabric_destroy(r->fab);
	free(r);
}

static int run_flow(struct sc_env *e, const struct pdma_scenario_flow *f,
		    struct pdma_path_result *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", f->name);
	r->kind = f->kind;
	r->src = r->dst = PDMA_NONE;
	switch (f->kind) {
	case PDMA_FLOW_NIC_TO_NVME:
		return pdma__sc_nic_to_nvme(e, f, r);
	case PDMA_FLOW_NVME_TO_GPU:
		return pdma__sc_nvme_to_gpu(e, f, r);
	case PDMA_FLOW_GPU_TO_NIC:
		return pdma__sc_gpu_to_nic(e, f, r);
	case PDMA_FLOW_NIC_TO_ACCEL:
		return pdma__sc_nic_to_accel(e, f, r);
	}
	return -EINVAL;
}

int pdma_scenario_run(const struct pdma_scenario *sc,
		      const struct pdma_scenario_opts *opts,
		      struct pdma_scenario_result **out,
		      struct pdma_error *err)
{
	struct pdma_scenario_result *res;
	struct sc_env e;
	int ret;

	*out = NULL;
	if (!sc || sc->nr_flows < 1 || sc->nr_flows > PDMA_SCENARIO_MAX_FLOWS ||
	    (opts && opts->size != sizeof(*opts))) {
		pdma__err(err, "invalid scenario or options");
		return -EINVAL;
	}
	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	ret = pdma__sc_env_setup(&e, sc, opts, err);
	if (ret) {
		free(res);
		return ret;
	}
	snprintf(res->scenario, sizeof(res->scenario), "%s", sc->name);
	res->nic = e.nic;
	res->nvme = e.nvme;
	res->gpu = e.gpu;
	res->accel = e.accel;
	res->ok = true;
	for (int i = 0; i < sc->nr_flows; i++) {
		struct pdma_path_result *r = &res->paths[i];

		ret = run_flow(&e, &sc->flows[i], r);
		res->nr_paths++;
		if (ret && !r->error) {
			r->error = ret;
			snprintf(r->error_text, sizeof(r->error_text),
				 "the flow stopped: %s", strerror(-ret));
		}
		if (!r->verified)
			res->ok = false;
	}
	/* The result keeps the local fabric for names and drawings. */
	res->fab = e.local.fab;
	pdma_rnic_destroy(e.lnic);
	pdma_rnic_destroy(e.rnic);
	e.lnic = e.rnic = NULL;
	pdma_wire_destroy(e.wire);
	e.wire = NULL;
	pdma_gpu_destroy(e.gpu_dev);
	e.gpu_dev = NULL;
	pdma_accel_destroy(e.accel_dev);
	e.accel_dev = NULL;
	pdma_nvme_destroy(e.ctrl);
	e.ctrl = NULL;
	for (int i = 0; i < e.local.nr_maps; i++)
		pdma_dma_unmap(e.local.dma, e.local.maps[i]);
	e.local.nr_maps = 0;
	pdma_dma_destroy(e.local.dma);
	pdma_platform_destroy(e.local.plat);
	e.local.fab = NULL;
	pdma__sc_env_teardown(&e);
	*out = res;
	return 0;
}

int pdma_scenario_compare_bounce(const char *preset, uint64_t total_bytes,
				 double *p2p_gbps, double *bounce_gbps,
				 bool *p2p_used, struct pdma_error *err)
{
	struct pdma_scenario_result *res;
	struct pdma_scenario *sc;
	int ret;

	ret = pdma_scenario_builtin("copy-offload", &sc, err);
	if (ret)
		return ret;
	snprintf(sc->fabric, sizeof(sc->fabric), "%s", preset ? preset : "");
	sc->fabric_kind = PDMA_SCENARIO_PRESET;
	for (int i = 0; i < sc->nr_flows && total_bytes; i++)
		sc->flows[i].total_bytes = (total_bytes + sc->flows[i].io_size -
					    1) / sc->flows[i].io_size *
					   sc->flows[i].io_size;
	ret = pdma_scenario_run(sc, NULL, &res, err);
	free(sc);
	if (ret)
		return ret;
	if (!res->ok || res->nr_paths != 2) {
		pdma__err(err, "copy-offload on %s: the data did not verify",
			  preset && preset[0] ? preset : "the default preset");
		pdma_scenario_result_free(res);
		return -EIO;
	}
	if (p2p_gbps)
		*p2p_gbps = res->paths[0].measured_gbps;
	if (bounce_gbps)
		*bounce_gbps = res->paths[1].measured_gbps;
	if (p2p_used)
		*p2p_used = res->paths[0].p2p;
	pdma_scenario_result_free(res);
	return 0;
}
