"""送达: proof that the decision was served, and mail sent only in the ways allowed."""

from lawtrail.cases.enums import Procedure, Stage
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
