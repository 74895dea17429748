from jumin.domain.errors import DomainError


def test_domain_error_names_field_reason_and_remedy() -> None:
    error = DomainError(
        field="birth_date",
        reason="日付が正しくありません。",
        remedy="正しい日付を入力してください。",
        code="x.y",
    )
    assert error.as_dict() == {
        "field": "birth_date",
        "reason": "日付が正しくありません。",
        "remedy": "正しい日付を入力してください。",
        "code": "x.y",
    }
    assert "birth_date" in str(error)
    assert isinstance(error, ValueError)
