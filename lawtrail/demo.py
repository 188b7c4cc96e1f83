"""`lawtrail demo`: the five agencies of the five regulations, their people, and
cases in every stage, so a newcomer sees a living system.

Everything is written through the services, so the demo ledger verifies like a
real one. Loading twice changes nothing.
"""

import datetime
from pathlib import Path

import yaml

from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric, uscc

from lawtrail.archive.services import casefile_assemble
from lawtrail.cases.enums import Confidentiality, IdType, MatterType, OfficerRole, PartyKind, Procedure, Source
from lawtrail.cases.services import case_open, case_transition
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.media.models import Recording
from lawtrail.org.enums import DepartmentKind, Role
from lawtrail.org.models import Agency
from lawtrail.org.services import agency_create, department_create, officer_create, user_create
from lawtrail.records.services import record_create, record_finalise, record_sign
from lawtrail.samples import make_audio, make_photo, make_video, png_bytes

PASSWORD = "Demo@2026"
ADMIN = "admin"

# The five agencies, their people, remedies, complete case's story and case titles: data,
# described in the file's own comment.
AGENCIES = yaml.safe_load((Path(__file__).parent / "demo_agencies.yaml").read_text(encoding="utf-8"))
# The order of each agency's people: three officers, then head, reviewer, archivist, supervisor.
ROLES = [("officer1", Role.OFFICER), ("officer2", Role.OFFICER), ("officer3", Role.OFFICER),
         ("head", Role.HEAD), ("reviewer", Role.REVIEWER), ("archivist", Role.ARCHIVIST),
         ("supervisor", Role.SUPERVISOR)]


def person_id(region, birth, serial):
    base = f"{region}{birth}{serial:03d}"
    return base + ric.calc_check_digit(base + "0")


def org_code(region, serial):
    base = f"91{region}MA{serial:07d}"[:17]
    return base + uscc.calc_check_digit(base + "0")


def person(region, name, birth, serial, address):
    return dict(kind=PartyKind.PERSON, name=name, id_type=IdType.RESIDENT_ID,
                id_number=person_id(region, birth, serial), address=address, phone="13800000000")


def organisation(region, name, serial, representative, address):
    return dict(kind=PartyKind.ORGANISATION, name=name, id_type=IdType.USCC,
                id_number=org_code(region, serial), legal_representative=representative, address=address)


def _case_plans(region, city, story):
    """Cases in every stage, with the steps that bring each there."""
    return [
        dict(matter_type=MatterType.PENALTY, source=Source.EX_OFFICIO, start_reason=story["reason"],
             parties=[organisation(region, f"{city}{story['party']}", 1, story["representative"], f"{city}建设路18号")],
             steps=[("head", "approve_start", "同意立案，由承办人依法调查处理"),
                    ("officer1", "submit_review", "调查终结，事实清楚，证据确凿"),
                    ("head", "decide", "同意处罚决定"),
                    ("officer1", "conclude", "当事人已缴纳罚款，执行完毕"),
                    ("archivist", "archive", "案卷齐全，准予归档")]),
        dict(matter_type=MatterType.PENALTY, source=Source.EX_OFFICIO,
             start_reason="双随机抽查发现当事人未按规定公示相关信息",
             parties=[organisation(region, f"{city}鑫源实业有限公司", 2, "吴刚", f"{city}迎宾街66号")],
             steps=[("head", "approve_start", "同意立案"),
                    ("officer1", "submit_review", "调查终结，拟予警告并责令改正"),
                    ("head", "decide", "同意")]),
        dict(matter_type=MatterType.INSPECTION, source=Source.COMPLAINT,
             start_reason="群众实名投诉当事人经营场所存在安全隐患",
             complainant_name="李淑华", complainant_contact="13900000001",
             parties=[person(region, "钱卫东", "19900211", 11, f"{city}东街5号")],
             steps=[("head", "approve_start", "同意立案核查")]),
        dict(matter_type=MatterType.INSPECTION, source=Source.COMPLAINT,
             start_reason="接到实名举报称某处存在无证经营行为",
             complainant_name="赵红", complainant_contact="13900000002",
             parties=[person(region, "孙建平", "19920603", 21, f"{city}西街12号")],
             steps=[("head", "decline_complaint", "经现场核实，举报所称经营行为已停止，不予立案",
                     {"notice_method": "电话告知并寄送书面告知书", "notice_date": "当日",
                      "notice_content": "经核查举报事项不属实，决定不予立案"})]),
        dict(matter_type=MatterType.PENALTY, source=Source.EX_OFFICIO,
             procedure=Procedure.SIMPLE, confidentiality=Confidentiality.PRIVACY,
             start_reason="巡查中当场发现违法事实确凿",
             parties=[person(region, "周小平", "19900909", 31, f"{city}南关路3号")],
             steps=[("officer1", "simple_decide", "违法事实确凿，依法当场给予警告"),
                    ("officer1", "conclude", "当事人当场签收，执行完毕")]),
        dict(matter_type=MatterType.COERCION, source=Source.EX_OFFICIO,
             start_reason="接报当事人正在转移涉案物品，情况紧急",
             parties=[organisation(region, f"{city}宏达物流有限公司", 3, "郑海", f"{city}工业园区8号")],
             steps=[("officer1", "emergency_start", "涉案物品可能灭失，先行启动并采取措施")]),
        dict(matter_type=MatterType.LICENSING, source=Source.APPLICATION,
             start_reason="申请人提交许可申请材料", confidentiality=Confidentiality.PUBLIC,
             parties=[organisation(region, f"{city}新时代文化传媒有限公司", 4, "黄磊", f"{city}文化路99号")],
             steps=[]),
        dict(matter_type=MatterType.PENALTY, source=Source.REFERRAL,
             start_reason="上级机关移送案件线索", confidentiality=Confidentiality.COMMERCIAL,
             parties=[organisation(region, f"{city}华信科技有限公司", 5, "林涛", f"{city}高新区1号")],
             steps=[("head", "approve_start", "同意立案"),
                    ("officer2", "submit_review", "调查终结，提请审查")]),
    ]


@transaction.atomic
def load_demo(stdout=None):
    accounts = {"password": PASSWORD, "admin": ADMIN, "agencies": {}}
    if Agency.objects.filter(code__in=[a["code"] for a in AGENCIES]).exists():
        if stdout:
            stdout.write("演示数据已存在，跳过载入。\n")
        return _accounts(accounts)
    user_create(actor=None, username=ADMIN, password=PASSWORD, full_name="系统管理员", role=Role.ADMIN,
                reason="演示数据")
    today = timezone.localdate()
    for item in AGENCIES:
        code, name, profile, region_code = item["code"], item["name"], item["profile"], item["region_code"]
        agency = agency_create(actor=None, code=code, name=name, short_name=item["short_name"], profile=profile,
                               case_prefix=item["case_prefix"], region=item["region"], reason="演示数据")
        depts = [department_create(actor=None, agency=agency, name=d["name"], kind=DepartmentKind(d["kind"]))
                 for d in item["departments"]]
        users, officers = {}, []
        for (suffix, role), full_name in zip(ROLES, item["people"], strict=True):
            department = depts[0] if role in (Role.OFFICER, Role.HEAD) else depts[1]
            user = user_create(actor=None, username=f"{code}.{suffix}", password=PASSWORD, full_name=full_name,
                               role=role, agency=agency, department=department, reason="演示数据")
            users[suffix] = user
            if role == Role.OFFICER:
                officers.append(officer_create(
                    actor=None, department=department, name=full_name, user=user,
                    cert_no=f"{region_code}{len(officers) + 1:06d}",
                    cert_valid_from=today - datetime.timedelta(days=700),
                    cert_valid_until=today + datetime.timedelta(days=1000), reason="演示数据"))
        # An officer whose certificate has lapsed: the system refuses them as handling officer.
        officer_create(actor=None, department=depts[0], name="过期证件示例", cert_no=f"{region_code}999999",
                       cert_valid_from=today - datetime.timedelta(days=2000),
                       cert_valid_until=today - datetime.timedelta(days=30), reason="演示数据：证件已过期")
        city = item["region"].split("省")[-1].split("区")[0]
        for plan, title in zip(_case_plans(region_code, city[:3], item["story"]), item["case_titles"], strict=True):
            steps = plan.pop("steps")
            team = [(officers[0], OfficerRole.LEAD), (officers[1], OfficerRole.ASSIST)]
            case = case_open(actor=users["officer1"], department=depts[0], officers=team, title=title, **plan)
            _records(case, users, steps)
            # The case that runs from 立案 to 已归档 shows every family of documents filled in.
            complete = any(step == "archive" for _, step, *_ in steps)
            for who, step, reason, *data in steps:
                _gate_documents(case, users, step, complete=complete)
                if step == "archive":
                    casefile_assemble(actor=users[who], case=case, notes="文书齐全，音像记录以存储位置载明")
                case_transition(actor=users[who], case=case, name=step, reason=reason,
                                data=data[0] if data else None)
        _supervision(users, officers, depts)
        accounts["agencies"][name] = [(u.username, u.get_role_display(), u.full_name) for u in users.values()]
        if stdout:
            stdout.write(f"已载入 {name}（规定 {profile}）\n")
    accounts["codes"] = _enrolment_codes()
    ledger_checkpoint()
    return accounts


def _enrolment_codes():
    """{username: code}: the admin's one-time code for each account that signs in with a
    second factor, as the admin would hand them over (only their hashes are kept, so they
    are shown on the first load only)."""
    from lawtrail.org.enums import TWO_FACTOR_ROLES
    from lawtrail.org.models import User
    from lawtrail.org.services import two_factor_enrolment_issue

    return {user.username: two_factor_enrolment_issue(actor=None, user=user, reason="演示数据")
            for user in User.objects.filter(role__in=TWO_FACTOR_ROLES).order_by("id")}


def _supervision(users, officers, depts):
    """Two body cameras (the one the demo footage was made with, checked out beforehand),
    a sample draw of today's recordings with one check passed and one failed, and the
    corrective action that followed."""
    from lawtrail.supervision.services import corrective_action_order, device_event, device_register, playback_check
    from lawtrail.supervision.services import sample_draw

    head, supervisor = users["head"], users["supervisor"]
    camera = device_register(actor=head, department=depts[0], device_no="DSJ-0001", model="执法记录仪 DSJ-V8")
    device_event(actor=head, device=camera, kind="checkout", officer=officers[0],
                 at=timezone.now() - datetime.timedelta(days=1))
    device_event(actor=users["officer1"], device=camera, kind="battery", ok=True, notes="电量 92%，续航正常")
    spare = device_register(actor=head, department=depts[0], device_no="DSJ-0002", model="执法记录仪 DSJ-V8")
    device_event(actor=head, device=spare, kind="maintenance", notes="月度保养，清理存储卡")
    today = timezone.localdate()
    draw = sample_draw(actor=supervisor, period_from=today, period_to=today, size=2, seed="演示抽检-01")
    recordings = list(Recording.objects.filter(pk__in=draw.recording_ids).order_by("pk"))
    passed = {"opening": "pass", "continuous": "pass", "conduct": "pass", "documents": "pass"}
    playback_check(actor=supervisor, draw=draw, recording=recordings[0], results=passed)
    if len(recordings) > 1:
        failed = playback_check(actor=supervisor, draw=draw, recording=recordings[1],
                                results={**passed, "opening": "fail"}, findings="开始记录时未语音说明执法事由和对象",
                                follow_up="承办人补充书面说明")
        corrective_action_order(actor=head, kind="correct", description="补充书面说明，并在科室例会上学习第十六条",
                                deadline=today + datetime.timedelta(days=10), check=failed)


def _records(case, users, steps):
    """The documents a case has before its steps: an approved 立案审批表 where the head
    approves the start, a draft 询问笔录 where the investigation is still under way."""
    officer = users["officer1"]
    officers = [a.officer for a in case.team()]
    if case.source == Source.COMPLAINT:
        _signed(case, users, "complaint_register", {
            "complainant": case.complainant_name, "complainant_contact": case.complainant_contact,
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "channel": "电话",
            "content": case.start_reason, "recorder": officers[0].name, "handling": "登记后报负责人决定是否立案"})
    approval = next((reason for _, step, reason, *_ in steps if step == "approve_start"), None)
    if approval:
        record = record_create(actor=officer, case=case, doc_type_code="filing_approval", data={
            "basic_facts": case.start_reason, "handler_opinion": "建议立案调查",
            "department_opinion": "同意承办人意见", "head_opinion": approval,
            "opinion_time": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
        for signer in officers:  # each officer signs his own slot, signed in himself
            record_sign(actor=signer.user, record=record, slot="officers", method="handwritten", officer=signer,
                        image=png_bytes())
        # The department's opinion is signed by one of its officials who does not handle the case;
        # of a confidential case, only the head may (the access policy keeps the others out).
        open_case = case.confidentiality in (Confidentiality.PUBLIC, Confidentiality.INTERNAL)
        record_sign(actor=users["officer3" if open_case else "head"], record=record, slot="department",
                    method="handwritten", image=png_bytes())
        record_sign(actor=users["head"], record=record, slot="head", method="handwritten", image=png_bytes())
        record_finalise(actor=officer, record=record)
    if len(steps) == 1 and approval:
        record_create(actor=officer, case=case, doc_type_code="inquiry_record", data={
            "place": "本机关询问室", "rights_told": "已告知被询问人有申请回避、陈述和申辩的权利"})
        _recordings(case, officer, officers[0])


def _signed(case, users, code, data, party=None):
    """A document made, signed by the people its slots name (each officer signed in himself,
    the head, the party on the lead officer's device) and finalised."""
    from lawtrail.records.catalog import doc_type

    officer = users["officer1"]
    record = record_create(actor=officer, case=case, doc_type_code=code, data=data)
    officers = [a.officer for a in case.team()]
    for slot in doc_type(code).signers:
        if slot.kind == "officer":
            for signer in officers[:max(slot.min, 1)]:
                record_sign(actor=signer.user, record=record, slot=slot.slot, method="handwritten", officer=signer,
                            image=png_bytes())
        elif slot.kind in ("head", "reviewer"):
            record_sign(actor=users[slot.kind], record=record, slot=slot.slot, method="handwritten",
                        image=png_bytes())
        elif slot.kind == "party":
            record_sign(actor=officer, record=record, slot=slot.slot, method="handwritten", signer_name=party,
                        image=png_bytes(), device_time=timezone.now())
    return record_finalise(actor=officer, record=record)


def _minutes(moment):
    return moment.strftime("%Y-%m-%dT%H:%M")


def _gate_documents(case, users, step, complete=False):
    """What the regulation requires on file before each step, made as the officers make it;
    the complete case also has what a real one holds beyond that (现场检查笔录, 证据登记保存清单,
    音像记录 and its 文字说明, 案件处理意见, a fine with how to pay it)."""
    from lawtrail.rules.engine import severe_violations

    party_obj = case.parties.first()
    party = party_obj.name
    # An organisation signs through the person who speaks for it.
    signer = party_obj.legal_representative or party
    now = timezone.localtime()
    at = _minutes(now)
    fine = complete and case.matter_type == MatterType.PENALTY
    result = "罚款人民币五千元" if fine else "给予警告，并责令限期改正"
    if step == "submit_review":
        if complete:
            _evidence(case, users, signer)
        _signed(case, users, "inquiry_record", {
            "place": "本机关询问室", "started_at": _minutes(now - datetime.timedelta(hours=2)),
            "ended_at": _minutes(now - datetime.timedelta(hours=1)), "cert_shown": True,
            **_interviewee(case, party_obj, complete),
            "rights_told": "执法人员已出示执法证件，告知被询问人有申请回避、陈述和申辩的权利及如实回答的义务，被询问人表示清楚",
            "content": _questions(case, party_obj, complete)}, signer)
    elif step == "decide":
        if case.matter_type == MatterType.PENALTY:
            _signed(case, users, "rights_notice", {
                "intended_decision": f"拟{result}", "facts": case.start_reason,
                "reasons": "当事人的行为违反有关法律、法规的规定，依法应予处罚",
                "rights": ["陈述", "申辩", "申请行政复议", "提起行政诉讼"],
                "channel": "自收到本告知书之日起三日内向本机关提出陈述、申辩", "method": "直接送达"}, signer)
        if complete:
            _signed(case, users, "handling_opinion", {
                "drafter": case.team()[0].officer.name, "department_reviewer": users["reviewer"].display_name,
                "party_info": _party_info(party_obj), "evidence": f"{case.start_reason}。有现场检查笔录、询问笔录、"
                "证据登记保存清单及现场录像为证，事实清楚，证据确凿",
                "legal_basis": "依据有关法律、法规的规定，当事人的行为构成违法", "proposed_decision": result,
                "discretion": "当事人系初次违法，主动配合调查并及时整改，依法从轻处罚"})
        _signed(case, users, "head_approval", {"matter": "对本案拟作出的行政执法决定", "opinion": "同意",
                                                "signed_at": at})
        demo_agency = _agency(case.agency)
        review_body, court, account = demo_agency["review_body"], demo_agency["court"], demo_agency["payment_account"]
        _signed(case, users, "decision", {
            "party_info": _party_info(party_obj),
            "facts_evidence": f"经查，{case.start_reason}。以上事实有现场检查笔录、询问笔录、证据登记保存清单及现场录像等证据证实。",
            "legal_basis": "当事人的上述行为违反了有关法律、法规的规定。鉴于当事人系初次违法且主动整改，依法从轻处罚。",
            "conclusion": result,
            "remedy": f"当事人如不服本决定，可以在收到本决定书之日起六十日内向{review_body}申请行政复议，"
                      f"也可以在六个月内依法向{court}提起行政诉讼。",
            **({"fine_amount": 5000, "payment_method": "持本决定书到银行柜台或通过非税收入缴款平台缴纳",
                "payment_account": account} if fine else {})})
    elif step == "simple_decide":
        _signed(case, users, "simple_procedure_record", {
            "facts_and_law": f"{case.start_reason}，违法事实确凿并有法定依据，符合当场作出决定的条件",
            "steps_documents": "出示执法证件、告知违法事实及依据、听取陈述申辩、当场填写决定书并交付当事人",
            "statements": "当事人对违法事实无异议，未提出申辩", "review": "当事人未提出申辩，无需复核",
            "filing": "决定书副本于当日报所属机关备案"}, party)
    elif step == "conclude":
        decision = case.records.filter(doc_type="decision", status="final").first()
        if decision is not None:
            _signed(case, users, "service_direct", {
                "document_name": decision.title, "document_number": decision.number, "served_at": at,
                "place": party_obj.address or "当事人经营场所", "recipient": party}, signer)
        number = decision.number if decision is not None else "当场决定"
        done = "当事人已于期限内缴纳罚款，履行完毕" if fine else "当事人已按期改正并签收决定书，履行完毕"
        _signed(case, users, "performance_record", {
            "decision_number": number, "performance": done, "checked_on": now.date().isoformat()})
        _signed(case, users, "closing_report", {
            "summary": case.start_reason, "decision_result": result,
            "performance": done, "closing_reason": "行政执法决定已执行完毕"})
    elif step == "archive" and (problems := severe_violations(case)):
        case_transition(actor=users["head"], case=case, name="explain_problems",
                        reason="经核查，以下问题系系统上线前的历史记录所致，已责成承办人补正并纳入执法监督："
                               + "；".join(problems))


def _party_info(party):
    if party.legal_representative:
        return (f"{party.name}，统一社会信用代码 {party.id_number}，住所 {party.address}，"
                f"法定代表人 {party.legal_representative}")
    return f"{party.name}，{party.get_id_type_display()} {party.id_number}，住址 {party.address}"


def _agency(agency):
    """The demo's data of an agency it made."""
    return next(item for item in AGENCIES if item["code"] == agency.code)


def _region_code(agency):
    return _agency(agency)["region_code"]


def _interviewee(case, party, complete):
    """Who is questioned: a person party himself; for an organisation, its legal representative."""
    if not complete:
        return {"interviewee": party.name, "interviewee_id": party.id_number}
    person = party.legal_representative or party.name
    born = "19780315"
    return {"interviewee": person,
            "interviewee_id": party.id_number if not party.legal_representative
            else person_id(_region_code(case.agency), born, 41),
            "interviewee_gender": "男", "interviewee_birth": "1978-03-15", "interviewee_address": party.address,
            "interviewee_phone": party.phone or "13800000000",
            "interviewee_employer": f"{party.name} 法定代表人" if party.legal_representative else ""}


def _questions(case, party, complete):
    if not complete:
        return f"问：{case.start_reason}，你对此有何说明？\n答：情况属实，我们愿意配合调查并立即整改。"
    story = _agency(case.agency)["story"]
    return "\n".join([
        "问：我们是本机关执法人员，这是我们的执法证件，请过目。你是否看清楚？",
        "答：看清楚了。",
        "问：你有申请回避、陈述和申辩的权利，也有如实回答问题的义务。你是否申请回避？",
        "答：不申请回避。",
        f"问：请介绍一下你本人和{party.name}的基本情况。",
        f"答：我是{party.name}的法定代表人，负责公司的日常经营。" if party.legal_representative
        else "答：我个人从事经营活动。",
        f"问：执法人员检查时发现，{story['found']}。你对此有何说明？",
        f"答：{story['answer']}。",
        "问：你能否提供相关的凭证和记录？",
        "答：可以，相关材料都在单位，我们已经交给执法人员登记保存。",
        "问：你还有什么需要补充的吗？",
        "答：没有了，我们今后一定依法经营。",
    ])


def _evidence(case, users, signer):
    """The complete case's on-site evidence: the 现场检查笔录 with the inspection filmed, the
    film's 文字说明, and the goods kept under 证据登记保存."""
    from lawtrail.media.selectors import storage_location

    now = timezone.localtime()
    officers = [a.officer for a in case.team()]
    # The inspection began four hours ago, or, loaded in the small hours, early today: filmed
    # the same day it is uploaded, as the profiles that want recordings stored by the end of
    # their day (002 第十条) ask, so that the complete case has nothing missing at any hour.
    # The day's steps keep their proportions: 40 minutes on site, goods kept after 30, the film
    # extracted an hour after it began.
    span = min(datetime.timedelta(hours=4), (now - now.replace(hour=0, minute=0, second=0, microsecond=0)) * 0.9)
    started = now - span
    story = _agency(case.agency)["story"]
    _signed(case, users, "site_inspection_record", {
        "place": case.parties.first().address or "当事人经营场所", "started_at": _minutes(started),
        "ended_at": _minutes(started + span / 6), "cert_shown": True,
        "present_party": f"{signer}（当事人方）",
        "findings": f"执法人员出示执法证件后进行检查。{story['found']}。"
                    "执法人员对现场进行了拍照、录像，对有关物品和材料予以登记保存。"}, signer)
    video = _film(case, officers[0], started)
    _signed(case, users, "av_evidence_note", {
        "recording": video.filename, "sha256": video.sha256, "storage_location": storage_location(video),
        "maker": officers[0].name, "method": "执法记录仪现场录像", "made_at": _minutes(started),
        "extractor": officers[1].name, "extracted_at": _minutes(started + span / 4),
        "proves": PROVES})
    _signed(case, users, "evidence_register", {
        "holder": case.parties.first().name, "obtained_at": _minutes(started + span / 8),
        "items": story["items"]}, signer)


PROVES = "现场检查的全过程及现场查见的违法事实"


def _film(case, officer, start):
    """The site inspection, filmed without a break, described as the profile asks."""
    import tempfile
    from pathlib import Path

    from lawtrail.media.services import describe, recording_ingest

    actor = officer.user
    with tempfile.TemporaryDirectory() as tmp:
        path = make_video(Path(tmp) / "DSJ0001_现场检查.mp4", seconds=8, creation_time=start)
        description = describe(actor, {
            "case_no": case.case_no, "officer_cert": officer.cert_no, "device_no": "DSJ-0001",
            "recorded_at": start.isoformat(), "activity": "site_inspection", "method": "执法记录仪现场录像",
            "proves": PROVES})
        recording, _ = recording_ingest(actor=actor, path=path, description=description, filename=path.name)
    return recording


def _recordings(case, actor, officer):
    """Real media for the case under investigation: a site inspection filmed in two parts
    with a break that still has to be explained, an interview recording and a photo."""
    import tempfile
    from pathlib import Path

    from lawtrail.media.services import describe, recording_ingest

    start = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=5)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = [
            (make_video(tmp / "DSJ0001_现场检查_1.mp4", seconds=8, creation_time=start), "site_inspection"),
            (make_video(tmp / "DSJ0001_现场检查_2.mp4", seconds=6,
                        creation_time=start + datetime.timedelta(minutes=12)), "site_inspection"),
            (make_audio(tmp / "询问录音.m4a", seconds=5), "inquiry"),
            (make_photo(tmp / "现场照片.jpg", timezone.localtime(start).replace(tzinfo=None)), "site_inspection"),
        ]
        description = describe(actor, {"case_no": case.case_no, "officer_cert": officer.cert_no,
                                        "device_no": "DSJ-0001", "recorded_at": start.isoformat()})
        for path, activity in files:
            description.activity = activity
            recording_ingest(actor=actor, path=path, description=description, filename=path.name)


def _accounts(accounts):
    accounts["codes"] = {}
    for item in AGENCIES:
        agency = Agency.objects.get(code=item["code"])
        accounts["agencies"][item["name"]] = [
            (u.username, u.get_role_display(), u.full_name) for u in agency.users.order_by("id")
        ]
    return accounts
