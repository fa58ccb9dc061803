// SPDX-License-Identifier: MIT
/*
 * Fault injection in scenarios.
 *  - Hot unplug of the NVMe whose CMB stages the copy offload, half-way:
 *    the work in flight fails with an error the report shows (one line),
 *    the CMB is released so the removal completes, the rest of the flow is
 *    staged through RAM and every byte still verifies; the flows after it
 *    (another copy offload, GPU to NIC) run and verify.
 *  - An eviction storm on the GPU buffer the NIC sends from: the NIC
 *    re-faults, no byte is lost or corrupted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/scenario.h>

#include "harness.h"

static const char unplug_then_more[] =
	"{ \"name\": \"unplug-then-more\", \"fabric\": \"dgx-like\",\n"
	"  \"flows\": [\n"
	"    { \"kind\": \"nic-to-nvme\", \"mode\": \"p2p\", \"io_size\": \"64K\",\n"
	"      \"queue_depth\": 4, \"total_bytes\": \"4M\",\n"
	"      \"faults\": { \"unplug_at\": 0.25 } },\n"
	"    { \"kind\": \"nic-to-nvme\", \"total_bytes\": \"2M\" },\n"
	"    { \"kind\": \"gpu-to-nic\", \"total_bytes\": \"2M\" } ] }\n";

static void unplug(void)
{
	struct pdma_scenario_result *r;
	struct pdma_scenario *sc;
	struct pdma_error err = { "" };
	const struct pdma_path_result *p;

	REQUIRE(pdma_scenario_load_mem(unplug_then_more,
				       strlen(unplug_then_more), "mem", NULL,
				       &sc, &err) == 0);
	REQUIRE(pdma_scenario_run(sc, NULL, &r, &err) == 0);
	p = &r->paths[0];
	printf("unplug: %s\n  error: %s\n  RAM %llu of %llu bytes\n", p->why,
	       p->error_text, (unsigned long long)p->ram_bytes,
	       (unsigned long long)p->bytes);
	CHECK(p->error == -ENODEV || p->error == -EIO);
	CHECK(p->error_text[0] != '\0');
	CHECK(strchr(p->error_text, '\n') == NULL);
	CHECK(strstr(p->why, "BUS_ADDR") == p->why);
	CHECK(strstr(p->why, "after the failure") != NULL);
	CHECK(!p->p2p);
	CHECK(p->verified);
	CHECK_EQ_INT(p->corrupt_bytes, 0);
	CHECK_EQ_INT(p->bytes, 4u << 20);
	/* a quarter went through the CMB, the rest through RAM (twice) */
	CHECK(p->ram_bytes >= 2 * (3u << 20));
	CHECK(p->ram_bytes < 2 * (4u << 20));
	/* the CMB is gone: the next copy offload stages in RAM and says so */
	p = &r->paths[1];
	CHECK(p->verified);
	CHECK(!p->p2p);
	CHECK_EQ_INT(p->error, 0);
	CHECK(strstr(p->why, "could not be used") != NULL);
	/* the GPU to NIC path is untouched */
	p = &r->paths[2];
	CHECK(p->verified);
	CHECK(p->p2p);
	CHECK_EQ_INT(p->error, 0);
	CHECK(r->ok);
	pdma_scenario_result_free(r);
	free(sc);

	/* Where the CMB is not used, the unplug has nothing to hit. */
	REQUIRE(pdma_scenario_builtin("unplug", &sc, &err) == 0);
	snprintf(sc->fabric, sizeof(sc->fabric), "workstation");
	REQUIRE(pdma_scenario_run(sc, NULL, &r, &err) == 0);
	CHECK(r->ok);
	CHECK(!r->paths[0].p2p);
	CHECK_EQ_INT(r->paths[0].error, 0);
	pdma_scenario_result_free(r);
	free(sc);
}

static void storm(void)
{
	struct pdma_scenario_result *r;
	struct pdma_scenario *sc;
	struct pdma_error err = { "" };
	const struct pdma_path_result *p;

	REQUIRE(pdma_scenario_builtin("eviction-storm", &sc, &err) == 0);
	snprintf(sc->fabric, sizeof(sc->fabric), "dgx-like");
	sc->flows[0].total_bytes = 16u << 20;
	REQUIRE(pdma_scenario_run(sc, NULL, &r, &err) == 0);
	p = &r->paths[0];
	printf("storm: %llu evictions, %llu re-faults, %llu bytes, %llu "
	       "corrupt\n", (unsigned long long)p->evictions,
	       (unsigned long long)p->refaults, (unsigned long long)p->bytes,
	       (unsigned long long)p->corrupt_bytes);
	CHECK(p->p2p);
	CHECK(p->evictions > 0);
	CHECK(p->refaults > 1);
	CHECK_EQ_INT(p->corrupt_bytes, 0);
	CHECK_EQ_INT(p->src_crc, p->dst_crc);
	CHECK_EQ_INT(p->bytes, 16u << 20);
	CHECK_EQ_INT(p->error, 0);
	CHECK(p->verified);
	pdma_scenario_result_free(r);
	free(sc);
}

int main(void)
{
	unplug();
	storm();
	return harness_exit();
}
