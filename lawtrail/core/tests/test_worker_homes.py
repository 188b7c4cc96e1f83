"""Under pytest-xdist each worker has its own LAWTRAIL_HOME (settings_test.py): a test that
deletes a stored file or replaces a key cannot take it from under another worker's test."""

from django.conf import settings


def test_each_worker_has_its_own_home(worker_id):
    if worker_id == "master":  # one process: the one home is its own
        return
    assert settings.LAWTRAIL_HOME.name == worker_id
    assert (settings.LAWTRAIL_HOME.parent / worker_id) == settings.LAWTRAIL_HOME
