// SPDX-License-Identifier: MIT
/*
 * What the sysfs loader reads besides the PCI functions: the CPU and the
 * kernel command line from proc/ (or cpuinfo.txt / cmdline.txt at the top
 * of a capture without proc/), and the IOMMU groups' domain types.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpuinfo.h"
#include "load_sysfs.h"

static int loader_note(struct pdma__sysfs_loader *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int loader_note(struct pdma__sysfs_loader *l, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = pdma__notes_vadd(&l->notes, &l->nr_notes, fmt, ap);
	va_end(ap);
	return ret;
}

int pdma__sysfs_read_platform(struct pdma__sysfs_loader *l,
			      struct pdma_platform_info *pi)
{
	char procdir[PATH_MAX], cpu[PATH_MAX], cmd[PATH_MAX];
	struct stat st;
	int ret;

	memset(pi, 0, sizeof(*pi));
	pi->cpu_vendor = PDMA_CPU_UNKNOWN;
	pi->cpu_family = -1;
	pdma__sysfs_full(&l->t, "proc", NULL, procdir, sizeof(procdir));
	if (!stat(procdir, &st) && S_ISDIR(st.st_mode)) {
		pdma__sysfs_full(&l->t, "proc/cpuinfo", NULL, cpu, sizeof(cpu));
		pdma__sysfs_full(&l->t, "proc/cmdline", NULL, cmd, sizeof(cmd));
	} else {
		pdma__sysfs_full(&l->t, "cpuinfo.txt", NULL, cpu, sizeof(cpu));
		pdma__sysfs_full(&l->t, "cmdline.txt", NULL, cmd, sizeof(cmd));
	}

	ret = pdma__cpuinfo_read(cpu, pi);
	if (ret == -ENOENT) {
		ret = loader_note(l, "%s: not found: the CPU is unknown, so the AMD rule that lets P2P cross the host bridge is not applied; give the CPU with --cpu if it matters",
				  cpu);
		if (ret)
			return ret;
		snprintf(pi->cpu_source, sizeof(pi->cpu_source),
			 "unknown (no %s)", pdma__basename(cpu));
	} else if (ret == -EINVAL) {
		pdma__err(l->err, "%s: the first processor has no vendor_id line, or a \"cpu family\" that is not a number",
			  cpu);
		return -EINVAL;
	} else if (ret) {
		pdma__err(l->err, "%s: %s", cpu, strerror(-ret));
		return ret == -EISDIR ? -EINVAL : ret;
	}

	ret = pdma__cmdline_read(cmd, pi);
	if (ret && ret != -ENOENT) {
		pdma__err(l->err, "%s: %s", cmd, strerror(-ret));
		return ret == -EISDIR ? -EINVAL : ret;
	}

	if (l->t.live)
		snprintf(pi->source, sizeof(pi->source), "live machine");
	else
		snprintf(pi->source, sizeof(pi->source), "snapshot %s",
			 l->t.root);
	return 0;
}

static const struct {
	const char *name;
	enum pdma_iommu_type type;
} group_types[] = {
	{ "DMA", PDMA_IOMMU_DMA },
	{ "DMA-FQ", PDMA_IOMMU_DMA },
	{ "identity", PDMA_IOMMU_IDENTITY },
	{ "blocked", PDMA_IOMMU_BLOCKED },
	{ "unmanaged", PDMA_IOMMU_UNMANAGED },
};

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* One group directory @name; *@odd counts types we do not know. */
static int read_group(struct pdma__sysfs_loader *l, const char *dir,
		      const char *name, struct pdma_platform_info *pi,
		      char *odd, size_t odd_size)
{
	enum pdma_iommu_type type = PDMA_IOMMU_DMA;
	char gdir[PATH_MAX], path[PATH_MAX], buf[32];
	long long id;
	int ret;

	pdma__path_join(gdir, sizeof(gdir), dir, name);
	if (pdma__parse_dec(name, 0, 1 << 20, &id)) {
		pdma__err(l->err, "%s: not an IOMMU group number", gdir);
		return -EINVAL;
	}
	if (pdma__path_join(path, sizeof(path), gdir, "type"))
		return -ENAMETOOLONG;
	ret = pdma__read_line(path, buf, sizeof(buf));
	if (ret == -ENOENT) {
		/* before Linux 5.11 there is no type: the IOMMU translates */
		if (!odd[0])
			snprintf(odd, odd_size, "(none, before Linux 5.11)");
	} else if (ret) {
		pdma__err(l->err, "%s: %s", path, ret == -EFBIG ||
			  ret == -EINVAL ? "not an IOMMU domain type" :
			  strerror(-ret));
		return ret == -EFBIG || ret == -EISDIR ? -EINVAL : ret;
	} else {
		size_t k;

		for (k = 0; k < sizeof(group_types) / sizeof(group_types[0]);
		     k++)
			if (!strcmp(buf, group_types[k].name))
				break;
		if (k < sizeof(group_types) / sizeof(group_types[0]))
			type = group_types[k].type;
		else if (!odd[0])
			snprintf(odd, odd_size, "\"%s\"", buf);
	}
	if (type == PDMA_IOMMU_DMA)
		pi->iommu = true;
	return pdma_fabric_set_iommu_group_type(l->fab, (int)id, type);
}

int pdma__sysfs_read_groups(struct pdma__sysfs_loader *l,
			    struct pdma_platform_info *pi)
{
	char dir[PATH_MAX], odd[64] = "";
	struct dirent **list;
	struct stat st;
	int n, ret = 0;

	pdma__sysfs_full(&l->t, "sys/kernel/iommu_groups", NULL, dir,
			 sizeof(dir));
	if (stat(dir, &st) && errno == ENOENT)
		return 0;	/* no IOMMU (captures may drop empty dirs) */
	n = scandir(dir, &list, NULL, cmp_name);
	if (n < 0) {
		ret = -errno;
		pdma__err(l->err, "%s: cannot list: %s", dir, strerror(-ret));
		return ret == -ENOTDIR ? -EINVAL : ret;
	}
	for (int i = 0; i < n; i++) {
		if (!ret && list[i]->d_name[0] != '.')
			ret = read_group(l, dir, list[i]->d_name, pi, odd,
					 sizeof(odd));
		free(list[i]);
	}
	free(list);
	if (!ret && odd[0])
		ret = loader_note(l, "%s: domain type %s is not one this version knows: taken as DMA (translated)",
				  dir, odd);
	return ret;
}
