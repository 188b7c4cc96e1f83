"""Django forms built from the catalog's field definitions, with pickers for what the case
already holds (its finalised documents, recordings, parties, officials) instead of typing."""

import json
import re

from django import forms
from django.utils import timezone

from lawtrail.records.catalog import TABLE_SEPARATOR
from lawtrail.records.models import SignMethod


def _form_field(spec):
    common = {"label": spec.label, "required": False}
    if spec.type == "text":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if spec.type == "table":
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 3, "placeholder": TABLE_SEPARATOR.join(spec.columns)}),
            help_text=f"每行一项，依次填写：{TABLE_SEPARATOR.join(spec.columns)}", **common)
    if spec.type == "date":
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.type == "datetime":
        return forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common)
    if spec.type == "int":
        return forms.CharField(widget=forms.NumberInput(attrs={"min": 0}), **common)
    if spec.type == "bool":
        return forms.BooleanField(**common)
    if spec.type == "choice":
        return forms.ChoiceField(choices=[("", "—— 请选择 ——")] + [(o, o) for o in spec.options], **common)
    if spec.type == "multichoice":
        return forms.MultipleChoiceField(choices=[(o, o) for o in spec.options],
                                         widget=forms.CheckboxSelectMultiple, **common)
    return forms.CharField(**common)


def _initial(spec, value):
    if value is None:
        return None
    if spec.type == "table":
        return spec.as_text(value)
    if spec.type == "datetime":
        return value[:16]
    return value


# Fields filled from a picked object of the case (field key: the object's attribute). A
# field key means the same in every document type, so the map is by key.
DOCUMENT_FIELDS = {"document_name": "title", "document_number": "number", "decision_number": "number"}
PARTY_FIELDS = {"interviewee": "person", "interviewee_id": "person_id", "interviewee_gender": "gender",
                "interviewee_birth": "birth", "interviewee_address": "address", "interviewee_phone": "phone",
                "interviewee_employer": "employer", "recipient": "name", "subject": "name", "holder": "name",
                "applicant": "name", "present_party": "name"}
# Fields naming one of the case's recordings: chosen from them, never a typed file name.
RECORDING_FIELDS = ("video_ref", "evidence_ref")
# Fields listing several of the case's recordings, joined with 、 (as the rules read them).
RECORDING_LIST_FIELDS = ("av_evidence",)
LIST_SEPARATOR = "、"
# Fields naming an official of the agency: chosen among those who may stand in them.
OFFICIAL_FIELDS = {"reviewer_name": "reviewer", "department_reviewer": "reviewer", "drafter": "officer"}
NO_RECORDING = "—— 选择本案的音像记录 ——"
# What a 拒签 form sends (record_refuse's arguments).
REFUSAL_FIELDS = ("signer_name", "reason", "witness_name", "video_ref")


def recording_choices(recordings, current=""):
    """(value, label) for a picker of the case's recordings; the value is the file name, which
    the rules match against the recordings (and a value kept from before stays offered)."""
    choices = [(r.filename, f"{r.filename}（{r.get_activity_display()}"
                f"{timezone.localtime(r.started_at).strftime('，%Y-%m-%d %H:%M') if r.started_at else ''}）")
               for r in recordings]
    if current and current not in {value for value, _ in choices}:
        choices.append((current, current))
    return [("", NO_RECORDING)] + choices


def _options(objects, fields, attribute, label, current):
    """A picker's options: each object's label, the values it fills in (JSON), whether chosen."""
    return [{"label": label(obj), "chosen": bool(current) and attribute(obj, fields[0][1]) == current,
             "values": json.dumps({key: attribute(obj, attr) for key, attr in fields}, ensure_ascii=False)}
            for obj in objects]


def _party_label(party):
    person = party["person"]
    return party["name"] if person in (None, party["name"]) else f"{party['name']}（{person}）"


class Pickers:
    """What the case offers a record's form to pick from, read through the access policy
    by the view (its selectors): finalised documents, parties' details, recordings, officials."""

    def __init__(self, documents=(), parties=(), recordings=(), officials=None):
        self.documents, self.parties, self.recordings = list(documents), list(parties), list(recordings)
        self.officials = officials or {}


class RecordForm(forms.Form):
    """The fields of one document type. Everything is optional for a draft; what a
    finalised record needs is checked by the service, which names what is missing."""

    def __init__(self, *args, doc_type, record_data=None, pickers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.doc_type = doc_type
        data = record_data or {}
        pickers = pickers or Pickers()
        for spec in doc_type.fields:
            field = _form_field(spec)
            if spec.key in RECORDING_FIELDS:
                field = forms.ChoiceField(label=spec.label, required=False,
                                          choices=recording_choices(pickers.recordings, data.get(spec.key)))
            elif spec.key in RECORDING_LIST_FIELDS:
                field = self._recording_list(spec, pickers.recordings, data.get(spec.key))
            elif spec.key in OFFICIAL_FIELDS and spec.key in pickers.officials:
                names = pickers.officials[spec.key]
                current = data.get(spec.key)
                field = forms.ChoiceField(label=spec.label, required=False, choices=[("", "—— 请选择 ——")] + [
                    (name, name) for name in names + ([current] if current and current not in names else [])])
            field.required_for_final = spec.required
            if spec.key not in RECORDING_LIST_FIELDS:
                field.initial = _initial(spec, data.get(spec.key))
            self.fields[spec.key] = field
        self.picks = pickers
        self.pickers = self._pickers(pickers, data)

    @staticmethod
    def _recording_list(spec, recordings, value):
        chosen = [ref for ref in re.split(r"[\s,，、;；]+", value or "") if ref]
        choices = recording_choices(recordings)[1:]
        choices += [(ref, ref) for ref in chosen if ref not in {v for v, _ in choices}]
        field = forms.MultipleChoiceField(label=spec.label.split("（")[0], required=False, choices=choices,
                                          widget=forms.CheckboxSelectMultiple,
                                          help_text="" if recordings else "本案尚无音像记录")
        field.initial = chosen
        return field

    def _pickers(self, pickers, data):
        """The pickers that fill several fields at once (a document's 名称 and 文号, a party's
        details), with the one matching the draft's values chosen."""
        keys = [f.key for f in self.doc_type.fields]
        found = []
        fields = [(key, DOCUMENT_FIELDS[key]) for key in keys if key in DOCUMENT_FIELDS]
        if fields:
            found.append({"name": "document", "label": "送达或依据的文书（从本案已定稿文书中选择）",
                          "options": _options(pickers.documents, fields, lambda d, a: getattr(d, a),
                                              lambda d: f"《{d.title}》{d.number}", data.get(fields[0][0]))})
        fields = [(key, PARTY_FIELDS[key]) for key in keys if key in PARTY_FIELDS]
        if fields and pickers.parties:
            found.append({"name": "party", "label": "当事人（从本案当事人中选择，填入其信息）",
                          "options": _options(pickers.parties, fields, lambda p, a: p.get(a),
                                              _party_label, data.get(fields[0][0]))})
        return found

    def raw_data(self):
        """The submitted values as the service expects them (it validates them)."""
        return {
            spec.key: (self.data.getlist(spec.key) if spec.type == "multichoice"
                       else LIST_SEPARATOR.join(self.data.getlist(spec.key)) if spec.key in RECORDING_LIST_FIELDS
                       else spec.key in self.data if spec.type == "bool"
                       else self.data.get(spec.key, ""))
            for spec in self.doc_type.fields
        }


class SignForm(forms.Form):
    method = forms.ChoiceField(label="签署方式", choices=SignMethod.choices)
    signer_name = forms.CharField(label="签名人姓名", required=False)
    officer = forms.IntegerField(required=False)
    signer_user = forms.IntegerField(required=False)
    # On a shared device the signer proves himself here; never kept, never echoed back.
    password = forms.CharField(required=False, strip=False, widget=forms.PasswordInput)
    otp = forms.CharField(required=False, max_length=12)
    device_time = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    image_data = forms.CharField(required=False, widget=forms.HiddenInput)
    image_file = forms.FileField(label="或上传签字页扫描件/签名图片", required=False)
