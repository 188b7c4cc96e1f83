from django import forms
from django.utils import timezone

from lawtrail.cases.enums import (
    Confidentiality, IdType, MatterType, OfficerRole, PartyKind, Procedure, Source,
)
from lawtrail.org.models import Department, Officer
from lawtrail.org.selectors import departments_of, officers_of


class CaseForm(forms.Form):
    title = forms.CharField(label="案由", max_length=200)
    department = forms.ModelChoiceField(label="承办科室/执法队", queryset=Department.objects.none())
    matter_type = forms.ChoiceField(label="事项类型", choices=MatterType.choices, initial=MatterType.PENALTY)
    source = forms.ChoiceField(label="案件来源", choices=Source.choices, initial=Source.EX_OFFICIO)
    procedure = forms.ChoiceField(label="程序", choices=Procedure.choices)
    confidentiality = forms.ChoiceField(label="密级", choices=Confidentiality.choices,
                                        initial=Confidentiality.INTERNAL)
    start_reason = forms.CharField(label="启动原因", widget=forms.Textarea(attrs={"rows": 2}))
    summary = forms.CharField(label="基本案情", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    complainant_name = forms.CharField(label="投诉举报人（实名时填写）", required=False)
    complainant_contact = forms.CharField(label="投诉举报人联系方式", required=False)
    lead_officer = forms.ModelChoiceField(label="主办人", queryset=Officer.objects.none())
    assist_officers = forms.ModelMultipleChoiceField(
        label="协办人", queryset=Officer.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    party_kind = forms.ChoiceField(label="当事人类型", choices=PartyKind.choices)
    party_name = forms.CharField(label="当事人姓名或名称", max_length=100)
    party_id_type = forms.ChoiceField(label="证件类型", choices=IdType.choices)
    party_id_number = forms.CharField(label="证件号码", max_length=40)
    party_legal_representative = forms.CharField(label="法定代表人（单位）", required=False)
    party_address = forms.CharField(label="住所", required=False)
    party_phone = forms.CharField(label="联系电话", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments_of(user)
        # Only officers who may act today are offered; the service checks again.
        officers = officers_of(user).qualified_on(timezone.localdate())
        self.fields["lead_officer"].queryset = officers
        self.fields["assist_officers"].queryset = officers
        if user.department_id:
            self.fields["department"].initial = user.department_id
        own = officers.filter(user=user).first()
        if own is not None:
            self.fields["lead_officer"].initial = own.pk

    def officers(self):
        lead = self.cleaned_data["lead_officer"]
        team = [(lead, OfficerRole.LEAD)]
        team += [(o, OfficerRole.ASSIST) for o in self.cleaned_data["assist_officers"] if o != lead]
        return team

    def party(self):
        d = self.cleaned_data
        return {
            "kind": d["party_kind"], "name": d["party_name"], "id_type": d["party_id_type"],
            "id_number": d["party_id_number"], "legal_representative": d["party_legal_representative"],
            "address": d["party_address"], "phone": d["party_phone"],
        }

    def case_fields(self):
        names = ("title", "matter_type", "source", "procedure", "confidentiality", "start_reason",
                 "summary", "complainant_name", "complainant_contact")
        return {name: self.cleaned_data[name] for name in names}
