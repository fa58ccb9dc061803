// SPDX-License-Identifier: MIT
/*
 * peerdma export --json|--qemu: the fabric as a topology file (the format
 * --topo reads) or as the QEMU arguments that build the same tree.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_export(const struct cli *c)
{
	struct pdma_fabric *fab;
	int ret;

	if (c->json == c->qemu) {
		cli_err("export needs exactly one of --json (topology file) or --qemu (QEMU arguments)");
		return EXIT_USAGE;
	}
	ret = cli_load_fabric(c, &fab);
	if (ret)
		return ret;
	ret = c->json ? pdma_export_json(fab, stdout) :
			pdma_export_qemu(fab, stdout);
	pdma_fabric_destroy(fab);
	if (ret) {
		cli_err("writing the %s export failed: %s",
			c->json ? "JSON" : "QEMU", strerror(-ret));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
