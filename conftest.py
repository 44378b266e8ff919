"""Test-wide fixtures: the personas every permission test speaks in.

On this node (SV-FGR, the test settings' default):
- ``prosecutor``: Fiscal especializada in San Salvador, second factor enrolled.
- ``colleague``: another prosecutor of the same office.
- ``focal_point``, ``victim_care``, ``judge``, ``analyst``, ``trainer``: one per role.
- ``node_admin``: manages accounts, sees no case data.
- ``auditor``: reads the audit trail, changes nothing.
- ``foreign_admin``: an administrator of Guatemala's office (GT-MP) who must not see SV's accounts.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Per-checkout test database names on PostgreSQL, and no kept-alive connections in tests.

    Two checkouts testing against one PostgreSQL server (a developer's and a CI run's) would
    otherwise both use ``test_<name>`` and drop each other's database; and connections kept
    for CONN_MAX_AGE by the live server's request threads outlive the threads, which keeps
    the test database busy when it is dropped at the end.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    database["CONN_MAX_AGE"] = 0
    if database["ENGINE"] == "django.db.backends.postgresql":
        checkout = hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:8]
        suffix = database.get("TEST", {}).get("NAME") or f"test_{database['NAME']}"
        database.setdefault("TEST", {})["NAME"] = f"{suffix}_{checkout}"


@pytest.fixture(autouse=True)
def _test_vault_keyring(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Tests seal and rotate with a keyring of their own, never the checkout's var/ one.
    settings.VAULT_KEYRING_FILE = str(tmp_path_factory.getbasetemp() / "vault-keyring.json")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 at production cost makes every account creation take ~0.1 s; tests that check
    # the hasher itself read PRODUCTION_PASSWORD_HASHERS.
    settings.PRODUCTION_PASSWORD_HASHERS = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def prosecutor(db: None) -> User:
    return UserFactory(username="sv.fiscal", full_name="Ana Morales Castillo", roles=[Role.PROSECUTOR], with_totp=True)


@pytest.fixture
def colleague(db: None) -> User:
    return UserFactory(username="sv.fiscal2", roles=[Role.PROSECUTOR], with_totp=True)


@pytest.fixture
def focal_point(db: None) -> User:
    return UserFactory(username="sv.enlace", roles=[Role.FOCAL_POINT], with_totp=True)


@pytest.fixture
def victim_care(db: None) -> User:
    return UserFactory(username="sv.victimas", roles=[Role.VICTIM_CARE], with_totp=True)


@pytest.fixture
def judge(db: None) -> User:
    return UserFactory(username="sv.juez", roles=[Role.JUDGE], with_totp=True)


@pytest.fixture
def analyst(db: None) -> User:
    return UserFactory(username="sv.analista", roles=[Role.ANALYST])


@pytest.fixture
def trainer(db: None) -> User:
    return UserFactory(username="sv.formador", roles=[Role.TRAINER])


@pytest.fixture
def node_admin(db: None) -> User:
    return UserFactory(username="sv.admin", full_name="Mario Reyes Flores", roles=[Role.NODE_ADMIN], with_totp=True)


@pytest.fixture
def auditor(db: None) -> User:
    return UserFactory(username="sv.auditor", roles=[Role.AUDITOR], with_totp=True)


@pytest.fixture
def foreign_admin(db: None) -> User:
    return UserFactory(username="gt.admin", office_code="GT-MP", roles=[Role.NODE_ADMIN], with_totp=True)
