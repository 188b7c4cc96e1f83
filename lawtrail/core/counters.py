from lawtrail.core.models import Counter


def next_number(key):
    """The next number of a series; call inside the writing transaction, after
    `lock_chain()`, so that concurrent writers queue instead of colliding."""
    counter, _ = Counter.objects.select_for_update().get_or_create(key=key)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last
