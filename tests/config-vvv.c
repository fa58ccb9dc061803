/* SPDX-License-Identifier: MIT */
/*
 * pdma__config_decode() on every `config` file of the four kernel fixtures
 * (tests/fixtures/kernel/<name>/sys/devices/...), checked against the
 * fixture's own lspci-vvv.txt, which pciutils printed on the same machine:
 * ids, class, revision, bus numbers, BARs, PCIe port type, link capability
 * and status, and ACS capability and control.
 */
#include <ftw.h>
#include <unistd.h>

#include "fabric/config.h"
#include "harness.h"

/* What lspci -vvv says about one function. */
struct vvv {
	char bdf[16];
	uint16_t vendor, device;
	uint32_t class_code;
	int revision;
	int sec, sub;			/* -1: no "Bus:" line */
	int pcie_type;
	int cap_gen, cap_width, sta_gen, sta_width;	/* -1: no line */
	int acs_cap, acs_ctrl;		/* -1: no ACS capability */
	bool region[6];
	uint64_t addr[6];
	unsigned flags[6];
};

static int speed_gen(const char *s)
{
	static const char *const speeds[] = { "2.5GT/s", "5GT/s", "8GT/s",
					      "16GT/s", "32GT/s", "64GT/s" };

	for (int i = 0; i < 6; i++)
		if (!strncmp(s, speeds[i], strlen(speeds[i])))
			return i + 1;
	return 0;	/* "unknown" */
}

/* "Speed 16GT/s, Width x32" anywhere in @line. */
static void parse_link(const char *line, int *gen, int *width)
{
	const char *s = strstr(line, "Speed "), *w = strstr(line, "Width x");

	REQUIRE(s && w);
	*gen = speed_gen(s + 6);
	*width = atoi(w + 7);
}

/* "SrcValid+ TransBlk- ReqRedir+ ..." -> PDMA_ACS_* bits. */
static int parse_acs(const char *line)
{
	static const char *const names[] = { "SrcValid", "TransBlk",
		"ReqRedir", "CmpltRedir", "UpstreamFwd", "EgressCtrl",
		"DirectTrans" };
	int v = 0;

	for (int i = 0; i < 7; i++) {
		const char *p = strstr(line, names[i]);

		REQUIRE(p);
		if (p[strlen(names[i])] == '+')
			v |= 1 << i;
	}
	return v;
}

static int parse_type(const char *s)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {
		{ "Legacy Endpoint", PDMA_PCIE_LEGACY_ENDPOINT },
		{ "Endpoint", PDMA_PCIE_ENDPOINT },
		{ "Root Port", PDMA_PCIE_ROOT_PORT },
		{ "Upstream Port", PDMA_PCIE_UPSTREAM },
		{ "Downstream Port", PDMA_PCIE_DOWNSTREAM },
		{ "PCI-Express to PCI/PCI-X Bridge", PDMA_PCIE_PCIE_TO_PCI },
		{ "PCI/PCI-X to PCI-Express Bridge", PDMA_PCIE_PCI_TO_PCIE },
		{ "Root Complex Integrated Endpoint", PDMA_PCIE_RC_INTEGRATED },
		{ "Root Complex Event Collector",
		  PDMA_PCIE_RC_EVENT_COLLECTOR },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strncmp(s, types[i].name, strlen(types[i].name)))
			return types[i].type;
	fprintf(stderr, "unknown Express type: %s", s);
	exit(1);
}

/* Read every block of lspci-vvv.txt; returns the count. */
static int parse_vvv(const char *path, struct vvv *out, int max)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	struct vvv *v = NULL;
	int n = 0;

	REQUIRE(f);
	while (fgets(line, sizeof(line), f)) {
		const char *p;
		unsigned a, b;

		if (!strncmp(line, "lspci: ", 7)) {
			/* its stderr ("Unable to load libkmod resources") */
			continue;
		}
		if (line[0] != '\t' && line[0] != '\n') {
			REQUIRE(n < max);
			v = &out[n++];
			memset(v, 0, sizeof(*v));
			v->sec = v->sub = -1;
			v->pcie_type = PDMA_PCIE_NONE;
			v->cap_gen = v->sta_gen = -1;
			v->acs_cap = v->acs_ctrl = -1;
			REQUIRE(sscanf(line, "%15s", v->bdf) == 1);
			p = strstr(line, " [");
			REQUIRE(p && sscanf(p, " [%x]:", &a) == 1);
			v->class_code = a << 8;
			/* The last "[vvvv:dddd]" of the line. */
			for (p = line; (p = strchr(p, '[')); p++)
				if (sscanf(p, "[%4x:%4x]", &a, &b) == 2) {
					v->vendor = (uint16_t)a;
					v->device = (uint16_t)b;
				}
			v->revision = (p = strstr(line, "(rev ")) ?
					      (int)strtol(p + 5, NULL, 16) : 0;
			if ((p = strstr(line, "(prog-if ")))
				v->class_code |= (uint32_t)strtol(p + 9, NULL,
								  16);
			continue;
		}
		if (!v)
			continue;
		if ((p = strstr(line, "Bus: primary="))) {
			REQUIRE(sscanf(p, "Bus: primary=%*x, secondary=%x, subordinate=%x",
				       &a, &b) == 2);
			v->sec = (int)a;
			v->sub = (int)b;
		} else if ((p = strstr(line, "] Express (v")))
			v->pcie_type = parse_type(strchr(p, ')') + 2);
		else if (strstr(line, "LnkCap:\t"))
			parse_link(line, &v->cap_gen, &v->cap_width);
		else if (strstr(line, "LnkSta:\t"))
			parse_link(line, &v->sta_gen, &v->sta_width);
		else if (strstr(line, "ACSCap:\t"))
			v->acs_cap = parse_acs(line);
		else if (strstr(line, "ACSCtl:\t"))
			v->acs_ctrl = parse_acs(line);
		else if ((p = strstr(line, "\tRegion "))) {
			int i = p[8] - '0';
			unsigned long long addr;

			REQUIRE(i >= 0 && i < 6);
			v->region[i] = true;
			if ((p = strstr(line, "Memory at ")) &&
			    sscanf(p, "Memory at %llx", &addr) == 1) {
				v->addr[i] = addr;
				v->flags[i] = PDMA_BAR_MEM;
				if (strstr(p, "(64-bit"))
					v->flags[i] |= PDMA_BAR_64;
				if (strstr(p, ", prefetchable)"))
					v->flags[i] |= PDMA_BAR_PREFETCH;
			} else if ((p = strstr(line, "I/O ports at ")) &&
				   sscanf(p, "I/O ports at %llx", &addr) == 1) {
				v->addr[i] = addr;
			}
		}
	}
	fclose(f);
	return n;
}

static struct vvv vvvs[64];
static int nr_vvv, nr_checked;
static const char *cur_fixture;

static void check_one(const char *path, const struct vvv *v)
{
	struct pdma_func_info fi;
	struct pdma_error err;
	uint8_t cfg[4096];
	FILE *f = fopen(path, "rb");
	size_t len;

	REQUIRE(f);
	len = fread(cfg, 1, sizeof(cfg), f);
	fclose(f);
	memset(&fi, 0, sizeof(fi));
	fprintf(stderr, "# %s %s (%zu bytes)\n", cur_fixture, v->bdf, len);
	CHECK_EQ_INT(pdma__config_decode(cfg, len, &fi, path, &err), 0);
	CHECK_EQ_INT(fi.vendor, v->vendor);
	CHECK_EQ_INT(fi.device, v->device);
	CHECK_EQ_INT(fi.class_code, v->class_code);
	CHECK_EQ_INT(fi.revision, v->revision);
	if (v->sec >= 0) {
		CHECK_EQ_INT(fi.header_type, 1);
		CHECK_EQ_INT(fi.secondary_bus, v->sec);
		CHECK_EQ_INT(fi.subordinate_bus, v->sub);
	} else {
		CHECK_EQ_INT(fi.header_type, 0);
	}
	CHECK_EQ_INT(fi.pcie_type, v->pcie_type);
	CHECK_EQ_INT(fi.link_max.gen, v->cap_gen < 0 ? 0 : v->cap_gen);
	CHECK_EQ_INT(fi.link_max.width, v->cap_gen < 0 ? 0 : v->cap_width);
	CHECK_EQ_INT(fi.link_cur.gen, v->sta_gen < 0 ? 0 : v->sta_gen);
	CHECK_EQ_INT(fi.link_cur.width, v->sta_gen < 0 ? 0 : v->sta_width);
	CHECK(fi.acs_known);
	CHECK_EQ_INT(fi.has_acs, v->acs_cap >= 0);
	if (v->acs_cap >= 0) {
		/* lspci names bits 0-6; the rest of the word is vector size */
		CHECK_EQ_INT(fi.acs_cap & 0x7f, v->acs_cap);
		CHECK_EQ_INT(fi.acs_ctrl & 0x7f, v->acs_ctrl);
	}
	for (int i = 0; i < 6; i++) {
		if (!v->region[i]) {
			CHECK_EQ_INT(fi.bars[i].flags, 0);
			continue;
		}
		CHECK_EQ_INT(fi.bars[i].addr, v->addr[i]);
		CHECK_EQ_INT(fi.bars[i].flags, v->flags[i]);
	}
	nr_checked++;
}

static int visit(const char *path, const struct stat *st, int type,
		 struct FTW *ftw)
{
	const char *base = path + ftw->base;

	(void)st;
	if (type != FTW_F || strcmp(base, "config"))
		return 0;
	/* .../0000:BB:DD.F/config */
	for (int i = 0; i < nr_vvv; i++) {
		size_t n = strlen(vvvs[i].bdf);

		if (ftw->base > (int)n + 1 &&
		    !strncmp(base - n - 1, vvvs[i].bdf, n) &&
		    base[-n - 2] == ':') {
			check_one(path, &vvvs[i]);
			return 0;
		}
	}
	fprintf(stderr, "%s: not in lspci-vvv.txt\n", path);
	CHECK(0);
	return 0;
}

int main(void)
{
	static const char *const fixtures[] = { "d1-intel-3port",
		"d2-iommu-nested", "d3-iommu-acs-cleared", "d4-epyc-pxb" };
	char path[512];

	for (int i = 0; i < 4; i++) {
		int before = nr_checked;

		cur_fixture = fixtures[i];
		snprintf(path, sizeof(path), "%s/kernel/%s/lspci-vvv.txt",
			 harness_fixtures(), fixtures[i]);
		if (access(path, R_OK))
			harness_skip("tests/fixtures/kernel is not there");
		nr_vvv = parse_vvv(path, vvvs, 64);
		snprintf(path, sizeof(path), "%s/kernel/%s/sys/devices",
			 harness_fixtures(), fixtures[i]);
		REQUIRE(nftw(path, visit, 16, FTW_PHYS) == 0);
		/* Every function lspci saw has a config file. */
		CHECK_EQ_INT(nr_checked - before, nr_vvv);
		printf("%s: %d functions agree with lspci -vvv\n",
		       fixtures[i], nr_checked - before);
	}
	return harness_exit();
}
