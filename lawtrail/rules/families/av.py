"""音像记录: footage stored in time, recorded without unexplained breaks where it must be,
and present for every step the regulation says must be filmed."""

from lawtrail.media.models import Activity
from lawtrail.records.catalog import doc_type
from lawtrail.rules.base import NOT_APPLICABLE, SATISFIED, VIOLATED, Result, at, rule


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
        if item["activity"] not in recorded:
            missing.append(f"已制作《{doc_type(item['document']).title}》{documents[0].number}，"
                           f"但没有“{Activity(item['activity']).label}”的音像记录")
    if not checked:
        return Result(NOT_APPLICABLE, "本案尚无须同时音像记录的执法环节")
    if missing:
        return Result(VIOLATED, "；".join(missing))
    return Result(SATISFIED, "须同时音像记录的执法环节均有音像记录")
