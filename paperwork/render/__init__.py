"""Documents made from a case: form contexts, DOCX filling, stamps, sheets, ledger, chart, fonts.

Imports the case and rules layers; knows nothing of LibreOffice runs or binders.
"""
