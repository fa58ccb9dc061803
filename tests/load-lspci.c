/* SPDX-License-Identifier: MIT */
/*
 * pdma_load_lspci() on the four kernel fixtures: load lspci-xxxx.txt with
 * the CPU of the fixture's cpuinfo.txt and compare every ordered pair with
 * what Linux 6.12 computed on that machine (p2p_matrix.txt): the distance
 * always, and the map type where the kernel mapped p2pmem (dma_map != '-').
 * Then the same dumps rewritten as `lspci -D` (domain prefix), as -xxx
 * (256 bytes: ACS unknown) and as -x (64 bytes) output.
 */
#include <errno.h>
#include <unistd.h>

#include <peerdma/peerdma.h>

#include "fabric/cpuinfo.h"
#include "harness.h"

static const char *const fixtures[] = {
	"d1-intel-3port",
	"d2-iommu-nested",
	"d3-iommu-acs-cleared",
	"d4-epyc-pxb",
};

static char *slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, cap = 1 << 16, n;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap + 1);
	REQUIRE(buf);
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			REQUIRE(buf);
		}
	}
	fclose(f);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static void fixture_path(char *buf, size_t len, const char *fx,
			 const char *file)
{
	snprintf(buf, len, "%s/kernel/%s/%s", harness_fixtures(), fx, file);
}

/* The CPU the fixture's guest had, as a --cpu override. */
static struct pdma_cpu_override fixture_cpu(const char *fx)
{
	struct pdma_platform_info pi;
	struct pdma_cpu_override cpu = { .set = true };
	char path[512];

	memset(&pi, 0, sizeof(pi));
	fixture_path(path, sizeof(path), fx, "cpuinfo.txt");
	REQUIRE(pdma__cpuinfo_read(path, &pi) == 0);
	cpu.vendor = pi.cpu_vendor;
	cpu.family = pi.cpu_family;
	return cpu;
}

static enum pdma_map_type map_type_of(const char *s)
{
	if (!strcmp(s, "BUS_ADDR"))
		return PDMA_MAP_BUS_ADDR;
	if (!strcmp(s, "THRU_HOST_BRIDGE"))
		return PDMA_MAP_THRU_HOST_BRIDGE;
	if (!strcmp(s, "NOT_SUPPORTED"))
		return PDMA_MAP_NOT_SUPPORTED;
	return PDMA_MAP_UNKNOWN;
}

/*
 * Compare every line of p2p_matrix.txt with the verdicts of @fab.  Return
 * the number of pairs compared; each pair is checked once.
 */
static int compare_matrix(struct pdma_fabric *fab, const char *fx)
{
	char path[512], line[256], p[32], c[32], dma[32];
	int pairs = 0, bad = 0, dist, kdist, p2pmem;
	FILE *f;

	fixture_path(path, sizeof(path), fx, "p2p_matrix.txt");
	f = fopen(path, "r");
	REQUIRE(f);
	while (fgets(line, sizeof(line), f)) {
		enum pdma_map_type t, want;
		int pi, ci;

		if (line[0] == '#')
			continue;
		REQUIRE(sscanf(line, "%31s %31s distance=%d p2pmem=%d dma_map=%31s",
			       p, c, &kdist, &p2pmem, dma) == 5);
		pi = pdma_fabric_lookup(fab, p);
		ci = pdma_fabric_lookup(fab, c);
		CHECK(pi >= 0 && ci >= 0);
		if (pi < 0 || ci < 0)
			continue;
		dist = -99;
		t = pdma_verdict_map_type(fab, pi, ci, &dist);
		pairs++;
		want = strcmp(dma, "-") ? map_type_of(dma) : PDMA_MAP_UNKNOWN;
		if (dist != kdist || (want != PDMA_MAP_UNKNOWN && t != want) ||
		    (kdist < 0) != (t == PDMA_MAP_NOT_SUPPORTED)) {
			if (bad++ < 10)
				fprintf(stderr,
					"%s: %s -> %s: got %s distance %d, kernel distance %d dma_map %s\n",
					fx, p, c, pdma_map_type_name(t), dist,
					kdist, dma);
		}
	}
	fclose(f);
	CHECK_EQ_INT(bad, 0);
	return pairs;
}

static int nr_endpoints(const struct pdma_fabric *fab)
{
	int n = 0;

	for (int i = 0; i < pdma_fabric_nr_funcs(fab); i++)
		if (!pdma_fabric_is_bridge(pdma_fabric_func(fab, i)))
			n++;
	return n;
}

static bool has_note(const struct pdma_fabric *fab, const char *needle)
{
	for (int i = 0; i < pdma_fabric_nr_notes(fab); i++)
		if (strstr(pdma_fabric_note(fab, i), needle))
			return true;
	return false;
}

static const struct pdma_func_info *func(struct pdma_fabric *fab,
					 const char *bdf)
{
	int idx = pdma_fabric_lookup(fab, bdf);

	REQUIRE(idx >= 0);
	return pdma_fabric_func(fab, idx);
}

static void check_fixture(const char *fx)
{
	struct pdma_cpu_override cpu = fixture_cpu(fx);
	const struct pdma_platform_info *pi;
	struct pdma_fabric *fab = NULL;
	struct pdma_error err = { "" };
	char path[512], want[600];
	int ret, pairs, n;

	fixture_path(path, sizeof(path), fx, "lspci-xxxx.txt");
	ret = pdma_load_lspci(path, &cpu, &fab, &err);
	if (ret)
		fprintf(stderr, "%s: %s\n", fx, err.msg);
	REQUIRE(ret == 0 && fab);

	pairs = compare_matrix(fab, fx);
	n = nr_endpoints(fab);
	/* Every ordered pair of non-bridge functions, no more, no less. */
	CHECK_EQ_INT(pairs, n * n);
	printf("%s: %d functions, %d ordered pairs match the kernel\n", fx,
	       pdma_fabric_nr_funcs(fab), pairs);

	pi = pdma_fabric_platform(fab);
	snprintf(want, sizeof(want), "lspci dump %s", path);
	CHECK_STR(pi->source, want);
	CHECK_EQ_INT(pi->cpu_vendor, cpu.vendor);
	CHECK_EQ_INT(pi->cpu_family, cpu.family);
	snprintf(want, sizeof(want), "--cpu amd:%d", cpu.family);
	CHECK_STR(pi->cpu_source, want);
	CHECK(!pi->iommu);
	CHECK(has_note(fab, "BAR sizes are not in an lspci dump"));
	/* -xxxx as root: every ACS is known, no note says otherwise. */
	CHECK(!has_note(fab, "ACS is unknown"));
	for (int i = 0; i < pdma_fabric_nr_funcs(fab); i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, i);

		CHECK_EQ_INT(fi->iommu_group, -1);
		CHECK_EQ_INT(fi->numa_node, -1);
		CHECK(fi->acs_known);
		CHECK_STR(fi->driver, "");
	}
	pdma_fabric_destroy(fab);
}

/* Details of the trees the dumps describe (README of the fixtures). */
static void check_trees(void)
{
	struct pdma_cpu_override cpu = fixture_cpu("d1-intel-3port");
	const struct pdma_func_info *rp0, *rp1, *ep;
	const struct pdma_host_bridge_info *hb;
	struct pdma_fabric *fab;
	struct pdma_error err;
	char path[512];

	fixture_path(path, sizeof(path), "d1-intel-3port", "lspci-xxxx.txt");
	REQUIRE(pdma_load_lspci(path, &cpu, &fab, &err) == 0);
	/* 00:1c.0 / 00:1c.1: two root ports of one multifunction slot. */
	rp0 = func(fab, "00:1c.0");
	rp1 = func(fab, "00:1c.1");
	CHECK(rp0->multifunction);	/* only function 0 says so */
	CHECK_EQ_INT(rp0->role, PDMA_ROLE_ROOT_PORT);
	CHECK_EQ_INT(rp1->role, PDMA_ROLE_ROOT_PORT);
	CHECK_EQ_INT(func(fab, "06:00.0")->parent, rp0->index);
	CHECK_EQ_INT(func(fab, "07:00.0")->parent, rp1->index);
	/* 00:08.0 is integrated in the root complex: no bridge above it. */
	ep = func(fab, "00:08.0");
	CHECK_EQ_INT(ep->parent, PDMA_NONE);
	CHECK_EQ_INT(ep->pcie_type, PDMA_PCIE_RC_INTEGRATED);
	CHECK_EQ_INT(func(fab, "05:00.0")->depth, 3);
	CHECK_STR(func(fab, "03:00.0")->name,
		  "Red Hat, Inc. QEMU NVM Express Controller");
	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(fab), 1);
	pdma_fabric_destroy(fab);

	/* d4: the pxb-pcie root buses 40 and a0 are host bridges of their own,
	 * each inspected through its root port. */
	cpu = fixture_cpu("d4-epyc-pxb");
	fixture_path(path, sizeof(path), "d4-epyc-pxb", "lspci-xxxx.txt");
	REQUIRE(pdma_load_lspci(path, &cpu, &fab, &err) == 0);
	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(fab), 3);
	for (int h = 0; h < pdma_fabric_nr_host_bridges(fab); h++) {
		hb = pdma_fabric_host_bridge(fab, h);
		if (hb->bus == 0x40)
			CHECK_EQ_INT(hb->root_func,
				     pdma_fabric_lookup(fab, "40:00.0"));
		else if (hb->bus == 0xa0)
			CHECK_EQ_INT(hb->root_func,
				     pdma_fabric_lookup(fab, "a0:00.0"));
		else
			CHECK_EQ_INT(hb->bus, 0);
	}
	CHECK_EQ_INT(func(fab, "43:00.0")->host_bridge,
		     func(fab, "40:00.0")->host_bridge);
	CHECK_EQ_INT(func(fab, "40:00.0")->link_max.gen, 4);
	CHECK_EQ_INT(func(fab, "40:00.0")->link_max.width, 16);
	CHECK_EQ_INT(func(fab, "a0:00.0")->link_max.gen, 2);
	CHECK_EQ_INT(func(fab, "a0:00.0")->link_max.width, 2);
	pdma_fabric_destroy(fab);
}

/*
 * Rewrite a -xxxx dump: @domain adds "0000:" to device lines (lspci -D);
 * @keep cuts every block's hex after that many bytes (-xxx: 256, -x: 64).
 */
static char *rewrite(const char *in, bool domain, size_t keep, size_t *lenp)
{
	size_t cap = strlen(in) * 2 + 1, len = 0;
	char *out = malloc(cap);
	const char *s = in;

	REQUIRE(out);
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
		size_t k = strspn(s, "0123456789abcdef");
		unsigned long off = strtoul(s, NULL, 16);

		if ((k == 2 || k == 3) && s[k] == ':' && s[k + 1] == ' ') {
			if (off >= keep) {
				s += n;
				continue;
			}
		} else if (domain && n > 1) {
			memcpy(out + len, "0000:", 5);
			len += 5;
		}
		memcpy(out + len, s, n);
		len += n;
		s += n;
	}
	out[len] = '\0';
	*lenp = len;
	return out;
}

/*
 * `lspci -vvv -xxxx` output: each block's -vvv lines, then its hex.  Built
 * from the fixture's lspci-vvv.txt and lspci-xxxx.txt (same machine, same
 * order), keeping the lspci warning that -vvv.txt starts with.
 */
static char *merge_vvv(const char *vvv, const char *xxxx, size_t *lenp)
{
	size_t cap = strlen(vvv) + strlen(xxxx) + 1, len = 0;
	char *out = malloc(cap);

	REQUIRE(out);
	while (*vvv) {
		/* Copy -vvv lines up to the blank line ending a block. */
		while (*vvv && *vvv != '\n') {
			size_t n = strcspn(vvv, "\n") + 1;

			memcpy(out + len, vvv, n);
			len += n;
			vvv += n;
			if (vvv[-1] != '\n')
				out[len - 1] = '\n';
			if (!strncmp(out + len - n, "lspci: ", 7))
				continue;
			/* the matching -xxxx block, hex lines only */
			if (out[len - n] != '\t') {
				xxxx += strcspn(xxxx, "\n") + 1;
				continue;
			}
		}
		while (*xxxx && *xxxx != '\n') {
			size_t n = strcspn(xxxx, "\n") + 1;

			memcpy(out + len, xxxx, n);
			len += n;
			xxxx += n;
		}
		/* now both sit on their blank line */
		if (*xxxx)
			xxxx++;
		if (*vvv)
			vvv++;
		out[len++] = '\n';
	}
	out[len] = '\0';
	*lenp = len;
	return out;
}

static void check_variants(void)
{
	struct pdma_cpu_override cpu = fixture_cpu("d2-iommu-nested");
	const struct pdma_func_info *fi;
	struct pdma_fabric *fab;
	struct pdma_error err;
	char path[512], *dump, *v, *vvv;
	size_t len, vlen;
	int ret;

	fixture_path(path, sizeof(path), "d2-iommu-nested", "lspci-xxxx.txt");
	dump = slurp(path, &len);
	REQUIRE(dump);

	/* lspci -D -xxxx: the same machine, every verdict the same. */
	v = rewrite(dump, true, 4096, &vlen);
	CHECK(!strncmp(v, "0000:00:00.0 ", 13));
	ret = pdma_load_lspci_mem(v, vlen, "d2-D.txt", &cpu, &fab, &err);
	if (ret)
		fprintf(stderr, "-D: %s\n", err.msg);
	REQUIRE(ret == 0);
	CHECK_EQ_INT(compare_matrix(fab, "d2-iommu-nested"),
		     nr_endpoints(fab) * nr_endpoints(fab));
	CHECK_STR(pdma_fabric_platform(fab)->source, "lspci dump d2-D.txt");
	pdma_fabric_destroy(fab);
	free(v);

	/* lspci -vvv -xxxx: detail lines before the hex are skipped. */
	fixture_path(path, sizeof(path), "d2-iommu-nested", "lspci-vvv.txt");
	vvv = slurp(path, &vlen);
	REQUIRE(vvv);
	v = merge_vvv(vvv, dump, &vlen);
	free(vvv);
	CHECK(strstr(v, "\tKernel driver in use: pcieport\n00: 36 1b 0c 00"));
	ret = pdma_load_lspci_mem(v, vlen, "d2-vvv.txt", &cpu, &fab, &err);
	if (ret)
		fprintf(stderr, "-vvv -xxxx: %s\n", err.msg);
	REQUIRE(ret == 0);
	CHECK_EQ_INT(compare_matrix(fab, "d2-iommu-nested"),
		     nr_endpoints(fab) * nr_endpoints(fab));
	CHECK(has_note(fab, "d2-vvv.txt:1: lspci: Unable to load libkmod resources"));
	pdma_fabric_destroy(fab);
	free(v);

	/* lspci -xxx: 256 bytes; PCIe port types and links are there, ACS
	 * is not. */
	v = rewrite(dump, false, 256, &vlen);
	ret = pdma_load_lspci_mem(v, vlen, "d2-xxx.txt", &cpu, &fab, &err);
	if (ret)
		fprintf(stderr, "-xxx: %s\n", err.msg);
	REQUIRE(ret == 0);
	CHECK(has_note(fab, "ACS is unknown for 17 PCIe functions (00:02.0 and others)"));
	fi = func(fab, "00:02.0");
	CHECK(!fi->acs_known);
	CHECK(!fi->has_acs);
	CHECK_EQ_INT(fi->pcie_type, PDMA_PCIE_ROOT_PORT);
	CHECK_EQ_INT(fi->link_max.gen, 4);
	/* The ICH9 functions are conventional PCI: 256 bytes say it all. */
	CHECK(func(fab, "00:1f.2")->acs_known);
	CHECK_EQ_INT(func(fab, "09:00.1")->parent,
		     pdma_fabric_lookup(fab, "00:07.0"));
	pdma_fabric_destroy(fab);
	free(v);

	/* lspci -x (or not root): 64 bytes; still a tree from bus numbers. */
	v = rewrite(dump, false, 64, &vlen);
	ret = pdma_load_lspci_mem(v, vlen, "d2-x.txt", &cpu, &fab, &err);
	if (ret)
		fprintf(stderr, "-x: %s\n", err.msg);
	REQUIRE(ret == 0);
	CHECK(has_note(fab, "have fewer than 256 bytes of config space"));
	fi = func(fab, "00:02.0");
	CHECK(!fi->acs_known);
	CHECK_EQ_INT(fi->pcie_type, PDMA_PCIE_NONE);
	CHECK_EQ_INT(fi->secondary_bus, 1);
	CHECK_EQ_INT(fi->subordinate_bus, 7);
	CHECK_EQ_INT(func(fab, "05:00.0")->depth, 5);
	pdma_fabric_destroy(fab);
	free(v);
	free(dump);
}

static void check_cpu(void)
{
	struct pdma_cpu_override cpu;
	struct pdma_fabric *fab;
	struct pdma_error err;
	char path[512];
	int ret;

	CHECK_EQ_INT(pdma_cpu_parse("amd:23", &cpu), 0);
	CHECK(cpu.set && cpu.vendor == PDMA_CPU_AMD && cpu.family == 23);
	CHECK_EQ_INT(pdma_cpu_parse("AMD:0x17", &cpu), 0);
	CHECK(cpu.vendor == PDMA_CPU_AMD && cpu.family == 0x17);
	CHECK_EQ_INT(pdma_cpu_parse("amd:017", &cpu), 0);
	CHECK_EQ_INT(cpu.family, 17);	/* decimal, not octal */
	CHECK_EQ_INT(pdma_cpu_parse("intel", &cpu), 0);
	CHECK(cpu.set && cpu.vendor == PDMA_CPU_INTEL);
	CHECK_EQ_INT(pdma_cpu_parse("other", &cpu), 0);
	CHECK(cpu.set && cpu.vendor == PDMA_CPU_OTHER);
	CHECK_EQ_INT(pdma_cpu_parse("amd", &cpu), -EINVAL);
	CHECK_EQ_INT(pdma_cpu_parse("amd:", &cpu), -EINVAL);
	CHECK_EQ_INT(pdma_cpu_parse("amd:0x", &cpu), -EINVAL);
	CHECK_EQ_INT(pdma_cpu_parse("amd:23x", &cpu), -EINVAL);
	CHECK_EQ_INT(pdma_cpu_parse("amd:-1", &cpu), -EINVAL);
	CHECK_EQ_INT(pdma_cpu_parse("amd:99999999999999999999", &cpu),
		     -EINVAL);
	CHECK_EQ_INT(pdma_cpu_parse("arm", &cpu), -EINVAL);
	CHECK_EQ_INT(pdma_cpu_parse("", &cpu), -EINVAL);

	/* --cpu intel on d4: the host-bridge route is closed again. */
	REQUIRE(pdma_cpu_parse("intel", &cpu) == 0);
	fixture_path(path, sizeof(path), "d4-epyc-pxb", "lspci-xxxx.txt");
	REQUIRE(pdma_load_lspci(path, &cpu, &fab, &err) == 0);
	CHECK_STR(pdma_fabric_platform(fab)->cpu_source, "--cpu intel");
	CHECK_EQ_INT(pdma_verdict_map_type(fab,
					   pdma_fabric_lookup(fab, "43:00.0"),
					   pdma_fabric_lookup(fab, "a1:00.1"),
					   NULL),
		     PDMA_MAP_NOT_SUPPORTED);
	pdma_fabric_destroy(fab);

	/* No override: this machine's CPU, and the platform says so. */
	ret = pdma_load_lspci(path, NULL, &fab, &err);
	REQUIRE(ret == 0);
	if (access("/proc/cpuinfo", R_OK) == 0)
		CHECK_STR(pdma_fabric_platform(fab)->cpu_source,
			  "/proc/cpuinfo of this machine");
	else
		CHECK(has_note(fab, "the CPU is unknown"));
	pdma_fabric_destroy(fab);
}

/* "-" reads standard input, and says so. */
static void check_stdin(void)
{
	struct pdma_cpu_override cpu = fixture_cpu("d3-iommu-acs-cleared");
	struct pdma_fabric *fab;
	struct pdma_error err;
	char path[512];

	fixture_path(path, sizeof(path), "d3-iommu-acs-cleared",
		     "lspci-xxxx.txt");
	REQUIRE(freopen(path, "r", stdin));
	REQUIRE(pdma_load_lspci("-", &cpu, &fab, &err) == 0);
	CHECK_STR(pdma_fabric_platform(fab)->source, "lspci dump <stdin>");
	CHECK_EQ_INT(compare_matrix(fab, "d3-iommu-acs-cleared"),
		     nr_endpoints(fab) * nr_endpoints(fab));
	pdma_fabric_destroy(fab);
	/* and a NULL path is an error, not a crash */
	fab = (struct pdma_fabric *)&fab;
	CHECK_EQ_INT(pdma_load_lspci(NULL, &cpu, &fab, &err), -EINVAL);
	CHECK(fab == NULL);
}

int main(void)
{
	char path[512];

	fixture_path(path, sizeof(path), fixtures[0], "lspci-xxxx.txt");
	if (access(path, R_OK))
		harness_skip("tests/fixtures/kernel is not there");
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		check_fixture(fixtures[i]);
	check_trees();
	check_variants();
	check_cpu();
	check_stdin();
	return harness_exit();
}
