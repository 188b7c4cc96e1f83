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
    name = readable_name(str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")).strip()
    if name in ("", ".", ".."):
        return default
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 16 else ""
        name = (stem if ext else name)[:MAX_FILENAME - len(ext)] + ext
    return name


def _is_surrogate(char):
    return "\ud800" <= char <= "\udfff"


def has_surrogate(text):
    """Whether the text holds a lone UTF-16 surrogate (half of a pair), which no database
    stores and no UTF-8 encodes."""
    return not text.isascii() and any(_is_surrogate(char) for char in text)


def readable_name(name):
    """A name whose bytes were not UTF-8, as Python hands over a file name it could not
    decode (each stray byte as a lone surrogate, U+DC80-U+DCFF), read again as what a
    Chinese camera or a Windows-formatted card most likely wrote: GB18030 (GBK). Bytes that
    are neither become U+FFFD; so does any other lone surrogate. A name with none is kept."""
    if not has_surrogate(name):
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no byte stands for
        return "".join("\ufffd" if _is_surrogate(ch) else ch for ch in name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def number_or_none(value):
    """A whole number (an id, a count of days) typed into a form, a query string or a
    header, or None when it is not one: ASCII digits only (str.isdigit also takes "²",
    which int() refuses), at most 18 of them (what the database holds)."""
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
