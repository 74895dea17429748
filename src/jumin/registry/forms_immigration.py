"""Forms of the exchange with 出入国在留管理庁 (views_immigration): received notices and 市町村通知."""

from __future__ import annotations

from django import forms

from jumin.accounts.forms import PurposeForm
from jumin.registry.forms_foreign import NoticeFileForm

RECEIVED_STATES = (
    ("pending", "未取込"),
    ("imported", "取込済"),
    ("skipped", "対象外（手作業）"),
    ("all", "すべて"),
)
OUTGOING_STATES = (
    ("due", "送信対象"),
    ("waiting", "送信予定日待ち"),
    ("sent", "送信済"),
    ("error", "エラー"),
)


class ReceiveForm(NoticeFileForm):
    """A notice file received from the agency's terminal; imported at once where allowed."""

    auto_import = forms.BooleanField(
        label="取り込める通知は自動で仮登録する（特別永住者・注意のある通知を除く）",
        required=False,
        initial=True,
    )


class ReceivedListForm(PurposeForm):
    """Which stored notices to list."""

    state = forms.ChoiceField(label="処理状況", choices=RECEIVED_STATES, initial="pending")


class ReceivedNoticeForm(PurposeForm):
    """One stored notice (its 確認票, or its manual import)."""

    notice_id = forms.CharField(widget=forms.HiddenInput, max_length=40)


class OutgoingListForm(PurposeForm):
    """Which 市町村通知 to list."""

    state = forms.ChoiceField(label="一覧", choices=OUTGOING_STATES, initial="due")


class ResultsForm(PurposeForm):
    """The agency's processing results file (sequence_no,result,code,message)."""

    results_file = forms.FileField(label="処理結果ファイル（CSV）")

    def clean_results_file(self) -> str:
        """The file's text (UTF-8)."""
        raw = self.cleaned_data["results_file"].read(10_000_001)
        try:
            return str(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise forms.ValidationError("処理結果ファイルの文字コードがUTF-8ではありません。") from None
