"""Fonts: which installed fonts cover Chinese, and which stand in for the Windows families.

Found by reading the font files themselves with fontTools (name and OS/2 tables), in
the font folders of Linux, Windows and macOS — no fontconfig command needed, so the
same code answers on a clerk's Windows PC. LibreOffice on Linux is told the
substitutes through a private fontconfig file (see :mod:`paperwork.binder.libreoffice`).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperwork.errors import FontError
from paperwork.files import atomic_path

__all__ = [
    "INSTALL_HINT",
    "METRIC_FAMILIES",
    "SUBSTITUTES",
    "FontFile",
    "cjk_font_file",
    "cjk_fonts",
    "font_folders",
    "metric_fonts",
    "printed_in",
    "require_cjk_font",
]

INSTALL_HINT = (
    "sudo apt-get install -y --no-install-recommends libreoffice-writer-nogui fonts-noto-cjk "
    "fonts-arphic-uming fonts-arphic-ukai fonts-wqy-microhei"
)

# The bureau's forms fix table row heights exactly for SimSun, whose line box is 1.0 em. A
# substitute with a taller line box (Noto Serif CJK: 1.44 em) overflows those rows and the text
# is cut. Measured line boxes (hhea ascent − descent + gap): Noto CJK 1.44–1.45, AR PL UMing
# 1.05, AR PL UKai 1.11, WenQuanYi Micro Hei 1.17. Narrow Latin matters too: LibreOffice sets
# spaces and digits next to Chinese in the Chinese font, and UMing's 0.5-em spaces wrap lines
# that SimSun's documents keep on one. So the first choice is Noto itself with its line box set
# to its own 1.0-em ideographic box (``Paperwork Serif SC`` / ``Paperwork Sans SC``, made from
# the installed Noto files by :func:`metric_fonts`, renamed as the SIL OFL asks of a modified
# font); the others follow as fallbacks. Each Windows family prints in the first one installed.
METRIC_FAMILIES = {"Paperwork Serif SC": "Noto Serif CJK SC", "Paperwork Sans SC": "Noto Sans CJK SC"}
_SERIF = ("Paperwork Serif SC", "AR PL UMing CN", "Noto Serif CJK SC")
_KAI = ("AR PL UKai CN", "Paperwork Serif SC", "AR PL UMing CN", "Noto Serif CJK SC")
_HEI = ("Paperwork Sans SC", "WenQuanYi Micro Hei", "Noto Sans CJK SC")

#: Windows family name → the installed families that stand in for it, best first.
SUBSTITUTES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("宋体", "SimSun", "新宋体", "NSimSun", "SimSun-ExtB"), _SERIF),
    **dict.fromkeys(("仿宋", "FangSong", "仿宋_GB2312", "FangSong_GB2312"), _SERIF),
    **dict.fromkeys(("楷体", "KaiTi", "楷体_GB2312", "KaiTi_GB2312"), _KAI),
    **dict.fromkeys(("黑体", "SimHei"), _HEI),
    **dict.fromkeys(("微软雅黑", "Microsoft YaHei"), ("Noto Sans CJK SC", "WenQuanYi Micro Hei")),
}


def printed_in(family: str, made: Path | None = None) -> str | None:
    """The installed family that a Windows family name prints in, or None if none is installed.

    ``made`` is the folder of :func:`metric_fonts`, whose families count as installed.
    """
    installed = set(cjk_fonts())
    if made is not None:
        installed |= {
            name for name in METRIC_FAMILIES if any(made.glob(f"{name.replace(' ', '')}-*{_METRIC_SUFFIX}"))
        }
    return next((f for f in SUBSTITUTES.get(family, ()) if f in installed), None)


#: The metric builds are TrueType (glyf outlines): LibreOffice 7.4 embeds a CFF-flavoured OpenType
#: font as a Type 1 font without /CharSet, which PDF/A validators take for a font not embedded;
#: a TrueType font it embeds as TrueType, which every reader and validator knows.
_METRIC_SUFFIX = ".ttf"
_METRIC_BUILD = "metric-fonts-v2 (1.0-em line box, TrueType outlines)"


def metric_fonts(folder: Path) -> Path | None:
    """Make (once) the 1.0-em line-box builds of Noto Serif/Sans CJK SC in ``folder``; None if no Noto.

    The line metrics (hhea, OS/2) and the names change, and the cubic outlines become quadratic
    (TrueType); every other table is copied as it is. A build takes under a minute a face, the
    faces in parallel; it is made once per machine, in the user's cache folder.
    """
    from filelock import FileLock

    done = folder / ".done"
    if _built(done):  # made before: no need to read every installed font again (0.4 s a process)
        return folder
    sources = [
        f for f in _all_faces() if f.family in METRIC_FAMILIES.values() and f.style in {"Regular", "Bold"}
    ]
    if not sources:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".lock")):
        if _built(done):
            return folder
        for old in folder.glob("*.otf"):  # an older build: two files of one family confuse fontconfig
            old.unlink()
        jobs = []
        for face in sources:
            new = next(k for k, v in METRIC_FAMILIES.items() if v == face.family)
            target = folder / f"{new.replace(' ', '')}-{face.style}{_METRIC_SUFFIX}"
            if not target.exists():
                jobs.append((face, new, target))
        _rebuild_all(jobs)
        names = sorted(p.name for p in folder.glob(f"*{_METRIC_SUFFIX}"))
        done.write_text("\n".join([_METRIC_BUILD, *names]), encoding="utf-8")
    return folder


def _built(done: Path) -> bool:
    try:
        return done.read_text(encoding="utf-8").splitlines()[:1] == [_METRIC_BUILD]
    except (OSError, UnicodeDecodeError):
        return False


def _rebuild_all(jobs: list[tuple[FontFile, str, Path]]) -> None:
    """Rebuild the faces, in parallel when there are cores to spare (each is CPU-bound)."""
    from concurrent.futures import ProcessPoolExecutor

    workers = min(len(jobs), os.cpu_count() or 1)
    if workers <= 1:
        for job in jobs:
            _rebuild_checked(*job)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(_rebuild_checked, *job) for job in jobs]:
            future.result()


def _rebuild_checked(face: FontFile, family: str, target: Path) -> None:
    from fontTools.ttLib import TTLibError

    try:
        _rebuild(face, family, target)
    except (TTLibError, OSError, ValueError, KeyError, AttributeError, AssertionError) as exc:
        raise FontError(f"无法由 {face.path} 生成 {family}（{type(exc).__name__}: {exc}）") from exc


def _rebuild(face: FontFile, family: str, target: Path) -> None:
    from fontTools.ttLib import TTCollection, TTFont

    options = {"lazy": True, "recalcBBoxes": False, "recalcTimestamp": False}
    if face.path.suffix.lower() in {".ttc", ".otc"}:
        font = TTCollection(str(face.path), **options).fonts[face.index]
    else:
        font = TTFont(str(face.path), **options)
    with font:
        os2 = font["OS/2"]
        ascent, descent = os2.sTypoAscender, os2.sTypoDescender  # the ideographic em box
        font["hhea"].ascent, font["hhea"].descent, font["hhea"].lineGap = ascent, descent, 0
        os2.usWinAscent, os2.usWinDescent, os2.sTypoLineGap = ascent, -descent, 0
        old = face.family
        for record in font["name"].names:
            if record.nameID in (1, 3, 4, 6, 16, 18):
                text = record.toUnicode()
                record.string = text.replace(old, family).replace(
                    old.replace(" ", ""), family.replace(" ", "")
                )
        if "CFF " in font:
            _to_truetype(font)
        with atomic_path(target) as part:
            font.save(str(part))


def _to_truetype(font: Any) -> None:
    """Replace a font's CFF outlines by TrueType ones (cubic curves → quadratic, within 1 unit)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
        "maxStackElements", "maxSizeOfInstructions", "maxComponentElements",
    ):  # fmt: skip
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    font["post"].formatType = 3.0  # no glyph names: format 2 cannot hold 65,535 of them
    font["head"].glyphDataFormat = 0
    font.recalcBBoxes = True  # the new glyphs' bounds, head's and maxp's figures
    font.sfntVersion = "\x00\x01\x00\x00"


_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc"}
# names that usually mean a CJK face: looked at first, so the common case stops early
_LIKELY = ("cjk", "han", "sim", "song", "hei", "kai", "fang", "ming", "wqy", "wenquan", "yahei", "droid")
_GB2312_BIT = 1 << 18  # OS/2 ulCodePageRange1: "Chinese: Simplified chars—PRC and Singapore"
_BIG5_BIT = 1 << 20


@dataclass(frozen=True)
class FontFile:
    """One face of an installed font file: its family name, file and face index (for .ttc)."""

    family: str
    path: Path
    index: int = 0
    style: str = "Regular"


def font_folders() -> list[Path]:
    """The folders fonts are installed in on this system, the user's own included."""
    home = Path.home()
    if sys.platform == "win32":
        from platformdirs import user_data_path

        windir = Path(home.anchor or "C:\\") / "Windows"  # the system's fonts, where Windows keeps them
        folders = [windir / "Fonts", user_data_path(appauthor=False) / "Microsoft" / "Windows" / "Fonts"]
    elif sys.platform == "darwin":
        folders = [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library" / "Fonts"]
    else:
        from platformdirs import user_data_path

        folders = [
            Path("/usr/share/fonts"),
            Path("/usr/local/share/fonts"),
            user_data_path() / "fonts",  # $XDG_DATA_HOME/fonts
            home / ".fonts",
        ]
    return [f for f in folders if f.is_dir()]


def _files() -> list[Path]:
    found: list[Path] = []
    for folder in font_folders():
        for root, _dirs, names in os.walk(folder):
            found.extend(Path(root) / n for n in names if Path(n).suffix.lower() in _SUFFIXES)
    return sorted(found, key=lambda p: (not any(w in p.name.lower() for w in _LIKELY), str(p)))


def _faces(path: Path) -> Iterator[FontFile]:
    """The Chinese faces in one font file (none if it is unreadable or covers no Chinese)."""
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    try:
        if path.suffix.lower() in {".ttc", ".otc"}:
            collection = TTCollection(str(path), lazy=True)
            fonts, closing = list(collection.fonts), collection
        else:
            single = TTFont(str(path), lazy=True)
            fonts, closing = [single], single
    except (TTLibError, OSError, KeyError, ValueError, AssertionError, EOFError):
        return
    found = []
    with closing:
        for index, font in enumerate(fonts):
            try:
                if not _chinese(font):
                    continue
                name = font["name"]
                family = name.getDebugName(16) or name.getDebugName(1)
                style = name.getDebugName(17) or name.getDebugName(2) or "Regular"
            except (TTLibError, OSError, KeyError, ValueError, AssertionError, EOFError):
                continue
            if family:
                found.append(FontFile(family, path, index, style))
    yield from found


def _chinese(font: object) -> bool:
    try:
        os2 = font["OS/2"]  # type: ignore[index]
        if getattr(os2, "ulCodePageRange1", 0) & (_GB2312_BIT | _BIG5_BIT):
            return True
        cmap = font["cmap"].getBestCmap() or {}  # type: ignore[index]
        return 0x4E2D in cmap and 0x6587 in cmap  # 中, 文
    except (KeyError, AttributeError):
        return False


@functools.cache
def _all_faces() -> tuple[FontFile, ...]:
    return tuple(face for path in _files() for face in _faces(path))


def cjk_fonts() -> list[str]:
    """Family names of the installed fonts that cover Chinese, empty if none."""
    return sorted({face.family for face in _all_faces()})


@functools.cache
def _has_cjk_font() -> bool:
    return any(True for path in _files() for _ in _faces(path))


def require_cjk_font() -> None:
    """Raise FontError naming the package when no font covers Chinese."""
    if not _has_cjk_font():
        raise FontError(f"没有可用的中文字体，表单会印成方框；请安装：{INSTALL_HINT}")


def cjk_font_file(prefer: tuple[str, ...] = ("Noto Sans CJK SC", "Noto Serif CJK SC")) -> FontFile:
    """A Chinese face, the preferred families first (for the chart); FontError if none."""
    faces = _all_faces()
    regular_first = sorted(faces, key=lambda f: "regular" not in f.path.name.lower())
    for family in prefer:
        for face in regular_first:
            if face.family == family:
                return face
    simplified = [f for f in faces if f.family.endswith(("SC", "GB")) or "Sim" in f.family]
    if simplified or faces:
        return (simplified or list(faces))[0]
    raise FontError(f"没有可用的中文字体，图表里的中文会印成方框；请安装：{INSTALL_HINT}")
