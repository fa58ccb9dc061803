/* SPDX-License-Identifier: MIT */
/*
 * Loading `lspci -x` / `-xxx` / `-xxxx` output (with or without -D, -n,
 * -nn, -v, -k): one block per function,
 *
 *	00:02.0 PCI bridge: Red Hat, Inc. QEMU PCIe Root port
 *	00: 36 1b 0c 00 07 05 10 00 00 00 04 06 00 00 01 00
 *	10: ...
 *	<blank line>
 *
 * where the block may also hold lspci -v's tab-indented detail lines before
 * the hex.  Each block's bytes go through pdma__config_decode(); the tree is
 * rebuilt by pdma_fabric_finalize() from the bridges' bus numbers.  A dump
 * has no CPU, no IOMMU groups, no NUMA nodes and no BAR sizes: the CPU comes
 * from the caller or from this machine, the rest stays unknown and the
 * fabric's notes say so.
 *
 * Every malformed input is reported as "FILE:LINE: reason" with -EINVAL.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <peerdma/source.h>

#include "config.h"
#include "cpuinfo.h"

#define LSPCI_MAX_LINE	1024		/* lspci's longest lines are ~300 */
#define LSPCI_MAX_FILE	(256u << 20)	/* ~20000 functions at -xxxx */
#define CFG_MAX		4096

/* Functions seen so far, for duplicates: open addressing on the address. */
struct seen_tab {
	uint32_t *key;		/* domain << 16 | bus << 8 | devfn, +1 */
	int *line;
	size_t cap, used;
};

struct lspci_parser {
	const char *name;
	struct pdma_error *err;
	struct pdma_fabric *fab;
	int line;			/* current line number */

	/* The block being read. */
	bool in_dev;
	int dev_line;
	struct pdma_func_info fi;
	uint8_t cfg[CFG_MAX];
	size_t nbytes;

	struct seen_tab seen;
	int nr_funcs;
	int nr_short;		/* fewer than 256 bytes */
	int nr_no_ext;		/* PCIe with fewer than 4096 bytes */
	int nr_warnings;	/* lines of lspci's own warnings */
	char first_short[16], first_no_ext[16];
};

static int perr(struct lspci_parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "NAME:LINE: reason" into p->err; always returns -EINVAL. */
static int perr(struct lspci_parser *p, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pdma__err(p->err, "%s:%d: %s", p->name, line, msg);
	return -EINVAL;
}

static char *bdf_short(const struct pdma_func_info *fi, char *buf, size_t len)
{
	if (fi->domain)
		snprintf(buf, len, "%04x:%02x:%02x.%x", fi->domain, fi->bus,
			 fi->dev, fi->fn);
	else
		snprintf(buf, len, "%02x:%02x.%x", fi->bus, fi->dev, fi->fn);
	return buf;
}

static size_t hash32(uint32_t k)
{
	k ^= k >> 16;
	k *= 0x7feb352dU;
	k ^= k >> 15;
	k *= 0x846ca68bU;
	k ^= k >> 16;
	return k;
}

/*
 * Record @key at @line.  Return: 0, the earlier line (> 0) when @key was
 * there already, or -ENOMEM.
 */
static int seen_add(struct seen_tab *t, uint32_t key, int line)
{
	size_t i;

	key++;			/* 0 marks an empty slot */
	if (2 * (t->used + 1) > t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 64;
		uint32_t *nkey = calloc(ncap, sizeof(*nkey));
		int *nline = calloc(ncap, sizeof(*nline));

		if (!nkey || !nline) {
			free(nkey);
			free(nline);
			return -ENOMEM;
		}
		for (size_t j = 0; j < t->cap; j++) {
			if (!t->key[j])
				continue;
			i = hash32(t->key[j]) & (ncap - 1);
			while (nkey[i])
				i = (i + 1) & (ncap - 1);
			nkey[i] = t->key[j];
			nline[i] = t->line[j];
		}
		free(t->key);
		free(t->line);
		t->key = nkey;
		t->line = nline;
		t->cap = ncap;
	}
	i = hash32(key) & (t->cap - 1);
	while (t->key[i]) {
		if (t->key[i] == key)
			return t->line[i];
		i = (i + 1) & (t->cap - 1);
	}
	t->key[i] = key;
	t->line[i] = line;
	t->used++;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Number of hex digits at @s (at most @n looked at). */
static size_t hexrun(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && hexval((unsigned char)s[k]) >= 0)
		k++;
	return k;
}

static unsigned long hexnum(const char *s, size_t k)
{
	unsigned long v = 0;

	for (size_t i = 0; i < k; i++)
		v = v << 4 | (unsigned long)hexval((unsigned char)s[i]);
	return v;
}

static bool starts(const char *s, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - s) >= n && !memcmp(s, prefix, n);
}

/* "[1b36:0010]" */
static bool is_id_pair(const char *s, const char *end)
{
	return end - s >= 11 && s[0] == '[' && hexrun(s + 1, 4) == 4 &&
	       s[5] == ':' && hexrun(s + 6, 4) == 4 && s[10] == ']';
}

/*
 * The name lspci printed: "Class: Vendor Device (rev 02)" gives "Vendor
 * Device"; -nn's "[1b36:0010]" is dropped and -n's bare ids give no name
 * (finalize then looks it up).
 */
static void take_name(char *dst, size_t size, const char *s, size_t n)
{
	const char *end = s + n, *q;
	size_t len;

	dst[0] = '\0';
	for (q = s; q + 1 < end && !(q[0] == ':' && q[1] == ' '); q++)
		;
	if (q + 1 >= end)
		return;
	s = q + 2;
	for (q = s; q + 1 < end; q++)
		if (q[0] == ' ' && (starts(q + 1, end, "(rev ") ||
				    starts(q + 1, end, "(prog-if ") ||
				    is_id_pair(q + 1, end))) {
			end = q;
			break;
		}
	len = (size_t)(end - s);
	if (len == 9 && hexrun(s, 4) == 4 && s[4] == ':' &&
	    hexrun(s + 5, 4) == 4)
		return;
	if (len >= size)
		len = size - 1;
	for (size_t i = 0; i < len; i++)
		dst[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	dst[len] = '\0';
}

/* The block is complete: decode it and add the function. */
static int finish_dev(struct lspci_parser *p)
{
	struct pdma_func_info *fi = &p->fi;
	char what[300], bdf[16];
	int ret;

	if (!p->in_dev)
		return 0;
	p->in_dev = false;
	bdf_short(fi, bdf, sizeof(bdf));
	if (!p->nbytes)
		return perr(p, p->dev_line,
			    "%s has no hex dump of its configuration space; this is not `lspci -x` output (run `lspci -xxxx` as root)",
			    bdf);
	if (p->nbytes < 64)
		return perr(p, p->dev_line,
			    "%s: bytes missing: only %zu bytes of configuration space (lspci -x prints at least 64)",
			    bdf, p->nbytes);
	snprintf(what, sizeof(what), "%s:%d: %s", p->name, p->dev_line, bdf);
	ret = pdma__config_decode(p->cfg, p->nbytes, fi, what, p->err);
	if (ret)
		return ret;
	if (!fi->acs_known) {
		if (p->nbytes < 256) {
			if (!p->nr_short++)
				snprintf(p->first_short,
					 sizeof(p->first_short), "%s", bdf);
		} else if (!p->nr_no_ext++) {
			snprintf(p->first_no_ext, sizeof(p->first_no_ext),
				 "%s", bdf);
		}
	}
	ret = pdma_fabric_add_func(p->fab, fi, NULL);
	if (ret)
		return ret;
	p->nr_funcs++;
	return 0;
}

/* "[DDDD:]BB:DD.F[ description]" */
static int device_line(struct lspci_parser *p, const char *s, size_t n)
{
	struct pdma_func_info *fi = &p->fi;
	unsigned long domain = 0, bus, dev, fn;
	size_t k = hexrun(s, n), pos = 0;
	char bdf[16];
	int ret;

	if (k >= 4 && k < n && s[k] == ':' && hexrun(s + k + 1, n - k - 1) == 2) {
		if (k > 8)
			return perr(p, p->line, "bad PCI domain '%.*s'",
				    (int)k, s);
		domain = hexnum(s, k);
		if (domain > 0xffff)
			return perr(p, p->line,
				    "PCI domain %lx is above ffff (a VMD domain?): not supported",
				    domain);
		pos = k + 1;
		k = 2;
	}
	if (k != 2 || pos + 7 > n || s[pos + 2] != ':' ||
	    hexrun(s + pos + 3, 2) != 2 || s[pos + 5] != '.' ||
	    hexrun(s + pos + 6, 1) != 1 ||
	    (pos + 7 < n && s[pos + 7] != ' '))
		return perr(p, p->line,
			    "not lspci -x output: expected a device line like \"00:02.0 PCI bridge: ...\" or a hex line like \"40: 0d 00 ...\"");
	bus = hexnum(s + pos, 2);
	dev = hexnum(s + pos + 3, 2);
	fn = hexnum(s + pos + 6, 1);
	if (dev > 31 || fn > 7)
		return perr(p, p->line,
			    "bad address %.*s: device must be 00-1f and function 0-7",
			    (int)(pos + 7), s);

	ret = finish_dev(p);
	if (ret)
		return ret;
	memset(fi, 0, sizeof(*fi));
	fi->domain = (uint16_t)domain;
	fi->bus = (uint8_t)bus;
	fi->dev = (uint8_t)dev;
	fi->fn = (uint8_t)fn;
	fi->numa_node = -1;
	fi->iommu_group = -1;
	fi->parent = PDMA_AUTO;
	fi->host_bridge = PDMA_AUTO;
	fi->pcie_type = PDMA_PCIE_NONE;
	if (pos + 7 < n)
		take_name(fi->name, sizeof(fi->name), s + pos + 8,
			  n - pos - 8);
	ret = seen_add(&p->seen,
		       (uint32_t)domain << 16 | bus << 8 | dev << 3 | fn,
		       p->line);
	if (ret < 0)
		return ret;
	if (ret > 0)
		return perr(p, p->line,
			    "duplicate device: %s appears again (first at line %d)",
			    bdf_short(fi, bdf, sizeof(bdf)), ret);
	p->in_dev = true;
	p->dev_line = p->line;
	p->nbytes = 0;
	return 0;
}

/* "OFF: hh hh ... (16 bytes)"; @k hex digits of offset precede the ':'. */
static int hex_line(struct lspci_parser *p, const char *s, size_t n,
		    size_t k)
{
	unsigned long off = hexnum(s, k);
	size_t pos = k + 1;
	int i;

	if (!p->in_dev && !p->nr_funcs)
		return perr(p, p->line,
			    "hex line before any device line (each block starts with \"BB:DD.F description\")");
	if (!p->in_dev)
		return perr(p, p->line,
			    "hex line outside a device block (after the blank line that ended the previous one)");
	if (k < 2 || k > 3)
		return perr(p, p->line,
			    "bad offset '%.*s': lspci prints 2 or 3 hex digits",
			    (int)k, s);
	if (off % 16)
		return perr(p, p->line,
			    "offset %03lx is not a multiple of 16", off);
	if (p->nbytes >= CFG_MAX)
		return perr(p, p->line,
			    "more than the 4096 bytes of configuration space");
	if (off != p->nbytes)
		return perr(p, p->line,
			    "offset %03lx out of order: expected %03zx",
			    off, p->nbytes);
	for (i = 0; i < 16; i++) {
		int hi, lo;

		if (pos >= n || (s[pos] == ' ' && pos + 3 > n))
			return perr(p, p->line,
				    "truncated line: %d of 16 bytes", i);
		if (s[pos] != ' ' || (pos + 3 < n && s[pos + 3] != ' '))
			return perr(p, p->line,
				    "bad hex at column %zu: expected \" hh\", 16 bytes per line",
				    pos + 1);
		hi = hexval((unsigned char)s[pos + 1]);
		lo = hexval((unsigned char)s[pos + 2]);
		if (hi < 0 || lo < 0)
			return perr(p, p->line,
				    "bad hex byte '%c%c' at column %zu",
				    isprint((unsigned char)s[pos + 1]) ?
					    s[pos + 1] : '?',
				    isprint((unsigned char)s[pos + 2]) ?
					    s[pos + 2] : '?',
				    pos + 2);
		p->cfg[off + (size_t)i] = (uint8_t)(hi << 4 | lo);
		pos += 3;
	}
	if (pos < n)
		return perr(p, p->line,
			    "garbage after the 16th byte at column %zu",
			    pos + 1);
	p->nbytes += 16;
	return 0;
}

static int parse_line(struct lspci_parser *p, const char *s, size_t n)
{
	size_t k;

	if (memchr(s, '\0', n))
		return perr(p, p->line, "NUL byte: not a text file");
	if (n > LSPCI_MAX_LINE)
		return perr(p, p->line,
			    "line too long (%zu characters; lspci's are under %d)",
			    n, LSPCI_MAX_LINE);
	/* Trailing blanks and a DOS line end are harmless. */
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (!n)
		return finish_dev(p);
	if (n > 7 && !memcmp(s, "lspci: ", 7)) {
		/* lspci's own warnings, when stderr went into the file too */
		if (!p->nr_warnings++)
			return pdma_fabric_add_note(p->fab,
						    "%s:%d: %.*s",
						    p->name, p->line,
						    (int)(n > 200 ? 200 : n), s);
		return 0;
	}
	if (s[0] == '\t') {
		/* lspci -v/-k detail lines: before the hex of a block only. */
		if (!p->in_dev)
			return perr(p, p->line,
				    "indented line outside a device block");
		if (p->nbytes)
			return perr(p, p->line,
				    "indented line after the hex dump of the block");
		return 0;
	}
	k = hexrun(s, n);
	if (k && k < n && s[k] == ':' && (k + 1 == n || s[k + 1] == ' '))
		return hex_line(p, s, n, k);
	return device_line(p, s, n);
}

static int parse(struct lspci_parser *p, const char *buf, size_t len)
{
	size_t pos = 0;
	int ret;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		p->line++;
		ret = parse_line(p, buf + pos, n);
		if (ret)
			return ret;
		pos += n + 1;
	}
	ret = finish_dev(p);
	if (ret)
		return ret;
	if (!p->nr_funcs)
		return perr(p, p->line ? p->line : 1,
			    "empty: no devices (expected `lspci -xxxx` output)");
	return 0;
}

static void set_platform(struct lspci_parser *p,
			 const struct pdma_cpu_override *cpu)
{
	struct pdma_platform_info pi;
	int ret;

	memset(&pi, 0, sizeof(pi));
	pi.cpu_family = -1;
	snprintf(pi.source, sizeof(pi.source), "lspci dump %s", p->name);
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
			pdma_fabric_add_note(p->fab,
					     "the CPU is unknown (/proc/cpuinfo: %s): give it with --cpu intel|amd:FAMILY|other",
					     strerror(-ret));
		}
	}
	pdma_fabric_set_platform(p->fab, &pi);
}

static void add_notes(struct lspci_parser *p)
{
	struct pdma_fabric *fab = p->fab;

	pdma_fabric_add_note(fab,
			     "BAR sizes are not in an lspci dump: BARs show their addresses only");
	pdma_fabric_add_note(fab,
			     "IOMMU groups, NUMA nodes and drivers are not in an lspci dump: they are shown as unknown");
	if (p->nr_no_ext)
		pdma_fabric_add_note(fab,
				     "ACS is unknown for %d PCIe function%s (%s%s): the dump has only their first 256 bytes of config space (lspci -xxx); run `lspci -xxxx` as root",
				     p->nr_no_ext, p->nr_no_ext > 1 ? "s" : "",
				     p->first_no_ext,
				     p->nr_no_ext > 1 ? " and others" : "");
	if (p->nr_short)
		pdma_fabric_add_note(fab,
				     "%d function%s (%s%s) have only 64 bytes of config space in the dump (lspci -x, or lspci without root): PCIe port type, links and ACS are unknown; run `lspci -xxxx` as root",
				     p->nr_short, p->nr_short > 1 ? "s" : "",
				     p->first_short,
				     p->nr_short > 1 ? " and others" : "");
}

int pdma_load_lspci_mem(const char *buf, size_t len, const char *name,
			const struct pdma_cpu_override *cpu,
			struct pdma_fabric **out, struct pdma_error *err)
{
	struct lspci_parser *p;
	struct pdma_error ferr;
	int ret;

	*out = NULL;
	if (!name)
		name = "<lspci>";
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->name = name;
	p->err = err;
	ret = pdma_fabric_create(&p->fab);
	if (ret)
		goto err_free_parser;
	ret = parse(p, buf ? buf : "", buf ? len : 0);
	if (ret)
		goto err_destroy;
	set_platform(p, cpu);
	ret = pdma_fabric_finalize(p->fab, &ferr);
	if (ret) {
		if (ret == -EINVAL)
			pdma__err(err, "%s: %s", name, ferr.msg);
		goto err_destroy;
	}
	add_notes(p);
	*out = p->fab;
	free(p->seen.key);
	free(p->seen.line);
	free(p);
	return 0;

err_destroy:
	pdma_fabric_destroy(p->fab);
err_free_parser:
	free(p->seen.key);
	free(p->seen.line);
	free(p);
	if (ret == -ENOMEM)
		pdma__err(err, "%s: out of memory", name);
	return ret;
}

int pdma_load_lspci(const char *path, const struct pdma_cpu_override *cpu,
		    struct pdma_fabric **out, struct pdma_error *err)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	size_t len = 0, cap = 1 << 16;
	char *buf, *nbuf;
	FILE *f;
	int ret;

	*out = NULL;
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
