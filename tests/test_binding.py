"""Guards against a Qt binding that mismanages references to None.

PySide6 6.12.0 on CPython 3.11 drops one reference to None on every Qt call that
returns None; once the count runs out the process aborts ("Fatal Python error:
none_dealloc"). The window makes such calls on every keystroke, so this killed it
in ordinary use. pyproject.toml keeps 6.12.0 out; these tests catch any binding
that brings the leak back. (On Python 3.12+ None is immortal and its count is
meaningless, so the check is done where it matters: the Python we ship on.)
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from PySide6.QtCore import QObject, QStringListModel, Qt
from PySide6.QtWidgets import QApplication, QComboBox

CALLS = 10_000
immortal_none = pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None is immortal on 3.12+: its count never moves"
)


def none_references_lost(call: Callable[[], object]) -> int:
    """How many references to None ``CALLS`` calls of ``call`` lose (0 for a sound binding)."""
    for _ in range(100):  # warm up caches that may keep a None
        call()
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        call()
    return before - sys.getrefcount(None)


@pytest.fixture(scope="module")
def app() -> QApplication:
    existing = QApplication.instance()
    return existing if isinstance(existing, QApplication) else QApplication([])


@immortal_none
def test_current_data_of_an_item_without_data_keeps_none_alive(app: QApplication) -> None:
    combo = QComboBox()
    combo.addItem("no data")
    assert combo.currentData() is None
    assert abs(none_references_lost(combo.currentData)) < CALLS // 100


@immortal_none
def test_index_data_for_an_unset_role_keeps_none_alive(app: QApplication) -> None:
    model = QStringListModel(["a"])
    index = model.index(0, 0)
    role = Qt.ItemDataRole.UserRole + 7
    assert index.data(role) is None
    assert abs(none_references_lost(lambda: index.data(role))) < CALLS // 100


@immortal_none
def test_property_of_a_missing_name_keeps_none_alive(app: QApplication) -> None:
    obj = QObject()
    assert obj.property("missing") is None
    assert abs(none_references_lost(lambda: obj.property("missing"))) < CALLS // 100


@immortal_none
def test_process_events_keeps_none_alive(app: QApplication) -> None:
    assert abs(none_references_lost(app.processEvents)) < CALLS // 100
