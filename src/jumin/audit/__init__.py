"""Append-only, hash-chained audit log of one node (architecture.md §3 rule 5; controls.md logging group)."""
