/* SPDX-License-Identifier: MIT */
/*
 * Names and text forms of the topology-file schema, shared by the JSON
 * loader and exporter.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo_json.h"

const struct pdma_topo_kind pdma__topo_kinds[] = {
	{ "endpoint", 0, PDMA_PCIE_ENDPOINT, 0 },
	{ "legacy_endpoint", 0, PDMA_PCIE_LEGACY_ENDPOINT, 0 },
	{ "rciep", 0, PDMA_PCIE_RC_INTEGRATED, 0 },
	{ "rc_event_collector", 0, PDMA_PCIE_RC_EVENT_COLLECTOR, 0x080700 },
	{ "pci_device", 0, PDMA_PCIE_NONE, 0 },
	{ "root_port", 1, PDMA_PCIE_ROOT_PORT, 0x060400 },
	{ "switch_upstream", 1, PDMA_PCIE_UPSTREAM, 0x060400 },
	{ "switch_downstream", 1, PDMA_PCIE_DOWNSTREAM, 0x060400 },
	{ "pcie_to_pci_bridge", 1, PDMA_PCIE_PCIE_TO_PCI, 0x060400 },
	{ "pci_to_pcie_bridge", 1, PDMA_PCIE_PCI_TO_PCIE, 0x060400 },
	{ "pci_bridge", 1, PDMA_PCIE_NONE, 0x060400 },
	{ "cardbus_bridge", 2, PDMA_PCIE_NONE, 0x060700 },
	{ NULL, 0, 0, 0 },
};

/* Aliases the loader accepts; the exporter writes the canonical names. */
static const struct pdma_topo_kind kind_aliases[] = {
	{ "host_bridge", 0, PDMA_PCIE_NONE, 0x060000 },
	{ NULL, 0, 0, 0 },
};

const struct pdma_topo_kind *pdma__topo_kind_find(const char *name)
{
	for (const struct pdma_topo_kind *k = pdma__topo_kinds; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	for (const struct pdma_topo_kind *k = kind_aliases; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

const struct pdma_topo_kind *pdma__topo_kind_of(uint8_t header_type,
						int pcie_type)
{
	for (const struct pdma_topo_kind *k = pdma__topo_kinds; k->name; k++)
		if (k->header_type == header_type && k->pcie_type == pcie_type)
			return k;
	return NULL;
}

static const struct {
	const char *name;
	uint32_t code;
} class_tab[] = {
	{ "nvme", 0x010802 },
	{ "sata", 0x010601 },
	{ "raid", 0x010400 },
	{ "ethernet", 0x020000 },
	{ "nic", 0x020000 },
	{ "infiniband", 0x020700 },
	{ "vga", 0x030000 },
	{ "gpu", 0x030200 },
	{ "memory", 0x050000 },
	{ "host_bridge", 0x060000 },
	{ "isa_bridge", 0x060100 },
	{ "pci_bridge", 0x060400 },
	{ "system", 0x088000 },
	{ "crypto", 0x108000 },
	{ "usb", 0x0c0330 },
	{ "smbus", 0x0c0500 },
	{ "accel", 0x120000 },
};

int pdma__topo_class_parse(const char *name, uint32_t *code)
{
	for (size_t i = 0; i < sizeof(class_tab) / sizeof(class_tab[0]); i++)
		if (!strcmp(class_tab[i].name, name)) {
			*code = class_tab[i].code;
			return 0;
		}
	return -EINVAL;
}

const char *pdma__topo_class_names(void)
{
	return "nvme, sata, raid, ethernet, nic, infiniband, vga, gpu, memory, host_bridge, isa_bridge, pci_bridge, system, crypto, usb, smbus, accel";
}

static const char *const cpu_names[] = {
	[PDMA_CPU_UNKNOWN] = "unknown",
	[PDMA_CPU_INTEL] = "intel",
	[PDMA_CPU_AMD] = "amd",
	[PDMA_CPU_OTHER] = "other",
};

const char *pdma__topo_cpu_name(enum pdma_cpu_vendor v)
{
	if ((unsigned)v >= sizeof(cpu_names) / sizeof(cpu_names[0]))
		return "unknown";
	return cpu_names[v];
}

int pdma__topo_cpu_parse(const char *s, enum pdma_cpu_vendor *v)
{
	for (size_t i = 0; i < sizeof(cpu_names) / sizeof(cpu_names[0]); i++)
		if (!strcmp(cpu_names[i], s)) {
			*v = (enum pdma_cpu_vendor)i;
			return 0;
		}
	return -EINVAL;
}

int pdma__topo_iommu_parse(const char *s, enum pdma_iommu_type *t)
{
	static const enum pdma_iommu_type all[] = {
		PDMA_IOMMU_NONE, PDMA_IOMMU_DMA, PDMA_IOMMU_IDENTITY,
		PDMA_IOMMU_BLOCKED, PDMA_IOMMU_UNMANAGED,
	};

	if (!strcmp(s, "DMA-FQ")) {
		*t = PDMA_IOMMU_DMA;
		return 0;
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(pdma_iommu_type_name(all[i]), s)) {
			*t = all[i];
			return 0;
		}
	return -EINVAL;
}

int pdma__topo_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10;
	unsigned d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			d = (unsigned)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return 0;
}

static const char units[] = "KMGTPE";

int pdma__topo_size_parse(const char *s, uint64_t *out, const char **why)
{
	char num[32];
	const char *u;
	size_t n;
	uint64_t v;
	int shift = 0, ret;

	*why = "expected a size such as 4096, \"16M\", \"1G\" or \"0x1000000\"";
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return pdma__topo_parse_u64(s, out);
	for (n = 0; isdigit((unsigned char)s[n]); n++)
		;
	if (!n || n >= sizeof(num))
		return n ? -ERANGE : -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	u = s + n;
	if (*u) {
		const char *p = strchr(units, *u);

		if (!p || !*p) {
			*why = "unknown unit (use K, M, G, T, P or E: binary, 1K = 1024)";
			return -EINVAL;
		}
		shift = 10 * (int)(p - units + 1);
		u++;
		if (*u == 'B') {
			*why = "\"MB\" is ambiguous: write \"16M\" or \"16MiB\" (binary units)";
			return -EINVAL;
		}
		if (!strcmp(u, "iB"))
			u += 2;
		if (*u) {
			*why = "unexpected text after the unit";
			return -EINVAL;
		}
	}
	ret = pdma__topo_parse_u64(num, &v);
	if (ret)
		return ret;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

void pdma__topo_size_format(uint64_t v, char *buf, size_t len)
{
	int i = -1;

	buf[0] = '\0';
	if (!v || (v & 1023))
		return;
	while (i < 5 && !(v & 1023)) {
		v >>= 10;
		i++;
	}
	snprintf(buf, len, "%" PRIu64 "%c", v, units[i]);
}

/* "16", "2.5", "16.0" followed by "GT/s" (optional space): a generation. */
static int parse_gts(const char *s, const char **end, int *gen)
{
	static const struct {
		const char *txt;
		int gen;
	} tab[] = {
		{ "2.5", 1 }, { "5.0", 2 }, { "8.0", 3 }, { "16.0", 4 },
		{ "32.0", 5 }, { "64.0", 6 }, { "5", 2 }, { "8", 3 },
		{ "16", 4 }, { "32", 5 }, { "64", 6 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		size_t n = strlen(tab[i].txt);
		const char *p = s + n;

		if (strncmp(s, tab[i].txt, n))
			continue;
		if (*p == ' ')
			p++;
		if (strncmp(p, "GT/s", 4))
			continue;
		*gen = tab[i].gen;
		*end = p + 4;
		return 0;
	}
	return -EINVAL;
}

int pdma__topo_link_parse(const char *s, struct pdma_link *out)
{
	struct pdma_link l = { 0, 0 };
	const char *p = s;
	uint64_t v;
	char num[8];
	size_t n;

	if (!strncmp(p, "gen", 3)) {
		if (p[3] < '1' || p[3] > '6' || isdigit((unsigned char)p[4]))
			return -EINVAL;
		l.gen = p[3] - '0';
		p += 4;
	} else if (isdigit((unsigned char)*p)) {
		if (parse_gts(p, &p, &l.gen))
			return -EINVAL;
	}
	if (l.gen && *p) {
		if (*p != ' ')
			return -EINVAL;
		p++;
	}
	if (*p == 'x') {
		p++;
		for (n = 0; isdigit((unsigned char)p[n]); n++)
			;
		if (!n || n > 2 || p[n])
			return -EINVAL;
		memcpy(num, p, n);
		num[n] = '\0';
		if (pdma__topo_parse_u64(num, &v) || v < 1 || v > 32)
			return -EINVAL;
		l.width = (int)v;
		p += n;
	}
	if (*p || (!l.gen && !l.width))
		return -EINVAL;
	*out = l;
	return 0;
}

void pdma__topo_link_format(struct pdma_link l, char *buf, size_t len)
{
	if (l.gen && l.width)
		snprintf(buf, len, "gen%d x%d", l.gen, l.width);
	else if (l.gen)
		snprintf(buf, len, "gen%d", l.gen);
	else if (l.width)
		snprintf(buf, len, "x%d", l.width);
	else
		buf[0] = '\0';
}
