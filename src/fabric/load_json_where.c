/* SPDX-License-Identifier: MIT */
/*
 * Where in a topology file: JSON paths ($.host_bridges[0].children[2]) and
 * the line and column their values start at, for one-line errors.
 *
 * jansson keeps no positions for parsed values, so the position is found
 * again in the text by walking it along the path.  The text has already
 * been parsed, so the walk may assume valid JSON; it still checks every
 * bound, and gives up (no line, no column) rather than guess.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_json.h"

void pdma__jpush_key(struct pdma_jctx *c, const char *key)
{
	if (c->nsegs < PDMA_JSON_MAX_SEGS) {
		c->segs[c->nsegs].key = key;
		c->segs[c->nsegs].idx = -1;
	}
	c->nsegs++;
}

void pdma__jpush_idx(struct pdma_jctx *c, int idx)
{
	if (c->nsegs < PDMA_JSON_MAX_SEGS) {
		c->segs[c->nsegs].key = NULL;
		c->segs[c->nsegs].idx = idx;
	}
	c->nsegs++;
}

void pdma__jpop(struct pdma_jctx *c)
{
	if (c->nsegs > 0)
		c->nsegs--;
}

void pdma__jpath_node(struct pdma_jctx *c, int n, int hb)
{
	int chain[PDMA_JSON_MAX_DEPTH + 2], depth = 0;

	c->nsegs = 0;
	if (n >= 0)
		hb = c->nodes[n].hb;
	pdma__jpush_key(c, "host_bridges");
	pdma__jpush_idx(c, hb);
	for (; n >= 0 && depth < PDMA_JSON_MAX_DEPTH + 2;
	     n = c->nodes[n].parent)
		chain[depth++] = n;
	while (depth--) {
		pdma__jpush_key(c, "children");
		pdma__jpush_idx(c, c->nodes[chain[depth]].slot);
	}
}

/* ---- the path as text -------------------------------------------------- */

static bool is_ident(const char *s)
{
	if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		     *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static size_t seg_text(const struct pdma_jseg *s, char *buf, size_t len)
{
	char k[48];
	size_t j = 0;

	if (!s->key)
		return (size_t)snprintf(buf, len, "[%d]", s->idx);
	if (is_ident(s->key))
		return (size_t)snprintf(buf, len, ".%.40s", s->key);
	for (const char *p = s->key; *p && j < sizeof(k) - 4; p++)
		k[j++] = (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') ?
				 *p : '?';
	if (strlen(s->key) > j)
		k[j++] = '.', k[j++] = '.', k[j++] = '.';
	k[j] = '\0';
	return (size_t)snprintf(buf, len, "[\"%s\"]", k);
}

/*
 * "$.host_bridges[0].children[2]"; a long path keeps its first and last
 * segments around "...".
 */
void pdma__jpath_text(const struct pdma_jctx *c, char *buf, size_t len)
{
	int n = c->nsegs < PDMA_JSON_MAX_SEGS ? c->nsegs : PDMA_JSON_MAX_SEGS;
	size_t o;

	o = (size_t)snprintf(buf, len, "$");
	for (int i = 0; i < n && o < len; i++) {
		if (n > 16 && i == 6) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			i = n - 8;
			continue;
		}
		o += seg_text(&c->segs[i], buf + o, len - o);
	}
}

/* ---- finding a path in the text --------------------------------------- */

struct scan {
	const char *b;
	size_t len, p;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->len && (s->b[s->p] == ' ' || s->b[s->p] == '\t' ||
				 s->b[s->p] == '\n' || s->b[s->p] == '\r'))
		s->p++;
}

/* At a '"': move past the closing quote. */
static bool skip_string(struct scan *s)
{
	s->p++;
	while (s->p < s->len && s->b[s->p] != '"')
		s->p += s->b[s->p] == '\\' ? 2 : 1;
	if (s->p >= s->len)
		return false;
	s->p++;
	return true;
}

static bool skip_value(struct scan *s)
{
	int depth = 0;

	if (s->p >= s->len)
		return false;
	if (s->b[s->p] == '"')
		return skip_string(s);
	if (s->b[s->p] != '{' && s->b[s->p] != '[') {
		while (s->p < s->len && !strchr(",}] \t\r\n", s->b[s->p]))
			s->p++;
		return true;
	}
	while (s->p < s->len) {
		char ch = s->b[s->p];

		if (ch == '"') {
			if (!skip_string(s))
				return false;
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']')
			depth--;
		s->p++;
		if (!depth)
			return true;
	}
	return false;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned hex4(const char *t)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(t[i]);

		if (h < 0)
			return 0xffffffffu;
		v = v << 4 | (unsigned)h;
	}
	return v;
}

/* Does the string token t[0..n) (quotes included) decode to @key? */
static bool token_is(const char *t, size_t n, const char *key)
{
	char *d = malloc(n + 1);
	size_t o = 0;
	bool eq;

	if (!d)
		return false;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned cp;

		if (t[i] != '\\') {
			d[o++] = t[i];
			continue;
		}
		if (++i + 1 >= n)
			break;
		switch (t[i]) {
		case 'b': d[o++] = '\b'; break;
		case 'f': d[o++] = '\f'; break;
		case 'n': d[o++] = '\n'; break;
		case 'r': d[o++] = '\r'; break;
		case 't': d[o++] = '\t'; break;
		case 'u':
			if (i + 5 > n)
				goto out;
			cp = hex4(t + i + 1);
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 7 < n &&
			    t[i + 1] == '\\' && t[i + 2] == 'u') {
				unsigned lo = hex4(t + i + 3);

				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp > 0x10ffff)
				goto out;
			o += put_utf8(d + o, cp);
			break;
		default:
			d[o++] = t[i];
			break;
		}
	}
out:
	d[o] = '\0';
	eq = o == strlen(key) && !memcmp(d, key, o);
	free(d);
	return eq;
}

/*
 * Offset of the value at the path (of its key, with @want_key, when the
 * last segment is a key), or -1.
 */
static long locate(const struct pdma_jctx *c, bool want_key)
{
	struct scan s = { c->buf, c->len, 0 };
	int n = c->nsegs;

	if (!c->buf || n > PDMA_JSON_MAX_SEGS)
		return -1;
	skip_ws(&s);
	for (int i = 0; i < n; i++) {
		const struct pdma_jseg *g = &c->segs[i];
		bool found = false;

		if (s.p >= s.len || s.b[s.p] != (g->key ? '{' : '['))
			return -1;
		s.p++;
		for (int k = 0; !found; k++) {
			skip_ws(&s);
			if (s.p >= s.len || s.b[s.p] == '}' || s.b[s.p] == ']')
				return -1;
			if (g->key) {
				size_t ks = s.p;

				if (s.b[s.p] != '"' || !skip_string(&s))
					return -1;
				found = token_is(s.b + ks, s.p - ks, g->key);
				if (found && want_key && i == n - 1)
					return (long)ks;
				skip_ws(&s);
				if (s.p >= s.len || s.b[s.p] != ':')
					return -1;
				s.p++;
				skip_ws(&s);
			} else {
				found = k == g->idx;
			}
			if (found)
				break;
			if (!skip_value(&s))
				return -1;
			skip_ws(&s);
			if (s.p < s.len && s.b[s.p] == ',')
				s.p++;
		}
	}
	skip_ws(&s);
	return s.p < s.len ? (long)s.p : -1;
}

static void line_col(const char *b, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (b[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)b[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int vfail(struct pdma_jctx *c, bool at_key, const char *fmt,
		 va_list ap)
{
	char why[384], path[160];
	long off = locate(c, at_key);

	vsnprintf(why, sizeof(why), fmt, ap);
	pdma__jpath_text(c, path, sizeof(path));
	if (off >= 0) {
		int line, col;

		line_col(c->buf, (size_t)off, &line, &col);
		pdma__err(c->err, "%s:%d:%d: at %s: %s", c->name, line, col,
			  path, why);
	} else {
		pdma__err(c->err, "%s: at %s: %s", c->name, path, why);
	}
	return -EINVAL;
}

int pdma__jfail(struct pdma_jctx *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(c, false, fmt, ap);
	va_end(ap);
	return ret;
}

int pdma__jfail_key(struct pdma_jctx *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(c, true, fmt, ap);
	va_end(ap);
	return ret;
}
