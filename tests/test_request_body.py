"""The submit body is exactly json.dumps(value), however it is cut into pieces."""

from __future__ import annotations

import base64
import json
import os
import tracemalloc
from typing import Any

import pytest

from videostudio.api.request_body import BIG, PIECE, JsonBody


async def _sent(body: JsonBody) -> bytes:
    return b"".join([piece async for piece in body.pieces()])


def _url(size: int) -> str:
    return "data:image/png;base64," + base64.b64encode(os.urandom(size)).decode()


@pytest.mark.parametrize(
    "value",
    [
        {"model": "m", "prompt": 'a "quoted" prompt – ünïcode\n', "duration": 4, "seed": None},
        {"frame_images": [{"image_url": {"url": _url(BIG)}}], "prompt": "x"},
        {"a": [_url(3 * PIECE + 5), _url(BIG + 1)], "b": {"c": _url(10)}, "d": [1.5, True]},
        {"not plain": "é" * BIG, "quotes": '"' * BIG},  # escaped strings stay json.dumps's
        {"many": [_url(BIG + n) for n in range(12)]},  # markers 1 and 10, 11 apart
    ],
)
async def test_the_bytes_sent_are_json_dumps(value: Any) -> None:
    body = JsonBody(value)
    sent = await _sent(body)
    assert sent == json.dumps(value).encode()
    assert body.length == len(sent)
    assert max([len(piece) async for piece in body.pieces()] or [0]) <= PIECE


async def test_a_big_image_is_not_copied_whole() -> None:
    url = _url(12 << 20)  # 16 MB of base64
    tracemalloc.start()
    try:
        body = JsonBody({"frame_images": [{"image_url": {"url": url}}]})
        assert len(await _sent(body)) == len(url) + 46  # the join here is the test's copy
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * len(url) + (8 << 20)  # json.dumps(...).encode() held 2 copies more
