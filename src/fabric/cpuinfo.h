/* SPDX-License-Identifier: MIT */
/*
 * The CPU and the kernel command line, from /proc (or a snapshot's copy).
 * Shared by the sysfs loader and the lspci loader.
 */
#ifndef PDMA_FABRIC_CPUINFO_H
#define PDMA_FABRIC_CPUINFO_H

#include "model.h"

/**
 * pdma__cpuinfo_read() - the first processor of a /proc/cpuinfo file.
 * @path: the file ("/proc/cpuinfo", "SNAP/proc/cpuinfo", "SNAP/cpuinfo.txt").
 * @pi:   receives cpu_vendor (GenuineIntel -> INTEL, AuthenticAMD -> AMD,
 *        any other vendor_id -> OTHER), cpu_family ("cpu family", decimal;
 *        0 when absent), cpu_model ("model name", "" when absent) and
 *        cpu_source (@path).  Other fields are left alone.
 *
 * Only the first processor block is read (up to its blank line).
 *
 * Return: 0, -errno when @path cannot be read, -EINVAL when the first block
 * has no vendor_id line or a "cpu family" that is not a decimal number.
 */
PDMA_INTERNAL int pdma__cpuinfo_read(const char *path,
				     struct pdma_platform_info *pi);

/**
 * pdma__cpuinfo_parse() - the same from memory; @pi->cpu_source is not
 * touched.
 *
 * Return: 0 or -EINVAL.
 */
PDMA_INTERNAL int pdma__cpuinfo_parse(const char *buf, size_t len,
				      struct pdma_platform_info *pi);

/**
 * pdma__cmdline_read() - a /proc/cmdline file into @pi->cmdline.
 *
 * The trailing newline is dropped, NUL bytes and other control characters
 * become spaces, and a line longer than the field is cut (without error:
 * the command line is shown to people, verdicts do not depend on it).
 *
 * Return: 0 or -errno when @path cannot be read.
 */
PDMA_INTERNAL int pdma__cmdline_read(const char *path,
				     struct pdma_platform_info *pi);

#endif /* PDMA_FABRIC_CPUINFO_H */
