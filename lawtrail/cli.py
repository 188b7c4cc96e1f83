"""`lawtrail`: the console command of DESIGN.md's interface contract."""

import argparse
import json
import os
import sys


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lawtrail.settings")
    import django

    django.setup()


def _print_json(value):
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _print_json_list(items):
    """`_print_json(list(items))`, the same text, written item by item: a list of a million
    findings never has to be held whole. Returns how many there were."""
    count = 0
    for item in items:
        body = json.dumps(item, ensure_ascii=False, indent=2, default=str).replace("\n", "\n  ")
        sys.stdout.write(("[\n  " if count == 0 else ",\n  ") + body)
        count += 1
    sys.stdout.write("\n]\n" if count else "[]\n")
    return count


def cmd_demo(args):
    from django.core.management import call_command

    from lawtrail.demo import load_demo

    call_command("migrate", verbosity=0)
    accounts = load_demo(stdout=sys.stdout)
    codes = accounts["codes"]

    def code(username):
        return f"  两步验证设置码 {codes[username]}" if username in codes else ""

    print("\n演示账号（密码均为 %s）：" % accounts["password"])
    for agency, users in accounts["agencies"].items():
        print(f"  {agency}")
        for username, role, name in users:
            print(f"    {username:<22} {role:<8} {name}{code(username)}")
    print(f"  系统管理员: {accounts['admin']}{code(accounts['admin'])}")
    if codes:
        print("负责人、法制监督人员和系统管理员须两步验证：首次登录时输入上面该账号的设置码（一次有效），"
              "再用手机验证器应用扫描页面上的二维码；以后每次登录输入应用显示的 6 位动态验证码。")
    else:
        print("负责人、法制监督人员和系统管理员须两步验证。设置码只在首次载入时显示；尚未设置的账号请运行 "
              "lawtrail two-factor 账号 取得新的设置码，登录时输入，再用手机验证器应用扫描页面上的二维码。")
    return 0


def cmd_serve(args):
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import DatabaseError

    try:
        try:
            call_command("migrate", verbosity=0, skip_checks=False)  # the database checks too
        except DatabaseError:  # a role that owns nothing (README, Deployment) runs the checks only
            print("当前数据库角色无权迁移（应由表的所有者角色运行 lawtrail manage migrate），只运行启动检查",
                  file=sys.stderr)
            call_command("check", databases=["default"])
    except SystemCheckError as exc:  # a ledger behind its cosigned checkpoint stops here
        from lawtrail.ledger.checks import ledger_holds_cosigned_checkpoint

        errors = ledger_holds_cosigned_checkpoint(databases=["default"])
        print("\n".join(e.msg for e in errors) or str(exc).strip(), file=sys.stderr)
        return 1
    if settings.PRODUCTION:
        call_command("collectstatic", interactive=False, verbosity=0)
    print(f"LawTrail 执法全过程记录系统: http://{args.host}:{args.port}/", flush=True)
    _start_task_worker()
    _start_checkpointer()
    argv = [
        "gunicorn", "lawtrail.wsgi:application",
        "--bind", f"{args.host}:{args.port}",
        "--workers", str(args.workers), "--threads", str(args.threads),
        "--worker-class", "lawtrail.core.gunicorn_worker.SpreadWorker",  # connections spread over the processes
        "--access-logfile", "-",
    ]
    from gunicorn.app.wsgiapp import run

    sys.argv = argv
    return run()


def _start_task_worker():
    """The embedded run's background worker (compliance re-evaluation), stopped with the server."""
    import atexit
    import subprocess

    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return
    from lawtrail.core.tasks import requeue_stalled

    requeue_stalled()  # what a worker killed with the last server run left behind
    worker = subprocess.Popen([sys.executable, "-m", "lawtrail.cli", "manage", "db_worker", "--queue-name", "*"])

    def stop():
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()

    atexit.register(stop)


def _start_checkpointer():
    """Checkpoints signed and submitted to the witnesses by themselves, no cron
    (lawtrail/witness/tasks.py), in a process stopped with the server."""
    import atexit
    import subprocess

    checkpoints = subprocess.Popen([sys.executable, "-m", "lawtrail.cli", "witness", "submit", "--loop"])
    atexit.register(checkpoints.terminate)


def cmd_cases(args):
    from lawtrail.cases.selectors import stage_overview
    from lawtrail.rules.selectors import open_violations

    rows = [
        {
            "case_no": c.case_no,
            "agency": c.agency.name,
            "profile": c.agency.profile,
            "stage": c.stage,
            "stage_label": c.get_stage_display(),
            "parties": c.party_count,
            "open_findings": len(open_violations(c)),
        }
        for c in stage_overview()
    ]
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(f"{r['case_no']:<28}\t{r['agency']}\t{r['profile']}\t{r['stage_label']}\t当事人 {r['parties']}"
                  f"\t待纠正 {r['open_findings']}")
        print(f"共 {len(rows)} 件")
    return 0


def cmd_profiles(args):
    from lawtrail.rules.engine import SEVERITY_LABELS, catalog
    from lawtrail.regulations.profiles import profiles

    if args.coverage:
        from lawtrail.rules.coverage import markdown

        print(markdown())
        return 0

    rules = [{"id": r.id, "title": r.title, "severity": r.severity,
              "profiles": {p.id: cite for p, cite in used}} for r, used in catalog()]
    if args.json:
        _print_json({"profiles": [{"id": p.id, "agency": p.agency, "title": p.title, "source": p.source}
                                  for p in profiles().values()], "rules": rules})
        return 0
    for p in profiles().values():
        print(f"{p.id}  {p.agency}《{p.title}》（{p.source}）")
    print()
    for r in rules:
        print(f"{r['id']:<22} [{SEVERITY_LABELS[r['severity']]}] {r['title']}")
        for profile_id, cite in r["profiles"].items():
            print(f"    {profile_id}: {cite}")
    return 0


def cmd_check(args):
    from collections import Counter

    from lawtrail.cases.models import Case
    from lawtrail.rules.engine import SEVERITY_LABELS, STATUS_LABELS, evaluate_many
    from lawtrail.tasks import scheduled_pass

    cases = Case.objects.order_by("id")
    if args.case_no:
        cases = cases.filter(case_no=args.case_no)
        if not cases.exists():
            print(f"错误：案件 {args.case_no} 不存在", file=sys.stderr)
            return 2
    cases = cases.iterator(chunk_size=2000)
    if args.record:
        done = scheduled_pass(cases, whole=not args.case_no)
        if done.requeued:
            print(f"已重新排队 {done.requeued} 个中断的后台任务", file=sys.stderr)
        if done.filled:
            print(f"已补算 {done.filled} 个案件的音像记录保存期限", file=sys.stderr)
        evaluated = done.findings
    else:
        evaluated = evaluate_many(cases)
    rows = ({"case_no": case.case_no, "rule": f.rule.id, "title": f.rule.title, "cite": f.cite,
             "severity": f.rule.severity, "status": f.status, "due": f.result.due, "message": f.result.message}
            for case, findings in evaluated for f in findings
            if args.case_no or f.status in ("violated", "pending"))
    if args.json:
        _print_json_list(rows)
        return 0
    counts = Counter()
    for r in rows:
        due = f"（期限 {r['due']:%Y-%m-%d %H:%M}）" if r["due"] else ""
        print(f"{r['case_no']}  {STATUS_LABELS[r['status']]:<3} [{SEVERITY_LABELS[r['severity']]}] {r['rule']} "
              f"{r['title']}（{r['cite']}）{due}\n    {r['message']}")
        counts[r["status"]] += 1
    print(f"共 {counts.total()} 条：违反 {counts['violated']}，待办 {counts['pending']}")
    return 0


def cmd_token(args):
    from lawtrail.org.services import token_create

    # No second factor asked here, even for a head or an admin: whoever runs commands on the
    # server already holds the database and the keys; the ledger entry says where it came from.
    print(token_create(actor=None, username=args.username, label=args.label))
    return 0


def cmd_two_factor(args):
    """A new enrolment code for a user (after a reset with --reset REASON): how the first
    admin, or an admin who lost their phone, gets one without another admin."""
    from lawtrail.core.errors import NotFound
    from lawtrail.org.models import User
    from lawtrail.org.services import two_factor_enrolment_issue, two_factor_reset

    user = User.objects.filter(username=args.username, is_active=True).first()
    if user is None:
        raise NotFound(f"用户 {args.username} 不存在或已停用")
    if args.reset is not None:
        two_factor_reset(actor=None, user=user, reason=args.reset)
    code = two_factor_enrolment_issue(actor=None, user=user, reason="在服务器命令行签发")
    print(code)
    print(f"请把设置码交给 {user.display_name}（{user.username}）本人：登录后输入设置码，再用手机验证器扫描二维码。",
          file=sys.stderr)
    return 0


def cmd_ingest(args):
    """Bulk import from a camera dock: each file hashed and stored once, with a progress bar."""
    from pathlib import Path

    from tqdm import tqdm

    from lawtrail.core.errors import LawTrailError
    from lawtrail.core.text import readable_name
    from lawtrail.media.services import describe, recording_ingest
    from lawtrail.org.models import Officer, User

    officer = Officer.objects.filter(cert_no=args.officer).select_related("user").first()
    if officer is None:
        print(f"错误：没有执法证号为 {args.officer} 的执法人员", file=sys.stderr)
        return 2
    actor = User.objects.filter(username=args.user).first() if args.user else officer.user
    if actor is None:
        print("错误：该执法人员没有系统账号，请用 --user 指定导入人", file=sys.stderr)
        return 2
    metadata = {"case_no": args.case, "officer_cert": args.officer, "activity": args.activity,
                "recorded_at": args.recorded_at, "returned_at": args.returned_at, "device_no": args.device}
    description = describe(actor, metadata)
    files = [Path(f) for f in args.files]
    results, failed = [], 0
    total = sum(f.stat().st_size for f in files if f.is_file())
    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="导入", file=sys.stderr,
              disable=args.quiet) as bar:
        for path in files:
            if not path.is_file():
                results.append({"file": readable_name(str(path)), "status": "error", "message": "文件不存在"})
                failed += 1
                continue
            try:
                recording, created = recording_ingest(
                    actor=actor, path=path, description=description, filename=path.name, progress=bar.update)
            except LawTrailError as exc:
                results.append({"file": readable_name(str(path)), "status": "error", "message": exc.message})
                failed += 1
                continue
            results.append({"file": readable_name(str(path)), "status": "stored" if created else "duplicate",
                            "recording": recording.pk, "sha256": recording.sha256, "flagged": recording.flagged,
                            "flag_reason": recording.flag_reason, "late": recording.late})
    if args.json:
        _print_json(results)
    else:
        labels = {"stored": "已保存", "duplicate": "重复，已存在（未重复保存）", "error": "失败"}
        for r in results:
            line = f"{labels[r['status']]}  {r['file']}"
            if r["status"] != "error":
                line += f"  SHA-256 {r['sha256']}"
                if r["flagged"]:
                    line += f"  ⚠ {r['flag_reason']}"
                if r["late"]:
                    line += "  ⚠ 逾期上传"
            else:
                line += f"：{r['message']}"
            print(line)
        stored = sum(r["status"] == "stored" for r in results)
        duplicates = sum(r["status"] == "duplicate" for r in results)
        print(f"共 {len(results)} 个文件：新保存 {stored}，重复 {duplicates}，失败 {failed}")
    return 1 if failed else 0


def cmd_verify(args):
    from lawtrail.archive.integrity import record_verified, verify_ledger
    from lawtrail.witness.outside import verify_outside

    report = verify_ledger(since_verified=True) if args.since_checkpoint else None
    if args.since_checkpoint and report is None:
        print("尚无校验通过的检查点：本次改为完整校验（校验通过后，下次即可只校验其后的新条目）", file=sys.stderr)
    if report is None:
        report = verify_ledger()
    for finding in verify_outside(args.checkpoint, args.witness, since=report.since):
        report.add("outside", finding.ref, finding.message)
    recorded = record_verified(report)
    if args.json:
        _print_json({**report.as_dict(), "recorded": recorded})
    else:
        scope = f"检查点 {report.since} 条之后的新" if report.since else ""
        print(f"{scope}账本条目 {report.entries} 条，检查点 {report.checkpoints} 个，对象 {report.objects} 个，"
              f"文件 {report.blobs} 个（{report.blob_bytes / 2**20:.1f} MB）")
        for p in report.problems:
            print(f"  ✗ [{p.kind}] {p.ref}: {p.message}")
        if not report.ok:
            print(f"校验失败：发现 {len(report.problems)} 处问题")
        elif report.since:  # what it did not read, it does not vouch for
            print(f"校验通过：检查点 {report.since} 条之后的新条目及其对象、文件完整，未被篡改"
                  "（此前的条目由完整校验核查）")
        else:
            print("校验通过：记录完整，未被篡改")
        if recorded:
            print(f"已记录校验至检查点 {report.reached.tree_size} 条；下次可用 --since-checkpoint 只校验其后的条目")
        elif report.ok and report.reached is not None:
            print("数据库不可写入（只读副本或只读恢复的备份）：本次校验结果未记入账本，"
                  "下次增量校验仍从上次记录的检查点开始")
    return 0 if report.ok else 1


def cmd_witness(args):
    from lawtrail.witness import note, service

    if args.witness_command == "init":
        try:
            witness = service.witness_init(args.dir, args.name, args.log)
        except (FileExistsError, note.NoteError) as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        print(f"已创建见证服务 {witness.name}。其公钥（交给被见证的系统配置 LAWTRAIL_WITNESSES）：")
        print(witness.verifier.text())
    elif args.witness_command == "key":
        print(service.Witness(args.dir).verifier.text())
    elif args.witness_command == "log-key":
        from lawtrail.witness.client import log_verifier

        print(log_verifier().text())
    elif args.witness_command == "serve":
        from lawtrail.witness.server import witness_server

        witness = service.Witness(args.dir)
        server = witness_server(witness, args.host, args.port)
        print(f"见证服务 {witness.name}: http://{args.host}:{server.server_address[1]}/add-checkpoint", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    else:
        from lawtrail.witness.tasks import checkpoint_loop, checkpoint_pass

        if args.loop:
            parent = os.getppid()  # started by `lawtrail serve`: ends with it, even one killed outright
            checkpoint_loop(stop=lambda: parent != 1 and os.getppid() != parent)
            return 0
        done = checkpoint_pass()
        if done.checkpoint is None:
            print("账本为空，尚无检查点")
            return 0
        print(f"检查点 {done.checkpoint.tree_size} 条{'（新签发）' if done.signed else ''}；"
              f"已联署 {len(done.cosigned)} 个见证服务，未应答 {len(done.silent)} 个")
        return 1 if done.silent else 0
    return 0


def _actor(username):
    from lawtrail.org.models import User

    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise SystemExit(f"错误：没有用户 {username}")
    return user


def cmd_export(args):
    from lawtrail.archive.package import package_export
    from lawtrail.cases.models import Case

    case = Case.objects.filter(case_no=args.case_no).select_related("agency").first()
    if case is None:
        print(f"错误：没有案号为 {args.case_no} 的案件", file=sys.stderr)
        return 2
    summary = package_export(actor=_actor(args.user), case=case, out_dir=args.out, purpose=args.purpose)
    result = {"path": str(summary.path), "files": summary.files, "bytes": summary.bytes,
              "entries": summary.entries, "objects": summary.objects, "checkpoint": summary.checkpoint_size,
              "sm3": summary.sm3, "disposed": summary.disposed,
              "timestamp": summary.timestamp and {"tsa": summary.timestamp.tsa, "serial": summary.timestamp.serial,
                                                  "time": summary.timestamp.gen_time.isoformat()}}
    if args.json:
        _print_json(result)
    else:
        print(f"已导出证据包 {summary.path}")
        print(f"  文件 {summary.files} 个（{summary.bytes / 2**20:.1f} MB），对象 {summary.objects} 个，"
              f"账本条目 {summary.entries} 条，检查点大小 {summary.checkpoint_size}"
              + ("，含 SM3 清单" if summary.sm3 else ""))
        for label in summary.disposed:
            print(f"  已销毁（仅保留登记信息）：{label}")
        if summary.timestamp:
            print(f"  可信时间戳（RFC 3161）：{summary.timestamp.gen_time.astimezone():%Y年%m月%d日 %H:%M:%S}，"
                  f"序列号 {summary.timestamp.serial}，{summary.timestamp.tsa}")
        print(f"  离线校验：python3 {summary.path / 'verify.py'}")
    return 0


def cmd_lock(args):
    from lawtrail.archive.locks import case_locks_apply
    from lawtrail.cases.models import Case
    from lawtrail.blobs import blob_store

    store = blob_store()
    if not store.locking:
        print("存储不支持合规保留锁定：本地磁盘，或创建时未启用 Object Lock 的 S3 桶（LAWTRAIL_STORAGE）",
              file=sys.stderr)
        return 2
    cases = Case.objects.select_related("agency").order_by("pk")
    if args.case_no:
        cases = cases.filter(case_no__in=args.case_no)
        missing = set(args.case_no) - set(cases.values_list("case_no", flat=True))
        if missing:
            print(f"错误：没有案号为 {'、'.join(sorted(missing))} 的案件", file=sys.stderr)
            return 2
    result = []
    for case in cases.iterator():
        states = case_locks_apply(case)
        locked = [s for s in states.values() if s.blocks_deletion()]
        result.append({"case_no": case.case_no, "files": len(states), "locked": len(locked),
                       "held": sum(s.hold for s in locked),
                       "earliest": min((s.until for s in locked if s.until), default=None)})
    if args.json:
        _print_json(result)
    else:
        for row in result:
            print(f"{row['case_no']}：文件 {row['files']} 个，{row['locked']} 个已锁定"
                  + (f"，最早 {row['earliest'].astimezone():%Y-%m-%d} 到期" if row["earliest"] else "")
                  + (f"，其中 {row['held']} 个处于法律保全" if row["held"] else "")
                  + (f"；{row['files'] - row['locked']} 个保存期已满、未锁定（可按规定申请销毁）"
                     if row["files"] > row["locked"] else ""))
        print(f"共 {len(result)} 个案件")
    return 0


def cmd_backup(args):
    from tqdm import tqdm

    from lawtrail.archive.backup import backup

    with tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc="备份文件", file=sys.stderr,
              disable=args.quiet) as bar:
        description = backup(args.out, progress=bar.update)
    print(f"已备份到 {args.out}：账本条目 {description['ledger_entries']} 条，文件 {description['blobs']} 个"
          f"（{description['blob_bytes'] / 2**20:.1f} MB）")
    return 0


def cmd_restore(args):
    from tqdm import tqdm

    from lawtrail.archive.backup import restore

    with tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc="恢复文件", file=sys.stderr,
              disable=args.quiet) as bar:
        description, report = restore(args.directory, progress=bar.update)
    print(f"已从 {args.directory} 恢复（备份于 {description['created_at']}）")
    for p in report.problems:
        print(f"  ✗ [{p.kind}] {p.ref}: {p.message}")
    print("恢复后校验通过：账本、检查点和全部文件完整" if report.ok else f"恢复后校验失败：{len(report.problems)} 处问题")
    return 0 if report.ok else 1


def cmd_ledger(args):
    from lawtrail.ledger import selectors
    from lawtrail.witness.tasks import checkpoint_now

    if args.ledger_command == "checkpoint":
        result = selectors.checkpoint_json(checkpoint_now())
    elif args.ledger_command == "proof":
        result = selectors.inclusion(args.entry, args.size)
    else:
        result = selectors.consistency(args.old, args.new)
    if args.json:
        _print_json(result)
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def cmd_seal_keys(args):
    from lawtrail.org import keys
    from lawtrail.org.models import Agency
    from lawtrail.org.services import seal_certificate_renew, seal_certificate_withdraw

    if args.seal_command == "ca":
        sys.stdout.write(keys.ca_certificate_pem().decode())
        return 0
    agency = Agency.objects.filter(code=args.agency).first()
    if agency is None:
        print(f"错误：执法机关 {args.agency} 不存在", file=sys.stderr)
        return 2
    if args.seal_command == "revoke":
        if seal_certificate_withdraw(actor=None, agency=agency) is None:
            print(f"错误：{agency.name}尚无试用电子印章证书", file=sys.stderr)
            return 2
        print(f"已吊销{agency.name}的电子印章证书；换发新证书前，该机关的文书不能定稿（lawtrail seal-keys renew {agency.code}）")
    else:
        cert = seal_certificate_renew(actor=None, agency=agency)
        print(f"已为{agency.name}换发电子印章证书，有效期至 {cert.not_valid_after_utc:%Y-%m-%d}")
    return 0


def cmd_manage(args):
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lawtrail manage", *args.rest])
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="lawtrail", description="LawTrail 执法全过程记录系统")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("demo", help="载入演示数据（五个机关、人员和各阶段案件）").set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="启动网页服务")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    # gunicorn's advice, 2 × cores + 1 processes: a request holds its process's interpreter
    # lock while it computes, so processes, not threads, spread the pages over the cores.
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="进程数（默认 2×CPU 核数+1）")
    p.add_argument("--threads", type=int, default=2, help="每个进程的线程数")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("cases", help="列出案件")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cases)

    p = sub.add_parser("token", help="为用户签发 API 令牌")
    p.add_argument("username")
    p.add_argument("--label", default="")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("two-factor", help="为用户签发两步验证设置码（--reset 先重置其两步验证）")
    p.add_argument("username")
    p.add_argument("--reset", metavar="REASON", help="先重置该用户的两步验证（如手机遗失），须写明理由")
    p.set_defaults(func=cmd_two_factor)

    p = sub.add_parser("profiles", help="列出规定配置和合规规则（含条款依据）")
    p.add_argument("--json", action="store_true")
    p.add_argument("--coverage", action="store_true", help="输出五部规定逐条的覆盖表（Markdown）")
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("check", help="合规检查：一个案件的全部结论，或所有案件的违反和待办事项")
    p.add_argument("case_no", nargs="?", metavar="CASE_NO")
    p.add_argument("--json", action="store_true")
    p.add_argument("--record", action="store_true", help="同时保存结论的变化（定时任务使用）")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("ingest", help="从执法记录仪采集站批量导入音像记录")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--case", required=True, metavar="CASE_NO", help="案号")
    p.add_argument("--officer", required=True, metavar="CERT_NO", help="执法人员的执法证号")
    p.add_argument("--user", help="导入人账号（默认为该执法人员本人）")
    p.add_argument("--activity", default="other", help="执法环节，如 site_inspection、service_lodged")
    p.add_argument("--device", default="", help="执法记录设备编号")
    p.add_argument("--recorded-at", default="", help="记录时间（设备时间缺失时使用，ISO 8601）")
    p.add_argument("--returned-at", default="", help="外勤返回单位时间（ISO 8601）")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("verify", help="校验账本、检查点签名和对象哈希")
    p.add_argument("--json", action="store_true")
    p.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                   help="系统外保存的检查点（签名文本），证明当前账本是它的延续；可多次给出")
    p.add_argument("--witness", action="append", default=[], metavar="URL_OR_KEY",
                   help="见证服务的地址（向其证明当前账本延续其联署的账本）或公钥（核对检查点文件中的联署）")
    p.add_argument("--since-checkpoint", action="store_true",
                   help="每日校验：只校验上次校验通过的检查点之后的新条目（以其存储的默克尔瓦片为起点）")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("witness", help="见证服务（C2SP tlog-witness）：供司法局、上级机关或法院运行")
    wsub = p.add_subparsers(dest="witness_command", required=True)
    q = wsub.add_parser("init", help="在目录中创建见证服务：新密钥、名称和所见证的账本公钥")
    q.add_argument("--dir", required=True, help="见证服务的目录（密钥和状态）")
    q.add_argument("--name", required=True, help="见证服务的名称，如 sfj.example.gov.cn/witness")
    q.add_argument("--log", action="append", required=True, metavar="KEY",
                   help="所见证账本的公钥（在被见证的系统上运行 lawtrail witness log-key 取得）")
    q = wsub.add_parser("key", help="输出见证服务的公钥，供被见证的系统配置 LAWTRAIL_WITNESSES")
    q.add_argument("--dir", required=True)
    q = wsub.add_parser("serve", help="运行见证服务")
    q.add_argument("--dir", required=True)
    q.add_argument("--host", default="127.0.0.1")
    q.add_argument("--port", type=int, default=8100)
    wsub.add_parser("log-key", help="输出本系统账本的公钥，供见证服务 init --log 使用")
    q = wsub.add_parser("submit", help="按设置签发检查点并提交见证服务联署（--loop 持续运行）")
    q.add_argument("--loop", action="store_true")
    p.set_defaults(func=cmd_witness)

    p = sub.add_parser("export", help="导出案件证据包（BagIt，附离线校验程序）")
    p.add_argument("case_no", metavar="CASE_NO")
    p.add_argument("--out", required=True, help="输出目录（新目录或空目录）")
    p.add_argument("--user", help="以该用户身份导出（记入账本）；缺省为 system")
    p.add_argument("--purpose", default="命令行导出证据包", help="导出用途，记入账本和包信息")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("lock", help="按保存期限为对象存储中的文件设置合规保留锁定（S3 Object Lock）")
    p.add_argument("case_no", metavar="CASE_NO", nargs="*", help="案号；缺省为全部案件")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lock)

    p = sub.add_parser("backup", help="备份数据库、密钥和全部文件")
    p.add_argument("--out", required=True, help="备份目录（新目录或空目录）")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="把备份恢复到全新的实例并校验")
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("ledger", help="账本检查点与证明")
    lsub = p.add_subparsers(dest="ledger_command", required=True)
    q = lsub.add_parser("checkpoint", help="签发检查点")
    q.add_argument("--json", action="store_true")
    q = lsub.add_parser("proof", help="条目的包含证明")
    q.add_argument("entry", type=int)
    q.add_argument("--size", type=int, default=None, help="树大小（默认最新检查点）")
    q.add_argument("--json", action="store_true")
    q = lsub.add_parser("consistency", help="两个树大小间的一致性证明")
    q.add_argument("old", type=int)
    q.add_argument("new", type=int)
    q.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ledger)

    p = sub.add_parser("seal-keys", help="电子印章试用证书：导出根证书、吊销或换发机关的签章证书")
    ksub = p.add_subparsers(dest="seal_command", required=True)
    ksub.add_parser("ca", help="输出根证书（PEM），供法院等核验方导入")
    for name, text in (("revoke", "吊销机关的电子印章证书"), ("renew", "为机关换发新的电子印章证书")):
        ksub.add_parser(name, help=text).add_argument("agency", help="机关代码")
    p.set_defaults(func=cmd_seal_keys)

    p = sub.add_parser("manage", help="Django 管理命令（运维用）")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    _setup()
    from lawtrail.core.errors import LawTrailError

    try:
        return args.func(args)
    except LawTrailError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    except UnicodeEncodeError as exc:
        # An argument typed in a terminal that is not UTF-8 reaches Python with its stray
        # bytes as lone surrogates, which no database takes; what it was writing rolled back.
        if exc.reason != "surrogates not allowed":
            raise
        print("错误：参数中有无法识别的字符（不是 UTF-8 编码），请在 UTF-8 终端中重新输入", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of a pipe stopped early (`lawtrail cases | head`): end quietly, as
        # command-line tools do, instead of a traceback; nothing more goes to the pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the shell's status for a tool stopped by a closed pipe


if __name__ == "__main__":
    sys.exit(main())
