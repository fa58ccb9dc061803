// SPDX-License-Identifier: MIT
/*
 * pdma_load_sysfs(): a fabric from the live machine ("/") or a snapshot.
 *
 * sysfs_scan.c finds the host bridge and function directories,
 * load_sysfs_func.c reads each function, load_sysfs_platform.c the CPU,
 * command line and IOMMU groups; here the tree is checked, port types the
 * 64-byte config space of an unprivileged reader hides are inferred, and
 * the fabric is built and finalized.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <peerdma/source.h>

#include "load_sysfs.h"

/*
 * With 64 bytes of config space the capability list is out of reach, so
 * the port type is unknown.  Where the tree settles it, say it: a PCIe
 * bridge on a root bus is a root port, one below a root or downstream port
 * a switch upstream port, one below an upstream port a downstream port.
 */
static void infer_port_types(struct pdma__sysfs_loader *l)
{
	for (int i = 0; i < l->t.nr_fns; i++) {
		struct pdma_func_info *fi = &l->fns[i].fi;
		int p = l->t.fns[i].parent, pt;

		if (l->fns[i].cfg_len >= 256 || !pdma_fabric_is_bridge(fi) ||
		    (fi->header_type & 0x7f) != 1 ||
		    !l->fns[i].has_link_files)
			continue;
		if (p == PDMA_NONE) {
			fi->pcie_type = PDMA_PCIE_ROOT_PORT;
			continue;
		}
		pt = l->fns[p].fi.pcie_type;
		if (pt == PDMA_PCIE_ROOT_PORT || pt == PDMA_PCIE_DOWNSTREAM)
			fi->pcie_type = PDMA_PCIE_UPSTREAM;
		else if (pt == PDMA_PCIE_UPSTREAM)
			fi->pcie_type = PDMA_PCIE_DOWNSTREAM;
	}
}

/* Functions below a function: it must be a bridge owning their bus. */
static int check_tree(struct pdma__sysfs_loader *l)
{
	char path[PATH_MAX], ppath[PATH_MAX];

	for (int i = 0; i < l->t.nr_fns; i++) {
		const struct pdma_func_info *fi = &l->fns[i].fi;
		int p = l->t.fns[i].parent;
		const struct pdma_func_info *pf;

		if (p == PDMA_NONE)
			continue;
		pf = &l->fns[p].fi;
		pdma__sysfs_full(&l->t, l->t.fns[i].rel, NULL, path,
				 sizeof(path));
		pdma__sysfs_full(&l->t, l->t.fns[p].rel, NULL, ppath,
				 sizeof(ppath));
		if (!pdma_fabric_is_bridge(pf)) {
			pdma__err(l->err, "%s: sits below %s, which is not a bridge (header type %u)",
				  path, ppath, pf->header_type & 0x7f);
			return -EINVAL;
		}
		if (!pf->secondary_bus || fi->bus == pf->secondary_bus)
			continue;
		if (l->fns[i].is_vf && fi->bus > pf->secondary_bus &&
		    fi->bus <= pf->subordinate_bus) {
			/* an SR-IOV VF on a virtual bus: no bridge owns it */
			l->fns[i].skip = true;
			l->nr_vf_skipped++;
			continue;
		}
		pdma__err(l->err, "%s: on bus %02x, but the bridge above it (%s) has secondary bus %02x",
			  path, fi->bus, ppath, pf->secondary_bus);
		return -EINVAL;
	}
	return 0;
}

static int add_config_notes(struct pdma__sysfs_loader *l)
{
	size_t lo = PDMA__CFG_MAX, hi = 0;
	int nr_cut = 0, nr_noext = 0, ret = 0;
	char range[48];

	for (int i = 0; i < l->t.nr_fns; i++) {
		if (l->fns[i].skip || l->fns[i].fi.acs_known)
			continue;
		if (l->fns[i].cfg_len >= 256) {
			nr_noext++;
			continue;
		}
		nr_cut++;
		lo = l->fns[i].cfg_len < lo ? l->fns[i].cfg_len : lo;
		hi = l->fns[i].cfg_len > hi ? l->fns[i].cfg_len : hi;
	}
	if (lo == hi)
		snprintf(range, sizeof(range), "%zu bytes", lo);
	else
		snprintf(range, sizeof(range), "%zu-%zu bytes", lo, hi);
	if (nr_cut)
		ret = pdma_fabric_add_note(l->fab,
			"config space of %d function(s) was truncated to %s (read without root): ACS redirect is assumed off and PCIe port types were inferred from the tree, so BUS_ADDR verdicts may be incomplete (the kernel may route those pairs through the host bridge or refuse them); %s",
			nr_cut, range, l->t.live ?
			"run as root for complete answers" :
			"make the snapshot as root for complete answers");
	if (!ret && nr_noext)
		ret = pdma_fabric_add_note(l->fab,
			"%d PCIe function(s) show only 256 bytes of config space (no extended configuration space: MMCONFIG off?): their ACS is unknown and assumed off, so BUS_ADDR verdicts through them may be incomplete",
			nr_noext);
	return ret;
}

static int add_notes(struct pdma__sysfs_loader *l)
{
	int ret = 0;

	for (int i = 0; i < l->t.nr_notes && !ret; i++)
		ret = pdma_fabric_add_note(l->fab, "%s", l->t.notes[i]);
	for (int i = 0; i < l->nr_notes && !ret; i++)
		ret = pdma_fabric_add_note(l->fab, "%s", l->notes[i]);
	if (!ret && l->odd_speed[0])
		ret = pdma_fabric_add_note(l->fab,
			"link speed \"%s\" is not a PCIe generation this version knows: taken as unknown",
			l->odd_speed);
	if (!ret && l->nr_vf_skipped)
		ret = pdma_fabric_add_note(l->fab,
			"%d SR-IOV virtual function(s) on virtual buses are left out",
			l->nr_vf_skipped);
	if (!ret)
		ret = add_config_notes(l);
	return ret;
}

/* Host bridges, then functions, into the (unfinalized) fabric. */
static int build(struct pdma__sysfs_loader *l)
{
	int *ins = NULL, ret = 0;

	for (int h = 0; h < l->t.nr_hbs; h++) {
		const struct pdma__sysfs_hb *sh = &l->t.hbs[h];
		struct pdma_host_bridge_info hb = { 0 };
		char path[PATH_MAX];

		hb.domain = sh->domain;
		hb.bus = sh->bus;
		hb.numa_node = -1;
		snprintf(hb.name, sizeof(hb.name), "%s",
			 pdma__basename(sh->rel));
		pdma__sysfs_full(&l->t, sh->rel, "firmware_node.path", path,
				 sizeof(path));
		if (pdma__read_line(path, hb.firmware_path,
				    sizeof(hb.firmware_path))) {
			pdma__sysfs_full(&l->t, sh->rel, "firmware_node/path",
					 path, sizeof(path));
			if (pdma__read_line(path, hb.firmware_path,
					    sizeof(hb.firmware_path)))
				hb.firmware_path[0] = '\0';
		}
		for (int i = 0; i < l->t.nr_fns; i++)
			if (l->t.fns[i].hb == h &&
			    l->t.fns[i].parent == PDMA_NONE &&
			    l->fns[i].fi.numa_node >= 0) {
				hb.numa_node = l->fns[i].fi.numa_node;
				break;
			}
		ret = pdma_fabric_add_host_bridge(l->fab, &hb, &l->hb_idx[h]);
		if (ret)
			return ret;
	}
	ins = malloc(sizeof(int) * (size_t)(l->t.nr_fns + 1));
	if (!ins)
		return -ENOMEM;
	for (int i = 0; i < l->t.nr_fns; i++) {
		struct pdma_func_info *fi = &l->fns[i].fi;
		int p = l->t.fns[i].parent;

		ins[i] = PDMA_NONE;
		if (l->fns[i].skip)
			continue;
		/* parents come first in the walk */
		fi->parent = p == PDMA_NONE ? PDMA_NONE : ins[p];
		fi->host_bridge = l->hb_idx[l->t.fns[i].hb];
		ret = pdma_fabric_add_func(l->fab, fi, &ins[i]);
		if (ret)
			break;
	}
	free(ins);
	return ret;
}

void pdma__sysfs_loader_release(struct pdma__sysfs_loader *l)
{
	pdma__sysfs_tree_release(&l->t);
	free(l->fns);
	free(l->hb_idx);
	for (int i = 0; i < l->nr_notes; i++)
		free(l->notes[i]);
	free(l->notes);
	pdma_fabric_destroy(l->fab);
}

int pdma_load_sysfs(const char *root, struct pdma_fabric **out,
		    struct pdma_error *err)
{
	struct pdma__sysfs_loader l = { .err = err };
	struct pdma_platform_info pi;
	int ret;

	*out = NULL;
	ret = pdma__sysfs_scan(root, &l.t, err);
	if (ret)
		goto out;
	l.fns = calloc((size_t)l.t.nr_fns + 1, sizeof(*l.fns));
	l.hb_idx = calloc((size_t)l.t.nr_hbs + 1, sizeof(*l.hb_idx));
	if (!l.fns || !l.hb_idx) {
		ret = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < l.t.nr_fns && !ret; i++)
		ret = pdma__sysfs_read_func(&l, i);
	if (ret)
		goto out;
	ret = check_tree(&l);
	if (ret)
		goto out;
	infer_port_types(&l);
	ret = pdma__sysfs_read_platform(&l, &pi);
	if (ret)
		goto out;
	ret = pdma_fabric_create(&l.fab);
	if (ret)
		goto out;
	ret = pdma__sysfs_read_groups(&l, &pi);
	if (!ret)
		ret = build(&l);
	if (!ret)
		ret = add_notes(&l);
	if (ret)
		goto out;
	pdma_fabric_set_platform(l.fab, &pi);
	ret = pdma_fabric_finalize(l.fab, err);
	if (ret)
		goto out;
	*out = l.fab;
	l.fab = NULL;
out:
	if (ret == -ENOMEM)
		pdma__err(err, "%s: out of memory", root);
	pdma__sysfs_loader_release(&l);
	return ret;
}
