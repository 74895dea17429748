"""Japanese messages of the accounts app. None repeats a typed value (values may be personal data)."""

from __future__ import annotations

INVALID_LOGIN = "職員IDまたはパスワードが正しくありません。入力を確認してください。"
ACCOUNT_LOCKED = (
    "ログインに続けて失敗したため、アカウントをロックしました。"
    "管理者（端末機担当者）に解除を依頼してください。"
)
ACCOUNT_UNUSABLE = "このアカウントは利用できません。管理者に連絡してください。"
FACTOR_INVALID = "確認コードが正しくないか、既に使われています。認証アプリの新しいコードを入力してください。"
WEBAUTHN_INVALID = "認証器による確認に失敗しました。もう一度お試しください。"
CHALLENGE_MISSING = "認証の有効期限が切れたか、既に使われています。もう一度お試しください。"
CREDENTIAL_BOUND = (
    "この認証器は既に別のアカウントに登録されています。認証器は一人一つのアカウントにしか登録できません。"
)
STAFF_FIELDS_MISSING = "職員番号、氏名、職員IDをすべて入力してください。"
STAFF_KIND_INVALID = "職員区分を一覧から選んでください。"
EMPLOYMENT_MISSING = "臨時職員には雇用通知書番号と雇用期間満了日が必要です。"
USERNAME_TAKEN = "この職員IDは既に使われています。別の職員IDを指定してください。"
SECOND_ACCOUNT = "この職員には有効なアカウントが既にあります。一人に二つ目のアカウントは作れません。"
NOT_LOCKED = "このアカウントはロックされていません。"
NO_SUCH_ACCOUNT = "対象のアカウントが見つからないか、利用停止されています。"
OLD_PASSWORD_WRONG = "現在のパスワードが正しくありません。"  # noqa: S105 (a message, not a password)
TERMINAL_ID_INVALID = "端末IDは64文字以内の半角英数字で、名称とともに入力してください。"
TERMINAL_CODE_INVALID = (
    "端末IDまたは登録コードが正しくないか、有効期限が切れています。管理者に再発行を依頼してください。"
)
TERMINAL_UNREGISTERED = "この端末は登録されていません。端末機担当者に端末登録を依頼してください。"
SESSION_INVALID = "セッションが無効です。もう一度ログインしてください。"
TERMINAL_CHANGED = "端末が変わったため、セッションを終了しました。もう一度ログインしてください。"
IDLE_LOCKED = "一定時間操作がなかったため画面をロックしました。第二認証で再開してください。"
POLLING_STOPPED = "画面がロックされたため自動更新を止めました。画面を操作して第二認証で再開してください。"
SECOND_FACTOR_REQUIRED = "第二認証が必要です。"
ENROL_REQUIRED = "業務を始める前に、第二認証（認証器または認証アプリ）を登録してください。"
ACCOUNT_STOPPED = "このアカウントは利用できなくなりました（異動・休職・退職、または契約の終了）。"
GRANT_DUTY_UNKNOWN = "事務を一覧から選んでください。"
GRANT_EXTRA_INVALID = "個別に付与できるのは項目表示権限だけです。"
GRANT_PERIOD_INVALID = (
    "権限の期間が正しくありません。終了日は開始日以降で、今年度末（3月31日）までにしてください。"
)
GRANT_EMPLOYMENT_END = "臨時職員の権限は雇用通知書の雇用期間を超えられません。"
GRANT_CONTRACT_END = (
    "委託先従事者の権限は、有効な契約の従事者名簿に記載があり、契約期間内である必要があります。"
)
GRANT_TRAINING_MISSING = "本年度の情報セキュリティ研修と操作研修の修了記録がないため、権限を付与できません。"
GRANT_GRANTEE_UNUSABLE = "対象のアカウントは利用できないため、権限を付与できません。"
GRANT_SELF_APPROVAL = "自分が申請した権限付与を自分で承認することはできません。"
GRANT_NOT_PENDING = "この申請は既に決裁済みか、存在しません。"
HR_KIND_INVALID = "人事異動の種別を一覧から選んでください。"
NO_SUCH_PERSON = "対象の職員が見つかりません。"
TRAINING_INVALID = "研修の種別、年度、修了日を正しく入力してください。"
CONTRACT_INVALID = "契約番号、委託先、契約期間と従事者名簿（一人以上）を入力してください。"
ROSTER_ENTRY_MISSING = "この従事者は契約の従事者名簿に記載されていません。"
APPROVAL_INVALID = "種別、範囲、上限件数（1以上）を入力してください。媒体出力では登録媒体も選んでください。"
APPROVAL_SELF = "自分の申請を自分で承認することはできません。"
APPROVAL_NOT_PENDING = "この申請は既に決裁済みか、存在しません。"
APPROVAL_NOT_USABLE = "承認済みで未使用の、本人による申請が必要です。"
APPROVAL_COUNT_EXCEEDED = "承認された上限件数を超えています。"
APPROVAL_REQUIRED = "大量出力（100人を超える出力）には管理責任者の事前承認が必要です。"
MEDIUM_INVALID = "登録済みで暗号化された有効な媒体で、承認された媒体と同じものを使ってください。"
MEDIUM_FIELDS_INVALID = (
    "媒体ID（40文字以内）と名称を入力してください。暗号化されていない媒体は登録できません。"
)
FILE_HASH_INVALID = "ファイルハッシュ（SHA-256、16進64文字）を入力してください。"
TOTP_UNREADABLE = (
    "認証アプリの登録情報を読み取れません（暗号鍵の不一致）。"
    "端末機担当者に連絡し、認証器で本人確認のうえ認証アプリを登録し直してください。"
)
BIOMETRIC_ONLY = (
    "この端末（CS端末）では、本人確認（生体認証）付きの認証器でのみログインできます。"
    "確認コードやパスワードだけの認証は使えません。"
)
BIOMETRIC_NOT_ENROLLED = (
    "この端末（CS端末）では生体認証付きの認証器が必要ですが、登録されていません。"
    "通常の端末で認証器を登録してから利用してください。"
)
NO_SUCH_TERMINAL = "指定した端末IDの端末は登録されていません。端末管理の一覧で端末IDを確認してください。"
APPROVAL_SAME_APPROVER = (
    "同じ人が二つの段階を承認することはできません。"
    "次の段階は別の承認者（情報主管課長など）が決裁してください。"
)
MEDIA_CHECK_NOT_OPEN = "この媒体出力の使用後点検は存在しないか、既に記録済みです。"
SSO_REFUSED = (
    "シングルサインオンで通知された職員IDのアカウントは、この端末では利用できません"
    "（未登録、利用停止、ロック、または期間外）。端末機担当者に連絡してください。"
)
SSO_ENDED = "シングルサインオンの認証が切れたため、セッションを終了しました。もう一度ログインしてください。"
UNIT_INACTIVE = "この部署は登録されていないか、廃止されています。部署コードを確認してください。"
UNIT_FIELDS_INVALID = "部署コード（20文字以内の半角英数字）と名称を入力してください。"
UNIT_CODE_TAKEN = "この部署コードは既に使われています。別の部署コードを指定してください。"
UNIT_DUTY_ROLE = (
    "部署に付与できるのは事務だけです。"
    "役割（所属長・情報主管課長など）と特定個人情報アクセスは個人に付与してください。"
)
MEMBERSHIP_INVALID = "所属開始日と所属終了日を正しく入力してください（終了日は開始日以降）。"
MEMBERSHIP_MISSING = "この職員は指定した部署に所属していないか、所属は既に終了しています。"
MEMBERSHIP_EXISTS = "この職員は既にこの部署に所属しています。"
UNIT_SELF_APPROVAL = "自分が所属する部署への権限付与は、自分で承認できません。"
