"""都道府県: 提供・移転 for other executive bodies and departments, 一括提供, 開示 (system.md F19, F20)."""
