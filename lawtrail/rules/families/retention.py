"""保存: footage kept long term once a party objects, where the profile says so."""

from lawtrail.rules.base import NOT_APPLICABLE, SATISFIED, VIOLATED, Result, rule


@rule("retention.circumstance", "当事人有异议或投诉的，登记音像资料长期保存情形", "medium", "retention_circumstance")
def _retention_circumstance(f):
    if not f.holds:
        return Result(NOT_APPLICABLE, "当事人未申请复议、提起诉讼或投诉")
    if f.profile.get("retention_circumstance.circumstance") in f.marks:
        return Result(SATISFIED, "已登记长期保存情形：当事人有异议或者投诉、上访")
    return Result(VIOLATED, f"当事人已{'、'.join(sorted(set(f.holds)))}，本案音像资料应长期保存，"
                            "但尚未在“归档与保存”中登记保存情形“当事人有异议或者投诉、上访”")
