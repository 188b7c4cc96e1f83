"""Canonical JSON and content hashes.

Values are restricted to str, int, bool, None, lists and dicts with ASCII keys
(`jsonable` converts dates, decimals and the like first). For those values
`json.dumps(sort_keys, compact, ensure_ascii=False)` is byte-identical to RFC 8785
(JCS), which the tests check against the `rfc8785` package; we use the C encoder
because `lawtrail verify` re-hashes every entry and must be fast.
"""

import base64
import datetime
import decimal
import hashlib
import json
import uuid


def jsonable(value):
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be hashed: times must be timezone-aware")
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, float):
        # Floats have no single canonical text across languages; keep them out of hashes.
        raise ValueError("floats are not allowed in canonical JSON")
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    raise ValueError(f"cannot canonicalise {type(value).__name__}")


def canonical_bytes(value):
    return json.dumps(
        jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(value) -> str:
    return sha256_hex(canonical_bytes(value))
