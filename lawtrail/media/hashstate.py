"""SHA-256 whose running state can be saved and taken up again in another process.

hashlib's objects cannot be pickled, so when the chunks of one tus upload land on
different worker processes, each chunk would have to re-hash everything received before
it: quadratic in the number of chunks (16 GiB of hashing for a 1 GiB file sent in 64 MiB
chunks). OpenSSL's SHA256_Init/Update/Final (deprecated in 3.0, still exported, with the
public struct layout of <openssl/sha.h>) keep the whole state in a 112-byte struct that
we own; its bytes are the saved state, stored with the upload's offset. It is the same
implementation as hashlib's, at the same speed, and releases the GIL while it hashes.

Where that library cannot be loaded (or fails its self-test) `sha256()` falls back to
hashlib and `state_of()` returns None: uploads then re-hash, slower but still right.
"""

import ctypes
import ctypes.util
import hashlib


class _Ctx(ctypes.Structure):  # SHA256_CTX, <openssl/sha.h>
    _fields_ = [("h", ctypes.c_uint32 * 8), ("Nl", ctypes.c_uint32), ("Nh", ctypes.c_uint32),
                ("data", ctypes.c_uint32 * 16), ("num", ctypes.c_uint), ("md_len", ctypes.c_uint)]


STATE_SIZE = ctypes.sizeof(_Ctx)


class ResumableSha256:
    """A hashlib-like SHA-256 (update, copy, digest, hexdigest) with `state()` and `length`."""

    name, digest_size, block_size = "sha256", 32, 64

    def __init__(self, state=None):
        self._ctx = _Ctx()
        if state is None:
            _lib.SHA256_Init(ctypes.byref(self._ctx))
            return
        if len(state) != STATE_SIZE:
            raise ValueError("saved SHA-256 state has the wrong size")
        ctypes.memmove(ctypes.byref(self._ctx), bytes(state), STATE_SIZE)
        if self._ctx.md_len != self.digest_size or self._ctx.num >= self.block_size:
            raise ValueError("saved SHA-256 state is not one")

    @property
    def length(self):
        """How many bytes went in."""
        return ((self._ctx.Nh << 32) | self._ctx.Nl) // 8

    def update(self, data):
        if not isinstance(data, bytes):
            view = memoryview(data)
            if view.readonly or not view.c_contiguous:
                data = bytes(view)
            else:  # a receive buffer: hashed where it lies (not copied on the hash thread)
                data = (ctypes.c_char * view.nbytes).from_buffer(view)
        _lib.SHA256_Update(ctypes.byref(self._ctx), data, len(data))

    def state(self):
        return ctypes.string_at(ctypes.addressof(self._ctx), STATE_SIZE)

    def copy(self):
        return ResumableSha256(self.state())

    def digest(self):
        ctx = _Ctx.from_buffer_copy(self._ctx)  # finishing destroys the state: finish a copy
        out = ctypes.create_string_buffer(self.digest_size)
        _lib.SHA256_Final(out, ctypes.byref(ctx))
        return out.raw

    def hexdigest(self):
        return self.digest().hex()


def _self_test():
    """Split updates, a save and a restore give hashlib's answer, or the library is not used."""
    data = bytes(range(256)) * 41
    digest = ResumableSha256()
    digest.update(data[:1000])
    resumed = ResumableSha256(digest.state())
    resumed.update(data[1000:])
    return resumed.length == len(data) and resumed.hexdigest() == hashlib.sha256(data).hexdigest()


def _load():
    global _lib
    for name in (ctypes.util.find_library("crypto"), "libcrypto.so.3", "libcrypto.so"):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            for function in (lib.SHA256_Init, lib.SHA256_Update, lib.SHA256_Final):
                function.restype = ctypes.c_int
            lib.SHA256_Init.argtypes = [ctypes.c_void_p]
            lib.SHA256_Update.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
            lib.SHA256_Final.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        except (OSError, AttributeError):
            continue
        _lib = lib
        if _self_test():
            return True
    _lib = None
    return False


_lib = None
AVAILABLE = _load()


def sha256():
    """A fresh running SHA-256: resumable where OpenSSL's is at hand, hashlib's otherwise."""
    return ResumableSha256() if AVAILABLE else hashlib.sha256()


def state_of(digest):
    """The saved state of a running SHA-256, or None when it cannot be saved."""
    return digest.state() if isinstance(digest, ResumableSha256) else None


def resume(state, length):
    """The SHA-256 saved in `state` if it has taken at most `length` bytes (its `length`
    says how many: the caller hashes the rest), else None."""
    if not AVAILABLE or not state:
        return None
    try:
        digest = ResumableSha256(state)
    except ValueError:
        return None
    return digest if digest.length <= length else None
