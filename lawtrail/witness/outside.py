"""`lawtrail verify` against what is kept outside the system: a checkpoint printed, mailed
or carried in a package (`--checkpoint FILE`), and witnesses (`--witness URL_OR_KEY`).
Whoever holds the server can truncate, roll back, rewrite and re-sign the database, key and
all; a checkpoint or a witness outside still knows the tree it saw, and the current tree
must extend it."""

from dataclasses import dataclass

from django.conf import settings

from lawtrail.ledger.cosignatures import root_at
from lawtrail.ledger.models import Checkpoint, Cosignature, Entry, WitnessStatus
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.witness import note
from lawtrail.witness.client import Configured, configured_witnesses, log_verifier, submit


@dataclass
class Finding:
    ref: str
    message: str


def _tree_problem(size, root: bytes):
    entries = Entry.objects.count()
    if size > entries:
        return f"账本仅有 {entries} 条，少于该检查点的 {size} 条：账本被截断或回滚"
    if root_at(size) != root:
        return f"当前账本前 {size} 条的默克尔根与该检查点不符：账本被改写"
    return None


def check_kept_checkpoint(text, name, witness_keys=()):
    """Problems of one checkpoint kept outside (its text, `name` for the report)."""
    try:
        kept = note.parse_checkpoint(text)
    except note.NoteError as exc:
        return [Finding(name, str(exc))]
    findings = []
    if kept.origin != settings.LAWTRAIL_LEDGER_ORIGIN:
        return [Finding(name, f"该检查点属于其他账本（{kept.origin}）")]
    try:
        ours = note.signed_by(kept, log_verifier())
    except note.NoteError:
        ours = False
    if not ours:
        findings.append(Finding(name, "该检查点不是用系统当前的签名密钥签发的：签名密钥被更换"))
    for key in witness_keys:
        if not any(note.cosignature_time(s, key, kept.body) for s in kept.signatures):
            findings.append(Finding(name, f"该检查点没有见证服务 {key.name} 的有效联署签名"))
    problem = _tree_problem(kept.size, kept.root)
    if problem:
        findings.append(Finding(name, problem))
    elif ours and not Checkpoint.objects.filter(tree_size=kept.size, root_hash=kept.root.hex()).exists():
        findings.append(Finding(name, f"系统中缺少该检查点（{kept.size} 条）的记录：检查点被删除"))
    return findings


def check_stored_cosignatures(since=0):
    """Every cosignature kept (of a checkpoint of `since` entries or more) verifies against
    its witness's key and its checkpoint."""
    findings = []
    origin = settings.LAWTRAIL_LEDGER_ORIGIN
    for cosignature in Cosignature.objects.filter(checkpoint__tree_size__gte=since).select_related("checkpoint"):
        cp = cosignature.checkpoint
        ref = f"cosignature {cosignature.id} (checkpoint {cp.id})"
        try:
            key = note.parse_vkey(cosignature.witness)
            valid = note.cosignature_time(note.parse_signature_line(cosignature.line), key,
                                          note.checkpoint_body(origin, cp.tree_size, bytes.fromhex(cp.root_hash)))
        except note.NoteError:
            valid = None
        if not valid:
            findings.append(Finding(ref, "见证服务的联署签名无效（联署或检查点被篡改）"))
    return findings


def _witness(arg):
    """A configured witness named by its URL, or by its key ("URL KEY" names both)."""
    url, _, key = arg.strip().partition(" ")
    if not url.startswith(("http://", "https://")):
        url, key = "", arg.strip()
    if key:
        return Configured(url.rstrip("/"), note.parse_vkey(key))
    for witness in configured_witnesses():
        if witness.url == url.rstrip("/"):
            return witness
    status = WitnessStatus.objects.filter(url=url.rstrip("/")).first()
    if status is None:
        raise note.NoteError(f"未配置见证服务 {url}，请同时给出其公钥：--witness \"{url} 公钥\"")
    return Configured(status.url, note.parse_vkey(status.witness))


def check_witness(arg, kept_texts=()):
    """Ask a witness (by URL) whether the current tree extends what it cosigned; with only
    its key, check its cosignatures in the kept checkpoints."""
    try:
        witness = _witness(arg)
    except note.NoteError as exc:
        return [Finding(arg, str(exc))]
    if not witness.url:
        return []  # its key checks the kept checkpoints' cosignatures (check_kept_checkpoint)
    cp = ledger_checkpoint()
    if submit(cp, witness) is not None:
        return []
    status = WitnessStatus.objects.get(witness=witness.verifier.text())
    return [Finding(witness.url, status.last_error)]


def witness_keys(args):
    keys = []
    for arg in args:
        try:
            keys.append(_witness(arg).verifier)
        except note.NoteError:
            pass
    return keys


def verify_outside(checkpoint_files=(), witness_args=(), since=0):
    """Findings against the kept checkpoints and the witnesses named, and of the cosignatures
    kept (the daily run: of the checkpoints since the one it went on from)."""
    findings = check_stored_cosignatures(since)
    keys = witness_keys(witness_args)
    for path in checkpoint_files:
        try:
            text = open(path, "rb").read()
        except OSError as exc:
            findings.append(Finding(str(path), f"无法读取检查点文件（{exc.strerror}）"))
            continue
        findings += check_kept_checkpoint(text, str(path), keys)
    for arg in witness_args:
        findings += check_witness(arg)
    return findings
