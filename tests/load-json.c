/* SPDX-License-Identifier: MIT */
/*
 * Topology files: every file in tests/topologies and docs/examples
 * loads; the fields the files give (or leave to the defaults) come out as
 * docs/topology-format.md says; and the verdicts that follow from the
 * kernel's rules for those machines hold: the Skylake-E allow-list lets P2P
 * cross host bridges on an Intel CPU, E5 0x3c00/0x3c01 only within one host
 * bridge, ACS redirect on a switch port downgrades a pair that shares the
 * switch to THRU_HOST_BRIDGE, and an AMD Zen CPU allows every crossing.
 */
#include <dirent.h>
#include <errno.h>

#include "tb.h"

/*
 * Under LeakSanitizer: libpci 3.9 leaks a udev handle per name lookup that
 * misses pci.ids when udev's hwdb is absent (see fuzz/lsan.supp); these
 * topologies hold ids that some pci.ids lack.  Not ours.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:udev_new\n";
}

static char path[4096];

static const char *topo(const char *name)
{
	const char *root = getenv("PDMA_SOURCE_ROOT");

	snprintf(path, sizeof(path), "%s/tests/topologies/%s", root ? root : ".",
		 name);
	return path;
}

static struct pdma_fabric *load(const char *name)
{
	struct pdma_fabric *fab = NULL;
	struct pdma_error err = { "" };
	int ret = pdma_load_json(topo(name), &fab, &err);

	if (ret)
		fprintf(stderr, "%s: %d: %s\n", name, ret, err.msg);
	REQUIRE(ret == 0 && fab);
	return fab;
}

static const struct pdma_func_info *fn(struct pdma_fabric *fab, const char *n)
{
	return pdma_fabric_func(fab, tb_idx(fab, n));
}

static void verdict(struct pdma_fabric *fab, const char *p, const char *c,
		    enum pdma_map_type want, int want_dist)
{
	int d = -99;
	enum pdma_map_type t = tb_verdict(fab, p, c, &d);

	if (t != want || (want_dist != -99 && d != want_dist))
		fprintf(stderr, "  %s -> %s: got %s %d, want %s %d\n", p, c,
			pdma_map_type_name(t), d, pdma_map_type_name(want),
			want_dist);
	CHECK_EQ_INT(t, want);
	if (want_dist != -99)
		CHECK_EQ_INT(d, want_dist);
}

/* Every file of a directory loads, and its functions are consistent. */
static int load_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	REQUIRE(d);
	while ((de = readdir(d))) {
		struct pdma_fabric *fab = NULL;
		struct pdma_error err = { "" };
		char p[4096];
		size_t l = strlen(de->d_name);
		int ret;

		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		ret = pdma_load_json(p, &fab, &err);
		if (ret)
			fprintf(stderr, "%s: %s\n", p, err.msg);
		CHECK_EQ_INT(ret, 0);
		if (ret)
			continue;
		CHECK(pdma_fabric_nr_funcs(fab) > 0);
		for (int i = 0; i < pdma_fabric_nr_funcs(fab); i++) {
			const struct pdma_func_info *fi = pdma_fabric_func(fab, i);
			const struct pdma_host_bridge_info *hb =
				pdma_fabric_host_bridge(fab, fi->host_bridge);

			CHECK(fi->label[0]);
			CHECK(hb && hb->domain == fi->domain);
			if (fi->parent != PDMA_NONE)
				CHECK_EQ_INT(pdma_fabric_func(fab, fi->parent)->secondary_bus,
					     fi->bus);
			else
				CHECK_EQ_INT(hb->bus, fi->bus);
		}
		pdma_fabric_destroy(fab);
		n++;
	}
	closedir(d);
	return n;
}

static void skylake(void)
{
	struct pdma_fabric *fab = load("skylake-sp-plx.json");
	const struct pdma_platform_info *pi = pdma_fabric_platform(fab);
	const struct pdma_func_info *fi;
	int d0 = tb_idx(fab, "plx-d0"), d1 = tb_idx(fab, "plx-d1");

	CHECK_EQ_INT(pi->cpu_vendor, PDMA_CPU_INTEL);
	CHECK_EQ_INT(pi->cpu_family, 6);
	CHECK(pi->iommu);
	CHECK_STR(pi->cmdline, "BOOT_IMAGE=/vmlinuz intel_iommu=on iommu=pt");
	CHECK(strstr(pi->source, "skylake-sp-plx.json") != NULL);
	CHECK(strstr(pi->cpu_source, "skylake-sp-plx.json") != NULL);
	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(fab), 5);
	CHECK_STR(pdma_fabric_host_bridge(fab, 2)->name, "pci0000:3a");
	CHECK_STR(pdma_fabric_host_bridge(fab, 2)->firmware_path, "\\_SB_.PC02");
	CHECK_EQ_INT(pdma_fabric_iommu_group_type(fab, 14), PDMA_IOMMU_IDENTITY);
	CHECK_EQ_INT(pdma_fabric_iommu_group_type(fab, 30), PDMA_IOMMU_DMA);
	CHECK_EQ_INT(pdma_fabric_iommu_group_type(fab, 15), PDMA_IOMMU_NONE);

	/* {"redirect": true}: QEMU-like cap, what Linux enables. */
	fi = fn(fab, "rp17");
	CHECK(fi->has_acs && fi->acs_known);
	CHECK_EQ_INT(fi->acs_cap, 0x5f);
	CHECK_EQ_INT(fi->acs_ctrl, PDMA_ACS_SV | PDMA_ACS_RR | PDMA_ACS_CR |
					   PDMA_ACS_UF);
	CHECK_EQ_INT(fn(fab, "plx-d0")->acs_cap, 0x7f);
	CHECK_EQ_INT(fn(fab, "plx-up")->has_acs, false);
	CHECK_EQ_INT(fn(fab, "plx-up")->revision, 0xca);

	/* BARs: auto index after a 64-bit BAR takes two slots. */
	fi = fn(fab, "v100a");
	CHECK_EQ_INT(fi->bars[0].size, 16 << 20);
	CHECK_EQ_INT(fi->bars[0].addr, 0xaa000000);
	CHECK_EQ_INT(fi->bars[0].flags, PDMA_BAR_MEM);
	CHECK_EQ_INT(fi->bars[1].size, 16ull << 30);
	CHECK_EQ_INT(fi->bars[1].addr, 0x38bfc0000000ull);
	CHECK_EQ_INT(fi->bars[1].flags,
		     PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH);
	CHECK_EQ_INT(fi->bars[2].size, 0);
	CHECK_EQ_INT(fi->bars[3].size, 32 << 20);
	CHECK_EQ_INT(fi->class_code, 0x030200);
	CHECK_EQ_INT(fi->role, PDMA_ROLE_GPU);
	CHECK_EQ_INT(fi->subsys_device, 0x1214);
	CHECK_EQ_INT(fi->pcie_type, PDMA_PCIE_ENDPOINT);
	CHECK_EQ_INT(fi->numa_node, 0);		/* from its host bridge */
	CHECK_EQ_INT(fi->link_cur.gen, 3);
	CHECK_EQ_INT(fi->link_max.width, 16);
	CHECK_STR(fi->driver, "nvidia");
	CHECK_EQ_INT(fn(fab, "v100c")->numa_node, 1);
	fi = fn(fab, "5d:00.0");
	CHECK_EQ_INT(fi->link_cur.width, 4);
	CHECK_EQ_INT(fi->link_max.width, 16);
	CHECK_EQ_INT(fi->secondary_bus, 0x5e);	/* from its child's bdf */
	/* Multifunction follows from the functions present. */
	CHECK(fn(fab, "cx5a")->multifunction);
	/* Function 1 of a multifunction slot is marked too, as the kernel does. */
	CHECK(fn(fab, "cx5b")->multifunction);
	CHECK(!fn(fab, "v100a")->multifunction);

	/*
	 * Root ports 8086:2030 at x:00.0 are the root devices of their host
	 * bridges and on the allow-list without REQ_SAME_HOST_BRIDGE.
	 */
	verdict(fab, "v100a", "p4510", PDMA_MAP_THRU_HOST_BRIDGE, 4);
	verdict(fab, "v100a", "v100c", PDMA_MAP_THRU_HOST_BRIDGE, 4);
	verdict(fab, "v100c", "cx5a", PDMA_MAP_THRU_HOST_BRIDGE, 6);
	/* Sharing the PLX switch, but ACS redirect on its downstream ports. */
	verdict(fab, "v100b", "cx5a", PDMA_MAP_THRU_HOST_BRIDGE, 4);
	verdict(fab, "cx5a", "cx5b", PDMA_MAP_THRU_HOST_BRIDGE, 2);
	/* ... which is what downgrades them: without it, BUS_ADDR. */
	REQUIRE(pdma_fabric_set_acs_ctrl(fab, d0, 0) == 0);
	REQUIRE(pdma_fabric_set_acs_ctrl(fab, d1, PDMA_ACS_SV) == 0);
	verdict(fab, "v100b", "cx5a", PDMA_MAP_BUS_ADDR, 4);
	verdict(fab, "cx5a", "cx5b", PDMA_MAP_BUS_ADDR, 2);
	pdma_fabric_destroy(fab);
}

static void e5(void)
{
	struct pdma_fabric *fab = load("e5-2socket.json");
	const struct pdma_func_info *fi;

	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(fab), 2);
	CHECK_EQ_INT(pdma_fabric_host_bridge(fab, 1)->numa_node, 1);
	CHECK_EQ_INT(fn(fab, "00:00.0")->role, PDMA_ROLE_HOST_BRIDGE);
	CHECK_EQ_INT(fn(fab, "00:00.0")->class_code, 0x060000);
	/* "dev": 0 below an explicit secondary bus; then derived buses. */
	CHECK_EQ_INT(tb_idx(fab, "p3700a"), tb_idx(fab, "01:00.0"));
	CHECK_EQ_INT(tb_idx(fab, "k40a"), tb_idx(fab, "02:00.0"));
	fi = fn(fab, "00:03.0");
	CHECK_EQ_INT(fi->secondary_bus, 3);
	CHECK_EQ_INT(fi->subordinate_bus, 3);
	CHECK_EQ_INT(fn(fab, "80:02.0")->secondary_bus, 0x82);
	CHECK_EQ_INT(fn(fab, "cx3")->role, PDMA_ROLE_NIC);	/* infiniband */
	/* 80:00.0 is a root port, and the root device of pci0000:80. */
	fi = fn(fab, "80:00.0");
	CHECK_EQ_INT(fi->pcie_type, PDMA_PCIE_ROOT_PORT);
	CHECK_EQ_INT(pdma_fabric_host_bridge(fab, 1)->root_func,
		     tb_idx(fab, "80:00.0"));

	/* 0x3c00/0x3c01 are listed with REQ_SAME_HOST_BRIDGE. */
	verdict(fab, "p3700a", "k40a", PDMA_MAP_THRU_HOST_BRIDGE, 4);
	verdict(fab, "k40a", "cx3", PDMA_MAP_THRU_HOST_BRIDGE, 4);
	verdict(fab, "p3700b", "k40b", PDMA_MAP_THRU_HOST_BRIDGE, 4);
	verdict(fab, "p3700a", "p3700b", PDMA_MAP_NOT_SUPPORTED, -1);
	verdict(fab, "k40b", "k40a", PDMA_MAP_NOT_SUPPORTED, -1);
	pdma_fabric_destroy(fab);
}

static void epyc(void)
{
	struct pdma_fabric *fab = load("epyc-rome-nested.json");
	const struct pdma_platform_info *pi = pdma_fabric_platform(fab);
	const struct pdma_func_info *fi;

	CHECK_EQ_INT(pi->cpu_vendor, PDMA_CPU_AMD);
	CHECK_EQ_INT(pi->cpu_family, 0x17);
	CHECK_STR(pi->cpu_source, "hand-written");
	CHECK_STR(pi->source, "tests/topologies/epyc-rome-nested.json");
	CHECK_EQ_INT(pdma_fabric_iommu_group_type(fab, 41), PDMA_IOMMU_UNMANAGED);
	/* Kinds inferred along the tree: two levels of switches. */
	CHECK_EQ_INT(fn(fab, "sw-up")->role, PDMA_ROLE_SWITCH_UP);
	CHECK_EQ_INT(fn(fab, "sw-d1")->role, PDMA_ROLE_SWITCH_DOWN);
	CHECK_EQ_INT(fn(fab, "sw2-up")->role, PDMA_ROLE_SWITCH_UP);
	CHECK_EQ_INT(fn(fab, "mi100b")->depth, 5);	/* bridges above it */
	CHECK_EQ_INT(fn(fab, "rp40")->secondary_bus, 0x41);
	CHECK_EQ_INT(fn(fab, "rp40")->subordinate_bus, 0x47);
	CHECK_EQ_INT(fn(fab, "sw2-up")->subordinate_bus, 0x46);
	CHECK_EQ_INT(tb_idx(fab, "noload"), tb_idx(fab, "47:00.0"));
	CHECK_EQ_INT(fn(fab, "sw-d0")->acs_ctrl, 0);
	CHECK(fn(fab, "sw-d0")->has_acs);
	CHECK(!fn(fab, "sw-up")->has_acs);
	/* Functions take their host bridge's node unless they say. */
	CHECK_EQ_INT(fn(fab, "mi100a")->numa_node, 2);
	CHECK_EQ_INT(fn(fab, "cx6b")->numa_node, 1);
	CHECK_EQ_INT(fn(fab, "pm1733")->numa_node, -1);
	fi = fn(fab, "cx6a");
	CHECK_EQ_INT(fi->link_cur.gen, 4);
	CHECK_EQ_INT(fi->link_cur.width, 16);
	CHECK_EQ_INT(fi->link_max.gen, 4);
	fi = fn(fab, "noload");
	CHECK(fi->p2pmem.present && fi->p2pmem.published);
	CHECK_EQ_INT(fi->p2pmem.size, 512ull << 20);
	CHECK_EQ_INT(fi->p2pmem.available, 511ull << 20);
	fi = fn(fab, "mi100a");
	CHECK_EQ_INT(fi->bars[0].size, 32ull << 30);
	CHECK_EQ_INT(fi->bars[2].size, 2 << 20);
	CHECK_EQ_INT(fi->bars[4].size, 256);
	CHECK_EQ_INT(fi->bars[4].flags, 0);		/* I/O */
	CHECK_EQ_INT(fi->bars[5].flags, PDMA_BAR_MEM);
	CHECK_EQ_INT(fi->class_code, 0x038000);

	/* The lower switch has no redirect: its GPUs meet at sw2-up. */
	verdict(fab, "mi100a", "mi100b", PDMA_MAP_BUS_ADDR, 4);
	/* sw-d1 redirects; the CPU rule lets the detour through. */
	verdict(fab, "mi100a", "noload", PDMA_MAP_THRU_HOST_BRIDGE, 6);
	verdict(fab, "cx6a", "cx6b", PDMA_MAP_THRU_HOST_BRIDGE, 2);
	verdict(fab, "pm1733", "mi100b", PDMA_MAP_THRU_HOST_BRIDGE, 8);
	REQUIRE(pdma_fabric_set_acs_ctrl(fab, tb_idx(fab, "sw-d1"), 0) == 0);
	verdict(fab, "mi100a", "noload", PDMA_MAP_BUS_ADDR, 6);
	pdma_fabric_destroy(fab);
}

static void dgx1_short(void)
{
	struct pdma_fabric *fab = load("dgx1-short.json");
	static const struct {
		const char *bdf;
		enum pdma_role role;
		int sec, sub;
	} want[] = {
		{ "00:01.0", PDMA_ROLE_ROOT_PORT, 0x01, 0x05 },
		{ "01:00.0", PDMA_ROLE_SWITCH_UP, 0x02, 0x05 },
		{ "02:08.0", PDMA_ROLE_SWITCH_DOWN, 0x03, 0x03 },
		{ "02:10.0", PDMA_ROLE_SWITCH_DOWN, 0x04, 0x04 },
		{ "02:11.0", PDMA_ROLE_SWITCH_DOWN, 0x05, 0x05 },
		{ "00:02.0", PDMA_ROLE_ROOT_PORT, 0x06, 0x09 },
		{ "07:10.0", PDMA_ROLE_SWITCH_DOWN, 0x09, 0x09 },
		{ "80:02.0", PDMA_ROLE_ROOT_PORT, 0x81, 0x85 },
		{ "82:09.0", PDMA_ROLE_SWITCH_DOWN, 0x84, 0x84 },
		{ "82:0a.0", PDMA_ROLE_SWITCH_DOWN, 0x85, 0x85 },
	};

	/* No bus numbers in the file: assigned depth first like firmware. */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct pdma_func_info *fi = fn(fab, want[i].bdf);

		CHECK_EQ_INT(fi->role, want[i].role);
		CHECK_EQ_INT(fi->secondary_bus, want[i].sec);
		CHECK_EQ_INT(fi->subordinate_bus, want[i].sub);
	}
	CHECK_EQ_INT(tb_idx(fab, "gpu0"), tb_idx(fab, "03:00.0"));
	CHECK_EQ_INT(tb_idx(fab, "ib1"), tb_idx(fab, "85:00.0"));
	CHECK_EQ_INT(tb_idx(fab, "isa0"), tb_idx(fab, "00:1f.0"));
	CHECK(!fn(fab, "00:01.0")->acs_known);
	CHECK(fn(fab, "01:00.0")->acs_known);
	CHECK_EQ_INT(fn(fab, "gpu4")->numa_node, 1);
	CHECK_STR(pdma_fabric_host_bridge(fab, 1)->name, "pci0000:80");

	/* Broadwell 8086:6f00 is not on the list: only inside a switch. */
	verdict(fab, "gpu0", "gpu1", PDMA_MAP_BUS_ADDR, 4);
	verdict(fab, "ib0", "gpu1", PDMA_MAP_BUS_ADDR, 4);
	verdict(fab, "gpu0", "gpu2", PDMA_MAP_NOT_SUPPORTED, -1);
	verdict(fab, "gpu4", "gpu0", PDMA_MAP_NOT_SUPPORTED, -1);
	verdict(fab, "gpu5", "ib1", PDMA_MAP_BUS_ADDR, 4);
	pdma_fabric_destroy(fab);
}

static void workstation(void)
{
	struct pdma_fabric *fab = load("workstation-mf.json");
	const struct pdma_func_info *fi;

	CHECK_EQ_INT(pdma_fabric_nr_notes(fab), 1);
	CHECK_STR(pdma_fabric_platform(fab)->cpu_source, "/proc/cpuinfo");
	CHECK_EQ_INT(fn(fab, "igpu")->pcie_type, PDMA_PCIE_RC_INTEGRATED);
	CHECK_EQ_INT(fn(fab, "igpu")->parent, PDMA_NONE);
	CHECK_EQ_INT(fn(fab, "asm1083")->pcie_type, PDMA_PCIE_PCIE_TO_PCI);
	CHECK_EQ_INT(fn(fab, "legacy-nic")->pcie_type, PDMA_PCIE_NONE);
	CHECK_EQ_INT(fn(fab, "legacy-sata")->class_code, 0x010185);
	CHECK_EQ_INT(fn(fab, "00:1f.4")->class_code, 0x0c0500);
	/* Multifunction: every function of a shared slot, as the kernel says. */
	CHECK(fn(fab, "rtx3090")->multifunction);
	CHECK(fn(fab, "00:1c.0")->multifunction);
	CHECK(fn(fab, "00:1c.1")->multifunction);
	CHECK(fn(fab, "00:1c.4")->multifunction);
	CHECK(fn(fab, "00:14.0")->multifunction);
	fi = fn(fab, "00:1c.1");
	CHECK(fi->has_acs && !fi->acs_known);
	CHECK_EQ_INT(fi->acs_cap, 0x1f);
	fi = fn(fab, "00:1c.4");
	CHECK_EQ_INT(fi->secondary_bus, 0x10);
	CHECK_EQ_INT(fi->subordinate_bus, 0x1f);
	CHECK_EQ_INT(fi->link_cur.gen, 0);
	CHECK_EQ_INT(fi->link_max.gen, 3);
	CHECK_EQ_INT(fi->link_max.width, 4);
	fi = fn(fab, "00:01.0");
	CHECK_EQ_INT(fi->link_cur.gen, 4);
	CHECK_EQ_INT(fi->link_max.gen, 5);
	fi = fn(fab, "rtx3090");
	CHECK_EQ_INT(fi->bars[5].size, 128);
	CHECK_EQ_INT(fi->bars[5].addr, 0x5000);
	CHECK_EQ_INT(fi->bars[5].flags, 0);
	CHECK_EQ_INT(fi->bars[3].addr, 0x6010000000ull);

	verdict(fab, "rtx3090", "hda-gpu", PDMA_MAP_BUS_ADDR, 2);
	verdict(fab, "legacy-sata", "legacy-nic", PDMA_MAP_BUS_ADDR, 2);
	/* An RCiEP has no upstream bridge; 8086:4660 is not listed. */
	verdict(fab, "igpu", "sn850", PDMA_MAP_NOT_SUPPORTED, -1);
	verdict(fab, "sn850", "i225", PDMA_MAP_NOT_SUPPORTED, -1);
	pdma_fabric_destroy(fab);
}

static void spr(void)
{
	struct pdma_fabric *fab = load("spr-accel-rciep.json");

	CHECK_EQ_INT(fn(fab, "dsa0")->pcie_type, PDMA_PCIE_RC_INTEGRATED);
	CHECK_EQ_INT(fn(fab, "dsa1")->numa_node, 1);
	CHECK_EQ_INT(pdma_fabric_iommu_group_type(fab, 1), PDMA_IOMMU_DMA);
	CHECK_EQ_INT(pdma_fabric_iommu_group_type(fab, 6), PDMA_IOMMU_BLOCKED);
	CHECK_EQ_INT(fn(fab, "dsa0")->bars[2].flags,
		     PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH);
	/* The IIO's 8086:09a2 at x:00.0 is each root bus's root device. */
	verdict(fab, "dsa0", "dsa1", PDMA_MAP_THRU_HOST_BRIDGE, 2);
	verdict(fab, "nvme-a", "iax0", PDMA_MAP_THRU_HOST_BRIDGE, 3);
	pdma_fabric_destroy(fab);
}

/* "-" reads standard input; a missing file or a directory fails, named. */
static void stdin_and_missing(void)
{
	struct pdma_fabric *fab = NULL;
	struct pdma_error err = { "" };

	REQUIRE(freopen(topo("e5-2socket.json"), "r", stdin));
	CHECK_EQ_INT(pdma_load_json("-", &fab, &err), 0);
	CHECK(fab && pdma_fabric_nr_funcs(fab) == 11);
	CHECK(fab && strstr(pdma_fabric_platform(fab)->source, "(stdin)"));
	pdma_fabric_destroy(fab);
	fab = (struct pdma_fabric *)&err;
	CHECK_EQ_INT(pdma_load_json(topo("no-such-file.json"), &fab, &err),
		     -ENOENT);
	CHECK(fab == NULL);
	CHECK(strstr(err.msg, "no-such-file.json") != NULL);
	/* A directory opens, but does not read. */
	CHECK_EQ_INT(pdma_load_json(topo(""), &fab, &err), -EISDIR);
	CHECK(fab == NULL);
	CHECK(strstr(err.msg, "topologies/: cannot read") != NULL);
}

int main(void)
{
	const char *root = getenv("PDMA_SOURCE_ROOT");
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/tests/topologies", root ? root : ".");
	CHECK(load_dir(dir) >= 6);
	snprintf(dir, sizeof(dir), "%s/docs/examples", root ? root : ".");
	CHECK(load_dir(dir) >= 2);
	skylake();
	e5();
	epyc();
	dgx1_short();
	workstation();
	spr();
	stdin_and_missing();
	return harness_exit();
}
