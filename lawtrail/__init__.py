"""LawTrail 执法全过程记录系统."""

__version__ = "0.1.0"
