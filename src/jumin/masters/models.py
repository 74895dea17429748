"""Master tables: prefectures, municipalities, address dictionary, lots, 方書, countries (standard 1.3)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from jumin.domain.address_lots import SYSTEM_LABELS, LotNumber, LotSystem, lot_text


class Prefecture(models.Model):
    """A prefecture (JIS X 0401)."""

    code = models.CharField("都道府県コード", max_length=2, primary_key=True)
    name = models.CharField("都道府県名", max_length=10, unique=True)
    kana = models.CharField("都道府県名カナ", max_length=20)

    class Meta:
        verbose_name = "都道府県"
        verbose_name_plural = "都道府県"
        ordering = ("code",)
        indexes: ClassVar = [
            models.Index(fields=["kana"], name="masters_pref_kana_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """A municipality, Tokyo special ward or designated-city ward, keyed by its 全国地方公共団体コード.

    A designated city (政令指定都市, e.g. 札幌市 011002) is a row of its own and its wards
    (行政区, standard 1.3.1-b) point to it through ``parent``. Merged municipalities are kept with
    ``is_current`` false, because old addresses stay enterable for 本籍 (standard 1.3.3-a).
    """

    code = models.CharField("地方公共団体コード", max_length=6, primary_key=True)
    body = models.CharField("地方公共団体コード（検査数字なし）", max_length=5, unique=True)
    prefecture = models.ForeignKey(
        Prefecture, verbose_name="都道府県", on_delete=models.PROTECT, related_name="municipalities"
    )
    # 郡 (or, for 三宅村 and 八丈町, the island name Japan Post writes in its place): part of the
    # written address but not of the municipality's official name.
    county = models.CharField("郡名・島名", max_length=20, blank=True)
    county_kana = models.CharField("郡名・島名カナ", max_length=40, blank=True)
    name = models.CharField("市区町村名", max_length=40)
    kana = models.CharField("市区町村名カナ", max_length=80)
    postal_code = models.CharField(
        "郵便番号（市区町村全域）",
        max_length=7,
        blank=True,
        help_text="町字が個別に掲載されていない地域の郵便番号（「以下に掲載がない場合」）。",
    )
    is_designated_city = models.BooleanField("政令指定都市", default=False)
    is_designated_city_ward = models.BooleanField("政令指定都市の区", default=False)
    parent = models.ForeignKey(
        "self",
        verbose_name="政令指定都市",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wards",
    )
    is_current = models.BooleanField("現存", default=True)

    class Meta:
        verbose_name = "市区町村"
        verbose_name_plural = "市区町村"
        ordering = ("code",)
        indexes: ClassVar = [
            models.Index(fields=["prefecture", "kana"], name="masters_muni_pref_kana_idx"),
            models.Index(fields=["kana"], name="masters_muni_kana_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name"], name="masters_muni_name_idx"),
            models.Index(fields=["postal_code"], name="masters_muni_postal_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def address_name(self) -> str:
        """The municipality as written in an address, 郡 included (e.g. 東彼杵郡川棚町)."""
        return f"{self.county}{self.name}"


class AddressArea(models.Model):
    """One 大字・町名 entry of the address dictionary, per postal code (standard 1.3.3-c, 1.3.3-d).

    ``address_code`` is the 11-digit 住所コード: the 5-digit code body, a 3-digit 大字 part and a
    3-digit 小字 part. The nationally provided dictionary's 大字 codes are not available to the
    project, so the loader assigns a stand-in: a deterministic 大字 serial per municipality in
    (kana, name) order, 小字 000. Entries of the same name share one code. Replace these codes when
    the national dictionary is imported.
    """

    class Source(models.TextChoices):
        POSTAL = "postal", "郵便番号データ"
        STAFF = "staff", "職員登録"

    municipality = models.ForeignKey(
        Municipality, verbose_name="市区町村", on_delete=models.PROTECT, related_name="areas"
    )
    postal_code = models.CharField("郵便番号", max_length=7)
    name = models.CharField("町字名", max_length=100)
    kana = models.CharField("町字名カナ", max_length=200)
    note = models.TextField(
        "備考", blank=True, help_text="番地・丁目の範囲や建物の階など、郵便番号の適用範囲。"
    )
    address_code = models.CharField("住所コード", max_length=11)
    source = models.CharField("出典", max_length=10, choices=Source.choices, default=Source.STAFF)
    is_current = models.BooleanField("現存", default=True)

    class Meta:
        verbose_name = "町字"
        verbose_name_plural = "町字"
        ordering = ("municipality", "kana", "name", "postal_code")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["municipality", "postal_code", "name"], name="masters_area_muni_postal_name_uniq"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["postal_code"], name="masters_area_postal_idx"),
            models.Index(fields=["municipality", "kana"], name="masters_area_muni_kana_idx"),
            models.Index(fields=["kana"], name="masters_area_kana_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name"], name="masters_area_name_idx"),
            models.Index(fields=["address_code"], name="masters_area_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.postal_code} {self.name}"


class DatedRow(models.Model):
    """A master row in force from ``valid_from`` to ``valid_to`` (None = open), never overwritten
    (``masters.validity.end_row_in_force``), with who registered it."""

    valid_from = models.DateField("適用開始日")
    valid_to = models.DateField("適用終了日", null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    registered_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        abstract = True


class AddressLot(DatedRow):
    """A lot of a 町字 (住居表示・区画整理・地番, standard 1.3.2-a), held as numeric codes so it sorts.

    Rows are never overwritten: a 住居表示 or 区画整理 change ends the row (``valid_to``) and adds a
    new one. ``special`` holds the prefix of a special lot (特殊地番: 甲, 乙, 無番地 …).
    """

    area = models.ForeignKey(AddressArea, verbose_name="町字", on_delete=models.PROTECT, related_name="lots")
    system = models.CharField(
        "区分", max_length=20, choices=[(system.value, label) for system, label in SYSTEM_LABELS.items()]
    )
    special = models.CharField("特殊地番", max_length=10, blank=True, default="")
    lot_number = models.PositiveIntegerField("番地・街区符号・街区")
    sub_number = models.PositiveIntegerField("枝番・住居番号・画地", default=0)
    minor_number = models.PositiveIntegerField("枝番の枝番", default=0)

    class Meta(DatedRow.Meta):
        verbose_name = "番地（住居表示・区画整理・地番）"
        verbose_name_plural = "番地（住居表示・区画整理・地番）"
        ordering = ("area", "system", "special", "lot_number", "sub_number", "minor_number", "valid_from")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=[
                    "area",
                    "system",
                    "special",
                    "lot_number",
                    "sub_number",
                    "minor_number",
                    "valid_from",
                ],
                name="masters_lot_uniq",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["area", "lot_number", "sub_number"], name="masters_lot_area_number_idx"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def number(self) -> LotNumber:
        """The lot's numeric codes."""
        return LotNumber(self.special, self.lot_number, self.sub_number, self.minor_number)

    @property
    def text(self) -> str:
        """The lot as written after the 町字: 「1番2号」, 「甲12番地3」."""
        return lot_text(LotSystem(self.system), self.number)


class Katagaki(DatedRow):
    """A 方書 (building, dormitory, room …) on a lot (方書マスタ, standard 1.3.4-a, 4.0.7-a).

    Rows are never overwritten: a renamed building ends its row and gets a new one.
    """

    lot = models.ForeignKey(
        AddressLot, verbose_name="番地", on_delete=models.PROTECT, related_name="katagaki"
    )
    name = models.CharField("方書", max_length=200)
    kana = models.CharField("方書カナ", max_length=400, blank=True, default="")

    class Meta(DatedRow.Meta):
        verbose_name = "方書"
        verbose_name_plural = "方書"
        ordering = ("lot", "kana", "name", "valid_from")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["lot", "name", "valid_from"], name="masters_katagaki_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class Country(models.Model):
    """A nationality or region as written on residence cards (国籍・地域).

    Keyed by ISO 3166-1 numeric code. Entries that are not ISO countries use the user-assigned
    range 900–999 (e.g. 999 無国籍) and have ``is_iso`` false.
    """

    code = models.CharField("国・地域コード", max_length=3, primary_key=True)
    alpha_2 = models.CharField("英字2桁コード", max_length=2, blank=True)
    alpha_3 = models.CharField("英字3桁コード", max_length=3, blank=True)
    name_ja = models.CharField("国・地域名", max_length=60)
    name_en = models.CharField("国・地域名（英語）", max_length=100)
    is_iso = models.BooleanField("ISO 3166-1の国・地域", default=True)

    class Meta:
        verbose_name = "国・地域"
        verbose_name_plural = "国・地域"
        ordering = ("code",)
        indexes: ClassVar = [
            models.Index(fields=["alpha_2"], name="masters_country_alpha2_idx"),
            models.Index(fields=["alpha_3"], name="masters_country_alpha3_idx"),
            models.Index(fields=["name_ja"], name="masters_country_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name_ja
