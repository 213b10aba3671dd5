"""Binders: LibreOffice, conversion, attachments, assembly, cache, manifest, build and batch.

Imports every layer below it; the CLI sits on top.
"""
