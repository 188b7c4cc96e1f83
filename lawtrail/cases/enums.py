from django.db import models


class MatterType(models.TextChoices):
    LICENSING = "licensing", "行政许可"
    PENALTY = "penalty", "行政处罚"
    COERCION = "coercion", "行政强制"
    INSPECTION = "inspection", "行政检查"
    PATROL = "patrol", "日常巡查"


class Source(models.TextChoices):
    APPLICATION = "application", "申请"
    EX_OFFICIO = "ex_officio", "依职权"
    COMPLAINT = "complaint", "投诉举报"
    RANDOM_CHECK = "random_check", "随机抽查"
    REFERRAL = "referral", "移送"


class Procedure(models.TextChoices):
    GENERAL = "general", "一般程序"
    SIMPLE = "simple", "简易程序"


class Stage(models.TextChoices):
    INITIATION = "initiation", "程序启动"
    INVESTIGATION = "investigation", "调查取证"
    DECISION = "decision", "审查决定"
    EXECUTION = "execution", "送达执行"
    ARCHIVING = "archiving", "待归档"
    ARCHIVED = "archived", "已归档"
    CLOSED = "closed", "不予启动"


# The stages a case walks through, in order, for the timeline.
STAGE_ORDER = [Stage.INITIATION, Stage.INVESTIGATION, Stage.DECISION, Stage.EXECUTION, Stage.ARCHIVING, Stage.ARCHIVED]
OPEN_STAGES = [Stage.INITIATION, Stage.INVESTIGATION, Stage.DECISION, Stage.EXECUTION, Stage.ARCHIVING]


class Confidentiality(models.TextChoices):
    PUBLIC = "public", "公开"
    INTERNAL = "internal", "内部"
    PRIVACY = "privacy", "个人隐私"
    COMMERCIAL = "commercial", "商业秘密"
    STATE_SECRET = "state_secret", "国家秘密"


class PartyKind(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANISATION = "organisation", "法人或其他组织"


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", "居民身份证"
    USCC = "uscc", "统一社会信用代码"
    PASSPORT = "passport", "护照"
    OTHER = "other", "其他证件"


class OfficerRole(models.TextChoices):
    LEAD = "lead", "主办"
    ASSIST = "assist", "协办"
