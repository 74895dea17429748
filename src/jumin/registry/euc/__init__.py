"""End-user computing (EUC): free-form extraction over the registry (standard 10.1; docs/euc.md)."""
