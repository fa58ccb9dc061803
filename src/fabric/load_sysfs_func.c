// SPDX-License-Identifier: MIT
/*
 * One function directory of a sysfs tree into a struct pdma_func_info.
 *
 * Config space is decoded first; then values from sysfs files win over it
 * (the kernel may have fixed them up: vendor, class, ...), and config space
 * keeps the header type, the PCIe port type, ACS, and the links where sysfs
 * has no link files.  Absent optional files keep what config space said.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "load_sysfs.h"

#define RESOURCE_LINES	64	/* 17 in practice (BARs, ROM, IOV, windows) */

/* IORESOURCE_* flags of the sysfs resource file (linux/ioport.h). */
#define IORESOURCE_IO		0x00000100
#define IORESOURCE_MEM		0x00000200
#define IORESOURCE_PREFETCH	0x00002000
#define IORESOURCE_MEM_64	0x00100000

/* ROOT/<function dir>/@leaf; every path fits, the scan checked. */
static void fpath(struct pdma__sysfs_loader *l, int i, const char *leaf,
		  char *buf, size_t size)
{
	pdma__sysfs_full(&l->t, l->t.fns[i].rel, leaf, buf, size);
}

/*
 * One text attribute of function @i.  Return 0, 1 when it is absent and
 * not @required, or -errno with a message.
 */
static int attr_line(struct pdma__sysfs_loader *l, int i, const char *leaf,
		     char *buf, size_t size, bool required)
{
	char path[PATH_MAX];
	int ret;

	fpath(l, i, leaf, path, sizeof(path));
	ret = pdma__read_line(path, buf, size);
	if (ret == -ENOENT && !required)
		return 1;
	switch (ret) {
	case 0:
		return 0;
	case -ENOENT:
		pdma__err(l->err, "%s: missing", path);
		return -EINVAL;
	case -EFBIG:
		pdma__err(l->err, "%s: too long for a sysfs attribute", path);
		return -EINVAL;
	case -EINVAL:
		pdma__err(l->err, "%s: not a one-line sysfs attribute", path);
		return -EINVAL;
	default:
		pdma__err(l->err, "%s: %s", path, strerror(-ret));
		return ret;
	}
}

/* A hex attribute ("0x1b36") up to @max; absent leaves *@v alone. */
static int attr_hex(struct pdma__sysfs_loader *l, int i, const char *leaf,
		    uint64_t max, uint64_t *v)
{
	char buf[64], path[PATH_MAX];
	int ret = attr_line(l, i, leaf, buf, sizeof(buf), false);

	if (ret)
		return ret > 0 ? 0 : ret;
	if (pdma__parse_hex(buf, max, v)) {
		fpath(l, i, leaf, path, sizeof(path));
		pdma__err(l->err, "%s: \"%s\" is not a hex number up to 0x%llx",
			  path, buf, (unsigned long long)max);
		return -EINVAL;
	}
	return 1;
}

/* A decimal attribute in [@min, @max]; 1 when read, 0 when absent. */
static int attr_dec(struct pdma__sysfs_loader *l, int i, const char *leaf,
		    long long min, long long max, long long *v)
{
	char buf[64], path[PATH_MAX];
	int ret = attr_line(l, i, leaf, buf, sizeof(buf), false);

	if (ret)
		return ret > 0 ? 0 : ret;
	if (pdma__parse_dec(buf, min, max, v)) {
		fpath(l, i, leaf, path, sizeof(path));
		pdma__err(l->err, "%s: \"%s\" is not a number from %lld to %lld",
			  path, buf, min, max);
		return -EINVAL;
	}
	return 1;
}

/* The basename of link @leaf into @buf; "" when absent. */
static int attr_link(struct pdma__sysfs_loader *l, int i, const char *leaf,
		     char *buf, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	int ret;

	fpath(l, i, leaf, path, sizeof(path));
	ret = pdma__read_link(path, target, sizeof(target));
	if (ret == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	if (ret) {
		pdma__err(l->err, "%s: %s", path, ret == -EINVAL ?
			  "not a symlink" : strerror(-ret));
		return ret == -ENAMETOOLONG ? -EINVAL : ret;
	}
	snprintf(buf, size, "%s", pdma__basename(target));
	return 0;
}

static int read_config(struct pdma__sysfs_loader *l, int i,
		       struct pdma_func_info *fi)
{
	char path[PATH_MAX];
	uint8_t cfg[PDMA__CFG_MAX];
	size_t len;
	int ret;

	fpath(l, i, "config", path, sizeof(path));
	ret = pdma__read_bytes(path, cfg, sizeof(cfg), &len);
	if (ret == -ENOENT) {
		pdma__err(l->err, "%s: missing (every PCI function has one)",
			  path);
		return -EINVAL;
	}
	if (ret) {
		pdma__err(l->err, "%s: %s", path, strerror(-ret));
		return ret == -EISDIR ? -EINVAL : ret;
	}
	if (len < 64) {
		pdma__err(l->err, "%s: %zu bytes, fewer than the 64-byte configuration header",
			  path, len);
		return -EINVAL;
	}
	ret = pdma__config_decode(cfg, len, fi, path, l->err);
	if (ret)
		return ret;
	l->fns[i].cfg_len = len;
	return 0;
}

/* Split "0x... 0x... 0x..." into three numbers. */
static int parse_resource_line(char *line, uint64_t v[3])
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (n == 3 || pdma__parse_hex(tok, UINT64_MAX, &v[n]))
			return -EINVAL;
		n++;
	}
	return n == 3 ? 0 : -EINVAL;
}

static int read_resource(struct pdma__sysfs_loader *l, int i,
			 struct pdma_func_info *fi)
{
	char path[PATH_MAX], buf[RESOURCE_LINES * 60 + 1], *p, *nl;
	size_t len;
	int ret, line = 0;

	fpath(l, i, "resource", path, sizeof(path));
	ret = pdma__read_bytes(path, buf, sizeof(buf) - 1, &len);
	if (ret == -ENOENT)
		return 0;	/* keep what config space said */
	if (ret) {
		pdma__err(l->err, "%s: %s", path, strerror(-ret));
		return ret == -EISDIR ? -EINVAL : ret;
	}
	if (len == sizeof(buf) - 1 || memchr(buf, '\0', len)) {
		pdma__err(l->err, "%s: not a sysfs resource file (too long or binary)",
			  path);
		return -EINVAL;
	}
	buf[len] = '\0';
	for (p = buf; *p; p = nl + 1) {
		uint64_t v[3];

		nl = strchr(p, '\n');
		if (!nl) {
			pdma__err(l->err, "%s: line %d does not end in a newline",
				  path, line + 1);
			return -EINVAL;
		}
		*nl = '\0';
		line++;
		if (parse_resource_line(p, v)) {
			pdma__err(l->err, "%s: line %d: expected \"start end flags\" in hex",
				  path, line);
			return -EINVAL;
		}
		if ((v[0] || v[1]) && v[1] < v[0]) {
			pdma__err(l->err, "%s: line %d: ends (0x%llx) before it starts (0x%llx)",
				  path, line, (unsigned long long)v[1],
				  (unsigned long long)v[0]);
			return -EINVAL;
		}
		if (line > 6)
			continue;
		fi->bars[line - 1] = (struct pdma_bar){ 0 };
		if (!v[0] && !v[1])
			continue;
		fi->bars[line - 1].addr = v[0];
		fi->bars[line - 1].size = v[1] - v[0] + 1;
		if (v[2] & IORESOURCE_MEM)
			fi->bars[line - 1].flags |= PDMA_BAR_MEM;
		if (v[2] & IORESOURCE_MEM_64)
			fi->bars[line - 1].flags |= PDMA_BAR_64;
		if (v[2] & IORESOURCE_PREFETCH)
			fi->bars[line - 1].flags |= PDMA_BAR_PREFETCH;
	}
	if (line < 6) {
		pdma__err(l->err, "%s: %d lines, fewer than the 6 BARs", path,
			  line);
		return -EINVAL;
	}
	return 0;
}

/* current_ or max_ link_speed and _width; absent files keep config's. */
static int read_link(struct pdma__sysfs_loader *l, int i, const char *which,
		     struct pdma_link *link)
{
	char leaf[32], buf[64], path[PATH_MAX];
	long long w;
	int ret, gen;

	snprintf(leaf, sizeof(leaf), "%s_link_speed", which);
	ret = attr_line(l, i, leaf, buf, sizeof(buf), false);
	if (ret < 0)
		return ret;
	if (!ret) {
		l->fns[i].has_link_files = true;
		ret = pdma__parse_link_speed(buf, &gen);
		if (ret == -ERANGE && !l->odd_speed[0]) {
			snprintf(l->odd_speed, sizeof(l->odd_speed), "%.31s",
				 buf);
		} else if (ret && ret != -ERANGE) {
			fpath(l, i, leaf, path, sizeof(path));
			pdma__err(l->err, "%s: \"%s\" is not a link speed (\"2.5 GT/s PCIe\" ... \"64.0 GT/s PCIe\", \"Unknown\")",
				  path, buf);
			return -EINVAL;
		}
		link->gen = gen;
	}
	snprintf(leaf, sizeof(leaf), "%s_link_width", which);
	ret = attr_dec(l, i, leaf, 0, 255, &w);
	if (ret < 0)
		return ret;
	if (ret)
		link->width = w == 255 ? 0 : (int)w;	/* 0, 255: unknown */
	return 0;
}

static int read_p2pmem(struct pdma__sysfs_loader *l, int i,
		       struct pdma_p2pmem *p)
{
	char path[PATH_MAX], buf[64];
	long long v[3];
	struct stat st;

	fpath(l, i, "p2pmem", path, sizeof(path));
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return 0;
	for (int k = 0; pdma__sysfs_p2pmem_files[k]; k++) {
		char leaf[32];
		int ret;

		snprintf(leaf, sizeof(leaf), "p2pmem/%s",
			 pdma__sysfs_p2pmem_files[k]);
		ret = attr_line(l, i, leaf, buf, sizeof(buf), true);
		if (ret)
			return ret;
		if (pdma__parse_dec(buf, 0, k == 2 ? 1 : INT64_MAX, &v[k])) {
			fpath(l, i, leaf, path, sizeof(path));
			pdma__err(l->err, "%s: \"%s\" is not %s", path, buf,
				  k == 2 ? "0 or 1" : "a byte count");
			return -EINVAL;
		}
	}
	p->present = true;
	p->size = (uint64_t)v[0];
	p->available = (uint64_t)v[1];
	p->published = v[2];
	return 0;
}

int pdma__sysfs_read_func(struct pdma__sysfs_loader *l, int i)
{
	const struct pdma__sysfs_fn *f = &l->t.fns[i];
	struct pdma_func_info *fi = &l->fns[i].fi;
	char buf[64], path[PATH_MAX];
	uint64_t v;
	long long d;
	int ret;

	memset(fi, 0, sizeof(*fi));
	fi->domain = f->domain;
	fi->bus = f->bus;
	fi->dev = f->dev;
	fi->fn = f->fn;
	fi->numa_node = -1;
	fi->iommu_group = -1;
	fi->pcie_type = PDMA_PCIE_NONE;
	ret = read_config(l, i, fi);
	if (ret)
		return ret;

#define HEX(leaf, max, field)						\
	do {								\
		ret = attr_hex(l, i, leaf, max, &v);			\
		if (ret < 0)						\
			return ret;					\
		if (ret)						\
			fi->field = (__typeof__(fi->field))v;		\
	} while (0)
	HEX("vendor", 0xffff, vendor);
	HEX("device", 0xffff, device);
	HEX("class", 0xffffff, class_code);
	HEX("subsystem_vendor", 0xffff, subsys_vendor);
	HEX("subsystem_device", 0xffff, subsys_device);
	HEX("revision", 0xff, revision);
#undef HEX
	ret = read_resource(l, i, fi);
	if (ret)
		return ret;
	ret = attr_dec(l, i, "numa_node", -1, 65535, &d);
	if (ret < 0)
		return ret;
	if (ret)
		fi->numa_node = (int)d;
	ret = read_link(l, i, "current", &fi->link_cur);
	if (!ret)
		ret = read_link(l, i, "max", &fi->link_max);
	if (ret)
		return ret;
	ret = attr_dec(l, i, "secondary_bus_number", 0, 255, &d);
	if (ret < 0)
		return ret;
	if (ret)
		fi->secondary_bus = (uint8_t)d;
	ret = attr_dec(l, i, "subordinate_bus_number", 0, 255, &d);
	if (ret < 0)
		return ret;
	if (ret)
		fi->subordinate_bus = (uint8_t)d;
	ret = attr_link(l, i, "driver", fi->driver, sizeof(fi->driver));
	if (ret)
		return ret;
	ret = attr_link(l, i, "iommu_group", buf, sizeof(buf));
	if (ret)
		return ret;
	if (buf[0]) {
		if (pdma__parse_dec(buf, 0, 1 << 20, &d)) {
			fpath(l, i, "iommu_group", path, sizeof(path));
			pdma__err(l->err, "%s: the link does not end in a group number (\"%s\")",
				  path, buf);
			return -EINVAL;
		}
		fi->iommu_group = (int)d;
	}
	ret = attr_link(l, i, "physfn", buf, sizeof(buf));
	if (ret)
		return ret;
	l->fns[i].is_vf = buf[0];
	return read_p2pmem(l, i, &fi->p2pmem);
}
