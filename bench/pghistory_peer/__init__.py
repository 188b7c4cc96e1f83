"""The peer of bench/ledger.py: the same row, with django-pghistory's trigger-based history
(a PostgreSQL trigger copies each inserted row into an event table in the same transaction)."""
