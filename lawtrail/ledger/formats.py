"""What the ledger hashes and signs, byte for byte: an entry's canonical form (in Python,
and as SQL for the database to assemble it), the fields of a pending entry, and a
checkpoint's signed note. A change here changes every hash: the stand-alone package
verifier (archive/verifier.py) encodes entries the same way."""

import base64
import json

from django.conf import settings

from lawtrail.core.canonical import canonical_bytes, jsonable

GENESIS_HASH = "0" * 64
ENTRY_FIELDS = (
    "seq", "time", "actor", "action", "object_type", "object_id",
    "object_hash", "scope", "reason", "prev_hash",
)
# An entry before it is chained: no place in the chain yet.
PENDING_FIELDS = ("time", "actor", "action", "object_type", "object_id", "object_hash", "scope", "reason")

_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def entry_bytes(values) -> bytes:
    """The canonical form of an entry that both the chain and the Merkle tree hash.

    Every field is a string or an integer except the time, so only the time needs
    `jsonable`; the result is byte-identical to `canonical_bytes` of the same entry (which
    any other value type falls back to), and `lawtrail verify` runs it once per entry."""
    data = {name: values[name] for name in ENTRY_FIELDS}
    data["v"] = 1
    data["time"] = jsonable(data["time"])
    if not all(type(value) in (str, int) for value in data.values()):
        return canonical_bytes(data)
    return _ENCODE(data).encode("utf-8")


# `entry_bytes` as SQL over an entry's columns, so that the database can assemble (verify)
# and hash (the batched chain) entries itself; `column` names where each field comes from.
# The time is kept in UTC: SQLite as "YYYY-MM-DD HH:MM:SS[.ffffff]", PostgreSQL as timestamptz.
_TIME_SQL = {
    "sqlite": "replace({0}, ' ', 'T') || CASE WHEN length({0}) = 19 THEN '.000000Z' ELSE 'Z' END",
    "postgresql": "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
}


def entry_json_sql(vendor, column=str):
    """A text expression (SQLite: json_object, which keeps the order given and writes compact
    JSON; PostgreSQL: each value quoted by to_json and joined here, as json_build_object
    would put spaces in). None for a database we have not checked."""
    if vendor not in _TIME_SQL:
        return None
    fields = {name: column(name) for name in ENTRY_FIELDS} | {"time": _TIME_SQL[vendor].format(column("time")),
                                                              "v": "1"}
    names = sorted(fields)
    if vendor == "sqlite":
        return "json_object({})".format(", ".join(f"'{name}', {fields[name]}" for name in names))
    quoted = {name: f"to_json({fields[name]})::text" for name in names} | {"seq": f"{fields['seq']}::text",
                                                                          "v": "'1'"}
    return "{} || '}}'".format(" || ".join(
        f"'{',' if i else '{'}\"{name}\":' || {quoted[name]}" for i, name in enumerate(names)))


def checkpoint_note(tree_size, root_hex) -> bytes:
    """The signed body, in the C2SP checkpoint layout: origin, size, base64 root."""
    root_b64 = base64.b64encode(bytes.fromhex(root_hex)).decode("ascii")
    return f"{settings.LAWTRAIL_LEDGER_ORIGIN}\n{tree_size}\n{root_b64}\n".encode()
