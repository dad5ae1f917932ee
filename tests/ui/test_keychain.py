"""The API key: the real Secret Service once, then the dialog's paths on an in-memory keychain."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from tests.conftest import MemoryKeyring
from tests.ui.conftest import Studio, close_studio, make_studio, until
from videostudio.services.keychain import ACCOUNT, SERVICE
from videostudio.simulator.server import SimulatorServer

ROUND_TRIP = textwrap.dedent("""
    import keyring
    from videostudio.services.keychain import KeyStore
    backend = type(keyring.get_keyring()).__module__ + "." + type(keyring.get_keyring()).__name__
    assert backend == "keyring.backends.SecretService.Keyring", backend
    store = KeyStore(service="videostudio-test")
    assert store.get() is None
    store.set("sk-or-v1-first")
    assert KeyStore(service="videostudio-test").get() == "sk-or-v1-first"  # a new reader
    store.set("sk-or-v1-second")  # replace
    assert store.get() == "sk-or-v1-second"
    store.delete()
    assert store.get() is None
    store.delete()  # removing twice is fine
    print("round trip ok via", backend)
""")


def test_the_key_round_trips_through_the_real_secret_service(tmp_path: Path) -> None:
    dbus = shutil.which("dbus-run-session")
    assert dbus, "dbus-run-session is missing: run scripts/bootstrap"
    assert shutil.which("gnome-keyring-daemon"), "gnome-keyring is missing: run scripts/bootstrap"
    script = tmp_path / "round_trip.py"
    script.write_text(ROUND_TRIP)
    unlock = "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
    proc = subprocess.run(
        [
            dbus,
            "--",
            "sh",
            "-c",
            f'{unlock}; exec "$0" "$1"',
            sys.executable,
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            "HOME": str(tmp_path),
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        },
    )
    assert proc.returncode == 0, proc.stderr
    assert "round trip ok via keyring.backends.SecretService.Keyring" in proc.stdout


async def test_save_test_and_remove_the_key_from_the_dialog(
    studio: Studio, memory_keyring: MemoryKeyring
) -> None:
    w, c = studio.window, studio.controller
    await c.remove_key()
    await until(lambda: w.windowTitle().endswith("Demo mode"), what="demo mode")
    assert memory_keyring.store == {}
    w.open_key_dialog()
    dialog = w.key_dialog
    assert dialog is not None
    assert "demo mode" in dialog.stored.text()
    studio.sim.api_key = "sk-or-v1-good"
    dialog.key_edit.setText("sk-or-v1-wrong")
    dialog.test_button.click()
    await until(lambda: "refused this key" in dialog.status.text(), what="the failed test")
    dialog.key_edit.setText("sk-or-v1-good")
    dialog.test_button.click()
    await until(lambda: dialog.status.text() == "The key works.", what="the passing test")
    dialog.save_button.click()
    await until(lambda: dialog.status.text() == "Saved in your keychain.", what="the save")
    assert memory_keyring.store == {(SERVICE, ACCOUNT): "sk-or-v1-good"}
    assert dialog.key_edit.text() == ""  # not left on screen
    await until(lambda: w.windowTitle() == "videostudio", what="live, no demo label")
    assert "A key is saved" in dialog.stored.text()
    dialog.remove_button.click()
    await until(lambda: w.windowTitle().endswith("Demo mode"), what="back to demo mode")
    assert memory_keyring.store == {}


async def test_no_keychain_offers_a_session_only_key(
    qapp: object, server: SimulatorServer, tmp_path: Path
) -> None:
    keyring.set_keyring(fail.Keyring())  # no Secret Service at all
    s = make_studio(server, tmp_path / "data", key=None)
    s.window.show()
    await s.controller.start()
    try:
        w = s.window
        await until(lambda: w.windowTitle().endswith("Demo mode"))
        w.open_key_dialog()
        dialog = w.key_dialog
        assert dialog is not None
        assert "No system keychain" in dialog.stored.text()
        assert dialog.session_button.isVisible()
        assert not dialog.save_button.isEnabled()
        dialog.key_edit.setText("sk-or-v1-session")
        dialog.session_button.click()
        await until(lambda: w.windowTitle() == "videostudio", what="live mode")
        assert "not saved" in dialog.status.text()
        assert "sk-or-v1-session" not in "".join(
            p.read_text(errors="ignore") for p in (tmp_path / "data").rglob("*") if p.is_file()
        )
    finally:
        await close_studio(s)


@pytest.mark.parametrize("bad", [""])
async def test_an_empty_key_is_not_sent(studio: Studio, bad: str) -> None:
    studio.window.open_key_dialog()
    dialog = studio.window.key_dialog
    assert dialog is not None
    dialog.key_edit.setText(bad)
    dialog.save_button.click()
    assert dialog.status.text() == "Paste your key first."


def test_a_keychain_that_forgets_is_not_trusted() -> None:
    from keyring.backends import null

    from videostudio.services.keychain import KeychainUnavailableError, KeyStore

    keyring.set_keyring(null.Keyring())
    with pytest.raises(KeychainUnavailableError, match="No system keychain"):
        KeyStore().set("sk-or-v1-lost")
