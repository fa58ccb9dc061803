/* SPDX-License-Identifier: MIT */
/*
 * Reading values of a topology file: keys, numbers, sizes, strings, each
 * checked for type and range, with the JSON path in every error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_json.h"

/* ---- values ------------------------------------------------------------ */

const char *pdma__jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	default: return "null";
	}
}

/* A printable, bounded copy of user text for messages. */
const char *pdma__jshown(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 4 < len; s++)
		buf[o++] = ((unsigned char)*s >= 0x20 && *s != 0x7f) ? *s : '?';
	if (*s)
		buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

static unsigned edit_distance(const char *a, const char *b)
{
	unsigned d[33][33];
	size_t la = strlen(a), lb = strlen(b);

	if (la > 32 || lb > 32)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			unsigned del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;

			d[i][j] = sub < del ? (sub < ins ? sub : ins) :
					      (del < ins ? del : ins);
		}
	return d[la][lb];
}

/* Reject keys that are not in @known (NULL-ended); "comment" is always ok. */
int pdma__jcheck_keys(struct pdma_jctx *c, json_t *obj,
		      const char *const *known, const char *what)
{
	const char *key, *best = NULL;
	unsigned best_d = 3;
	json_t *v;
	char kb[48];
	int ret;

	json_object_foreach(obj, key, v) {
		bool ok = !strcmp(key, "comment");

		for (const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(*k, key);
		if (ok)
			continue;
		for (const char *const *k = known; *k; k++) {
			unsigned d = edit_distance(key, *k);

			if (d < best_d) {
				best_d = d;
				best = *k;
			}
		}
		pdma__jpush_key(c, key);
		if (best)
			ret = pdma__jfail_key(c, "unknown key \"%s\" in %s (did you mean \"%s\"?)",
					      pdma__jshown(key, kb, sizeof(kb)), what,
					      best);
		else
			ret = pdma__jfail_key(c, "unknown key \"%s\" in %s (see docs/topology-format.md)",
					      pdma__jshown(key, kb, sizeof(kb)), what);
		pdma__jpop(c);
		return ret;
	}
	return 0;
}

/* A number written as an integer or as text ("0x1b36", "42"). */
int pdma__jnum_value(struct pdma_jctx *c, json_t *v, int64_t min, int64_t max,
		     bool hex, int64_t *out)
{
	char sb[48];
	int64_t x;

	if (json_is_integer(v)) {
		x = (int64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		bool neg = s[0] == '-';
		uint64_t u;

		if (pdma__topo_parse_u64(s + neg, &u) || u > INT64_MAX)
			return pdma__jfail(c, "\"%s\" is not a number (write 42 or \"0x2a\")",
					   pdma__jshown(s, sb, sizeof(sb)));
		x = neg ? -(int64_t)u : (int64_t)u;
	} else {
		return pdma__jfail(c, "expected a number, not %s", pdma__jtype(v));
	}
	if (x < min || x > max) {
		if (hex && x >= 0)
			return pdma__jfail(c, "0x%" PRIx64 " is out of range (0x%" PRIx64 " to 0x%" PRIx64 ")",
					   (uint64_t)x, (uint64_t)min,
					   (uint64_t)max);
		return pdma__jfail(c, "%" PRId64 " is out of range (%" PRId64 " to %" PRId64 ")",
				   x, min, max);
	}
	*out = x;
	return 0;
}

/* obj[key] as a number in [min, max]; *got (may be NULL) says if present. */
int pdma__jget_num(struct pdma_jctx *c, json_t *obj, const char *key,
		   int64_t min, int64_t max, bool hex, int64_t *out, bool *got)
{
	json_t *v = json_object_get(obj, key);
	int ret;

	if (got)
		*got = v != NULL;
	if (!v)
		return 0;
	pdma__jpush_key(c, key);
	ret = pdma__jnum_value(c, v, min, max, hex, out);
	pdma__jpop(c);
	return ret;
}

/* Unsigned 64-bit values (addresses), integer or text. */
int pdma__jget_u64(struct pdma_jctx *c, json_t *obj, const char *key,
		   uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	char sb[48];
	int ret = 0;

	if (!v)
		return 0;
	pdma__jpush_key(c, key);
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		*out = (uint64_t)json_integer_value(v);
	else if (!json_is_string(v) ||
		 pdma__topo_parse_u64(json_string_value(v), out))
		ret = pdma__jfail(c, "expected an address such as \"0xfb000000\", not %s",
				  json_is_string(v) ?
					  pdma__jshown(json_string_value(v), sb, sizeof(sb)) :
					  pdma__jtype(v));
	pdma__jpop(c);
	return ret;
}

int pdma__jget_size(struct pdma_jctx *c, json_t *obj, const char *key,
		    uint64_t *out, bool *got)
{
	json_t *v = json_object_get(obj, key);
	const char *why = "";
	char sb[48];
	int ret = 0, r;

	if (got)
		*got = v != NULL;
	if (!v)
		return 0;
	pdma__jpush_key(c, key);
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		r = pdma__topo_size_parse(json_string_value(v), out, &why);
		if (r == -ERANGE)
			ret = pdma__jfail(c, "size \"%s\" does not fit in 64 bits",
					  pdma__jshown(json_string_value(v), sb, sizeof(sb)));
		else if (r)
			ret = pdma__jfail(c, "bad size \"%s\": %s",
					  pdma__jshown(json_string_value(v), sb, sizeof(sb)),
					  why);
	} else {
		ret = pdma__jfail(c, "expected a size such as \"16M\" or 4096, not %s",
				  pdma__jtype(v));
	}
	pdma__jpop(c);
	return ret;
}

int pdma__jget_bool(struct pdma_jctx *c, json_t *obj, const char *key,
		    bool *out, bool *got)
{
	json_t *v = json_object_get(obj, key);
	int ret = 0;

	if (got)
		*got = v != NULL;
	if (!v)
		return 0;
	pdma__jpush_key(c, key);
	if (json_is_boolean(v))
		*out = json_is_true(v);
	else
		ret = pdma__jfail(c, "expected true or false, not %s",
				  pdma__jtype(v));
	pdma__jpop(c);
	return ret;
}

/* A string that must fit @cap bytes (NUL included). */
int pdma__jget_str(struct pdma_jctx *c, json_t *obj, const char *key,
		   char *dst, size_t cap, bool *got)
{
	json_t *v = json_object_get(obj, key);
	int ret = 0;

	if (got)
		*got = v != NULL;
	if (!v)
		return 0;
	pdma__jpush_key(c, key);
	if (!json_is_string(v))
		ret = pdma__jfail(c, "expected a string, not %s", pdma__jtype(v));
	else if (json_string_length(v) >= cap)
		ret = pdma__jfail(c, "too long: %zu characters, at most %zu",
				  json_string_length(v), cap - 1);
	else
		memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	pdma__jpop(c);
	return ret;
}

int pdma__jfail_at(struct pdma_jctx *c, const char *key, const char *fmt,
		   ...)
{
	char why[384];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pdma__jpush_key(c, key);
	ret = pdma__jfail(c, "%s", why);
	pdma__jpop(c);
	return ret;
}
