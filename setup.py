"""What pyproject.toml cannot say: packages are found, and templates/docx/ installs as paperwork.templates.

Everything else (name, version, dependencies, package data) is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["paperwork", "paperwork.*"], exclude=["*.__pycache__"]),
        "paperwork.templates",
    ],
    package_dir={"paperwork.templates": "templates/docx"},
)
