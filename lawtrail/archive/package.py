"""Evidence and archive packages: a BagIt bag (RFC 8493) that a court verifies offline.

The bag holds the originals byte-for-byte (recordings, signature images, attachments),
the finalised PDFs and the assembled case-file volume, every object's content as it was
hashed into the ledger (metadata.json and metadata.xml), the ledger entries about the
case with RFC 9162 inclusion proofs against a freshly signed checkpoint, the public key,
and `verify.py`, a standard-library-only verifier.

Each byte is read once: a file is hashed while the kernel copies it into the bag, and the
digest must equal the SHA-256 the file is stored under, so a damaged original stops the
export instead of travelling to court. The bag's manifests are written from those
digests; `bagit` (the Library of Congress package) validates the result in the tests.
The bag is built in a hidden directory next to the target and renamed into place only
when complete, so nothing half-written is ever visible.
"""

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import lawtrail
from lawtrail.blobs import blob_store
from lawtrail.blobs.base import CHUNK
from lawtrail.blobs.direct import copy_file_direct, hash_file
from lawtrail.blobs.local import LocalBlobStore
from lawtrail.core.canonical import jsonable
from lawtrail.core.errors import Conflict, InvalidInput
from lawtrail.ledger import keys, registry
from lawtrail.ledger.access_log import access_logged
from lawtrail.ledger.formats import entry_bytes
from lawtrail.ledger.models import Cosignature, Entry
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.witness.client import configured_witnesses, signed_note
from lawtrail.witness.tasks import submit_to_witnesses
from lawtrail.ledger.tiles import TileTree
from lawtrail.archive.timestamp import certificates_pem, stamp, tsa_certificates, tsa_configured

VERIFIER = Path(__file__).with_name("verifier.py")
README = """LawTrail 执法全过程记录证据包
================================

本目录是一个 BagIt 包（RFC 8493），由 LawTrail 执法全过程记录系统导出。

  data/metadata.json、data/metadata.xml  案件及每个对象的内容（与账本记载的哈希一致）
  data/records/                          已定稿执法文书的 PDF（加盖电子印章，及其后补加时间戳的版本）
  data/casefile/                         组卷后的案卷（卷内目录、备考表和全部文书）
  data/recordings/                       音像记录原始文件（逐字节原样）
  data/signatures/、data/attachments/    签名图像和附件原件
  data/ledger/                           账本条目、默克尔包含证明、签名检查点和公钥

离线校验（只需 Python 3.8 以上，无需联网或安装任何软件）：

    python3 verify.py

校验程序核对每个文件的 SHA-256、每条账本条目的包含证明和检查点的 Ed25519 签名，
并逐项指出被修改、删除或添加的内容。也可用 bagit.py --validate 核对包的完整性。

若配置了可信时间戳服务，timestamp/ 目录中有对 tagmanifest-sha256.txt 加盖的 RFC 3161
时间戳（.tsr）和时间戳服务的证书；校验程序核对时间戳所盖的哈希，本机有 openssl 时还核验其签名：

    openssl ts -verify -data tagmanifest-sha256.txt -in timestamp/tagmanifest-sha256.txt.tsr \
        -CAfile timestamp/tsa-certs.pem

文书 PDF 上的电子印章是 PAdES 签名。校验程序从每个 PDF 的签名字典和证书读出签署人与签署时间，
并核对签名范围（/ByteRange）覆盖除签名值以外的全部内容。签名值、证书链和吊销状态的密码学核验，
请向制发机关索取其 CA 证书后用 pyHanko 的命令行（pip install pyhanko-cli）离线运行：

    pyhanko sign validate --trust 机关CA证书.pem data/records/<文书>.pdf
"""


def readme(witnesses):
    """The README, with the witnesses' keys printed for a court to compare with the keys
    each witness's operator (司法局, 上级机关, 法院) publishes."""
    if not witnesses:
        return README
    return README + """
见证服务（C2SP tlog-witness）：下列独立机构运行的见证服务对本包的检查点联署签名，证明它们见到的账本
只增不改。校验程序用 data/ledger/witnesses.txt 中的公钥核对 data/ledger/checkpoint.txt 中的联署签名；
导出时未应答的见证服务，由 data/ledger/witnessed.json 给出其最近联署的此前检查点及到本包检查点的一致性证明。
请将下列公钥与各见证机构公布的公钥逐一比对：

""" + "".join(f"    {key}\n" for key in witnesses)


TIMESTAMP_DIR = "timestamp"


@dataclass
class Summary:
    path: Path
    files: int
    bytes: int
    entries: int
    checkpoint_size: int
    objects: int
    sm3: bool
    disposed: list = field(default_factory=list)
    timestamp: object = None  # archive.timestamp.Stamp, where a TSA is configured


def uses_sm3(agency):
    """国密: the agencies configured to add SM3 digests to their packages."""
    configured = settings.LAWTRAIL_SM3_AGENCIES
    return "*" in configured or agency.code in configured


_UNSAFE = re.compile(r"[^\w.\-]+")


def safe_name(name):
    """A file name that is safe in every manifest and on every file system."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "file"
    return cleaned[:120]


def _sniff_extension(store, sha256):
    with store.open(sha256) as f:
        head = f.read(8)
    if head.startswith(b"\x89PNG"):
        return ".png"
    if head.startswith(b"\xff\xd8"):
        return ".jpg"
    if head.startswith(b"%PDF"):
        return ".pdf"
    return ".bin"


def package_contents(case):
    """Every object of the case that the package vouches for, with the files it carries:
    a list of (object, label, [(field, relative path or None, disposed)])."""
    from lawtrail.archive.models import CaseFile, DisposalRequest, LegalHold, Provision, RetentionMark
    from lawtrail.archive.selectors import disposed_hashes
    from lawtrail.media.models import GapExplanation
    from lawtrail.records.models import Attachment, RecordStatus, Seal, Signature

    store = blob_store()
    disposed = disposed_hashes(case)
    contents = [(case, f"案件 {case.case_no}", [])]
    contents += [(p, f"当事人 {p.name}", []) for p in case.parties.all()]
    contents += [(a, f"承办人 {a.officer_id}", []) for a in case.assignments.all()]
    contents += [(t, f"流程 {t.label}", []) for t in case.transitions.all()]
    records = list(case.records.filter(status=RecordStatus.FINAL).order_by("finalised_at", "id"))
    paths = {}
    for n, record in enumerate(records, 1):
        label = f"《{record.title}》{record.number}".strip()
        path = f"data/records/{n:03d}_{safe_name(record.title)}_{record.pk}.pdf" if record.pdf_sha256 else None
        paths[record.pk] = (path, record.pdf_sha256)
        contents.append((record, label, [("pdf_sha256", path, False)]))
    record_ids = [r.pk for r in records]
    # Every sealed and time-stamped PDF: the one the record names is carried once, under its path.
    for seal in Seal.objects.filter(record_id__in=record_ids).select_related("record").order_by("sealed_at", "id"):
        path, record_sha256 = paths[seal.record_id]
        if seal.pdf_sha256 != record_sha256:
            path = f"data/records/{safe_name(seal.record.title)}_{seal.record_id}_签章{seal.pk}.pdf"
        contents.append((seal, f"《{seal.record.title}》电子签章 {seal.get_level_display()}", [("pdf_sha256", path, False)]))
    for sig in Signature.objects.filter(record_id__in=record_ids).order_by("id"):
        files = []
        if sig.image_sha256:
            files = [("image_sha256", f"data/signatures/{sig.pk}{_sniff_extension(store, sig.image_sha256)}", False)]
        contents.append((sig, f"签名 {sig.signer_name}（文书 {sig.record_id}）", files))
    for att in Attachment.objects.filter(record_id__in=record_ids).order_by("id"):
        gone = att.sha256 in disposed
        path = None if gone else f"data/attachments/{att.pk}_{safe_name(att.filename)}"
        contents.append((att, f"附件 {att.filename}", [("sha256", path, gone)]))
    for rec in case.recordings.all():
        gone = rec.sha256 in disposed
        files = [("sha256", None if gone else f"data/recordings/{rec.pk}_{safe_name(rec.filename)}", gone)]
        if rec.thumbnail_sha256:
            files.append(("thumbnail_sha256", None if gone else f"data/recordings/{rec.pk}_poster.jpg", gone))
        contents.append((rec, f"音像记录 {rec.filename}", files))
    contents += [(g, f"中断说明 {g.pk}", []) for g in GapExplanation.objects.filter(case=case)]
    for cf in CaseFile.objects.filter(case=case):
        contents.append((cf, f"案卷 第 {cf.version} 版", [("pdf_sha256", f"data/casefile/案卷_v{cf.version}.pdf", False)]))
    for model, label in ((LegalHold, "保全"), (RetentionMark, "保存情形"), (DisposalRequest, "销毁申请"),
                         (Provision, "对外提供")):
        contents += [(o, f"{label} {o.pk}", []) for o in model.objects.filter(case=case)]
    # A provision's earlier package is kept by LawTrail, not carried inside the next one.
    return contents


def _last_entries(case, contents, size):
    """For each object, the last ledger entry about it within the signed tree."""
    wanted = {(registry.object_type(obj), str(obj.pk)) for obj, _, _ in contents}
    last = {}
    for entry in Entry.objects.filter(scope=case.scope, seq__lte=size).order_by("seq"):
        key = (entry.object_type, entry.object_id)
        if key in wanted:
            last[key] = entry
    for key in wanted - last.keys():
        entry = (Entry.objects.filter(object_type=key[0], object_id=key[1], seq__lte=size)
                 .order_by("-seq").first())
        if entry is not None:
            last[key] = entry
    return last


class _Hasher:
    def __init__(self, sm3):
        self.digests = {"sha256": hashlib.sha256()}
        if sm3:
            self.digests["sm3"] = hashlib.new("sm3")
        self.size = 0

    def update(self, chunk):
        self.size += len(chunk)
        for d in self.digests.values():
            d.update(chunk)

    def hexdigests(self):
        return {name: d.hexdigest() for name, d in self.digests.items()}


def copy_blob(store, sha256, target, sm3=False):
    """Copy a stored file into the bag, hashing it on the way; returns (digests, size).

    On local disk another thread has the disk copy it (`copy_file_direct`) while this
    one hashes the source, so the export runs at hashing speed rather than
    read-hash-write speed."""
    hasher = _Hasher(sm3)
    if isinstance(store, LocalBlobStore):
        source = store.path(sha256)
        failure = []

        def copy():
            try:
                copy_file_direct(source, target)
            except OSError as exc:
                failure.append(exc)

        worker = threading.Thread(target=copy)
        worker.start()
        hash_file(source, hasher.update)
        worker.join()
        if failure:
            raise failure[0]
    else:
        with store.open(sha256) as src, open(target, "wb") as out:
            while chunk := src.read(CHUNK * 4):
                hasher.update(chunk)
                out.write(chunk)
    digests = hasher.hexdigests()
    if digests["sha256"] != sha256:
        raise Conflict(f"存储的文件 {sha256} 已损坏（内容与其 SHA-256 不符），已停止导出；请运行 lawtrail verify 并从备份恢复")
    return digests, hasher.size


def write_file(root, relpath, data: bytes, sm3=False):
    target = root / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    hasher = _Hasher(sm3)
    hasher.update(data)
    return hasher.hexdigests(), len(data)


def _to_xml(parent, value, tag="item"):
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, child in value.items():
            name = key if re.fullmatch(r"[A-Za-z_][\w.-]*", key) else "field"
            sub = _to_xml(element, child, name)
            if name == "field":
                sub.set("name", key)
    elif isinstance(value, list):
        for child in value:
            _to_xml(element, child)
    elif value is not None:
        element.text = str(value)
    return element


def metadata_xml(metadata) -> bytes:
    root = ET.Element("lawtrail-package", {"version": "1"})
    for key, value in metadata.items():
        _to_xml(root, value, key)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _manifest(lines):
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(lines.items())).encode("utf-8")


def _bag_info(case, actor, purpose, oxum, checkpoint):
    agency = case.agency
    fields = [
        ("Source-Organization", agency.name),
        ("Organization-Address", agency.region or agency.name),
        ("External-Identifier", case.case_no),
        ("External-Description", f"{case.title}（{case.get_matter_type_display()}）执法全过程记录证据包"),
        ("Bagging-Date", timezone.localdate().isoformat()),
        ("Bag-Software-Agent", f"LawTrail {lawtrail.__version__}"),
        ("Payload-Oxum", oxum),
        ("LawTrail-Purpose", purpose),
        ("LawTrail-Exported-By", actor.get_username() if actor else "system"),
        ("LawTrail-Checkpoint", f"{checkpoint.tree_size} {checkpoint.root_hash}"),
    ]
    return "".join(f"{k}: {' '.join(str(v).split())}\n" for k, v in fields).encode("utf-8")


def _prepare(out_dir):
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput(f"目标目录 {out_dir} 已存在且不为空，请指定新的目录")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = out_dir.parent / f".{out_dir.name}.partial-{secrets.token_hex(4)}"
    work.mkdir()
    return out_dir, work


def package_export(*, actor, case, out_dir, purpose="证据包导出", request=None) -> Summary:
    """Write the case's package to `out_dir` (new or empty). The export itself is logged
    in the ledger before the checkpoint is signed, so the package proves it too."""
    if tsa_configured():
        tsa_certificates()  # a TSA without the certificates to check it fails now, not after the copying
    out_dir, work = _prepare(out_dir)
    try:
        with transaction.atomic():
            access_logged(actor=actor, action="case.export", obj=case, scope=case.scope,
                          what=f"导出证据包：{purpose}", request=request)
        checkpoint = ledger_checkpoint()
        submit_to_witnesses(checkpoint)  # its cosignatures go into the package
        summary = _build(case, work, actor, purpose, checkpoint)
        if out_dir.exists():
            out_dir.rmdir()
        os.rename(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    summary.path = out_dir
    return summary


def _build(case, root, actor, purpose, checkpoint):
    from lawtrail.archive.retention import case_facts, record_retention, recording_retention
    from lawtrail.media.models import Recording
    from lawtrail.records.models import Record

    sm3 = uses_sm3(case.agency)
    store = blob_store()
    size = checkpoint.tree_size
    contents = package_contents(case)
    last = _last_entries(case, contents, size)
    manifests = {"sha256": {}}
    if sm3:
        manifests["sm3"] = {}
    total_bytes = 0

    def add(relpath, digests, nbytes):
        nonlocal total_bytes
        for name, digest in digests.items():
            manifests[name][relpath] = digest
        total_bytes += nbytes

    facts = case_facts(case)
    objects, disposed, sizes = [], [], {}
    for obj, label, files in contents:
        key = (registry.object_type(obj), str(obj.pk))
        entry = last.get(key)
        if entry is None:
            raise Conflict(f"{label} 没有账本记录，无法导出可验证的证据包；请运行 lawtrail verify")
        content = jsonable(registry.snapshot(obj))
        listed = []
        for field_name, relpath, gone in files:
            sha256 = getattr(obj, field_name)
            if not sha256:
                continue
            item = {"field": field_name, "sha256": sha256, "path": relpath}
            if gone:
                item["disposed"] = True
                if label not in disposed:
                    disposed.append(label)
            elif relpath in sizes:  # the same file as an earlier object's (a record and its seal)
                item["size"] = sizes[relpath]
            elif relpath is not None:
                target = root / relpath
                target.parent.mkdir(parents=True, exist_ok=True)
                digests, nbytes = copy_blob(store, sha256, target, sm3)
                add(relpath, digests, nbytes)
                item["size"] = sizes[relpath] = nbytes
            listed.append(item)
        described = {"object_type": key[0], "object_id": key[1], "label": label, "entry": entry.seq,
                     "content": content, "files": listed}
        if isinstance(obj, Recording):
            described["retention"] = recording_retention(obj, facts).as_dict()
        elif isinstance(obj, Record):
            described["retention"] = record_retention(obj, facts).as_dict()
        objects.append(described)

    # The ledger: every entry about the case, and those that last vouched for its objects.
    seqs = set(Entry.objects.filter(scope=case.scope, seq__lte=size).values_list("seq", flat=True))
    seqs |= {e.seq for e in last.values()}
    tree = TileTree(size)  # the tree the checkpoint signed, read from its tiles
    lines, proofs = [], {}
    for entry in Entry.objects.filter(seq__in=seqs).order_by("seq"):
        data = entry_bytes(entry.__dict__)
        lines.append(data)
        proofs[str(entry.seq)] = {
            "entry_hash": entry.entry_hash,
            "leaf_index": entry.seq - 1,
            "path": [h.hex() for h in tree.inclusion_proof(entry.seq - 1)],
        }
    root_hash = tree.root().hex()
    if root_hash != checkpoint.root_hash:
        raise Conflict("账本的默克尔根与检查点不符，账本可能已被改写；请运行 lawtrail verify")
    from lawtrail.ledger.selectors import checkpoint_json

    add("data/ledger/entries.jsonl", *write_file(root, "data/ledger/entries.jsonl", b"\n".join(lines) + b"\n", sm3))
    add("data/ledger/proofs.json", *write_file(root, "data/ledger/proofs.json", _json(
        {"tree_size": size, "root_hash": root_hash, "entries": proofs}), sm3))
    add("data/ledger/checkpoint.json", *write_file(root, "data/ledger/checkpoint.json",
                                                   _json(checkpoint_json(checkpoint)), sm3))
    witnesses = [w.verifier.text() for w in configured_witnesses()]
    add("data/ledger/checkpoint.txt", *write_file(root, "data/ledger/checkpoint.txt", signed_note(
        checkpoint, Cosignature.objects.filter(checkpoint=checkpoint)).encode(), sm3))
    add("data/ledger/witnesses.txt", *write_file(root, "data/ledger/witnesses.txt", "".join(
        f"{key}\n" for key in witnesses).encode(), sm3))
    earlier = earlier_cosigned(checkpoint, tree, witnesses)
    if earlier:
        add("data/ledger/witnessed.json", *write_file(root, "data/ledger/witnessed.json", _json(earlier), sm3))
    add("data/ledger/public_key.txt", *write_file(
        root, "data/ledger/public_key.txt",
        f"Ed25519 {keys.public_key_b64()}\nkey id {keys.key_id()}\n".encode(), sm3))

    metadata = {
        "format": "LawTrail 执法全过程记录证据包 1",
        "case": {
            "case_no": case.case_no, "title": case.title, "agency": case.agency.name,
            "profile": case.agency.profile, "matter_type": case.get_matter_type_display(),
            "procedure": case.get_procedure_display(), "stage": case.get_stage_display(),
            "confidentiality": case.get_confidentiality_display(),
        },
        "purpose": purpose,
        "exported_at": jsonable(timezone.now()),
        "exported_by": actor.get_username() if actor else "system",
        "checkpoint": {"tree_size": size, "root_hash": root_hash},
        "hash_algorithms": sorted(manifests),
        "disposed": disposed,
        "objects": objects,
    }
    add("data/metadata.json", *write_file(root, "data/metadata.json", _json(metadata), sm3))
    add("data/metadata.xml", *write_file(root, "data/metadata.xml", metadata_xml(metadata), sm3))

    files = sum(len(m) for m in manifests.values()) // len(manifests)
    tags = {
        "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": _bag_info(case, actor, purpose, f"{total_bytes}.{files}", checkpoint),
        "verify.py": VERIFIER.read_bytes(),
        "README.txt": readme(witnesses).encode("utf-8"),
    }
    for name, lines_ in manifests.items():
        tags[f"manifest-{name}.txt"] = _manifest(lines_)
    tag_digests = {}
    for name, data in tags.items():
        (root / name).write_bytes(data)
        tag_digests[name] = hashlib.sha256(data).hexdigest()
    (root / "verify.py").chmod(0o755)
    tag_manifest = _manifest(tag_digests)
    (root / "tagmanifest-sha256.txt").write_bytes(tag_manifest)
    stamped = _timestamp(root, tag_manifest) if tsa_configured() else None
    return Summary(path=root, files=files, bytes=total_bytes, entries=len(lines), checkpoint_size=size,
                   objects=len(objects), sm3=sm3, disposed=disposed, timestamp=stamped)


def earlier_cosigned(checkpoint, tree, witnesses):
    """For each witness (vkey text) that did not cosign `checkpoint` (silent at the export),
    the newest smaller checkpoint it did cosign, as a signed note with its cosignature, and
    the consistency proof from there to `checkpoint` (`tree`, its tiles): the witness still
    vouches that what it saw is a prefix of the package's tree."""
    earlier = []
    for key in witnesses:
        if Cosignature.objects.filter(checkpoint=checkpoint, witness=key).exists():
            continue
        cosignature = (Cosignature.objects.filter(witness=key, checkpoint__tree_size__lt=checkpoint.tree_size)
                       .select_related("checkpoint").order_by("-checkpoint__tree_size", "-id").first())
        if cosignature is not None:
            old = cosignature.checkpoint
            earlier.append({"witness": key, "tree_size": old.tree_size, "checkpoint": signed_note(old, [cosignature]),
                            "consistency_path": [h.hex() for h in tree.consistency_proof(old.tree_size)]})
    return earlier


def _timestamp(root, tag_manifest):
    """An RFC 3161 time-stamp over the tag manifest (which vouches for everything else),
    with the TSA's certificates for `openssl ts -verify` (the bundled verifier runs it)."""
    stamped = stamp(tag_manifest)
    (root / TIMESTAMP_DIR).mkdir()
    (root / TIMESTAMP_DIR / "tagmanifest-sha256.txt.tsr").write_bytes(stamped.response)
    (root / TIMESTAMP_DIR / "tsa-certs.pem").write_bytes(certificates_pem())
    return stamped


def zip_package(bag_dir, zip_path):
    """One file to hand over or download: the bag, stored (media is compressed already)."""
    bag_dir = Path(bag_dir)
    top = bag_dir.name
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for path in sorted(bag_dir.rglob("*")):
            if path.is_file():
                zf.write(path, f"{top}/{path.relative_to(bag_dir).as_posix()}")
    return Path(zip_path)


@contextlib.contextmanager
def package_zip(*, actor, case, purpose, request=None):
    """Build the package in a private temporary directory and yield its zip; both are
    removed afterwards (an open file handle keeps the zip readable while it streams)."""
    work = Path(settings.LAWTRAIL_HOME) / "exports"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        name = safe_name(f"{case.case_no}_证据包")
        summary = package_export(actor=actor, case=case, out_dir=Path(tmp) / name, purpose=purpose, request=request)
        yield zip_package(summary.path, Path(tmp) / f"{name}.zip")


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8") + b"\n"
