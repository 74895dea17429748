"""Japanese texts of the audit screens and refusals (style.md: screens and messages are Japanese)."""

PURPOSE_MISSING = "利用目的（事務）を選択してから操作してください。"
PURPOSE_NOT_A_DUTY = "選択した利用目的は、あなたに割り当てられた事務ではありません。"
REVIEW_ACKNOWLEDGED = "点検結果を記録しました。"
REVIEW_FORBIDDEN = "ログ点検の権限がありません。所属長に権限の付与を申請してください。"
HOLDERS_FORBIDDEN = "権限保有者一覧の閲覧権限がありません。情報主管課長の権限が必要です。"
