"""A binder's last step: its record written in, and, when asked, PDF/A-2b or 3b (ISO 19005, GB/T 23286).

The binder is assembled in memory (:mod:`paperwork.binder.assemble`); :func:`finish_binder` opens it
and, for PDF/A, makes what the standard asks of the document as a whole:
XMP metadata with ``pdfaid:part``/``conformance`` that agrees with the Info dictionary, an sRGB
OutputIntent, a trailer /ID, annotations printable with only a normal appearance, no JavaScript,
no actions other than a jump, no ``/AA``, no ``NeedAppearances``, images without ``/Interpolate``
or alternates; with 3b, the case file and the catalog workbook inside as associated files
(``/AF``). What the pages themselves hold (fonts embedded, colour that matches the OutputIntent)
is made right before assembly, paper by paper (:mod:`paperwork.binder.triage`), and our own
pages are LibreOffice's, with every font embedded.

The way is that of OCRmyPDF and Gotenberg, each point checked against the standard and the
validator (``page-validation``) rather than taken on trust.
"""

from __future__ import annotations

import datetime as dt
import io
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Literal

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from paperwork.binder.record import BinderRecord, FileDigest, file_sha256, page_digests, write_record
from paperwork.errors import ConfigError
from paperwork.files import atomic_path

__all__ = ["PDFA_LEVELS", "SRGB_FILES", "Associated", "PdfaLevel", "finish_binder", "srgb_profile"]

PdfaLevel = Literal["2b", "3b"]
PDFA_LEVELS: tuple[PdfaLevel, ...] = ("2b", "3b")

#: Where Debian (icc-profiles-free, Zlib licence), Fedora and Ghostscript keep an sRGB profile.
SRGB_FILES = (
    Path("/usr/share/color/icc/sRGB.icc"),
    Path("/usr/share/color/icc/colord/sRGB.icc"),
    Path("/usr/share/color/icc/ghostscript/srgb.icc"),
    Path("/usr/share/ghostscript/iccprofiles/srgb.icc"),
)
#: Actions an archive page may keep (ISO 19005-2, 6.5.1): jumps and links.
_ALLOWED_ACTIONS = {"/GoTo", "/GoToR", "/GoToE", "/Thread", "/URI"}
_ALLOWED_NAMED = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
_HIDDEN_FLAGS = 1 | 2 | 32 | 256  # Invisible, Hidden, NoView, ToggleNoView
_PRINT_FLAG = 4


@dataclass(frozen=True)
class Associated:
    """A file carried inside a PDF/A-3 binder: the case file (Source) or the catalog (Data)."""

    path: Path
    name: str
    relationship: Literal["Source", "Data"]
    mime: str
    description: str


def srgb_profile() -> bytes:
    """An sRGB ICC profile: the system's (icc-profiles-free), else one littleCMS makes (Pillow)."""
    for path in SRGB_FILES:
        if path.is_file():
            return path.read_bytes()
    try:
        from PIL import ImageCms

        return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    except (ImportError, OSError, ValueError) as exc:  # Pillow without littleCMS
        raise ConfigError(
            "PDF/A 需要 sRGB 颜色配置文件，本机没有；请安装：sudo apt-get install icc-profiles-free"
        ) from exc


def _pdf_date(when: dt.datetime) -> str:
    offset = when.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return when.strftime("D:%Y%m%d%H%M%S") + f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def _clean_action(holder: pikepdf.Dictionary) -> None:
    action = holder.get("/A")
    if isinstance(action, Dictionary):
        kind = action.get("/S")
        named_ok = kind == "/Named" and action.get("/N") in _ALLOWED_NAMED
        if kind not in _ALLOWED_ACTIONS and not named_ok:
            del holder["/A"]
        elif "/Next" in action:
            del action["/Next"]  # a chain may hide JavaScript further on
    if "/AA" in holder:
        del holder["/AA"]


def _annotations(page: pikepdf.Page) -> None:
    annots = page.obj.get("/Annots")
    if not isinstance(annots, Array):
        return
    kept = Array()
    for annot in annots:
        if not isinstance(annot, Dictionary):
            continue
        subtype = annot.get("/Subtype")
        appearance = annot.get("/AP")
        if subtype not in {"/Link", "/Popup"} and not isinstance(appearance, Dictionary):
            continue  # nothing a reader could draw the same everywhere: left out
        if isinstance(appearance, Dictionary):
            for key in list(appearance.keys()):
                if key != "/N":
                    del appearance[key]
        annot.F = (int(annot.get("/F", 0)) & ~_HIDDEN_FLAGS) | _PRINT_FLAG
        _clean_action(annot)
        kept.append(annot)
    if kept:
        page.obj.Annots = kept
    else:
        del page.obj["/Annots"]


def _images_and_forms(pdf: pikepdf.Pdf) -> None:
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if obj.get("/Subtype") == "/Image":
            for key in ("/Alternates", "/OPI"):
                if key in obj:
                    del obj[key]
            if "/Interpolate" in obj:  # PDF/A: a reader may not smooth an image its own way
                obj.Interpolate = False
        elif obj.get("/Subtype") == "/Form":
            for key in ("/OPI", "/PS", "/Ref"):
                if key in obj:
                    del obj[key]
        elif obj.get("/Type") == "/ExtGState" and "/TR" in obj:
            del obj["/TR"]


def _conform(pdf: pikepdf.Pdf, level: PdfaLevel, when: dt.datetime) -> None:
    root = pdf.Root
    for key in ("/AA", "/JavaScript", "/Collection", "/Perms", "/Requirements"):
        if key in root:
            del root[key]
    opener = root.get("/OpenAction")
    if isinstance(opener, Dictionary) and opener.get("/S") not in _ALLOWED_ACTIONS:
        del root["/OpenAction"]
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key in ("/JavaScript", "/EmbeddedFiles", "/AlternatePresentations"):
            if key in names:
                del names[key]
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary):
        if "/NeedAppearances" in form:
            del form["/NeedAppearances"]
        if "/XFA" in form:
            del form["/XFA"]
    for page in pdf.pages:
        if "/AA" in page.obj:
            del page.obj["/AA"]
        _annotations(page)
    _images_and_forms(pdf)
    profile = pikepdf.Stream(pdf, srgb_profile())
    profile.N = 3
    root.OutputIntents = Array(
        [
            Dictionary(
                Type=Name.OutputIntent,
                S=Name.GTS_PDFA1,
                OutputConditionIdentifier=String("sRGB IEC61966-2.1"),
                Info=String("sRGB IEC61966-2.1"),
                DestOutputProfile=pdf.make_indirect(profile),
            )
        ]
    )
    pdf.docinfo[Name.Producer] = String("paperwork (pypdf, pikepdf)")
    pdf.docinfo[Name.CreationDate] = String(_pdf_date(when))
    pdf.docinfo[Name.ModDate] = String(_pdf_date(when))
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta.load_from_docinfo(pdf.docinfo)
        meta["pdfaid:part"] = level[0]
        meta["pdfaid:conformance"] = level[1].upper()


def _associate(pdf: pikepdf.Pdf, files: tuple[Associated, ...], when: dt.datetime) -> tuple[FileDigest, ...]:
    """The files inside the PDF (PDF/A-3, ``/AF`` with their relationship), byte for byte."""
    specs = Array()
    digests = []
    stamp = _pdf_date(when)
    for item in files:
        data = item.path.read_bytes()
        spec = pikepdf.AttachedFileSpec(
            pdf,
            data,
            description=item.description,
            filename=item.name,
            mime_type=item.mime,
            creation_date=stamp,
            mod_date=stamp,
            relationship=Name("/" + item.relationship),
        )
        pdf.attachments[item.name] = spec
        specs.append(spec.obj)
        digests.append(FileDigest(item.name, file_sha256(item.path)))
    pdf.Root.AF = specs
    return tuple(digests)


def _ends_cr(stream: pikepdf.Stream) -> bool:
    try:
        return stream.read_raw_bytes().endswith(b"\r")
    except pikepdf.PdfError:
        return False


#: Stream keys that say a stream is data whose bytes count (a file, a profile, an image, a font).
_PLAIN_KEYS = {"/Length", "/Filter", "/DecodeParms"}


def _text_like(stream: pikepdf.Stream) -> bool:
    """A page's content, a form's, a CMap or the XMP: text to which a trailing newline adds nothing."""
    if stream.get("/Subtype") == "/Form" or stream.get("/Type") in {"/Metadata", "/CMap"}:
        return True
    return set(stream.keys()) <= _PLAIN_KEYS


def _mend(stream: pikepdf.Stream) -> None:
    """Store the stream so that its data no longer ends with CR. Compressing again at another level
    cannot help (a zlib stream ends with the Adler-32 of the data, whatever the level). Text gets a
    newline after it and is compressed again (it then survives another program's re-save); data
    whose bytes count (an attached file, which must stay byte for byte, a profile, an image, a
    font) is stored uncompressed instead."""
    data = stream.read_bytes()
    if not _text_like(stream):
        stream.write(data)
        return
    data += b"\n"
    packed = zlib.compress(data, 9)
    if packed.endswith(b"\r"):  # one in 256: one more newline changes the checksum
        data += b"\n"
        packed = zlib.compress(data, 9)
    stream.write(packed, filter=Name.FlateDecode)


def _mend_cr_endings(pdf: pikepdf.Pdf) -> None:
    """Mend every stream whose data ends with a carriage return: before ``endstream`` a reader (and
    PDF/A's validators) take it for half of a CR LF end of line, and the stream for one byte shorter."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and _ends_cr(obj):
            _mend(obj)


def finish_binder(
    assembled: BinaryIO,
    path: Path,
    record: BinderRecord,
    *,
    pdfa: PdfaLevel | None,
    associated: tuple[Associated, ...] = (),
    when: dt.datetime,
) -> BinderRecord:
    """Write the ``assembled`` binder to ``path`` with ``record`` (with every page's digest) in it,
    PDF/A when asked.

    The file is written as one step. Returns the record as written.
    """
    assembled.seek(0)
    saved: BinaryIO = assembled
    attached: tuple[FileDigest, ...] = ()
    if pdfa is not None:
        saved = io.BytesIO()
        with pikepdf.open(assembled) as pdf:
            _conform(pdf, pdfa, when)
            attached = _associate(pdf, associated, when) if pdfa == "3b" and associated else ()
            pdf.save(saved, min_version="1.7")
        saved.seek(0)
    with pikepdf.open(saved) as pdf:  # as saved: streams mended, pages digested, the record written in
        _mend_cr_endings(pdf)
        final = replace(record, attached=attached, pdfa=pdfa or "", page_sha256=page_digests(pdf))
        write_record(pdf, final, _pdf_date(when))
        with atomic_path(path) as tmp:  # nothing compressed anew: no new stream can end with CR
            pdf.save(tmp, compress_streams=False, deterministic_id=True)
    return final
