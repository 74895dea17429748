"""A test-only app with models that hold an encrypted 個人番号. Installed by jumin.settings.test only."""
