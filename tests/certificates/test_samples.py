"""`jumin certificates samples` (make certificate-samples): the documentation's sample pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from jumin.certificates.samples import write_samples
from jumin.cli import main as jumin_main
from tests.certificates.helpers import in_own_thread

DOCS_SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "certificates"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return in_own_thread(write_samples, tmp_path_factory.mktemp("samples"), dpi=20)  # pyHanko signs


def test_every_sample_is_a_png_page_and_the_documentation_shows_exactly_these(written: list[Path]) -> None:
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE), path.name
        assert len(data) > 1_000, path.name  # a rendered page, not an empty image
    assert {p.name for p in written} == {p.name for p in DOCS_SAMPLES.glob("*.png")}


def test_the_command_writes_into_the_folder_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[Path] = []

    def fake_write(out: Path) -> list[Path]:
        calls.append(out)
        return [out / "copy-household.png"]

    monkeypatch.setattr("jumin.certificates.samples.write_samples", fake_write)
    assert jumin_main(["certificates", "samples", "--out", str(tmp_path)]) == 0
    assert calls == [tmp_path]
    assert capsys.readouterr().out.strip() == str(tmp_path / "copy-household.png")
