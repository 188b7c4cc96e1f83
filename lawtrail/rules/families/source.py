"""案件来源 and 事项类型: the records a case's source or matter type requires — an application
registered and accepted or refused, a complaint registered, a named complainant told what
became of it, and the draw of an inspection recorded."""

from lawtrail.cases.enums import Source, Stage
from lawtrail.rules.base import NOT_APPLICABLE, PAST_INITIATION, PENDING, SATISFIED, VIOLATED, Result, rule

# The stages of a case whose start was decided: taken up, or not (不予受理, 不予立案).
STARTED_OR_NOT = PAST_INITIATION + (Stage.CLOSED,)


@rule("source.application", "依申请启动的，记录申请登记及受理或不予受理", "high", "start.application_record")
def _application(f):
    case = f.case
    if case.source != Source.APPLICATION:
        return Result(NOT_APPLICABLE, "不是依申请启动的案件")
    registered = f.finals("application_register")
    answer, answer_title = (("application_rejection", "不予受理决定书") if case.stage == Stage.CLOSED
                            else ("application_acceptance", "受理通知书"))
    answered = f.finals(answer)
    if case.stage not in STARTED_OR_NOT:
        if registered and f.finals("application_acceptance", "application_rejection"):
            return Result(SATISFIED, f"申请登记表 {registered[0].number} 及受理（不予受理）文书已定稿")
        return Result(PENDING, "受理或不予受理前，须登记申请并制作受理通知书或不予受理决定书")
    missing = [title for title, found in (("申请登记表", registered), (answer_title, answered)) if not found]
    done = "已受理" if case.stage != Stage.CLOSED else "已决定不予受理"
    if missing:
        return Result(VIOLATED, f"申请{done}，但没有已定稿的{'、'.join(missing)}")
    return Result(SATISFIED, f"申请登记表 {registered[0].number}、{answer_title} {answered[0].number} 已定稿")


@rule("source.complaint_record", "投诉举报启动或不予启动的，书面记录投诉举报情况", "medium", "start.complaint_record")
def _complaint_record(f):
    case = f.case
    if case.source != Source.COMPLAINT:
        return Result(NOT_APPLICABLE, "不是投诉举报来源的案件")
    registers = f.finals("complaint_register")
    if registers:
        return Result(SATISFIED, f"投诉举报登记表 {registers[0].number} 已定稿")
    if case.stage in STARTED_OR_NOT:
        done = "已决定不予启动" if case.stage == Stage.CLOSED else "已启动执法程序"
        return Result(VIOLATED, f"{done}，但没有已定稿的投诉举报登记表（投诉举报人、内容及时间、记录人、处理意见）")
    return Result(PENDING, "决定启动或不启动执法程序前，须制作投诉举报登记表")


@rule("source.complaint_notice", "实名投诉举报的处理结果告知投诉举报人并书面记录", "high", "start.complaint_decline_notice")
def _complaint_notice(f):
    case = f.case
    if case.source != Source.COMPLAINT or not case.complainant_name.strip():
        return Result(NOT_APPLICABLE, "不是实名投诉举报的案件")
    started = case.stage in PAST_INITIATION
    if started and not f.profile.get("start.complaint_decline_notice").get("also_when_started"):
        return Result(NOT_APPLICABLE, "已启动执法程序（仅不启动的须告知）")
    notices = f.finals("complaint_notice")
    # The step that declines a named complaint records how he was told (不予立案并告知).
    told_in_step = [d for d in f.declines if d.get("notice_method") and d.get("notice_date")]
    if notices or told_in_step:
        how = f"投诉举报处理告知书 {notices[0].number} 已定稿" if notices else \
            f"已于 {told_in_step[0]['notice_date']} 以{told_in_step[0]['notice_method']}告知并记录"
        return Result(SATISFIED, f"已告知实名投诉举报人 {case.complainant_name}：{how}")
    what = f"实名投诉举报人 {case.complainant_name} 的投诉举报{'已立案查处' if started else '经审查不予启动'}"
    if case.stage in (Stage.CLOSED, Stage.ARCHIVING, Stage.ARCHIVED):
        return Result(VIOLATED, f"{what}，但没有告知投诉举报人的书面记录（投诉举报处理告知书）")
    if started:
        return Result(PENDING, f"{what}，须告知投诉举报人处理情况（立案查处）并书面记录")
    return Result(NOT_APPLICABLE, "尚未决定是否启动执法程序")


@rule("source.random_check", "行政检查事项书面记录抽查方式、随机确定的检查对象和执法人员", "medium", "start.random_check_record")
def _random_check(f):
    case, block = f.case, f.profile.get("start.random_check_record")
    if case.matter_type not in block["matter_types"] or case.source not in block["sources"]:
        return Result(NOT_APPLICABLE, "不是随机抽查或依职权开展的行政检查（投诉举报、移送等引起的检查不经抽取）")
    drawn = f.finals("random_check_record")
    if drawn:
        return Result(SATISFIED, f"随机抽查记录 {drawn[0].number} 已定稿")
    if case.stage in STARTED_OR_NOT:
        return Result(VIOLATED, "行政检查已启动，但没有已定稿的随机抽查记录（抽查方式、随机确定的检查对象、执法人员）")
    return Result(PENDING, "检查前须制作随机抽查记录（抽查方式、随机确定的检查对象、执法人员）")
