"""RFC 9162 Merkle hashing and proofs against every vector in ledger/tests/data/merkle."""

import base64
import json

import pytest

from lawtrail.ledger import merkle
from lawtrail.testing import MERKLE_VECTORS as VECTORS

TD = VECTORS / "transparency-dev-merkle"
CCTV = VECTORS / "c2sp-cctv-merkle" / "merkle" / "testdata"


def b64(text):
    return base64.b64decode(text)


def load(path):
    return json.loads(path.read_text())


def files(kind):
    found = sorted((TD / "testdata" / kind).rglob("*.json"))
    assert found, f"test vectors missing under {TD}"
    return found


def ids(paths):
    return [str(p.relative_to(TD / "testdata")) for p in paths]


CONSTANTS = load(TD / "tree_constants.json")
LEAVES = [bytes.fromhex(h) for h in CONSTANTS["leaf_inputs_hex"]]
LEAF_HASHES = [merkle.leaf_hash(d) for d in LEAVES]


def test_it_computes_every_root_by_size():
    for size, want in enumerate(CONSTANTS["root_hashes_by_size_hex"]):
        assert merkle.root_from_leaf_hashes(LEAF_HASHES[:size]).hex() == want


def test_it_computes_every_complete_subtree_node():
    level = LEAF_HASHES
    for want_level in CONSTANTS["node_hashes_by_level_hex"]:
        assert [h.hex() for h in level] == want_level
        level = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]


def test_it_matches_the_single_hash_vectors():
    got = [
        merkle.EMPTY_ROOT.hex(),
        merkle.leaf_hash(b"").hex(),
        merkle.leaf_hash(b"L123456").hex(),
        merkle.node_hash(b"N123", b"N456").hex(),
    ]
    assert got == [v["want"] for v in CONSTANTS["single_hash_vectors"]]


def test_the_compact_tree_agrees_with_the_recursive_root_at_every_size():
    tree = merkle.CompactTree()
    for size, h in enumerate(LEAF_HASHES, start=1):
        tree.append(h)
        assert tree.root().hex() == CONSTANTS["root_hashes_by_size_hex"][size]


@pytest.mark.parametrize("runs", [[1] * 8, [1, 1, 2, 4], [4, 4], [8], [2, 1, 1, 4], [3, 1, 4], [1, 2, 1, 4]])
def test_extending_the_compact_tree_by_runs_agrees_with_the_roots_by_size(runs):
    """Runs that fill a complete subtree at their position are hashed level by level, the
    others leaf by leaf; either way the root at every run's end is the vector's."""
    tree, size = merkle.CompactTree(), 0
    for run in runs:
        tree.extend(LEAF_HASHES[size:size + run])
        size += run
        assert tree.size == size
        assert tree.root().hex() == CONSTANTS["root_hashes_by_size_hex"][size]


def test_a_whole_tree_gives_every_root_and_every_proof_of_every_size():
    """One `Tree` answers all proofs (an export asks hundreds), each verifying against the
    root; the vectors below check the paths themselves."""
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(70)]
    assert merkle.Tree(LEAF_HASHES[:0]).root() == merkle.EMPTY_ROOT
    for size, want in enumerate(CONSTANTS["root_hashes_by_size_hex"][1:], start=1):
        assert merkle.Tree(LEAF_HASHES[:size]).root().hex() == want
    for size in range(1, 71):
        tree = merkle.Tree(leaves[:size])
        root = merkle.root_from_leaf_hashes(leaves[:size])
        assert tree.root() == root
        for index in range(size):
            merkle.verify_inclusion(index, size, leaves[index], tree.inclusion_proof(index), root)
    with pytest.raises(merkle.ProofError):
        merkle.Tree(leaves[:5]).inclusion_proof(5)


INCLUSION = files("inclusion")


@pytest.mark.parametrize("path", INCLUSION, ids=ids(INCLUSION))
def test_inclusion_vector(path):
    v = load(path)
    check = lambda: merkle.verify_inclusion(  # noqa: E731
        v["leafIdx"], v["treeSize"], b64(v["leafHash"]), [b64(p) for p in v["proof"] or []], b64(v["root"])
    )
    if v["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()


CONSISTENCY = files("consistency")


@pytest.mark.parametrize("path", CONSISTENCY, ids=ids(CONSISTENCY))
def test_consistency_vector(path):
    v = load(path)
    check = lambda: merkle.verify_consistency(  # noqa: E731
        v["size1"], v["size2"], b64(v["root1"]), b64(v["root2"]), [b64(p) for p in v["proof"] or []]
    )
    if v["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()


def test_our_proofs_reproduce_the_transparency_dev_happy_paths():
    """Proofs we generate from the eight leaves equal the published ones."""
    for path in INCLUSION:
        v = load(path)
        if v["desc"] == "happy path" and v["treeSize"] <= len(LEAF_HASHES):
            proof = merkle.inclusion_proof(LEAF_HASHES[: v["treeSize"]], v["leafIdx"])
            assert [base64.b64encode(p).decode() for p in proof] == (v["proof"] or []), path
    for path in CONSISTENCY:
        v = load(path)
        if v["desc"] == "happy path" and v["size2"] <= len(LEAF_HASHES):
            proof = merkle.consistency_proof(LEAF_HASHES[: v["size2"]], v["size1"])
            assert [base64.b64encode(p).decode() for p in proof] == (v["proof"] or []), path


# --- C2SP CCTV vectors ---------------------------------------------------------

TREE = load(CCTV / "merkle_tree.json")
CCTV_LEAVES = [merkle.leaf_hash(e["leaf_data"].encode()) for e in TREE]


def test_cctv_leaf_and_root_hashes():
    for i, entry in enumerate(TREE):
        assert CCTV_LEAVES[i] == b64(entry["leaf_hash"])
        assert merkle.root_from_leaf_hashes(CCTV_LEAVES[: i + 1]) == b64(entry["root_hash"])


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_cctv_inclusion(valid):
    cases = load(CCTV / f"inclusion-{'valid' if valid else 'invalid'}.json")
    assert cases
    for v in cases:
        args = (v["leaf_index"], v["tree_size"], b64(v["leaf_hash"]), [b64(p) for p in v["inclusion_path"]],
                b64(v["root_hash"]))
        if valid:
            merkle.verify_inclusion(*args)
            assert merkle.inclusion_proof(CCTV_LEAVES[: v["tree_size"]], v["leaf_index"]) == args[3]
        else:
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(*args)


def _cctv_consistency_args(v):
    return (v["old_size"], v["new_size"], b64(v["old_root"]), b64(v["new_root"]),
            [b64(p) for p in v["consistency_path"]])


def test_cctv_consistency_valid_except_our_size_zero_policy():
    """Every valid vector verifies, except that an empty old tree is refused by policy
    (merkle.py docstring): those vectors must be exactly the ones with old_size 0."""
    refused = []
    for v in load(CCTV / "consistency-valid.json"):
        args = _cctv_consistency_args(v)
        if v["old_size"] == 0:
            with pytest.raises(merkle.ProofError, match="empty tree"):
                merkle.verify_consistency(*args)
            refused.append((v["old_size"], v["new_size"]))
            continue
        merkle.verify_consistency(*args)
        if v["new_size"] <= len(CCTV_LEAVES):
            assert merkle.consistency_proof(CCTV_LEAVES[: v["new_size"]], v["old_size"]) == args[4]
    assert refused == [(0, 0), (0, 1)]


def test_cctv_consistency_invalid():
    cases = load(CCTV / "consistency-invalid.json")
    assert cases
    for v in cases:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*_cctv_consistency_args(v))
