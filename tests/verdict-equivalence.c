/* SPDX-License-Identifier: MIT */
/*
 * peerdma's row algorithm (pdma__verdict_row, one pass over the tree per
 * provider) against the kernel-shaped reference (pdma__kernel_calc, two
 * nested loops per pair) on every ordered pair of non-bridge functions of:
 * every built-in preset, every topology file in tests/topologies/, every kernel
 * fixture, and hundreds of random fabrics.  Each fabric is also tried
 * under the newest rules and on an AMD Zen CPU, and the cached answer
 * (pdma_verdict_map_type) must be the same as both.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "tb.h"

#include "fabric/verdict_internal.h"
#include "bench/synth.h"

static long pairs_checked, fabrics_checked;

/* Compare every pair of one fabric; returns the mismatches. */
static int compare(struct pdma_fabric *fab, const char *what)
{
	int n = pdma_fabric_nr_funcs(fab), bad = 0;
	int32_t *entry = malloc(sizeof(int32_t) * (size_t)(n + 1));
	int *scratch = malloc(sizeof(int) * 4 * (size_t)(n + 1));

	REQUIRE(entry && scratch);
	for (int p = 0; p < n; p++) {
		if (pdma_fabric_is_bridge(pdma_fabric_func(fab, p)))
			continue;
		memset(entry, 0x5a, sizeof(int32_t) * (size_t)n);
		pdma__verdict_row(fab, p, entry, scratch);
		for (int c = 0; c < n; c++) {
			int d = -99, cd = -99;
			enum pdma_map_type t, ct;
			int32_t want;

			if (pdma_fabric_is_bridge(pdma_fabric_func(fab, c))) {
				if (entry[c] != 0 && bad++ < 5)
					fprintf(stderr, "%s: row of %d has %d for bridge %d\n",
						what, p, entry[c], c);
				continue;
			}
			t = pdma__kernel_calc(fab, p, c, &d, NULL);
			want = pdma__entry(t == PDMA_MAP_NOT_SUPPORTED ? -1 : d, t);
			ct = pdma_verdict_map_type(fab, p, c, &cd);
			pairs_checked++;
			if (entry[c] == want && ct == t &&
			    cd == pdma__entry_dist(want))
				continue;
			if (bad++ < 5) {
				char b1[16], b2[16];

				fprintf(stderr,
					"%s: %s -> %s: kernel %s %d, row %s %d, cached %s %d\n",
					what,
					pdma_bdf_format(pdma_fabric_func(fab, p), b1, 16),
					pdma_bdf_format(pdma_fabric_func(fab, c), b2, 16),
					pdma_map_type_name(t),
					pdma__entry_dist(want),
					pdma_map_type_name(pdma__entry_type(entry[c])),
					pdma__entry_dist(entry[c]),
					pdma_map_type_name(ct), cd);
			}
		}
	}
	free(entry);
	free(scratch);
	fabrics_checked++;
	CHECK_EQ_INT(bad, 0);
	return bad;
}

/* As it is, under the newest rules, and on an AMD Zen 3 CPU. */
static void compare_variants(struct pdma_fabric *fab, const char *what)
{
	struct pdma_platform_info pi = *pdma_fabric_platform(fab), amd = pi;
	enum pdma_rules rules = pdma_fabric_rules(fab);
	char name[600];

	compare(fab, what);
	pdma_fabric_set_rules(fab, rules == PDMA_RULES_LATEST ?
					   PDMA_RULES_V6_12 :
					   PDMA_RULES_LATEST);
	snprintf(name, sizeof(name), "%s (other rules)", what);
	compare(fab, name);
	pdma_fabric_set_rules(fab, rules);
	amd.cpu_vendor = PDMA_CPU_AMD;
	amd.cpu_family = 0x19;
	pdma_fabric_set_platform(fab, &amd);
	snprintf(name, sizeof(name), "%s (AMD Zen 3)", what);
	compare(fab, name);
	pdma_fabric_set_platform(fab, &pi);
}

static void presets(void)
{
	for (int i = 0; pdma_preset_name(i); i++) {
		struct pdma_fabric *fab;
		struct pdma_error err;

		REQUIRE(pdma_load_preset(pdma_preset_name(i), &fab, &err) == 0);
		compare_variants(fab, pdma_preset_name(i));
		pdma_fabric_destroy(fab);
	}
}

static int topologies(void)
{
	const char *root = getenv("PDMA_SOURCE_ROOT");
	char dir[512], path[1024];
	struct dirent *de;
	int count = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/topologies", root ? root : ".");
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct pdma_fabric *fab;
		struct pdma_error err;
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (pdma_load_json(path, &fab, &err)) {
			fprintf(stderr, "%s: %s\n", path, err.msg);
			CHECK(!"a topology file does not load");
			continue;
		}
		compare_variants(fab, de->d_name);
		pdma_fabric_destroy(fab);
		count++;
	}
	closedir(d);
	return count;
}

static int kernel_fixtures(void)
{
	char dir[512], path[1024];
	struct dirent *de;
	int count = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/kernel", harness_fixtures());
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct pdma_fabric *fab;
		struct pdma_error err;
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (pdma_load_sysfs(path, &fab, &err)) {
			fprintf(stderr, "%s: %s\n", path, err.msg);
			CHECK(!"a kernel fixture does not load");
			continue;
		}
		compare_variants(fab, de->d_name);
		pdma_fabric_destroy(fab);
		count++;
	}
	closedir(d);
	return count;
}

static void random_fabrics(int count)
{
	for (int i = 0; i < count; i++) {
		uint64_t s = 0x5eed0000u + (uint64_t)i;
		struct synth_params sp = synth_defaults(s);
		struct pdma_fabric *fab;
		struct pdma_error err;
		char what[64];

		/* Vary the shape with the seed. */
		sp.nr_hbs = 1 + synth_below(&s, 4);
		sp.endpoints = 2 + synth_below(&s, 60);
		sp.max_levels = synth_below(&s, 5);
		sp.acs_pct = synth_below(&s, 80);
		sp.mf_pct = synth_below(&s, 50);
		sp.sriov_pct = synth_below(&s, 15);
		sp.rciep_pct = synth_below(&s, 100);
		sp.domains = synth_pct(&s, 30);
		if (pdma__synth_build(&sp, &fab, &err)) {
			fprintf(stderr, "seed %d: %s\n", i, err.msg);
			CHECK(!"the generator made a fabric finalize rejects");
			continue;
		}
		snprintf(what, sizeof(what), "random fabric %d", i);
		compare(fab, what);
		pdma_fabric_destroy(fab);
	}
}

int main(void)
{
	int topo, fix;

	presets();
	topo = topologies();
	fix = kernel_fixtures();
	random_fabrics(300);
	printf("%ld fabrics, %ld pairs (%d topology files, %d kernel fixtures)\n",
	       fabrics_checked, pairs_checked, topo, fix);
	CHECK(fix >= 4);
	return harness_exit();
}
