"""Which models the ledger vouches for, and how their content is hashed.

A model decorated with `@ledgered` has every write recorded with the SHA-256 of
its snapshot, and `lawtrail verify` re-hashes every row against its last entry.
"""

from lawtrail.core.canonical import content_hash

_MODELS = {}


def ledgered(exclude=(), blobs=()):
    """`blobs` names the fields that hold the SHA-256 of a stored file; `verify` re-hashes them."""

    def register(model):
        model.ledger_exclude = frozenset(exclude)
        model.ledger_blobs = tuple(blobs)
        _MODELS[model._meta.label_lower] = model
        return model

    return register


def ledgered_models():
    return dict(_MODELS)


def object_type(obj):
    return obj._meta.label_lower


def snapshot(obj):
    """The object's content as hashed: its concrete fields, foreign keys as ids."""
    return {
        field.attname: field.value_from_object(obj)
        for field in obj._meta.concrete_fields
        if field.attname not in obj.ledger_exclude and field.name not in obj.ledger_exclude
    }


def object_hash(obj):
    return content_hash(snapshot(obj))
