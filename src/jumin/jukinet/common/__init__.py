"""Message schemas shared by the CS, the prefecture and the national node (pure Python, no Django)."""
