import pytest

from lawtrail.testing import Org


@pytest.fixture
def org004(db):
    return Org("r4", profile="004")
