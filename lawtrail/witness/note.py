"""C2SP signed notes as the ledger and its witnesses write them: checkpoints
(c2sp.org/tlog-checkpoint), their signature lines (c2sp.org/signed-note, Ed25519 type 0x01)
and witnesses' cosignatures (c2sp.org/tlog-cosignature, cosignature/v1, type 0x04).

Standard library and `cryptography` only: the witness runs at another body without the
system's database, and the package verifier (archive/verifier.py) reads the same lines."""

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014"  # every signature line starts with an em dash and a space


class NoteError(ValueError):
    """A note, key or signature that does not parse or verify; the message is for users."""


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


def vkey(name: str, sig_type: int, public: bytes) -> str:
    """The verifier key text `name+hex(key id)+base64(type || public key)`."""
    return f"{name}+{key_id(name, sig_type, public).hex()}+{base64.b64encode(bytes([sig_type]) + public).decode()}"


@dataclass(frozen=True)
class Verifier:
    name: str
    sig_type: int
    public: bytes

    @property
    def id(self):
        return key_id(self.name, self.sig_type, self.public)

    def text(self):
        return vkey(self.name, self.sig_type, self.public)


def parse_vkey(text: str) -> Verifier:
    try:
        name, hex_id, key = text.strip().split("+", 2)  # a name holds no "+", base64 may
        raw = base64.b64decode(key, validate=True)
        verifier = Verifier(name, raw[0], raw[1:])
    except (ValueError, IndexError) as exc:
        raise NoteError(f"公钥格式不正确：{text.strip()[:80]}") from exc
    if len(verifier.public) != 32 or verifier.sig_type not in (ED25519, COSIGNATURE_V1) or \
            verifier.id.hex() != hex_id or not name:
        raise NoteError(f"公钥格式不正确：{text.strip()[:80]}")
    return verifier


def checkpoint_body(origin: str, size: int, root: bytes) -> bytes:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n".encode()


@dataclass(frozen=True)
class Signature:
    name: str
    id: bytes
    data: bytes  # after the key id

    def line(self):
        return f"{DASH} {self.name} {base64.b64encode(self.id + self.data).decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    body: bytes
    signatures: tuple

    def text(self):
        return self.body.decode() + "\n" + "".join(s.line() for s in self.signatures)


def parse_signature_line(line: str) -> Signature:
    try:
        dash, name, data = line.rstrip("\n").split(" ")
        raw = base64.b64decode(data, validate=True)
    except ValueError as exc:
        raise NoteError("签名行格式不正确") from exc
    if dash != DASH or len(raw) < 5:
        raise NoteError("签名行格式不正确")
    return Signature(name, raw[:4], raw[4:])


def parse_checkpoint(text) -> Checkpoint:
    """A checkpoint note: body (origin, size, base64 root, extension lines), a blank line,
    one or more signature lines."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("检查点不是 UTF-8 文本") from exc
    body, sep, sigs = text.partition("\n\n")
    lines = body.split("\n")
    if not sep or len(lines) < 3 or not sigs.endswith("\n"):
        raise NoteError("检查点格式不正确：应为来源、树大小、根哈希三行，空一行后是签名行")
    origin, size_text, root_text = lines[:3]
    try:
        root = base64.b64decode(root_text, validate=True)
        size = int(size_text)
    except ValueError as exc:
        raise NoteError("检查点格式不正确：树大小或根哈希无法识别") from exc
    if len(root) != 32 or size < 0 or str(size) != size_text or not origin:
        raise NoteError("检查点格式不正确：树大小或根哈希无法识别")
    signatures = tuple(parse_signature_line(line) for line in sigs[:-1].split("\n"))
    return Checkpoint(origin, size, root, (body + "\n").encode(), signatures)


def _verify(public, message, signature):
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def log_signature(name: str, public: bytes, signature: bytes) -> Signature:
    return Signature(name, key_id(name, ED25519, public), signature)


def signed_by(checkpoint: Checkpoint, verifier: Verifier) -> bool:
    """Whether a signature line of `verifier` (the log's key) signs the body. A line with
    its name and id that does not verify makes the note malformed (signed-note)."""
    found = False
    for sig in checkpoint.signatures:
        if sig.name == verifier.name and sig.id == verifier.id:
            if not _verify(verifier.public, checkpoint.body, sig.data):
                raise NoteError("检查点签名无效")
            found = True
    return found


def cosigned_message(body: bytes, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body


def cosign(key: Ed25519PrivateKey, name: str, body: bytes, timestamp: int) -> Signature:
    public = key.public_key().public_bytes_raw()
    signature = key.sign(cosigned_message(body, timestamp))
    return Signature(name, key_id(name, COSIGNATURE_V1, public), struct.pack(">Q", timestamp) + signature)


def cosignature_time(signature: Signature, verifier: Verifier, body: bytes):
    """The cosignature's timestamp when `signature` is `verifier`'s valid cosignature of the
    body, else None."""
    if (signature.name, signature.id) != (verifier.name, verifier.id) or len(signature.data) != 72:
        return None
    timestamp = struct.unpack(">Q", signature.data[:8])[0]
    if timestamp == 0 or not _verify(verifier.public, cosigned_message(body, timestamp), signature.data[8:]):
        return None
    return timestamp
