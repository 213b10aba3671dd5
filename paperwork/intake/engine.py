"""Text off a page image: RapidOCR (PP-OCR models in ONNX, inside the wheel) on onnxruntime.

The OCR engine is an optional extra (``pip install 'hv-paperwork[ocr]'``, ~290 MB with
OpenCV and onnxruntime); without it :func:`engine` raises :class:`OcrUnavailable`
saying exactly what to install. Each page's text is kept in a cache under the page
image's SHA-256 (and the engine's version), so a page is read once.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from paperwork.errors import OcrUnavailable
from paperwork.files import write_atomic

__all__ = ["OCR_HINT", "Engine", "OcrUnavailable", "TextLine", "engine", "ocr_available"]

#: The longer side, in pixels, of the page image text is looked for on (then read at full resolution).
DETECT_SIDE = 1024
OCR_HINT = "pip install 'hv-paperwork[ocr]'（即 rapidocr 与 onnxruntime，约 290 MB，模型随包安装，无需联网）"


@dataclass(frozen=True)
class TextLine:
    """One line of text the engine found: its words, its box (pixels) and the engine's score."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def middle(self) -> float:
        return (self.y0 + self.y1) / 2


def ocr_available() -> bool:
    """Whether the OCR extra is installed (and imports: a broken install counts as missing)."""
    try:
        import onnxruntime  # noqa: F401
        import rapidocr  # noqa: F401
    except ImportError:
        return False
    return True


class Engine:
    """A RapidOCR instance per thread (onnxruntime sessions are made per engine), one cache for all."""

    def __init__(self, cache: Path | None, threads: int = 0) -> None:
        if not ocr_available():
            raise OcrUnavailable(f"paperwork intake 需要 OCR 组件，它没有安装；请安装：{OCR_HINT}")
        import rapidocr

        self.version = f"rapidocr-{getattr(rapidocr, '__version__', '?')}"
        self.cache = cache
        self.threads = threads
        self._local = threading.local()

    def _ocr(self) -> Any:
        found = getattr(self._local, "ocr", None)
        if found is None:
            from rapidocr import RapidOCR

            # its default models (no download); its own logger set to errors by its own setting
            params: dict[str, object] = {
                "Global.log_level": "error",
                # text is found on the page scaled to 1024 px on its longer side (PaddleOCR's own default
                # was 960) and read from the full-resolution crops: rapidocr's default keeps the shorter
                # side at 736 or more, so an A4 page at 150 dpi was searched at full size (bench/RESULTS.md)
                "Det.limit_type": "max",
                "Det.limit_side_len": DETECT_SIDE,
            }
            if self.threads:
                params["EngineConfig.onnxruntime.intra_op_num_threads"] = self.threads
            found = self._local.ocr = RapidOCR(params=params)
        return found

    def read(self, image: bytes) -> tuple[list[TextLine], bool]:
        """The lines of a page image (PNG or JPEG), top to bottom; and whether they came from the cache."""
        key = hashlib.sha256(self.version.encode() + b"\0" + image).hexdigest()
        cached = self._cached(key)
        if cached is not None:
            return cached, True
        import numpy as np
        from PIL import Image

        with Image.open(io.BytesIO(image)) as img:
            pixels = np.asarray(img.convert("RGB"))[:, :, ::-1]  # OpenCV's BGR
        result = self._ocr()(pixels)
        lines = []
        boxes = result.boxes if result.boxes is not None else ()
        texts = result.txts if result.txts is not None else ()
        scores = result.scores if result.scores is not None else ()
        for box, text, score in zip(boxes, texts, scores, strict=False):
            xs, ys = [float(p[0]) for p in box], [float(p[1]) for p in box]
            lines.append(TextLine(str(text), min(xs), min(ys), max(xs), max(ys), float(score)))
        lines.sort(key=lambda t: (round(t.middle / 8), t.x0))
        self._store(key, lines)
        return lines, False

    def _path(self, key: str) -> Path | None:
        return self.cache / key[:2] / f"{key}.json" if self.cache is not None else None

    def _cached(self, key: str) -> list[TextLine] | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return [TextLine(**row) for row in data]
        except (ValueError, TypeError, OSError):  # a broken entry: read the page again
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def _store(self, key: str, lines: list[TextLine]) -> None:
        path = self._path(key)
        if path is None:
            return
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps([asdict(t) for t in lines], ensure_ascii=False))


def engine(cache: Path | None, threads: int = 0) -> Engine:
    """The OCR engine, or OcrUnavailable naming the extra to install."""
    return Engine(cache, threads)
