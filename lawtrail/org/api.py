from ninja import Router, Schema

router = Router(tags=["机构与人员"])


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    role_label: str
    agency: str | None
    department: str | None


@router.get("/me", response=MeOut, summary="当前用户")
def me(request):
    user = request.user
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "role_label": user.get_role_display(),
        "agency": user.agency.name if user.agency_id else None,
        "department": user.department.name if user.department_id else None,
    }
