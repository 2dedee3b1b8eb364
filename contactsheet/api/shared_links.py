"""Shared links as the photographer manages them (docs/sharing.md). Visitors' routes are in
`api/shared.py`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import Id, PhotoId, Text
from contactsheet.catalog.bulk import MAX_ITEMS
from contactsheet.catalog.photo_view import photo_item
from contactsheet.sharing import links

router = APIRouter(prefix="/api/shared-links", tags=["sharing"])


def _in_utc(value: datetime) -> datetime:
    """The moment in UTC, within years the database and every client can hold."""
    try:
        moment = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the date is out of range") from exc
    if not 2000 <= moment.year <= 9000:
        raise ValueError("the date must be between the years 2000 and 9000")
    return moment


Expiry = Annotated[AwareDatetime, AfterValidator(_in_utc)]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
Description = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]


class LinkFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    expires_at: Expiry | None = Field(None, description="null: never expires.")
    allow_downloads: bool | None = None
    show_location: bool | None = Field(None, description="Show the photos' GPS to visitors.")


class CreateLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description = ""
    photo_ids: list[PhotoId] = Field(default_factory=list, max_length=MAX_ITEMS)
    expires_at: Expiry | None = None
    allow_downloads: bool = False
    show_location: bool = False


class ChangePhotos(BaseModel):
    model_config = ConfigDict(extra="forbid")

    add: list[PhotoId] = Field(default_factory=list, max_length=MAX_ITEMS)
    remove: list[PhotoId] = Field(default_factory=list, max_length=MAX_ITEMS)


@router.get("")
def list_links(runtime: RuntimeDep) -> dict[str, Any]:
    """Every link, newest first, with how many of its photos are public (only those are shown)."""
    return {"items": links.list_links(runtime)}


@router.post("", status_code=201)
def create_link(body: CreateLink, runtime: RuntimeDep) -> dict[str, Any]:
    """A new link with a random key. Photos that do not exist are listed in `failed`."""
    fields = body.model_dump(exclude={"photo_ids"})
    link, failed = links.create_link(runtime, photo_ids=body.photo_ids, **fields)
    return {**link, "failed": failed}


@router.get("/{link_id}")
def get_link(link_id: Id, runtime: RuntimeDep) -> dict[str, Any]:
    return links.get_link(runtime, link_id)


@router.patch("/{link_id}")
def update_link(link_id: Id, body: LinkFields, runtime: RuntimeDep) -> dict[str, Any]:
    """Change what is given; `expires_at: null` makes the link never expire."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("title", "") is None:
        changes.pop("title")
    if changes.get("description", "") is None:
        changes["description"] = ""
    for flag in ("allow_downloads", "show_location"):
        if flag in changes and changes[flag] is None:
            changes.pop(flag)
    return links.update_link(runtime, link_id, changes)


@router.delete("/{link_id}", status_code=204)
def delete_link(link_id: Id, runtime: RuntimeDep) -> Response:
    """The link goes at once; its photos are not touched."""
    links.delete_link(runtime, link_id)
    return Response(status_code=204)


@router.post("/{link_id}/photos")
def change_photos(link_id: Id, body: ChangePhotos, runtime: RuntimeDep) -> dict[str, Any]:
    """Add and remove photos (at most 2,000 of each); a photo that does not exist is reported in
    `failed` and the rest go on. Adding a photo already in the link changes nothing."""
    return links.change_photos(runtime, link_id, body.add, body.remove)


@router.post("/{link_id}/regenerate")
def regenerate(link_id: Id, runtime: RuntimeDep) -> dict[str, Any]:
    """A new key: the old address answers 404 from now on."""
    return links.regenerate_key(runtime, link_id)


@router.get("/{link_id}/photos")
def link_photos(
    link_id: Id,
    runtime: RuntimeDep,
    cursor: Annotated[Text | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Every photo of the link, public or private, in the gallery's order."""
    page, next_cursor = links.link_photos(runtime, link_id, cursor, limit)
    items = []
    for photo, folder in page:
        item = photo_item(photo, folder, {})
        items.append(
            {
                "id": photo.id,
                "basename": photo.basename,
                "project": folder,
                "visibility": photo.visibility,
                "thumbnail_url": item["thumbnail_url"],
            }
        )
    return {"items": items, "next_cursor": next_cursor}
