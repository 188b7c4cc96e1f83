"""送达: proof that the decision was served, mail sent only in the ways allowed, and a posted
notice photographed or filmed."""

from lawtrail.cases.enums import Procedure, Stage
from lawtrail.media.models import Activity
from lawtrail.rules.base import NOT_APPLICABLE, SATISFIED, VIOLATED, Result, rule

SERVICE_TYPES = ("service_direct", "service_lodged", "service_mail", "service_entrusted", "service_public")


@rule("service.mail_method", "邮寄送达只能采用规定的邮寄方式", "medium", "service.mail_methods")
def _mail_method(f):
    mailed = f.finals("service_mail")
    if not mailed:
        return Result(NOT_APPLICABLE, "本案没有邮寄送达")
    allowed = f.profile.get("service.mail_methods.allowed")
    wrong = [r for r in mailed if r.data.get("mail_method") not in allowed]
    if wrong:
        return Result(VIOLATED, "；".join(f"送达回证 {r.number} 采用“{r.data.get('mail_method')}”，"
                                          f"只能采用{'或'.join(allowed)}" for r in wrong))
    return Result(SATISFIED, f"{len(mailed)} 次邮寄送达均采用规定方式")


@rule("service.proof", "送达须有送达回证", "high", "service_proof")
def _service(f):
    case = f.case
    if case.stage not in (Stage.ARCHIVING, Stage.ARCHIVED) or case.procedure == Procedure.SIMPLE:
        return Result(NOT_APPLICABLE, "尚未执行完毕或为简易程序")
    served = f.finals(*SERVICE_TYPES)
    if served:
        return Result(SATISFIED, f"送达回证 {served[0].number} 已定稿")
    return Result(VIOLATED, "案件已执行完毕，但没有已定稿的送达回证")


@rule("service.public_photo", "张贴公告送达的，照相或录像记录送达情况", "medium", "service.public_photo")
def _public_photo(f):
    methods = f.profile.get("service.public_photo.methods")
    posted = [r for r in f.finals("service_public") if r.data.get("method") in methods]
    if not posted:
        return Result(NOT_APPLICABLE, f"本案没有以{'、'.join(methods)}方式公告送达")
    if any(r.activity == Activity.SERVICE_PUBLIC for r in f.recordings):
        return Result(SATISFIED, "公告送达有照片或录像记录")
    return Result(VIOLATED, f"公告送达记录 {'、'.join(r.number for r in posted)} 以{posted[0].data.get('method')}方式送达，"
                            "但没有“公告送达”的照片或录像")
