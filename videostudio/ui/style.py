"""The window's look: a few rules on top of the platform style (Fusion on Linux)."""

STYLE = """
QLabel#hint { color: palette(mid); }
QLabel#sectionTitle { font-weight: 600; margin-top: 6px; }
QLabel#inlineMessage { color: #b3261e; }
QLabel#inlineMessage[problem="false"] { color: palette(text); }
QLabel[problem="true"] { color: #b3261e; }
QComboBox[problem="true"], QSpinBox[problem="true"], QCheckBox[problem="true"],
QPlainTextEdit[problem="true"] { border: 2px solid #b3261e; border-radius: 3px; }
QFrame#imageZone { border: 2px dashed palette(mid); border-radius: 8px; }
QFrame#imageZone[dragging="true"] { border-color: palette(highlight); }
QFrame#imageTile { border: 1px solid palette(mid); border-radius: 4px; }
QLabel#placeholder { color: palette(mid); background: palette(base); }
QPushButton#generate { font-weight: 600; padding: 6px 18px; }
QLabel#estimate { font-weight: 600; }
QFrame#banner { border-radius: 4px; padding: 2px; }
QFrame#banner[kind="info"] { background: #e8f0fe; color: #174ea6; }
QFrame#banner[kind="demo"] { background: #fef7e0; color: #7a4f01; }
QFrame#banner[kind="error"], QFrame#banner[kind="credits"] { background: #fce8e6; color: #a50e0e; }
QFrame#banner[kind="offline"] { background: #fff4e5; color: #8a4b00; }
QFrame#banner QLabel { color: inherit; }
"""
