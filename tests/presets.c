/* SPDX-License-Identifier: MIT */
/*
 * Built-in presets: the registry (names, default, unknown names) and, per
 * machine, the hardware it claims to be and verdicts that follow from the
 * kernel's rules on that hardware.
 */
#include <errno.h>

#include "tb.h"

/* Functions of @role in index order, at most @max; returns the count. */
static int by_role(struct pdma_fabric *fab, enum pdma_role role, int *out,
		   int max)
{
	int n = 0;

	for (int i = 0; i < pdma_fabric_nr_funcs(fab); i++)
		if (pdma_fabric_func(fab, i)->role == role && n < max)
			out[n++] = i;
	return n;
}

static const struct pdma_func_info *fn(struct pdma_fabric *fab, int i)
{
	return pdma_fabric_func(fab, i);
}

static int parent_of(struct pdma_fabric *fab, int i)
{
	return fn(fab, i)->parent;
}

/* The "pci=disable_acs_redir=..." word of a fix, "" when absent. */
static void fix_param(const char *fix, char *out, size_t len)
{
	const char *p = strstr(fix, "pci=disable_acs_redir=");
	size_t n = 0;

	out[0] = '\0';
	if (!p)
		return;
	while (p[n] && p[n] != ' ' && n + 1 < len)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

static bool has_rule(const struct pdma_verdict *v, enum pdma_rule r)
{
	for (int i = 0; i < v->nr_reasons; i++)
		if (v->reasons[i].rule == r)
			return true;
	return false;
}

static struct pdma_fabric *load(const char *name)
{
	struct pdma_fabric *fab = NULL;
	struct pdma_error err = { "" };
	int ret = pdma_load_preset(name, &fab, &err);

	if (ret)
		fprintf(stderr, "preset %s: %d %s\n", name, ret, err.msg);
	REQUIRE(ret == 0 && fab);
	return fab;
}

static void check_registry(void)
{
	static char poison;
	struct pdma_fabric *fab = (struct pdma_fabric *)&poison, *def;
	struct pdma_error err = { "" };
	int n = 0;

	while (pdma_preset_name(n))
		n++;
	CHECK(n >= 3);
	CHECK(pdma_preset_name(-1) == NULL);
	CHECK(pdma_preset_description(n) == NULL);
	CHECK_STR(pdma_preset_name(0), "dgx-like");
	for (int i = 0; i < n; i++) {
		const char *d = pdma_preset_description(i);

		CHECK(d && strlen(d) > 20);
		for (int j = i + 1; j < n; j++)
			CHECK(strcmp(pdma_preset_name(i), pdma_preset_name(j)));
	}

	/* Unknown: -ENOENT, nothing built, a message naming every preset. */
	CHECK_EQ_INT(pdma_load_preset("dgx", &fab, &err), -ENOENT);
	CHECK(fab == NULL);
	CHECK(strstr(err.msg, "\"dgx\"") != NULL);
	for (int i = 0; i < n; i++)
		CHECK(strstr(err.msg, pdma_preset_name(i)) != NULL);
	CHECK(strchr(err.msg, '\n') == NULL);

	/* No name: the default. */
	REQUIRE(pdma_load_preset(NULL, &def, &err) == 0);
	fab = load(pdma_preset_name(0));
	CHECK_EQ_INT(pdma_fabric_nr_funcs(def), pdma_fabric_nr_funcs(fab));
	CHECK_STR(pdma_fabric_platform(def)->source,
		  pdma_fabric_platform(fab)->source);
	pdma_fabric_destroy(def);
	pdma_fabric_destroy(fab);
}

/* Every preset: a sane, finalized, labelled model. */
static void check_common(const char *name)
{
	struct pdma_fabric *fab = load(name);
	int n = pdma_fabric_nr_funcs(fab), eps = 0;

	CHECK(n > 10);
	CHECK(strstr(pdma_fabric_platform(fab)->source, name) != NULL);
	for (int h = 0; h < pdma_fabric_nr_host_bridges(fab); h++)
		CHECK(pdma_fabric_host_bridge(fab, h)->root_func != PDMA_NONE);
	for (int i = 0; i < n; i++) {
		const struct pdma_func_info *f = fn(fab, i);

		CHECK(f->label[0] && f->name[0]);
		CHECK_EQ_INT(pdma_fabric_lookup(fab, f->label), i);
		if (pdma_fabric_is_bridge(f)) {
			CHECK(f->secondary_bus > f->bus);
			CHECK(f->subordinate_bus >= f->secondary_bus);
			continue;
		}
		eps++;
		/* Each 64-bit BAR is naturally aligned and owns two slots. */
		for (int b = 0; b < 6; b++) {
			const struct pdma_bar *bar = &f->bars[b];

			if (!bar->size)
				continue;
			CHECK(bar->addr && !(bar->addr & (bar->size - 1)));
			if (bar->flags & PDMA_BAR_64)
				CHECK(b < 5 && !f->bars[b + 1].size);
		}
	}
	CHECK(eps >= 10);
	pdma_fabric_destroy(fab);
}

static void check_dgx(void)
{
	struct pdma_fabric *fab = load("dgx-like");
	const struct pdma_platform_info *pi = pdma_fabric_platform(fab);
	int gpu[16], nic[16], nvme[16], cmb = -1, acs_switch = 0;
	int ng = by_role(fab, PDMA_ROLE_GPU, gpu, 16);
	int nn = by_role(fab, PDMA_ROLE_NIC, nic, 16);
	int nd = by_role(fab, PDMA_ROLE_NVME, nvme, 16);
	int degraded = -1, numa_seen = 0, near = 0;
	struct pdma_verdict v;
	char want[128], got[128], b1[16], b2[16];

	CHECK_EQ_INT(pi->cpu_vendor, PDMA_CPU_INTEL);
	CHECK_EQ_INT(pi->cpu_family, 6);
	CHECK(pi->iommu);
	CHECK(pdma_fabric_nr_host_bridges(fab) >= 4);
	CHECK_EQ_INT(ng, 8);
	CHECK(nn >= 4 && nn <= 8);
	CHECK(nd >= 2);
	for (int i = 0; i < ng; i++) {
		const struct pdma_func_info *g = fn(fab, gpu[i]);

		CHECK(g->vendor == 0x10de && g->device == 0x2330);
		CHECK_EQ_INT(g->class_code >> 8, 0x0302);
		CHECK_EQ_INT(g->bars[0].size, 16ull << 20);
		CHECK_EQ_INT(g->bars[1].size, 64ull << 30);
		CHECK_EQ_INT(g->bars[1].flags, PDMA_BAR_MEM | PDMA_BAR_64 |
						       PDMA_BAR_PREFETCH);
		CHECK(g->link_max.gen == 5 && g->link_max.width == 16);
		CHECK_EQ_INT(pdma_fabric_iommu_group_type(fab, g->iommu_group),
			     PDMA_IOMMU_DMA);
		numa_seen |= 1 << g->numa_node;
		if (g->link_cur.width < g->link_max.width) {
			CHECK(degraded < 0);
			degraded = gpu[i];
		}
		/* Behind a switch: DSP, USP, root port. */
		CHECK_EQ_INT(g->depth, 3);
		CHECK_EQ_INT(fn(fab, parent_of(fab, gpu[i]))->pcie_type,
			     PDMA_PCIE_DOWNSTREAM);
	}
	CHECK_EQ_INT(numa_seen, 3);	/* nodes 0 and 1 */
	for (int i = 0; i < nn; i++)
		CHECK(fn(fab, nic[i])->vendor == 0x15b3 &&
		      fn(fab, nic[i])->device == 0x1021 &&
		      fn(fab, nic[i])->class_code >> 8 == 0x0207);
	for (int i = 0; i < nd; i++)
		if (fn(fab, nvme[i])->p2pmem.published) {
			CHECK(cmb < 0);
			cmb = nvme[i];
		}
	REQUIRE(cmb >= 0);

	/*
	 * GPU pairs: below one switch BUS_ADDR at distance 4, unless the
	 * switch redirects; across host bridges through them, allowed by the
	 * Ice Lake/Sapphire Rapids root device 8086:09a2 on the allow-list.
	 */
	for (int i = 0; i < ng; i++)
		for (int j = 0; j < ng; j++) {
			int a = gpu[i], c = gpu[j], d;
			int usp_a = parent_of(fab, parent_of(fab, a));
			int usp_c = parent_of(fab, parent_of(fab, c));
			bool redir = fn(fab, parent_of(fab, a))->acs_ctrl &
				     PDMA_ACS_REDIR_MASK;
			enum pdma_map_type t =
				pdma_verdict_map_type(fab, a, c, &d);

			if (i == j)
				continue;
			REQUIRE(pdma_verdict_explain(fab, a, c, &v) == 0);
			if (usp_a == usp_c && !redir) {
				CHECK_EQ_INT(t, PDMA_MAP_BUS_ADDR);
				CHECK_EQ_INT(d, 4);
				CHECK_EQ_INT(v.path_class, PDMA_PATH_PIX);
				CHECK_EQ_INT(fn(fab, v.ancestor)->vendor, 0x1000);
			} else if (usp_a == usp_c) {
				acs_switch++;
				CHECK_EQ_INT(t, PDMA_MAP_THRU_HOST_BRIDGE);
				CHECK_EQ_INT(d, 4);
				CHECK_EQ_INT(v.path_class, PDMA_PATH_PHB);
				/* Exactly the two downstream ports. */
				snprintf(want, sizeof(want),
					 "pci=disable_acs_redir=%s;%s",
					 pdma_bdf_format(fn(fab, parent_of(fab, a)), b1, 16),
					 pdma_bdf_format(fn(fab, parent_of(fab, c)), b2, 16));
				fix_param(v.fix, got, sizeof(got));
				CHECK_STR(got, want);
			} else {
				CHECK_EQ_INT(t, PDMA_MAP_THRU_HOST_BRIDGE);
				CHECK_EQ_INT(d, 8);
				CHECK(has_rule(&v, PDMA_RULE_HB_ALLOWED));
				CHECK(has_rule(&v, PDMA_RULE_IOMMU_TRANSLATES));
				CHECK_EQ_INT(v.path_class,
					     fn(fab, a)->numa_node ==
							     fn(fab, c)->numa_node ?
						     PDMA_PATH_NODE :
						     PDMA_PATH_SYS);
			}
			pdma_verdict_release(&v);
		}
	CHECK_EQ_INT(acs_switch, 2);	/* one GPU pair, both directions */

	/* The CMB drive shares a switch with two GPUs. */
	for (int i = 0; i < ng; i++) {
		int d;

		if (pdma_verdict_map_type(fab, cmb, gpu[i], &d) !=
		    PDMA_MAP_BUS_ADDR)
			continue;
		CHECK_EQ_INT(d, 4);
		near++;
	}
	CHECK_EQ_INT(near, 2);

	/* The degraded x8 link is the bottleneck from its switch partner. */
	REQUIRE(degraded >= 0);
	for (int i = 0; i < ng; i++) {
		if (gpu[i] == degraded ||
		    parent_of(fab, parent_of(fab, gpu[i])) !=
			    parent_of(fab, parent_of(fab, degraded)))
			continue;
		REQUIRE(pdma_verdict_explain(fab, gpu[i], degraded, &v) == 0);
		CHECK_EQ_INT(v.map_type, PDMA_MAP_BUS_ADDR);
		CHECK(v.bottleneck_link == degraded ||
		      v.bottleneck_link == parent_of(fab, degraded));
		CHECK(v.bottleneck_gbps > 31.4 && v.bottleneck_gbps < 31.6);
		pdma_verdict_release(&v);
	}
	pdma_fabric_destroy(fab);
}

static void check_workstation(void)
{
	struct pdma_fabric *fab = load("workstation");
	int gpu[8], nic[8], nvme[8], dgpu[2], nd = 0, igpu = -1, d;
	int ng = by_role(fab, PDMA_ROLE_GPU, gpu, 8);
	int nn = by_role(fab, PDMA_ROLE_NIC, nic, 8);
	struct pdma_verdict v;

	CHECK_EQ_INT(pdma_fabric_platform(fab)->cpu_vendor, PDMA_CPU_INTEL);
	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(fab), 1);
	for (int i = 0; i < ng; i++) {
		const struct pdma_func_info *g = fn(fab, gpu[i]);

		if (g->depth == 0) {
			igpu = gpu[i];
			CHECK(g->bus == 0);
		} else if (nd < 2) {
			dgpu[nd++] = gpu[i];
			CHECK_EQ_INT(g->depth, 1);
			CHECK_EQ_INT(fn(fab, g->parent)->role,
				     PDMA_ROLE_ROOT_PORT);
		}
	}
	REQUIRE(igpu >= 0 && nd == 2);

	/* Two root ports, Intel Core host bridge not on the list. */
	CHECK_EQ_INT(pdma_verdict_map_type(fab, dgpu[0], dgpu[1], &d),
		     PDMA_MAP_NOT_SUPPORTED);
	CHECK_EQ_INT(d, -1);
	REQUIRE(pdma_verdict_explain(fab, dgpu[0], dgpu[1], &v) == 0);
	CHECK_EQ_INT(v.raw_distance, 4);
	CHECK(has_rule(&v, PDMA_RULE_NO_COMMON_BRIDGE));
	CHECK(has_rule(&v, PDMA_RULE_CPU_NOT_AMD));
	CHECK(has_rule(&v, PDMA_RULE_HB_NOT_LISTED));
	pdma_verdict_release(&v);
	CHECK_EQ_INT(pdma_verdict_map_type(fab, igpu, dgpu[0], &d),
		     PDMA_MAP_NOT_SUPPORTED);

	/* A GPU and its audio function share the root port's link. */
	for (int k = 0; k < 2; k++) {
		int audio = dgpu[k] + 1;

		CHECK(fn(fab, audio)->bus == fn(fab, dgpu[k])->bus &&
		      fn(fab, audio)->fn == 1 && fn(fab, audio)->multifunction);
		CHECK_EQ_INT(pdma_verdict_map_type(fab, dgpu[k], audio, &d),
			     PDMA_MAP_BUS_ADDR);
		CHECK_EQ_INT(d, 2);
	}

	/* NVMe on a CPU root port, NICs on chipset root ports. */
	CHECK_EQ_INT(by_role(fab, PDMA_ROLE_NVME, nvme, 8), 1);
	CHECK_EQ_INT(fn(fab, fn(fab, nvme[0])->parent)->role,
		     PDMA_ROLE_ROOT_PORT);
	CHECK(nn >= 1);
	for (int i = 0; i < nn; i++) {
		CHECK_EQ_INT(fn(fab, fn(fab, nic[i])->parent)->role,
			     PDMA_ROLE_ROOT_PORT);
		CHECK_EQ_INT(pdma_verdict_map_type(fab, nvme[0], nic[i], &d),
			     PDMA_MAP_NOT_SUPPORTED);
	}
	pdma_fabric_destroy(fab);
}

static void check_amd(void)
{
	struct pdma_fabric *fab = load("amd-storage");
	const struct pdma_platform_info *pi = pdma_fabric_platform(fab);
	int nvme[64], nic[8], cmbs = 0, n = pdma_fabric_nr_funcs(fab), d;
	int nd = by_role(fab, PDMA_ROLE_NVME, nvme, 64);
	int nn = by_role(fab, PDMA_ROLE_NIC, nic, 8);
	struct pdma_verdict v;
	char want[64], got[64], b[16];

	CHECK_EQ_INT(pi->cpu_vendor, PDMA_CPU_AMD);
	CHECK_EQ_INT(pi->cpu_family, 0x19);
	CHECK(pdma_fabric_nr_host_bridges(fab) >= 3);
	CHECK(nd >= 8);
	CHECK_EQ_INT(nn, 4);	/* two dual-port cards */
	for (int i = 0; i < nd; i++) {
		CHECK_EQ_INT(fn(fab, nvme[i])->depth, 1);
		cmbs += fn(fab, nvme[i])->p2pmem.published;
	}
	CHECK(cmbs >= 2);

	/* Across root ports, within and between root complexes: allowed. */
	for (int i = 0; i < nd; i++)
		for (int j = 0; j < nd; j++) {
			int a = nvme[i], c = nvme[j];

			if (i == j)
				continue;
			REQUIRE(pdma_verdict_explain(fab, a, c, &v) == 0);
			CHECK_EQ_INT(v.map_type, PDMA_MAP_THRU_HOST_BRIDGE);
			CHECK_EQ_INT(v.distance, 4);
			CHECK(has_rule(&v, PDMA_RULE_CPU_ALLOWS));
			CHECK(!has_rule(&v, PDMA_RULE_HB_NOT_LISTED));
			CHECK_EQ_INT(v.path_class,
				     fn(fab, a)->host_bridge ==
						     fn(fab, c)->host_bridge ?
					     PDMA_PATH_PHB :
					     PDMA_PATH_NODE);
			pdma_verdict_release(&v);
		}
	/* The CPU rule leaves nothing rejected. */
	for (int p = 0; p < n; p++)
		for (int c = 0; c < n; c++)
			if (!pdma_fabric_is_bridge(fn(fab, p)) &&
			    !pdma_fabric_is_bridge(fn(fab, c)))
				CHECK(pdma_verdict_map_type(fab, p, c, NULL) !=
				      PDMA_MAP_NOT_SUPPORTED);

	/* The two ports of a NIC meet at a root port with ACS redirect. */
	CHECK(fn(fab, nic[0])->bus == fn(fab, nic[1])->bus);
	CHECK_EQ_INT(pdma_verdict_map_type(fab, nic[0], nic[1], &d),
		     PDMA_MAP_THRU_HOST_BRIDGE);
	CHECK_EQ_INT(d, 2);
	REQUIRE(pdma_verdict_explain(fab, nic[0], nic[1], &v) == 0);
	snprintf(want, sizeof(want), "pci=disable_acs_redir=%s",
		 pdma_bdf_format(fn(fab, fn(fab, nic[0])->parent), b, 16));
	fix_param(v.fix, got, sizeof(got));
	CHECK_STR(got, want);
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);
}

int main(void)
{
	check_registry();
	for (int i = 0; pdma_preset_name(i); i++)
		check_common(pdma_preset_name(i));
	check_dgx();
	check_workstation();
	check_amd();
	return harness_exit();
}
