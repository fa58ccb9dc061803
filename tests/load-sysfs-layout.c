/* SPDX-License-Identifier: MIT */
/*
 * Where pdma_load_sysfs() finds things, on trees made from a kernel
 * fixture in a temporary directory:
 *
 *   - a capture without proc/ but with cpuinfo.txt / cmdline.txt on top;
 *   - a bare copy of sys/ (no CPU at all: a note, the CPU unknown);
 *   - a host bridge below sys/devices/platform/... (arm64, Hyper-V), found
 *     through its bus/pci/devices links, also after a snapshot of it;
 *   - a bus/pci/devices link to a directory below no host bridge, and one
 *     into an Intel VMD domain (5-digit domain): notes, not errors;
 *   - ROOT given with a trailing '/'.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tb.h"

static char tmp[] = "/tmp/pdma-layout-XXXXXX";
static char fixture[PATH_MAX];

/* A tree that must load, and does not go on without it. */
static struct pdma_fabric *load(const char *root)
{
	struct pdma_fabric *fab = load_sysfs_ok(root);

	REQUIRE(fab);
	return fab;
}

/* A fresh snapshot of the fixture at tmp/@name. */
static void make(const char *name, char *out, size_t size)
{
	struct pdma_error err = { { 0 } };

	pathf(out, size, "%s/%s", tmp, name);
	if (pdma_snapshot_write(fixture, out, &err))
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(access(out, F_OK) == 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void rm_rf(const char *path)
{
	REQUIRE(nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

static void copy(const char *from, const char *to)
{
	char buf[4096];
	ssize_t n;
	int in = open(from, O_RDONLY), out;

	REQUIRE(in >= 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	REQUIRE(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		REQUIRE(write(out, buf, (size_t)n) == n);
	close(in);
	close(out);
}

static bool has_note(struct pdma_fabric *fab, const char *a, const char *b)
{
	for (int i = 0; i < pdma_fabric_nr_notes(fab); i++) {
		const char *n = pdma_fabric_note(fab, i);

		if (strstr(n, a) && (!b || strstr(n, b)))
			return true;
	}
	return false;
}

/* Same functions, parents and verdicts as the fixture itself. */
static void same_as_fixture(struct pdma_fabric *fab)
{
	struct pdma_fabric *ref = load(fixture);
	int n = pdma_fabric_nr_funcs(ref);

	REQUIRE(pdma_fabric_nr_funcs(fab) == n);
	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(fab),
		     pdma_fabric_nr_host_bridges(ref));
	for (int p = 0; p < n; p++) {
		const struct pdma_func_info *a = pdma_fabric_func(ref, p);
		const struct pdma_func_info *b = pdma_fabric_func(fab, p);

		CHECK_EQ_INT(b->bus << 8 | b->dev << 3 | b->fn,
			     a->bus << 8 | a->dev << 3 | a->fn);
		CHECK_EQ_INT(b->parent, a->parent);
		CHECK_STR(pdma_fabric_host_bridge(fab, b->host_bridge)->name,
			  pdma_fabric_host_bridge(ref, a->host_bridge)->name);
		for (int c = 0; c < n; c++) {
			int da, db;

			if (pdma_fabric_is_bridge(a) ||
			    pdma_fabric_is_bridge(pdma_fabric_func(ref, c)))
				continue;
			CHECK_EQ_INT(pdma_verdict_map_type(fab, p, c, &db),
				     pdma_verdict_map_type(ref, p, c, &da));
			CHECK_EQ_INT(db, da);
		}
	}
	pdma_fabric_destroy(ref);
}

static void check_txt_fallback(void)
{
	char root[PATH_MAX], p[PATH_MAX + 16], q[PATH_MAX + 16];
	const struct pdma_platform_info *pi;
	struct pdma_fabric *fab;

	make("txt", root, sizeof(root));
	pathf(p, sizeof(p), "%s/proc", root);
	rm_rf(p);
	pathf(p, sizeof(p), "%s/cpuinfo.txt", fixture);
	pathf(q, sizeof(q), "%s/cpuinfo.txt", root);
	copy(p, q);
	pathf(p, sizeof(p), "%s/cmdline.txt", fixture);
	pathf(q, sizeof(q), "%s/cmdline.txt", root);
	copy(p, q);
	fab = load(root);
	pi = pdma_fabric_platform(fab);
	CHECK_EQ_INT(pi->cpu_vendor, PDMA_CPU_AMD);
	CHECK_EQ_INT(pi->cpu_family, 23);
	pathf(p, sizeof(p), "%s/cpuinfo.txt", root);
	CHECK_STR(pi->cpu_source, p);
	CHECK(strstr(pi->cmdline, "oracle.name=") != NULL);
	CHECK_EQ_INT(pdma_fabric_nr_notes(fab), 0);
	same_as_fixture(fab);
	pdma_fabric_destroy(fab);

	/* and without them: a bare sys/ loads, the CPU is unknown */
	unlink(q);
	pathf(q, sizeof(q), "%s/cpuinfo.txt", root);
	unlink(q);
	fab = load(root);
	pi = pdma_fabric_platform(fab);
	CHECK_EQ_INT(pi->cpu_vendor, PDMA_CPU_UNKNOWN);
	CHECK_EQ_INT(pi->cpu_family, -1);
	CHECK_STR(pi->cmdline, "");
	CHECK(has_note(fab, q, "the CPU is unknown"));
	pdma_fabric_destroy(fab);
}

/* Move the fixture's host bridge @hb below sys/devices/platform/soc. */
static void nest(const char *root, const char *hb)
{
	char from[PATH_MAX], to[PATH_MAX], links[PATH_MAX];
	struct dirent **list;
	int n;

	pathf(from, sizeof(from), "%s/sys/devices/platform", root);
	REQUIRE(mkdir(from, 0755) == 0 || errno == EEXIST);
	pathf(from, sizeof(from), "%s/sys/devices/platform/soc", root);
	REQUIRE(mkdir(from, 0755) == 0 || errno == EEXIST);
	pathf(from, sizeof(from), "%s/sys/devices/%s", root, hb);
	pathf(to, sizeof(to), "%s/sys/devices/platform/soc/%s", root, hb);
	REQUIRE(rename(from, to) == 0);
	pathf(links, sizeof(links), "%s/sys/bus/pci/devices", root);
	n = scandir(links, &list, NULL, alphasort);
	REQUIRE(n > 0);
	for (int i = 0; i < n; i++) {
		char link[PATH_MAX], target[PATH_MAX], moved[PATH_MAX];
		const char *old = "../../../devices/";
		ssize_t len;

		pathf(link, sizeof(link), "%s/%s", links, list[i]->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		free(list[i]);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (strncmp(target + strlen(old), hb, strlen(hb)))
			continue;
		pathf(moved, sizeof(moved), "%splatform/soc/%s", old,
		      target + strlen(old));
		REQUIRE(unlink(link) == 0 && symlink(moved, link) == 0);
	}
	free(list);
}

static void check_nested_host_bridge(void)
{
	char root[PATH_MAX], again[PATH_MAX], soc[PATH_MAX + 64];
	struct pdma_error err = { { 0 } };
	struct pdma_fabric *fab;
	struct stat st;
	int h;

	make("nested", root, sizeof(root));
	nest(root, "pci0000:40");
	nest(root, "pci0000:a0");
	fab = load(root);
	same_as_fixture(fab);
	h = pdma_fabric_func(fab, pdma_fabric_lookup(fab, "a1:00.1"))->host_bridge;
	CHECK_STR(pdma_fabric_host_bridge(fab, h)->firmware_path,
		  "\\_SB_.PCA0");
	CHECK_EQ_INT(pdma_fabric_host_bridge(fab, h)->numa_node, 1);
	CHECK_EQ_INT(pdma_fabric_nr_notes(fab), 0);
	pdma_fabric_destroy(fab);

	/* the snapshot keeps the layout, and loads the same */
	pathf(again, sizeof(again), "%s/nested-again", tmp);
	CHECK_EQ_INT(pdma_snapshot_write(root, again, &err), 0);
	pathf(soc, sizeof(soc), "%s/sys/devices/platform/soc/pci0000:a0/firmware_node.path",
	      again);
	CHECK(stat(soc, &st) == 0);
	fab = load(again);
	same_as_fixture(fab);
	pdma_fabric_destroy(fab);
}

static void mkdir_with_file(const char *dir)
{
	char file[PATH_MAX + 16];

	REQUIRE(mkdir(dir, 0755) == 0);
	pathf(file, sizeof(file), "%s/vendor", dir);
	copy("/dev/null", file);
}

static void check_stray_links(void)
{
	char root[PATH_MAX], dir[PATH_MAX], link[PATH_MAX];
	struct pdma_fabric *fab;

	make("stray", root, sizeof(root));
	/* a function directory below no pciDDDD:BB */
	pathf(dir, sizeof(dir), "%s/sys/devices/virtual", root);
	REQUIRE(mkdir(dir, 0755) == 0);
	pathf(dir, sizeof(dir), "%s/sys/devices/virtual/0000:0a:00.0", root);
	mkdir_with_file(dir);
	pathf(link, sizeof(link), "%s/sys/bus/pci/devices/0000:0a:00.0", root);
	REQUIRE(symlink("../../../devices/virtual/0000:0a:00.0", link) == 0);
	/* an Intel VMD domain below a function */
	pathf(dir, sizeof(dir), "%s/sys/devices/pci0000:00/0000:00:1f.0/pci10000:00",
	      root);
	REQUIRE(mkdir(dir, 0755) == 0);
	pathf(dir, sizeof(dir), "%s/sys/devices/pci0000:00/0000:00:1f.0/pci10000:00/10000:00:02.0",
	      root);
	mkdir_with_file(dir);
	pathf(link, sizeof(link), "%s/sys/bus/pci/devices/10000:00:02.0", root);
	REQUIRE(symlink("../../../devices/pci0000:00/0000:00:1f.0/pci10000:00/10000:00:02.0",
			link) == 0);

	fab = load(root);
	CHECK(has_note(fab, "1 link(s) (first 0000:0a:00.0)", "left out"));
	CHECK(has_note(fab, "10000:00:02.0", "VMD"));
	CHECK_EQ_INT(pdma_fabric_nr_notes(fab), 2);
	same_as_fixture(fab);
	pdma_fabric_destroy(fab);
}

int main(void)
{
	char slash[PATH_MAX + 2];
	struct pdma_fabric *fab;

	pathf(fixture, sizeof(fixture), "%s/kernel/d4-epyc-pxb",
	      harness_fixtures());
	REQUIRE(mkdtemp(tmp));
	check_txt_fallback();
	check_nested_host_bridge();
	check_stray_links();

	pathf(slash, sizeof(slash), "%s/", fixture);
	fab = load(slash);
	CHECK(strstr(pdma_fabric_platform(fab)->source, "/ ") == NULL);
	CHECK(pdma_fabric_platform(fab)->source[strlen(
		pdma_fabric_platform(fab)->source) - 1] != '/');
	pdma_fabric_destroy(fab);

	rm_rf(tmp);
	return harness_exit();
}
