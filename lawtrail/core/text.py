"""Text for people: how durations read in Chinese."""


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
