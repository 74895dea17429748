"""Use cases of the national node: each runs in the caller's (the inbox's or query's) transaction.

* ``identity``: 本人確認情報 updates from prefectures, history, the 150-year purge;
* ``queries``: 本人確認情報 queries by 住民票コード, 個人番号 or 4情報;
* ``numbers``: 住民票コード issuance and 個人番号 generation (N3);
* ``cards``: 個人番号カード管理システム (issue, events, 本人確認, expiry);
* ``consistency``: 整合性確認 against a CS file.
"""
