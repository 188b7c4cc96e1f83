"""Witnesses (C2SP tlog-witness): a small service another body runs, which cosigns the
ledger's checkpoints only when each extends the last one it saw, and the system's side
that submits checkpoints to witnesses and keeps their cosignatures."""
