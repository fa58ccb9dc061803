/* SPDX-License-Identifier: MIT */
/*
 * Red-black tree (Guibas-Sedgewick colouring, the textbook insert and erase
 * fix-ups) with NULL leaves.  Keys are the caller's business.
 */
#include "rbtree.h"

static void set_child(struct pdma__rb_root *root, struct pdma__rb_node *parent,
		      struct pdma__rb_node *old, struct pdma__rb_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

static void rotate_left(struct pdma__rb_root *root, struct pdma__rb_node *x)
{
	struct pdma__rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	set_child(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
}

static void rotate_right(struct pdma__rb_root *root, struct pdma__rb_node *x)
{
	struct pdma__rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	set_child(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
}

static bool is_red(const struct pdma__rb_node *n)
{
	return n && n->red;
}

void pdma__rb_link(struct pdma__rb_root *root, struct pdma__rb_node *node,
		   struct pdma__rb_node *parent, struct pdma__rb_node **link)
{
	struct pdma__rb_node *z = node, *p, *g, *u;

	node->parent = parent;
	node->left = node->right = NULL;
	node->red = true;
	*link = node;

	while ((p = z->parent) && p->red) {
		g = p->parent;	/* p is red, so not the root */
		if (p == g->left) {
			u = g->right;
			if (is_red(u)) {
				p->red = u->red = false;
				g->red = true;
				z = g;
				continue;
			}
			if (z == p->right) {
				rotate_left(root, p);
				z = p;
				p = z->parent;
			}
			p->red = false;
			g->red = true;
			rotate_right(root, g);
		} else {
			u = g->left;
			if (is_red(u)) {
				p->red = u->red = false;
				g->red = true;
				z = g;
				continue;
			}
			if (z == p->left) {
				rotate_right(root, p);
				z = p;
				p = z->parent;
			}
			p->red = false;
			g->red = true;
			rotate_left(root, g);
		}
	}
	root->node->red = false;
}

/* Put @v where @u was (as its parent's child); @v may be NULL. */
static void transplant(struct pdma__rb_root *root, struct pdma__rb_node *u,
		       struct pdma__rb_node *v)
{
	set_child(root, u->parent, u, v);
	if (v)
		v->parent = u->parent;
}

/* @x (maybe NULL, a leaf) with parent @xp carries an extra black. */
static void erase_fixup(struct pdma__rb_root *root, struct pdma__rb_node *x,
			struct pdma__rb_node *xp)
{
	struct pdma__rb_node *w;

	while (x != root->node && !is_red(x)) {
		if (x == xp->left) {
			w = xp->right;
			if (w->red) {
				w->red = false;
				xp->red = true;
				rotate_left(root, xp);
				w = xp->right;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->red = true;
				x = xp;
				xp = x->parent;
				continue;
			}
			if (!is_red(w->right)) {
				w->left->red = false;
				w->red = true;
				rotate_right(root, w);
				w = xp->right;
			}
			w->red = xp->red;
			xp->red = false;
			w->right->red = false;
			rotate_left(root, xp);
		} else {
			w = xp->left;
			if (w->red) {
				w->red = false;
				xp->red = true;
				rotate_right(root, xp);
				w = xp->left;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->red = true;
				x = xp;
				xp = x->parent;
				continue;
			}
			if (!is_red(w->left)) {
				w->right->red = false;
				w->red = true;
				rotate_left(root, w);
				w = xp->left;
			}
			w->red = xp->red;
			xp->red = false;
			w->left->red = false;
			rotate_right(root, xp);
		}
		x = root->node;
		break;
	}
	if (x)
		x->red = false;
}

void pdma__rb_erase(struct pdma__rb_root *root, struct pdma__rb_node *z)
{
	struct pdma__rb_node *x, *xp, *y;
	bool removed_red;

	if (!z->left || !z->right) {
		x = z->left ? z->left : z->right;
		xp = z->parent;
		removed_red = z->red;
		transplant(root, z, x);
	} else {
		y = z->right;
		while (y->left)
			y = y->left;
		removed_red = y->red;
		x = y->right;
		if (y->parent == z) {
			xp = y;
		} else {
			xp = y->parent;
			transplant(root, y, y->right);
			y->right = z->right;
			y->right->parent = y;
		}
		transplant(root, z, y);
		y->left = z->left;
		y->left->parent = y;
		y->red = z->red;
	}
	if (!removed_red && root->node)
		erase_fixup(root, x, xp);
}

struct pdma__rb_node *pdma__rb_next(const struct pdma__rb_node *n)
{
	const struct pdma__rb_node *p;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct pdma__rb_node *)n;
	}
	while ((p = n->parent) && n == p->right)
		n = p;
	return (struct pdma__rb_node *)p;
}

struct pdma__rb_node *pdma__rb_prev(const struct pdma__rb_node *n)
{
	const struct pdma__rb_node *p;

	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct pdma__rb_node *)n;
	}
	while ((p = n->parent) && n == p->left)
		n = p;
	return (struct pdma__rb_node *)p;
}

struct pdma__rb_node *pdma__rb_first(const struct pdma__rb_root *r)
{
	struct pdma__rb_node *n = r->node;

	while (n && n->left)
		n = n->left;
	return n;
}

struct pdma__rb_node *pdma__rb_last(const struct pdma__rb_root *r)
{
	struct pdma__rb_node *n = r->node;

	while (n && n->right)
		n = n->right;
	return n;
}

static int check_node(const struct pdma__rb_node *n,
		      const struct pdma__rb_node *parent)
{
	int l, r;

	if (!n)
		return 0;
	if (n->parent != parent)
		return -1;
	if (n->red && (is_red(n->left) || is_red(n->right)))
		return -1;
	l = check_node(n->left, n);
	r = check_node(n->right, n);
	if (l < 0 || r < 0 || l != r)
		return -1;
	return l + !n->red;
}

int pdma__rb_check(const struct pdma__rb_root *root)
{
	if (root->node && root->node->red)
		return -1;
	return check_node(root->node, NULL);
}
