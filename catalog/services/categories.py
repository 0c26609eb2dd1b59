"""Writes about the need taxonomy (an administrator of the procurement authority, or a superuser)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.text import slugify

from agreements.models import Lot
from agreements.services import require_authority_administrator
from audit.services import audit_record
from catalog.models import NeedCategory


def path_for(category: NeedCategory) -> str:
    parent_path = category.parent.path if category.parent_id else ""
    return f"{parent_path}{category.pk:06d}/"


@transaction.atomic
def category_create(*, actor: User, name: str, parent: NeedCategory | None = None, description: str = "",
                    slug: str = "", code: str = "", code_scheme: str = "", lots: Iterable[Lot] = (),
                    position: int = 0) -> NeedCategory:
    require_authority_administrator(actor)
    category = NeedCategory.objects.create(
        parent=parent, name=name.strip(), description=description, slug=slug or slugify(name)[:80],
        code=code, code_scheme=code_scheme, position=position,
    )
    category.path = path_for(category)
    category.save(update_fields=["path"])
    if lots:
        category.lots.set(lots)
    audit_record(action="category.created", actor=actor, target=category,
                 payload={"name": category.name, "parent": parent.pk if parent else None, "path": category.path})
    return category
