/* SPDX-License-Identifier: MIT */
/*
 * peerdma/source.h - where fabrics come from, and where they go.
 *
 * Every loader returns a finalized fabric or nothing: on bad input it fills
 * @err with one line naming the file (and line or sysfs path) and the
 * reason, returns a negative errno, and leaves *@out NULL.  -EINVAL means
 * malformed input (the CLI exits 2); other errors are failures to read.
 */
#ifndef PEERDMA_SOURCE_H
#define PEERDMA_SOURCE_H

#include <stdio.h>

#include <peerdma/fabric.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct pdma_cpu_override - the CPU to assume when the source has none.
 * @set:    use @vendor and @family instead of the live CPU.
 */
struct pdma_cpu_override {
	bool set;
	enum pdma_cpu_vendor vendor;
	int family;
};

/**
 * pdma_cpu_parse() - parse "intel", "amd:FAMILY" (decimal or 0x hex),
 * "other".  Return: 0 or -EINVAL.
 */
int pdma_cpu_parse(const char *s, struct pdma_cpu_override *out);

/**
 * pdma_load_sysfs() - read a machine laid out as /sys and /proc.
 * @root: "/" for the live machine, or a snapshot directory holding sys/ and
 *        proc/ (cpuinfo.txt and cmdline.txt at the top are accepted too).
 *
 * An unprivileged reader gets 64 bytes of config space: the fabric then
 * carries notes saying which functions' ACS is unknown.
 */
int pdma_load_sysfs(const char *root, struct pdma_fabric **out,
		    struct pdma_error *err);

/**
 * pdma_load_lspci() - read `lspci -xxxx` (or -xxx, -xx) output.
 * @path: the file, or "-" for standard input.
 * @cpu:  the CPU to assume (an lspci dump has none); NULL or !set means the
 *        live CPU, and the fabric's platform says which was used.
 */
int pdma_load_lspci(const char *path, const struct pdma_cpu_override *cpu,
		    struct pdma_fabric **out, struct pdma_error *err);

/** pdma_load_lspci_mem() - the same from memory; @name is used in errors. */
int pdma_load_lspci_mem(const char *buf, size_t len, const char *name,
			const struct pdma_cpu_override *cpu,
			struct pdma_fabric **out, struct pdma_error *err);

/**
 * pdma_load_json() - read a topology file (docs/topology-format.md).
 * @path: the file, or "-" for standard input.
 */
int pdma_load_json(const char *path, struct pdma_fabric **out,
		   struct pdma_error *err);

/** pdma_load_json_mem() - the same from memory; @name is used in errors. */
int pdma_load_json_mem(const char *buf, size_t len, const char *name,
		       struct pdma_fabric **out, struct pdma_error *err);

/** pdma_load_preset() - a built-in machine by name (-ENOENT if unknown). */
int pdma_load_preset(const char *name, struct pdma_fabric **out,
		     struct pdma_error *err);

/**
 * pdma_preset_name() / pdma_preset_description() - the @idx-th preset, NULL
 * past the end.  The first preset is the default.
 */
const char *pdma_preset_name(int idx);
const char *pdma_preset_description(int idx);

/**
 * pdma_snapshot_write() - copy what the analyzer reads from @root ("/" for
 * the live machine) into @out_dir, in the snapshot layout.  @out_dir must
 * not exist or be empty.  Nothing is left half-written: the snapshot is
 * built in a temporary sibling directory and renamed into place.
 */
int pdma_snapshot_write(const char *root, const char *out_dir,
			struct pdma_error *err);

/**
 * pdma_export_json() - write @fab in the topology-file schema.  Loading the
 * output and exporting again gives identical bytes.
 * Return: 0, -EIO, or -ENOMEM.
 */
int pdma_export_json(const struct pdma_fabric *fab, FILE *f);

/**
 * pdma_export_qemu() - write QEMU arguments (q35, pcie-root-port,
 * x3130/xio3130 switches, pxb-pcie, nvme with cmb_size_mb, ...) that build
 * the same tree, one argument group per line.  What QEMU cannot model is
 * written as '#' comment lines.
 * Return: 0 or -EIO.
 */
int pdma_export_qemu(const struct pdma_fabric *fab, FILE *f);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_SOURCE_H */
