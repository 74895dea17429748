"""Pure domain rules: no Django, no other Jumin apps (architecture.md §3 rule 1)."""
