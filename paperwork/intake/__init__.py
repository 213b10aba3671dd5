"""Scans in, proposed papers out: the OCR engine, the reading of a page, grouping, writing proposals.

Beside the render layer, below the binder: imports the case and rules layers (and the base:
``errors``, ``finding``, ``files``); never the binder, the server or the CLI. The OCR engine
(rapidocr) is imported only when a page is read.
"""
