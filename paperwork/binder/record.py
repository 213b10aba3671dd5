"""What a binder holds, written into the binder itself, for ``paperwork verify``.

Each binder carries a :class:`BinderRecord`: its papers and their pages, the catalog rows as
printed (题名, 日期, 页号), the cover's 起止日期 with the rule that dates them (R1, R2), 件数 and
页数, the SHA-256 of every file bound into it and of every page's content. It is a JSON stream in
the document catalog's page-piece dictionary (``/PieceInfo /Paperwork /Private``, ISO 32000's
place for an application's private data), so it survives PDF/A and every reader ignores it.

A page's digest (:func:`page_digests`) covers what a reader sees on it: the page size and turn,
its content streams and every object its resources reach (fonts, images, forms), streams by
their decoded data, so that writing the file again (other object numbers, other compression)
keeps it and any edit of what is drawn changes it.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf

from paperwork.binder.assemble import Bound
from paperwork.binder.layout import Layout, catalog_lines
from paperwork.case.dates import compact
from paperwork.case.model import Case
from paperwork.errors import PaperworkError

__all__ = [
    "RECORD_APP",
    "BinderRecord",
    "CatalogEntry",
    "FileDigest",
    "PaperPages",
    "binder_record",
    "file_sha256",
    "page_digests",
    "read_record",
    "write_record",
]

#: The page-piece dictionary's key for paperwork's data.
RECORD_APP = "/Paperwork"
_FORMAT = 1
#: Keys that point back up or sideways (to the page tree, to other pages), not at what is drawn.
_SKIP = {"/Parent", "/P", "/Annots", "/StructParents", "/B", "/Thumb", "/PieceInfo", "/Metadata"}
#: How deep a page's resources may nest before the page is taken as malformed.
_DEPTH = 64


@dataclass(frozen=True)
class FileDigest:
    """A file bound into the binder: its name as the case gives it, and its SHA-256."""

    name: str
    sha256: str


@dataclass(frozen=True)
class CatalogEntry:
    """One 卷内目录 row as printed, and where its paper's pages are in the PDF (0-based, end excluded)."""

    seq: int
    title: str
    date: str  # as printed: 20230315, or empty for a paper still 待补
    page_label: str  # 页号 as printed: "5", or "12-14" for the last row
    first: int  # content page number (页号) of its first page
    last: int
    pdf_start: int
    pdf_end: int
    missing: bool = False  # a 待补 page stands in for it
    files: tuple[FileDigest, ...] = ()


@dataclass(frozen=True)
class PaperPages:
    """A part of the binder that is not a catalog row: 案卷封面, 卷内目录, 卷内备考表."""

    title: str
    pdf_start: int
    pdf_end: int


@dataclass(frozen=True)
class BinderRecord:
    """What a binder holds; see the module's description."""

    case_id: str
    binder: str  # 大本资料
    title: str  # 案卷题名
    rule: str  # R1 or R2: how the cover's 起止日期 are found
    application_date: str  # 报装日期 (R1's start), compact, or empty
    start: str  # the cover's 起止日期 as printed (compact)
    end: str
    pieces: int  # 件数
    content_pages: int  # 页数
    pages: int  # the PDF's pages, covers and blank backs included
    parts: tuple[PaperPages, ...]
    rows: tuple[CatalogEntry, ...]
    numbered: tuple[int, ...] = ()  # the 页号 stamped on each PDF page, 0 where none is
    page_sha256: tuple[str, ...] = ()
    attached: tuple[FileDigest, ...] = ()  # files carried inside the PDF (PDF/A-3)
    pdfa: str = ""
    tool: str = field(default="paperwork")
    format: int = _FORMAT

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> BinderRecord:
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("tool") != "paperwork" or raw.get("format") != _FORMAT:
            raise ValueError("not a paperwork binder record of a known format")
        rows = tuple(
            CatalogEntry(**{**r, "files": tuple(FileDigest(**f) for f in r.get("files", ()))})
            for r in raw.pop("rows")
        )
        parts = tuple(PaperPages(**p) for p in raw.pop("parts"))
        attached = tuple(FileDigest(**f) for f in raw.pop("attached", ()))
        return cls(
            rows=rows,
            parts=parts,
            attached=attached,
            numbered=tuple(raw.pop("numbered", ())),
            page_sha256=tuple(raw.pop("page_sha256", ())),
            **raw,
        )

    def paper_at(self, index: int) -> str:
        """Which paper a PDF page (0-based) belongs to, in the clerk's words, with its page within."""
        for row in self.rows:
            if row.pdf_start <= index < row.pdf_end:
                return f"第 {row.seq} 件“{row.title}”的第 {index - row.pdf_start + 1} 页"
        for part in self.parts:
            if part.pdf_start <= index < part.pdf_end:
                return f"{part.title}第 {index - part.pdf_start + 1} 页"
        return f"第 {index + 1} 页"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stream_data(stream: pikepdf.Stream) -> bytes:
    try:
        return stream.read_bytes()  # decoded where the filters are general (Flate, LZW, …)
    except (pikepdf.PdfError, NotImplementedError, ValueError):
        return stream.read_raw_bytes()  # JPEG, JPEG 2000, CCITT: their own bytes


class _Digester:
    """Canonical digests of PDF objects, each indirect object digested once per file."""

    def __init__(self) -> None:
        self.memo: dict[tuple[int, int], bytes] = {}
        self.active: set[tuple[int, int]] = set()

    def digest(self, obj: Any, depth: int = 0) -> bytes:
        if depth > _DEPTH:
            raise ValueError("resources nested too deep")
        key = obj.objgen if isinstance(obj, pikepdf.Object) and obj.is_indirect else None
        if key is not None:
            if key in self.memo:
                return self.memo[key]
            if key in self.active:
                return b"<cycle>"
            self.active.add(key)
        try:
            h = hashlib.sha256(self._canonical(obj, depth))
        finally:
            if key is not None:
                self.active.discard(key)
        out = h.digest()
        if key is not None:
            self.memo[key] = out
        return out

    def _canonical(self, obj: Any, depth: int) -> bytes:
        if isinstance(obj, pikepdf.Stream):
            meta = {
                k: v for k, v in obj.stream_dict.items() if k not in {"/Length", "/Filter", "/DecodeParms"}
            }
            data = hashlib.sha256(_stream_data(obj)).digest()
            return b"S" + self._dictionary(meta, depth) + data
        if isinstance(obj, pikepdf.Dictionary):
            return self._dictionary(dict(obj.items()), depth)
        if isinstance(obj, pikepdf.Array):
            return b"A[" + b"".join(self.digest(v, depth + 1) for v in obj) + b"]"
        if isinstance(obj, pikepdf.Name):
            return b"N" + str(obj).encode()
        if isinstance(obj, pikepdf.String):
            return b"T" + bytes(obj)
        if isinstance(obj, bool):
            return b"B1" if obj else b"B0"
        if isinstance(obj, int | Decimal | float):
            return b"R" + f"{float(obj):.4f}".encode()
        return b"Z"  # null

    def _dictionary(self, items: dict[str, Any], depth: int) -> bytes:
        parts = [
            k.encode() + b"=" + self.digest(v, depth + 1) for k, v in sorted(items.items()) if k not in _SKIP
        ]
        return b"D{" + b";".join(parts) + b"}"


def page_digests(pdf: pikepdf.Pdf) -> tuple[str, ...]:
    """The SHA-256 of what each page draws (see the module's description)."""
    digester = _Digester()
    out = []
    for page in pdf.pages:
        obj = page.obj
        drawn = {k: obj.get(k) for k in ("/MediaBox", "/CropBox", "/Rotate", "/Contents", "/Resources")}
        canonical = digester._dictionary({k: v for k, v in drawn.items() if v is not None}, 0)
        out.append(hashlib.sha256(canonical).hexdigest())
    return tuple(out)


def write_record(pdf: pikepdf.Pdf, record: BinderRecord, modified: str) -> None:
    """Put ``record`` into ``pdf``'s page-piece dictionaries (``modified``: a PDF date string): the
    document's, and every page's (one shared object), so that a page copied into another PDF
    by a program that keeps only pages still says which binder it came from."""
    data = record.to_json()
    packed = zlib.compress(data, 9)
    if packed.endswith(b"\r"):  # read as half of a CR LF before endstream (see archival.py)
        data += b" "
        packed = zlib.compress(data, 9)
    stream = pikepdf.Stream(pdf, packed)
    stream.Filter = pikepdf.Name.FlateDecode
    piece = pdf.make_indirect(pikepdf.Dictionary(LastModified=pikepdf.String(modified), Private=stream))
    for holder in (pdf.Root, *(page.obj for page in pdf.pages)):
        pieces = holder.get("/PieceInfo")
        if not isinstance(pieces, pikepdf.Dictionary):
            pieces = pikepdf.Dictionary()
            holder.PieceInfo = pieces
        pieces[RECORD_APP] = piece


def _record_of(holder: pikepdf.Object) -> pikepdf.Stream | None:
    pieces = holder.get("/PieceInfo")
    data = pieces.get(RECORD_APP) if isinstance(pieces, pikepdf.Dictionary) else None
    private = data.get("/Private") if isinstance(data, pikepdf.Dictionary) else None
    return private if isinstance(private, pikepdf.Stream) else None


def read_record(pdf: pikepdf.Pdf) -> BinderRecord | None:
    """The record a binder carries (the document's, else a page's); None when it has none."""
    private = _record_of(pdf.Root)
    for page in pdf.pages:
        if private is not None:
            break
        private = _record_of(page.obj)
    if private is None:
        return None
    try:
        return BinderRecord.from_json(private.read_bytes())
    except (ValueError, TypeError, KeyError, pikepdf.PdfError) as exc:
        raise PaperworkError(f"卷内的核对记录已损坏，无法读取（{exc}）") from None


def binder_record(case: Case, lay: Layout, bound: Bound) -> BinderRecord:
    """What a binder holds, for ``paperwork verify`` (page digests are added when it is finished)."""
    cat = lay.catalog
    rows = []
    for seq, (piece, line, span) in enumerate(
        zip(lay.pieces, catalog_lines(lay), bound.pieces, strict=True), 1
    ):
        files: tuple[FileDigest, ...] = ()
        paper = piece.row.paper
        if paper is not None and paper.document.file:
            path = case.path_of(paper.document.file)
            if path.is_file():
                files = (FileDigest(paper.document.file, file_sha256(path)),)
        rows.append(
            CatalogEntry(
                seq,
                line["title"],
                line["date"],
                line["pages"],
                piece.first,
                piece.last,
                *span,
                missing=paper is None,
                files=files,
            )
        )
    parts = (
        PaperPages("案卷封面", *bound.cover),
        PaperPages("卷内目录", *bound.catalog),
        PaperPages("卷内备考表", *bound.note),
    )
    return BinderRecord(
        case_id=case.case_id,
        binder=cat.spec.name,
        title=cat.title,
        rule="R1" if cat.spec.date_start == "application" else "R2",
        application_date=compact(case.application_date) if case.application_date else "",
        start=compact(cat.start) if cat.start else "",
        end=compact(cat.end) if cat.end else "",
        pieces=len(lay.pieces),
        content_pages=lay.content_pages,
        pages=bound.pages,
        parts=parts,
        rows=tuple(rows),
        numbered=bound.numbered,
    )
