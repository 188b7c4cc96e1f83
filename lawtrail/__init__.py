"""LawTrail 执法全过程记录系统."""
