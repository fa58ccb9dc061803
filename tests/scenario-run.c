// SPDX-License-Identifier: MIT
/*
 * Every built-in scenario runs and verifies on two presets and a kernel
 * fixture.  For each path: P2P exactly when the verdict for its pair allows
 * it (and the flow may use it), otherwise staged through RAM with the
 * verdict's reason in the report; the data crossed the links it should and
 * touched RAM only when staged; measured and modeled rates are positive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/scenario.h>
#include <peerdma/verdict.h>

#include "harness.h"

static uint64_t link_bytes(const struct pdma_path_result *p, int func,
			   bool up)
{
	for (int i = 0; i < p->nr_links; i++)
		if (p->links[i].func == func)
			return up ? p->links[i].up : p->links[i].down;
	return 0;
}

static void check_path(const struct pdma_scenario_result *r,
		       const struct pdma_scenario_flow *f,
		       const struct pdma_path_result *p, const char *where)
{
	enum pdma_map_type t;
	int prov, client;
	bool want_p2p;

	printf("  %s %-16s %-6s %6.2f GB/s (model %6.2f), RAM %llu: %s\n",
	       where, p->name, p->p2p ? "P2P" : "bounce", p->measured_gbps,
	       p->modeled_gbps, (unsigned long long)p->ram_bytes, p->why);
	CHECK(p->verified);
	CHECK_EQ_INT(p->corrupt_bytes, 0);
	CHECK_EQ_INT(p->src_crc, p->dst_crc);
	CHECK_EQ_INT(p->bytes, f->total_bytes);
	CHECK(p->measured_gbps > 0);
	if (p->modeled_gbps <= 0)
		printf("  %s: no modeled rate\n", where);
	CHECK(p->modeled_gbps > 0 || f->kind == PDMA_FLOW_NIC_TO_ACCEL);
	CHECK(strchr(p->why, '\n') == NULL);
	if (f->unplug_at > 0 || f->evict_storm)
		return;		/* the faults: tests/scenario-fault.c */
	CHECK_EQ_INT(p->error, 0);
	switch (f->kind) {
	case PDMA_FLOW_NIC_TO_NVME:
		prov = r->nvme;
		client = r->nic;
		break;
	case PDMA_FLOW_NVME_TO_GPU:
		prov = r->gpu;
		client = r->nvme;
		break;
	case PDMA_FLOW_NIC_TO_ACCEL:
		prov = r->nvme;
		client = r->nic;
		/* the accelerator must reach the staging memory too */
		if (pdma_verdict_map_type(r->fab, r->nvme, r->nic, NULL) !=
		    PDMA_MAP_NOT_SUPPORTED &&
		    pdma_verdict_map_type(r->fab, r->nvme, r->accel, NULL) ==
		    PDMA_MAP_NOT_SUPPORTED)
			client = r->accel;
		break;
	default:
		prov = r->gpu;
		client = r->nic;
		break;
	}
	t = pdma_verdict_map_type(r->fab, prov, client, NULL);
	CHECK_EQ_INT(p->map_type, t);
	want_p2p = t != PDMA_MAP_NOT_SUPPORTED && f->mode != PDMA_FLOW_BOUNCE &&
		   ((f->kind != PDMA_FLOW_NIC_TO_NVME &&
		     f->kind != PDMA_FLOW_NIC_TO_ACCEL) ||
		    pdma_fabric_func(r->fab, r->nvme)->p2pmem.present);
	CHECK_EQ_INT(p->p2p, want_p2p);
	if (t == PDMA_MAP_NOT_SUPPORTED) {
		CHECK(strstr(p->why, "NOT_SUPPORTED") == p->why);
		CHECK(strstr(p->why, "staged through RAM") != NULL);
	}
	if (p->p2p) {
		/* only queues, PRP lists and completions touch RAM */
		CHECK(p->ram_bytes < p->bytes / 64);
	} else {
		CHECK(p->ram_bytes >= p->bytes);
		CHECK(strstr(p->why, "staged through RAM") != NULL);
	}
	/* the payload crossed the initiators' own links */
	switch (f->kind) {
	case PDMA_FLOW_NIC_TO_NVME:
		CHECK(link_bytes(p, r->nic, true) >= p->bytes);
		CHECK_EQ_INT(p->wire_bytes, p->bytes);
		break;
	case PDMA_FLOW_NVME_TO_GPU:
		CHECK(link_bytes(p, r->nvme, true) >= p->bytes);
		if (p->p2p)
			CHECK(link_bytes(p, r->gpu, false) >= p->bytes);
		break;
	case PDMA_FLOW_NIC_TO_ACCEL:
		CHECK(link_bytes(p, r->nic, true) >= p->bytes);
		/* the engine read every packet and wrote it back */
		CHECK(link_bytes(p, r->accel, false) >= p->bytes);
		CHECK(link_bytes(p, r->accel, true) >= p->bytes);
		break;
	case PDMA_FLOW_GPU_TO_NIC:
		CHECK(link_bytes(p, r->nic, false) >= p->bytes);
		CHECK_EQ_INT(p->wire_bytes, p->bytes);
		if (p->p2p)
			CHECK(link_bytes(p, r->gpu, true) >= p->bytes);
		break;
	}
}

static void run_on(const char *name, enum pdma_scenario_fabric kind,
		   const char *src, const char *nvme, const char *nic,
		   int *p2p, int *bounce)
{
	struct pdma_scenario_result *r = NULL;
	struct pdma_scenario_opts o;
	struct pdma_scenario *sc;
	struct pdma_error err = { "" };
	char where[128];

	REQUIRE(pdma_scenario_builtin(name, &sc, &err) == 0);
	pdma_scenario_opts_init(&o);
	o.override_kind = kind;
	o.override = src;
	if (nvme)
		snprintf(sc->nvme, sizeof(sc->nvme), "%s", nvme);
	if (nic)
		snprintf(sc->nic, sizeof(sc->nic), "%s", nic);
	snprintf(where, sizeof(where), "%s@%s", name, strrchr(src, '/') ?
		 strrchr(src, '/') + 1 : src);
	CHECK_EQ_INT(pdma_scenario_run(sc, &o, &r, &err), 0);
	if (!r) {
		printf("  %s: %s\n", where, err.msg);
		free(sc);
		return;
	}
	CHECK(r->ok);
	CHECK_EQ_INT(r->nr_paths, sc->nr_flows);
	for (int i = 0; i < r->nr_paths; i++) {
		check_path(r, &sc->flows[i], &r->paths[i], where);
		if (r->paths[i].p2p)
			(*p2p)++;
		else
			(*bounce)++;
	}
	pdma_scenario_result_free(r);
	free(sc);
}

int main(void)
{
	static const char *const presets[] = { "dgx-like", "workstation",
					       "amd-storage" };
	char d1[512], d4[512];
	int p2p = 0, bounce = 0;

	snprintf(d1, sizeof(d1), "%s/kernel/d1-intel-3port",
		 harness_fixtures());
	snprintf(d4, sizeof(d4), "%s/kernel/d4-epyc-pxb", harness_fixtures());
	for (int i = 0; pdma_scenario_builtin_name(i); i++) {
		const char *name = pdma_scenario_builtin_name(i);
		bool gpu = strstr(name, "gpu") || strstr(name, "evict");
		bool accel = strstr(name, "accel") != NULL;

		for (size_t p = 0; p < 3; p++) {
			if (gpu && !strcmp(presets[p], "amd-storage"))
				continue;	/* no GPU there */
			run_on(name, PDMA_SCENARIO_PRESET, presets[p], NULL,
			       NULL, &p2p, &bounce);
		}
		run_on(name, PDMA_SCENARIO_SYSFS, d1, NULL, NULL, &p2p,
		       &bounce);
		if (!gpu && !accel)
			run_on(name, PDMA_SCENARIO_SYSFS, d4, NULL, NULL, &p2p,
			       &bounce);
	}
	/* A pair across root ports of d1: the fallback names the rule. */
	run_on("copy-offload", PDMA_SCENARIO_SYSFS, d1, "nvme3", "nic0", &p2p,
	       &bounce);
	CHECK(p2p > 0);
	CHECK(bounce > 0);
	return harness_exit();
}
