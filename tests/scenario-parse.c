// SPDX-License-Identifier: MIT
/*
 * Scenario files: every malformed file of fixtures/scenario-bad/ (listed
 * with the error it must give in its EXPECTED file) is refused with
 * -EINVAL, nothing returned, and one line naming the file and the place
 * (line or JSON path) and why; a missing file is -ENOENT.  The built-in
 * scenarios and the files of docs/examples/scenarios load; sizes, defaults and
 * relative fabric paths come out right; a device the fabric lacks is
 * refused when the run starts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/scenario.h>

#include "harness.h"

static void bad_files(void)
{
	char dir[512], path[1024], line[512];
	int n = 0;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/scenario-bad", harness_fixtures());
	snprintf(path, sizeof(path), "%s/EXPECTED", dir);
	f = fopen(path, "r");
	REQUIRE(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		struct pdma_scenario *sc = (void *)1;
		struct pdma_error err = { "" };
		char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');

		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		if (nl)
			*nl = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		CHECK_EQ_INT(pdma_scenario_load(path, &sc, &err), -EINVAL);
		CHECK(sc == NULL);
		CHECK(strncmp(err.msg, path, strlen(path)) == 0);
		CHECK(strchr(err.msg, '\n') == NULL);
		if (!strstr(err.msg, tab + 1))
			printf("%s: got \"%s\", want \"%s\"\n", line, err.msg,
			       tab + 1);
		CHECK(strstr(err.msg, tab + 1) != NULL);
		n++;
	}
	fclose(f);
	CHECK(n >= 40);
	printf("%d malformed scenario files refused\n", n);
}

static void good(void)
{
	struct pdma_scenario *sc;
	struct pdma_error err = { "" };
	const char *root = getenv("PDMA_SOURCE_ROOT");
	char dir[512], path[1024];
	struct dirent *de;
	DIR *d;
	int n = 0;
	static const char mem[] =
		"{ \"fabric\": { \"topo\": \"t.json\" },\n"
		"  \"devices\": { \"nic\": \"nic0\" },\n"
		"  \"flows\": [ { \"kind\": \"gpu-to-nic\", \"io_size\": \"64K\",\n"
		"    \"total_bytes\": 1048576, \"mode\": \"bounce\" },\n"
		"    { \"kind\": \"nic-to-nvme\" } ] }";

	/* every built-in loads, from the same format */
	for (int i = 0; pdma_scenario_builtin_name(i); i++) {
		REQUIRE(pdma_scenario_builtin(pdma_scenario_builtin_name(i), &sc,
					      &err) == 0);
		CHECK_STR(sc->name, pdma_scenario_builtin_name(i));
		CHECK(sc->nr_flows >= 1);
		CHECK(pdma_scenario_builtin_description(i)[0] != '\0');
		free(sc);
	}
	CHECK_EQ_INT(pdma_scenario_builtin("nope", &sc, &err), -ENOENT);
	CHECK(sc == NULL);
	CHECK(strstr(err.msg, "copy-offload") != NULL);
	REQUIRE(pdma_scenario_builtin(NULL, &sc, &err) == 0);
	CHECK_STR(sc->name, "copy-offload");
	free(sc);

	/* sizes, defaults, a relative path against the file's directory */
	REQUIRE(pdma_scenario_load_mem(mem, strlen(mem), "m", "/x/y", &sc,
				       &err) == 0);
	CHECK_EQ_INT(sc->fabric_kind, PDMA_SCENARIO_TOPO);
	CHECK_STR(sc->fabric, "/x/y/t.json");
	CHECK_STR(sc->nic, "nic0");
	CHECK_STR(sc->name, "m");
	CHECK_EQ_INT(sc->nr_flows, 2);
	CHECK_EQ_INT(sc->flows[0].io_size, 65536);
	CHECK_EQ_INT(sc->flows[0].total_bytes, 1u << 20);
	CHECK_EQ_INT(sc->flows[0].mode, PDMA_FLOW_BOUNCE);
	CHECK_STR(sc->flows[0].source, "gpu");
	CHECK_EQ_INT(sc->flows[1].io_size, 128u << 10);
	CHECK_EQ_INT(sc->flows[1].queue_depth, 8);
	CHECK_EQ_INT(sc->flows[1].total_bytes, 16u << 20);
	CHECK(sc->flows[1].unplug_at < 0);
	CHECK(sc->wire_gbps == 200);
	free(sc);

	/* a missing file */
	CHECK_EQ_INT(pdma_scenario_load("/nonexistent/s.json", &sc, &err),
		     -ENOENT);
	CHECK(sc == NULL);
	CHECK(strstr(err.msg, "/nonexistent/s.json") != NULL);

	/* the documented examples */
	snprintf(dir, sizeof(dir), "%s/docs/examples/scenarios",
		 root ? root : ".");
	d = opendir(dir);
	REQUIRE(d != NULL);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		err.msg[0] = '\0';
		CHECK_EQ_INT(pdma_scenario_load(path, &sc, &err), 0);
		if (!sc)
			printf("%s\n", err.msg);
		free(sc);
		n++;
	}
	closedir(d);
	CHECK(n >= 3);
}

static void bad_device(void)
{
	static const char mem[] =
		"{ \"devices\": { \"nic\": \"nic9\" },\n"
		"  \"flows\": [ { \"kind\": \"nic-to-nvme\" } ] }";
	struct pdma_scenario_result *r = (void *)1;
	struct pdma_scenario *sc;
	struct pdma_error err = { "" };

	REQUIRE(pdma_scenario_load_mem(mem, strlen(mem), "m", NULL, &sc,
				       &err) == 0);
	CHECK_EQ_INT(pdma_scenario_run(sc, NULL, &r, &err), -EINVAL);
	CHECK(r == NULL);
	CHECK(strstr(err.msg, "devices.nic: no function \"nic9\"") != NULL);
	/* a fabric without a GPU for a GPU flow */
	sc->nic[0] = '\0';
	sc->flows[0].kind = PDMA_FLOW_GPU_TO_NIC;
	snprintf(sc->fabric, sizeof(sc->fabric), "amd-storage");
	CHECK_EQ_INT(pdma_scenario_run(sc, NULL, &r, &err), -EINVAL);
	CHECK(strstr(err.msg, "no GPU") != NULL);
	/* an unknown preset */
	snprintf(sc->fabric, sizeof(sc->fabric), "no-such-preset");
	CHECK_EQ_INT(pdma_scenario_run(sc, NULL, &r, &err), -ENOENT);
	free(sc);
}

int main(void)
{
	bad_files();
	good();
	bad_device();
	return harness_exit();
}
