import pytest

from lawtrail.testing import Org


@pytest.fixture
def org(db):
    return Org("a")


@pytest.fixture
def other_org(db):
    return Org("b", profile="004")
