"""调查取证: the written record of the investigation, the officers it names, and a party's
refusal to sign one."""

import re

from lawtrail.cases.enums import Source, Stage
from lawtrail.records.catalog import catalog as document_catalog, doc_type
from lawtrail.regulations.deadlines import av_upload_deadline
from lawtrail.rules.base import (
    NOT_APPLICABLE, PAST_DECISION, PENDING, SATISFIED, VIOLATED, Result, at, general, outcome, rule,
)
from lawtrail.rules.facts import OFFICER_LISTED

INVESTIGATION_TYPES = tuple(code for code, spec in document_catalog().items()
                            if spec.stage == "investigation" and code != "av_evidence_note")


@rule("investigation.record", "调查终结前有调查取证的文字记录", "high", "investigation_record")
def _investigation(f):
    case = f.case
    if not general(case) or case.source == Source.APPLICATION:
        return Result(NOT_APPLICABLE, "简易程序、依申请或不予启动的案件")
    found = f.finals(*INVESTIGATION_TYPES)
    if found:
        return Result(SATISFIED, f"已有 {len(found)} 份调查取证文书，如《{doc_type(found[0].doc_type).title}》{found[0].number}")
    if case.stage in (Stage.DECISION,) + PAST_DECISION:
        return Result(VIOLATED, "案件已调查终结，但没有已定稿的调查取证文书（询问笔录、现场检查笔录、证据登记保存清单等）")
    if case.stage == Stage.INVESTIGATION:
        return Result(PENDING, "调查终结前须制作调查取证文书（询问笔录、现场检查笔录等）")
    return Result(NOT_APPLICABLE, "尚未进入调查取证")


def names_recording(reference, recording):
    """Whether what an officer typed to name a recording (its file name, with or without the
    extension; its number; or the first 8 or more characters of its SHA-256) is this one."""
    ref = reference.strip().lstrip("#＃").casefold()
    name = recording.filename.casefold()
    return bool(ref) and (ref in (name, name.rsplit(".", 1)[0], str(recording.pk))
                          or (len(ref) >= 8 and recording.sha256.startswith(ref)))


# Refusals are met mostly in the investigation's records (询问笔录, 现场检查笔录), so the
# rule lives here, though it reads every final record.
@rule("signature.refusal", "拒绝签字的，记录拒签情况并按规定见证或录像", "medium", "signature.refusal")
def _refusal(f):
    if not f.refusals:
        return Result(NOT_APPLICABLE, "本案已定稿文书没有拒签")
    needs_proof = f.profile.get("signature.refusal.requires_witness_or_video")
    problems, waiting = [], []
    for r in f.refusals:
        where = f"《{r.title}》{r.number}中{r.signer_name}拒签"
        if needs_proof and not (r.witness_name or r.video_ref):
            problems.append(f"{where}，既无其他在场人员签字证明，也无录像记录")
        if r.video_ref and not any(names_recording(r.video_ref, v) for v in f.recordings):
            due = av_upload_deadline(f.profile, made_at=r.signed_at).due
            if f.now <= due:
                waiting.append((due, f"{where}所称录像“{r.video_ref}”尚未上传，须于 {at(due)} 前上传"))
            else:
                problems.append(f"{where}所称录像“{r.video_ref}”不在本案音像记录中（应于 {at(due)} 前上传）")
    return outcome(problems, waiting, f"{len(f.refusals)} 处拒签均已记录拒签人和理由"
                   + ("，并有见证人签字或录像" if needs_proof else ""))


def _listed_numbers(text):
    """The 执法证件编号 an officer typed into a record, however he separated them."""
    return {n for n in re.split(r"[\s,，、;；/]+", text or "") if n}


@rule("investigation.officers", "调查笔录载明执法人员人数、姓名、执法证件编号及出示情况", "medium", "investigation_officers")
def _officers(f):
    records = [r for r in f.final_records if r.doc_type in OFFICER_LISTED]
    if not records:
        return Result(NOT_APPLICABLE, "本案尚无已定稿的询问、调查或现场检查（勘验）笔录")
    problems = []
    for r in records:
        where = f"《{doc_type(r.doc_type).title}》{r.number}"
        # Each officer once: a signature given again after the draft changed leaves the old one behind.
        signed = sorted(set(f.officer_certs.get(r.pk, ())))
        listed = _listed_numbers(r.data.get("cert_numbers"))
        if unlisted := [c for c in signed if c not in listed]:
            problems.append(f"{where}未载明签名执法人员的执法证件编号 {'、'.join(unlisted)}")
        if signed and str(r.data.get("officer_count")) != str(len(signed)):
            problems.append(f"{where}载明执法人员 {r.data.get('officer_count')} 人，签名的执法人员为 {len(signed)} 人")
        if r.data.get("cert_shown") is not True:
            problems.append(f"{where}未记录向当事人出示执法证件的情况")
    if problems:
        return Result(VIOLATED, "；".join(problems))
    return Result(SATISFIED, f"{len(records)} 份调查笔录均载明执法人员人数、姓名、执法证件编号及出示情况")
