// SPDX-License-Identifier: MIT
/*
 * pdma_snapshot_write(): copy what pdma_load_sysfs() reads into a directory
 * that it can read again on another machine, in the same layout:
 *
 *   OUT/sys/devices/pciDDDD:BB/firmware_node.path     (from firmware_node/path)
 *   OUT/sys/devices/pciDDDD:BB/.../<bdf>/{vendor,...,config,resource,...}
 *   OUT/sys/devices/.../<bdf>/{driver,iommu_group,firmware_node,physfn}
 *                                                      (relative symlinks)
 *   OUT/sys/devices/.../<bdf>/p2pmem/{size,available,published}
 *   OUT/sys/bus/pci/devices/<bdf> -> ../../../devices/...
 *   OUT/sys/kernel/iommu_groups/N/{type,devices/<bdf>}
 *   OUT/proc/{cpuinfo,cmdline}, OUT/README.txt
 *
 * Everything is written into a temporary sibling of OUT and renamed into
 * place at the end; on failure the temporary directory is removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <peerdma/peerdma.h>

#include "sysfs.h"

#define FILE_MAX	(64 * 1024)	/* larger than any attribute we copy */

struct snap {
	struct pdma__sysfs_tree t;
	struct pdma_error *err;
	char tmp[PATH_MAX];		/* the temporary directory */
	char *buf;			/* FILE_MAX bytes */
	int nr_funcs, nr_cut;		/* functions, short config reads */
};

/* tmp/@rel[/@leaf] */
static int dst(struct snap *s, const char *rel, const char *leaf, char *buf,
	       size_t size)
{
	char tmp[PATH_MAX];

	if (pdma__path_join(tmp, sizeof(tmp), s->tmp, rel) ||
	    pdma__path_join(buf, size, tmp, leaf)) {
		pdma__err(s->err, "%s/%s: path too long", s->tmp, rel);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int write_file(struct snap *s, const char *path, const void *data,
		      size_t len)
{
	size_t done = 0;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		goto err;
	}
	while (done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			close(fd);
			goto err;
		}
		done += (size_t)n;
	}
	if (close(fd)) {
		ret = -errno;
		goto err;
	}
	return 0;
err:
	pdma__err(s->err, "%s: cannot write: %s", path, strerror(-ret));
	return ret;
}

static int make_dir(struct snap *s, const char *path)
{
	int ret;

	if (!mkdir(path, 0755) || errno == EEXIST)
		return 0;
	ret = -errno;
	pdma__err(s->err, "%s: cannot create: %s", path, strerror(-ret));
	return ret;
}

/* mkdir -p tmp/@rel (@rel has no "..": it comes from the scan). */
static int make_dirs(struct snap *s, const char *rel)
{
	char path[PATH_MAX];
	size_t base = strlen(s->tmp) + 1;
	int ret;

	ret = dst(s, rel, NULL, path, sizeof(path));
	for (char *p = path + base; !ret && (p = strchr(p, '/')); p++) {
		*p = '\0';
		ret = make_dir(s, path);
		*p = '/';
	}
	return ret ?: make_dir(s, path);
}

/*
 * Copy ROOT/@rel/@leaf to tmp/@rel/@leaf.  Return 0, 1 when the source is
 * absent, or -errno with a message.  *@len receives the bytes copied.
 */
static int copy_file(struct snap *s, const char *rel, const char *leaf,
		     size_t *lenp)
{
	char from[PATH_MAX], to[PATH_MAX];
	size_t len;
	int ret;

	if (pdma__sysfs_full(&s->t, rel, leaf, from, sizeof(from)) ||
	    dst(s, rel, leaf, to, sizeof(to)))
		return -ENAMETOOLONG;
	ret = pdma__read_bytes(from, s->buf, FILE_MAX, &len);
	if (ret == -ENOENT)
		return 1;
	if (ret) {
		pdma__err(s->err, "%s: cannot read: %s", from, strerror(-ret));
		return ret;
	}
	if (lenp)
		*lenp = len;
	return write_file(s, to, s->buf, len);
}

/* Recreate the link ROOT/@rel/@leaf with the same target text. */
static int copy_link(struct snap *s, const char *rel, const char *leaf)
{
	char from[PATH_MAX], to[PATH_MAX], target[PATH_MAX];
	int ret;

	if (pdma__sysfs_full(&s->t, rel, leaf, from, sizeof(from)) ||
	    dst(s, rel, leaf, to, sizeof(to)))
		return -ENAMETOOLONG;
	ret = pdma__read_link(from, target, sizeof(target));
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		pdma__err(s->err, "%s: %s", from, ret == -EINVAL ?
			  "not a symlink" : strerror(-ret));
		return ret;
	}
	if (symlink(target, to)) {
		ret = -errno;
		pdma__err(s->err, "%s: cannot create the link: %s", to,
			  strerror(-ret));
	}
	return ret;
}

static int copy_hb(struct snap *s, const struct pdma__sysfs_hb *hb)
{
	char path[PATH_MAX], fw[256];
	int ret;

	ret = make_dirs(s, hb->rel);
	if (!ret)
		ret = copy_link(s, hb->rel, "firmware_node");
	if (ret)
		return ret;
	/* the ACPI path lives outside the tree: keep it as a file */
	pdma__sysfs_full(&s->t, hb->rel, "firmware_node.path", path,
			 sizeof(path));
	if (pdma__read_line(path, fw, sizeof(fw))) {
		pdma__sysfs_full(&s->t, hb->rel, "firmware_node/path", path,
				 sizeof(path));
		if (pdma__read_line(path, fw, sizeof(fw)))
			return 0;
	}
	strcat(fw, "\n");
	ret = dst(s, hb->rel, "firmware_node.path", path, sizeof(path));
	return ret ?: write_file(s, path, fw, strlen(fw));
}

static int copy_fn(struct snap *s, const struct pdma__sysfs_fn *f)
{
	char path[PATH_MAX];
	struct stat st;
	size_t len = 0;
	int ret;

	ret = make_dirs(s, f->rel);
	for (int k = 0; !ret && pdma__sysfs_func_files[k]; k++) {
		bool cfg = !strcmp(pdma__sysfs_func_files[k], "config");

		ret = copy_file(s, f->rel, pdma__sysfs_func_files[k],
				cfg ? &len : NULL);
		if (ret > 0)
			ret = 0;
		else if (!ret && cfg && len < 256)
			s->nr_cut++;
	}
	for (int k = 0; !ret && pdma__sysfs_func_links[k]; k++)
		ret = copy_link(s, f->rel, pdma__sysfs_func_links[k]);
	if (ret)
		return ret;
	pdma__sysfs_full(&s->t, f->rel, "p2pmem", path, sizeof(path));
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		char rel[PATH_MAX];

		ret = pdma__path_join(rel, sizeof(rel), f->rel, "p2pmem");
		if (!ret)
			ret = make_dirs(s, rel);
		for (int k = 0; ret >= 0 && pdma__sysfs_p2pmem_files[k]; k++)
			ret = copy_file(s, rel, pdma__sysfs_p2pmem_files[k],
					NULL);
		if (ret > 0)
			ret = 0;
	}
	s->nr_funcs++;
	return ret;
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Scan ROOT/@rel; 0 entries when it does not exist. */
static int list(struct snap *s, const char *rel, struct dirent ***out)
{
	char path[PATH_MAX];
	int n, ret;

	pdma__sysfs_full(&s->t, rel, NULL, path, sizeof(path));
	n = scandir(path, out, NULL, cmp_name);
	if (n >= 0)
		return n;
	ret = -errno;
	*out = NULL;
	if (ret == -ENOENT)
		return 0;
	pdma__err(s->err, "%s: cannot list: %s", path, strerror(-ret));
	return ret;
}

static void free_list(struct dirent **l, int n)
{
	for (int i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* One group: N/type and the N/devices/<bdf> links. */
static int copy_group(struct snap *s, const char *grel)
{
	char drel[PATH_MAX];
	struct dirent **devs;
	int m, ret;

	if (pdma__path_join(drel, sizeof(drel), grel, "devices"))
		return -ENAMETOOLONG;
	ret = make_dirs(s, drel);
	if (!ret)
		ret = copy_file(s, grel, "type", NULL);
	if (ret < 0)
		return ret;
	m = list(s, drel, &devs);
	if (m < 0)
		return m;
	ret = 0;
	for (int k = 0; !ret && k < m; k++)
		if (devs[k]->d_name[0] != '.')
			ret = copy_link(s, drel, devs[k]->d_name);
	free_list(devs, m);
	return ret;
}

/* sys/kernel/iommu_groups/N/type and N/devices/<bdf> links. */
static int copy_groups(struct snap *s)
{
	const char *top = "sys/kernel/iommu_groups";
	struct dirent **groups;
	int n, ret = 0;

	n = list(s, top, &groups);
	if (n < 0)
		return n;
	if (n)
		ret = make_dirs(s, top);
	for (int i = 0; !ret && i < n; i++) {
		char grel[PATH_MAX];

		if (groups[i]->d_name[0] == '.')
			continue;
		ret = pdma__path_join(grel, sizeof(grel), top,
				      groups[i]->d_name);
		if (!ret)
			ret = copy_group(s, grel);
	}
	free_list(groups, n);
	return ret;
}

/* proc/cpuinfo (its first processor block) and proc/cmdline. */
static int copy_proc(struct snap *s)
{
	static const char *const what[2][2] = {
		{ "proc/cpuinfo", "cpuinfo.txt" },
		{ "proc/cmdline", "cmdline.txt" },
	};
	char from[PATH_MAX], to[PATH_MAX];
	struct stat st;
	bool proc;
	int ret;

	pdma__sysfs_full(&s->t, "proc", NULL, from, sizeof(from));
	proc = !stat(from, &st) && S_ISDIR(st.st_mode);
	ret = make_dirs(s, "proc");
	for (int k = 0; !ret && k < 2; k++) {
		size_t len;
		char *blank;

		pdma__sysfs_full(&s->t, what[k][!proc], NULL, from,
				 sizeof(from));
		ret = pdma__read_bytes(from, s->buf, FILE_MAX - 1, &len);
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		if (ret) {
			pdma__err(s->err, "%s: cannot read: %s", from,
				  strerror(-ret));
			break;
		}
		s->buf[len] = '\0';
		/* one CPU is all the loader reads: keep up to the blank line */
		blank = k == 0 ? strstr(s->buf, "\n\n") : NULL;
		if (blank)
			len = (size_t)(blank - s->buf) + 1;
		ret = dst(s, what[k][0], NULL, to, sizeof(to));
		if (!ret)
			ret = write_file(s, to, s->buf, len);
	}
	return ret;
}

static int write_readme(struct snap *s, const char *out_dir)
{
	char path[PATH_MAX], when[64], text[2048];
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	n = snprintf(text, sizeof(text),
		"peerdma snapshot\n"
		"================\n\n"
		"What PCIe peer-to-peer analysis needs from a machine: the PCI device\n"
		"tree of sys/devices (attribute files, config space, driver and IOMMU\n"
		"group links, p2pmem), sys/bus/pci/devices, sys/kernel/iommu_groups,\n"
		"and proc/cpuinfo (first CPU) and proc/cmdline, laid out as in / so\n"
		"that the analyzer reads it like a live machine.\n\n"
		"Made:      %s by peerdma %s as uid %u\n"
		"On:        %s (%s %s %s)\n"
		"From:      %s\n"
		"Functions: %d (%d with only part of their config space readable%s)\n\n"
		"Load it with:\n\n"
		"    peerdma matrix --sysfs %s\n",
		when, pdma_version(), (unsigned)getuid(), u.nodename,
		u.sysname, u.release, u.machine,
		s->t.live ? "the live machine (/sys, /proc)" : s->t.root,
		s->nr_funcs, s->nr_cut,
		s->nr_cut ? ": ACS unknown, make it again as root" : "",
		out_dir);
	if (n < 0 || (size_t)n >= sizeof(text))
		n = (int)strlen(text);
	if (dst(s, "README.txt", NULL, path, sizeof(path)))
		return -ENAMETOOLONG;
	return write_file(s, path, text, (size_t)n);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* out_dir must not exist, or be an empty directory. */
static int check_out(const char *out_dir, struct pdma_error *err)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int ret = 0;

	if (lstat(out_dir, &st)) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		pdma__err(err, "%s: %s", out_dir, strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		pdma__err(err, "%s: exists and is not a directory: give a new directory for the snapshot",
			  out_dir);
		return -EEXIST;
	}
	d = opendir(out_dir);
	if (!d) {
		ret = -errno;
		pdma__err(err, "%s: %s", out_dir, strerror(-ret));
		return ret;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			pdma__err(err, "%s: exists and is not empty: give a new or empty directory (nothing was written)",
				  out_dir);
			ret = -EEXIST;
			break;
		}
	closedir(d);
	return ret;
}

static int write_all(struct snap *s, const char *out_dir)
{
	int ret = make_dirs(s, "sys/devices");

	for (int h = 0; !ret && h < s->t.nr_hbs; h++)
		ret = copy_hb(s, &s->t.hbs[h]);
	for (int i = 0; !ret && i < s->t.nr_fns; i++)
		ret = copy_fn(s, &s->t.fns[i]);
	if (!ret && s->t.nr_links)
		ret = make_dirs(s, "sys/bus/pci/devices");
	for (int i = 0; !ret && i < s->t.nr_links; i++) {
		char to[PATH_MAX];

		ret = dst(s, "sys/bus/pci/devices", s->t.links[i].name, to,
			  sizeof(to));
		if (!ret && symlink(s->t.links[i].target, to)) {
			ret = -errno;
			pdma__err(s->err, "%s: cannot create the link: %s", to,
				  strerror(-ret));
		}
	}
	if (!ret)
		ret = copy_groups(s);
	if (!ret)
		ret = copy_proc(s);
	if (!ret)
		ret = write_readme(s, out_dir);
	return ret;
}

int pdma_snapshot_write(const char *root, const char *out_dir,
			struct pdma_error *err)
{
	struct snap s = { .err = err };
	char out[PATH_MAX], *slash;
	int ret;

	if (snprintf(out, sizeof(out), "%s", out_dir) >= (int)sizeof(out) ||
	    !out[0]) {
		pdma__err(err, "%s: not a usable directory name", out_dir);
		return -EINVAL;
	}
	for (size_t n = strlen(out); n > 1 && out[n - 1] == '/'; n--)
		out[n - 1] = '\0';
	ret = check_out(out, err);
	if (ret)
		return ret;
	ret = pdma__sysfs_scan(root, &s.t, err);
	if (ret)
		goto out_tree;
	s.buf = malloc(FILE_MAX);
	if (!s.buf) {
		ret = -ENOMEM;
		goto out_tree;
	}
	/* a hidden sibling, so that rename() stays on one file system */
	slash = strrchr(out, '/');
	if (snprintf(s.tmp, sizeof(s.tmp), "%.*s.%s.tmp-XXXXXX",
		     slash ? (int)(slash - out + 1) : 0, out,
		     slash ? slash + 1 : out) >= (int)sizeof(s.tmp)) {
		pdma__err(err, "%s: path too long", out_dir);
		ret = -EINVAL;
		goto out_buf;
	}
	if (!mkdtemp(s.tmp)) {
		ret = -errno;
		pdma__err(err, "%s: cannot create the snapshot next to it: %s",
			  out_dir, strerror(-ret));
		goto out_buf;
	}
	ret = write_all(&s, out_dir);
	if (!ret && chmod(s.tmp, 0755))
		ret = -errno;
	if (!ret && rename(s.tmp, out)) {
		ret = -errno;
		pdma__err(err, "%s: cannot move the finished snapshot into place: %s",
			  out_dir, strerror(-ret));
		if (ret == -ENOTEMPTY)
			ret = -EEXIST;
	}
	if (ret)
		nftw(s.tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
out_buf:
	free(s.buf);
out_tree:
	pdma__sysfs_tree_release(&s.t);
	return ret;
}
