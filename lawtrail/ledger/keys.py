"""The Ed25519 key that signs ledger checkpoints.

Generated into LAWTRAIL_HOME/keys on first use; the public key travels with every
exported proof so that anyone can check a checkpoint offline.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from lawtrail.core.files import private_dir, write_private

PRIVATE_NAME = "ledger-ed25519.pem"


def _path():
    return settings.LAWTRAIL_KEY_DIR / PRIVATE_NAME


@lru_cache(maxsize=4)
def _load(path):
    if not path.exists():
        private_dir(path.parent)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Created exclusively so that two processes starting at once cannot
        # both write a key and sign with different ones.
        try:
            write_private(path, pem)
        except FileExistsError:
            pass
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def private_key() -> Ed25519PrivateKey:
    return _load(_path())


def public_key_bytes() -> bytes:
    return private_key().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def public_key_b64() -> str:
    return base64.b64encode(public_key_bytes()).decode("ascii")


def key_id(public_bytes: bytes | None = None) -> str:
    return hashlib.sha256(public_bytes or public_key_bytes()).hexdigest()[:16]


def sign(message: bytes) -> str:
    return base64.b64encode(private_key().sign(message)).decode("ascii")


def verify_signature(message: bytes, signature_b64: str, public_bytes: bytes | None = None) -> bool:
    public = Ed25519PublicKey.from_public_bytes(public_bytes or public_key_bytes())
    try:
        public.verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True
