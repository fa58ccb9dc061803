// SPDX-License-Identifier: MIT
/*
 * peerdma explain PROVIDER CLIENT: the kernel's reasoning for one pair,
 * the route hop by hop, the narrowest link and the fix.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *class_text(enum pdma_path_class c)
{
	switch (c) {
	case PDMA_PATH_X:
		return "the same function";
	case PDMA_PATH_PIX:
		return "through at most one PCIe switch or bridge";
	case PDMA_PATH_PXB:
		return "through several PCIe switches, not the host bridge";
	case PDMA_PATH_PHB:
		return "through a host bridge (root complex)";
	case PDMA_PATH_NODE:
		return "between host bridges of one NUMA node";
	case PDMA_PATH_SYS:
		return "between NUMA nodes (SMP interconnect)";
	}
	return "?";
}

static const char *map_text(enum pdma_map_type t)
{
	switch (t) {
	case PDMA_MAP_BUS_ADDR:
		return "P2P allowed; the client uses the provider's PCI bus address and the TLPs turn around below the root complex";
	case PDMA_MAP_THRU_HOST_BRIDGE:
		return "P2P allowed through the root complex; memory is mapped like RAM (through the IOMMU if one translates)";
	case PDMA_MAP_NOT_SUPPORTED:
		return "the kernel refuses P2P for this pair (pci_p2pdma_distance() = -1, mapping fails with EREMOTEIO)";
	default:
		return "unknown";
	}
}

static void print_end(const struct pdma_fabric *fab, const char *tag, int idx)
{
	const struct pdma_func_info *fi = pdma_fabric_func(fab, idx);
	char b[16], s[16];

	printf("%-9s %s%s%s  %s%s%s  %s  %s", tag, out_c(C_BOLD),
	       pdma_bdf_format(fi, b, sizeof(b)), out_c(C_RESET), out_c(C_CYAN),
	       fi->label, out_c(C_RESET), pdma_role_name(fi->role),
	       fi->name[0] ? fi->name : "(unknown device)");
	if (fi->p2pmem.present)
		printf("  [p2pmem %s%s]", out_size(fi->p2pmem.size, s, sizeof(s)),
		       fi->p2pmem.published ? ", published" : "");
	printf("\n");
}

static void print_hop(const struct pdma_fabric *fab, const struct pdma_hop *h,
		      int n)
{
	char line[256], b[32], a[32];
	size_t len;

	if (h->is_host_bridge) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(fab, h->idx);

		len = (size_t)snprintf(line, sizeof(line),
				       "  %2d. %-12s  %-7s host bridge (root complex)",
				       n, hb->name, "");
		if (hb->numa_node >= 0 && len < sizeof(line))
			len += (size_t)snprintf(line + len, sizeof(line) - len,
						", NUMA node %d", hb->numa_node);
		if (hb->firmware_path[0] && len < sizeof(line))
			snprintf(line + len, sizeof(line) - len, ", %s",
				 hb->firmware_path);
		printf("%s\n", line);
		return;
	}

	const struct pdma_func_info *fi = pdma_fabric_func(fab, h->idx);

	len = (size_t)snprintf(line, sizeof(line), "  %2d. %s  %-7s %-17s", n,
			       pdma_bdf_format(fi, b, sizeof(b)), fi->label,
			       pdma_role_name(fi->role));
	if (fi->has_acs && out_acs_redir(fi->acs_ctrl, a, sizeof(a))[0] &&
	    len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"  ACS %s", a);
	else if (!fi->acs_known && pdma_fabric_is_bridge(fi) &&
		 len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"  ACS ?");
	if ((fi->link_cur.gen || fi->link_cur.width) && len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, "  link %s",
			 out_link(fi->link_cur, a, sizeof(a)));
	len = strlen(line);
	while (len && line[len - 1] == ' ')
		line[--len] = '\0';
	printf("%s\n", line);
}

/* How the kernel's distance is made up. */
static void print_distance(const struct pdma_fabric *fab,
			   const struct pdma_verdict *v)
{
	const struct pdma_func_info *pf = pdma_fabric_func(fab, v->provider);
	const struct pdma_func_info *cf = pdma_fabric_func(fab, v->client);
	const struct pdma_func_info *anc = v->ancestor >= 0 ?
		pdma_fabric_func(fab, v->ancestor) : NULL;
	char how[160] = "", b[16];
	int a, c;

	if (v->provider == v->client) {
		printf("Distance: 0 (the same function)\n");
		return;
	}
	if (anc) {
		/* hops from each end up to the bridge where the paths meet */
		a = pf->depth - anc->depth;
		c = cf->depth - anc->depth;
		snprintf(how, sizeof(how),
			 "%d hop%s up from the provider + %d from the client to %s (%s), where the paths meet",
			 a, a == 1 ? "" : "s", c, pdma_bdf_format(anc, b, sizeof(b)),
			 anc->label);
	} else {
		/* a device on a root bus has depth 1 */
		a = pf->depth + 1;
		c = cf->depth + 1;
		snprintf(how, sizeof(how),
			 "the depths of both ends below their root buses, %d + %d",
			 a, c);
	}
	if (a + c != v->raw_distance)
		how[0] = '\0';	/* not the kernel's way of counting: say nothing */
	if (v->map_type == PDMA_MAP_NOT_SUPPORTED)
		printf("Distance: -1 (the kernel computed %d%s%s, then rejected the pair)\n",
		       v->raw_distance, how[0] ? " = " : "", how);
	else
		printf("Distance: %d%s%s\n", v->distance, how[0] ? " = " : "",
		       how);
}

static void print_text(const struct pdma_fabric *fab,
		       const struct pdma_verdict *v)
{
	const struct pdma_func_info *pf = pdma_fabric_func(fab, v->provider);
	const char *col = v->map_type == PDMA_MAP_BUS_ADDR ? C_GREEN :
			  v->map_type == PDMA_MAP_THRU_HOST_BRIDGE ? C_YELLOW :
								      C_RED;
	char b[16], l[32];

	print_end(fab, "Provider:", v->provider);
	print_end(fab, "Client:", v->client);
	printf("\nVerdict:  %s%s%s: %s\n", out_c(col),
	       pdma_map_type_name(v->map_type), out_c(C_RESET),
	       map_text(v->map_type));
	print_distance(fab, v);
	printf("Class:    %s, %s\n", pdma_path_class_name(v->path_class),
	       class_text(v->path_class));
	printf("Route (%d hop%s):\n", v->nr_hops, v->nr_hops == 1 ? "" : "s");
	for (int i = 0; i < v->nr_hops; i++)
		print_hop(fab, &v->hops[i], i + 1);
	if (v->bottleneck_link >= 0) {
		const struct pdma_func_info *bl =
			pdma_fabric_func(fab, v->bottleneck_link);

		printf("Bottleneck: %.2f GB/s per direction, the link above %s (%s), %s\n",
		       v->bottleneck_gbps, pdma_bdf_format(bl, b, sizeof(b)),
		       bl->label, out_link(v->bottleneck_speed, l, sizeof(l)));
		if (v->modeled_gbps > 0)
			printf("Modeled:  %.2f GB/s of payload for one flow (link model: 256-byte payloads, TLP and DLLP overheads)\n",
			       v->modeled_gbps);
	} else if (v->provider != v->client) {
		printf("Bottleneck: unknown (no link speed on the route)\n");
	}
	if (v->nr_reasons) {
		printf("Why:\n");
		for (int i = 0; i < v->nr_reasons; i++)
			printf("  %d. [%s] %s\n", i + 1,
			       pdma_rule_name(v->reasons[i].rule),
			       v->reasons[i].text);
	}
	printf("Fix:      %s\n", v->fix[0] ? v->fix :
		       v->map_type == PDMA_MAP_BUS_ADDR ? "none needed" :
							   "none known");
	if (!pf->p2pmem.present && v->provider != v->client)
		printf("Note:     %s publishes no p2pmem here, so the kernel's p2pmem allocator cannot hand out its memory; the verdict is what pci_p2pdma_distance() computes for the pair all the same\n",
		       pdma_bdf_format(pf, b, sizeof(b)));
	printf("\n");
	out_platform(fab, stdout);
	out_notes(fab, stdout);
}

static int print_json(const struct pdma_fabric *fab,
		      const struct pdma_verdict *v)
{
	json_t *o = out_json_pair(fab, v), *hops = json_array();
	char b[32];

	out_json_set(o, "raw_distance", json_integer(v->raw_distance));
	out_json_set(o, "common_bridge", v->ancestor >= 0 ?
		     json_string(pdma_bdf_format(pdma_fabric_func(
			     fab, v->ancestor), b, sizeof(b))) : json_null());
	for (int i = 0; hops && i < v->nr_hops; i++) {
		const struct pdma_hop *h = &v->hops[i];
		json_t *j = json_object();

		out_json_set(j, "node", out_jstr(out_hop_name(fab, h, b,
							      sizeof(b))));
		if (h->is_host_bridge) {
			out_json_set(j, "role", json_string("host bridge"));
			out_json_set(j, "label", json_null());
		} else {
			const struct pdma_func_info *fi =
				pdma_fabric_func(fab, h->idx);

			out_json_set(j, "role",
				     json_string(pdma_role_name(fi->role)));
			out_json_set(j, "label", out_jstr(fi->label));
		}
		out_json_append(hops, j);
	}
	out_json_set(o, "hops", hops);
	out_json_set(o, "bottleneck_link", v->bottleneck_link >= 0 ?
		     json_string(pdma_bdf_format(pdma_fabric_func(
			     fab, v->bottleneck_link), b, sizeof(b))) :
		     json_null());
	out_json_set(o, "rules",
		     json_string(pdma_rules_name(pdma_fabric_rules(fab))));
	out_json_set(o, "cpu", out_json_cpu(fab));
	out_json_set(o, "source", out_jstr(pdma_fabric_platform(fab)->source));
	out_json_set(o, "notes", out_json_notes(fab));
	return out_json(o);
}

int cmd_explain(const struct cli *c)
{
	struct pdma_fabric *fab;
	struct pdma_verdict v;
	int ret, p, cl;

	ret = cli_load_fabric(c, &fab);
	if (ret)
		return ret;
	p = cli_lookup(fab, c->args[0], "provider");
	cl = p < 0 ? -1 : cli_lookup(fab, c->args[1], "client");
	if (p < 0 || cl < 0) {
		ret = EXIT_USAGE;
		goto out_destroy;
	}
	ret = pdma_verdict_explain(fab, p, cl, &v);
	if (ret) {
		cli_err("explaining %s -> %s failed: %s", c->args[0],
			c->args[1], strerror(-ret));
		ret = EXIT_FAIL;
		goto out_destroy;
	}
	if (c->json)
		ret = print_json(fab, &v);
	else
		print_text(fab, &v);
	pdma_verdict_release(&v);
out_destroy:
	pdma_fabric_destroy(fab);
	return ret;
}
