"""On-screen help per clerk screen (standard 10.5-a): one entry per URL name, shown by 「ヘルプ」 / F1.

Each entry gives the screen's title and purpose; the inputs are the labels of the screen's form (read
from the page, so they never drift from the form), and the errors and keyboard text are shared unless a
screen says more. The manuals (docs/operations.md, docs/workflows/) stay the long form.
"""

from __future__ import annotations

from dataclasses import dataclass

COMMON_ERRORS = (
    "入力に誤りがあると、項目名・理由・対処を画面の上と項目の横に表示し、何も登録しません。"
    "警告は内容を確認し、「確認した」に印を付けてから、もう一度送信してください。"
)
COMMON_KEYS = (
    "Tab / Shift+Tab で項目を移動、Enter で送信、Space で印の切替えができます。"
    "F1 でこのヘルプを開閉し、Esc で閉じます。"
)
DRAFT = "入力は仮登録となり、別の職員が確認して本登録するまで反映されません。"
POST_ONLY = "宛名番号などは画面の入力欄から送信し、URL には載りません。照会は記録されます。"


@dataclass(frozen=True)
class HelpEntry:
    """The help of one screen: what it is for, its own error or key notes beyond the shared ones."""

    title: str
    purpose: str
    errors: str = COMMON_ERRORS
    keys: str = COMMON_KEYS


def _e(title: str, purpose: str, errors: str = COMMON_ERRORS) -> HelpEntry:
    return HelpEntry(title=title, purpose=purpose, errors=errors)


# URL names that are not screens: JSON endpoints, htmx fragments and POST actions that send the clerk
# back to the screen they came from (that screen's help covers them).
NOT_SCREENS = frozenset(
    {
        "web:webauthn_auth_options",
        "web:webauthn_auth_verify",
        "web:webauthn_register_options",
        "web:webauthn_register_verify",
        "web:api_hr_event",
        "web:api_grant_import",
        "web:api_grant_export",
        "web:api_effective_rights",
        "web:grant_export",
        "web:staff_export",
        "web:logout",
        "web:screen_hardcopy",
        "audit:export",
        "registry:move_in_rows",
        "registry:move_out_destination_picker",
        "registry:address_picker",
    }
)

HELP: dict[str, HelpEntry] = {
    # 監査
    "audit:review": _e(
        "監査ログの点検",
        "前日の検出事項（夜間・休日の操作、ログイン失敗、大量検索）を点検し、点検済みを記録します。",
    ),
    "audit:holders": _e(
        "権限保有者の点検", "権限ごとの保有者と各アカウントの認証手段を一覧し、点検済みを記録します。"
    ),
    "audit:search": _e(
        "監査ログの検索・抽出",
        "期間・操作者・操作・対象の種類・端末・利用目的で監査ログを検索し、結果を CSV で取り出します。"
        "検索と取り出しも記録されます。",
    ),
    "audit:retention": _e(
        "監査ログの保存期間",
        "監査ログの保存期間（年）を設定し、期間を過ぎた記録の範囲を確かめます。記録は削除されません。",
    ),
    # 証明書
    "certificates:menu": _e("証明書メニュー", "証明書・通知書の各画面へ進みます。"),
    "certificates:issue": _e(
        "住民票の写し等の交付",
        "請求者・本人確認・記載事項を入力し、「確認」で記載する方と警告を確かめてから「交付」します。"
        "請求者の宛名番号または生年月日を入力すると、支援措置の加害者照合を行います。"
        "出力先（PDF・プリンタとトレイ）は端末の印刷設定に従い、交付履歴に記録されます。",
    ),
    "certificates:kiosk_tallies": _e(
        "コンビニ交付の日計表・月計表",
        "証明書交付センターから届いた日計表・月計表を交付履歴と照合し、差異のある発行番号を一覧します。",
    ),
    "certificates:verify": _e("証明書の検証", "PDF を読み込み、電子署名と発行番号を交付履歴と照合します。"),
    "certificates:void": _e(
        "誤交付・廃棄の記録", "誤って交付した証明書や廃棄した用紙を発行番号で記録します。"
    ),
    "certificates:history": _e("交付履歴の照会", "一人の方の交付履歴を表示します。" + POST_ONLY),
    "certificates:generations": _e(
        "改製原住民票の世代", "一人の方の原住民票の世代と期間を表示します。" + POST_ONLY
    ),
    "certificates:self_notification": _e("本人通知の登録・廃止", "本人通知制度の登録と廃止を受け付けます。"),
    "certificates:notices": _e("本人通知の送付一覧", "送付する本人通知の一覧を表示し、通知書を作成します。"),
    "certificates:registry_notice": _e(
        "通知書の作成", "住民票コード通知票、職権記載等通知書、職権記録書、世帯主変更依頼通知を作成します。"
    ),
    "certificates:change_code_notice": _e(
        "変更後の住民票コード通知", "本登録した異動の住民票コード通知票を作成します。"
    ),
    "certificates:move_out_at_commit": _e(
        "転出証明書の交付（本登録から）",
        "本登録した転出の転出証明書（届出期間を過ぎた届出は転出証明書に準ずる証明書又は除票の写し）を、"
        "請求者区分と本人確認を入力して交付します。交付履歴に本登録の異動番号とともに記録されます。",
    ),
    "certificates:move_in_notice_inquiry": _e(
        "転入通知未着照会書", "未着者一覧で選んだ方の照会書を作成します。"
    ),
    "certificates:card_forms": _e(
        "カード関係の様式", "個人番号カードの交付申請書・再交付申請書を作成します。"
    ),
    "certificates:card_face_setting": _e(
        "券面印字の調整", "端末または庁舎ごとに券面印字の大きさと位置を調整します。"
    ),
    "certificates:settings": _e(
        "証明書の設定",
        "住民票の写し・除票の写し・記載事項証明書・除票記載事項証明書ごとに、請求で特に指定がないときの記載事項"
        "（既定値）を設定します。個人番号は確認したうえでなければ「記載する」を既定値にできません。公印の下に記載する"
        "定型文言と、証明書専用・券面記載用の電子公印（25mm以下、黒。券面記載用は赤も可）も登録します。以前の設定は"
        "履歴に残ります。",
    ),
    "certificates:print_setting": _e(
        "端末の印刷設定",
        "端末ごとにプリンタ名・トレイ・既定の出力先（PDF または紙）を設定します。紙の端末では交付した証明書が"
        "印刷用に開きます。使ったプリンタ・トレイ・出力先は交付履歴に記録されます。",
    ),
    "certificates:support_end_notices": _e(
        "支援措置期間終了通知", "期間終了予定の支援措置の通知をまとめて作成します。"
    ),
    # 統合端末（CS）
    "jukinet_cs:index": _e("統合端末メニュー", "住基ネットの各業務へ進みます（個人情報は表示しません）。"),
    "jukinet_cs:search": _e(
        "本人確認情報検索", "CS の本人確認情報を検索し、必要なら都道府県・機構に照会します。"
    ),
    "jukinet_cs:card_verify": _e(
        "カードによる本人確認", "カードを読み取り、ご本人に暗証番号を入力していただきます。"
    ),
    "jukinet_cs:card_events": _e(
        "カードの運用状況の送信", "一時停止・解除・廃止・返還・回収を個人番号カード管理システムへ送ります。"
    ),
    "jukinet_cs:wide_area": _e(
        "広域交付", "カードで本人を確認し、住所地市町村から住民票の写しを受けて印刷します。"
    ),
    "jukinet_cs:wide_area_document": _e(
        "広域交付（カードなし）", "本人確認書類と4情報で本人を特定して広域交付します。"
    ),
    "jukinet_cs:wide_area_records": _e(
        "広域交付の交付記録", "この端末で交付した広域交付の記録を日付で表示します。"
    ),
    "jukinet_cs:consistency": _e(
        "整合性確認", "CS と住民記録の整合性確認を実行し、実行結果の件数を一覧します。"
    ),
    "jukinet_cs:consistency_run": _e(
        "整合性確認の差異一覧", "一回の整合性確認で見つかった差異を表示します。"
    ),
    "jukinet_cs:worklist": _e(
        "返却エラー・送信待ち一覧", "返却エラー、送信待ち、CS 未連携の一覧を表示し、送信します。"
    ),
    "jukinet_cs:sending_addresses": _e(
        "送付先情報一覧", "送付先情報の状態別件数と送信履歴を表示し、返却分を再送します。"
    ),
    "jukinet_cs:move_out_certificates": _e(
        "特例転入（転出証明書情報）", "保管中の転出証明書情報とカードで本人を確認し、送信依頼します。"
    ),
    "jukinet_cs:provision_status": _e(
        "本人確認情報の提供状況", "一人の方について、この CS が行った提供を表示します。" + POST_ONLY
    ),
    "jukinet_cs:fuhyo_notices": _e(
        "戸籍附票記載事項通知の受信一覧",
        "本籍地として受信した戸籍附票記載事項通知を処理状況・受信日で絞り込んで表示し、詳細を見て、"
        "戸籍の附票に記載したら処理済みにします（附票連携の権限が必要）。" + POST_ONLY,
    ),
    # 全国・都道府県・提供
    "jukinet_national:overview": _e(
        "全国サーバの監視", "全国サーバの件数を表示します（個人情報は表示しません）。"
    ),
    "jukinet_national:card_lookup": _e("カードの照会", "カードのシリアル番号で一枚のカードを照会します。"),
    "jukinet_national:fuhyo_lookup": _e(
        "附票の照会", "住民票コードで一人の方の附票を照会します。" + POST_ONLY
    ),
    "jukinet_national:provision_status": _e(
        "本人確認情報の提供状況", "一人の方への提供状況を表示します。" + POST_ONLY
    ),
    "jukinet_prefecture:monitor": _e(
        "更新監視", "市町村ごとの当日の更新件数、拒否された更新とその理由を表示します。"
    ),
    "jukinet_prefecture:statistics": _e("更新件数統計", "選んだ年の市町村別・月別の更新件数を表示します。"),
    "jukinet_prefecture:fuhyo_search": _e(
        "附票の検索", "都道府県の附票ファイルを検索し、必要なら附票全国サーバに照会します。"
    ),
    "jukinet_prefecture:fuhyo_numbers": _e(
        "附票 個人番号一時保管", "国外転出者の個人番号を一時保管領域に取得し、保管中のものを一覧します。"
    ),
    "jukinet_prefecture:confirm_delivery": _e(
        "引渡し確認", "引き渡した個人番号を一時保管領域から直ちに削除します。"
    ),
    "jukinet_provision:terminal": _e(
        "業務端末", "事務を選び、住民票コード・個人番号・4情報で検索し、提供できる項目を表示します。"
    ),
    "jukinet_provision:bulk": _e(
        "代表端末（一括提供）", "承認済みの媒体出力のもとで条件一覧を実行し、結果ファイルを出力します。"
    ),
    "jukinet_provision:disclosure": _e(
        "開示請求", "書面の開示請求を受け付け、様式を印刷し、訂正とその結果を記録します。"
    ),
    "jukinet_provision:provision_status": _e(
        "本人確認情報の提供状況", "開示担当が一人の方への提供状況を表示します。" + POST_ONLY
    ),
    "jukinet_provision:register": _e(
        "提供先の登録", "提供先の機関、事務、提供項目、操作者の割当てを登録します。"
    ),
    "jukinet_provision:statistics": _e(
        "提供件数の統計", "提供先・事務・月ごとの提供件数（拒否を含む）を表示します。"
    ),
    # 連携
    "atena:status": _e(
        "宛名連携の状況",
        "住民記録の登録イベントを団体内統合宛名システムへ適用した状況（最後に適用したイベント、遅れ、"
        "保留中のイベントと対処）を表示します。「今すぐ連携」で連携を依頼できます（連携運用事務）。",
    ),
    "messaging:monitor": _e(
        "連携の監視", "相手ノードごとの送信待ち、欠番待ち、保留、最終成功時刻を表示します。"
    ),
    "messaging:resolve": _e("保留電文の処理", "保留された電文を再送するか、取り下げます。"),
    # 住民記録
    "registry:menu": _e(
        "住民記録メニュー", "住民記録の各画面へ進みます。住民票コードの残りが少ないと警告を表示します。"
    ),
    "registry:euc": _e(
        "EUC抽出",
        "抽出する項目・条件・並び順・出力形式を順に選び、抽出を依頼します。条件はグループ（A・B）に"
        "まとめると「かつ」「または」を組み合わせられます。集計では件数・合計・平均と基準日の年齢を出せます。"
        "抽出は裏で実行され、結果は「抽出結果」から受け取ります。個人番号は抽出できません。",
    ),
    "registry:euc_results": _e(
        "EUC抽出結果",
        "自分が依頼した抽出の状態を確かめ、できあがったファイルを受け取ります。受け取りは記録されます。",
    ),
    "registry:fuhyo_notices": _e(
        "戸籍附票記載事項通知の一覧",
        "送信待ち・送信済み・本籍地がこの市町村の通知を一覧し、送信待ちの通知を再送信します。" + POST_ONLY,
    ),
    "registry:lookup": _e(
        "住民票照会", "利用目的と宛名番号を入力し、一人の方の現在の記録を表示します。" + POST_ONLY
    ),
    "registry:search": _e(
        "住民検索", "フリガナ・氏名・生年月日などの条件で検索します。結果の行から照会へ進みます。" + POST_ONLY
    ),
    "registry:search_history": _e("検索履歴", "ご自分の検索条件の履歴から再検索します。"),
    "registry:timeline": _e(
        "異動履歴の照会", "一人の方の異動の履歴（旧氏・通称の履歴を含む）を表示します。" + POST_ONLY
    ),
    "registry:glyphs": _e(
        "文字の拡大表示", "氏名の一文字ずつを拡大し、符号位置（異体字を含む）を表示します。"
    ),
    "registry:memos": _e(
        "メモ", "一人の方のメモを表示・追加・変更・削除します。メモは証明書に印字されません。"
    ),
    "registry:notes": _e("統合記載欄", "一人の方の記載欄（A・B・C）を表示し、追加または終了します。"),
    "registry:input_help": _e(
        "入力補助", "郵便番号、住所の読み、和暦、外字、方書の入力補助を一画面で使えます。"
    ),
    "registry:input_help_postal": _e("郵便番号から住所", "郵便番号を入力すると住所の候補を表示します。"),
    "registry:input_help_kana": _e("読みから住所", "住所の読みの先頭を入力すると住所の候補を表示します。"),
    "registry:input_help_date": _e(
        "和暦の入力補助", "入力した日付が和暦・西暦でどう読まれるかを表示します。"
    ),
    "registry:input_help_glyph": _e(
        "外字入力補助", "符号位置または漢字から、文字と異体字の候補を表示します。"
    ),
    "registry:input_help_katagaki": _e(
        "方書の候補", "地番までの住所から、マスタに登録された方書の候補を表示します。"
    ),
    "registry:move_in": _e("転入届の入力", "転入する世帯員と住所を入力します。" + DRAFT),
    "registry:notification_csv_import": _e(
        "届出 CSV の取込", "届出の CSV を読み込み、届出ごとに仮登録します。拒否した行は行番号と列で示します。"
    ),
    "registry:item_import": _e(
        "証明書交付申請・券面事項の取込",
        "証明書交付申請または券面事項の CSV を読み込み、1行ずつ確認待ちにします。"
        "誤りのある行があれば何も取り込みません。",
    ),
    "registry:item_review": _e(
        "取込データの確認",
        "取り込んだ証明書交付申請・券面事項を確認し、確認済または不受理（理由つき）にします。",
    ),
    "registry:special_move_in": _e("特例転入の入力", "保管中の転出証明書情報から転入を入力します。" + DRAFT),
    "registry:move_out": _e("転出届の入力", "転出する方と転出先・転出予定日を入力します。" + DRAFT),
    "registry:death": _e("死亡の入力", "戸籍の届出に基づき死亡を職権で入力します。" + DRAFT),
    "registry:birth": _e("出生の入力", "戸籍の届出に基づき出生を職権で入力します。" + DRAFT),
    "registry:disappearance": _e("失踪の入力", "失踪宣告による職権消除を入力します。" + DRAFT),
    "registry:disappearance_revocation": _e(
        "失踪宣告の取消し", "失踪宣告の取消しによる職権記載を入力します。" + DRAFT
    ),
    "registry:honseki_notice": _e(
        "本籍・筆頭者の職権修正", "法9条2項通知により本籍・筆頭者を修正します。" + DRAFT
    ),
    "registry:reorganisation": _e("改製", "住民票の改製を入力します（手動のみ）。" + DRAFT),
    "registry:restoration": _e("再製", "滅失・き損した住民票を資料から再製します。" + DRAFT),
    "registry:move_within": _e("転居届の入力", "市内での住所の変更を入力します。" + DRAFT),
    "registry:household_change": _e(
        "世帯変更届の入力", "世帯主変更・世帯分離・世帯合併・世帯変更を入力します。" + DRAFT
    ),
    "registry:household_inquiry": _e(
        "世帯照会", "世帯番号で世帯員と、世帯を離れた方（日付・事由）を表示します。" + POST_ONLY
    ),
    "registry:headless_households": _e(
        "世帯主変更依頼 対象者一覧", "世帯主のいない世帯と、依頼通知を送る世帯員を一覧します。"
    ),
    "registry:cancellation": _e(
        "異動の取消し", "一人の方の履歴から取り消す異動を選び、取消しを入力します。" + DRAFT
    ),
    "registry:ex_officio_recording": _e("職権記載", "職権記録書とともに一人の方を職権で記載します。" + DRAFT),
    "registry:ex_officio_removal": _e("職権消除", "職権記録書とともに職権で消除します。" + DRAFT),
    "registry:ex_officio_correction": _e(
        "職権修正", "職権修正・軽微な修正・誤記修正を入力します。誤った履歴も残ります。" + DRAFT
    ),
    "registry:removed_record_note": _e("除票の誤記訂正", "除票の誤記と正しい記載を記載欄（B）に記録します。"),
    "registry:naturalisation": _e("帰化・国籍取得", "外国人住民の記録を日本人住民の記録にします。" + DRAFT),
    "registry:loss_of_nationality": _e("国籍喪失", "日本人住民の記録を外国人住民の記録にします。" + DRAFT),
    "registry:foreign_registration": _e(
        "法30条の46・47の届出", "外国人住民の住居地の届出を入力します。" + DRAFT
    ),
    "registry:immigration_notices": _e(
        "法30条の50通知の取込", "通知ファイルを読み込み、確認票で一人ずつ確かめて仮登録します。"
    ),
    "registry:received_immigration_notices": _e(
        "受信した法30条の50通知", "受信した通知を一覧し、確認票を表示して取り込みます。"
    ),
    "registry:e_applications": _e(
        "電子申請（転出届）",
        "マイナポータルから届いた転出届を審査し、転出を仮登録するか、理由を付けて不受理にします。",
    ),
    "registry:certificate_revocations": _e(
        "電子証明書の失効申請",
        "個人番号カードの署名用・利用者証明用電子証明書の失効申請を記録して機構へ送り、結果と記録を表示します。",
    ),
    "registry:move_in_plans": _e(
        "転入予定（引越しワンストップ）",
        "転出元から届いた転入予定連絡を一覧します。転入の準備に使い、転入の本登録か予定日の30日後に閉じます。",
    ),
    "registry:municipality_notices": _e(
        "市町村通知", "送る通知の対象者一覧、ファイル作成、再送、結果を扱います。"
    ),
    "registry:former_surname": _e(
        "旧氏の記載・変更・削除", "請求に基づき旧氏を記載・変更・削除します。" + DRAFT
    ),
    "registry:resident_code_change": _e(
        "住民票コードの変更", "請求または職権で住民票コードを変更します。" + DRAFT
    ),
    "registry:resident_code_correction": _e("住民票コードの修正", "職権で住民票コードを修正します。" + DRAFT),
    "registry:individual_number_change": _e(
        "個人番号の変更", "請求または職権で個人番号を変更します（特定個人情報アクセス権限が必要）。" + DRAFT
    ),
    "registry:alias": _e(
        "通称の記載・削除",
        "申出に基づき通称を記載・削除します。「履歴を表示」で通称の履歴を見られます。" + DRAFT,
    ),
    "registry:special_permanent_certificate": _e(
        "特別永住者証明書の交付・再交付・更新・返納",
        "交付した特別永住者証明書の番号と有効期間の満了日（証明書で変わった国籍・地域、氏名（ローマ字））を"
        "職権修正で記載します。返納は記載事項を変えずに返納日と番号を記録します。" + DRAFT,
    ),
    "registry:restrictions": _e(
        "抑止・支援措置の照会", "一人の方の抑止、一時解除、支援措置を表示します。" + POST_ONLY
    ),
    "registry:suppression_set": _e(
        "抑止の設定", "個人または世帯に、異動入力・証明書発行・照会の抑止を設定します。"
    ),
    "registry:suppression_lift": _e("抑止の解除", "抑止を解除します。解除した職員・日時・理由が残ります。"),
    "registry:restriction_release": _e(
        "一時解除", "抑止を一時的に解除します。設定した時間が過ぎると自動で元に戻ります。"
    ),
    "registry:support_new": _e(
        "支援措置の受付", "申出者、併せて支援を求める者、加害者、対象事務、期間を入力します。"
    ),
    "registry:support_ending": _e("期間終了予定一覧", "期間の終了が近い支援措置を一覧し、通知を作成します。"),
    "registry:support_perpetrator_check": _e(
        "加害者照合", "請求者が支援措置の加害者として登録されていないか照合します。"
    ),
    "registry:support_incoming": _e(
        "転出元からの支援措置の連絡",
        "転出元の市町村から受けた支援措置の連絡を表示します。対象者が住民になると仮支援措置が自動で登録されます。",
    ),
    "registry:support_perpetrator": _e(
        "加害者の登録・修正", "加害者を登録し、または修正します（旧い内容は履歴に残ります）。"
    ),
    "registry:support_forwarding": _e(
        "転送情報の登録", "支援措置の転出先・転入元の市町村と日付を登録します。"
    ),
    "registry:support_forwarding_resend": _e(
        "転送情報の再送", "未連絡の転送情報を、連携先となった転入先の市町村へ送信します。"
    ),
    "registry:restriction_cs_marks": _e(
        "抑止マーク照合", "CS の抑止マークと、住民記録の発行抑止を照合します。"
    ),
    "registry:cs_comparison": _e("CS との照合", "CS の本人確認情報と住民記録を照合した結果を表示します。"),
    "registry:restriction_suppressed": _e("抑止対象者一覧", "本日抑止が掛かっているすべての方を一覧します。"),
    "registry:support_detail": _e(
        "支援措置の詳細", "支援措置の内容を表示し、開始・延長・終了日の修正・終了を行います。"
    ),
    "registry:drafts": _e("確認待ち一覧", "他の職員が入力した仮登録を一覧します（氏名は表示しません）。"),
    "registry:draft": _e(
        "異動の確認",
        "「内容を表示」で仮登録の内容を確かめ、本登録または破棄します。入力した本人は本登録できません。",
    ),
    "registry:review": _e("確認待ち一覧（審査）", "条件で仮登録を絞り込み、選んだものの確認画面へ進みます。"),
    "registry:review_confirm": _e("確認画面", "選んだ仮登録が何を変えるかを本登録の前に表示します。"),
    "registry:review_commit": _e("一括本登録", "確認した仮登録を一件ずつ本登録し、結果を表示します。"),
    "registry:review_locks": _e(
        "排他ロック一覧", "住民ごとの排他ロックを一覧し、残ったロックを理由を付けて解除します。"
    ),
    "registry:review_events": _e("登録イベント一覧", "CS・宛名・他市町村へ送る登録イベントを一覧します。"),
    "registry:move_in_notice": _e("転入通知の受理", "転入通知を受けて転出を確定します。" + DRAFT),
    "registry:move_in_notice_import": _e(
        "転入通知の取込", "CS 経由で受けた転入通知を転出確定の仮登録として取り込みます。"
    ),
    "registry:move_in_notice_errors": _e(
        "転入通知 取込エラー一覧", "取り込めなかった転入通知と理由を一覧し、再取込みします。"
    ),
    "registry:missing_notices": _e("転入通知の未着者一覧", "転入通知が届いていない転出者を一覧します。"),
    "registry:number_requests": _e(
        "個人番号の生成・変更要求一覧",
        "個人番号の生成・変更要求を一覧します。番号は権限のある方にだけ表示します。",
    ),
    "registry:renewal_targets": _e("更新対象者一覧の突合", "CS の一覧と住民記録を突合し、居所を記録します。"),
    "registry:programs": _e(
        "資格の照会", "一人の方の資格（国保・年金等）の現在と履歴を表示します。" + POST_ONLY
    ),
    "registry:program_record": _e(
        "資格の記録", "制度を所管する課が資格を設定・解除します（履歴は残ります）。"
    ),
    "registry:cards": _e(
        "カードの状況の照会",
        "個人番号カード・住基カードの状況を表示します。個人番号は求めたときだけ表示し、記録します。",
    ),
    "registry:card_record": _e(
        "カードの状況の記録", "交付・一時停止・停止解除・廃止・返納・期限切れを記録します。"
    ),
    "registry:daily_batch": _e(
        "日次バッチ", "期限を過ぎた転出予定の一覧を表示し、本日のバッチを手動で実行します。"
    ),
    "registry:removed_archive_batch": _e(
        "除票データベース", "除票の移動と150年経過の削除の対象を確かめ、実行します。"
    ),
    # 共通・管理
    "web:home": _e("メニュー", "この職員が開ける画面へのリンクを表示します。"),
    "web:login": _e(
        "ログイン",
        "職員IDとパスワードを入力します。続いて二要素目の認証に進みます。",
        "IDまたはパスワードが誤っていると、理由を示さずにお知らせします。5回続けて誤るとロックされます。",
    ),
    "web:verify": _e(
        "二要素目の認証", "認証アプリのコードまたはセキュリティキーで本人であることを確かめます。"
    ),
    "web:enrol": _e(
        "認証手段の登録",
        "認証アプリ（TOTP）またはセキュリティキーを登録します。登録するまで業務はできません。",
    ),
    "web:password_change": _e("パスワードの変更", "現在のパスワードと新しいパスワードを入力します。"),
    "web:terminal_enrol": _e(
        "端末の登録", "管理者が発行した端末IDと一回限りのコードを入力し、この端末を登録します。"
    ),
    "web:staff": _e(
        "職員とアカウント",
        "職員とアカウント、ロックの状態を一覧し、登録・ロック解除・パスワード再設定を行います。",
    ),
    "web:staff_create": _e(
        "職員の登録", "職員とそのアカウントを登録します。初期パスワードは一度だけ表示されます。"
    ),
    "web:staff_unlock": _e("ロック解除", "ロックされたアカウントを解除します。"),
    "web:staff_password_reset": _e(
        "パスワードの再設定", "パスワードを再設定します。新しいパスワードは一度だけ表示されます。"
    ),
    "web:terminals": _e(
        "端末の管理",
        "登録済みの端末と、その印刷設定（プリンタ・トレイ・既定の出力先）を一覧し、端末を登録します。",
    ),
    "web:terminal_register": _e(
        "端末の登録", "端末を登録します。一回限りの登録コードは一度だけ表示されます。"
    ),
    "web:terminal_biometric": _e(
        "CS 端末の指定", "端末を CS 端末（生体認証のみ）に指定し、または解除します。"
    ),
    "web:terminal_place": _e("端末の入力場所", "端末が属する入力場所を設定します。"),
    "web:input_places": _e("入力場所", "入力場所の一覧と登録フォームです。"),
    "web:input_place_register": _e(
        "入力場所の登録", "入力場所を登録し、または既存の場所の新しい行を登録します。"
    ),
    "web:input_place_end": _e("入力場所の終了", "入力場所の行を指定日で終了します。"),
    "web:address_lots": _e(
        "地番・方書マスタ", "町字ごとの地番と方書を一覧し、登録します（個人情報はありません）。"
    ),
    "web:address_lot_action": _e("地番・方書の登録・終了", "地番または方書を登録し、または終了します。"),
    "web:grants": _e("権限の管理", "申請中の権限付与と、権限の管理簿を表示します。"),
    "web:grant_apply": _e("権限付与の申請", "所属長が職員への権限付与を申請します。"),
    "web:grant_reapply": _e("権限の再申請", "新年度に、前年度の権限を再申請します。"),
    "web:grant_decide": _e(
        "権限付与の承認", "情報主管課長が申請を承認または却下します（申請者と承認者は別の方です）。"
    ),
    "web:grant_reconciliation": _e("操作者個別状況一覧表", "職員ごとの状況と有効な権限を突き合わせます。"),
    "web:effective_rights": _e(
        "有効な権限と付与元",
        "職員番号を入力し、その職員が今日持つ権限と、個人付与・部署付与の別を表示します。",
    ),
    "web:grant_import": _e(
        "権限の一括登録（CSV）",
        "CSV ファイルの付与を「確認」で行ごとに点検し、「登録」ですべての行を付与申請にします。"
        "一行でも誤りがあれば一件も登録しません。承認は情報主管課長が行います。",
        "誤りは行番号・項目・理由・対処を一覧で表示し、何も登録しません。",
    ),
    "web:staff_import": _e(
        "職員の一括登録（CSV）",
        "CSV ファイルの職員・アカウント・部署の所属を「確認」で行ごとに点検し、"
        "「登録」ですべての行を登録します。一行でも誤りがあれば一件も登録しません。パスワードは設定しません。",
        "誤りは行番号・項目・理由・対処を一覧で表示し、何も登録しません。",
    ),
    "web:units": _e("部署と所属", "部署、所属する職員、部署への権限付与を一覧し、登録します。"),
    "web:unit_register": _e("部署の登録", "部署コードと名称で部署を登録します。"),
    "web:unit_member": _e("所属の登録・終了", "職員の所属を開始日から登録し、または直ちに終了します。"),
    "web:unit_grant_apply": _e("部署への権限付与の申請", "所属長が部署への事務の付与を申請します。"),
    "web:personnel": _e("人事の記録", "異動・休職・退職・復職と研修の受講を記録します。"),
    "web:hr_event_record": _e("人事異動の記録", "人事異動を記録します。その職員の権限は直ちに失効します。"),
    "web:training_record": _e("研修受講の記録", "研修の受講を記録します。"),
    "web:contracts": _e("委託契約", "委託契約と従事者名簿を一覧します。"),
    "web:contract_register": _e("委託契約の登録", "契約と従事者名簿を登録します。"),
    "web:roster_remove": _e("従事者の削除", "従事者を名簿から外します。その日のうちに利用できなくなります。"),
    "web:approvals": _e("出力の承認", "大量出力・媒体出力の申請、登録済み媒体、出力の記録を一覧します。"),
    "web:approval_request": _e("出力の申請", "大量出力または媒体出力を、範囲と上限件数を付けて申請します。"),
    "web:approval_decide": _e("出力申請の決裁", "申請の次の段階を決裁します。"),
    "web:media_output": _e("媒体への出力", "承認を受けた申請のもとで媒体への出力を記録します。"),
    "web:media_register": _e("媒体の登録", "情報部門が暗号化した媒体を登録します。"),
    "web:media_use_check": _e("媒体使用後の確認", "情報部門が媒体使用後の確認を記録します。"),
}


def help_for(view_name: str) -> HelpEntry | None:
    """The help entry of a screen by its URL name (``namespace:name``), or None for a non-screen."""
    return HELP.get(view_name)
