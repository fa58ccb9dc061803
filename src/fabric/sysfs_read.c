// SPDX-License-Identifier: MIT
/*
 * Small readers for sysfs attribute files and links, and the parsers of
 * their values.  Shared by the loader and the snapshot writer.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs.h"

const char *const pdma__sysfs_func_files[] = {
	"vendor", "device", "class", "subsystem_vendor", "subsystem_device",
	"revision", "config", "resource", "numa_node",
	"current_link_speed", "current_link_width",
	"max_link_speed", "max_link_width",
	"secondary_bus_number", "subordinate_bus_number",
	NULL,
};

const char *const pdma__sysfs_func_links[] = {
	"driver", "iommu_group", "firmware_node", "physfn", NULL,
};

const char *const pdma__sysfs_p2pmem_files[] = {
	"size", "available", "published", NULL,
};

int pdma__path_join(char *buf, size_t size, const char *a, const char *b)
{
	size_t la = strlen(a);
	int n;

	while (la > 1 && a[la - 1] == '/')
		la--;
	if (!b || !*b)
		n = snprintf(buf, size, "%.*s", (int)la, a);
	else if (la == 1 && a[0] == '/')
		n = snprintf(buf, size, "/%s", b);
	else
		n = snprintf(buf, size, "%.*s/%s", (int)la, a, b);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int pdma__read_bytes(const char *path, void *buf, size_t size, size_t *len)
{
	size_t got = 0;
	ssize_t n;
	int fd, ret = 0;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while (got < size) {
		n = read(fd, (char *)buf + got, size - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return ret;
}

int pdma__read_line(const char *path, char *buf, size_t size)
{
	char tmp[512];
	size_t len, start = 0;
	int ret;

	ret = pdma__read_bytes(path, tmp, sizeof(tmp), &len);
	if (ret)
		return ret;
	if (len == sizeof(tmp))
		return -EFBIG;
	while (len && isspace((unsigned char)tmp[len - 1]))
		len--;
	while (start < len && isspace((unsigned char)tmp[start]))
		start++;
	if (memchr(tmp + start, '\0', len - start) ||
	    memchr(tmp + start, '\n', len - start))
		return -EINVAL;
	if (len - start >= size)
		return -EFBIG;
	memcpy(buf, tmp + start, len - start);
	buf[len - start] = '\0';
	return 0;
}

int pdma__read_link(const char *path, char *buf, size_t size)
{
	struct stat st;
	ssize_t n;
	size_t len;
	int ret;

	if (lstat(path, &st))
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, buf, size);
		if (n < 0)
			return -errno;
		if ((size_t)n >= size)
			return -ENAMETOOLONG;
		buf[n] = '\0';
		return 0;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size >= PATH_MAX)
		return -EINVAL;
	if ((size_t)st.st_size >= size)
		return -ENAMETOOLONG;
	ret = pdma__read_bytes(path, buf, size - 1, &len);
	if (ret)
		return ret;
	if (!len || memchr(buf, '\n', len) || memchr(buf, '\0', len))
		return -EINVAL;
	buf[len] = '\0';
	return 0;
}

const char *pdma__basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Append component @c (@n bytes) to the normalized path in @out. */
static int push_comp(char *out, size_t size, size_t *len, const char *c,
		     size_t n)
{
	if (n == 0 || (n == 1 && c[0] == '.'))
		return 0;
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		char *slash;

		if (!*len)
			return -EXDEV;
		out[*len] = '\0';
		slash = strrchr(out, '/');
		*len = slash ? (size_t)(slash - out) : 0;
		out[*len] = '\0';
		return 0;
	}
	if (*len + !!*len + n >= size)
		return -ENAMETOOLONG;
	if (*len)
		out[(*len)++] = '/';
	memcpy(out + *len, c, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

static int push_path(char *out, size_t size, size_t *len, const char *p)
{
	while (*p) {
		size_t n = strcspn(p, "/");
		int ret = push_comp(out, size, len, p, n);

		if (ret)
			return ret;
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

int pdma__resolve_rel(const char *dir_rel, const char *target,
		      bool root_is_slash, char *out, size_t size)
{
	size_t len = 0;
	int ret;

	if (!size)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (target[0] == '/') {
		if (!root_is_slash)
			return -EXDEV;
	} else {
		ret = push_path(out, size, &len, dir_rel);
		if (ret)
			return ret;
	}
	return push_path(out, size, &len, target);
}

int pdma__parse_hex(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!isxdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int pdma__parse_dec(const char *s, long long min, long long max,
		    long long *out)
{
	const char *d = s[0] == '-' ? s + 1 : s;
	long long v;
	char *end;

	if (!isdigit((unsigned char)d[0]))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int pdma__parse_link_speed(const char *s, int *gen)
{
	/* tenths of GT/s per generation */
	static const int rate[] = { 25, 50, 80, 160, 320, 640 };
	int whole = 0, tenth = 0, digits = 0;
	const char *p = s;

	*gen = 0;
	if (!strcmp(s, "Unknown") || !strcmp(s, "Unknown speed"))
		return 0;
	while (isdigit((unsigned char)*p) && digits < 4) {
		whole = whole * 10 + (*p++ - '0');
		digits++;
	}
	if (!digits)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		tenth = *p++ - '0';
		while (*p == '0')
			p++;
	}
	if (strcmp(p, " GT/s PCIe") && strcmp(p, " GT/s") &&
	    strcmp(p, "GT/s"))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(rate) / sizeof(rate[0]); i++)
		if (rate[i] == whole * 10 + tenth) {
			*gen = (int)i + 1;
			return 0;
		}
	return -ERANGE;
}

bool pdma__looks_like_bdf(const char *name)
{
	int colons = 0, dots = 0, seg = 0;

	for (const char *p = name; *p; p++) {
		if (*p == ':' || *p == '.') {
			if (!seg || dots || (*p == '.' && colons != 2))
				return false;
			if (*p == ':')
				colons++;
			else
				dots++;
			seg = 0;
		} else if (isalnum((unsigned char)*p)) {
			seg++;
		} else {
			return false;
		}
	}
	return colons == 2 && dots == 1 && seg;
}

/* @n hex digits exactly at @s into @v. */
static bool hexfield(const char *s, size_t n, unsigned long *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		int c = tolower((unsigned char)s[i]);

		if (!isxdigit(c))
			return false;
		*v = *v * 16 + (unsigned long)(isdigit(c) ? c - '0' :
					       c - 'a' + 10);
	}
	return true;
}

int pdma__parse_bdf_name(const char *name, uint16_t *domain, uint8_t *bus,
			 uint8_t *dev, uint8_t *fn)
{
	size_t dl = strcspn(name, ":");
	const char *p = name + dl;
	unsigned long d, b, v, f;

	if (dl < 4 || dl > 8 || !hexfield(name, dl, &d))
		return -EINVAL;
	if (strlen(p) != 8 || p[0] != ':' || p[3] != ':' || p[6] != '.' ||
	    !hexfield(p + 1, 2, &b) || !hexfield(p + 4, 2, &v) ||
	    !hexfield(p + 7, 1, &f) || v > 31 || f > 7)
		return -EINVAL;
	if (d > 0xffff)
		return -ERANGE;
	*domain = (uint16_t)d;
	*bus = (uint8_t)b;
	*dev = (uint8_t)v;
	*fn = (uint8_t)f;
	return 0;
}

/* ---- the scanned tree ---------------------------------------------- */

int pdma__sysfs_full(const struct pdma__sysfs_tree *t, const char *rel,
		     const char *leaf, char *buf, size_t size)
{
	char tmp[PATH_MAX];
	int ret;

	ret = pdma__path_join(tmp, sizeof(tmp), t->root, rel);
	if (ret)
		return ret;
	return pdma__path_join(buf, size, tmp, leaf);
}

void pdma__sysfs_tree_release(struct pdma__sysfs_tree *t)
{
	for (int i = 0; i < t->nr_hbs; i++)
		free(t->hbs[i].rel);
	free(t->hbs);
	for (int i = 0; i < t->nr_fns; i++)
		free(t->fns[i].rel);
	free(t->fns);
	for (int i = 0; i < t->nr_links; i++) {
		free(t->links[i].name);
		free(t->links[i].target);
	}
	free(t->links);
	for (int i = 0; i < t->nr_notes; i++)
		free(t->notes[i]);
	free(t->notes);
	memset(t, 0, sizeof(*t));
}
