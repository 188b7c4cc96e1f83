from django.contrib.auth.views import LogoutView
from django.urls import path

from lawtrail.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/steps/<slug:name>/", views.case_step, name="case_step"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/checkpoint/", views.ledger_sign, name="ledger_sign"),
]
