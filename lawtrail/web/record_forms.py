"""Django forms built from the catalog's field definitions."""

from django import forms

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


class RecordForm(forms.Form):
    """The fields of one document type. Everything is optional for a draft; what a
    finalised record needs is checked by the service, which names what is missing."""

    def __init__(self, *args, doc_type, record_data=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.doc_type = doc_type
        for spec in doc_type.fields:
            field = _form_field(spec)
            field.required_for_final = spec.required
            field.initial = _initial(spec, (record_data or {}).get(spec.key))
            self.fields[spec.key] = field

    def raw_data(self):
        """The submitted values as the service expects them (it validates them)."""
        return {
            spec.key: (self.data.getlist(spec.key) if spec.type == "multichoice"
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
