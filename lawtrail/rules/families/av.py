"""音像记录: footage stored in time and labelled, recorded without unexplained breaks where
it must be, present for every step the regulation says must be filmed, and described in
writing before it goes into the case file."""

import re

from lawtrail.cases.enums import Stage
from lawtrail.media.models import Activity, MediaKind
from lawtrail.records.catalog import doc_type
from lawtrail.regulations.deadlines import av_upload_deadline
from lawtrail.rules.base import NOT_APPLICABLE, PENDING, SATISFIED, VIOLATED, Result, at, rule
from lawtrail.rules.facts import OFFICER_LISTED
from lawtrail.rules.families.investigation import names_recording


@rule("av.upload_deadline", "音像记录按期存储至执法信息系统", "medium", "av.upload_deadline")
def _upload_deadline(f):
    if not f.recordings:
        return Result(NOT_APPLICABLE, "本案没有音像记录")
    late = [r for r in f.recordings if r.late]
    if late:
        names = "、".join(f"{r.filename}（期限 {at(r.upload_due)}，{at(r.received_at)} 接收）" for r in late)
        return Result(VIOLATED, f"{len(late)} 个音像记录逾期上传：{names}")
    return Result(SATISFIED, f"{len(f.recordings)} 个音像记录均在期限内上传")


@rule("av.continuous", "须不间断记录的执法环节，中断须说明原因", "medium", "av.continuous")
def _continuous(f):
    required = [c for c in f.coverage if c.required]
    if not required:
        return Result(NOT_APPLICABLE, "没有须不间断记录的音像记录")
    gaps = [g for c in required for g in c.gaps if g.violation]
    if gaps:
        return Result(VIOLATED, "；".join(g.message() for g in gaps))
    return Result(SATISFIED, "须不间断记录的环节没有未说明的中断")


@rule("av.mandatory", "法定须同时音像记录的执法环节有音像记录", "high", "av_mandatory")
def _mandatory(f):
    items = f.profile.get("av_mandatory.items")
    recorded = {r.activity for r in f.recordings}
    missing, checked = [], 0
    for item in items:
        documents = f.finals(item["document"])
        if not documents:
            continue
        checked += 1
        # "不适宜音像记录的除外，但需书面记录原因" (003 第十四条): where the profile excuses a step,
        # each of its records saying in writing why it was not filmed stands in for the footage.
        if item.get("excusable") and all((d.data.get("no_av_reason") or "").strip() for d in documents):
            continue
        if item["activity"] not in recorded:
            missing.append(f"已制作《{doc_type(item['document']).title}》{documents[0].number}，"
                           f"但没有“{Activity(item['activity']).label}”的音像记录")
    if not checked:
        return Result(NOT_APPLICABLE, "本案尚无须同时音像记录的执法环节")
    if missing:
        return Result(VIOLATED, "；".join(missing))
    return Result(SATISFIED, "须同时音像记录的执法环节均有音像记录")


def _evidence_refs(f):
    """What the 案件处理意见书 name as the recordings used as evidence (作为证据使用的音像记录)."""
    return [ref for d in f.finals("handling_opinion")
            for ref in re.split(r"[\s,，、;；]+", d.data.get("av_evidence") or "") if ref]


def _noted(recording, notes):
    return any(names_recording(n.data.get("recording") or "", recording)
               or (len(digest := (n.data.get("sha256") or "").strip().lower()) >= 8
                   and recording.sha256.startswith(digest)) for n in notes)


@rule("av.evidence_note", "音像记录归入案卷前制作文字说明（制作人、提取人、时间、证明对象）", "medium", "av_evidence_note")
def _evidence_note(f):
    case = f.case
    if case.matter_type in f.profile.get("av_evidence_note.except_matter_types"):
        return Result(NOT_APPLICABLE, f"{case.get_matter_type_display()}的音像记录由承办科室自行存档")
    if f.profile.get("av_evidence_note.recordings") == "evidence":
        refs = _evidence_refs(f)
        concerned = [r for r in f.recordings if any(names_recording(ref, r) for ref in refs)]
        what = "作为证据使用的音像记录"
    else:
        concerned, what = list(f.recordings), "音像记录"
    if not concerned:
        return Result(NOT_APPLICABLE, f"本案没有{what}")
    notes = f.finals("av_evidence_note")
    missing = [r.filename for r in concerned if not _noted(r, notes)]
    if not missing:
        return Result(SATISFIED, f"{len(concerned)} 个{what}均有已定稿的视听资料文字说明")
    names = "、".join(missing)
    if case.stage in (Stage.ARCHIVING, Stage.ARCHIVED):
        return Result(VIOLATED, f"案件已结案待归档，{what} {names} 没有已定稿的视听资料文字说明")
    return Result(PENDING, f"{what} {names} 归入案卷前须制作视听资料文字说明")


# What a stored recording must be labelled with (`av.metadata.fields`), and how to tell.
METADATA = {
    "case_no": ("案号", lambda r, f: True),  # a recording is stored under its case
    "case_title": ("案由名称", lambda r, f: True),
    "parties": ("当事人姓名或者名称", lambda r, f: f.has_parties),
    "handlers": ("承办人姓名", lambda r, f: r.officer_id),
    "officer": ("执法人员信息", lambda r, f: r.officer_id),
    "maker": ("制作人", lambda r, f: r.officer_id),
    "device_no": ("执法记录设备编号", lambda r, f: r.device_no.strip()),
    "period": ("使用时间", lambda r, f: r.started_at),
    "made_at": ("制作时间", lambda r, f: r.started_at),
    "method": ("制作方法", lambda r, f: r.method.strip()),
    "proves": ("证明对象", lambda r, f: r.proves.strip()),
}


@rule("av.metadata", "存储音像记录时标明规定的信息", "low", "av.metadata")
def _metadata(f):
    fields = f.profile.get("av.metadata.fields")
    if not fields or not f.recordings:
        return Result(NOT_APPLICABLE, "本案没有音像记录" if fields else "未规定存储时须标明的信息")
    problems = []
    for r in f.recordings:
        if missing := [METADATA[k][0] for k in fields if not METADATA[k][1](r, f)]:
            problems.append(f"{r.filename} 未标明{'、'.join(missing)}")
    if problems:
        return Result(VIOLATED, "；".join(problems))
    return Result(SATISFIED, f"{len(f.recordings)} 个音像记录均标明{'、'.join(METADATA[k][0] for k in fields)}")


@rule("av.case_recorded", "查处违法案件有音像记录（至少重要环节）", "medium", "av_case_recorded")
def _case_recorded(f):
    case = f.case
    if case.matter_type not in f.profile.get("av_case_recorded.matter_types") or case.stage in (
            Stage.INITIATION, Stage.CLOSED):
        return Result(NOT_APPLICABLE, "不是已启动的查处违法案件")
    heard = [r for r in f.recordings if r.kind in (MediaKind.VIDEO, MediaKind.AUDIO)]
    if heard:
        return Result(SATISFIED, f"本案有 {len(heard)} 个录音录像")
    if case.stage == Stage.INVESTIGATION:
        return Result(PENDING, "查处违法案件须全程录音录像；无法全程的，须对重要环节录音录像")
    return Result(VIOLATED, "查处违法案件已调查终结，但没有任何录音录像（无法全程录音录像的，应当对重要环节录音录像）")


@rule("av.uncooperative", "当事人或有关人员不配合执法的，同时进行音像记录", "medium", "av_uncooperative")
def _uncooperative(f):
    refused = [r for r in f.final_records if r.doc_type in OFFICER_LISTED and r.data.get("uncooperative") == "是"]
    if not refused:
        return Result(NOT_APPLICABLE, "调查笔录未记载当事人或有关人员不配合执法")
    if f.recordings:
        return Result(SATISFIED, f"《{doc_type(refused[0].doc_type).title}》{refused[0].number}记载不配合执法，"
                                 f"本案有 {len(f.recordings)} 个音像记录")
    due = av_upload_deadline(f.profile, made_at=refused[0].finalised_at or f.now).due
    what = f"《{doc_type(refused[0].doc_type).title}》{refused[0].number}记载当事人或有关人员拒绝接受调查、提供证据"
    if f.now <= due:
        return Result(PENDING, f"{what}，须于 {at(due)} 前上传该执法过程的音像记录", due)
    return Result(VIOLATED, f"{what}，但本案没有音像记录（应于 {at(due)} 前上传）")
