/* SPDX-License-Identifier: MIT */
/*
 * Private to the sysfs loader: its state, shared by load_sysfs.c (tree
 * checks, building), load_sysfs_func.c (one function) and
 * load_sysfs_platform.c (CPU, command line, IOMMU groups).
 */
#ifndef PDMA_FABRIC_LOAD_SYSFS_H
#define PDMA_FABRIC_LOAD_SYSFS_H

#include "sysfs.h"

/* The most config space sysfs shows (PCIe extended configuration space). */
#define PDMA__CFG_MAX	4096

/* What the loader learned about one function directory. */
struct pdma__sysfs_func {
	struct pdma_func_info fi;
	size_t cfg_len;		/* bytes of config space read */
	bool has_link_files;	/* current_link_speed etc. exist: PCIe */
	bool is_vf;		/* has a physfn link */
	bool skip;		/* left out (a VF on a virtual bus) */
};

struct pdma__sysfs_loader {
	struct pdma__sysfs_tree t;
	struct pdma_error *err;
	struct pdma__sysfs_func *fns;	/* t.nr_fns */
	int *hb_idx;			/* fabric index of t.hbs[h] */
	struct pdma_fabric *fab;	/* NULL until the files are read */
	int nr_vf_skipped;
	char odd_speed[32];		/* first unknown link speed seen */
	int nr_notes;
	char **notes;
};

/**
 * pdma__sysfs_read_func() - read function directory @i of l->t into
 * l->fns[@i]: config space, attribute files, links, p2pmem.
 *
 * Return: 0, -EINVAL (with a message naming the file) for malformed
 * content, or -errno of a failed read.
 */
PDMA_INTERNAL int pdma__sysfs_read_func(struct pdma__sysfs_loader *l, int i);

/**
 * pdma__sysfs_read_platform() - CPU (proc/cpuinfo, or cpuinfo.txt at the
 * top of ROOT when there is no proc/), command line and source into @pi.
 * A missing cpuinfo is a note (CPU unknown); a malformed one an error.
 *
 * Return: 0, -EINVAL (with a message), -ENOMEM, or -errno.
 */
PDMA_INTERNAL int pdma__sysfs_read_platform(struct pdma__sysfs_loader *l,
					    struct pdma_platform_info *pi);

/**
 * pdma__sysfs_read_groups() - sys/kernel/iommu_groups/N/type into l->fab
 * (which must exist); sets @pi->iommu when a group has type DMA.
 *
 * Return: 0, -EINVAL (with a message), -ENOMEM, or -errno.
 */
PDMA_INTERNAL int pdma__sysfs_read_groups(struct pdma__sysfs_loader *l,
					  struct pdma_platform_info *pi);

/** pdma__sysfs_loader_release() - free everything @l holds. */
PDMA_INTERNAL void pdma__sysfs_loader_release(struct pdma__sysfs_loader *l);

#endif /* PDMA_FABRIC_LOAD_SYSFS_H */
