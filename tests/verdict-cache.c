/* SPDX-License-Identifier: MIT */
/*
 * The per-provider verdict cache: one miss fills a provider's row, later
 * queries of that provider hit, and every change to the model (ACS control,
 * platform, rules, IOMMU group types, hot removal) invalidates it, so the
 * answer follows the model.  The kernel's xarray is never invalidated and
 * would keep the stale answer; we must not.
 *
 *   00:00.0 Google root device 1ae0:0042 (listed only by the newest rules)
 *   00:01.0 rp0 ── 01:00.0 usp ─┬─ 02:00.0 dsp0 ── 03:00.0 P
 *                               └─ 02:01.0 dsp1 ── 04:00.0 C
 *   00:02.0 rp1 ── 05:00.0 X
 */
#include <errno.h>

#include "tb.h"

#include "fabric/verdict_internal.h"
#include "bench/synth.h"

static struct pdma_fabric *build(void)
{
	struct pdma_func_info fi = tb_info(0, 0, 0);
	struct tb t;
	int rp0, usp, d0, d1, rp1;

	tb_init(&t);
	fi.vendor = 0x1ae0;
	fi.device = 0x0042;
	fi.class_code = 0x060000;
	tb_add(&t, &fi);
	rp0 = tb_acs_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 1, 0, 1, 0);
	usp = tb_acs_port(&t, PDMA_PCIE_UPSTREAM, rp0, 1, 0, 0, 2, 0);
	d0 = tb_acs_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 0, 0, 3, 0);
	d1 = tb_acs_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 0, 4, 0);
	fi = tb_info(3, 0, 0);
	fi.class_code = 0x010802;
	fi.parent = d0;
	fi.iommu_group = 3;
	tb_add(&t, &fi);
	fi = tb_info(4, 0, 0);
	fi.class_code = 0x030200;
	fi.parent = d1;
	fi.iommu_group = 4;
	tb_add(&t, &fi);
	rp1 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 5);
	tb_ep(&t, rp1, 5, 0, 0, 0x020000);
	return tb_done(&t);
}

struct stats {
	uint64_t hits, misses, inval;
};

static struct stats stats(struct pdma_fabric *fab)
{
	struct stats s;

	pdma_verdict_cache_stats(fab, &s.hits, &s.misses, &s.inval);
	return s;
}

#define CHECK_STATS(fab, base, dh, dm, di)                                   \
	do {                                                                 \
		struct stats _s = stats(fab);                                \
		CHECK_EQ_INT(_s.hits - (base).hits, dh);                     \
		CHECK_EQ_INT(_s.misses - (base).misses, dm);                 \
		CHECK_EQ_INT(_s.inval - (base).inval, di);                   \
	} while (0)

static void check_pair(struct pdma_fabric *fab, const char *p, const char *c,
		       enum pdma_map_type want, int want_dist, int line)
{
	int d = -99;
	enum pdma_map_type t = tb_verdict(fab, p, c, &d);

	if (t != want || d != want_dist)
		fprintf(stderr, "line %d: %s -> %s: got %s %d, want %s %d\n",
			line, p, c, pdma_map_type_name(t), d,
			pdma_map_type_name(want), want_dist);
	CHECK_EQ_INT(t, want);
	CHECK_EQ_INT(d, want_dist);
}

#define PAIR(f, p, c, t, d) check_pair(f, p, c, t, d, __LINE__)
#define BUS PDMA_MAP_BUS_ADDR
#define THB PDMA_MAP_THRU_HOST_BRIDGE
#define NOPE PDMA_MAP_NOT_SUPPORTED

static void hits_and_misses(void)
{
	struct pdma_fabric *fab = build();
	struct stats s0 = stats(fab);
	int clients[2], p = tb_idx(fab, "03:00.0");

	PAIR(fab, "03:00.0", "04:00.0", BUS, 4);
	CHECK_STATS(fab, s0, 0, 1, 0);
	PAIR(fab, "03:00.0", "04:00.0", BUS, 4);
	PAIR(fab, "03:00.0", "05:00.0", NOPE, -1);
	PAIR(fab, "03:00.0", "03:00.0", BUS, 0);
	CHECK_STATS(fab, s0, 3, 1, 0);
	clients[0] = tb_idx(fab, "04:00.0");
	clients[1] = tb_idx(fab, "05:00.0");
	CHECK_EQ_INT(pdma_verdict_distance_many(fab, p, clients, 1), 4);
	CHECK_EQ_INT(pdma_verdict_distance_many(fab, p, clients, 2), -1);
	CHECK_EQ_INT(pdma_verdict_distance_many(fab, p, clients, 0), -1);
	CHECK_STATS(fab, s0, 6, 1, 0);
	/* Another provider has its own row. */
	PAIR(fab, "04:00.0", "03:00.0", BUS, 4);
	CHECK_STATS(fab, s0, 6, 2, 0);
	/* Bridges and bad indices are answered without the cache. */
	CHECK_EQ_INT(pdma_verdict_map_type(fab, p, tb_idx(fab, "02:00.0"), NULL),
		     PDMA_MAP_UNKNOWN);
	CHECK_EQ_INT(pdma_verdict_map_type(fab, tb_idx(fab, "00:01.0"), p, NULL),
		     PDMA_MAP_UNKNOWN);
	CHECK_EQ_INT(pdma_verdict_map_type(fab, p, 99, NULL), PDMA_MAP_UNKNOWN);
	CHECK_EQ_INT(pdma_verdict_map_type(fab, -1, p, NULL), PDMA_MAP_UNKNOWN);
	CHECK_STATS(fab, s0, 6, 2, 0);
	pdma_fabric_destroy(fab);
}

static void invalidation(void)
{
	struct pdma_fabric *fab = build();
	struct pdma_platform_info intel = *pdma_fabric_platform(fab), amd;
	uint64_t gen;
	struct stats s;
	struct pdma_verdict v;

	PAIR(fab, "03:00.0", "04:00.0", BUS, 4);
	PAIR(fab, "04:00.0", "03:00.0", BUS, 4);

	/* ACS redirect on dsp0: downgraded, and the root device is unlisted. */
	s = stats(fab);
	gen = pdma_fabric_generation(fab);
	CHECK_EQ_INT(pdma_fabric_set_acs_ctrl(fab, tb_idx(fab, "02:00.0"),
					      PDMA_ACS_RR), 0);
	CHECK(pdma_fabric_generation(fab) != gen);
	CHECK_STATS(fab, s, 0, 0, 1);
	PAIR(fab, "03:00.0", "04:00.0", NOPE, -1);
	PAIR(fab, "04:00.0", "03:00.0", NOPE, -1);
	CHECK_STATS(fab, s, 0, 2, 1);

	/* The newest rules list Google root devices. */
	s = stats(fab);
	pdma_fabric_set_rules(fab, PDMA_RULES_LATEST);
	PAIR(fab, "03:00.0", "04:00.0", THB, 4);
	PAIR(fab, "03:00.0", "05:00.0", THB, 4 + 2);
	CHECK_STATS(fab, s, 1, 1, 1);

	/* Clearing ACS again: BUS_ADDR, not the stale THRU_HOST_BRIDGE. */
	CHECK_EQ_INT(pdma_fabric_set_acs_ctrl(fab, tb_idx(fab, "02:00.0"), 0),
		     0);
	PAIR(fab, "03:00.0", "04:00.0", BUS, 4);
	pdma_fabric_set_rules(fab, PDMA_RULES_V6_12);
	PAIR(fab, "03:00.0", "05:00.0", NOPE, -1);

	/* The CPU: AMD Zen allows the crossing. */
	s = stats(fab);
	amd = intel;
	amd.cpu_vendor = PDMA_CPU_AMD;
	amd.cpu_family = 0x17;
	pdma_fabric_set_platform(fab, &amd);
	PAIR(fab, "03:00.0", "05:00.0", THB, 6);
	PAIR(fab, "05:00.0", "03:00.0", THB, 6);
	CHECK_STATS(fab, s, 0, 2, 1);
	pdma_fabric_set_platform(fab, &intel);
	PAIR(fab, "03:00.0", "05:00.0", NOPE, -1);

	/* IOMMU group types: the same map type, a different explanation. */
	pdma_fabric_set_platform(fab, &amd);
	REQUIRE(pdma_verdict_explain(fab, tb_idx(fab, "05:00.0"),
				     tb_idx(fab, "04:00.0"), &v) == 0);
	for (int i = 0; i < v.nr_reasons; i++)
		CHECK(v.reasons[i].rule != PDMA_RULE_IOMMU_TRANSLATES);
	pdma_verdict_release(&v);
	s = stats(fab);
	CHECK_EQ_INT(pdma_fabric_set_iommu_group_type(fab, 4, PDMA_IOMMU_DMA),
		     0);
	CHECK_STATS(fab, s, 0, 0, 1);
	REQUIRE(pdma_verdict_explain(fab, tb_idx(fab, "05:00.0"),
				     tb_idx(fab, "04:00.0"), &v) == 0);
	CHECK_EQ_INT(v.reasons[v.nr_reasons - 1].rule,
		     PDMA_RULE_IOMMU_TRANSLATES);
	CHECK_EQ_INT(v.reasons[v.nr_reasons - 1].func, tb_idx(fab, "04:00.0"));
	pdma_verdict_release(&v);
	pdma_fabric_set_platform(fab, &intel);
	pdma_fabric_destroy(fab);
}

/* Hot removal renumbers functions: no row may survive under a new index. */
static void removal(void)
{
	struct pdma_fabric *fab = build();
	int n = pdma_fabric_nr_funcs(fab);
	struct stats s;

	pdma_fabric_set_rules(fab, PDMA_RULES_LATEST);
	/* Fill the row of every function. */
	for (int p = 0; p < n; p++)
		for (int c = 0; c < n; c++)
			pdma_verdict_map_type(fab, p, c, NULL);
	PAIR(fab, "03:00.0", "05:00.0", THB, 6);

	/*
	 * Unplug the Google root device: the first function on the root bus
	 * is now root port 00:01.0 (1b36, on no list) and every index moves.
	 */
	s = stats(fab);
	CHECK_EQ_INT(pdma_fabric_remove_func(fab, tb_idx(fab, "00:00.0")), 0);
	CHECK_EQ_INT(pdma_fabric_nr_funcs(fab), n - 1);
	CHECK_EQ_INT(pdma_fabric_host_bridge(fab, 0)->root_func,
		     tb_idx(fab, "00:01.0"));
	CHECK_STATS(fab, s, 0, 0, 1);
	PAIR(fab, "03:00.0", "05:00.0", NOPE, -1);
	PAIR(fab, "03:00.0", "04:00.0", BUS, 4);
	CHECK_STATS(fab, s, 1, 1, 1);

	/* Unplug a downstream port: its device goes too. */
	CHECK_EQ_INT(pdma_fabric_remove_func(fab, tb_idx(fab, "02:01.0")), 0);
	CHECK_EQ_INT(pdma_fabric_lookup(fab, "04:00.0"), -ENOENT);
	CHECK_EQ_INT(pdma_fabric_nr_funcs(fab), n - 3);
	PAIR(fab, "03:00.0", "03:00.0", BUS, 0);
	PAIR(fab, "05:00.0", "03:00.0", NOPE, -1);
	CHECK_EQ_INT(pdma_fabric_remove_func(fab, 99), -EINVAL);
	pdma_fabric_destroy(fab);
}

/*
 * Random what-if sessions on random fabrics: after any sequence of
 * changes, a cached answer equals the reference computed on the model as
 * it is now, and each valid query is exactly one hit or one miss.
 */
static void random_sessions(void)
{
	uint64_t total = 0, removals = 0;

	for (int f = 0; f < 20; f++) {
		struct synth_params sp = synth_defaults(0xcace0000u + (unsigned)f);
		uint64_t rng = sp.seed, queries = 0;
		struct pdma_fabric *fab;
		struct pdma_error err;
		struct stats s0;
		int bad = 0, removed = 0;

		sp.endpoints = 60;
		sp.acs_pct = 60;
		REQUIRE(pdma__synth_build(&sp, &fab, &err) == 0);
		s0 = stats(fab);
		for (int op = 0; op < 3000; op++) {
			int n = pdma_fabric_nr_funcs(fab), k = synth_below(&rng, 100);
			int a = synth_below(&rng, n), b = synth_below(&rng, n);

			if (n < 2)
				break;
			if (k < 5) {
				pdma_fabric_set_acs_ctrl(fab, a, (uint16_t)synth_below(&rng, 128));
			} else if (k < 7) {
				struct pdma_platform_info pi = *pdma_fabric_platform(fab);

				pi.cpu_vendor = synth_pct(&rng, 50) ? PDMA_CPU_AMD :
								     PDMA_CPU_INTEL;
				pi.cpu_family = 0x15 + synth_below(&rng, 5);
				pdma_fabric_set_platform(fab, &pi);
			} else if (k < 9) {
				pdma_fabric_set_rules(fab, synth_pct(&rng, 50) ?
							      PDMA_RULES_LATEST :
							      PDMA_RULES_V6_12);
			} else if (k < 10 && removed < 4 &&
				   pdma_fabric_func(fab, a)->depth >= 2) {
				CHECK_EQ_INT(pdma_fabric_remove_func(fab, a), 0);
				removed++;
			} else {
				int d, rd;
				enum pdma_map_type t, rt;
				bool valid = !pdma_fabric_is_bridge(pdma_fabric_func(fab, a)) &&
					     !pdma_fabric_is_bridge(pdma_fabric_func(fab, b));

				t = pdma_verdict_map_type(fab, a, b, &d);
				if (!valid) {
					bad += t != PDMA_MAP_UNKNOWN;
					continue;
				}
				queries++;
				rt = pdma__kernel_calc(fab, a, b, &rd, NULL);
				if (rt == PDMA_MAP_NOT_SUPPORTED)
					rd = -1;
				if (t != rt || d != rd) {
					if (bad < 3)
						fprintf(stderr, "session %d op %d: %d -> %d: cached %s %d, model %s %d\n",
							f, op, a, b,
							pdma_map_type_name(t), d,
							pdma_map_type_name(rt), rd);
					bad++;
				}
			}
		}
		CHECK_EQ_INT(bad, 0);
		{
			struct stats s = stats(fab);

			CHECK_EQ_INT(s.hits + s.misses - s0.hits - s0.misses,
				     queries);
		}
		total += queries;
		removals += (uint64_t)removed;
		pdma_fabric_destroy(fab);
	}
	printf("random sessions: %llu queries checked, %llu removals\n",
	       (unsigned long long)total, (unsigned long long)removals);
	CHECK(total > 10000);
}

int main(void)
{
	hits_and_misses();
	invalidation();
	removal();
	random_sessions();
	return harness_exit();
}
