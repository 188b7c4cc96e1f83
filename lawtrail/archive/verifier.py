#!/usr/bin/env python3
"""LawTrail 证据包校验程序 (package verifier).

Runs on any Python 3.8 or later with the standard library only, offline, so that a
court, a review body or an archive can check an exported package without LawTrail:

    python3 verify.py [PACKAGE_DIRECTORY] [--json]

It checks, and names every item that fails:
1. the BagIt bag (RFC 8493): every payload file is listed in the manifests with the
   right SHA-256 (and SM3 where present and this Python supports it), nothing is
   missing or extra, Payload-Oxum and the tag manifest agree;
2. the checkpoint: its Ed25519 signature over the signed note, with the public key
   shipped in the package, and that the note names the tree size and root;
3. every ledger entry: its canonical bytes hash to its entry hash, and its RFC 9162
   Merkle inclusion proof leads to the signed root;
4. every object and file: the object's content hashes to the object hash that its
   ledger entry recorded, and each file hashes to the SHA-256 the object names;
5. an RFC 3161 time-stamp, where the package has one: that it stamps the SHA-256 of
   tagmanifest-sha256.txt, its time, and (with openssl on the PATH) its signature
   against the TSA certificates shipped beside it;
6. the witnesses (C2SP tlog-cosignature/v1): each cosignature in
   data/ledger/checkpoint.txt verifies, with the witness keys listed in
   data/ledger/witnesses.txt (compare them with the keys the witnesses publish), over the
   same checkpoint; for a listed witness that was silent at the export,
   data/ledger/witnessed.json holds the newest earlier checkpoint it cosigned and an
   RFC 9162 consistency proof from it to the package's checkpoint, and both are checked;
   a listed witness without either is named;
7. every PDF signature (the agency's electronic seal, PAdES): who signed and when, read
   from its signature dictionary and certificate, and that its /ByteRange covers the whole
   file but the signature value itself. The signature's cryptography is left to pyHanko
   (`pyhanko sign validate --trust <the agency's CA certificate> FILE.pdf`).

Exit status 0 when everything verifies, 1 otherwise. This file is shipped verbatim
inside every package; LawTrail's own tests run it on packages they tamper with.
"""

import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

CHUNK = 4 * 1024 * 1024
ENTRY_FIELDS = ("seq", "time", "actor", "action", "object_type", "object_id",
                "object_hash", "scope", "reason", "prev_hash")


# --- canonical JSON (the form LawTrail hashes; RFC 8785 for these value types) -----

def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


# --- RFC 9162 Merkle tree ------------------------------------------------------------
# The same algorithm as lawtrail/ledger/merkle.py, repeated on purpose: this file travels
# alone inside every package. tests/test_verifier.py holds the two to the same vectors.

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(index, size, leaf, proof):
    """RFC 9162 section 2.1.3.2: the root that an inclusion proof leads to."""
    if size <= 0 or index < 0 or index >= size:
        raise ValueError("leaf index beyond tree size")
    if any(len(h) != 32 for h in [leaf, *proof]):
        raise ValueError("every hash must be 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("inclusion proof too long")
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
        raise ValueError("inclusion proof too short")
    return r


# --- Ed25519 signature verification (RFC 8032 section 5.1.7) ---------------------------

_P = 2 ** 255 - 19
_L = 2 ** 252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    if x & 1 != sign:
        x = _P - x
    return x


def _point_add(p, q):
    # Extended twisted Edwards coordinates (X, Y, Z, T) with a = -1.
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _scalar_mult(s, p):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _point_add(q, p)
        p = _point_add(p, p)
        s >>= 1
    return q


def _point_equal(p, q):
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


def _decode_point(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_BASE_Y = 4 * pow(5, _P - 2, _P) % _P
_BASE = (_recover_x(_BASE_Y, 0), _BASE_Y, 1, _recover_x(_BASE_Y, 0) * _BASE_Y % _P)


def ed25519_verify(public_key, message, signature):
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _decode_point(public_key), _decode_point(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    return _point_equal(_scalar_mult(s, _BASE), _point_add(r, _scalar_mult(h, a)))


# --- the checks ------------------------------------------------------------------------

class Result:
    def __init__(self):
        self.problems = []
        self.checked = {"files": 0, "bytes": 0, "entries": 0, "objects": 0}
        self.notes = []
        self.signatures = []
        self.witnesses = []  # {"name", "time"} of each valid cosignature

    def fail(self, ref, message):
        self.problems.append({"ref": ref, "message": message})


def file_digests(path, algorithms):
    digests = {name: hashlib.new(name) for name in algorithms}
    size = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            for d in digests.values():
                d.update(chunk)
    return {name: d.hexdigest() for name, d in digests.items()}, size


def read_manifest(path):
    entries = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line:
                digest, name = line.split(None, 1)
                name = name.strip().replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
                entries[name] = digest.lower()
    return entries


def supported(algorithm):
    try:
        hashlib.new(algorithm)
    except ValueError:
        return False
    return True


def check_bag(root, result):
    manifests = {}
    for name in sorted(os.listdir(root)):
        if name.startswith("manifest-") and name.endswith(".txt"):
            algorithm = name[len("manifest-"):-len(".txt")]
            if supported(algorithm):
                manifests[algorithm] = read_manifest(os.path.join(root, name))
            else:
                result.notes.append("本机 Python 不支持 %s 算法，未核对 %s" % (algorithm, name))
    if "sha256" not in manifests:
        result.fail("manifest-sha256.txt", "缺少 SHA-256 清单")
        return {}
    listed = set().union(*manifests.values())
    present = set()
    for directory, _, files in os.walk(os.path.join(root, "data")):
        for name in files:
            present.add(os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/"))
    for name in sorted(present - listed):
        result.fail(name, "文件不在清单中（被添加）")
    for name in sorted(listed - present):
        result.fail(name, "清单中的文件缺失（被删除）")
    digests_by_file = {}
    total = 0
    for name in sorted(listed & present):
        wanted = [a for a in manifests if name in manifests[a]]
        digests, size = file_digests(os.path.join(root, name), wanted)
        total += size
        digests_by_file[name] = digests
        result.checked["files"] += 1
        result.checked["bytes"] += size
        for algorithm in wanted:
            if digests[algorithm] != manifests[algorithm][name]:
                result.fail(name, "文件内容与 %s 清单不符（被修改）" % algorithm.upper())
    info = read_bag_info(root)
    oxum = info.get("Payload-Oxum")
    if oxum and oxum != "%d.%d" % (total, len(present)):
        result.fail("bag-info.txt", "Payload-Oxum %s 与实际内容 %d.%d 不符" % (oxum, total, len(present)))
    tag_path = os.path.join(root, "tagmanifest-sha256.txt")
    if os.path.exists(tag_path):
        for name, digest in read_manifest(tag_path).items():
            path = os.path.join(root, name)
            if not os.path.exists(path):
                result.fail(name, "标签文件缺失")
            elif file_digests(path, ["sha256"])[0]["sha256"] != digest:
                result.fail(name, "标签文件与标签清单不符（被修改）")
    return digests_by_file


def read_bag_info(root):
    info = {}
    path = os.path.join(root, "bag-info.txt")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if ":" in line and not line[0].isspace():
                    key, value = line.split(":", 1)
                    info[key.strip()] = value.strip()
    return info


def load_json(root, name, result):
    try:
        with open(os.path.join(root, name), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        result.fail(name, "无法读取：%s" % exc)
        return None


def check_checkpoint(root, result):
    cp = load_json(root, "data/ledger/checkpoint.json", result)
    if cp is None:
        return None
    try:
        public_key = base64.b64decode(cp["public_key"])
        signature = base64.b64decode(cp["signature"])
        root_hash = base64.b64decode(cp["root_hash"])
        note = cp["note"].encode("utf-8")
    except (KeyError, ValueError):
        result.fail("data/ledger/checkpoint.json", "检查点格式不正确")
        return None
    lines = cp["note"].split("\n")
    if len(lines) < 3 or lines[1] != str(cp["tree_size"]) or lines[2] != cp["root_hash"]:
        result.fail("data/ledger/checkpoint.json", "签名文本与检查点的树大小或根哈希不符")
    if hashlib.sha256(public_key).hexdigest()[:16] != cp.get("key_id"):
        result.fail("data/ledger/checkpoint.json", "公钥与密钥标识不符")
    if not ed25519_verify(public_key, note, signature):
        result.fail("data/ledger/checkpoint.json", "检查点签名无效")
    return {"tree_size": int(cp["tree_size"]), "root": root_hash}


def parse_vkey(text):
    """C2SP vkey `name+hex(key id)+base64(type || public key)`: (name, key id, type, key)."""
    name, key_id, key = text.strip().split("+", 2)
    raw = base64.b64decode(key)
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() != key_id or len(raw) != 33:
        raise ValueError("key id")
    return name, bytes.fromhex(key_id), raw[0], raw[1:]


def cosignature_time(body, line, vkey):
    """The time stamp of a valid cosignature/v1 line of this witness over `body`, else None."""
    name, key_id, kind, public = vkey
    try:
        dash, line_name, data = line.split(" ")
        raw = base64.b64decode(data)
    except ValueError:
        return None
    if line_name != name or raw[:4] != key_id or kind != 4 or len(raw) != 76:
        return None
    timestamp = int.from_bytes(raw[4:12], "big")
    message = b"cosignature/v1\ntime %d\n" % timestamp + body
    return timestamp if timestamp and ed25519_verify(public, message, raw[12:]) else None


def verify_consistency(old_size, new_size, old_root, new_root, proof):
    """RFC 9162 2.1.4.2: raises ValueError unless `proof` shows the tree of `new_size`
    leaves with `new_root` extends the one of `old_size` with `old_root`."""
    if not 0 < old_size < new_size or not proof or any(len(h) != 32 for h in proof):
        raise ValueError("sizes %d and %d take no such proof" % (old_size, new_size))
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ValueError("proof too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ValueError("the proof does not lead to both roots")


def check_earlier(vkey, item, origin, checkpoint, result):
    """A silent witness's newest earlier cosigned checkpoint, and the package's tree extends it."""
    ref = "data/ledger/witnessed.json"
    try:
        body, _, signatures = item["checkpoint"].partition("\n\n")
        body = (body + "\n").encode("utf-8")
        lines = body.decode().split("\n")
        size, root = int(lines[1]), base64.b64decode(lines[2])
        path = [bytes.fromhex(h) for h in item["consistency_path"]]
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        result.fail(ref, "见证服务 %s 的此前检查点格式有误" % vkey[0])
        return
    times = [cosignature_time(body, line, vkey) for line in signatures.split("\n") if line.startswith("\u2014 ")]
    if lines[0] != origin or not any(times):
        result.fail(ref, "见证服务 %s 对此前检查点的联署签名无效" % vkey[0])
        return
    try:
        verify_consistency(size, checkpoint["tree_size"], root, checkpoint["root"], path)
    except ValueError as exc:
        result.fail(ref, "见证服务 %s 联署的此前检查点（%d 条）与本包的检查点不一致（%s）：账本被改写" % (vkey[0], size, exc))
        return
    result.witnesses.append({"name": vkey[0], "time": max(t for t in times if t), "tree_size": size,
                             "earlier": True})
    result.notes.append("见证服务 %s 未联署本证据包的检查点（导出时未应答）；它联署了此前 %d 条的检查点，"
                        "本包的检查点是其延续（一致性证明有效）" % (vkey[0], size))


def check_witnesses(root, checkpoint, result):
    """The witnesses' cosignatures of the package's checkpoint (C2SP signed note)."""
    try:
        with open(os.path.join(root, "data/ledger/checkpoint.txt"), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(root, "data/ledger/witnesses.txt"), encoding="utf-8") as f:
            vkeys = [parse_vkey(line) for line in f if line.strip() and not line.startswith("#")]
    except (OSError, ValueError) as exc:
        result.fail("data/ledger/witnesses.txt", "无法读取见证服务的公钥或联署检查点：%s" % exc)
        return
    body, _, signatures = text.partition("\n\n")
    body = (body + "\n").encode("utf-8")
    lines = body.decode().split("\n")
    if checkpoint is None or lines[1] != str(checkpoint["tree_size"]) or \
            base64.b64decode(lines[2]) != checkpoint["root"]:
        result.fail("data/ledger/checkpoint.txt", "联署的检查点与证据包的检查点不符")
        return
    signature_lines = [line for line in signatures.split("\n") if line.startswith("\u2014 ")]
    earlier = {}
    if os.path.exists(os.path.join(root, "data/ledger/witnessed.json")):
        for item in load_json(root, "data/ledger/witnessed.json", result) or []:
            try:
                earlier[parse_vkey(item["witness"])[0]] = item
            except (KeyError, ValueError, TypeError, AttributeError):
                result.fail("data/ledger/witnessed.json", "见证服务的公钥格式有误")
    for vkey in vkeys:
        mine = [line for line in signature_lines if line.split(" ")[1] == vkey[0]]
        times = [cosignature_time(body, line, vkey) for line in mine]
        if any(times):
            result.witnesses.append({"name": vkey[0], "time": max(t for t in times if t),
                                     "tree_size": checkpoint["tree_size"], "earlier": False})
        elif mine:
            result.fail("data/ledger/checkpoint.txt", "见证服务 %s 的联署签名无效" % vkey[0])
        elif vkey[0] in earlier:
            check_earlier(vkey, earlier[vkey[0]], lines[0], checkpoint, result)
        else:
            result.notes.append("见证服务 %s 未联署本证据包的检查点（导出时未应答）" % vkey[0])


def check_entries(root, checkpoint, result):
    """Every entry hashes to its hash and is included in the signed tree. Returns seq -> entry."""
    proofs = load_json(root, "data/ledger/proofs.json", result) or {}
    entries = {}
    path = os.path.join(root, "data/ledger/entries.jsonl")
    try:
        with open(path, "rb") as f:
            lines = [line.rstrip(b"\n") for line in f if line.strip()]
    except OSError as exc:
        result.fail("data/ledger/entries.jsonl", "无法读取：%s" % exc)
        return entries
    for number, line in enumerate(lines, 1):
        ref = "data/ledger/entries.jsonl 第 %d 行" % number
        try:
            values = json.loads(line.decode("utf-8"))
        except ValueError:
            result.fail(ref, "不是有效的 JSON")
            continue
        seq = values.get("seq")
        ref = "账本条目 %s" % seq
        if canonical(values) != line or values.get("v") != 1:
            result.fail(ref, "条目不是规范格式（被改写）")
        proof = proofs.get("entries", {}).get(str(seq))
        result.checked["entries"] += 1
        entries[seq] = dict(values, entry_hash=sha256_hex(line))
        if proof is None:
            result.fail(ref, "缺少包含证明")
            continue
        if proof.get("entry_hash") != sha256_hex(line):
            result.fail(ref, "条目内容与其哈希不符（条目被篡改）")
            continue
        if checkpoint is None:
            continue
        try:
            got = root_from_inclusion_proof(seq - 1, checkpoint["tree_size"], leaf_hash(line),
                                            [bytes.fromhex(h) for h in proof["path"]])
        except (ValueError, KeyError, TypeError) as exc:
            result.fail(ref, "包含证明无效：%s" % exc)
            continue
        if got != checkpoint["root"]:
            result.fail(ref, "包含证明不能导出已签名的默克尔根（条目被篡改或不在账本中）")
    return entries


def check_objects(root, entries, digests_by_file, result):
    metadata = load_json(root, "data/metadata.json", result)
    if metadata is None:
        return
    for obj in metadata.get("objects", []):
        ref = "%s:%s" % (obj.get("object_type"), obj.get("object_id"))
        label = obj.get("label") or ref
        result.checked["objects"] += 1
        entry = entries.get(obj.get("entry"))
        if entry is None:
            result.fail(label, "缺少记载该对象的账本条目")
        elif (entry["object_type"], entry["object_id"]) != (obj.get("object_type"), str(obj.get("object_id"))):
            result.fail(label, "账本条目 %s 记载的不是该对象" % obj.get("entry"))
        elif sha256_hex(canonical(obj.get("content"))) != entry["object_hash"]:
            result.fail(label, "对象内容与账本条目 %s 记载的哈希不符（被篡改）" % obj.get("entry"))
        for item in obj.get("files", []):
            path, field = item.get("path"), item.get("field")
            if path is None:  # listed but not carried: disposed of or kept by reference
                continue
            declared = (obj.get("content") or {}).get(field)
            digest = digests_by_file.get(path, {}).get("sha256")
            if declared != item.get("sha256"):
                result.fail(label, "文件 %s 的 SHA-256 与对象记载的不符" % path)
            elif digest is not None and digest != declared:
                result.fail(path, "%s 的内容与账本记载的 SHA-256 不符（被修改）" % label)


TIMESTAMP = "timestamp/tagmanifest-sha256.txt.tsr"
TSA_CERTS = "timestamp/tsa-certs.pem"


def generalized_time(data, start):
    """The first DER GeneralizedTime after `start` (the TSTInfo's genTime follows the
    message imprint), as text, or None."""
    at = data.find(b"\x18", start)
    while at >= 0:
        length = data[at + 1] if at + 1 < len(data) else 0
        value = data[at + 2:at + 2 + length]
        if 15 <= length <= 24 and value[:14].isdigit() and value.endswith(b"Z"):
            v = value.decode("ascii")
            return "%s-%s-%s %s:%s:%s UTC" % (v[0:4], v[4:6], v[6:8], v[8:10], v[10:12], v[12:-1])
        at = data.find(b"\x18", at + 1)
    return None


def check_timestamp(root, result):
    path, tag_path = os.path.join(root, TIMESTAMP), os.path.join(root, "tagmanifest-sha256.txt")
    if not os.path.exists(path):
        return
    try:
        with open(path, "rb") as f:
            data = f.read()
        with open(tag_path, "rb") as f:
            digest = hashlib.sha256(f.read()).digest()
    except OSError as exc:
        result.fail(TIMESTAMP, "无法读取：%s" % exc)
        return
    at = data.find(b"\x04\x20" + digest)  # the message imprint: OCTET STRING of 32 bytes
    if at < 0:
        result.fail(TIMESTAMP, "时间戳所盖的哈希与 tagmanifest-sha256.txt 不符（标签清单在盖戳后被修改，或时间戳不属于本包）")
        return
    when = generalized_time(data, at) or "时间不详"
    openssl, certs = shutil.which("openssl"), os.path.join(root, TSA_CERTS)
    if openssl is None or not os.path.exists(certs):
        result.notes.append("可信时间戳 %s：所盖哈希与本包一致；本机没有 openssl（或缺少 %s），未核验其签名"
                            % (when, TSA_CERTS))
        return
    run = subprocess.run([openssl, "ts", "-verify", "-data", tag_path, "-in", path, "-CAfile", certs],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if run.returncode != 0:
        detail = (run.stderr or run.stdout).decode("utf-8", "replace").strip().splitlines()
        result.fail(TIMESTAMP, "时间戳签名未通过 openssl 核验：%s" % (detail[-1] if detail else run.returncode))
    else:
        result.notes.append("可信时间戳 %s：所盖哈希与本包一致，签名经 openssl 核验有效" % when)


# --- PDF signatures (PAdES seals): what they say, and what they cover ---------------------

SIGNATURE_VALIDATION = ("PDF 签名的密码学核验（签名值、证书链、吊销状态）请安装 pyHanko 命令行（pip install pyhanko-cli）"
                        "后运行：pyhanko sign validate --trust <制发机关的 CA 证书> <PDF 文件>")
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_OID_COMMON_NAME = b"\x06\x03\x55\x04\x03"
_OID_TST_INFO = b"\x06\x0b\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x04"


def pdf_literal(data, at):
    """The PDF literal string starting at data[at] == "(", unescaped, as text."""
    out, depth, i = bytearray(), 0, at
    while i < len(data):
        ch = data[i:i + 1]
        if ch == b"\\":
            nxt = data[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", data[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            if nxt not in (b"\r", b"\n"):  # a backslash before a line end continues the line
                out += _ESCAPES.get(nxt, nxt)
            i += 2
            continue
        if ch == b"(":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif ch == b")":
            depth -= 1
            if depth == 0:
                break
        out += ch
        i += 1
    raw = bytes(out)
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", "replace")
    return raw.decode("latin-1")


def pdf_date(text):
    """D:YYYYMMDDHHmmSS+HH'mm' as 2026-12-03 02:17:35 +08:00."""
    m = re.match(r"D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})([Zz+-])?(\d{2})?'?(\d{2})?", text or "")
    if not m:
        return text or "时间不详"
    zone = "UTC" if m.group(7) in ("Z", "z") else ("%s%s:%s" % (m.group(7), m.group(8) or "00", m.group(9) or "00")
                                                     if m.group(7) else "")
    return ("%s-%s-%s %s:%s:%s %s" % (m.groups()[:6] + (zone,))).strip()


def der(data, at):
    """One DER element at `at`: (tag, start of content, end of content)."""
    tag, length, at = data[at], data[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(data[at:at + count], "big"), at + count
    return tag, at, at + length


def der_children(data, start, end):
    while start < end:
        tag, s, e = der(data, start)
        yield tag, s, e
        start = e


def cms_signer(cms):
    """The common name (CN) of the certificate that made a CMS signature: the one whose
    issuer and serial number the SignerInfo names (else the first certificate)."""
    try:
        _, s, e = der(cms, 0)  # ContentInfo
        parts = list(der_children(cms, s, e))
        _, s, e = der(cms, parts[1][1])  # [0] EXPLICIT SignedData
        fields = list(der_children(cms, s, e))
        certificates = [c for tag, s, e in fields if tag == 0xA0 for c in der_children(cms, s, e)]
        signer_info = list(der_children(cms, *fields[-1][1:]))[0]
        sid = list(der_children(cms, *signer_info[1:]))[1]
        wanted = cms[sid[1]:sid[2]] if sid[0] == 0x30 else None  # IssuerAndSerialNumber
        chosen = certificates[0]
        for cert in certificates:
            tbs = list(der_children(cms, *list(der_children(cms, cert[1], cert[2]))[0][1:]))
            if tbs[0][0] == 0xA0:  # explicit version
                tbs = tbs[1:]
            serial, issuer, subject = tbs[0], tbs[2], tbs[4]
            named = cms[issuer[1] - _header(cms, issuer):issuer[2]] + cms[serial[1] - _header(cms, serial):serial[2]]
            if wanted is None or named == wanted:
                chosen = cert
                break
        tbs = list(der_children(cms, *list(der_children(cms, chosen[1], chosen[2]))[0][1:]))
        subject = (tbs[1:] if tbs[0][0] == 0xA0 else tbs)[4]
        at = cms.find(_OID_COMMON_NAME, subject[1], subject[2])
        if at < 0:
            return None
        _, s, e = der(cms, at + len(_OID_COMMON_NAME))
        return cms[s:e].decode("utf-8", "replace")
    except (IndexError, ValueError):
        return None


def _header(data, element):
    """How many bytes the tag and length of an element take (its content starts after them)."""
    length = element[2] - element[1]
    return 2 if length < 0x80 else 2 + (length.bit_length() + 7) // 8


def _revision_end(data, end):
    """Whether `end` is where a revision of the PDF ends (%%EOF and its line end)."""
    return re.search(rb"%%EOF[\r\n]*$", data[max(0, end - 8):end]) is not None


def pdf_signatures(data):
    """Each signature and document time-stamp of a PDF, oldest first, as a dict (type,
    signer, time, time-stamp time, reason, covered bytes); the problems found with what
    they cover; and how many signature dictionaries came from other files (a volume that
    merges sealed PDFs carries their dictionaries, whose ranges end nowhere in it)."""
    found, problems, foreign = [], [], 0
    for m in _BYTE_RANGE.finditer(data):
        start = data.rfind(b" obj", 0, m.start())
        end = data.find(b"endobj", m.end())
        body = data[start:end if end > 0 else len(data)]
        a, b, c, d = (int(g) for g in m.groups())
        if c + d != len(data) and not (c + d < len(data) and _revision_end(data, c + d)):
            foreign += 1
            continue
        kind = "文档时间戳" if re.search(rb"/Type\s*/DocTimeStamp", body) else "签名"
        sig = {"type": kind, "byte_range": [a, b, c, d], "covers_to": c + d}
        if a != 0 or b <= 0 or c <= b:
            problems.append("%s的 /ByteRange %s 不是“从文件开头到签名值、再从签名值之后起”的范围" % (kind, [a, b, c, d]))
            continue
        hole = data[b:c]
        if not (hole.startswith(b"<") and hole.endswith(b">") and re.fullmatch(rb"<[0-9A-Fa-f]*>", hole)):
            problems.append("%s的 /ByteRange 留出的部分不只是签名值 /Contents（可能藏有未签名的内容）" % kind)
            continue
        contents = bytes.fromhex(hole[1:-1].decode("ascii"))
        for key in ("M", "Name", "Reason"):
            k = re.search(rb"/" + key.encode() + rb"\s*\(", body)
            if k:
                sig[key.lower()] = pdf_literal(body, k.end() - 1)
        sig["time"] = pdf_date(sig.pop("m", ""))
        sig["signer"] = sig.pop("name", None) or cms_signer(contents) or "签名人不详"
        tst = contents.find(_OID_TST_INFO)
        if tst >= 0:
            sig["timestamp"] = generalized_time(contents, tst)
        found.append(sig)
    found.sort(key=lambda s: s["covers_to"])
    for sig in found:
        sig["whole_file"] = sig["covers_to"] == len(data)
    if found and not found[-1]["whole_file"]:
        # Only validation data (/DSS: certificates, CRLs, OCSP answers) may follow the last one.
        later = data[found[-1]["covers_to"]:]
        if later.strip() and (b"/DSS" not in later or re.search(rb"/Type\s*/(Page|Annot)\b", later)):
            problems.append("最后一个签名之后追加了未经签名的修改（%d 字节）" % len(later))
    return found, problems, foreign


def check_pdf_signatures(root, digests_by_file, result):
    result.signatures = []
    for path in sorted(p for p in digests_by_file if p.lower().endswith(".pdf")):
        try:
            with open(os.path.join(root, path), "rb") as f:
                data = f.read()
        except OSError:
            continue  # named by the bag check already
        signatures, problems, foreign = pdf_signatures(data)
        for sig in signatures:
            result.signatures.append(dict(sig, path=path))
        for problem in problems:
            result.fail(path, problem)
        if foreign and not signatures:
            result.notes.append("%s 并入了其他 PDF 的签名（%d 个），它们不是本文件的签名；请核对其原件（data/records/）"
                                % (path, foreign))
    if result.signatures:
        result.notes.append(SIGNATURE_VALIDATION)


def verify(root):
    result = Result()
    if not os.path.exists(os.path.join(root, "bagit.txt")):
        result.fail("bagit.txt", "这不是一个 BagIt 证据包")
        return result
    digests = check_bag(root, result)
    checkpoint = check_checkpoint(root, result)
    if os.path.exists(os.path.join(root, "data/ledger/witnesses.txt")):
        check_witnesses(root, checkpoint, result)
    entries = check_entries(root, checkpoint, result)
    check_objects(root, entries, digests, result)
    check_timestamp(root, result)
    check_pdf_signatures(root, digests, result)
    return result


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    as_json = "--json" in argv
    paths = [a for a in argv if a != "--json"]
    root = paths[0] if paths else os.path.dirname(os.path.abspath(__file__))
    result = verify(root)
    ok = not result.problems
    if as_json:
        print(json.dumps({"ok": ok, "checked": result.checked, "problems": result.problems,
                          "notes": result.notes, "pdf_signatures": result.signatures,
                          "witnesses": result.witnesses}, ensure_ascii=False, indent=2))
    else:
        c = result.checked
        print("已核对文件 %d 个（%.1f MB）、账本条目 %d 条、对象 %d 个"
              % (c["files"], c["bytes"] / 1048576, c["entries"], c["objects"]))
        for sig in result.signatures:
            print("  PDF %s：%s，签署人 %s，签署时间 %s%s，%s" % (
                sig["type"], sig["path"], sig["signer"], sig["time"],
                "，可信时间戳 %s" % sig["timestamp"] if sig.get("timestamp") else "",
                "覆盖全文（签名值除外）" if sig["whole_file"] else "覆盖至第 %d 字节（其后为增量更新）" % sig["covers_to"]))
        for witness in result.witnesses:
            earlier = "此前 %d 条的" % witness["tree_size"] if witness["earlier"] else ""
            print("  见证服务 %s 联署了%s检查点（%s UTC）" % (
                witness["name"], earlier, datetime.datetime.fromtimestamp(witness["time"], datetime.timezone.utc)
                .strftime("%Y-%m-%d %H:%M:%S")))
        for note in result.notes:
            print("  注意：" + note)
        for p in result.problems:
            print("  ✗ %s：%s" % (p["ref"], p["message"]))
        print("校验通过：证据包完整，与签名账本一致，未被篡改" if ok
              else "校验失败：发现 %d 处问题" % len(result.problems))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
