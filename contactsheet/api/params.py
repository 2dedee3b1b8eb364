"""What the API accepts that the database could not hold, refused once. Every id a route or a
request body takes is one of these types, and so is every name or filter that goes into a query
unchecked, so the OpenAPI schema says what the database can take and anything else is a 400 at
validation instead of a database error deep in a query."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from contactsheet.errors import InvalidInput

# Ids are `Integer` columns: 32 bits on PostgreSQL (64 on SQLite). The narrower one bounds them,
# so an id that one engine could not store is refused the same way on both.
ID_MAX = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=ID_MAX)]
PhotoId = Id
JobId = Id
TrashEntryId = Id
# Event ids start at 0 ("nothing seen yet").
EventCursor = Annotated[int, Field(ge=0, le=ID_MAX)]
Rating = Annotated[int, Field(ge=0, le=5)]

# PostgreSQL text can neither hold nor be compared with a NUL, and no name contains one.
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]


class PhotoRef(BaseModel):
    """One photo of a request's `items`."""

    photo_id: PhotoId


def id_list(text: str, limit: int = 2000) -> list[int]:
    """Ids written `1,2,3` (a query parameter, a form field), each a valid id, at most `limit`."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) > limit:
        raise InvalidInput(f"at most {limit} ids")
    ids = []
    for part in parts:
        if (
            not part.isascii()
            or not part.isdigit()
            or len(part) > 10
            or not 1 <= int(part) <= ID_MAX
        ):
            raise InvalidInput(f"not a valid id: {part[:20]!r}")
        ids.append(int(part))
    return ids
