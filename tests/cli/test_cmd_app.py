"""``dip app [IMAGE]``: argument checks and hand-over to the app's ``main``."""

from __future__ import annotations

import pytest

import dip_plugin.app
from dip_plugin.cli import main


def test_app_is_listed_in_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "app" in capsys.readouterr().out


def test_a_missing_image_is_a_one_line_error(capsys, tmp_path) -> None:
    assert main(["app", str(tmp_path / "nope.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dip: error: image") and "no such file" in err


def test_a_mask_needs_an_image(capsys, tmp_path) -> None:
    m = tmp_path / "m.png"
    m.write_bytes(b"x")
    assert main(["app", "--mask", str(m)]) == 2
    assert "--mask needs an image" in capsys.readouterr().err


def test_arguments_reach_the_app(monkeypatch, tmp_path) -> None:
    img, m = tmp_path / "a.png", tmp_path / "m.png"
    img.write_bytes(b"x")
    m.write_bytes(b"x")
    calls = []
    monkeypatch.setattr(dip_plugin.app, "main", lambda argv: calls.append(argv) or 0)
    assert main(["app", str(img), "--mask", str(m), "--device", "cpu"]) == 0
    assert main(["app"]) == 0
    assert calls == [[str(img), "--mask", str(m), "--device", "cpu"], ["--device", "auto"]]
