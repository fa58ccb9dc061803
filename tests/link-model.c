/* SPDX-License-Identifier: MIT */
/*
 * The link model: payload bandwidth of PCIe links against numbers worked
 * out by hand, and max-min fair sharing of links among flows.
 */
#include <errno.h>
#include <math.h>

#include <peerdma/link.h>

#include "harness.h"

#define CHECK_NEAR(a, b)                                                     \
	do {                                                                 \
		double _a = (a), _b = (b);                                   \
		harness_checks++;                                            \
		if (!(fabs(_a - _b) <= 1e-9 * (fabs(_b) > 1 ? fabs(_b) : 1))) { \
			harness_failures++;                                  \
			fprintf(stderr, "%s:%d: %s == %.12g, expected %.12g\n", \
				__FILE__, __LINE__, #a, _a, _b);             \
		}                                                            \
	} while (0)

static double rate(struct pdma_linkmodel *lm, int flow)
{
	double r = -1;

	CHECK_EQ_INT(pdma_linkmodel_flow_rate(lm, flow, &r), 0);
	return r;
}

static void test_data_rate(void)
{
	struct pdma_link_params p;
	struct pdma_link g3x4 = { 3, 4 }, g4x16 = { 4, 16 }, g5x16 = { 5, 16 };
	struct pdma_link g1x1 = { 1, 1 }, g6x16 = { 6, 16 };

	/*
	 * Defaults: MPS 256, 16-byte header, 8 bytes of framing, one 8-byte
	 * DLLP per 4 TLPs: 256 payload bytes cost 256 + 16 + 8 + 2 = 282.
	 *
	 * gen3 x4:  8 GT/s * 4 lanes * 128/130 / 8 = 3.938461538 GB/s raw,
	 *           * 256/282 = 3.575340971 GB/s.
	 * gen4 x16: 16 * 16 * 128/130 / 8 = 31.507692308, * 256/282 =
	 *           28.602727769 GB/s.
	 * gen5 x16: twice that, 57.205455537 GB/s.
	 * gen1 x1:  2.5 * 8/10 / 8 = 0.25 GB/s, * 256/282 = 0.226950355.
	 * gen6 x16: FLIT mode, no per-TLP framing: 64 * 16 * 242/256 / 8 =
	 *           121 GB/s, * 256/(256 + 16 + 2) = 113.051094891 GB/s.
	 */
	CHECK_NEAR(pdma_link_data_gbps(g3x4, NULL), 3.575340971);
	CHECK_NEAR(pdma_link_data_gbps(g3x4, NULL),
		   8.0 * 4 * 128 / 130 / 8 * 256 / 282);
	CHECK_NEAR(pdma_link_data_gbps(g4x16, NULL), 28.602727769);
	CHECK_NEAR(pdma_link_data_gbps(g5x16, NULL), 57.205455537);
	CHECK_NEAR(pdma_link_data_gbps(g1x1, NULL), 0.226950355);
	CHECK_NEAR(pdma_link_data_gbps(g6x16, NULL), 113.051094891);

	/* 3DW headers, MPS 512, no DLLPs: 512/(512 + 12 + 8) of line rate. */
	pdma_link_params_init(&p);
	p.mps = 512;
	p.tlp_header = 12;
	p.tlps_per_dllp = 0;
	CHECK_NEAR(pdma_link_data_gbps(g4x16, &p),
		   16.0 * 16 * 128 / 130 / 8 * 512 / 532);
	/* MPS 128: the overhead weighs twice as much. */
	pdma_link_params_init(&p);
	p.mps = 128;
	CHECK_NEAR(pdma_link_data_gbps(g3x4, &p),
		   3.938461538461538 * 128 / 154);

	/* Unknown links and bad parameters give 0. */
	CHECK(pdma_link_data_gbps((struct pdma_link){ 0, 16 }, NULL) == 0);
	CHECK(pdma_link_data_gbps((struct pdma_link){ 3, 0 }, NULL) == 0);
	CHECK(pdma_link_data_gbps((struct pdma_link){ 7, 4 }, NULL) == 0);
	pdma_link_params_init(&p);
	p.mps = 300;
	CHECK(pdma_link_data_gbps(g3x4, &p) == 0);
	pdma_link_params_init(&p);
	p.size = 8;
	CHECK(pdma_link_data_gbps(g3x4, &p) == 0);
}

static void test_single_and_shared(void)
{
	struct pdma_linkmodel *lm;
	int l[3], f0, f1, f2, bl = -7;
	enum pdma_link_dir up3[3] = { PDMA_LINK_UP, PDMA_LINK_UP, PDMA_LINK_UP };
	enum pdma_link_dir bd = PDMA_LINK_DOWN;
	double t = 0, load = -1;

	REQUIRE(pdma_linkmodel_create(&lm) == 0);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, 12.0, &l[0]), 0);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, 3.5, &l[1]), 0);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, 28.0, &l[2]), 0);
	CHECK_EQ_INT(l[2], 2);

	/* One flow over three links: the narrowest one. */
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, l, up3, 3, 0, &f0), 0);
	CHECK_EQ_INT(pdma_linkmodel_flow_rate(lm, f0, &t), -EAGAIN);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	CHECK_NEAR(rate(lm, f0), 3.5);
	CHECK_EQ_INT(pdma_linkmodel_flow_bottleneck(lm, f0, &bl, &bd), 0);
	CHECK_EQ_INT(bl, l[1]);
	CHECK_EQ_INT(bd, PDMA_LINK_UP);
	/* 7 GB at 3.5 GB/s: two seconds. */
	CHECK_EQ_INT(pdma_linkmodel_transfer_time(lm, f0, 7000000000ull, &t), 0);
	CHECK_NEAR(t, 2.0);
	CHECK_EQ_INT(pdma_linkmodel_transfer_time(lm, f0, 0, &t), 0);
	CHECK_NEAR(t, 0.0);

	/* A second flow on the same path: they split the bottleneck. */
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, l, up3, 3, 0, &f1), 0);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	CHECK_NEAR(rate(lm, f0), 1.75);
	CHECK_NEAR(rate(lm, f1), 1.75);
	CHECK_EQ_INT(pdma_linkmodel_link_load(lm, l[1], PDMA_LINK_UP, &load), 0);
	CHECK_NEAR(load, 3.5);
	CHECK_EQ_INT(pdma_linkmodel_link_load(lm, l[0], PDMA_LINK_UP, &load), 0);
	CHECK_NEAR(load, 3.5);

	/* The other direction is a separate channel (full duplex). */
	{
		enum pdma_link_dir down[3] = { PDMA_LINK_DOWN, PDMA_LINK_DOWN,
					       PDMA_LINK_DOWN };

		CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, l, down, 3, 0, &f2),
			     0);
	}
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	CHECK_NEAR(rate(lm, f0), 1.75);
	CHECK_NEAR(rate(lm, f2), 3.5);
	CHECK_EQ_INT(pdma_linkmodel_link_load(lm, l[1], PDMA_LINK_DOWN, &load),
		     0);
	CHECK_NEAR(load, 3.5);

	/* Flow ids are reused; a removed flow frees its share. */
	CHECK_EQ_INT(pdma_linkmodel_remove_flow(lm, f1), 0);
	CHECK_EQ_INT(pdma_linkmodel_remove_flow(lm, f1), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_flow_rate(lm, f1, &t), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	CHECK_NEAR(rate(lm, f0), 3.5);
	{
		int again;

		CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, l, up3, 1, 0, &again),
			     0);
		CHECK_EQ_INT(again, f1);
	}

	/* What if the narrow link trains faster: the next one limits. */
	CHECK_EQ_INT(pdma_linkmodel_set_capacity(lm, l[1], 100), 0);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	CHECK_NEAR(rate(lm, f0), 6.0);	/* shares link 0 with flow f1 */
	CHECK_NEAR(rate(lm, f1), 6.0);
	CHECK_NEAR(rate(lm, f2), 12.0);
	pdma_linkmodel_destroy(lm);
}

/*
 * The textbook case: link A (10 GB/s) carries f0 and f1, link B (4 GB/s)
 * carries f0 and f2.  Filling: at 2 GB/s B is full, f0 and f2 stop; f1
 * keeps rising on A until it has the 8 GB/s f0 left over.  Not 5/5/2/2
 * (equal split per link), not 2/8/2 by luck: check every number and that
 * no flow can grow without shrinking a smaller one.
 */
static void test_max_min(void)
{
	struct pdma_linkmodel *lm;
	int a, b, f0, f1, f2, bl;
	enum pdma_link_dir up2[2] = { PDMA_LINK_UP, PDMA_LINK_UP }, bd;
	enum pdma_link_dir up = PDMA_LINK_UP;
	double load;

	REQUIRE(pdma_linkmodel_create(&lm) == 0);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, 10, &a), 0);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, 4, &b), 0);
	{
		int ab[2] = { a, b };

		CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, ab, up2, 2, 0, &f0), 0);
	}
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &a, &up, 1, 0, &f1), 0);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &b, &up, 1, 0, &f2), 0);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	CHECK_NEAR(rate(lm, f0), 2.0);
	CHECK_NEAR(rate(lm, f1), 8.0);
	CHECK_NEAR(rate(lm, f2), 2.0);
	CHECK_EQ_INT(pdma_linkmodel_flow_bottleneck(lm, f1, &bl, &bd), 0);
	CHECK_EQ_INT(bl, a);
	CHECK_EQ_INT(pdma_linkmodel_flow_bottleneck(lm, f0, &bl, &bd), 0);
	CHECK_EQ_INT(bl, b);
	CHECK_EQ_INT(pdma_linkmodel_link_load(lm, a, PDMA_LINK_UP, &load), 0);
	CHECK_NEAR(load, 10.0);
	CHECK_EQ_INT(pdma_linkmodel_link_load(lm, b, PDMA_LINK_UP, &load), 0);
	CHECK_NEAR(load, 4.0);

	/* A demand below the fair share: f2 takes 1, f0 gets 3 on B, f1 7. */
	pdma_linkmodel_remove_flow(lm, f2);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &b, &up, 1, 1.0, &f2), 0);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	CHECK_NEAR(rate(lm, f2), 1.0);
	CHECK_NEAR(rate(lm, f0), 3.0);
	CHECK_NEAR(rate(lm, f1), 7.0);
	CHECK_EQ_INT(pdma_linkmodel_flow_bottleneck(lm, f2, &bl, &bd), 0);
	CHECK_EQ_INT(bl, -1);

	/* A demand above the fair share changes nothing. */
	pdma_linkmodel_remove_flow(lm, f2);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &b, &up, 1, 50.0, &f2), 0);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	CHECK_NEAR(rate(lm, f2), 2.0);
	CHECK_NEAR(rate(lm, f1), 8.0);

	/* A flow on no link with a demand gets its demand. */
	{
		int f3;

		CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, NULL, NULL, 0, 5.0,
						     &f3), 0);
		CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
		CHECK_NEAR(rate(lm, f3), 5.0);
	}
	pdma_linkmodel_destroy(lm);
}

/* A flow that crosses one link twice (up and down the same direction). */
static void test_multiplicity_and_zero(void)
{
	struct pdma_linkmodel *lm;
	int l, z, f0, f1;
	int twice[2];
	enum pdma_link_dir dd[2] = { PDMA_LINK_DOWN, PDMA_LINK_DOWN };
	enum pdma_link_dir d = PDMA_LINK_DOWN;
	double t;

	REQUIRE(pdma_linkmodel_create(&lm) == 0);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, 9, &l), 0);
	twice[0] = twice[1] = l;
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, twice, dd, 2, 0, &f0), 0);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &l, &d, 1, 0, &f1), 0);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	/* 2r + r = 9. */
	CHECK_NEAR(rate(lm, f0), 3.0);
	CHECK_NEAR(rate(lm, f1), 3.0);

	/* A link that is down: whatever crosses it gets 0, forever. */
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, 0, &z), 0);
	CHECK_EQ_INT(pdma_linkmodel_remove_flow(lm, f1), 0);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &z, &d, 1, 0, &f1), 0);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);
	CHECK_NEAR(rate(lm, f1), 0.0);
	CHECK_NEAR(rate(lm, f0), 4.5);
	CHECK_EQ_INT(pdma_linkmodel_transfer_time(lm, f1, 1, &t), 0);
	CHECK(isinf(t));
	pdma_linkmodel_destroy(lm);
}

static void test_errors(void)
{
	struct pdma_linkmodel *lm;
	int l, f;
	enum pdma_link_dir d = PDMA_LINK_UP, bad = (enum pdma_link_dir)2;
	int nope = 5;
	double x;

	REQUIRE(pdma_linkmodel_create(&lm) == 0);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, -1, &l), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, NAN, &l), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, INFINITY, &l), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_add_link(lm, 1, &l), 0);
	CHECK_EQ_INT(pdma_linkmodel_set_capacity(lm, 9, 1), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &nope, &d, 1, 0, &f), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &l, &bad, 1, 0, &f), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &l, &d, 1, -2, &f), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, NULL, NULL, 0, 0, &f), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_add_flow(lm, &l, &d, -1, 0, &f), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_link_load(lm, l, PDMA_LINK_UP, &x), -EAGAIN);
	CHECK_EQ_INT(pdma_linkmodel_solve(lm), 0);	/* no flows: fine */
	CHECK_EQ_INT(pdma_linkmodel_link_load(lm, l, PDMA_LINK_UP, &x), 0);
	CHECK_NEAR(x, 0.0);
	CHECK_EQ_INT(pdma_linkmodel_link_load(lm, 3, PDMA_LINK_UP, &x), -EINVAL);
	CHECK_EQ_INT(pdma_linkmodel_flow_rate(lm, 0, &x), -EINVAL);
	pdma_linkmodel_destroy(lm);
	pdma_linkmodel_destroy(NULL);
}

/*
 * Many flows on random routes: the solution must be feasible (no link over
 * capacity), every flow must be stopped by a full link on its route or its
 * demand, and on that link no other flow may have a higher rate (the
 * max-min condition).  The same input solved twice gives the same rates.
 */
static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s;
}

static void test_random_max_min(void)
{
	uint64_t s = 42;
	struct pdma_linkmodel *lm;
	enum { NL = 24, NF = 200 };
	int hops[NF][6], nh[NF];
	enum pdma_link_dir dirs[NF][6];
	double r1[NF], demand[NF], cap[NL];

	REQUIRE(pdma_linkmodel_create(&lm) == 0);
	for (int i = 0; i < NL; i++) {
		cap[i] = 1 + (double)(lcg(&s) >> 59);
		REQUIRE(pdma_linkmodel_add_link(lm, cap[i], NULL) == 0);
	}
	for (int f = 0; f < NF; f++) {
		int id;

		nh[f] = 1 + (int)((lcg(&s) >> 40) % 6);
		for (int h = 0; h < nh[f]; h++) {
			lcg(&s);
			hops[f][h] = (int)((s >> 33) % NL);
			dirs[f][h] = (enum pdma_link_dir)((s >> 20) & 1);
		}
		demand[f] = (lcg(&s) >> 10) % 4 == 0 ? 0.05 : 0;
		REQUIRE(pdma_linkmodel_add_flow(lm, hops[f], dirs[f], nh[f],
						demand[f], &id) == 0);
		REQUIRE(id == f);
	}
	REQUIRE(pdma_linkmodel_solve(lm) == 0);
	for (int f = 0; f < NF; f++)
		r1[f] = rate(lm, f);

	/* Feasible. */
	for (int l = 0; l < NL; l++)
		for (int d = 0; d < 2; d++) {
			double load = -1;

			CHECK_EQ_INT(pdma_linkmodel_link_load(lm, l,
					(enum pdma_link_dir)d, &load), 0);
			CHECK(load >= 0 && load <= cap[l] * (1 + 1e-12));
		}
	/* Every flow is stopped by its demand or by a full link on which
	 * nobody has more. */
	for (int f = 0; f < NF; f++) {
		enum pdma_link_dir bd = PDMA_LINK_UP;
		double load = -1;
		int bl = -7, on_route = 0;

		CHECK(r1[f] >= 0);
		CHECK_EQ_INT(pdma_linkmodel_flow_bottleneck(lm, f, &bl, &bd), 0);
		if (bl < 0) {
			CHECK_NEAR(r1[f], demand[f]);
			continue;
		}
		for (int h = 0; h < nh[f]; h++)
			on_route += hops[f][h] == bl && dirs[f][h] == bd;
		CHECK(on_route > 0);
		CHECK_EQ_INT(pdma_linkmodel_link_load(lm, bl, bd, &load), 0);
		CHECK_NEAR(load, cap[bl]);
		for (int g = 0; g < NF; g++)
			for (int h = 0; h < nh[g]; h++)
				if (hops[g][h] == bl && dirs[g][h] == bd)
					CHECK(r1[g] <= r1[f] * (1 + 1e-12));
		if (demand[f] > 0)
			CHECK(r1[f] <= demand[f]);
	}
	/* Deterministic: solving again gives the same bits. */
	REQUIRE(pdma_linkmodel_solve(lm) == 0);
	for (int f = 0; f < NF; f++)
		CHECK(rate(lm, f) == r1[f]);
	pdma_linkmodel_destroy(lm);
}

int main(void)
{
	test_data_rate();
	test_single_and_shared();
	test_max_min();
	test_multiplicity_and_zero();
	test_errors();
	test_random_max_min();
	return harness_exit();
}
