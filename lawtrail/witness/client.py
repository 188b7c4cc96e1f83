"""The system's side of the witness protocol: each checkpoint goes to every configured
witness (LAWTRAIL_WITNESSES) with a consistency proof from the size that witness last
cosigned; the cosignatures that come back are checked and kept."""

import base64
import datetime
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from lawtrail.ledger import keys, selectors
from lawtrail.ledger.cosignatures import cosignature_add, witness_attempt_record, witness_status
from lawtrail.witness import note


@dataclass(frozen=True)
class Configured:
    url: str
    verifier: note.Verifier


def configured_witnesses():
    found = []
    for item in settings.LAWTRAIL_WITNESSES:
        url, _, key = item.strip().partition(" ")
        found.append(Configured(url.rstrip("/"), note.parse_vkey(key)))
    return found


def log_verifier():
    return note.Verifier(settings.LAWTRAIL_LEDGER_ORIGIN, note.ED25519, keys.public_key_bytes())


def signed_note(cp, cosignatures=()):
    """The checkpoint as a C2SP signed note: its body, the ledger's signature, then the
    witnesses' cosignature lines."""
    verifier = log_verifier()
    body = note.checkpoint_body(verifier.name, cp.tree_size, bytes.fromhex(cp.root_hash))
    signature = note.log_signature(verifier.name, verifier.public, base64.b64decode(cp.signature))
    return body.decode() + "\n" + signature.line() + "".join(c.line for c in cosignatures)


def _post(url, body):
    request = urllib.request.Request(f"{url}/add-checkpoint", data=body, method="POST",
                                     headers={"Content-Type": "text/plain; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=settings.LAWTRAIL_WITNESS_TIMEOUT) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def _request(cp, old):
    proof = selectors.consistency(old, cp.tree_size)["consistency_path"] if 0 < old < cp.tree_size else []
    return (f"old {old}\n" + "".join(f"{line}\n" for line in proof) + "\n" + signed_note(cp)).encode()


class WitnessRefused(Exception):
    pass


_REFUSALS = {
    403: "见证服务不认可检查点的签名：系统的签名密钥可能被更换",
    404: "见证服务不跟踪本系统的账本（来源不符）",
    422: "见证服务判定检查点与其此前联署的账本不一致：账本被改写或分叉",
}


def submit(cp, witness: Configured):
    """Submit one checkpoint to one witness; returns the cosignature kept, or None after
    recording why not (the next pass tries again)."""
    status = witness_status(witness.verifier.text(), witness.url)
    try:
        cosignature = _submit(cp, witness, status)
    except (OSError, WitnessRefused, note.NoteError) as exc:
        witness_attempt_record(status=status, error=_plain(exc))
        return None
    witness_attempt_record(status=status, size=cp.tree_size)
    return cosignature


def _plain(exc):
    if isinstance(exc, (WitnessRefused, note.NoteError)):
        return str(exc)
    return f"无法连接见证服务（{getattr(exc, 'reason', exc)}）"


def _submit(cp, witness, status):
    old = status.size
    for _ in range(2):  # once more with the size a 409 names
        if old > cp.tree_size:
            raise WitnessRefused(f"见证服务已联署更大的树（{old} 条），本系统的检查点仅 {cp.tree_size} 条：账本可能被回滚")
        code, text = _post(witness.url, _request(cp, old))
        if code == 409:
            old = int(text.strip())
            witness_attempt_record(status=status, size=old, error="见证服务记录的树大小与本系统不同，已按其大小重新提交")
            continue
        if code != 200:
            raise WitnessRefused(_REFUSALS.get(code, f"见证服务拒绝联署（HTTP {code}）：{text.strip()[:200]}"))
        return _keep(cp, witness, text)
    raise WitnessRefused("见证服务记录的树大小一再变化，稍后重试")


def _keep(cp, witness, text):
    body = note.checkpoint_body(settings.LAWTRAIL_LEDGER_ORIGIN, cp.tree_size, bytes.fromhex(cp.root_hash))
    for line in text.splitlines():
        signature = note.parse_signature_line(line)
        timestamp = note.cosignature_time(signature, witness.verifier, body)
        if timestamp is not None:
            return cosignature_add(checkpoint=cp, witness=witness.verifier.text(), line=signature.line(),
                                   signed_at=datetime.datetime.fromtimestamp(timestamp, datetime.UTC))
    raise WitnessRefused("见证服务的回复中没有其公钥的有效联署签名")
