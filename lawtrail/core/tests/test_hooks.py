"""A question a lower part asks is answered once Django has started, by the part above."""

import importlib

import pytest
from django.core.exceptions import ImproperlyConfigured

from lawtrail.core import policy
from lawtrail.core.hooks import Hook
from lawtrail.core.tests.test_layers import package_modules


def test_an_unanswered_hook_says_who_should_answer_it():
    hook = Hook("case_size", "lawtrail.archive")
    with pytest.raises(ImproperlyConfigured, match="lawtrail.archive installs it"):
        hook(1)


def test_an_answered_hook_returns_the_answer():
    hook = Hook("double", "lawtrail.test")
    hook.install(lambda x: 2 * x)
    assert hook(21) == 42


def test_a_hook_takes_one_answer_only():
    hook = Hook("double", "lawtrail.test")
    hook.install(lambda x: 2 * x)
    with pytest.raises(ImproperlyConfigured, match="already answered"):
        hook.install(lambda x: x + x)


def every_hook():
    for module, _ in package_modules():
        loaded = importlib.import_module(module)
        for name, value in vars(loaded).items():
            if isinstance(value, Hook) and value.name == name:
                yield module, name, value


def test_every_hook_is_answered_once_django_has_started():
    found = {f"{module}.{name}": hook.installed for module, name, hook in every_hook()}
    assert {"lawtrail.core.policy.case_for", "lawtrail.cases.workflow.case_file_problem",
            "lawtrail.media.services.disposed_hashes", "lawtrail.rules.facts.holds_and_marks"} <= found.keys()
    assert [name for name, installed in found.items() if not installed] == []


def test_the_policy_hooks_answer_with_the_access_policy():
    from lawtrail.access import policy as answers

    for name, hook in vars(policy).items():
        if isinstance(hook, Hook):
            assert hook._answer is getattr(answers, name)
