"""The spend badge, the spend panel and the budget form, fed by core.spend.spend_of over
real journal records (reported costs, estimates for running jobs, unbilled failures)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from videostudio.core.budget import Budget
from videostudio.core.jobs import SAVED, JobRecord
from videostudio.core.models import FAILED, IN_PROGRESS
from videostudio.core.spend import Spend, spend_of
from videostudio.ui.money.spend_view import (
    DEMO_NOTE,
    BudgetForm,
    SpendBadge,
    SpendDialog,
    SpendPanel,
)

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=timezone(timedelta(hours=1)))
VEO, KLING, HAILUO = "google/veo-3.1", "kwaivgi/kling-v3.0-std", "minimax/hailuo-2.3"


def record(n: int, model: str, state: str, when: datetime, **kw: object) -> JobRecord:
    return JobRecord(
        local_id=n,
        state=state,
        model=model,
        prompt="p",
        request={"model": model},
        created_at=when.timestamp(),
        submitted_at=when.timestamp(),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def spend() -> Spend:
    return spend_of(
        [
            record(1, VEO, SAVED, NOW - timedelta(hours=2), cost_usd=0.80),
            record(2, KLING, IN_PROGRESS, NOW - timedelta(minutes=5), estimate_usd=1.0),
            record(3, VEO, FAILED, NOW - timedelta(hours=1), estimate_usd=2.0),  # not billed
            record(4, VEO, SAVED, NOW - timedelta(days=10), cost_usd=1.60),
            record(5, HAILUO, SAVED, NOW - timedelta(days=40), cost_usd=0.49),
        ],
        NOW,
    )


def test_the_badge_shows_today_and_the_month_marking_estimates(qtbot: QtBot, spend: Spend) -> None:
    badge = SpendBadge()
    qtbot.addWidget(badge)
    assert badge.text() == "Today $0.00 · Month $0.00"
    badge.set_spend(spend)
    assert badge.text() == "Today ≈ $1.80 · Month ≈ $3.40"  # Kling's $1.00 is still running
    assert "≈ $1.00 estimated for jobs still running" in badge.toolTip()
    assert "$0.80 reported by OpenRouter" in badge.toolTip()
    badge.set_budget(Budget(daily=1.5, monthly=50.0))
    assert badge.text() == "Today ≈ $1.80 / $1.50 (over) · Month ≈ $3.40 / $50.00"
    badge.set_spend(spend, demo=True)
    assert badge.text().startswith("Demo · Today")
    assert DEMO_NOTE in badge.toolTip()
    with qtbot.waitSignal(badge.details_requested):
        QTest.mouseClick(badge, Qt.MouseButton.LeftButton)


def test_the_panel_lists_periods_and_models_reported_and_estimated(
    qtbot: QtBot, spend: Spend
) -> None:
    panel = SpendPanel()
    qtbot.addWidget(panel)
    panel.set_model_names({VEO: "Google: Veo 3.1", KLING: "Kling v3.0 Standard"})
    panel.set_spend(spend)

    def rows(table: object) -> list[list[str]]:
        t = table  # a QTableWidget
        return [
            [t.item(r, c).text() for c in range(t.columnCount())]  # type: ignore[attr-defined]
            for r in range(t.rowCount())  # type: ignore[attr-defined]
        ]

    assert rows(panel.periods) == [
        ["Today", "$0.80", "≈ $1.00", "≈ $1.80", "2"],
        ["This month", "$2.40", "≈ $1.00", "≈ $3.40", "3"],
        ["All time", "$2.89", "≈ $1.00", "≈ $3.89", "4"],
    ]
    assert rows(panel.models) == [
        ["Google: Veo 3.1", "$2.40", "—", "$2.40", "2"],
        ["Kling v3.0 Standard", "$0.00", "≈ $1.00", "≈ $1.00", "1"],
        [HAILUO, "$0.49", "—", "$0.49", "1"],  # no name known: the id
    ]
    assert not panel.demo_note.isVisibleTo(panel)
    panel.set_spend(spend, demo=True)
    assert panel.demo_note.isVisibleTo(panel)
    assert DEMO_NOTE in [label.text() for label in panel.demo_note.findChildren(QLabel)]


def test_the_budget_form_emits_the_new_budget_on_save(qtbot: QtBot) -> None:
    form = BudgetForm()
    qtbot.addWidget(form)
    form.set_budget(Budget(daily=5.0, confirm_jobs=4))
    assert form.daily_on.isChecked() and form.daily.value() == 5.0
    assert not form.monthly_on.isChecked() and not form.monthly.isEnabled()
    assert not form.save_button.isEnabled()  # nothing changed yet
    form.monthly_on.setChecked(True)
    form.monthly.setValue(40.0)
    form.ask_on.setChecked(True)
    form.ask_above.setValue(1.25)
    form.confirm_jobs.setValue(10)
    form.daily_on.setChecked(False)
    assert form.save_button.isEnabled()
    with qtbot.waitSignal(form.budget_changed) as saved:
        form.save_button.click()
    budget = saved.args[0]
    assert budget == Budget(daily=None, monthly=40.0, ask_above=1.25, confirm_jobs=10)
    assert Budget.from_json(budget.to_json()) == budget
    assert not form.save_button.isEnabled()
    assert form.warning.text() == ""
    # Revert undoes unsaved edits.
    form.confirm_jobs.setValue(2)
    form.revert_button.click()
    assert form.confirm_jobs.value() == 10
    # A monthly cap under the daily one is allowed, but said.
    form.daily_on.setChecked(True)
    form.daily.setValue(50.0)
    assert "monthly cap is below the daily cap" in form.warning.text()


def test_the_dialog_passes_the_saved_budget_on(qtbot: QtBot, spend: Spend) -> None:
    dialog = SpendDialog()
    qtbot.addWidget(dialog)
    dialog.panel.set_spend(spend)
    dialog.panel.budget_form.set_budget(Budget())
    dialog.panel.budget_form.daily_on.setChecked(True)
    dialog.panel.budget_form.daily.setValue(3.0)
    with qtbot.waitSignal(dialog.budget_changed) as saved:
        dialog.panel.budget_form.save_button.click()
    assert saved.args[0] == Budget(daily=3.0)
