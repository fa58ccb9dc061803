// SPDX-License-Identifier: MIT
/*
 * The built-in scenarios, written in the scenario file format
 * (docs/scenario-format.md) and loaded with the same parser.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "scenario_internal.h"

static const struct builtin {
	const char *name;
	const char *text;
} builtins[] = {
	{ "copy-offload",
	  "{\n"
	  "  \"name\": \"copy-offload\",\n"
	  "  \"description\": \"NVMe-oF target offload: RDMA WRITEs from a "
	  "remote host land in an NVMe drive's CMB and are written to the "
	  "drive from there; the same workload staged through RAM\",\n"
	  "  \"fabric\": { \"preset\": \"\" },\n"
	  "  \"flows\": [\n"
	  "    { \"name\": \"nic->cmb->nvme\", \"kind\": \"nic-to-nvme\",\n"
	  "      \"mode\": \"p2p\", \"io_size\": \"128K\", \"queue_depth\": 8,\n"
	  "      \"total_bytes\": \"32M\" },\n"
	  "    { \"name\": \"nic->ram->nvme\", \"kind\": \"nic-to-nvme\",\n"
	  "      \"mode\": \"bounce\", \"io_size\": \"128K\", \"queue_depth\": 8,\n"
	  "      \"total_bytes\": \"32M\" }\n"
	  "  ]\n"
	  "}\n" },
	{ "gpu-direct",
	  "{\n"
	  "  \"name\": \"gpu-direct\",\n"
	  "  \"description\": \"storage straight into VRAM (NVMe to GPU), then "
	  "RDMA WRITE from VRAM to a remote host (GPU to NIC)\",\n"
	  "  \"fabric\": { \"preset\": \"\" },\n"
	  "  \"flows\": [\n"
	  "    { \"name\": \"nvme->gpu\", \"kind\": \"nvme-to-gpu\",\n"
	  "      \"io_size\": \"128K\", \"queue_depth\": 8,\n"
	  "      \"total_bytes\": \"16M\" },\n"
	  "    { \"name\": \"gpu->nic\", \"kind\": \"gpu-to-nic\",\n"
	  "      \"io_size\": \"256K\", \"queue_depth\": 4,\n"
	  "      \"total_bytes\": \"16M\" }\n"
	  "  ]\n"
	  "}\n" },
	{ "accel-pipeline",
	  "{\n"
	  "  \"name\": \"accel-pipeline\",\n"
	  "  \"description\": \"encrypted packets from the remote host land "
	  "in device memory (an NVMe CMB) and the accelerator decrypts them "
	  "there in place (AES-256-GCM); the same staged through RAM\",\n"
	  "  \"fabric\": { \"preset\": \"\" },\n"
	  "  \"flows\": [\n"
	  "    { \"name\": \"nic->cmb, decrypt\", \"kind\": "
	  "\"nic-to-accel\",\n"
	  "      \"mode\": \"p2p\", \"io_size\": \"64K\", \"queue_depth\": 8,\n"
	  "      \"total_bytes\": \"8M\" },\n"
	  "    { \"name\": \"nic->ram, decrypt\", \"kind\": "
	  "\"nic-to-accel\",\n"
	  "      \"mode\": \"bounce\", \"io_size\": \"64K\", \"queue_depth\": 8,\n"
	  "      \"total_bytes\": \"8M\" }\n"
	  "  ]\n"
	  "}\n" },
	{ "unplug",
	  "{\n"
	  "  \"name\": \"unplug\",\n"
	  "  \"description\": \"copy offload while the NVMe whose CMB stages "
	  "the data is hot-unplugged half-way: the work in flight fails, the "
	  "rest is staged through RAM\",\n"
	  "  \"fabric\": { \"preset\": \"\" },\n"
	  "  \"flows\": [\n"
	  "    { \"name\": \"nic->cmb->nvme (unplug)\", \"kind\": "
	  "\"nic-to-nvme\",\n"
	  "      \"mode\": \"p2p\", \"io_size\": \"128K\", \"queue_depth\": 4,\n"
	  "      \"total_bytes\": \"8M\", \"faults\": { \"unplug_at\": 0.5 } }\n"
	  "  ]\n"
	  "}\n" },
	{ "eviction-storm",
	  "{\n"
	  "  \"name\": \"eviction-storm\",\n"
	  "  \"description\": \"GPU to NIC while another thread evicts and "
	  "restores the GPU buffer: the NIC re-faults, no byte is lost\",\n"
	  "  \"fabric\": { \"preset\": \"\" },\n"
	  "  \"flows\": [\n"
	  "    { \"name\": \"gpu->nic (evictions)\", \"kind\": \"gpu-to-nic\",\n"
	  "      \"io_size\": \"64K\", \"queue_depth\": 4,\n"
	  "      \"total_bytes\": \"8M\", \"faults\": { \"evict_storm\": true } }\n"
	  "  ]\n"
	  "}\n" },
};

#define NR_BUILTINS ((int)(sizeof(builtins) / sizeof(builtins[0])))

const char *pdma_scenario_builtin_name(int idx)
{
	return idx >= 0 && idx < NR_BUILTINS ? builtins[idx].name : NULL;
}

const char *pdma_scenario_builtin_text(int idx)
{
	return idx >= 0 && idx < NR_BUILTINS ? builtins[idx].text : NULL;
}

static char descs[NR_BUILTINS][256];
static pthread_once_t descs_once = PTHREAD_ONCE_INIT;

/* Each built-in's "description", taken from its text once. */
static void descs_fill(void)
{
	static const char key[] = "\"description\": \"";

	for (int i = 0; i < NR_BUILTINS; i++) {
		const char *s = strstr(builtins[i].text, key), *e;

		if (!s)
			continue;
		s += sizeof(key) - 1;
		e = strchr(s, '"');
		snprintf(descs[i], sizeof(descs[i]), "%.*s", (int)(e - s), s);
	}
}

const char *pdma_scenario_builtin_description(int idx)
{
	if (idx < 0 || idx >= NR_BUILTINS)
		return NULL;
	pthread_once(&descs_once, descs_fill);
	return descs[idx];
}

int pdma_scenario_builtin(const char *name, struct pdma_scenario **out,
			  struct pdma_error *err)
{
	char names[256];
	size_t len = 0;

	*out = NULL;
	if (!name || !name[0])
		name = builtins[0].name;
	for (int i = 0; i < NR_BUILTINS; i++)
		if (!strcmp(builtins[i].name, name))
			return pdma_scenario_load_mem(builtins[i].text,
						      strlen(builtins[i].text),
						      builtins[i].name, NULL,
						      out, err);
	names[0] = '\0';
	for (int i = 0; i < NR_BUILTINS && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len,
					"%s%s", i ? ", " : "",
					builtins[i].name);
	pdma__err(err, "unknown scenario \"%.64s\": the built-in scenarios are "
		  "%s, or give a scenario file", name, names);
	return -ENOENT;
}
