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


def cmd_demo(args):
    from django.core.management import call_command

    from lawtrail.demo import load_demo

    call_command("migrate", verbosity=0)
    accounts = load_demo(stdout=sys.stdout)
    print("\n演示账号（密码均为 %s）：" % accounts["password"])
    for agency, users in accounts["agencies"].items():
        print(f"  {agency}")
        for username, role, name in users:
            print(f"    {username:<22} {role:<8} {name}")
    print(f"  系统管理员: {accounts['admin']}")
    return 0


def cmd_serve(args):
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if settings.PRODUCTION:
        call_command("collectstatic", interactive=False, verbosity=0)
    print(f"LawTrail 执法全过程记录系统: http://{args.host}:{args.port}/", flush=True)
    argv = [
        "gunicorn", "lawtrail.wsgi:application",
        "--bind", f"{args.host}:{args.port}",
        "--workers", str(args.workers), "--threads", "4",
        "--access-logfile", "-",
    ]
    from gunicorn.app.wsgiapp import run

    sys.argv = argv
    return run()


def cmd_cases(args):
    from lawtrail.cases.selectors import stage_overview

    rows = [
        {
            "case_no": c.case_no,
            "agency": c.agency.name,
            "profile": c.agency.profile,
            "stage": c.stage,
            "stage_label": c.get_stage_display(),
            "parties": c.party_count,
            "open_findings": None,  # the compliance engine (rules) fills this in
        }
        for c in stage_overview()
    ]
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(f"{r['case_no']:<28}\t{r['agency']}\t{r['profile']}\t{r['stage_label']}\t当事人 {r['parties']}")
        print(f"共 {len(rows)} 件")
    return 0


def cmd_token(args):
    from lawtrail.org.services import token_create

    print(token_create(actor=None, username=args.username, label=args.label))
    return 0


def cmd_verify(args):
    from lawtrail.ledger.verify import verify_ledger

    report = verify_ledger()
    if args.json:
        _print_json(report.as_dict())
    else:
        print(f"账本条目 {report.entries} 条，检查点 {report.checkpoints} 个，对象 {report.objects} 个")
        for p in report.problems:
            print(f"  ✗ [{p.kind}] {p.ref}: {p.message}")
        print("校验通过：记录完整，未被篡改" if report.ok else f"校验失败：发现 {len(report.problems)} 处问题")
    return 0 if report.ok else 1


def cmd_ledger(args):
    from lawtrail.ledger import selectors
    from lawtrail.ledger.services import ledger_checkpoint

    if args.ledger_command == "checkpoint":
        result = selectors.checkpoint_json(ledger_checkpoint())
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
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("cases", help="列出案件")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cases)

    p = sub.add_parser("token", help="为用户签发 API 令牌")
    p.add_argument("username")
    p.add_argument("--label", default="")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("verify", help="校验账本、检查点签名和对象哈希")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify)

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


if __name__ == "__main__":
    sys.exit(main())
