/* SPDX-License-Identifier: MIT */
/*
 * Loading `lspci -x` / `-xxx` / `-xxxx` output (with or without -D, -n,
 * -nn, -v, -k).  lspci_parse.c reads the lines and decodes each function;
 * the tree is rebuilt by pdma_fabric_finalize() from the bridges' bus
 * numbers.  A dump has no CPU, no IOMMU groups, no NUMA nodes and no BAR
 * sizes: the CPU comes from the caller or from this machine, the rest
 * stays unknown and the fabric's notes say so.
 *
 * Every malformed input is reported as "FILE:LINE: reason" with -EINVAL.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <peerdma/source.h>

#include "cpuinfo.h"
#include "lspci.h"

#define LSPCI_MAX_FILE	(256u << 20)	/* ~20000 functions at -xxxx */

static void set_platform(struct pdma_fabric *fab, const char *name,
			 const struct pdma_cpu_override *cpu)
{
	struct pdma_platform_info pi;
	int ret;

	memset(&pi, 0, sizeof(pi));
	pi.cpu_family = -1;
	pi.iommu_unknown = true;
	snprintf(pi.source, sizeof(pi.source), "lspci dump %s", name);
	if (cpu && cpu->set) {
		pi.cpu_vendor = cpu->vendor;
		pi.cpu_family = cpu->family;
		switch (cpu->vendor) {
		case PDMA_CPU_AMD:
			snprintf(pi.cpu_source, sizeof(pi.cpu_source),
				 "--cpu amd:%d", cpu->family);
			break;
		case PDMA_CPU_INTEL:
			snprintf(pi.cpu_source, sizeof(pi.cpu_source),
				 "--cpu intel");
			break;
		default:
			snprintf(pi.cpu_source, sizeof(pi.cpu_source),
				 "--cpu other");
			break;
		}
	} else {
		ret = pdma__cpuinfo_read("/proc/cpuinfo", &pi);
		if (!ret) {
			snprintf(pi.cpu_source, sizeof(pi.cpu_source),
				 "/proc/cpuinfo of this machine");
		} else {
			pi.cpu_vendor = PDMA_CPU_UNKNOWN;
			pi.cpu_family = -1;
			pi.cpu_model[0] = '\0';
			snprintf(pi.cpu_source, sizeof(pi.cpu_source),
				 "unknown (/proc/cpuinfo: %s)", strerror(-ret));
			pdma_fabric_add_note(fab,
					     "the CPU is unknown (/proc/cpuinfo: %s): give it with --cpu intel|amd:FAMILY|other",
					     strerror(-ret));
		}
	}
	pdma_fabric_set_platform(fab, &pi);
}

static void add_notes(struct pdma_fabric *fab,
		      const struct pdma__lspci_stats *st)
{
	pdma_fabric_add_note(fab,
			     "BAR sizes are not in an lspci dump: BARs show their addresses only");
	pdma_fabric_add_note(fab,
			     "IOMMU groups, NUMA nodes and drivers are not in an lspci dump: they are shown as unknown");
	if (st->nr_no_ext)
		pdma_fabric_add_note(fab,
				     "ACS is unknown for %d PCIe function%s (%s%s): the dump has only their first 256 bytes of config space (lspci -xxx); run `lspci -xxxx` as root",
				     st->nr_no_ext, st->nr_no_ext > 1 ? "s" : "",
				     st->first_no_ext,
				     st->nr_no_ext > 1 ? " and others" : "");
	if (st->nr_short)
		pdma_fabric_add_note(fab,
				     "%d function%s (%s%s) have fewer than 256 bytes of config space in the dump (lspci -x, or lspci run without root): PCIe port type, links and ACS are unknown; run `lspci -xxxx` as root",
				     st->nr_short, st->nr_short > 1 ? "s" : "",
				     st->first_short,
				     st->nr_short > 1 ? " and others" : "");
}

int pdma_load_lspci_mem(const char *buf, size_t len, const char *name,
			const struct pdma_cpu_override *cpu,
			struct pdma_fabric **out, struct pdma_error *err)
{
	struct pdma__lspci_stats st;
	struct pdma_fabric *fab;
	struct pdma_error ferr;
	int ret;

	*out = NULL;
	if (!name)
		name = "<lspci>";
	ret = pdma_fabric_create(&fab);
	if (ret)
		goto err_report;
	ret = pdma__lspci_parse(buf ? buf : "", buf ? len : 0, name, fab, &st,
				err);
	if (ret)
		goto err_destroy;
	set_platform(fab, name, cpu);
	ret = pdma_fabric_finalize(fab, &ferr);
	if (ret) {
		if (ret == -EINVAL)
			pdma__err(err, "%s: %s", name, ferr.msg);
		goto err_destroy;
	}
	add_notes(fab, &st);
	*out = fab;
	return 0;

err_destroy:
	pdma_fabric_destroy(fab);
err_report:
	if (ret == -ENOMEM)
		pdma__err(err, "%s: out of memory", name);
	return ret;
}

int pdma_load_lspci(const char *path, const struct pdma_cpu_override *cpu,
		    struct pdma_fabric **out, struct pdma_error *err)
{
	bool is_stdin = path && !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	size_t len = 0, cap = 1 << 16;
	char *buf, *nbuf;
	FILE *f;
	int ret;

	*out = NULL;
	if (!path) {
		pdma__err(err, "lspci dump: no file given");
		return -EINVAL;
	}
	f = is_stdin ? stdin : fopen(path, "re");
	if (!f) {
		ret = -errno;
		pdma__err(err, "%s: cannot open: %s", name, strerror(errno));
		return ret;
	}
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto err_close;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			if (cap >= LSPCI_MAX_FILE) {
				pdma__err(err,
					  "%s: too large for an lspci dump (over %u MiB)",
					  name, LSPCI_MAX_FILE >> 20);
				ret = -EFBIG;
				goto err_free;
			}
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = -ENOMEM;
				goto err_free;
			}
			buf = nbuf;
		}
		errno = 0;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n)
			continue;
		if (ferror(f)) {
			ret = errno ? -errno : -EIO;
			pdma__err(err, "%s: cannot read: %s", name,
				  strerror(-ret));
			goto err_free;
		}
		break;
	}
	if (!is_stdin)
		fclose(f);
	ret = pdma_load_lspci_mem(buf, len, name, cpu, out, err);
	free(buf);
	return ret;

err_free:
	free(buf);
err_close:
	if (!is_stdin)
		fclose(f);
	if (ret == -ENOMEM)
		pdma__err(err, "%s: out of memory", name);
	return ret;
}

int pdma_cpu_parse(const char *s, struct pdma_cpu_override *out)
{
	struct pdma_cpu_override o = { .set = true };
	unsigned long fam;
	char *end;

	if (!s)
		return -EINVAL;
	if (!strcasecmp(s, "intel")) {
		o.vendor = PDMA_CPU_INTEL;
		o.family = 6;
	} else if (!strcasecmp(s, "other")) {
		o.vendor = PDMA_CPU_OTHER;
		o.family = 0;
	} else if (!strncasecmp(s, "amd:", 4)) {
		const char *num = s + 4;

		int base = 10;

		if (num[0] == '0' && (num[1] == 'x' || num[1] == 'X')) {
			num += 2;
			base = 16;
		}
		if (!isxdigit((unsigned char)num[0]))
			return -EINVAL;
		errno = 0;
		fam = strtoul(num, &end, base);
		if (errno || *end || fam > 0xfff)
			return -EINVAL;
		o.vendor = PDMA_CPU_AMD;
		o.family = (int)fam;
	} else {
		return -EINVAL;
	}
	*out = o;
	return 0;
}
