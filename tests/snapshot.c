/* SPDX-License-Identifier: MIT */
/*
 * pdma_snapshot_write(): a snapshot loads back as the same model with the
 * same verdicts (every kernel fixture, and the live machine); a snapshot of
 * a snapshot is the same tree; links come out as real symlinks; a
 * non-empty or occupied OUT is refused and left untouched; a write that
 * fails half-way leaves nothing behind.
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

static char tmp[] = "/tmp/pdma-snapshot-XXXXXX";

static int snap(const char *root, const char *out)
{
	struct pdma_error err = { { 0 } };
	int ret = pdma_snapshot_write(root, out, &err);

	if (ret)
		fprintf(stderr, "snapshot %s -> %s: %d: %s\n", root, out, ret,
			err.msg);
	return ret;
}

#define SAME(field) CHECK_EQ_INT(b->field, a->field)

/* Same model and same verdicts; the sources' names differ, nothing else. */
static void compare(struct pdma_fabric *fa, struct pdma_fabric *fb)
{
	const struct pdma_platform_info *pa = pdma_fabric_platform(fa);
	const struct pdma_platform_info *pb = pdma_fabric_platform(fb);
	int n = pdma_fabric_nr_funcs(fa), pairs = 0;

	REQUIRE(pdma_fabric_nr_funcs(fb) == n);
	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(fb),
		     pdma_fabric_nr_host_bridges(fa));
	for (int h = 0; h < pdma_fabric_nr_host_bridges(fa) &&
			h < pdma_fabric_nr_host_bridges(fb); h++) {
		const struct pdma_host_bridge_info *a =
			pdma_fabric_host_bridge(fa, h);
		const struct pdma_host_bridge_info *b =
			pdma_fabric_host_bridge(fb, h);

		SAME(domain);
		SAME(bus);
		SAME(numa_node);
		SAME(root_func);
		CHECK_STR(b->name, a->name);
		CHECK_STR(b->firmware_path, a->firmware_path);
	}
	for (int i = 0; i < n; i++) {
		const struct pdma_func_info *a = pdma_fabric_func(fa, i);
		const struct pdma_func_info *b = pdma_fabric_func(fb, i);

		SAME(domain); SAME(bus); SAME(dev); SAME(fn);
		SAME(vendor); SAME(device); SAME(subsys_vendor);
		SAME(subsys_device); SAME(revision); SAME(class_code);
		SAME(header_type); SAME(multifunction); SAME(pcie_type);
		SAME(secondary_bus); SAME(subordinate_bus);
		for (int k = 0; k < 6; k++) {
			SAME(bars[k].addr);
			SAME(bars[k].size);
			SAME(bars[k].flags);
		}
		SAME(link_cur.gen); SAME(link_cur.width);
		SAME(link_max.gen); SAME(link_max.width);
		SAME(numa_node); SAME(acs_known); SAME(has_acs);
		SAME(acs_cap); SAME(acs_ctrl); SAME(iommu_group);
		SAME(parent); SAME(host_bridge); SAME(role); SAME(depth);
		SAME(p2pmem.present); SAME(p2pmem.size);
		SAME(p2pmem.available); SAME(p2pmem.published);
		CHECK_STR(b->driver, a->driver);
		CHECK_STR(b->label, a->label);
		CHECK_STR(b->name, a->name);
		CHECK_EQ_INT(pdma_fabric_iommu_group_type(fb, a->iommu_group),
			     pdma_fabric_iommu_group_type(fa, a->iommu_group));
	}
	CHECK_EQ_INT(pb->cpu_vendor, pa->cpu_vendor);
	CHECK_EQ_INT(pb->cpu_family, pa->cpu_family);
	CHECK_STR(pb->cpu_model, pa->cpu_model);
	CHECK_STR(pb->cmdline, pa->cmdline);
	CHECK_EQ_INT(pb->iommu, pa->iommu);
	CHECK_EQ_INT(pdma_fabric_nr_notes(fb), pdma_fabric_nr_notes(fa));
	for (int p = 0; p < n; p++)
		for (int c = 0; c < n; c++) {
			int da, db;

			if (pdma_fabric_is_bridge(pdma_fabric_func(fa, p)) ||
			    pdma_fabric_is_bridge(pdma_fabric_func(fa, c)))
				continue;
			CHECK_EQ_INT(pdma_verdict_map_type(fb, p, c, &db),
				     pdma_verdict_map_type(fa, p, c, &da));
			CHECK_EQ_INT(db, da);
			pairs++;
		}
	printf("    %d functions, %d pairs: same model, same verdicts\n", n,
	       pairs);
}

/* ---- tree comparison and link checks ---------------------------------- */

static const char *cmp_other;	/* root of the tree compared against */
static size_t cmp_base;		/* strlen of the tree walked */
static int cmp_diffs, nr_links, nr_link_files;

static bool same_bytes(const char *a, const char *b)
{
	char ba[8192], bb[8192];
	ssize_t na, nb;
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	bool same = fa >= 0 && fb >= 0;

	while (same) {
		na = read(fa, ba, sizeof(ba));
		nb = read(fb, bb, sizeof(bb));
		same = na == nb && na >= 0 && !memcmp(ba, bb, (size_t)na);
		if (na <= 0)
			break;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

static int cmp_entry(const char *path, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	char other[PATH_MAX], la[PATH_MAX], lb[PATH_MAX];
	struct stat ost;
	ssize_t na, nb;

	(void)ftw;
	if (!strcmp(path + cmp_base, "/README.txt") || !path[cmp_base])
		return 0;
	pathf(other, sizeof(other), "%s%s", cmp_other, path + cmp_base);
	if (lstat(other, &ost) ||
	    (st->st_mode & S_IFMT) != (ost.st_mode & S_IFMT)) {
		fprintf(stderr, "  %s: missing or of another type\n", other);
		cmp_diffs++;
		return 0;
	}
	if (flag == FTW_SL) {
		na = readlink(path, la, sizeof(la) - 1);
		nb = readlink(other, lb, sizeof(lb) - 1);
		if (na != nb || na < 0 || memcmp(la, lb, (size_t)na)) {
			fprintf(stderr, "  %s: another link target\n", other);
			cmp_diffs++;
		}
	} else if (flag == FTW_F && !same_bytes(path, other)) {
		fprintf(stderr, "  %s: other bytes\n", other);
		cmp_diffs++;
	}
	return 0;
}

/* Entries of @a missing or different in @b, README.txt aside. */
static int tree_diffs(const char *a, const char *b)
{
	cmp_other = b;
	cmp_base = strlen(a);
	cmp_diffs = 0;
	REQUIRE(nftw(a, cmp_entry, 16, FTW_PHYS) == 0);
	return cmp_diffs;
}

static int count_links(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	const char *name = path + ftw->base;

	(void)st;
	if (strcmp(name, "driver") && strcmp(name, "iommu_group") &&
	    strcmp(name, "firmware_node"))
		return 0;
	if (flag == FTW_SL)
		nr_links++;
	else
		nr_link_files++;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Names in @dir that start with @prefix (leftover temporary dirs). */
static int count_prefixed(const char *dir, const char *prefix)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	REQUIRE(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static bool file_has(const char *path, const char *text)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

/* Every kernel fixture: snapshot, load both, snapshot the snapshot. */
static void check_fixtures(void)
{
	char dir[PATH_MAX];
	struct dirent **list;
	int n, nr = 0;

	pathf(dir, sizeof(dir), "%s/kernel", harness_fixtures());
	n = scandir(dir, &list, NULL, alphasort);
	REQUIRE(n >= 0);
	for (int i = 0; i < n; i++) {
		char src[PATH_MAX], out[PATH_MAX], again[PATH_MAX];
		char readme[PATH_MAX], want[PATH_MAX + 32];
		const char *name = list[i]->d_name;
		struct pdma_fabric *a, *b;
		struct stat st;

		pathf(src, sizeof(src), "%s/%s/p2p_matrix.txt", dir, name);
		if (name[0] == '.' || stat(src, &st)) {
			free(list[i]);
			continue;
		}
		pathf(src, sizeof(src), "%s/%s", dir, name);
		pathf(out, sizeof(out), "%s/%s", tmp, name);
		pathf(again, sizeof(again), "%s/%s-again", tmp, name);
		printf("  %s\n", name);
		CHECK_EQ_INT(snap(src, out), 0);
		a = load_sysfs_ok(src);
		b = load_sysfs_ok(out);
		if (a && b)
			compare(a, b);
		pdma_fabric_destroy(a);
		pdma_fabric_destroy(b);
		/* the capture's link files come out as real symlinks */
		nr_links = nr_link_files = 0;
		REQUIRE(nftw(out, count_links, 16, FTW_PHYS) == 0);
		CHECK(nr_links > 0);
		CHECK_EQ_INT(nr_link_files, 0);
		pathf(readme, sizeof(readme), "%s/README.txt", out);
		pathf(want, sizeof(want), "peerdma matrix --sysfs %s", out);
		CHECK(file_has(readme, want));
		/* a snapshot of the snapshot is the same tree */
		CHECK_EQ_INT(snap(out, again), 0);
		CHECK_EQ_INT(tree_diffs(out, again), 0);
		CHECK_EQ_INT(tree_diffs(again, out), 0);
		nr++;
		free(list[i]);
	}
	free(list);
	CHECK(nr >= 4);
}

static void check_live(void)
{
	struct pdma_fabric *a, *b;
	char out[PATH_MAX];
	struct stat st;

	if (stat("/sys/bus/pci/devices", &st)) {
		printf("  live machine: SKIP, no /sys/bus/pci here\n");
		return;
	}
	printf("  live machine\n");
	pathf(out, sizeof(out), "%s/live", tmp);
	CHECK_EQ_INT(snap("/", out), 0);
	a = load_sysfs_ok("/");
	b = load_sysfs_ok(out);
	if (a && b)
		compare(a, b);
	pdma_fabric_destroy(a);
	pdma_fabric_destroy(b);
}

static void check_refused(const char *src)
{
	char full[PATH_MAX], keep[PATH_MAX], file[PATH_MAX], out[PATH_MAX];
	struct pdma_error err = { { 0 } };
	struct pdma_fabric *fab;
	struct dirent **list;
	int n;

	/* a non-empty directory: refused, untouched */
	pathf(full, sizeof(full), "%s/full", tmp);
	pathf(keep, sizeof(keep), "%s/keep", full);
	REQUIRE(mkdir(full, 0755) == 0);
	{
		FILE *f = fopen(keep, "w");

		REQUIRE(f && fputs("precious\n", f) >= 0 && !fclose(f));
	}
	CHECK_EQ_INT(pdma_snapshot_write(src, full, &err), -EEXIST);
	CHECK(strstr(err.msg, full) && strstr(err.msg, "not empty"));
	n = scandir(full, &list, NULL, alphasort);
	CHECK_EQ_INT(n, 3);	/* ".", "..", "keep" */
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	CHECK(file_has(keep, "precious\n"));
	CHECK_EQ_INT(count_prefixed(tmp, ".full.tmp-"), 0);

	/* an empty directory is taken */
	pathf(out, sizeof(out), "%s/empty", tmp);
	REQUIRE(mkdir(out, 0755) == 0);
	CHECK_EQ_INT(snap(src, out), 0);
	fab = load_sysfs_ok(out);
	pdma_fabric_destroy(fab);

	/* a file in the way: refused, untouched */
	pathf(file, sizeof(file), "%s/keep", full);
	CHECK_EQ_INT(pdma_snapshot_write(src, file, &err), -EEXIST);
	CHECK(strstr(err.msg, file) != NULL);
	CHECK(file_has(file, "precious\n"));

	/* a file where the parent directory should be: nothing written */
	pathf(out, sizeof(out), "%s/snap", file);
	CHECK(pdma_snapshot_write(src, out, &err) < 0);
	CHECK(strstr(err.msg, out) != NULL);
	CHECK(file_has(file, "precious\n"));
	CHECK_EQ_INT(count_prefixed(full, ".keep"), 0);

	/* a parent that is not writable (as root every directory is) */
	if (geteuid()) {
		char ro[PATH_MAX];

		pathf(ro, sizeof(ro), "%s/ro", tmp);
		pathf(out, sizeof(out), "%s/snap", ro);
		REQUIRE(mkdir(ro, 0555) == 0);
		CHECK_EQ_INT(pdma_snapshot_write(src, out, &err), -EACCES);
		CHECK_EQ_INT(count_prefixed(ro, ".snap.tmp-"), 0);
		chmod(ro, 0755);
	}
}

static char last_resource[PATH_MAX];

static int find_resource(const char *path, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)st;
	if (flag == FTW_F && !strcmp(path + ftw->base, "resource"))
		pathf(last_resource, sizeof(last_resource), "%s", path);
	return 0;
}

/*
 * A read that fails half-way (a function's resource file turned into a
 * directory, after other functions were copied): the snapshot fails and
 * leaves no temporary directory and no OUT.
 */
static void check_failed_write(const char *src)
{
	char broken[PATH_MAX], out[PATH_MAX];
	struct pdma_error err = { { 0 } };
	struct stat st;

	pathf(broken, sizeof(broken), "%s/broken", tmp);
	pathf(out, sizeof(out), "%s/never", tmp);
	REQUIRE(snap(src, broken) == 0);
	last_resource[0] = '\0';
	REQUIRE(nftw(broken, find_resource, 16, FTW_PHYS) == 0);
	REQUIRE(last_resource[0]);
	REQUIRE(unlink(last_resource) == 0 && mkdir(last_resource, 0755) == 0);
	CHECK(pdma_snapshot_write(broken, out, &err) < 0);
	printf("  a failed write: %s\n", err.msg);
	CHECK(strstr(err.msg, last_resource) != NULL);
	CHECK(lstat(out, &st) && errno == ENOENT);
	CHECK_EQ_INT(count_prefixed(tmp, ".never.tmp-"), 0);
}

int main(void)
{
	char src[PATH_MAX];

	REQUIRE(mkdtemp(tmp));
	check_fixtures();
	check_live();
	pathf(src, sizeof(src), "%s/kernel/d1-intel-3port", harness_fixtures());
	check_refused(src);
	check_failed_write(src);
	CHECK_EQ_INT(nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	return harness_exit();
}
