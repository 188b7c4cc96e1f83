"""Signing in with a user name and password (Django's model backend), with the signed-in
user's agency loaded in the same query: every page shows it in the header and every
policy check reads it."""

from django.contrib.auth.backends import ModelBackend

from lawtrail.org.models import User


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        user = User._default_manager.select_related("agency").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
