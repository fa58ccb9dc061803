/* SPDX-License-Identifier: MIT */
/*
 * ACS redirect (RR, CR, EC) downgrades BUS_ADDR to THRU_HOST_BRIDGE when it
 * sits on a port the kernel's walk visits: the provider's chain up to and
 * including the common upstream bridge, and the client's chain below it
 * (reference 1.4).  The fix lists those ports in the kernel's order.
 *
 *   00:00.0 Ice Lake VT-d (8086:09a2: crossing the host bridge is allowed)
 *   00:01.0 rp ── 01:00.0 usp ─┬─ 02:00.0 dsp0 ── 03:00.0 P (fn 0), 03:00.1 S
 *                              └─ 02:01.0 dsp1 ── 04:00.0 C
 *   00:02.0 rpb ── 05:00.0 F
 *
 * Every port and the endpoints P, S, C have an ACS capability.
 */
#include <errno.h>

#include "tb.h"

#include "fabric/verdict_internal.h"

enum { N_RP, N_USP, N_DSP0, N_DSP1, N_P, N_S, N_C, N_RPB, N_NODES };

static const char *const bdf_of[N_NODES] = {
	"00:01.0", "01:00.0", "02:00.0", "02:01.0",
	"03:00.0", "03:00.1", "04:00.0", "00:02.0",
};

static int acs_ep(struct tb *t, int parent, uint8_t bus, uint8_t fn,
		  uint16_t ctrl)
{
	struct pdma_func_info fi = tb_info(bus, 0, fn);

	fi.class_code = 0x010802;
	fi.parent = parent;
	fi.multifunction = bus == 3;
	fi.has_acs = true;
	fi.acs_cap = 0x5f;
	fi.acs_ctrl = ctrl;
	return tb_add(t, &fi);
}

static struct pdma_fabric *build(const uint16_t ctrl[N_NODES], uint16_t root)
{
	struct pdma_func_info fi;
	struct tb t;
	int rp, usp, d0, d1, rpb;

	tb_init(&t);
	fi = tb_info(0, 0, 0);
	fi.vendor = 0x8086;
	fi.device = root;
	fi.class_code = 0x088000;
	fi.pcie_type = PDMA_PCIE_RC_INTEGRATED;
	tb_add(&t, &fi);
	rp = tb_acs_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 1, 0, 1,
			 ctrl[N_RP]);
	usp = tb_acs_port(&t, PDMA_PCIE_UPSTREAM, rp, 1, 0, 0, 2, ctrl[N_USP]);
	d0 = tb_acs_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 0, 0, 3,
			 ctrl[N_DSP0]);
	d1 = tb_acs_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 0, 4,
			 ctrl[N_DSP1]);
	acs_ep(&t, d0, 3, 0, ctrl[N_P]);
	acs_ep(&t, d0, 3, 1, ctrl[N_S]);
	acs_ep(&t, d1, 4, 0, ctrl[N_C]);
	rpb = tb_acs_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 5,
			  ctrl[N_RPB]);
	tb_ep(&t, rpb, 5, 0, 0, 0x020000);
	return tb_done(&t);
}

/* Map type and distance, checked against the reference walk. */
static enum pdma_map_type verdict(struct pdma_fabric *fab, const char *p,
				  const char *c, int *dist)
{
	int pi = tb_idx(fab, p), ci = tb_idx(fab, c), d, rd;
	enum pdma_map_type t = pdma_verdict_map_type(fab, pi, ci, &d);

	CHECK_EQ_INT(t, pdma__kernel_calc(fab, pi, ci, &rd, NULL));
	*dist = d;
	return t;
}

static void expect(struct pdma_fabric *fab, const char *p, const char *c,
		   enum pdma_map_type want, int want_dist, const char *what)
{
	int d;
	enum pdma_map_type t = verdict(fab, p, c, &d);

	if (t != want || d != want_dist)
		fprintf(stderr, "%s: %s -> %s: got %s %d, want %s %d\n", what,
			p, c, pdma_map_type_name(t), d,
			pdma_map_type_name(want), want_dist);
	CHECK_EQ_INT(t, want);
	CHECK_EQ_INT(d, want_dist);
}

#define BUS PDMA_MAP_BUS_ADDR
#define THB PDMA_MAP_THRU_HOST_BRIDGE

/* The "pci=disable_acs_redir=..." word of a fix, "" when absent. */
static void fix_param(const char *fix, char *out, size_t len)
{
	const char *p = strstr(fix, "pci=disable_acs_redir=");
	size_t n = 0;

	out[0] = '\0';
	if (!p)
		return;
	while (p[n] && p[n] != ' ' && p[n] != '\n' && n + 1 < len)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void explain_fix(struct pdma_fabric *fab, const char *p, const char *c,
			char *out, size_t len)
{
	struct pdma_verdict v;

	REQUIRE(pdma_verdict_explain(fab, tb_idx(fab, p), tb_idx(fab, c),
				     &v) == 0);
	fix_param(v.fix, out, len);
	pdma_verdict_release(&v);
}

/* One redirect bit on one node at a time. */
static void single_bits(void)
{
	static const uint16_t bits[] = { PDMA_ACS_RR, PDMA_ACS_CR,
					 PDMA_ACS_EC };
	char name[64], fix[128];

	for (unsigned b = 0; b < 3; b++) {
		for (int node = 0; node < N_NODES; node++) {
			uint16_t ctrl[N_NODES] = { 0 };
			struct pdma_fabric *fab;
			bool p_side, c_side;

			ctrl[node] = bits[b];
			fab = build(ctrl, 0x09a2);
			snprintf(name, sizeof(name), "bit %#x on %s", bits[b],
				 bdf_of[node]);
			/* P -> C visits P, dsp0, usp, then C, dsp1. */
			p_side = node == N_P || node == N_DSP0 ||
				 node == N_USP;
			c_side = node == N_C || node == N_DSP1;
			expect(fab, "03:00.0", "04:00.0",
			       p_side || c_side ? THB : BUS, 4, name);
			expect(fab, "04:00.0", "03:00.0",
			       p_side || c_side ? THB : BUS, 4, name);
			/* The same function: only its own bits count. */
			expect(fab, "03:00.0", "03:00.0",
			       node == N_P ? THB : BUS, 0, name);
			/* Functions under one port meet at dsp0. */
			expect(fab, "03:00.0", "03:00.1",
			       node == N_P || node == N_S || node == N_DSP0 ?
				       THB : BUS, 2, name);
			/* No common upstream bridge: ACS changes nothing. */
			expect(fab, "03:00.0", "05:00.0", THB, 4 + 2, name);
			expect(fab, "05:00.0", "04:00.0", THB, 2 + 4, name);

			if (p_side || c_side) {
				char want[64];

				snprintf(want, sizeof(want),
					 "pci=disable_acs_redir=0000:%s",
					 bdf_of[node]);
				explain_fix(fab, "03:00.0", "04:00.0", fix,
					    sizeof(fix));
				CHECK_STR(fix, want);
			}
			explain_fix(fab, "03:00.0", "05:00.0", fix, sizeof(fix));
			CHECK_STR(fix, "");
			pdma_fabric_destroy(fab);
		}
	}
}

/* SV, TB, UF, DT are not redirects, wherever they are. */
static void other_bits(void)
{
	static const uint16_t bits[] = { PDMA_ACS_SV, PDMA_ACS_TB,
					 PDMA_ACS_UF, PDMA_ACS_DT,
					 PDMA_ACS_SV | PDMA_ACS_TB |
						 PDMA_ACS_UF | PDMA_ACS_DT };

	for (unsigned b = 0; b < 5; b++) {
		uint16_t ctrl[N_NODES];
		struct pdma_fabric *fab;

		for (int n = 0; n < N_NODES; n++)
			ctrl[n] = bits[b];
		fab = build(ctrl, 0x09a2);
		expect(fab, "03:00.0", "04:00.0", BUS, 4, "non-redirect");
		expect(fab, "03:00.0", "03:00.0", BUS, 0, "non-redirect");
		expect(fab, "03:00.1", "03:00.0", BUS, 2, "non-redirect");
		pdma_fabric_destroy(fab);
	}
}

/* Every offender, in the kernel's order; the rejected case. */
static void order_and_reject(void)
{
	uint16_t ctrl[N_NODES] = { 0 };
	struct pdma_fabric *fab;
	struct pdma_verdict v;
	char fix[256];
	int d, k = 0;
	static const int order[] = { N_P, N_DSP0, N_USP, N_C, N_DSP1 };

	for (int n = 0; n < N_NODES; n++)
		ctrl[n] = PDMA_ACS_RR | PDMA_ACS_SV;
	fab = build(ctrl, 0x09a2);
	REQUIRE(pdma_verdict_explain(fab, tb_idx(fab, "03:00.0"),
				     tb_idx(fab, "04:00.0"), &v) == 0);
	fix_param(v.fix, fix, sizeof(fix));
	CHECK_STR(fix, "pci=disable_acs_redir=0000:03:00.0;0000:02:00.0;"
		       "0000:01:00.0;0000:04:00.0;0000:02:01.0");
	for (int i = 0; i < v.nr_reasons; i++) {
		if (v.reasons[i].rule != PDMA_RULE_ACS_REDIRECT)
			continue;
		REQUIRE(k < 5);
		CHECK_EQ_INT(v.reasons[i].func, tb_idx(fab, bdf_of[order[k]]));
		k++;
	}
	CHECK_EQ_INT(k, 5);
	CHECK_EQ_INT(v.ancestor, tb_idx(fab, "01:00.0"));
	CHECK_EQ_INT(v.path_class, PDMA_PATH_PHB);
	/* The route goes up to the root complex and back. */
	CHECK_EQ_INT(v.nr_hops, 4 + 1 + 4);
	CHECK(v.hops[4].is_host_bridge);
	pdma_verdict_release(&v);

	/* Clearing exactly the listed ports gives BUS_ADDR. */
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(pdma_fabric_set_acs_ctrl(
				     fab, tb_idx(fab, bdf_of[order[i]]),
				     PDMA_ACS_SV), 0);
	expect(fab, "03:00.0", "04:00.0", BUS, 4, "after the fix");
	pdma_fabric_destroy(fab);

	/* Downgraded, then rejected by an unlisted host bridge (q35). */
	memset(ctrl, 0, sizeof(ctrl));
	ctrl[N_USP] = PDMA_ACS_CR;
	fab = build(ctrl, 0x29c0);
	CHECK_EQ_INT(verdict(fab, "03:00.0", "04:00.0", &d),
		     PDMA_MAP_NOT_SUPPORTED);
	CHECK_EQ_INT(d, -1);
	REQUIRE(pdma_verdict_explain(fab, tb_idx(fab, "03:00.0"),
				     tb_idx(fab, "04:00.0"), &v) == 0);
	CHECK_EQ_INT(v.raw_distance, 4);
	fix_param(v.fix, fix, sizeof(fix));
	CHECK_STR(fix, "pci=disable_acs_redir=0000:01:00.0");
	CHECK(v.reasons[0].rule == PDMA_RULE_ACS_REDIRECT);
	pdma_verdict_release(&v);
	/* Without ACS the same bridge sees BUS_ADDR: the list is not asked. */
	memset(ctrl, 0, sizeof(ctrl));
	pdma_fabric_destroy(fab);
	fab = build(ctrl, 0x29c0);
	expect(fab, "03:00.0", "04:00.0", BUS, 4, "q35, no ACS");
	pdma_fabric_destroy(fab);

	/* A port without an ACS capability cannot redirect. */
	fab = build(ctrl, 0x09a2);
	CHECK_EQ_INT(pdma_fabric_set_acs_ctrl(fab, tb_idx(fab, "00:00.0"),
					      PDMA_ACS_RR), -ENODEV);
	CHECK_EQ_INT(pdma_fabric_set_acs_ctrl(fab, -1, 0), -EINVAL);
	pdma_fabric_destroy(fab);
}

/*
 * The kernel fixture d2: root port 00:07.0 with SV RR CR UF over the two
 * functions 09:00.0 (NVMe, p2pmem) and 09:00.1 (e1000e), q35 host bridge,
 * AMD family 15.  Its dmesg holds the kernel's own fix for that pair, and
 * d3 is the same machine booted with it.
 */
static struct pdma_fabric *d2_replica(void)
{
	struct pdma_func_info fi;
	struct tb t;
	int rp;

	tb_init(&t);
	t.pi.cpu_vendor = PDMA_CPU_AMD;
	t.pi.cpu_family = 15;
	fi = tb_info(0, 0, 0);
	fi.vendor = 0x8086;
	fi.device = 0x29c0;
	fi.class_code = 0x060000;
	tb_add(&t, &fi);
	rp = tb_acs_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 7, 0, 9,
			 PDMA_ACS_SV | PDMA_ACS_RR | PDMA_ACS_CR | PDMA_ACS_UF);
	fi = tb_info(9, 0, 0);
	fi.class_code = 0x010802;
	fi.multifunction = true;
	fi.parent = rp;
	tb_add(&t, &fi);
	fi = tb_info(9, 0, 1);
	fi.vendor = 0x8086;
	fi.device = 0x10d3;
	fi.class_code = 0x020000;
	fi.multifunction = true;
	fi.parent = rp;
	tb_add(&t, &fi);
	return tb_done(&t);
}

/* The kernel's suggestion after the query mark of @p -> @c, or "". */
static void dmesg_fix(const char *path, const char *p, const char *c,
		      char *out, size_t len)
{
	char mark[128], line[1024];
	bool in = false;
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (!f)
		return;
	snprintf(mark, sizeof(mark), "query-v provider=%s client=%s", p, c);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "ORACLE_MARK"))
			in = strstr(line, mark) != NULL;
		else if (in && strstr(line, "pci=disable_acs_redir=")) {
			fix_param(line, out, len);
			break;
		}
	}
	fclose(f);
}

/* The distance= of @p -> @c in a p2p_matrix.txt; -99 when absent. */
static int matrix_distance(const char *path, const char *p, const char *c)
{
	char line[256], key[64];
	int d = -99;
	FILE *f = fopen(path, "r");

	if (!f)
		return d;
	snprintf(key, sizeof(key), "%s %s distance=", p, c);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			d = atoi(line + strlen(key));
	fclose(f);
	return d;
}

static void kernel_fixture(void)
{
	struct pdma_fabric *fab = d2_replica();
	char path[512], kfix[128], ours[128], cmdline[1024] = "";
	const char *fx = harness_fixtures();
	int d, kd;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kernel/d2-iommu-nested/dmesg.txt", fx);
	dmesg_fix(path, "0000:09:00.0", "0000:09:00.1", kfix, sizeof(kfix));
	if (!kfix[0]) {
		fprintf(stderr, "note: no kernel fixture d2 at %s\n", path);
		pdma_fabric_destroy(fab);
		return;
	}
	explain_fix(fab, "09:00.0", "09:00.1", ours, sizeof(ours));
	CHECK_STR(ours, kfix);
	CHECK_STR(ours, "pci=disable_acs_redir=0000:00:07.0");

	snprintf(path, sizeof(path), "%s/kernel/d2-iommu-nested/p2p_matrix.txt",
		 fx);
	kd = matrix_distance(path, "0000:09:00.0", "0000:09:00.1");
	CHECK_EQ_INT(verdict(fab, "09:00.0", "09:00.1", &d),
		     PDMA_MAP_NOT_SUPPORTED);
	CHECK_EQ_INT(d, kd);

	/* d3 booted with our fix: the port's control word became 0. */
	snprintf(path, sizeof(path), "%s/kernel/d3-iommu-acs-cleared/cmdline.txt",
		 fx);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	CHECK(strstr(cmdline, ours) != NULL);
	CHECK_EQ_INT(pdma_fabric_set_acs_ctrl(fab, tb_idx(fab, "00:07.0"), 0),
		     0);
	snprintf(path, sizeof(path),
		 "%s/kernel/d3-iommu-acs-cleared/p2p_matrix.txt", fx);
	kd = matrix_distance(path, "0000:09:00.0", "0000:09:00.1");
	CHECK_EQ_INT(verdict(fab, "09:00.0", "09:00.1", &d), BUS);
	CHECK_EQ_INT(d, kd);
	CHECK_EQ_INT(verdict(fab, "09:00.1", "09:00.0", &d), BUS);
	CHECK_EQ_INT(d, matrix_distance(path, "0000:09:00.1", "0000:09:00.0"));
	pdma_fabric_destroy(fab);
}

int main(void)
{
	single_bits();
	other_bits();
	order_and_reject();
	kernel_fixture();
	return harness_exit();
}
