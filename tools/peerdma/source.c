// SPDX-License-Identifier: MIT
/*
 * Choosing the fabric: --sysfs, --lspci, --topo, --preset, or this machine,
 * falling back to the default preset when this machine has nothing to show
 * (a VM with a few virtio functions on bus 0, a container without /sys).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* What "this machine" means; PEERDMA_ROOT lets tests point it elsewhere. */
static const char *live_root(void)
{
	const char *r = getenv("PEERDMA_ROOT");

	return r && r[0] ? r : "/";
}

static bool is_port(const struct pdma_func_info *fi)
{
	return fi->role == PDMA_ROLE_ROOT_PORT ||
	       fi->role == PDMA_ROLE_SWITCH_UP ||
	       fi->role == PDMA_ROLE_SWITCH_DOWN;
}

static bool is_p2p_device(const struct pdma_func_info *fi)
{
	if (pdma_fabric_is_bridge(fi))
		return false;
	return fi->role == PDMA_ROLE_GPU || fi->role == PDMA_ROLE_NIC ||
	       fi->role == PDMA_ROLE_NVME || fi->role == PDMA_ROLE_ACCEL;
}

/*
 * Whether @fab is worth showing: at least one PCIe port and one GPU, NIC,
 * NVMe or accelerator.  Otherwise say why in @why.
 */
static bool worth_showing(const struct pdma_fabric *fab, char *why,
			  size_t len)
{
	int n = pdma_fabric_nr_funcs(fab), nr_buses = 0;
	bool port = false, dev = false;
	const struct pdma_func_info *first = pdma_fabric_func(fab, 0);

	for (int i = 0; i < n; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, i);
		const struct pdma_func_info *prev = pdma_fabric_func(fab, i - 1);

		port |= is_port(fi);
		dev |= is_p2p_device(fi);
		if (!prev || prev->domain != fi->domain || prev->bus != fi->bus)
			nr_buses++;
	}
	if (port && dev)
		return true;
	if (!n)
		snprintf(why, len, "no PCI functions at all");
	else if (nr_buses == 1)
		snprintf(why, len, "only %d function%s on bus %02x", n,
			 n > 1 ? "s" : "", first->bus);
	else if (!port)
		snprintf(why, len, "%d functions and no PCIe port", n);
	else
		snprintf(why, len,
			 "%d functions and no GPU, NIC, NVMe or accelerator", n);
	return false;
}

static int load_default(struct pdma_fabric **out)
{
	const char *root = live_root(), *preset = pdma_preset_name(0);
	struct pdma_fabric *fab = NULL;
	struct pdma_error err = { "" };
	char why[sizeof(err.msg) + 64];
	int ret;

	ret = pdma_load_sysfs(root, &fab, &err);
	if (!ret && worth_showing(fab, why, sizeof(why))) {
		*out = fab;
		return 0;
	}
	pdma_fabric_destroy(fab);
	if (!preset) {
		cli_err("%s%s%s, and there is no built-in preset: use --sysfs / --lspci / --topo",
			ret ? "cannot read this machine's PCIe topology (" :
			      "this machine has no PCIe devices worth showing (",
			ret ? err.msg : why, ")");
		return EXIT_FAIL;
	}
	fprintf(stderr,
		"peerdma: %s%s); showing the built-in preset '%s' \u2014 use --sysfs / --lspci / --topo / --preset to choose\n",
		ret ? "cannot read this machine's PCIe topology (" :
		      "this machine has no PCIe devices worth showing (",
		ret ? err.msg : why, preset);
	err.msg[0] = '\0';
	ret = pdma_load_preset(preset, out, &err);
	if (ret) {
		cli_err("%s", err.msg[0] ? err.msg : strerror(-ret));
		return EXIT_FAIL;
	}
	return 0;
}

/* --cpu on a source other than --lspci (which takes it itself). */
static void override_cpu(const struct cli *c, struct pdma_fabric *fab)
{
	struct pdma_platform_info pi = *pdma_fabric_platform(fab);

	pi.cpu_vendor = c->cpu.vendor;
	pi.cpu_family = c->cpu.family;
	pi.cpu_model[0] = '\0';
	snprintf(pi.cpu_source, sizeof(pi.cpu_source), "--cpu %s", c->cpu_arg);
	pdma_fabric_set_platform(fab, &pi);
}

static void unknown_preset(const char *name)
{
	char list[512] = "";
	size_t len = 0;

	for (int i = 0; pdma_preset_name(i) && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i ? ", " : "", pdma_preset_name(i));
	cli_err("unknown preset '%s': the presets are %s (see 'peerdma presets')",
		name, list[0] ? list : "(none)");
}

/**
 * cli_load_fabric() - the fabric the command line asks for.
 * @out: receives a finalized fabric; the caller destroys it.
 *
 * Prints one line on failure.  Return: 0 or an exit status.
 */
int cli_load_fabric(const struct cli *c, struct pdma_fabric **out)
{
	struct pdma_fabric *fab = NULL;
	struct pdma_error err = { "" };
	int ret = 0;

	*out = NULL;
	switch (c->source) {
	case SRC_DEFAULT:
		ret = load_default(&fab);
		if (ret)
			return ret;
		break;
	case SRC_SYSFS:
		ret = pdma_load_sysfs(c->source_arg, &fab, &err);
		break;
	case SRC_LSPCI:
		ret = pdma_load_lspci(c->source_arg, &c->cpu, &fab, &err);
		break;
	case SRC_TOPO:
		ret = pdma_load_json(c->source_arg, &fab, &err);
		break;
	case SRC_PRESET:
		ret = pdma_load_preset(c->source_arg, &fab, &err);
		if (ret == -ENOENT) {
			unknown_preset(c->source_arg);
			return EXIT_USAGE;
		}
		break;
	}
	if (ret) {
		if (err.msg[0])
			cli_err("%s", err.msg);
		else
			cli_err("%s %s: %s", c->source_opt, c->source_arg,
				strerror(-ret));
		return cli_status_of(ret);
	}
	if (c->cpu.set && c->source != SRC_LSPCI)
		override_cpu(c, fab);
	if (c->rules_set)
		pdma_fabric_set_rules(fab, c->rules);
	*out = fab;
	return 0;
}

/**
 * cli_lookup() - a function named on the command line, by BDF or label.
 * @what: "provider", "client", for the message.
 *
 * Return: its index, or -1 after printing why.
 */
int cli_lookup(const struct pdma_fabric *fab, const char *name,
	       const char *what)
{
	const struct pdma_func_info *fi;
	int idx = pdma_fabric_lookup(fab, name);

	if (idx < 0) {
		cli_err("%s '%s' is not in this fabric: name a device by BDF (0000:03:00.0, 03:00.0) or label (see 'peerdma topo')",
			what, name);
		return -1;
	}
	fi = pdma_fabric_func(fab, idx);
	if (pdma_fabric_is_bridge(fi)) {
		char b[16];

		cli_err("%s '%s' (%s) is a bridge (%s): bridges take no part in P2P verdicts; name an endpoint",
			what, name, pdma_bdf_format(fi, b, sizeof(b)),
			pdma_role_name(fi->role));
		return -1;
	}
	return idx;
}
