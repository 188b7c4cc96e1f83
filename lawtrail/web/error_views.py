"""The 403, 404 and 500 pages: Chinese, in the site's layout, with a way back."""

import re

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _said(exception, default):
    """The message the code gave (a service's NotFound is Chinese), else the page's own:
    Django's English ones ("No Case matches the given query.") never reach a user."""
    message = str(exception or "")
    return message if CHINESE.search(message) else default


def not_found(request, exception=None):
    return render(request, "web/error.html", {
        "code": 404, "title": "页面不存在",
        "message": _said(exception, "您要找的页面不存在，可能已被移动或地址有误。")}, status=404)


def forbidden(request, exception=None):
    return render(request, "web/error.html", {
        "code": 403, "title": "无权访问",
        "message": _said(exception, "您没有访问此页面的权限。如需调阅，请申请调阅许可。")}, status=403)


def csrf_failure(request, reason=""):
    """A form sent from a page left open too long (or from elsewhere): say so, and how to go on."""
    return render(request, "web/error.html", {
        "code": 403, "title": "页面已过期",
        "message": "页面已过期或表单来源无法确认，您提交的内容未被处理。请返回上一页刷新后重新提交。"}, status=403)


def server_error(request):
    # Rendered without the request's context: whatever failed (the database, a context
    # processor) must not fail this page too.
    return HttpResponseServerError(loader.get_template("web/error.html").render({
        "code": 500, "title": "系统出错", "message": "系统处理您的请求时出错，错误已记录。请稍后重试，或联系系统管理员。"}))
