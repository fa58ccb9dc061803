// SPDX-License-Identifier: MIT
/*
 * /proc/cpuinfo and /proc/cmdline: the two things outside the PCI bus that
 * the kernel's P2P verdicts depend on (the CPU decides whether the host
 * bridge may carry P2P traffic) or that people want to see (the command
 * line holds pci=disable_acs_redir= and intel_iommu=).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpuinfo.h"

/* /proc/cpuinfo of a 512-CPU machine is a few MiB; one block is enough. */
#define CPUINFO_MAX	(256 * 1024)

/* Read at most @max bytes of @path into a NUL-terminated buffer. */
static int slurp(const char *path, size_t max, char **out, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf, *nbuf;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto err_close;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= max)
				break;
			cap *= 2;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				ret = -ENOMEM;
				goto err_free;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto err_free;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	return 0;

err_free:
	free(buf);
err_close:
	close(fd);
	return ret;
}

/* Copy @s (@n bytes) into @dst without surrounding blanks. */
static void copy_trimmed(char *dst, size_t size, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/*
 * Split "key<tabs/spaces>: value" into a trimmed key and the value part.
 * Return false for a line without a colon.
 */
static bool split_line(const char *line, size_t n, char *key, size_t ksize,
		       const char **val, size_t *vlen)
{
	const char *colon = memchr(line, ':', n);

	if (!colon)
		return false;
	copy_trimmed(key, ksize, line, colon - line);
	*val = colon + 1;
	*vlen = n - (colon + 1 - line);
	return true;
}

int pdma__cpuinfo_parse(const char *buf, size_t len,
			struct pdma_platform_info *pi)
{
	const char *p = buf, *end = buf + len;
	bool have_vendor = false, have_arm = false, have_family = false;
	enum pdma_cpu_vendor vendor = PDMA_CPU_UNKNOWN;
	int nr_processor = 0;
	char model[sizeof(pi->cpu_model)] = "";
	char fam[24] = "";

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *val;
		size_t vlen;
		char key[32], v[64];

		if (n == 0 || (n == 1 && p[0] == '\r')) {
			/* a blank line ends the first processor block */
			if (have_vendor || have_arm || nr_processor)
				break;
			p += n + 1;
			continue;
		}
		if (!split_line(p, n, key, sizeof(key), &val, &vlen))
			goto next;
		/*
		 * Some captures keep only a few lines per CPU and no blank
		 * line between them: a key seen twice starts CPU 1.
		 */
		if (!strcmp(key, "processor")) {
			if (nr_processor++)
				break;
		} else if (!strcmp(key, "vendor_id")) {
			if (have_vendor)
				break;
			have_vendor = true;
			copy_trimmed(v, sizeof(v), val, vlen);
			if (!strcmp(v, "GenuineIntel"))
				vendor = PDMA_CPU_INTEL;
			else if (!strcmp(v, "AuthenticAMD"))
				vendor = PDMA_CPU_AMD;
			else
				vendor = PDMA_CPU_OTHER;
		} else if (!strcmp(key, "CPU implementer")) {
			/* arm64 has no vendor_id: it is neither Intel nor AMD */
			have_arm = true;
		} else if (!strcmp(key, "cpu family")) {
			if (have_family)
				break;
			have_family = true;
			copy_trimmed(fam, sizeof(fam), val, vlen);
		} else if (!strcmp(key, "model name")) {
			if (model[0])
				break;
			copy_trimmed(model, sizeof(model), val, vlen);
		}
next:
		if (!nl)
			break;
		p = nl + 1;
	}

	if (!have_vendor && !have_arm)
		return -EINVAL;
	pi->cpu_vendor = have_vendor ? vendor : PDMA_CPU_OTHER;
	pi->cpu_family = 0;
	if (have_family) {
		char *e;
		long f;

		errno = 0;
		f = strtol(fam, &e, 10);
		if (!fam[0] || *e || errno || f < 0 || f > 0xffff)
			return -EINVAL;
		pi->cpu_family = (int)f;
	}
	memcpy(pi->cpu_model, model, sizeof(model));
	return 0;
}

int pdma__cpuinfo_read(const char *path, struct pdma_platform_info *pi)
{
	size_t len;
	char *buf;
	int ret;

	ret = slurp(path, CPUINFO_MAX, &buf, &len);
	if (ret)
		return ret;
	ret = pdma__cpuinfo_parse(buf, len, pi);
	free(buf);
	if (ret)
		return ret;
	snprintf(pi->cpu_source, sizeof(pi->cpu_source), "%s", path);
	return 0;
}

int pdma__cmdline_read(const char *path, struct pdma_platform_info *pi)
{
	size_t len, i;
	char *buf;
	int ret;

	ret = slurp(path, sizeof(pi->cmdline) * 2, &buf, &len);
	if (ret)
		return ret;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\0' ||
		       buf[len - 1] == ' '))
		len--;
	for (i = 0; i < len; i++)
		if (iscntrl((unsigned char)buf[i]))
			buf[i] = ' ';
	copy_trimmed(pi->cmdline, sizeof(pi->cmdline), buf, len);
	free(buf);
	return 0;
}
