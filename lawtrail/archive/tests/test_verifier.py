"""The stand-alone verifier's own cryptography: Ed25519 against `cryptography`, and RFC
9162 inclusion proofs against the shipped test vectors."""

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lawtrail.archive import verifier
from lawtrail.ledger import merkle
from lawtrail.testing import MERKLE_VECTORS

CCTV = MERKLE_VECTORS / "c2sp-cctv-merkle" / "merkle" / "testdata"
TD = MERKLE_VECTORS / "transparency-dev-merkle" / "testdata" / "inclusion"


def raw_public(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.mark.parametrize("length", [0, 1, 64, 1000])
def test_ed25519_accepts_what_cryptography_signs_and_nothing_else(length):
    key = Ed25519PrivateKey.generate()
    message = os.urandom(length)
    signature = key.sign(message)
    public = raw_public(key)
    assert verifier.ed25519_verify(public, message, signature)
    assert not verifier.ed25519_verify(public, message + b"x", signature)
    assert not verifier.ed25519_verify(raw_public(Ed25519PrivateKey.generate()), message, signature)
    bad = bytearray(signature)
    bad[5] ^= 1
    assert not verifier.ed25519_verify(public, message, bytes(bad))
    assert not verifier.ed25519_verify(public, message, signature[:63])


def test_ed25519_rejects_a_non_canonical_s():
    key = Ed25519PrivateKey.generate()
    signature = key.sign(b"m")
    s = int.from_bytes(signature[32:], "little") + verifier._L
    assert not verifier.ed25519_verify(raw_public(key), b"m", signature[:32] + s.to_bytes(32, "little"))


def b64(text):
    return base64.b64decode(text)


def check(index, size, leaf, path, root):
    if len(root) != 32:
        return False
    try:
        return verifier.root_from_inclusion_proof(index, size, leaf, path) == root
    except ValueError:
        return False


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_inclusion_proofs_follow_the_c2sp_vectors(valid):
    cases = json.loads((CCTV / f"inclusion-{'valid' if valid else 'invalid'}.json").read_text())
    assert cases
    for v in cases:
        assert check(v["leaf_index"], v["tree_size"], b64(v["leaf_hash"]),
                     [b64(p) for p in v["inclusion_path"]], b64(v["root_hash"])) == valid, v


def test_inclusion_proofs_follow_the_transparency_dev_vectors():
    paths = sorted(TD.rglob("*.json"))
    assert paths
    for path in paths:
        v = json.loads(path.read_text())
        ok = check(v["leafIdx"], v["treeSize"], b64(v["leafHash"]), [b64(p) for p in v["proof"] or []],
                   b64(v["root"]))
        assert ok == (not v["wantErr"]), path.name


def test_hashing_agrees_with_the_ledger():
    leaves = [verifier.leaf_hash(bytes([i])) for i in range(7)]
    assert leaves == [merkle.leaf_hash(bytes([i])) for i in range(7)]
    root = merkle.root_from_leaf_hashes(leaves)
    for i in range(7):
        assert verifier.root_from_inclusion_proof(i, 7, leaves[i], merkle.inclusion_proof(leaves, i)) == root


def test_the_verifier_uses_only_the_standard_library():
    import ast
    import sys

    tree = ast.parse(open(verifier.__file__, encoding="utf-8").read())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= sys.stdlib_module_names, imported - sys.stdlib_module_names
