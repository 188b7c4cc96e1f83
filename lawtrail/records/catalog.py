"""The catalog of 执法文书 (document types), loaded from catalog.yaml.

A document type is data: its stage, its fields with their types, who must sign,
and the articles that require it. Forms, validation, finalisation and PDF layout
all read the same definition.
"""

import datetime
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.utils.dateparse import parse_date, parse_datetime

from lawtrail.core.errors import InvalidInput

CATALOG_FILE = Path(__file__).resolve().parent / "catalog.yaml"
FIELD_TYPES = {"string", "text", "date", "datetime", "int", "bool", "choice", "multichoice", "table"}
SIGNER_KINDS = {"officer", "party", "witness", "reviewer", "head", "department", "other"}
# Slots signed by an official of the agency, who proves who he is; the rest (parties,
# witnesses, others) are captured on a handling officer's device.
OFFICIAL_KINDS = {"officer", "reviewer", "head", "department"}
TABLE_SEPARATOR = "|"
LAYOUTS = {"form", "transcript", "approval", "prose", "receipt", "list"}


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str
    required: bool = True
    options: tuple = ()
    columns: tuple = ()
    default: object = None  # a value, or {matter type: value}

    def default_for(self, matter_type):
        """What a new draft of a case of this matter type starts with, or None."""
        if isinstance(self.default, dict):
            return self.default.get(matter_type)
        return self.default

    def clean(self, raw):
        """The value to store, or InvalidInput naming this field. Empty is None."""
        if raw is None or raw == "" or raw == [] or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            return getattr(self, f"_clean_{self.type}")(raw)
        except (ValueError, TypeError):
            raise InvalidInput(f"“{self.label}”格式不正确", field=self.key)

    def _clean_string(self, raw):
        return str(raw).strip()

    _clean_text = _clean_string

    def _clean_date(self, raw):
        value = raw if isinstance(raw, datetime.date) else parse_date(str(raw).strip())
        if value is None:
            raise ValueError(raw)
        return value.isoformat()

    def _clean_datetime(self, raw):
        text = raw.isoformat() if isinstance(raw, datetime.datetime) else str(raw).strip().replace(" ", "T")
        value = parse_datetime(text)
        if value is None:
            raise ValueError(raw)
        return value.isoformat(timespec="minutes")

    def _clean_int(self, raw):
        return int(str(raw).strip())

    def _clean_bool(self, raw):
        if isinstance(raw, bool):
            return raw or None
        return True if str(raw).strip().lower() in ("1", "true", "on", "yes", "是") else None

    def _clean_choice(self, raw):
        value = str(raw).strip()
        if value not in self.options:
            raise InvalidInput(f"“{self.label}”只能是：{'、'.join(self.options)}", field=self.key)
        return value

    def _clean_multichoice(self, raw):
        values = [v.strip() for v in (raw if isinstance(raw, (list, tuple)) else str(raw).split(","))]
        values = [v for v in values if v]
        unknown = [v for v in values if v not in self.options]
        if unknown:
            raise InvalidInput(f"“{self.label}”不能包含：{'、'.join(unknown)}", field=self.key)
        return [o for o in self.options if o in values]

    def _clean_table(self, raw):
        rows = raw if isinstance(raw, list) else [
            [cell.strip() for cell in line.split(TABLE_SEPARATOR)]
            for line in str(raw).splitlines() if line.strip()
        ]
        for number, row in enumerate(rows, start=1):
            if len(row) != len(self.columns) or not all(str(c).strip() for c in row):
                raise InvalidInput(
                    f"“{self.label}”第 {number} 行须填写 {len(self.columns)} 项：{'、'.join(self.columns)}"
                    f"（以“{TABLE_SEPARATOR}”分隔）", field=self.key)
        return [[str(c).strip() for c in row] for row in rows]

    def as_text(self, value):
        """The value as a person reads it (forms and PDFs)."""
        if value is None:
            return ""
        if self.type == "bool":
            return "是" if value else "否"
        if self.type == "multichoice":
            return "、".join(value)
        if self.type == "table":
            return "\n".join(TABLE_SEPARATOR.join(row) for row in value)
        if self.type == "datetime":
            return value.replace("T", " ")[:16]
        return str(value)


@dataclass(frozen=True)
class SignerSpec:
    """A signer's slot. `fields` are the section the signer fills in himself (承办人意见,
    负责人意见 …); a signature covers its own section and everything before it, never the
    sections of the signers after it."""

    slot: str
    kind: str
    label: str
    min: int = 1
    may_refuse: bool = False
    fields: tuple = ()

    @property
    def official(self):
        return self.kind in OFFICIAL_KINDS


@dataclass(frozen=True)
class DocType:
    code: str
    title: str
    stage: str
    abbr: str
    cite: tuple
    fields: tuple
    signers: tuple
    service_method: str = ""
    layout: str = "form"
    issued: bool = False
    title_field: str = ""
    title_suffix: str = ""
    abbr_by: object = None  # {value of title_field: 文书代字}
    fine_warning: str = ""
    # What the party writes above his signature on every page of a 笔录.
    confirmation: str = "以上笔录我已看过，与我说的一致。"

    def title_for(self, data):
        """The title the document bears: the type's, or, where the type names what was
        decided, that (行政处罚决定书, 不予行政许可决定书 …)."""
        value = data.get(self.title_field) if self.title_field else None
        return f"{value}{self.title_suffix}" if value else self.title

    def code_word(self, data):
        """The 文书代字 of a document issued to the party."""
        return (self.abbr_by or {}).get(data.get(self.title_field), self.abbr)

    @property
    def number_label(self):
        """文号 for what is issued to the party, 编号 for the case's internal records."""
        return "文号" if self.issued else "编号"

    def field(self, key):
        return next(f for f in self.fields if f.key == key)

    def signer(self, slot):
        for s in self.signers:
            if s.slot == slot:
                return s
        raise InvalidInput(f"《{self.title}》没有“{slot}”签名栏")

    def covers(self, slot):
        """The field keys a signature in this slot covers: every field but those of the
        sections that come after it."""
        signers = [s.slot for s in self.signers]
        later = {key for s in self.signers[signers.index(self.signer(slot).slot) + 1:] for key in s.fields}
        return tuple(f.key for f in self.fields if f.key not in later)

    def section_of(self, key):
        """The signer whose own section holds this field, or None."""
        return next((s for s in self.signers if key in s.fields), None)

    def clean(self, data):
        """Typed values for the known fields; unknown keys are refused, not dropped."""
        unknown = sorted(set(data) - {f.key for f in self.fields})
        if unknown:
            raise InvalidInput(f"《{self.title}》没有这些栏目：{'、'.join(unknown)}")
        values = {f.key: f.clean(data.get(f.key)) for f in self.fields}
        return {key: value for key, value in values.items() if value is not None}

    def missing_fields(self, data):
        return [f for f in self.fields if f.required and data.get(f.key) in (None, "", [], False)]


def _field(spec):
    key, label, type_, *rest = spec
    options = rest[0] if rest else {}
    if type_ not in FIELD_TYPES:
        raise ValueError(f"unknown field type {type_} for {key}")
    return FieldSpec(key=key, label=label, type=type_, required=options.get("required", True),
                     options=tuple(options.get("options", ())), columns=tuple(options.get("columns", ())),
                     default=options.get("default"))


def _signer(spec, field_keys):
    if spec["kind"] not in SIGNER_KINDS:
        raise ValueError(f"unknown signer kind {spec['kind']}")
    own = tuple(spec.get("fields", ()))
    if unknown := set(own) - field_keys:
        raise ValueError(f"signer {spec['slot']} owns unknown fields {sorted(unknown)}")
    return SignerSpec(**{**spec, "fields": own})


@cache
def catalog():
    types = {}
    for item in yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8")):
        fields = tuple(_field(f) for f in item["fields"])
        if len({f.key for f in fields}) != len(fields):
            raise ValueError(f"{item['code']}: a field key is listed twice")
        signers = tuple(_signer(s, {f.key for f in fields}) for s in item["signers"])
        owned = [key for s in signers for key in s.fields]
        if len(owned) != len(set(owned)):
            raise ValueError(f"{item['code']}: a field belongs to two signers' sections")
        if item.get("layout", "form") not in LAYOUTS:
            raise ValueError(f"{item['code']}: unknown layout {item['layout']}")
        doc = DocType(
            code=item["code"], title=item["title"], stage=item["stage"], abbr=item["abbr"],
            cite=tuple(item["cite"]), fields=fields, signers=signers, service_method=item.get("service_method", ""),
            layout=item.get("layout", "form"), issued=item.get("issued", False),
            title_field=item.get("title_field", ""), title_suffix=item.get("title_suffix", ""),
            abbr_by=item.get("abbr_by"), fine_warning=item.get("fine_warning", ""),
            **({"confirmation": item["confirmation"]} if "confirmation" in item else {}),
        )
        types[doc.code] = doc
    return types


def doc_type(code):
    try:
        return catalog()[code]
    except KeyError:
        raise InvalidInput(f"未知的文书类型：{code}")
