"""What the last build into an OUT folder was made from, to tell an unchanged case at once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from paperwork.binder.cache import digest
from paperwork.files import write_atomic
from paperwork.rules.resolution import Resolved

__all__ = ["MANIFEST", "Manifest", "fingerprint"]

MANIFEST = Path(".paperwork") / "manifest.json"


def _folder(path: Path | None) -> list[tuple[str, int, int]]:
    if path is None or not path.is_dir():
        return []
    return [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.glob("*.docx"))]


def fingerprint(
    resolved: Resolved, *, draft: bool, templates: Path | None, duplex: bool = False, pdfa: str | None = None
) -> str:
    """A digest of everything a build reads: case, bureau data, templates, attachments, options."""
    from paperwork._version import __version__
    from paperwork.binder.pdfs import converter_salt
    from paperwork.render.docx_templates import default_templates

    case = resolved.case
    source = Path(case.source)
    bureau = [Path(s).read_bytes() if Path(s).is_file() else s for s in resolved.bureau.sources[1:]]
    shipped = resources.files("paperwork.rules").joinpath("data/bureau.yaml").read_bytes()
    files = []
    for doc in case.documents:
        if doc.file:
            path = case.path_of(doc.file)
            stat = path.stat() if path.exists() else None
            files.append((doc.file, stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1))
    return digest(
        __version__,
        converter_salt(),
        source.read_bytes() if source.is_file() else str(case),
        shipped,
        *bureau,
        _folder(default_templates()),
        _folder(templates),
        files,
        draft,
        duplex,
        pdfa or "",
    )


def _listing(out: Path, names: list[str]) -> dict[str, object]:
    listing: dict[str, object] = {}
    for name in names:
        path = out / name
        if path.is_dir():
            listing[name] = sorted((p.name, p.stat().st_size) for p in path.iterdir())
        elif path.is_file():
            listing[name] = path.stat().st_size
    return listing


@dataclass(frozen=True)
class Manifest:
    """The fingerprint of a build and the outputs it wrote."""

    stamp: str
    names: list[str]
    listing: dict[str, object] | None = None
    draft: bool | None = None  # None: a manifest written before builds said

    def write(self, out: Path) -> None:
        path = out / MANIFEST
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "stamp": self.stamp,
            "draft": self.draft,
            "outputs": json.loads(json.dumps(_listing(out, self.names))),
        }
        write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1))

    @classmethod
    def read(cls, out: Path) -> Manifest | None:
        try:
            data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            draft = data.get("draft")
            draft = draft if isinstance(draft, bool) else None
            return cls(str(data["stamp"]), list(data["outputs"]), dict(data["outputs"]), draft)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def intact(self, out: Path) -> bool:
        """Whether every output is still there as it was written."""
        current = json.loads(json.dumps(_listing(out, self.names)))
        return bool(self.listing) and current == self.listing
