/* SPDX-License-Identifier: MIT */
/*
 * An intrusive red-black tree with parent pointers: the caller embeds a
 * struct pdma__rb_node in its object, finds the insertion point itself
 * (walking ->left/->right by its own key), then calls pdma__rb_link().
 * No locking: the owner of the tree serializes every call.
 */
#ifndef PDMA_IOMMU_RBTREE_H
#define PDMA_IOMMU_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

#ifndef PDMA_INTERNAL
#define PDMA_INTERNAL __attribute__((visibility("hidden")))
#endif

struct pdma__rb_node {
	struct pdma__rb_node *parent;
	struct pdma__rb_node *left;
	struct pdma__rb_node *right;
	bool red;
};

struct pdma__rb_root {
	struct pdma__rb_node *node;
};

#define pdma__rb_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/*
 * Insert @node as the child of @parent that @link points to (&parent->left
 * or &parent->right, or &root->node when the tree is empty), then rebalance.
 */
PDMA_INTERNAL void pdma__rb_link(struct pdma__rb_root *root,
				 struct pdma__rb_node *node,
				 struct pdma__rb_node *parent,
				 struct pdma__rb_node **link);
/* Remove @node from the tree and rebalance. */
PDMA_INTERNAL void pdma__rb_erase(struct pdma__rb_root *root,
				  struct pdma__rb_node *node);

/* In-order neighbours and ends; NULL past either end or in an empty tree. */
PDMA_INTERNAL struct pdma__rb_node *pdma__rb_next(const struct pdma__rb_node *n);
PDMA_INTERNAL struct pdma__rb_node *pdma__rb_prev(const struct pdma__rb_node *n);
PDMA_INTERNAL struct pdma__rb_node *pdma__rb_first(const struct pdma__rb_root *r);
PDMA_INTERNAL struct pdma__rb_node *pdma__rb_last(const struct pdma__rb_root *r);

/*
 * Check the red-black properties and the parent links (for tests).
 * Return: the black height (>= 0), or -1 if the tree is broken.
 */
PDMA_INTERNAL int pdma__rb_check(const struct pdma__rb_root *root);

#endif /* PDMA_IOMMU_RBTREE_H */
