"""What has been spent, and the budget that holds it: a status-bar badge, a fuller panel
(today, this month, all time, by model; reported vs estimated) and the budget form.

Pure widgets: they show the Spend and Budget they are given (core/spend.py,
core/budget.py) and emit the Budget the user saves; the view-model reads the
journal and stores the setting.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videostudio.core.budget import DEFAULT_CONFIRM_JOBS, Budget
from videostudio.core.pricing import format_usd
from videostudio.core.spend import Spend, Total
from videostudio.ui.widgets.inputs import RangeDoubleSpinBox, RangeSpinBox

DEMO_NOTE = "Demo mode: these are simulated prices, not real money."
MAX_CAP = 100_000.0
MAX_CONFIRM_JOBS = 1000
_COLUMNS = ("Reported", "Estimated", "Total", "Jobs")


def _amount(total: Total) -> str:
    """$1.20, or ≈ $1.20 when part of it is an estimate."""
    money = format_usd(total.amount) if total.amount else "$0.00"
    return f"≈ {money}" if total.estimated else money


def _over(total: Total, cap: float | None) -> bool:
    return cap is not None and total.amount > cap + 1e-9


def _against(total: Total, cap: float | None) -> str:
    text = _amount(total)
    if cap is None:
        return text
    text += f" / {format_usd(cap)}"
    return text + " (over)" if _over(total, cap) else text


def _explain(name: str, total: Total) -> str:
    if not total.jobs:
        return f"{name}: nothing spent."
    parts = [f"{format_usd(total.actual) if total.actual else '$0.00'} reported by OpenRouter"]
    if total.estimated:
        parts.append(
            f"≈ {format_usd(total.estimated)} estimated for jobs still running "
            "or without a reported cost"
        )
    return f"{name}: {_amount(total)} over {total.jobs} job(s) ({', '.join(parts)})."


class SpendBadge(QToolButton):
    """The always-visible form: "Today $1.20 · Month $8.40" (≈ when partly estimated,
    "/ cap" when a cap is set). A click asks for the full view.

    Signals: details_requested().
    """

    details_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spend = Spend()
        self._budget = Budget()
        self._demo = False
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("spendBadge")
        self.setAutoRaise(True)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setAccessibleName("Spending")
        self.clicked.connect(self.details_requested)
        self._show()

    def set_spend(self, spend: Spend, demo: bool = False) -> None:
        self._spend, self._demo = spend, demo
        self._show()
        self.show()

    def set_budget(self, budget: Budget) -> None:
        self._budget = budget
        self._show()

    def _show(self) -> None:
        spend, budget = self._spend, self._budget
        text = (
            f"Today {_against(spend.today, budget.daily)}"
            f" · Month {_against(spend.month, budget.monthly)}"
        )
        self.setText(("Demo · " if self._demo else "") + text)
        over = _over(spend.today, budget.daily) or _over(spend.month, budget.monthly)
        self.setProperty("over", over)  # the warning colour (shell/style.py)
        self.style().polish(self)
        tip = [_explain("Today", spend.today), _explain("This month", spend.month)]
        if self._demo:
            tip.insert(0, DEMO_NOTE)
        tip.append(f"Budget: {budget.describe()}.")
        tip.append("Click for the details and the budget.")
        self.setToolTip("\n".join(tip))


class BudgetForm(QGroupBox):
    """The budget settings as a form; Save emits the new Budget.

    Signals: budget_changed(object) with a core.budget.Budget.
    """

    budget_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Budget", parent)
        self._saved = Budget()
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("budgetForm")

        def money(name: str) -> tuple[QCheckBox, RangeDoubleSpinBox]:
            check = QCheckBox(name, self)
            spin = RangeDoubleSpinBox(self)
            spin.setPrefix("$")
            spin.setDecimals(2)
            spin.setRange(0.01, MAX_CAP)
            spin.setSingleStep(1.0)
            spin.setAccessibleName(name)
            spin.setMinimumWidth(120)
            spin.setEnabled(False)
            check.toggled.connect(spin.setEnabled)
            check.toggled.connect(self._on_edited)
            spin.valueChanged.connect(self._on_edited)
            return check, spin

        self.daily_on, self.daily = money("Daily cap")
        self.monthly_on, self.monthly = money("Monthly cap")
        self.ask_on, self.ask_above = money("Ask before a job over")
        self.confirm_jobs = RangeSpinBox(self)
        self.confirm_jobs.setRange(1, MAX_CONFIRM_JOBS)
        self.confirm_jobs.setSuffix(" jobs")
        self.confirm_jobs.setAccessibleName("Ask before a batch of more than")
        self.confirm_jobs.valueChanged.connect(self._on_edited)
        for check, tip in (
            (self.daily_on, "Nothing is sent that would take today's spend past this."),
            (self.monthly_on, "Nothing is sent that would take this month's spend past this."),
            (self.ask_on, "A single job estimated above this asks before it is sent."),
        ):
            check.setToolTip(tip + " You can still send one anyway when asked.")
        self.warning = QLabel(self)
        self.warning.setObjectName("hint")
        self.warning.setWordWrap(True)
        self.save_button = QPushButton("Save budget", self)
        self.revert_button = QPushButton("Revert", self)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow(self.daily_on, self.daily)
        form.addRow(self.monthly_on, self.monthly)
        form.addRow(self.ask_on, self.ask_above)
        form.addRow("Ask before a batch of more than", self.confirm_jobs)
        buttons = QHBoxLayout()
        buttons.addWidget(self.warning, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.revert_button.clicked.connect(self._on_revert_button_clicked)
        self.set_budget(Budget())

    def set_budget(self, budget: Budget) -> None:
        """Show the stored budget (no signal)."""
        self._saved = budget
        for check, spin, value in (
            (self.daily_on, self.daily, budget.daily),
            (self.monthly_on, self.monthly, budget.monthly),
            (self.ask_on, self.ask_above, budget.ask_above),
        ):
            check.setChecked(value is not None)
            if value is not None:
                spin.setValue(max(value, spin.minimum()))
        self.confirm_jobs.setValue(budget.confirm_jobs or DEFAULT_CONFIRM_JOBS)
        self._on_edited()

    def budget(self) -> Budget:
        """The budget as the form shows it (saved or not)."""

        def value(check: QCheckBox, spin: RangeDoubleSpinBox) -> float | None:
            return round(spin.value(), 2) if check.isChecked() else None

        return Budget(
            daily=value(self.daily_on, self.daily),
            monthly=value(self.monthly_on, self.monthly),
            ask_above=value(self.ask_on, self.ask_above),
            confirm_jobs=self.confirm_jobs.value(),
        )

    def _on_edited(self) -> None:
        budget = self.budget()
        dirty = budget != self._saved
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)
        warnings = []
        daily = budget.daily
        if daily is not None and budget.monthly is not None and budget.monthly < daily:
            warnings.append("The monthly cap is below the daily cap, so it decides.")
        if daily is not None and budget.ask_above is not None and budget.ask_above > daily:
            warnings.append("A job over the daily cap is refused before you are asked.")
        self.warning.setText(" ".join(warnings))

    def _on_save_button_clicked(self) -> None:
        self._saved = self.budget()
        self._on_edited()
        self.budget_changed.emit(self._saved)

    def _on_revert_button_clicked(self) -> None:
        self.set_budget(self._saved)


def _table(parent: QWidget, first: str) -> QTableWidget:
    table = QTableWidget(0, 1 + len(_COLUMNS), parent)
    table.setHorizontalHeaderLabels([first, *_COLUMNS])
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, 1 + len(_COLUMNS)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return table


def _fill_row(table: QTableWidget, row: int, name: str, total: Total) -> None:
    cells = (
        name,
        format_usd(total.actual) if total.actual else "$0.00",
        f"≈ {format_usd(total.estimated)}" if total.estimated else "—",
        _amount(total),
        str(total.jobs),
    )
    for column, text in enumerate(cells):
        item = QTableWidgetItem(text)
        if column:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, column, item)


class SpendPanel(QWidget):
    """Today, this month and all time, and all time by model: reported costs (usage.cost)
    beside estimates (≈) for jobs not reported yet; the budget form below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: dict[str, str] = {}
        self._spend = Spend()
        self._demo = False
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("spendPanel")
        self.demo_note = QFrame(self)
        self.demo_note.setObjectName("banner")  # the window's demo banner look
        self.demo_note.setProperty("kind", "demo")
        banner = QHBoxLayout(self.demo_note)
        banner.addWidget(QLabel(DEMO_NOTE, self.demo_note))
        self.demo_note.setVisible(False)
        self.periods = _table(self, "Period")
        self.models = _table(self, "Model")
        hint = QLabel(
            "Reported: the cost OpenRouter gave for each job. Estimated (≈): jobs still "
            "running, or finished without a reported cost, at their estimate. Jobs that "
            "failed or were never sent cost nothing.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.budget_form = BudgetForm(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.demo_note)
        layout.addWidget(self.periods)
        by_model = QLabel("By model, all time", self)
        by_model.setObjectName("sectionTitle")
        layout.addWidget(by_model)
        layout.addWidget(self.models, 1)
        layout.addWidget(hint)
        layout.addWidget(self.budget_form)
        self.set_spend(Spend())

    def set_model_names(self, names: Mapping[str, str]) -> None:
        """Display names by model id (ids are shown for models not in it)."""
        self._names = dict(names)
        self.set_spend(self._spend, self._demo)  # (a hidden dialog's banner is not visible)

    def set_spend(self, spend: Spend, demo: bool = False) -> None:
        self._spend, self._demo = spend, demo
        self.demo_note.setVisible(demo)
        self.periods.setRowCount(3)
        for row, (name, total) in enumerate(
            (("Today", spend.today), ("This month", spend.month), ("All time", spend.all_time))
        ):
            _fill_row(self.periods, row, name, total)
        self.periods.setFixedHeight(
            self.periods.horizontalHeader().height()
            + sum(self.periods.rowHeight(r) for r in range(3))
            + 2 * self.periods.frameWidth()
        )
        ranked = sorted(spend.by_model.items(), key=lambda kv: (-kv[1].amount, kv[0]))
        self.models.setRowCount(len(ranked))
        for row, (model_id, total) in enumerate(ranked):
            _fill_row(self.models, row, self._names.get(model_id, model_id), total)
            name_item = self.models.item(row, 0)
            if name_item is not None:
                name_item.setToolTip(model_id)


class SpendDialog(QDialog):
    """The spend panel in its own window, with a Close button.

    Signals: budget_changed(object) with the Budget the user saved.
    """

    budget_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setWindowTitle("Spending and budget")
        self.panel = SpendPanel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(buttons)
        self.panel.budget_form.budget_changed.connect(self.budget_changed)
        self.resize(560, 620)
