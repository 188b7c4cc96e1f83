"""What `lawtrail manage check --deploy` adds to Django's own deployment checks: the
static files a production server needs, and data that other local users could read."""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import Error, Warning, register

from lawtrail.core.files import open_to_others
from lawtrail.core.staticfiles import uncollected

COLLECT_HINT = ("lawtrail serve 每次启动时自动收集；用其他方式运行（如直接用 gunicorn）时，"
                "请在每次安装或升级后运行 lawtrail manage collectstatic --noinput")


@register("staticfiles", deploy=True)
def static_files_collected(app_configs, **kwargs):
    if not isinstance(staticfiles_storage, ManifestFilesMixin):  # served from the apps themselves
        return []
    missing = uncollected(staticfiles_storage)
    if missing is None:
        return [Error(f"静态文件尚未收集（{settings.STATIC_ROOT} 中没有 staticfiles.json），"
                      "生产模式下每个页面都会出错", hint=COLLECT_HINT, id="lawtrail.E001")]
    if missing:
        return [Error(f"收集的静态文件已过期：{len(missing)} 个文件未收集（{'、'.join(missing[:5])}），"
                      "引用它们的页面会出错", hint=COLLECT_HINT, id="lawtrail.E002")]
    return []


def _data_paths():
    """LAWTRAIL_HOME, and the database and stored files where they are put elsewhere
    (under a private home nothing is reachable by others, whatever its own mode)."""
    home = Path(settings.LAWTRAIL_HOME)
    elsewhere = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        elsewhere.append(Path(settings.DATABASES["default"]["NAME"]))
    if settings.LAWTRAIL_STORAGE.startswith("file://"):
        elsewhere.append(Path(settings.LAWTRAIL_STORAGE.removeprefix("file://")))
    return [home] + [path for path in elsewhere if not path.resolve().is_relative_to(home)]


@register(deploy=True)
def data_private(app_configs, **kwargs):
    """Made by an older version (0755/0644) or by hand: others may read the records."""
    return [Warning(f"{path} 其他本机用户也能访问（权限 {path.stat().st_mode & 0o777:04o}），"
                    "其中是执法记录、数据库或密钥",
                    hint=f"以运行 LawTrail 的账号执行 chmod {700 if path.is_dir() else 600} {path}",
                    id="lawtrail.W001")
            for path in _data_paths() if open_to_others(path)]


@register(deploy=True)
def public_url_set(app_configs, **kwargs):
    """Every finalised document prints a QR code of LAWTRAIL_PUBLIC_URL: left at the local
    default, the paper would point where nobody can reach, for as long as it is kept."""
    from urllib.parse import urlsplit

    if urlsplit(settings.LAWTRAIL_PUBLIC_URL).hostname not in ("127.0.0.1", "localhost", "::1", None):
        return []
    return [Warning(f"LAWTRAIL_PUBLIC_URL 仍是 {settings.LAWTRAIL_PUBLIC_URL}：定稿文书上的扫码验真二维码将指向公众无法访问的地址",
                    hint="定稿第一份文书之前，将 LAWTRAIL_PUBLIC_URL 设为公众访问本系统的地址（如 https://zfjl.example.gov.cn）",
                    id="lawtrail.W002")]

