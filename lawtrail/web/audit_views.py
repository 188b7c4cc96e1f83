"""调阅记录: who has seen this, and what did this user look at — on screen and as CSV."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from lawtrail.access.policy import visible_entries
from lawtrail.blobs.responses import content_disposition
from lawtrail.access.selectors import accessed_by, access_entries, who_accessed
from lawtrail.core.spreadsheet import CsvWriter
from lawtrail.ledger.labels import access_label, described
from lawtrail.org.enums import Role
from lawtrail.org.selectors import user_called

AUDITORS = (Role.HEAD, Role.SUPERVISOR)
OBJECT_TYPES = {"case": ("cases.case", "案件"), "record": ("records.record", "执法文书"),
                "recording": ("media.recording", "音像记录")}
OBJECT_NOUNS = {object_type: noun for object_type, noun in OBJECT_TYPES.values()}


@login_required
def audit(request):
    if request.user.role not in AUDITORS:
        return render(request, "web/forbidden.html", {"message": "只有负责人和法制监督人员可以查询调阅记录"}, status=403)
    kind = request.GET.get("kind", "")
    object_id = request.GET.get("object_id", "").strip()
    username = request.GET.get("username", "").strip()
    question, entries, error = "", None, ""
    if kind in OBJECT_TYPES and object_id:
        if not object_id.isdigit():
            error = "编号须为数字"
        else:
            entries = who_accessed(request.user, OBJECT_TYPES[kind][0], object_id)
            question = f"谁调阅过{OBJECT_TYPES[kind][1]} {object_id}"
    elif username:
        user = user_called(request.user, username)
        if user is None:
            error = f"本机关没有用户 {username}（同名的多人请输入用户名）"
        else:
            entries = accessed_by(request.user, user)
            question = f"{user.display_name}调阅过什么"
    else:
        entries = access_entries(request.user)[:200]
        question = "最近的调阅记录"
    rows = [] if entries is None else [
        {"seq": e.seq, "time": e.time and timezone.localtime(e.time), "actor": getattr(e, "who", ""),
         # A restricted entry says only that it is one (RESTRICTED_ENTRY), nothing of its item.
         "action": e.action if getattr(e, "restricted", False) else access_label(e.action),
         "object": "" if getattr(e, "restricted", False) else _object(e),
         "reason": e.reason} for e in described(visible_entries(request.user, entries[:5000]))]
    if request.GET.get("format") == "csv" and not error:
        return _csv(rows, question)
    return render(request, "web/audit.html", {"rows": rows, "question": question, "error": error,
                                              "kinds": [(k, v[1]) for k, v in OBJECT_TYPES.items()]})


def _object(entry):
    """The object in words: “案件 衡林罚〔2026〕9号”, “执法文书《询问笔录》…”, “音像记录 a.mp4”."""
    noun = OBJECT_NOUNS.get(entry.object_type, "")
    return f"{noun} {entry.object_text}".strip() if not entry.object_text.startswith("《") else noun + entry.object_text


def _csv(rows, question):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition("access-log.csv")
    response.write("\ufeff")  # so that Excel opens the Chinese text correctly
    writer = CsvWriter(response)  # user text never starts a formula in Excel
    writer.writerow([question])
    writer.writerow(["账本序号", "时间", "调阅人", "方式", "对象", "说明"])
    for r in rows:
        writer.writerow([r["seq"], r["time"].strftime("%Y-%m-%d %H:%M:%S") if r["time"] else "", r["actor"], r["action"], r["object"],
                         r["reason"]])
    return response
