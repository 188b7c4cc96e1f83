"""Text for people: how durations read in Chinese, and file names fit to keep."""

import unicodedata


def duration_zh(delta):
    """A timedelta as people read it: 3天2小时5分, or 12分5秒; a negative one says 早于."""
    if delta is None:
        return ""
    seconds = int(delta.total_seconds())
    sign = "早于" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "天"), (hours, "小时"), (minutes, "分")] if days or hours else [(minutes, "分"), (seconds, "秒")]
    return sign + ("".join(f"{v}{u}" for v, u in parts if v) or "0秒")


MAX_FILENAME = 255


def clean_filename(name, default="文件"):
    """A file name as given by a client, made safe to keep and show: no directories (either
    slash), no control or formatting characters, at most 255 characters with the extension
    kept. The bytes are stored under their hash; the name is only a label."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")).strip()
    if name in ("", ".", ".."):
        return default
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 16 else ""
        name = (stem if ext else name)[:MAX_FILENAME - len(ext)] + ext
    return name


def number_or_none(value):
    """A whole number (an id, a count of days) typed into a form, a query string or a
    header, or None when it is not one: ASCII digits only (str.isdigit also takes "²",
    which int() refuses), at most 18 of them (what the database holds)."""
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
