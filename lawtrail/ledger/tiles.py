"""The Merkle tree's hashes, stored as they are made, in C2SP tlog-tiles' layout
(https://c2sp.org/tlog-tiles): tile `n` of level `L` holds up to 256 consecutive hashes of
the tree's level 8L, from the (256 n)th on. Level 0 holds the leaf hashes; the hash at
position i of level L + 1 is the root of the full tile i of level L.

The tiles are written in the transaction that chains their entries (`extend`), so they
are exactly as complete as the chain, and a full tile never changes again (the database
refuses). Any complete subtree of a tree of any size up to the ledger's is then one
tile's slice hashed up at most 7 levels: a root, an inclusion or a consistency proof reads
O(log n) tiles (`TileTree`) instead of every entry, and needs no lock, since what a tile
held stays its prefix. `lawtrail verify` recomputes every tile from the entries
(`TileCheck`)."""

import re
from functools import cache

from django.db import connection

from lawtrail.ledger import merkle
from lawtrail.ledger.formats import entry_json_sql
from lawtrail.ledger.models import Entry, Tile

HEIGHT = 8
WIDTH = 1 << HEIGHT
HASH = merkle.HASH_SIZE
TILE_BYTES = WIDTH * HASH
_TABLE = Tile._meta.db_table


class TilesBehind(RuntimeError):
    """A tile the tree needs is missing or shorter than the chain: the tiles were not
    written with their entries (run the migrations) or were tampered with."""


def _hashes(data):
    return [data[i:i + HASH] for i in range(0, len(data), HASH)]


def _append_sql(vendor):
    grown = "CAST(hashes || %s AS BLOB)" if vendor == "sqlite" else "hashes || %s"
    return (f"UPDATE {_TABLE} SET hashes = {grown}, width = width + %s "
            "WHERE level = %s AND n = %s AND width = %s")


def extend(old_size, new_size, data=None):
    """The tiles of a tree grown from `old_size` leaves to `new_size`, inside the transaction
    that chained the entries between (`data`: their bytes, where the chainer has them).
    Level 0 is stored a full tile at a time: the leaf hashes of the tile not yet full are
    those of the entries themselves (`leaf_hashes`), so an append that fills no tile writes
    nothing here, and one in 256 writes a tile and grows the partial tile above it by one
    hash; only the leaves before `old_size` are read back."""
    first, last = old_size // WIDTH, new_size // WIDTH
    if last <= first:
        return
    new = merkle.leaf_hashes(data) if data is not None else leaf_hashes(old_size, new_size)
    store_hashes(0, first * WIDTH, leaf_hashes(first * WIDTH, old_size) + new[:last * WIDTH - old_size])


@cache
def _leaf_sql():
    """PostgreSQL hashes the leaves where the entries are (32 bytes an entry cross the wire),
    and says whether every entry's bytes there hash to its entry_hash."""
    data = entry_json_sql("postgresql")
    return ("SELECT string_agg(sha256('\\x00'::bytea || data), ''::bytea ORDER BY seq), "
            "bool_and(encode(sha256(data), 'hex') = entry_hash) "
            f"FROM (SELECT seq, entry_hash, convert_to({data}, 'UTF8') AS data FROM {Entry._meta.db_table} "
            "WHERE seq > %s AND seq <= %s) AS leaves")


def leaf_hashes(start, end):
    """The leaf hashes of leaves [start, end), from the entries' bytes."""
    if start >= end:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_leaf_sql(), [start, end])
            hashes, exact = cursor.fetchone()
        if exact:
            return _hashes(bytes(hashes))
    # Elsewhere, and should some entry's bytes as the database wrote them miss its hash
    # (`entry_chunks` encodes those again).
    from lawtrail.ledger.selectors import entry_chunks  # (which reads the tree through this module)

    return [h for chunk in entry_chunks(after=start, upto=end) for h in merkle.leaf_hashes(chunk.data)]


def store_hashes(level, start, hashes):
    """Add `hashes` at position `start` of `level`, and the hashes above that they complete
    (at level 0 a partial tile too: the tests' synthetic trees)."""
    with connection.cursor() as cursor:
        while hashes:
            n, off = divmod(start, WIDTH)
            data, full, first = b"".join(hashes), [], n
            if off:  # the partial tile grows first
                take = min(WIDTH - off, len(hashes))
                cursor.execute(_append_sql(connection.vendor), [data[:take * HASH], take, level, n, off])
                if cursor.rowcount != 1:
                    raise TilesBehind(f"ledger tile {level}/{n} is not {off} hashes wide")
                if off + take == WIDTH:
                    full.append(_read(level, n))
                data, first = data[take * HASH:], n + 1
            rows = [(level, first + i, len(data[at:at + TILE_BYTES]) // HASH, data[at:at + TILE_BYTES])
                    for i, at in enumerate(range(0, len(data), TILE_BYTES))]
            if rows:
                cursor.executemany(f"INSERT INTO {_TABLE} (level, n, width, hashes) VALUES (%s, %s, %s, %s)", rows)
            full += [row[3] for row in rows if row[2] == WIDTH]
            hashes = [merkle.perfect_root(_hashes(tile)) for tile in full]
            start, level = n, level + 1


def tree_size():
    """The ledger's size: its entries are numbered from 1 without a gap (verify checks)."""
    return Entry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


class TileTree(merkle.Nodes):
    """The tree of the first `size` leaves, read from the tiles a tile at a time."""

    def __init__(self, size):
        self.size = size
        self._tiles = {}

    def _tile(self, level, n):
        if (level, n) not in self._tiles:
            data = _read(level, n)
            if not data and level == 0:  # not full yet: the entries' own
                data = b"".join(leaf_hashes(n * WIDTH, min(self.size, (n + 1) * WIDTH)))
            self._tiles[level, n] = data
        return self._tiles[level, n]

    def _perfect(self, height, index):
        level, below = divmod(height, HEIGHT)
        n, off = divmod(index << below, WIDTH)
        run = self._tile(level, n)[off * HASH:(off + (1 << below)) * HASH]
        if len(run) != HASH << below:
            raise TilesBehind(f"ledger tile {level}/{n} is missing or shorter than the ledger")
        return merkle.perfect_root(_hashes(run))

    def open_tiles(self):
        """Per level, (n, the hashes so far) of the tile not yet full at this size: where a
        `TileCheck` of the leaves after it goes on from."""
        opened, level = [], 0
        while self.size >> (HEIGHT * level):
            n, off = divmod(self.size >> (HEIGHT * level), WIDTH)
            data = self._tile(level, n)[:off * HASH] if off else b""
            if len(data) != off * HASH:
                raise TilesBehind(f"ledger tile {level}/{n} is missing or shorter than the ledger")
            opened.append((n, data))
            level += 1
        return opened


def _read(level, n):
    """A tile's hashes (b"" when there is none), straight: a proof reads a few dozen."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT hashes FROM {_TABLE} WHERE level = %s AND n = %s", [level, n])
        row = cursor.fetchone()
    return bytes(row[0]) if row else b""


def tile_bytes(level, n, width=None):
    """A tile as served (`width` None: a full tile; else the partial tile of that many
    hashes), or None when the log holds no such tile (yet)."""
    data = _read(level, n)
    if not data and level == 0 and width is not None:
        data = b"".join(leaf_hashes(n * WIDTH, n * WIDTH + width))
    want = TILE_BYTES if width is None else width * HASH
    return data[:want] if len(data) >= want else None


_PATH = re.compile(r"^(?P<level>[0-5])/(?P<n>(?:x\d{3}/)*\d{3})(?:\.p/(?P<width>\d+))?$")


def parse_path(path):
    """(level, n, width) of a tile path `<L>/<N>[.p/<W>]` (N in 3-digit elements, all
    but the last prefixed with x), or None."""
    match = _PATH.match(path)
    if match is None:
        return None
    n = int(match["n"].replace("x", "").replace("/", ""))
    width = match["width"]
    if width is not None and not (width == str(int(width)) and 0 < int(width) < WIDTH):
        return None
    return int(match["level"]), n, None if width is None else int(width)


def tile_path(level, n, width=None):
    digits = f"{n:03d}"
    digits = "0" * (-len(digits) % 3) + digits
    parts = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    path = f"{level}/" + "/".join([f"x{p}" for p in parts[:-1]] + parts[-1:])
    return path if width is None or width == WIDTH else f"{path}.p/{width}"


class TileCheck:
    """The tiles that the leaves streamed in (`add`, in order) make, compared with those
    stored; `problems` lists (tile path, message). A stored tile may be longer than what
    was checked (entries chained meanwhile), never different in what both hold. `opened`
    (`TileTree.open_tiles`): go on from a tree of that size, its tiles taken as stored."""

    def __init__(self, opened=()):
        self.problems = []
        self._open = list(opened)  # per level: (n, bytes) of the tile not yet full

    def add(self, leaves):
        """Returns the roots of the level-0 tiles these leaves complete (verify's tree reuses them)."""
        made = {}
        roots = self._push(0, b"".join(leaves), made)
        self._compare(made)
        return roots

    def finish(self):
        """The partial tiles above level 0 (whose partial tile is the entries' own)."""
        self._compare({(level, n): data for level, (n, data) in enumerate(self._open) if data and level})

    def _push(self, level, data, made):
        if level == len(self._open):
            self._open.append((0, b""))
        n, data = self._open[level][0], self._open[level][1] + data
        full = []
        while len(data) >= TILE_BYTES:
            made[level, n] = data[:TILE_BYTES]
            full.append(merkle.perfect_root(_hashes(data[:TILE_BYTES])))
            data, n = data[TILE_BYTES:], n + 1
        self._open[level] = (n, data)
        if full:
            self._push(level + 1, b"".join(full), made)
        return full

    def _compare(self, made):
        for level in sorted({level for level, _ in made}):
            wanted = [n for lv, n in made if lv == level]
            stored = {n: bytes(data) for n, data in Tile.objects.filter(level=level, n__in=wanted)
                      .values_list("n", "hashes")}
            for n in sorted(wanted):
                data, expected = stored.get(n), made[level, n]
                path = tile_path(level, n, len(expected) // HASH)
                if data is None or len(data) < len(expected):
                    self.problems.append((path, "默克尔瓦片缺失或短于账本（瓦片未随条目写入或被删改）"))
                elif data[:len(expected)] != expected:
                    self.problems.append((path, "默克尔瓦片与条目重算的哈希不符（瓦片被篡改）"))
