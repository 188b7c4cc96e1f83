"""The Merkle tree's stored tiles (ledger/tiles.py): the same tree as one built from every
leaf, proofs that the existing verifier accepts, immutable once full, checked by verify,
served to auditors, and backfilled for a ledger that had none."""

import hashlib
import importlib
import random

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from lawtrail.archive.integrity import verify_ledger
from lawtrail.ledger import merkle, selectors, tiles
from lawtrail.ledger.chain import ledger_flush
from lawtrail.ledger.models import Checkpoint, Tile
from lawtrail.ledger.services import ledger_append, ledger_checkpoint
from lawtrail.testing import behind_the_ledger, sign_in


def synthetic(count, seed=0):
    return [hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(count)]


def append(count, reason="记"):
    """Each entry its own transaction; on PostgreSQL the batched chain takes them in passes
    that stop before each tile's last entry and chain it with the tile."""
    for i in range(count):
        with transaction.atomic():
            ledger_append(actor=None, action="note", reason=f"{reason}{i}")
    ledger_flush()


def stored():
    return {(t.level, t.n): bytes(t.hashes) for t in Tile.objects.all()}


@pytest.mark.django_db
def test_tiles_give_the_root_of_every_size_as_the_whole_tree_does():
    leaves = synthetic(65536 + 1)
    tiles.store_hashes(0, 0, leaves)
    assert Tile.objects.filter(level=0).count() == 257 and Tile.objects.get(level=2, n=0).width == 1
    tree, whole = tiles.TileTree(len(leaves)), merkle.Tree(leaves)
    sizes = [0, 1, 2, 255, 256, 257, 511, 512, 65535, 65536, 65537] + random.Random(1).sample(range(65537), 40)
    for size in sizes:
        assert tree.root(size) == whole.root(size), size
    assert tree.root(0) == merkle.EMPTY_ROOT


@pytest.mark.django_db
def test_tiles_stored_in_any_batches_are_the_tiles_stored_at_once():
    leaves = synthetic(1500, seed=2)
    rng, start = random.Random(3), 0
    while start < len(leaves):
        step = rng.choice([1, 1, 2, 7, 255, 256, 257, 300])
        tiles.store_hashes(0, start, leaves[start:start + step])
        start += len(leaves[start:start + step])
    batched = stored()
    behind_the_ledger("DELETE FROM ledger_tile", tables=("ledger_tile",))
    tiles.store_hashes(0, 0, leaves)
    assert stored() == batched


@pytest.mark.django_db
def test_proofs_from_tiles_verify_with_the_existing_verifier():
    leaves = synthetic(700, seed=4)
    tiles.store_hashes(0, 0, leaves)
    tree, whole = tiles.TileTree(len(leaves)), merkle.Tree(leaves)
    rng = random.Random(5)
    pairs = [(1, 1), (1, 2), (255, 256), (256, 257), (256, 700), (257, 700), (699, 700)] + \
        [tuple(sorted(rng.sample(range(1, 701), 2))) for _ in range(150)]
    for m, n in pairs:
        proof = tree.consistency_proof(m, n)
        assert proof == whole.consistency_proof(m, n)
        merkle.verify_consistency(m, n, whole.root(m), whole.root(n), proof)
        index = rng.randrange(n)
        merkle.verify_inclusion(index, n, leaves[index], tree.inclusion_proof(index, n), whole.root(n))
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(3, 700, whole.root(3), whole.root(700), tree.consistency_proof(4, 700))


def test_partial_tiles_grow_into_full_ones_that_never_change(org):
    append(tiles.WIDTH + 3 - selectors.entry_count())
    assert list(Tile.objects.values_list("level", "n", "width")) == [(0, 0, tiles.WIDTH), (1, 0, 1)]
    first = bytes(Tile.objects.get(level=1, n=0).hashes)
    append(tiles.WIDTH, reason="再记")
    assert sorted(Tile.objects.values_list("level", "n", "width")) == [(0, 0, tiles.WIDTH), (0, 1, tiles.WIDTH),
                                                                         (1, 0, 2)]
    assert bytes(Tile.objects.get(level=1, n=0).hashes)[:32] == first
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_tile SET hashes = %s WHERE level = 0 AND n = 0", [b"\0" * tiles.TILE_BYTES])
    leaves = selectors.leaf_hashes(selectors.entry_count())
    tree = tiles.TileTree(len(leaves))
    for size in (1, 255, 256, 257, 511, 512, len(leaves)):
        assert tree.root(size) == merkle.root_from_leaf_hashes(leaves[:size]), size


def test_selectors_prove_from_tiles_against_the_signed_checkpoint(org):
    append(300)
    cp = ledger_checkpoint()
    assert cp.root_hash == merkle.root_from_leaf_hashes(selectors.leaf_hashes(cp.tree_size)).hex()
    proof = selectors.inclusion(257)
    merkle.verify_inclusion(256, cp.tree_size, selectors.base64.b64decode(proof["leaf_hash"]),
                            [selectors.base64.b64decode(h) for h in proof["inclusion_path"]],
                            bytes.fromhex(cp.root_hash))


def test_verify_names_a_changed_tile(org):
    append(tiles.WIDTH + 10)
    ledger_checkpoint()
    assert verify_ledger().ok
    behind_the_ledger("UPDATE ledger_tile SET hashes = %s WHERE level = 0 AND n = 0",
                      [b"\1" * tiles.TILE_BYTES], tables=("ledger_tile",))
    with connection.cursor() as cursor:  # a partial tile: the trigger lets it change, verify does not
        cursor.execute("UPDATE ledger_tile SET hashes = %s WHERE level = 1 AND n = 0", [b"\2" * 32])
    report = verify_ledger()
    assert {(p.kind, p.ref) for p in report.problems} == {("tile", "tile 0/000"), ("tile", "tile 1/000.p/1")}


def test_the_tile_url_serves_the_stored_bytes_to_auditors_only(org, client):
    append(tiles.WIDTH + 4)
    sign_in(client, org.user("supervisor"))  # (signing in is an entry too)
    leaves = selectors.leaf_hashes(selectors.entry_count())
    response = client.get("/ledger/tile/0/000")
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert response.content == b"".join(leaves[:tiles.WIDTH])
    width = len(leaves) - tiles.WIDTH
    assert client.get(f"/ledger/tile/0/001.p/{width}").content == b"".join(leaves[tiles.WIDTH:])
    assert client.get("/ledger/tile/0/001.p/2").content == b"".join(leaves[tiles.WIDTH:tiles.WIDTH + 2])
    assert client.get("/ledger/tile/1/000.p/1").content == merkle.perfect_root(leaves[:tiles.WIDTH])
    for missing in ("0/001", "0/002", f"0/001.p/{width + 100}", "0/1", "0/001.p/256", "9/000"):
        assert client.get(f"/ledger/tile/{missing}").status_code == 404, missing
    client.logout()
    sign_in(client, org.officer_users[0])
    assert client.get("/ledger/tile/0/000").status_code == 403


def test_tile_paths_are_c2sp_paths():
    assert tiles.tile_path(0, 1234067) == "0/x001/x234/067"
    assert tiles.tile_path(2, 5, 17) == "2/005.p/17"
    assert tiles.parse_path("0/x001/x234/067") == (0, 1234067, None)
    assert tiles.parse_path("1/005.p/17") == (1, 5, 17)
    assert tiles.parse_path("1/5") is None and tiles.parse_path("1/005.p/017") is None


def test_the_migration_backfills_the_tiles_of_an_existing_ledger(org):
    append(600)
    cp = ledger_checkpoint()
    before = stored()
    behind_the_ledger("DELETE FROM ledger_tile", tables=("ledger_tile",))
    with pytest.raises(tiles.TilesBehind):
        tiles.TileTree(cp.tree_size).root()
    importlib.import_module("lawtrail.ledger.migrations.0007_tiles").backfill(None, None)
    assert stored() == before
    assert tiles.TileTree(cp.tree_size).root().hex() == Checkpoint.objects.get(pk=cp.pk).root_hash


def test_verify_reuses_the_tiles_it_checks_for_the_roots_of_checkpoints(org, monkeypatch):
    monkeypatch.setattr(selectors, "CHUNK", 2 * tiles.WIDTH)  # chunks of whole tiles: their roots reused
    append(2 * tiles.WIDTH - selectors.entry_count())
    ledger_checkpoint()  # at a chunk's end
    append(50)
    ledger_checkpoint()  # inside a chunk
    append(tiles.WIDTH)
    ledger_checkpoint()
    assert verify_ledger().ok
    behind_the_ledger("UPDATE ledger_checkpoint SET root_hash = %s WHERE tree_size = %s",
                      ["00" * 32, 2 * tiles.WIDTH], tables=("ledger_checkpoint",))
    assert [p.kind for p in verify_ledger().problems] == ["checkpoint", "checkpoint"]  # its root and its signature


@pytest.mark.django_db
def test_leaves_whose_bytes_the_database_builds_otherwise_are_hashed_from_the_entries(org, monkeypatch):
    """PostgreSQL hashes the leaves where the entries are, and says whether every entry's bytes
    there hash to its entry_hash; where one does not, the leaves come from the entries' bytes
    as LawTrail encodes them. Made here by a database that builds wrong bytes for every entry."""
    if connection.vendor != "postgresql":
        pytest.skip("the leaves are hashed in the database on PostgreSQL")
    append(5, reason="含“引号”与\\反斜杠\n换行")
    count = selectors.entry_count()
    expected = [h for chunk in selectors.entry_chunks(after=0, upto=count) for h in merkle.leaf_hashes(chunk.data)]
    assert tiles.leaf_hashes(0, count) == expected  # the database's bytes, all exact
    real = tiles._leaf_sql()
    wrong = real.replace("convert_to(", "convert_to('x' || ", 1)
    assert wrong != real
    monkeypatch.setattr(tiles, "_leaf_sql", lambda: wrong)
    assert tiles.leaf_hashes(0, count) == expected
    assert tiles.TileTree(count).root() == merkle.root_from_leaf_hashes(expected)
