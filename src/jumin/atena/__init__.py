"""団体内統合宛名システム (M5): 統合宛名番号, 宛名 data from the registry's outbox, the 宛名連携 feed.

docs/atena.md. Never imports ``jumin.jukinet`` (architecture.md §3 rule 2).
"""
