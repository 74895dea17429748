"""`jumin bench --only`: which figures a run measures (no benchmark is run here)."""

import pytest

from jumin.cli import build_parser
from jumin.cli.bench import FIGURES, select_figures


def test_without_only_every_figure_is_measured() -> None:
    assert select_figures(None) == frozenset(FIGURES)


def test_only_selects_the_named_figures_in_any_case_and_spacing() -> None:
    assert select_figures("P7, p8,P9") == {"P7", "P8", "P9"}


def test_a_figure_measured_on_the_population_brings_the_population_load_with_it() -> None:
    assert select_figures("P3") == {"P1", "P3"}


@pytest.mark.parametrize("only", ["P11", "P7,X", ","])
def test_an_unknown_figure_is_refused_with_the_valid_ids(only: str) -> None:
    with pytest.raises(ValueError, match="P1, P2"):
        select_figures(only)


def test_the_command_refuses_an_unknown_figure_before_touching_a_database(capsys) -> None:  # type: ignore[no-untyped-def]
    args = build_parser().parse_args(["bench", "--only", "P42"])
    assert args.func(args) == 2
    assert "unknown figure P42" in capsys.readouterr().err
