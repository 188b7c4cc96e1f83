from django.db import models


class Role(models.TextChoices):
    OFFICER = "officer", "执法人员"
    REVIEWER = "reviewer", "审核人员"
    HEAD = "head", "负责人"
    ARCHIVIST = "archivist", "档案管理员"
    SUPERVISOR = "supervisor", "法制监督"
    ADMIN = "admin", "系统管理员"


# Roles that hold approvals, supervision or administration sign in with a second factor.
TWO_FACTOR_ROLES = (Role.HEAD, Role.SUPERVISOR, Role.ADMIN)


def needs_two_factor(user):
    return user.is_authenticated and user.role in TWO_FACTOR_ROLES


# IT staff and supervisors keep the ledger: they see its codes and hashes (技术详情) and
# the 账本与校验 page; everyone else reads the trail in plain words.
TECHNICAL_ROLES = (Role.ADMIN, Role.SUPERVISOR)


def sees_technical_details(user):
    return user.is_authenticated and user.role in TECHNICAL_ROLES


class DepartmentKind(models.TextChoices):
    SECTION = "section", "科室"
    TEAM = "team", "执法队"
    LEGAL = "legal", "法制（监督）机构"
    OFFICE = "office", "办公室"


class EnrolmentStatus(models.TextChoices):
    ISSUED = "issued", "待使用"
    USED = "used", "已使用"
    VOID = "void", "已作废"
