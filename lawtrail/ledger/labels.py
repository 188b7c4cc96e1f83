"""What a ledger entry means in plain Chinese: the verb of each action and a description of
each kind of object, for the pages people read. The codes (`record.finalise`,
`records.record:41`) and hashes stay in the entry and behind the pages' 技术详情.

Parts above the ledger add what only they know at start-up (`register_actions`,
`register_object`): the workflow's step names, a record's title, a party's name.
"""

from collections import defaultdict

from django.apps import apps

# One place for the verbs: the trail, the access log and the team changes all read them.
ACTION_LABELS = {
    "case.open": "登记了案件",
    "case.update": "更新了案件",
    "case.assign": "指定承办人",
    "case.note": "记录了案件说明",
    "case.export": "导出了案件",
    "case.view": "查看了案件",
    "case.denied": "被拒绝查看案件",
    "party.add": "增加当事人",
    "record.create": "制作",
    "record.update": "修改",
    "record.sign": "签署",
    "record.refuse": "记录拒签",
    "record.attach": "上传附件",
    "record.finalise": "定稿",
    "record.seal": "加盖电子印章",
    "seal.renew": "换发电子印章证书",
    "seal.revoke": "吊销电子印章证书",
    "record.correct": "制作更正版本",
    "record.discard": "作废草稿",
    "record.view": "查看",
    "record.download": "下载",
    "record.preview": "预览打印草稿",
    "record.attachment_download": "下载附件",
    "record.verify": "扫码验真",
    "recording.create": "上传音像记录",
    "recording.gap_explain": "说明录像中断",
    "recording.play": "播放音像记录",
    "recording.download": "下载音像记录",
    "recording.thumbnail": "查看音像记录缩略图",
    "recording.dispose": "按保存期限销毁音像记录",
    "attachment.dispose": "按保存期限销毁附件",
    "grant.request": "申请调阅许可",
    "grant.approve": "批准调阅许可",
    "grant.deny": "不批准调阅许可",
    "party_request.register": "登记当事人查阅申请",
    "party_request.decide": "答复当事人查阅申请",
    "confidentiality.set": "标定密级",
    "casefile.assemble": "组卷",
    "casefile.download": "下载案卷",
    "hold.place": "设置保全",
    "hold.release": "解除保全",
    "retention.mark": "标定保存期限",
    "disposal.request": "申请销毁",
    "disposal.approve": "批准销毁",
    "disposal.deny": "不批准销毁",
    "provision.request": "申请对外提供",
    "provision.approve": "批准对外提供",
    "provision.deny": "不批准对外提供",
    "provision.deliver": "对外提供",
    "provision.download": "下载对外提供材料",
    "sample.draw": "随机抽检",
    "sample.check": "回放检查",
    "corrective.order": "下达整改",
    "corrective.close": "整改销号",
    "device.register": "登记执法记录仪",
    "device.update": "更新执法记录仪状态",
    "agency.create": "设立机关",
    "department.create": "设立部门",
    "user.create": "创建用户",
    "officer.create": "登记执法人员",
    "user.login": "登录",
    "user.logout": "退出",
    "user.login_failed": "登录失败",
    "user.2fa_code": "签发两步验证设置码",
    "user.2fa_code_void": "作废两步验证设置码",
    "user.2fa_enrol": "启用两步验证",
    "user.2fa_reset": "重置两步验证",
    "token.create": "创建 API 令牌",
    "token.revoke": "吊销 API 令牌",
    "ledger.verify": "校验账本",
}
OTHER_ACTION = "其他操作"
# How a read was made (the 调阅记录's 方式 column), by the last part of its action.
ACCESS_LABELS = {"view": "查看", "play": "播放", "download": "下载", "attachment_download": "下载附件",
                 "export": "导出", "denied": "被拒绝", "verify": "扫码验真", "thumbnail": "查看缩略图"}

_describers = {}


def register_actions(labels):
    """Verbs for actions named at run time (a workflow step, a device event)."""
    ACTION_LABELS.update(labels)


def step_label(step):
    """How the trail names a workflow step taken: 办理“批准立案”."""
    return f"办理“{step}”"


def register_object(object_type, describe, related=()):
    """How to name an object of this type: `describe(instance)`, with `related` loaded."""
    _describers[object_type] = (describe, tuple(related))


def action_label(action):
    return ACTION_LABELS.get(action, OTHER_ACTION)


def access_label(action):
    return ACCESS_LABELS.get(action.rsplit(".", 1)[-1], OTHER_ACTION)


def object_descriptions(entries, loaded=()):
    """{(object_type, object_id): its Chinese description} for the entries' objects, one
    query per type for those not among `loaded` (objects the caller has read already, with
    what their describer needs); an object without a describer, or gone, is left out."""
    known = {(obj._meta.label_lower, str(obj.pk)): obj for obj in loaded}
    found, wanted = {}, defaultdict(set)
    for entry in entries:
        key = (entry.object_type, str(entry.object_id))
        if entry.object_type not in _describers or not key[1].isdigit() or key in found:
            continue
        if key in known:
            found[key] = _describers[entry.object_type][0](known[key])
        else:
            wanted[entry.object_type].add(int(key[1]))
    for object_type, ids in wanted.items():
        describe, related = _describers[object_type]
        objects = apps.get_model(object_type).objects.filter(pk__in=ids)
        for obj in objects.select_related(*related) if related else objects:
            found[(object_type, str(obj.pk))] = describe(obj)
    return found


def actor_names(entries):
    """{actor_id: the person's name} for the entries' actors."""
    user_model = apps.get_model("org.user")
    ids = {e.actor_id for e in entries if getattr(e, "actor_id", None)}
    return {u.pk: u.display_name for u in user_model.objects.filter(pk__in=ids).only("full_name", "username")}


def described(entries, loaded=()):
    """Each entry with `who` (a name), `what` (verb and object in Chinese) beside its codes.
    Restricted entries (see the access policy) stay as they are. `loaded`: objects already
    read that the entries may name (not read again)."""
    entries = list(entries)
    readable = [e for e in entries if not getattr(e, "restricted", False)]
    objects, names = object_descriptions(readable, loaded), actor_names(readable)
    previous = None
    for entry in readable:
        entry.who = names.get(entry.actor_id) or ("系统" if entry.actor == "system" else entry.actor)
        entry.object_text = objects.get((entry.object_type, entry.object_id), "")
        entry.what = joined(action_label(entry.action), entry.object_text)
        # A step records the case's new stage as a second entry (reason: the step); one line says both.
        entry.echo = (entry.action == "case.update" and previous is not None
                      and previous.actor_id == entry.actor_id and previous.what == step_label(entry.reason))
        previous = entry
    return entries


def joined(verb, description):
    """“定稿《询问笔录》”, “增加当事人 李四”."""
    if not description:
        return verb
    return f"{verb}{description}" if description.startswith("《") else f"{verb} {description}"
