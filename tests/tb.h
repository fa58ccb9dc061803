/* SPDX-License-Identifier: MIT */
/*
 * Test builder: small hand-made fabrics in a few lines.
 *
 *	struct tb t;
 *	tb_init(&t);
 *	int rp  = tb_port(&t, PDMA_PCIE_ROOT_PORT, -1, 0x00, 2, 0, 1);
 *	int usp = tb_port(&t, PDMA_PCIE_UPSTREAM, rp, 0x01, 0, 0, 2);
 *	int ep  = tb_ep(&t, usp_dsp, 0x03, 0, 0, 0x010802);
 *	struct pdma_fabric *fab = tb_done(&t);
 *
 * Indices returned are insertion indices; after tb_done() look functions
 * up by BDF with tb_idx().
 */
#ifndef PDMA_TEST_TB_H
#define PDMA_TEST_TB_H

#include <pthread.h>
#include <stdatomic.h>

#include <peerdma/peerdma.h>

#include "harness.h"

struct tb {
	struct pdma_fabric *fab;
	struct pdma_platform_info pi;
};

static inline void tb_init(struct tb *t)
{
	REQUIRE(pdma_fabric_create(&t->fab) == 0);
	memset(&t->pi, 0, sizeof(t->pi));
	t->pi.cpu_vendor = PDMA_CPU_INTEL;
	t->pi.cpu_family = 6;
	snprintf(t->pi.cpu_source, sizeof(t->pi.cpu_source), "test");
}

static inline struct pdma_func_info tb_info(uint8_t bus, uint8_t dev,
					    uint8_t fn)
{
	struct pdma_func_info fi;

	memset(&fi, 0, sizeof(fi));
	fi.bus = bus;
	fi.dev = dev;
	fi.fn = fn;
	fi.vendor = 0x1b36;
	fi.device = 0x0010;
	fi.pcie_type = PDMA_PCIE_ENDPOINT;
	fi.numa_node = -1;
	fi.iommu_group = -1;
	fi.acs_known = true;
	fi.parent = PDMA_NONE;
	fi.host_bridge = PDMA_AUTO;
	snprintf(fi.name, sizeof(fi.name), "test device");
	return fi;
}

/* A bridge of @type on @bus below @parent (-1: root bus), owning @sec;
 * with an ACS capability and control word @ctrl when @acs. */
static inline int tb_bridge(struct tb *t, int type, int parent, uint8_t bus,
			    uint8_t dev, uint8_t fn, uint8_t sec, bool acs,
			    uint16_t ctrl)
{
	struct pdma_func_info fi = tb_info(bus, dev, fn);
	int idx;

	fi.header_type = 1;
	fi.class_code = 0x060400;
	fi.pcie_type = type;
	fi.secondary_bus = sec;
	fi.subordinate_bus = sec;
	fi.parent = parent;
	fi.has_acs = acs;
	fi.acs_cap = acs ? 0x5f : 0;
	fi.acs_ctrl = ctrl;
	REQUIRE(pdma_fabric_add_func(t->fab, &fi, &idx) == 0);
	return idx;
}

/* A bridge with no ACS capability. */
static inline int tb_port(struct tb *t, int type, int parent, uint8_t bus,
			  uint8_t dev, uint8_t fn, uint8_t sec)
{
	return tb_bridge(t, type, parent, bus, dev, fn, sec, false, 0);
}

/* A port with an ACS capability and control word @ctrl. */
static inline int tb_acs_port(struct tb *t, int type, int parent, uint8_t bus,
			      uint8_t dev, uint8_t fn, uint8_t sec,
			      uint16_t ctrl)
{
	return tb_bridge(t, type, parent, bus, dev, fn, sec, true, ctrl);
}

/* A header-type-0 function of class @cls below @parent. */
static inline int tb_ep(struct tb *t, int parent, uint8_t bus, uint8_t dev,
			uint8_t fn, uint32_t cls)
{
	struct pdma_func_info fi = tb_info(bus, dev, fn);
	int idx;

	fi.class_code = cls;
	fi.parent = parent;
	REQUIRE(pdma_fabric_add_func(t->fab, &fi, &idx) == 0);
	return idx;
}

/* Add a function as given (for ids, ACS on endpoints, ...). */
static inline int tb_add(struct tb *t, const struct pdma_func_info *fi)
{
	int idx;

	REQUIRE(pdma_fabric_add_func(t->fab, fi, &idx) == 0);
	return idx;
}

static inline struct pdma_fabric *tb_done(struct tb *t)
{
	struct pdma_error err;
	int ret;

	pdma_fabric_set_platform(t->fab, &t->pi);
	ret = pdma_fabric_finalize(t->fab, &err);
	if (ret) {
		fprintf(stderr, "tb_done: %s\n", err.msg);
		exit(1);
	}
	return t->fab;
}

static inline int tb_idx(struct pdma_fabric *fab, const char *bdf)
{
	int idx = pdma_fabric_lookup(fab, bdf);

	if (idx < 0) {
		fprintf(stderr, "tb_idx: no function %s\n", bdf);
		exit(1);
	}
	return idx;
}

/* The kernel's answer for a pair named by BDF. */
static inline enum pdma_map_type tb_verdict(struct pdma_fabric *fab,
					    const char *p, const char *c,
					    int *dist)
{
	return pdma_verdict_map_type(fab, tb_idx(fab, p), tb_idx(fab, c), dist);
}

/* Load a sysfs tree that must load; says why when it does not. */
static inline struct pdma_fabric *load_sysfs_ok(const char *root)
{
	struct pdma_error err = { { 0 } };
	struct pdma_fabric *fab = NULL;
	int ret = pdma_load_sysfs(root, &fab, &err);

	if (ret)
		fprintf(stderr, "%s: %d: %s\n", root, ret, err.msg);
	CHECK_EQ_INT(ret, 0);
	return fab;
}

/*
 * pdma_p2pmem_remove() on a thread of its own, as a driver's unbind would:
 * pthread_create(&t, NULL, tb_remover_main, &r) with r.prov set; r.done
 * says when remove returned, r.ret what it returned.
 */
struct tb_remover {
	struct pdma_p2pmem_provider *prov;
	atomic_bool done;
	int ret;
};

static inline void *tb_remover_main(void *arg)
{
	struct tb_remover *r = arg;

	r->ret = pdma_p2pmem_remove(r->prov);
	atomic_store(&r->done, true);
	return NULL;
}

#endif /* PDMA_TEST_TB_H */
