"""The Advanced section: typed controls from the model's passthrough keys, all "not set"
at first, values() for core.options.provider_field, apply() and set_model() keeping what fits."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from videostudio.core.models import VideoModel
from videostudio.core.options import check_options, provider_field
from videostudio.simulator.service import load_catalogue
from videostudio.ui.compose.advanced_options import NOT_SET, AdvancedOptions, option_label

MODELS = {m["id"]: VideoModel.from_json(m) for m in load_catalogue()}
VEO = MODELS["google/veo-3.1"]


@pytest.fixture
def options(qtbot: QtBot) -> AdvancedOptions:
    widget = AdvancedOptions()
    qtbot.addWidget(widget)
    widget.set_model(VEO)
    widget.show()
    return widget


def test_veo_gets_a_typed_control_per_option_all_not_set(options: AdvancedOptions) -> None:
    # aspectRatio is Settings' Aspect ratio: shown once, there.
    assert options.option_keys() == [
        "personGeneration",
        "negativePrompt",
        "conditioningScale",
        "enhancePrompt",
    ]
    person = options.control("personGeneration")
    assert isinstance(person, QComboBox)
    assert [person.itemText(i) for i in range(person.count())] == [
        NOT_SET,
        "Adults only",
        "No people",
        "Anyone",
    ]
    assert [person.itemData(i) for i in range(person.count())] == [
        None,
        "allow_adult",
        "dont_allow",
        "allow_all",
    ]
    assert isinstance(options.control("negativePrompt"), QLineEdit)
    scale = options.control("conditioningScale")
    assert isinstance(scale, QDoubleSpinBox)
    assert scale.maximum() == 1.0
    assert scale.text() == NOT_SET
    enhance = options.control("enhancePrompt")
    assert isinstance(enhance, QCheckBox)
    assert enhance.text() == NOT_SET
    assert options.values() == {}
    assert options.provider() is None  # nothing is sent
    assert "What the clip should not show." in options.control("negativePrompt").toolTip()
    assert "Sent as negativePrompt" in options.control("negativePrompt").toolTip()


def test_setting_options_by_hand_gives_the_provider_field(
    qtbot: QtBot, options: AdvancedOptions
) -> None:
    assert not options.body.isVisible()
    QTest.mouseClick(options.header, Qt.MouseButton.LeftButton)
    assert options.body.isVisible()
    with qtbot.waitSignal(options.changed):
        QTest.keyClicks(options.control("negativePrompt"), "no text on screen")
    person = options.control("personGeneration")
    assert isinstance(person, QComboBox)
    person.setCurrentIndex(person.findData("dont_allow"))
    scale = options.control("conditioningScale")
    assert isinstance(scale, QDoubleSpinBox)
    scale.setFocus()
    QTest.keyClick(scale, Qt.Key.Key_Up)  # from "not set" to the lowest value
    assert scale.value() == 0.0
    scale.setValue(0.35)
    enhance = options.control("enhancePrompt")
    QTest.mouseClick(enhance, Qt.MouseButton.LeftButton, pos=enhance.rect().center())
    assert options.values()["enhancePrompt"] is True
    assert isinstance(enhance, QCheckBox)
    enhance.click()  # (a second QTest click this soon would be a double click)
    assert options.values()["enhancePrompt"] is False
    enhance.click()  # clicks go on/off; only × goes back to "not set"
    assert options.values()["enhancePrompt"] is True
    enhance.click()
    values = options.values()
    assert values == {
        "personGeneration": "dont_allow",
        "negativePrompt": "no text on screen",
        "conditioningScale": 0.35,
        "enhancePrompt": False,
    }
    assert check_options(VEO, values) == []
    assert options.provider() == provider_field(VEO.id, values)
    assert options.provider() == {
        "options": {"google-vertex": {"parameters": values}},
    }
    assert options.header.text() == "Advanced · 4 set"
    # The × of a row puts it back to "not set".
    options._rows["enhancePrompt"].reset.click()
    assert "enhancePrompt" not in options.values()
    assert enhance.text() == NOT_SET


def test_apply_restores_saved_options_and_reports_what_does_not_fit(
    options: AdvancedOptions,
) -> None:
    dropped = options.apply(
        {
            "negativePrompt": "blur",
            "enhancePrompt": True,
            "conditioningScale": 0.8,
            "shot_type": "multi",  # Wan's, not Veo's
            "personGeneration": "everyone",  # not one of its choices
        }
    )
    assert dropped == ["shot_type", "personGeneration"]
    assert options.values() == {
        "negativePrompt": "blur",
        "enhancePrompt": True,
        "conditioningScale": 0.8,
    }
    # Loading settings does not push the rest of the form down: the header says what is set.
    assert not options.is_expanded()
    assert options.header.text() == "Advanced · 3 set"
    options.clear()
    assert options.values() == {}


def test_another_model_keeps_the_values_it_still_takes(qtbot: QtBot) -> None:
    widget = AdvancedOptions()
    qtbot.addWidget(widget)
    widget.set_model(MODELS["alibaba/wan-2.6"])
    widget.apply({"negative_prompt": "fog", "shot_type": "multi", "audio": True})
    assert widget.values() == {"negative_prompt": "fog", "shot_type": "multi", "audio": True}
    with qtbot.waitSignal(widget.changed):
        dropped = widget.set_model(MODELS["alibaba/wan-2.7"])
    assert dropped == ["shot_type"]
    assert widget.values() == {"negative_prompt": "fog", "audio": True}
    assert "prompt_extend" in widget.option_keys()
    # A model with no options: the section says so and is closed.
    widget.set_model(MODELS["alibaba/wan-3.0"])
    assert widget.option_keys() == []
    assert widget.values() == {}
    assert widget.header.text() == "Advanced: none for this model"
    assert not widget.header.isEnabled()
    # Back to Wan 2.7: nothing comes back by itself (the user's values went with 3.0).
    widget.set_model(MODELS["alibaba/wan-2.7"])
    assert widget.values() == {}


def test_labels_read_as_words() -> None:
    assert option_label("negativePrompt") == "Negative prompt"
    assert option_label("enable_prompt_expansion") == "Expand the prompt"
    assert option_label("cfg_scale") == "Prompt adherence"
    assert option_label("contentModeration") == "Content moderation"  # unknown: its words


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_every_model_reads_in_words_with_one_clear_button_per_field(
    qtbot: QtBot, model_id: str
) -> None:
    """No raw key, provider slug or Settings twin in the visible text; ranges shown."""
    model = MODELS[model_id]
    widget = AdvancedOptions()
    qtbot.addWidget(widget)
    widget.set_model(model)
    widget.set_expanded(True)
    widget.show()
    visible = [widget.header.text(), widget.note.text()]
    visible += [label.text() for label in widget.body.findChildren(QLabel) if label.isVisible()]
    for key in widget.option_keys():
        control = widget.control(key)
        assert key in control.toolTip()  # the raw key is in the tooltip
        if isinstance(control, QComboBox):
            visible += [control.itemText(i) for i in range(control.count())]
        if isinstance(control, QLineEdit):
            assert not control.isClearButtonEnabled()  # the row's × is the one clear button
        if isinstance(control, QDoubleSpinBox):
            assert f"{control.maximum():g}" in control.toolTip()
    text = " ".join(visible)
    for jargon in ("_", "atlas-cloud", "google-vertex", "byteplus", "Aspect ratio", "Cfg"):
        assert jargon not in text, (jargon, text)
    for known in ("negativePrompt", "cfg_scale", "personGeneration", "conditioningScale"):
        assert known not in text
