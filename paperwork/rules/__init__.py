"""The bureau's rules: form library and bureau data, resolution, catalogs, derived dates,
validation, checklist, working days and time limits. ``data/*.yaml`` holds what a bureau
may do its own way.

Imports the case layer only; nothing here renders, converts or prints.
"""
