"""A witness (c2sp.org/tlog-witness): its own key, the logs it follows and, for each, the
latest checkpoint it cosigned, all in its own directory, apart from any LawTrail database:

    witness.json      its name and the logs it follows (origin -> the log's public key)
    witness-ed25519   its private key (raw 32 bytes, 0600)
    state.json        per origin, the size and root it last cosigned

`add_checkpoint` checks and cosigns one submission; checking the old size and writing the
new state happen under one lock (a file lock across processes), so two submissions can
never roll the state back (the race the protocol names)."""

import base64
import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lawtrail.ledger.merkle import EMPTY_ROOT, ProofError, verify_consistency
from lawtrail.witness import note

CONFIG, KEY, STATE, LOCK = "witness.json", "witness-ed25519", "state.json", "state.lock"


@dataclass
class Reply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _write_atomically(path: Path, data: bytes, mode=0o600):
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def witness_init(directory, name, logs):
    """Create a witness in `directory`: a new key, its name, the logs (vkeys) it follows."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if (directory / KEY).exists():
        raise FileExistsError(f"{directory} 中已有见证服务的密钥")
    verifiers = [note.parse_vkey(text) for text in logs]
    if any(v.sig_type != note.ED25519 for v in verifiers):
        raise note.NoteError("日志公钥须为 Ed25519 签名公钥（类型 0x01）")
    key = Ed25519PrivateKey.generate()
    _write_atomically(directory / KEY, key.private_bytes_raw())
    config = {"name": name, "logs": {v.name: v.text() for v in verifiers}}
    _write_atomically(directory / CONFIG, json.dumps(config, ensure_ascii=False, indent=2).encode(), 0o644)
    return Witness(directory)


class Witness:
    def __init__(self, directory):
        self.directory = Path(directory)
        config = json.loads((self.directory / CONFIG).read_text(encoding="utf-8"))
        self.name = config["name"]
        self.logs = {origin: note.parse_vkey(text) for origin, text in config["logs"].items()}
        self._key = Ed25519PrivateKey.from_private_bytes((self.directory / KEY).read_bytes())
        self._lock = threading.Lock()

    @property
    def verifier(self):
        return note.Verifier(self.name, note.COSIGNATURE_V1, self._key.public_key().public_bytes_raw())

    def state(self):
        path = self.directory / STATE
        return json.loads(path.read_text()) if path.exists() else {}

    def add_checkpoint(self, body: bytes) -> Reply:
        try:
            old, proof, checkpoint = _parse_request(body)
        except (note.NoteError, ValueError) as exc:
            return Reply(400, f"{exc}\n")
        log = self.logs.get(checkpoint.origin)
        if log is None:
            return Reply(404, "未知的日志来源\n")
        try:
            if not note.signed_by(checkpoint, log):
                return Reply(403, "检查点没有该日志公钥的签名\n")
        except note.NoteError:
            return Reply(403, "检查点签名无效\n")
        if old > checkpoint.size:
            return Reply(400, "旧树大小大于检查点的树大小\n")
        with self._lock, open(self.directory / LOCK, "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            state = self.state()
            latest = state.get(checkpoint.origin, {"size": 0})
            if old != latest["size"]:
                return Reply(409, f"{latest['size']}\n", "text/x.tlog.size")
            problem = _inconsistency(old, latest.get("root"), checkpoint, proof)
            if problem:
                return Reply(422, problem + "\n")
            state[checkpoint.origin] = {"size": checkpoint.size, "root": base64.b64encode(checkpoint.root).decode()}
            _write_atomically(self.directory / STATE, json.dumps(state, indent=2).encode())
        cosignature = note.cosign(self._key, self.name, checkpoint.body, int(time.time()))
        return Reply(200, cosignature.line())


def _parse_request(body: bytes):
    text = body.decode("utf-8")
    head, sep, rest = text.partition("\n")
    if not sep or not head.startswith("old "):
        raise ValueError("请求格式不正确：第一行应为 old 旧树大小")
    old = int(head[4:])
    if old < 0 or str(old) != head[4:]:
        raise ValueError("请求格式不正确：旧树大小无法识别")
    proof = []
    while True:
        line, sep, rest = rest.partition("\n")
        if not sep:
            raise ValueError("请求格式不正确：缺少空行")
        if line == "":
            break
        proof.append(base64.b64decode(line, validate=True))
    if len(proof) > 63:
        raise ValueError("请求格式不正确：一致性证明过长")
    return old, proof, note.parse_checkpoint(rest)


def _inconsistency(old, old_root_b64, checkpoint, proof):
    """Why the checkpoint does not extend the one cosigned at `old` (None when it does)."""
    if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
        return "空树的根哈希不正确"
    if old == 0:
        return "旧树为空时一致性证明须为空" if proof else None
    try:
        verify_consistency(old, checkpoint.size, base64.b64decode(old_root_b64), checkpoint.root, proof)
    except ProofError:
        return "一致性证明不成立：检查点与此前见证的日志不一致（分叉或改写）"
    return None
