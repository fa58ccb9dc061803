/* SPDX-License-Identifier: MIT */
/*
 * pdma_load_sysfs() field by field.
 *
 * The kernel fixtures come with two records made in the guest itself,
 * independently of our parsing: pci_table.txt (the sysfs values of every
 * function, one line each) and lspci-vvv.txt (pciutils' decoding of every
 * capability, ACS included).  Every loaded function is compared with both.
 * Then the facts the fixtures' README states (d4's three host bridges and
 * NUMA nodes, d2's IOMMU groups, d3's cleared ACS), the live machine, and
 * a snapshot whose config files are cut to the 64 bytes an unprivileged
 * reader gets.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tb.h"

static char fixtures[PATH_MAX];

static const struct pdma_func_info *func(struct pdma_fabric *fab,
					 const char *bdf)
{
	int i = pdma_fabric_lookup(fab, bdf);

	if (i < 0)
		fprintf(stderr, "%s: not in the model\n", bdf);
	REQUIRE(i >= 0);
	return pdma_fabric_func(fab, i);
}

/* "2.5 GT/s PCIe" as the guest printed it, to a generation. */
static int gen_of(const char *s)
{
	static const char *const names[] = { "2.5", "5.0", "8.0", "16.0",
					     "32.0", "64.0" };

	for (int g = 0; g < 6; g++)
		if (!strncmp(s, names[g], strlen(names[g])) &&
		    s[strlen(names[g])] == ' ')
			return g + 1;
	return 0;
}

static long num(const char *s, long dflt)
{
	return *s ? strtol(s, NULL, 0) : dflt;
}

/* Split a '|' line in place into at most @max fields. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	for (char *p = line; n < max; p++) {
		f[n++] = p;
		p = strchr(p, '|');
		if (!p)
			break;
		*p = '\0';
	}
	return n;
}

/* Every line of pci_table.txt against the model. */
static void check_table(struct pdma_fabric *fab, const char *dir)
{
	char path[PATH_MAX], line[1024];
	int rows = 0;
	FILE *t;

	pathf(path, sizeof(path), "%s/pci_table.txt", dir);
	t = fopen(path, "r");
	REQUIRE(t);
	REQUIRE(fgets(line, sizeof(line), t));	/* header */
	while (fgets(line, sizeof(line), t)) {
		char *f[16], *slash;
		const struct pdma_func_info *fi;

		line[strcspn(line, "\n")] = '\0';
		REQUIRE(split(line, f, 16) == 15);
		fi = func(fab, f[0]);
		rows++;
		CHECK_EQ_INT(fi->class_code, num(f[2], -1));
		CHECK_EQ_INT(fi->vendor, num(f[3], -1));
		CHECK_EQ_INT(fi->device, num(f[4], -1));
		CHECK_EQ_INT(fi->numa_node, num(f[5], -1));
		CHECK_EQ_INT(fi->iommu_group, num(f[6], -1));
		CHECK_EQ_INT(fi->link_cur.gen, gen_of(f[7]));
		CHECK_EQ_INT(fi->link_cur.width, num(f[8], 0) == 255 ? 0 :
			     num(f[8], 0));
		CHECK_EQ_INT(fi->link_max.gen, gen_of(f[9]));
		CHECK_EQ_INT(fi->link_max.width, num(f[10], 0) == 255 ? 0 :
			     num(f[10], 0));
		CHECK_EQ_INT(fi->p2pmem.present, f[11][0] != '\0');
		CHECK_EQ_INT(fi->p2pmem.size, num(f[11], 0));
		CHECK_EQ_INT(fi->p2pmem.available, num(f[12], 0));
		CHECK_EQ_INT(fi->p2pmem.published, num(f[13], 0));
		CHECK_STR(fi->driver, f[14]);
		/* the directory above: a function, or the host bridge */
		*strrchr(f[1], '/') = '\0';
		slash = strrchr(f[1], '/');
		if (!strncmp(slash ? slash + 1 : f[1], "pci", 3)) {
			CHECK_EQ_INT(fi->parent, PDMA_NONE);
			CHECK_STR(pdma_fabric_host_bridge(fab, fi->host_bridge)->name,
				  f[1]);
		} else {
			CHECK_EQ_INT(fi->parent, pdma_fabric_lookup(fab, slash + 1));
		}
	}
	fclose(t);
	CHECK_EQ_INT(rows, pdma_fabric_nr_funcs(fab));
}

static unsigned acs_bits(const char *s)
{
	static const char *const names[] = { "SrcValid+", "TransBlk+",
		"ReqRedir+", "CmpltRedir+", "UpstreamFwd+", "EgressCtrl+",
		"DirectTrans+" };
	unsigned v = 0;

	for (unsigned b = 0; b < 7; b++)
		if (strstr(s, names[b]))
			v |= 1u << b;
	return v;
}

/* ACS of every function against lspci -vvv run as root in the guest. */
static void check_acs(struct pdma_fabric *fab, const char *dir)
{
	char path[PATH_MAX], line[512], cur[16] = "";
	bool *seen = calloc((size_t)pdma_fabric_nr_funcs(fab) + 1, 1);
	int nr_acs = 0;
	FILE *f;

	REQUIRE(seen);
	pathf(path, sizeof(path), "%s/lspci-vvv.txt", dir);
	f = fopen(path, "r");
	REQUIRE(f);
	while (fgets(line, sizeof(line), f)) {
		const struct pdma_func_info *fi;
		char *p;

		if (line[0] != '\t' && line[0] != '\n' &&
		    sscanf(line, "%15s", cur) == 1)
			continue;
		if (!cur[0] || !(p = strstr(line, "ACSCtl:")))
			continue;
		fi = func(fab, cur);
		seen[fi->index] = true;
		nr_acs++;
		CHECK(fi->acs_known);
		CHECK(fi->has_acs);
		CHECK_EQ_INT(fi->acs_ctrl, acs_bits(p));
	}
	fclose(f);
	for (int i = 0; i < pdma_fabric_nr_funcs(fab); i++)
		if (!seen[i]) {
			CHECK(pdma_fabric_func(fab, i)->acs_known);
			CHECK(!pdma_fabric_func(fab, i)->has_acs);
		}
	printf("  %s: %d functions with ACS\n", dir, nr_acs);
	free(seen);
}

static void check_fixtures(void)
{
	char dir[PATH_MAX];
	struct dirent **list;
	int n, nr = 0;

	pathf(dir, sizeof(dir), "%s/kernel", fixtures);
	n = scandir(dir, &list, NULL, alphasort);
	REQUIRE(n >= 0);
	for (int i = 0; i < n; i++) {
		char root[PATH_MAX], table[PATH_MAX];
		struct pdma_fabric *fab;
		struct stat st;

		if (list[i]->d_name[0] != '.' &&
		    snprintf(root, sizeof(root), "%s/%s", dir,
			     list[i]->d_name) < (int)sizeof(root) &&
		    snprintf(table, sizeof(table), "%s/pci_table.txt", root) <
			    (int)sizeof(table) &&
		    !stat(table, &st) && (fab = load_sysfs_ok(root))) {
			check_table(fab, root);
			check_acs(fab, root);
			CHECK_EQ_INT(pdma_fabric_nr_notes(fab), 0);
			pdma_fabric_destroy(fab);
			nr++;
		}
		free(list[i]);
	}
	free(list);
	CHECK(nr >= 4);
}

/* What the fixtures' README says about each machine. */
static void check_readme_facts(void)
{
	static const char *const hb_name[] = { "pci0000:00", "pci0000:40",
					       "pci0000:a0" };
	static const char *const hb_fw[] = { "\\_SB_.PCI0", "\\_SB_.PC40",
					     "\\_SB_.PCA0" };
	static const int hb_numa[] = { -1, 0, 1 };
	const struct pdma_platform_info *pi;
	const struct pdma_func_info *fi;
	struct pdma_fabric *fab;
	char root[PATH_MAX];

	pathf(root, sizeof(root), "%s/kernel/d4-epyc-pxb", fixtures);
	fab = load_sysfs_ok(root);
	REQUIRE(fab);
	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(fab), 3);
	for (int h = 0; h < 3 && h < pdma_fabric_nr_host_bridges(fab); h++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(fab, h);

		CHECK_STR(hb->name, hb_name[h]);
		CHECK_STR(hb->firmware_path, hb_fw[h]);
		CHECK_EQ_INT(hb->numa_node, hb_numa[h]);
	}
	CHECK_STR(pdma_fabric_host_bridge(fab, func(fab, "43:00.0")->host_bridge)->name,
		  "pci0000:40");
	CHECK_STR(pdma_fabric_host_bridge(fab, func(fab, "a1:00.1")->host_bridge)->name,
		  "pci0000:a0");
	/* root ports' link capabilities: 16 GT/s x16 and 5 GT/s x2 */
	CHECK_EQ_INT(func(fab, "40:00.0")->link_max.gen, 4);
	CHECK_EQ_INT(func(fab, "40:00.0")->link_max.width, 16);
	CHECK_EQ_INT(func(fab, "a0:00.0")->link_max.gen, 2);
	CHECK_EQ_INT(func(fab, "a0:00.0")->link_max.width, 2);
	CHECK_EQ_INT(func(fab, "41:00.0")->pcie_type, PDMA_PCIE_UPSTREAM);
	CHECK_EQ_INT(func(fab, "42:02.0")->pcie_type, PDMA_PCIE_DOWNSTREAM);
	/* the 16 MiB CMB, 64-bit prefetchable, in BAR 2 */
	fi = func(fab, "a1:00.1");
	CHECK_EQ_INT(fi->bars[2].size, 16 << 20);
	CHECK_EQ_INT(fi->bars[2].flags,
		     PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH);
	CHECK(fi->bars[2].addr >= 0xf8000000u && fi->bars[2].addr < 0xfe000000u);
	pi = pdma_fabric_platform(fab);
	CHECK_EQ_INT(pi->cpu_vendor, PDMA_CPU_AMD);
	CHECK_EQ_INT(pi->cpu_family, 23);
	CHECK_STR(pi->cpu_model, "AMD EPYC Processor");
	CHECK(!pi->iommu);
	CHECK(strstr(pi->source, "snapshot ") == pi->source);
	CHECK(strstr(pi->cmdline, "oracle.name=d4-epyc-pxb") != NULL);
	pdma_fabric_destroy(fab);

	pathf(root, sizeof(root), "%s/kernel/d2-iommu-nested", fixtures);
	fab = load_sysfs_ok(root);
	REQUIRE(fab);
	pi = pdma_fabric_platform(fab);
	CHECK(pi->iommu);
	CHECK_EQ_INT(pi->cpu_family, 15);
	/* nine groups, all translated; 00:03.0 shares its group with both
	 * functions below it, 00:02.0 has its own */
	for (int g = 0; g < 9; g++)
		CHECK_EQ_INT(pdma_fabric_iommu_group_type(fab, g),
			     PDMA_IOMMU_DMA);
	CHECK_EQ_INT(pdma_fabric_iommu_group_type(fab, 9), PDMA_IOMMU_NONE);
	CHECK_EQ_INT(func(fab, "00:03.0")->iommu_group,
		     func(fab, "08:00.1")->iommu_group);
	CHECK(func(fab, "00:02.0")->iommu_group !=
	      func(fab, "01:00.0")->iommu_group);
	CHECK(!func(fab, "00:03.0")->has_acs);	/* disable-acs=true */
	CHECK(func(fab, "00:07.0")->acs_ctrl & PDMA_ACS_RR);
	CHECK_STR(func(fab, "05:00.0")->driver, "nvme");
	pdma_fabric_destroy(fab);

	pathf(root, sizeof(root), "%s/kernel/d3-iommu-acs-cleared",
		 fixtures);
	fab = load_sysfs_ok(root);
	REQUIRE(fab);
	CHECK(func(fab, "00:07.0")->has_acs);
	CHECK_EQ_INT(func(fab, "00:07.0")->acs_ctrl, 0);	/* "0x0000" */
	CHECK_EQ_INT(func(fab, "00:07.0")->iommu_group,
		     func(fab, "09:00.1")->iommu_group);
	CHECK(strstr(pdma_fabric_platform(fab)->cmdline,
		     "pci=disable_acs_redir=0000:00:07.0") != NULL);
	pdma_fabric_destroy(fab);

	pathf(root, sizeof(root), "%s/kernel/d1-intel-3port", fixtures);
	fab = load_sysfs_ok(root);
	REQUIRE(fab);
	/* the integrated NVMe on bus 0: no link registers, width 255 */
	fi = func(fab, "00:08.0");
	CHECK_EQ_INT(fi->link_max.width, 0);
	CHECK_EQ_INT(fi->link_cur.gen, 0);
	CHECK_EQ_INT(fi->pcie_type, PDMA_PCIE_RC_INTEGRATED);
	CHECK_EQ_INT(fi->parent, PDMA_NONE);
	pdma_fabric_destroy(fab);
}


/* Cut every config file below @path to the 64 bytes of a non-root read. */
static int cut_config(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	if (flag == FTW_F && !strcmp(path + ftw->base, "config") &&
	    st->st_size > 64)
		return truncate(path, 64);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static bool has_acs_reason(struct pdma_fabric *fab, int p, int c)
{
	struct pdma_verdict v;
	bool found = false;

	REQUIRE(pdma_verdict_explain(fab, p, c, &v) == 0);
	for (int r = 0; r < v.nr_reasons; r++)
		found |= v.reasons[r].rule == PDMA_RULE_ACS_REDIRECT;
	pdma_verdict_release(&v);
	return found;
}

/*
 * A snapshot of fixture @name with config space cut to 64 bytes: it loads,
 * carries one note, infers the same port types, and its verdicts differ
 * from the full ones exactly where ACS redirect decided the full verdict
 * (and then it says BUS_ADDR: the note's "may be incomplete").
 */
static void check_truncated(const char *name)
{
	char src[PATH_MAX], tmp[] = "/tmp/pdma-load-sysfs-XXXXXX";
	char snap[PATH_MAX + 8], want[64];
	struct pdma_error err = { { 0 } };
	struct pdma_fabric *full, *cut;
	int nr, diffs = 0, ret;
	const char *note;

	pathf(src, sizeof(src), "%s/kernel/%s", fixtures, name);
	REQUIRE(mkdtemp(tmp));
	pathf(snap, sizeof(snap), "%s/snap", tmp);
	ret = pdma_snapshot_write(src, snap, &err);
	if (ret)
		fprintf(stderr, "snapshot of %s: %s\n", src, err.msg);
	REQUIRE(ret == 0);
	REQUIRE(nftw(snap, cut_config, 16, FTW_PHYS) == 0);
	full = load_sysfs_ok(src);
	cut = load_sysfs_ok(snap);
	REQUIRE(full && cut);
	nr = pdma_fabric_nr_funcs(full);
	CHECK_EQ_INT(pdma_fabric_nr_funcs(cut), nr);
	CHECK_EQ_INT(pdma_fabric_nr_notes(cut), 1);
	note = pdma_fabric_note(cut, 0);
	snprintf(want, sizeof(want), "config space of %d function(s) was truncated to 64 bytes",
		 nr);
	CHECK(note && strstr(note, want));
	CHECK(note && strstr(note, "ACS redirect is assumed off"));
	CHECK(note && strstr(note, "BUS_ADDR verdicts may be incomplete"));
	CHECK(note && strstr(note, "as root"));
	for (int i = 0; i < nr && i < pdma_fabric_nr_funcs(cut); i++) {
		const struct pdma_func_info *a = pdma_fabric_func(full, i);
		const struct pdma_func_info *b = pdma_fabric_func(cut, i);

		CHECK_EQ_INT(b->bus << 8 | b->dev << 3 | b->fn,
			     a->bus << 8 | a->dev << 3 | a->fn);
		CHECK_EQ_INT(b->class_code, a->class_code);
		CHECK(!b->acs_known && !b->has_acs);
		if (pdma_fabric_is_bridge(a))
			CHECK_EQ_INT(b->pcie_type, a->pcie_type);
	}
	for (int p = 0; p < nr; p++) {
		for (int c = 0; c < nr; c++) {
			enum pdma_map_type tf, tc;
			int df, dc;

			if (pdma_fabric_is_bridge(pdma_fabric_func(full, p)) ||
			    pdma_fabric_is_bridge(pdma_fabric_func(full, c)))
				continue;
			tf = pdma_verdict_map_type(full, p, c, &df);
			tc = pdma_verdict_map_type(cut, p, c, &dc);
			if (tf == tc && df == dc) {
				CHECK(!has_acs_reason(full, p, c));
				continue;
			}
			diffs++;
			CHECK_EQ_INT(tc, PDMA_MAP_BUS_ADDR);
			CHECK(has_acs_reason(full, p, c));
		}
	}
	printf("  %s cut to 64 bytes: %d verdicts differ, each decided by ACS redirect\n",
	       name, diffs);
	pdma_fabric_destroy(full);
	pdma_fabric_destroy(cut);
	CHECK_EQ_INT(nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Functions in /sys/bus/pci/devices (domains of 4 hex digits). */
static int count_live(void)
{
	struct dirent **list;
	int n, nr = 0;

	n = scandir("/sys/bus/pci/devices", &list, NULL, alphasort);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		nr += strlen(list[i]->d_name) == 12;
		free(list[i]);
	}
	free(list);
	return nr;
}

static bool has_cut_note(struct pdma_fabric *fab)
{
	for (int i = 0; i < pdma_fabric_nr_notes(fab); i++)
		if (strstr(pdma_fabric_note(fab, i), "truncated to 64 bytes"))
			return true;
	return false;
}

/* As nobody: exit 0 when the note is there, 1 when not, 77 if unable. */
static int unprivileged_child(int nr)
{
	struct pdma_error err = { { 0 } };
	struct pdma_fabric *fab;
	bool ok;

	if (setgid(65534) || setuid(65534))
		_exit(77);
	if (pdma_load_sysfs("/", &fab, &err)) {
		fprintf(stderr, "as uid 65534: %s\n", err.msg);
		_exit(1);
	}
	ok = pdma_fabric_nr_funcs(fab) == nr && (!nr || has_cut_note(fab));
	pdma_fabric_destroy(fab);
	_exit(ok ? 0 : 1);
}

static void check_live(void)
{
	struct pdma_fabric *fab;
	int nr = count_live(), status;
	pid_t pid;

	if (nr < 0) {
		printf("  live machine: SKIP, no /sys/bus/pci here\n");
		return;
	}
	fab = load_sysfs_ok("/");
	REQUIRE(fab);
	CHECK_EQ_INT(pdma_fabric_nr_funcs(fab), nr);
	CHECK_STR(pdma_fabric_platform(fab)->source, "live machine");
	for (int i = 0; i < pdma_fabric_nr_funcs(fab); i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, i);
		char path[96], bdf[16], buf[16] = "";
		FILE *f;

		pathf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 pdma_bdf_format(fi, bdf, sizeof(bdf)));
		f = fopen(path, "r");
		CHECK(f && fgets(buf, sizeof(buf), f));
		if (f)
			fclose(f);
		CHECK_EQ_INT(fi->vendor, strtol(buf, NULL, 16));
	}
	printf("  live machine: %d functions, %d host bridges, %d notes\n",
	       nr, pdma_fabric_nr_host_bridges(fab),
	       pdma_fabric_nr_notes(fab));
	if (geteuid()) {
		CHECK(!nr || has_cut_note(fab));
		pdma_fabric_destroy(fab);
		return;
	}
	pdma_fabric_destroy(fab);
	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0);
	if (!pid)
		unprivileged_child(nr);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("  live machine unprivileged: SKIP, cannot become uid 65534\n");
		return;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	printf("  live machine as uid 65534: loads, with the truncation note\n");
}

int main(void)
{
	snprintf(fixtures, sizeof(fixtures), "%s", harness_fixtures());
	check_fixtures();
	check_readme_facts();
	check_truncated("d4-epyc-pxb");
	check_truncated("d2-iommu-nested");
	check_live();
	return harness_exit();
}
