/* SPDX-License-Identifier: MIT */
/*
 * The lines of an lspci hex dump (see lspci.h): one block per function,
 *
 *	00:02.0 PCI bridge: Red Hat, Inc. QEMU PCIe Root port
 *	00: 36 1b 0c 00 07 05 10 00 00 00 04 06 00 00 01 00
 *	10: ...
 *	<blank line>
 *
 * with an optional "DDDD:" domain (lspci -D), any description (-n, -nn),
 * and -v/-k's tab-indented detail lines before the hex.  Each block's
 * bytes go through pdma__config_decode().  Anything else is an error that
 * names the file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lspci.h"

#define LSPCI_MAX_LINE	1024		/* lspci's longest lines are ~300 */
#define CFG_MAX		4096

/* Functions seen so far, for duplicates: open addressing on the address. */
struct seen_tab {
	uint64_t *key;		/* the key + 1: 0 marks an empty slot */
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

	struct seen_tab seen;		/* functions */
	struct seen_tab secs;		/* bridges' secondary buses */
	int nr_warnings;		/* lines of lspci's own warnings */
	struct pdma__lspci_stats st;
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

static size_t hash_key(uint64_t k64)
{
	uint32_t k = (uint32_t)k64 ^ (uint32_t)(k64 >> 32);

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
static int seen_add(struct seen_tab *t, uint64_t key, int line)
{
	size_t i;

	key++;
	if (2 * (t->used + 1) > t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 64;
		uint64_t *nkey = calloc(ncap, sizeof(*nkey));
		int *nline = calloc(ncap, sizeof(*nline));

		if (!nkey || !nline) {
			free(nkey);
			free(nline);
			return -ENOMEM;
		}
		for (size_t j = 0; j < t->cap; j++) {
			if (!t->key[j])
				continue;
			i = hash_key(t->key[j]) & (ncap - 1);
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
	i = hash_key(key) & (t->cap - 1);
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

/*
 * A bridge's bus numbers must make a tree, or finalize cannot build one.
 * The kernel itself renumbers a bridge whose secondary bus is not above its
 * own bus or whose subordinate bus is below its secondary one (0 means not
 * configured: nothing below it).
 */
static int check_bridge(struct lspci_parser *p,
			const struct pdma_func_info *fi, const char *bdf)
{
	int ret;

	if (!pdma_fabric_is_bridge(fi) || !fi->secondary_bus)
		return 0;
	if (fi->secondary_bus <= fi->bus ||
	    fi->subordinate_bus < fi->secondary_bus)
		return perr(p, p->dev_line,
			    "%s: invalid bridge bus numbers: secondary %02x, subordinate %02x on bus %02x (the secondary bus must be above its own, the subordinate not below the secondary)",
			    bdf, fi->secondary_bus, fi->subordinate_bus,
			    fi->bus);
	ret = seen_add(&p->secs, (uint32_t)fi->domain << 8 | fi->secondary_bus,
		       p->dev_line);
	if (ret < 0)
		return ret;
	if (ret > 0)
		return perr(p, p->dev_line,
			    "%s: bus %02x is already the secondary bus of the bridge at line %d",
			    bdf, fi->secondary_bus, ret);
	return 0;
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
	ret = check_bridge(p, fi, bdf);
	if (ret)
		return ret;
	if (!fi->acs_known) {
		if (p->nbytes < 256) {
			if (!p->st.nr_short++)
				snprintf(p->st.first_short,
					 sizeof(p->st.first_short), "%s", bdf);
		} else if (!p->st.nr_no_ext++) {
			snprintf(p->st.first_no_ext, sizeof(p->st.first_no_ext),
				 "%s", bdf);
		}
	}
	ret = pdma_fabric_add_func(p->fab, fi, NULL);
	if (ret)
		return ret;
	p->st.nr_funcs++;
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

	if (!p->in_dev && !p->st.nr_funcs)
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
	if (!p->st.nr_funcs)
		return perr(p, p->line ? p->line : 1,
			    "empty: no devices (expected `lspci -xxxx` output)");
	return 0;
}

int pdma__lspci_parse(const char *buf, size_t len, const char *name,
		      struct pdma_fabric *fab, struct pdma__lspci_stats *st,
		      struct pdma_error *err)
{
	struct lspci_parser *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->name = name;
	p->err = err;
	p->fab = fab;
	ret = parse(p, buf, len);
	*st = p->st;
	free(p->seen.key);
	free(p->seen.line);
	free(p->secs.key);
	free(p->secs.line);
	free(p);
	return ret;
}
