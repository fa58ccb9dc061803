// SPDX-License-Identifier: MIT
/*
 * peerdma snapshot OUT: copy what the analyzer reads from this machine (or
 * from --sysfs ROOT) into OUT, to be read later with --sysfs OUT.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cmd_snapshot(const struct cli *c)
{
	const char *root = c->source == SRC_SYSFS ? c->source_arg : "/";
	const char *out = c->args[0];
	struct pdma_error err = { "" };
	int ret;

	ret = pdma_snapshot_write(root, out, &err);
	if (ret) {
		if (err.msg[0])
			cli_err("%s", err.msg);
		else
			cli_err("snapshot of %s into %s failed: %s", root, out,
				strerror(-ret));
		return ret == -EEXIST || ret == -ENOTEMPTY ? EXIT_USAGE :
							     cli_status_of(ret);
	}
	printf("snapshot of %s written to %s; read it with 'peerdma topo --sysfs %s'\n",
	       root, out, out);
	if (geteuid() != 0 && !strcmp(root, "/"))
		fprintf(stderr,
			"peerdma: not run as root: config space past 64 bytes was not readable, so ACS is unknown in this snapshot (run as root to capture it)\n");
	return EXIT_OK;
}
