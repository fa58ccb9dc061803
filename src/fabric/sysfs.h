/* SPDX-License-Identifier: MIT */
/*
 * Private to the sysfs loader and the snapshot writer: small file readers
 * (sysfs_read.c) and the walk of the PCI device tree (sysfs_scan.c).
 *
 * Paths: a "rel" path is relative to ROOT ("sys/devices/pci0000:00/...");
 * messages always show the full path (ROOT joined with rel), which is what
 * the user can look at.
 */
#ifndef PDMA_FABRIC_SYSFS_H
#define PDMA_FABRIC_SYSFS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The attribute files of a function that the loader reads (NULL-ended). */
PDMA_INTERNAL extern const char *const pdma__sysfs_func_files[];
/* The symlinks of a function that the loader reads or the snapshot keeps. */
PDMA_INTERNAL extern const char *const pdma__sysfs_func_links[];
/* The files of a function's p2pmem/ group. */
PDMA_INTERNAL extern const char *const pdma__sysfs_p2pmem_files[];

/* ---- sysfs_read.c ------------------------------------------------------ */

/**
 * pdma__path_join() - "@a/@b" into @buf, without doubling '/'; @b may be
 * NULL or "".  Return: 0 or -ENAMETOOLONG.
 */
PDMA_INTERNAL int pdma__path_join(char *buf, size_t size, const char *a,
				  const char *b);

/**
 * pdma__read_bytes() - up to @size bytes of a file (sysfs files report a
 * size of 4096 whatever they hold: read to EOF).
 * Return: 0 with *@len set, or -errno.
 */
PDMA_INTERNAL int pdma__read_bytes(const char *path, void *buf, size_t size,
				   size_t *len);

/**
 * pdma__read_line() - a one-line text attribute, without surrounding
 * blanks, NUL-terminated.
 * Return: 0, -errno when unreadable (-ENOENT when absent), -EFBIG when it
 * does not fit in @size, -EINVAL when it holds NUL bytes or several lines.
 */
PDMA_INTERNAL int pdma__read_line(const char *path, char *buf, size_t size);

/**
 * pdma__read_link() - the target of a symlink, as text.
 *
 * Also accepts a "link file": a regular file holding the target with no
 * trailing newline, which is what a copy that cannot store symlinks (an
 * archive unpacked on another file system) leaves; sysfs attributes always
 * end in a newline, so the two cannot be confused.
 *
 * Return: 0, -ENOENT when absent, -EINVAL when @path is neither a symlink
 * nor a link file, -ENAMETOOLONG, or another -errno.
 */
PDMA_INTERNAL int pdma__read_link(const char *path, char *buf, size_t size);

/** pdma__basename() - the part of @path after its last '/'. */
PDMA_INTERNAL const char *pdma__basename(const char *path);

/**
 * pdma__resolve_rel() - where a relative link target points, lexically.
 * @dir_rel: ROOT-relative directory holding the link.
 * @target:  the link text; an absolute target is taken as ROOT-relative
 *           only when @root_is_slash.
 * @out:     the normalized ROOT-relative path (no "..", no "//").
 *
 * Return: 0, -EXDEV when the target climbs above ROOT (or is absolute in a
 * snapshot), -ENAMETOOLONG.
 */
PDMA_INTERNAL int pdma__resolve_rel(const char *dir_rel, const char *target,
				    bool root_is_slash, char *out,
				    size_t size);

/** pdma__parse_hex() - "0x1b36" / "1b36" up to @max; 0 or -EINVAL. */
PDMA_INTERNAL int pdma__parse_hex(const char *s, uint64_t max, uint64_t *out);

/** pdma__parse_dec() - a decimal in [@min, @max]; 0 or -EINVAL. */
PDMA_INTERNAL int pdma__parse_dec(const char *s, long long min, long long max,
				  long long *out);

/**
 * pdma__parse_link_speed() - "2.5 GT/s PCIe" ... "64.0 GT/s PCIe" (also the
 * older "5 GT/s" spellings) to a generation, "Unknown" to 0.
 * Return: 0, -ERANGE for a well-formed rate no generation has (*@gen = 0),
 * -EINVAL for anything else.
 */
PDMA_INTERNAL int pdma__parse_link_speed(const char *s, int *gen);

/**
 * pdma__parse_bdf_name() - a function directory name "DDDD:BB:DD.F".
 * Return: 0; -ERANGE for a domain past 0xffff (Intel VMD: 5 hex digits);
 * -EINVAL for anything else.
 */
PDMA_INTERNAL int pdma__parse_bdf_name(const char *name, uint16_t *domain,
				       uint8_t *bus, uint8_t *dev,
				       uint8_t *fn);

/**
 * pdma__looks_like_bdf() - @name has the shape of a PCI address
 * ("X:X:X.X" with no other ':' or '.'), so it is meant as a function
 * directory; other names below a function are sysfs children (net/,
 * nvme/, power/, 0000:00:1c.0:pcie002, ...).
 */
PDMA_INTERNAL bool pdma__looks_like_bdf(const char *name);

/* ---- sysfs_scan.c ------------------------------------------------------ */

/* A host bridge directory (pciDDDD:BB). */
struct pdma__sysfs_hb {
	char *rel;
	uint16_t domain;
	uint8_t bus;
};

/* A function directory; @parent and @hb index the tree's arrays. */
struct pdma__sysfs_fn {
	char *rel;
	int parent;	/* function above, or PDMA_NONE */
	int hb;
	uint16_t domain;
	uint8_t bus, dev, fn;
};

/* A bus/pci/devices/<bdf> link that points at a function of the tree. */
struct pdma__sysfs_link {
	char *name;
	char *target;	/* the link text */
};

/**
 * struct pdma__sysfs_tree - what pdma__sysfs_scan() found under ROOT.
 * @root:     ROOT as given (for messages and full paths).
 * @live:     ROOT is "/".
 * @notes:    remarks for the fabric (malloc'ed strings).
 */
struct pdma__sysfs_tree {
	char root[PATH_MAX];
	bool live;
	int nr_hbs, cap_hbs;
	struct pdma__sysfs_hb *hbs;
	int nr_fns, cap_fns;
	struct pdma__sysfs_fn *fns;
	int nr_links, cap_links;
	struct pdma__sysfs_link *links;
	int nr_notes;
	char **notes;
};

/**
 * pdma__sysfs_scan() - find the host bridges and functions under @root.
 * @t: filled; release with pdma__sysfs_tree_release() (also on error).
 *
 * Walks ROOT/sys/devices/pci<DDDD>:<BB>/ and the function directories
 * nested below, then checks ROOT/sys/bus/pci/devices: every link must point
 * inside ROOT/sys/devices at a directory of its own name; a function found
 * only that way (a host bridge below /sys/devices/platform/..., as on arm64
 * or Hyper-V) brings its host bridge into the walk.
 *
 * Return: 0; -ENOENT when @root does not exist; -EINVAL (with @err) for a
 * tree that is not a sysfs PCI tree; -ENOMEM, or -errno of a failed read.
 */
PDMA_INTERNAL int pdma__sysfs_scan(const char *root,
				   struct pdma__sysfs_tree *t,
				   struct pdma_error *err);

/** pdma__sysfs_tree_release() - free what a scan allocated. */
PDMA_INTERNAL void pdma__sysfs_tree_release(struct pdma__sysfs_tree *t);

/**
 * pdma__sysfs_full() - ROOT/@rel[/@leaf] into @buf.
 * Return: 0 or -ENAMETOOLONG.
 */
PDMA_INTERNAL int pdma__sysfs_full(const struct pdma__sysfs_tree *t,
				   const char *rel, const char *leaf,
				   char *buf, size_t size);

#endif /* PDMA_FABRIC_SYSFS_H */
