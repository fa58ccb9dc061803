/* SPDX-License-Identifier: MIT */
/*
 * pdma_dmabuf_export(): every -EINVAL case of the kernel's validation,
 * the embedded or shared resv, immutable size, references (the last put
 * releases), static and dynamic attach, the exporter's attach refusing or
 * clearing peer2peer, detach.
 */
#include <errno.h>

#include <peerdma/dmabuf.h>

#include "harness.h"

struct mock {
	int releases, attaches, detaches;
	int attach_ret;
	bool clear_p2p;
};

static int m_attach(struct pdma_dmabuf *buf, struct pdma_dmabuf_attachment *a)
{
	struct mock *m = pdma_dmabuf_priv(buf);

	CHECK(!pdma_resv_held(pdma_dmabuf_resv(buf)));
	if (m->attach_ret)
		return m->attach_ret;
	m->attaches++;
	if (m->clear_p2p)
		a->peer2peer = false;
	return 0;
}

static void m_detach(struct pdma_dmabuf *buf, struct pdma_dmabuf_attachment *a)
{
	struct mock *m = pdma_dmabuf_priv(buf);

	(void)a;
	CHECK(!pdma_resv_held(pdma_dmabuf_resv(buf)));
	m->detaches++;
}

static int m_map(struct pdma_dmabuf_attachment *a, enum pdma_data_dir dir,
		 struct pdma_sgt **out)
{
	(void)a;
	(void)dir;
	*out = NULL;
	return -ENOMEM;
}

static void m_unmap(struct pdma_dmabuf_attachment *a, struct pdma_sgt *sgt,
		    enum pdma_data_dir dir)
{
	(void)a;
	(void)sgt;
	(void)dir;
}

static void m_release(struct pdma_dmabuf *buf)
{
	struct mock *m = pdma_dmabuf_priv(buf);

	m->releases++;
}

static int m_pin(struct pdma_dmabuf_attachment *a)
{
	(void)a;
	return 0;
}

static void m_unpin(struct pdma_dmabuf_attachment *a)
{
	(void)a;
}

static const struct pdma_dmabuf_ops good_ops = {
	.attach = m_attach, .detach = m_detach, .map = m_map,
	.unmap = m_unmap, .release = m_release,
};

static void moved(struct pdma_dmabuf_attachment *a)
{
	(void)a;
}

static void test_validation(void)
{
	struct pdma_dmabuf_export_info info = { 0 };
	struct pdma_dmabuf_ops ops;
	struct pdma_dmabuf *buf = (void *)1;
	struct mock m = { 0 };

	CHECK_EQ_INT(pdma_dmabuf_export(NULL, &buf), -EINVAL);
	CHECK(buf == NULL);
	info.size = 4096;
	info.ops = &good_ops;
	CHECK_EQ_INT(pdma_dmabuf_export(&info, &buf), -EINVAL);	/* no priv */
	info.priv = &m;
	info.ops = NULL;
	CHECK_EQ_INT(pdma_dmabuf_export(&info, &buf), -EINVAL);	/* no ops */
	info.ops = &ops;
	ops = good_ops;
	ops.map = NULL;
	CHECK_EQ_INT(pdma_dmabuf_export(&info, &buf), -EINVAL);
	ops = good_ops;
	ops.unmap = NULL;
	CHECK_EQ_INT(pdma_dmabuf_export(&info, &buf), -EINVAL);
	ops = good_ops;
	ops.release = NULL;
	CHECK_EQ_INT(pdma_dmabuf_export(&info, &buf), -EINVAL);
	ops = good_ops;
	ops.pin = m_pin;
	CHECK_EQ_INT(pdma_dmabuf_export(&info, &buf), -EINVAL);
	ops = good_ops;
	ops.unpin = m_unpin;
	CHECK_EQ_INT(pdma_dmabuf_export(&info, &buf), -EINVAL);
	ops = good_ops;
	info.size = 0;
	CHECK_EQ_INT(pdma_dmabuf_export(&info, &buf), -EINVAL);
	CHECK(buf == NULL);
	CHECK_EQ_INT(m.releases, 0);
	/* Both of pin/unpin is fine, and so is neither. */
	info.size = 100;
	ops.pin = m_pin;
	ops.unpin = m_unpin;
	REQUIRE(pdma_dmabuf_export(&info, &buf) == 0);
	CHECK_EQ_INT(pdma_dmabuf_size(buf), 100);
	CHECK(pdma_dmabuf_priv(buf) == &m);
	pdma_dmabuf_put(buf);
	CHECK_EQ_INT(m.releases, 1);
}

static void test_refs_and_resv(void)
{
	struct pdma_dmabuf_export_info info = { 0 };
	struct pdma_dmabuf *a, *b;
	struct pdma_resv shared;
	struct mock m = { 0 };

	info.exp_name = "mock";
	info.ops = &good_ops;
	info.priv = &m;
	info.size = 8192;
	REQUIRE(pdma_dmabuf_export(&info, &a) == 0);
	pdma_resv_init(&shared);
	info.resv = &shared;
	REQUIRE(pdma_dmabuf_export(&info, &b) == 0);
	CHECK(pdma_dmabuf_resv(a) != &shared);
	CHECK(pdma_dmabuf_resv(b) == &shared);
	CHECK_STR(pdma_dmabuf_exp_name(a), "mock");
	CHECK(pdma_dmabuf_get(a) == a);
	pdma_dmabuf_put(a);
	CHECK_EQ_INT(m.releases, 0);
	pdma_dmabuf_put(a);
	CHECK_EQ_INT(m.releases, 1);
	pdma_dmabuf_put(b);
	CHECK_EQ_INT(m.releases, 2);
	pdma_resv_fini(&shared);	/* still ours: the buffer did not fini it */
	pdma_dmabuf_put(NULL);
}

static void test_attach(void)
{
	static const struct pdma_dmabuf_importer_ops no_cb = { true, NULL };
	static const struct pdma_dmabuf_importer_ops p2p = { true, moved };
	static const struct pdma_dmabuf_importer_ops nop2p = { false, moved };
	struct pdma_dmabuf_export_info info = { 0 };
	struct pdma_dmabuf_attachment *s, *d, *n;
	struct pdma_dmabuf *buf;
	struct mock m = { 0 };
	int tag;

	info.ops = &good_ops;
	info.priv = &m;
	info.size = 4096;
	REQUIRE(pdma_dmabuf_export(&info, &buf) == 0);
	CHECK_EQ_INT(pdma_dmabuf_attach(NULL, 1, &s), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_attach(buf, -1, &s), -EINVAL);
	CHECK_EQ_INT(pdma_dmabuf_dynamic_attach(buf, 1, &no_cb, NULL, &d),
		     -EINVAL);
	CHECK(d == NULL);
	CHECK_EQ_INT(m.attaches, 0);

	REQUIRE(pdma_dmabuf_attach(buf, 1, &s) == 0);
	CHECK(!pdma_dmabuf_attachment_is_dynamic(s));
	CHECK(!s->peer2peer);		/* static: never peer2peer */
	CHECK(s->dmabuf == buf && s->dev == 1);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, 2, &p2p, &tag, &d) == 0);
	CHECK(pdma_dmabuf_attachment_is_dynamic(d));
	CHECK(d->peer2peer);
	CHECK(d->importer_priv == &tag);
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, 3, &nop2p, NULL, &n) == 0);
	CHECK(!n->peer2peer);
	CHECK_EQ_INT(m.attaches, 3);
	pdma_dmabuf_detach(buf, n);

	/* The exporter may clear peer2peer ... */
	m.clear_p2p = true;
	REQUIRE(pdma_dmabuf_dynamic_attach(buf, 4, &p2p, NULL, &n) == 0);
	CHECK(!n->peer2peer);
	pdma_dmabuf_detach(buf, n);
	/* ... or refuse. */
	m.attach_ret = -EBUSY;
	CHECK_EQ_INT(pdma_dmabuf_dynamic_attach(buf, 5, &p2p, NULL, &n),
		     -EBUSY);
	CHECK(n == NULL);
	CHECK_EQ_INT(m.attaches, 4);

	pdma_dmabuf_detach(buf, s);
	pdma_dmabuf_detach(buf, d);
	pdma_dmabuf_detach(buf, NULL);
	CHECK_EQ_INT(m.detaches, 4);
	pdma_dmabuf_put(buf);
	CHECK_EQ_INT(m.releases, 1);
}

int main(void)
{
	test_validation();
	test_refs_and_resv();
	test_attach();
	return harness_exit();
}
