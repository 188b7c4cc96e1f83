"""RFC 9162 Merkle tree hashing, proofs and proof verification (section 2.1).

leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), and the root
of the empty tree is SHA-256(""). Proofs are lists of 32-byte hashes.

Size-0 policy: a consistency proof whose old tree is empty is rejected. Every tree
is trivially consistent with the empty tree, so such a "proof" proves nothing, and
LawTrail never signs a checkpoint of size 0. The transparency-dev vectors share this
policy; the C2SP vectors accept (0,0) and (0,1) with an empty path, and the tests
assert our documented rejection for exactly those cases.
"""

import hashlib

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, with the reason."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_hashes(leaves):
    return list(map(leaf_hash, leaves))


def _split(n):
    """The largest power of two smaller than n (RFC 9162 k)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes):
    """MTH over already-hashed leaves, in O(n) with a stack of complete subtrees."""
    if not hashes:
        return EMPTY_ROOT
    tree = CompactTree()
    for h in hashes:
        tree.append(h)
    return tree.root()


class CompactTree:
    """Appends leaf hashes and gives the root at any size in O(log n) memory.

    `lawtrail verify` streams the whole ledger through one of these and reads the
    root at each checkpoint size on the way.
    """

    def __init__(self, subtrees=()):
        """`subtrees`: the (height, root) of the complete subtrees of a tree to go on from,
        left to right, each lower than the one before (its frontier: `Nodes.frontier`)."""
        self.size = 0
        self._stack = []  # (height, hash) of complete subtrees, left to right
        for height, h in subtrees:
            self.extend_subtrees(height, [h])

    def append(self, h: bytes):
        self._push(0, h)
        self.size += 1

    def extend(self, hashes):
        """Append many leaf hashes. A run that makes a complete subtree at the current size
        (a power of two long, the size a multiple of it) is hashed level by level."""
        n = len(hashes)
        if n < 2 or n & (n - 1) or self.size % n:
            for h in hashes:
                self.append(h)
            return
        self._push(n.bit_length() - 1, perfect_root(hashes))
        self.size += n

    def extend_subtrees(self, height, roots):
        """Append complete subtrees of 2**height leaves each, by their roots (the size a
        multiple of 2**height)."""
        for h in roots:
            self._push(height, h)
        self.size += len(roots) << height

    def _push(self, height, h):
        """A complete subtree of 2**height leaves; the size is a multiple of that, so every
        subtree on the stack is at least as high and equal heights merge."""
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            h = node_hash(left, h)
            height += 1
        self._stack.append((height, h))

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1][1]
        for _, h in reversed(self._stack[:-1]):
            acc = node_hash(h, acc)
        return acc


def perfect_root(hashes):
    """MTH of a power-of-two run of hashes (a complete subtree), level by level."""
    level = hashes
    while len(level) > 1:
        pairs = iter(level)
        level = list(map(node_hash, pairs, pairs))
    return level[0]


class Nodes:
    """The RFC 9162 recursion (root, PATH, PROOF) over any source of complete subtrees:
    `_perfect(height, index)` is MTH of the 2**height leaves from index * 2**height. The
    others, on a right edge, are hashed from their two halves once. A subtree once complete
    never changes, so one source answers for every size up to its own."""

    size = 0

    def _perfect(self, height, index):
        raise NotImplementedError

    def _node(self, start, end):
        width = end - start
        if width & (width - 1) == 0:
            height = width.bit_length() - 1
            return self._perfect(height, start >> height)
        partial = self.__dict__.setdefault("_partial", {})
        if (start, end) not in partial:
            k = _split(width)
            partial[start, end] = node_hash(self._node(start, start + k), self._node(start + k, end))
        return partial[start, end]

    def _check_size(self, size):
        if not 0 <= size <= self.size:
            raise ProofError(f"size {size} is outside a tree of size {self.size}")
        return size

    def root(self, size=None):
        size = self._check_size(self.size if size is None else size)
        return self._node(0, size) if size else EMPTY_ROOT

    def frontier(self, size=None):
        """(height, root) of the complete subtrees the tree of `size` leaves is made of, left
        to right: all a `CompactTree` needs to go on from that size."""
        size = self._check_size(self.size if size is None else size)
        subtrees, start = [], 0
        for height in reversed(range(size.bit_length())):
            if size >> height & 1:
                subtrees.append((height, self._perfect(height, start >> height)))
                start += 1 << height
        return subtrees

    def inclusion_proof(self, index, size=None):
        """PATH(m, D[n]) (RFC 9162 2.1.3.1), from the leaf's sibling up."""
        size = self._check_size(self.size if size is None else size)
        if not 0 <= index < size:
            raise ProofError(f"leaf index {index} is outside a tree of size {size}")
        path, start, end = [], 0, size
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                path.append(self._node(start + k, end))
                end = start + k
            else:
                path.append(self._node(start, start + k))
                start += k
        return path[::-1]

    def consistency_proof(self, old_size, size=None):
        """PROOF(m, D[n]) (RFC 9162 2.1.4.1)."""
        size = self._check_size(self.size if size is None else size)
        if not 0 < old_size <= size:
            raise ProofError(f"no consistency proof from size {old_size} to size {size}")
        path, start, end, m, complete = [], 0, size, old_size, True
        while m != end - start:  # SUBPROOF(m, D[start:end], complete), its tail first
            k = _split(end - start)
            if m <= k:
                path.append(self._node(start + k, end))
                end = start + k
            else:
                path.append(self._node(start, start + k))
                start, m, complete = start + k, m - k, False
        if not complete:
            path.append(self._node(start, end))
        return path[::-1]


class Tree(Nodes):
    """A whole tree over its leaf hashes, each level of complete subtrees kept as one bytes
    string (64 bytes a leaf in all): its root, and proofs in O(log n) each once built in
    O(n), where proving from the leaves would cost O(n) each."""

    def __init__(self, hashes):
        self.size = len(hashes)
        self._levels = [b"".join(hashes)]
        while len(self._levels[-1]) >= 2 * HASH_SIZE:
            below = self._levels[-1]
            self._levels.append(b"".join(node_hash(below[i:i + HASH_SIZE], below[i + HASH_SIZE:i + 2 * HASH_SIZE])
                                         for i in range(0, len(below) - 2 * HASH_SIZE + 1, 2 * HASH_SIZE)))

    def _perfect(self, height, index):
        at = index * HASH_SIZE
        return self._levels[height][at:at + HASH_SIZE]


def inclusion_proof(hashes, index):
    """PATH(m, D[n]) over leaf hashes (RFC 9162 2.1.3.1); for many proofs in one tree,
    build a `Tree` once."""
    return Tree(hashes).inclusion_proof(index)


def consistency_proof(hashes, old_size):
    """PROOF(m, D[n]) over leaf hashes (RFC 9162 2.1.4.1)."""
    return Tree(hashes).consistency_proof(old_size)


def _check_hashes(*hashes):
    for h in hashes:
        if not isinstance(h, (bytes, bytearray)) or len(h) != HASH_SIZE:
            raise ProofError("every hash must be 32 bytes")


def root_from_inclusion_proof(index, size, leaf, proof):
    """RFC 9162 2.1.3.2 steps 1-5: the root that `proof` implies for `leaf`."""
    if size <= 0 or index < 0 or index >= size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes(leaf, *proof)
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree requires")
    return r


def verify_inclusion(index, size, leaf, proof, root):
    _check_hashes(root)
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(old_size, new_size, old_root, new_root, proof):
    """RFC 9162 2.1.4.2, with the size-0 policy in this module's docstring.

    Roots are only compared, never hashed further, so their length is not checked."""
    _check_hashes(*proof)
    if old_size <= 0:
        raise ProofError("a consistency proof from an empty tree proves nothing; refused")
    if old_size > new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if old_root != new_root:
            raise ProofError("equal sizes but different roots")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # exact power of two
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the trees allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the trees require")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")
