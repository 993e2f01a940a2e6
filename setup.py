"""Packaging: the metadata is in pyproject.toml; this file only maps two data folders.

The product owner keeps ``templates/`` and ``migrations/`` at the top of the repository.
A wheel carries them inside the package as ``labsys/templates`` and ``labsys/migrations``
(``labsys.resource_dir`` finds them there when installed, at the checkout's root in
development).  pyproject.toml cannot both discover packages and map extra ones, hence
this file.  Data folders are listed as (namespace) packages, as setuptools asks.
"""

from setuptools import find_namespace_packages, setup

MAPPED = {"labsys.templates": "templates", "labsys.migrations": "migrations"}
NOT_PACKAGES = ["*__pycache__*"]


def packages() -> list[str]:
    found = find_namespace_packages(include=["labsys", "labsys.*"], exclude=NOT_PACKAGES)
    for package, folder in MAPPED.items():
        found.append(package)
        found += [
            f"{package}.{sub}" for sub in find_namespace_packages(folder, exclude=NOT_PACKAGES)
        ]
    return found


setup(
    packages=packages(),
    package_dir=MAPPED,
    package_data={
        "labsys": ["static/**/*", "translations/**/*", "data/**/*"],
        "labsys.templates": ["**/*.html"],
        # env.py and the revisions are picked up as modules; alembic loads them by path.
        "labsys.migrations": ["alembic.ini", "script.py.mako"],
    },
)
