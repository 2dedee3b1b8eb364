"""What a file is to a project before it is placed: the rules of docs/ingest.md ("Same name,
same content"), which the upload analysis reports and placement follows.

- **identical**: its content is a file of this project (skipped);
- **identical_elsewhere**: its content is a file of another project (skipped unless
  `import_anyway`);
- **completion**: another format of a photo from the same source folder of the same batch, or,
  across batches, of the photo of its basename that lacks that format (RAWs sent after JPGs);
- **name_taken**: its name (ignoring case) is held by a different file, or by a photo it must
  not join (one from another source folder of its batch): kept under a free name by default;
- **unknown**: the name is taken and the content was not given (an analysis without the
  client's fingerprint): "same name, content unknown";
- **new**: none of these.

Within one batch, files of the same basename from different source folders are different
photos, and a JPG pairs with its RAW only from the same folder: the `source_key` of a file is
its folder and basename, and a batch's files find their partner by it, in the database (so a
batch may span requests and processes) and among the files planned by the same analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.catalog.identity import Twin, current_fingerprint, disk_fingerprint, find_twins
from contactsheet.catalog.photos import (
    file_record,
    photo_in_project,
    same_type_names,
    split_name,
)
from contactsheet.db.tables import Photo, PhotoFile, Project
from contactsheet.library.names import name_key, numbered_copy
from contactsheet.library.paths import LibraryPaths

NEW = "new"
COMPLETION = "completion"
IDENTICAL = "identical"
IDENTICAL_ELSEWHERE = "identical_elsewhere"
NAME_TAKEN = "name_taken"
UNKNOWN = "unknown"
REJECTED = "rejected"


@dataclass(frozen=True)
class Incoming:
    name: str  # the safe name it would be stored under
    size: int | None
    fingerprint: str | None  # None: content not known (an analysis without one)
    batch: str | None
    source_key: str


@dataclass
class Verdict:
    kind: str
    basename: str = ""  # what it is stored under: its own, its partner's, or a free one
    photo: Photo | None = None  # the photo it joins, or whose name (or file) it would take
    taken_by: str | None = None  # the file (or photo) whose name it would take
    twin: Twin | None = None  # where its identical content lives
    own_basename: str = ""  # name_taken: the basename it would have if its name were free
    replaceable: bool = False  # name_taken: `taken_by` is a file it may replace (overwrite)


@dataclass
class _Holder:
    """A photo of the project, known to the database or only planned by this analysis."""

    basename: str
    filenames: list[str]
    batches: set[str]
    photo: Photo | None


@dataclass
class Plan:
    """Files an analysis has classed but not placed: the later files of the same request see
    them as if they were placed (pairs, taken names, identical content)."""

    holders: dict[str, _Holder] = field(default_factory=dict)  # by basename key
    partners: dict[tuple[str | None, str], str] = field(default_factory=dict)  # -> basename key
    contents: dict[str, str] = field(default_factory=dict)  # fingerprint -> planned name

    def add(self, item: Incoming, verdict: Verdict) -> None:
        """`item` as if placed under `verdict` with the default choices (both kept)."""
        if verdict.kind not in (NEW, COMPLETION, NAME_TAKEN, UNKNOWN):
            return
        photo = verdict.photo if verdict.kind == COMPLETION else None
        key = name_key(verdict.basename)
        holder = self.holders.get(key)
        if holder is None:
            holder = _Holder(verdict.basename, [], set(), photo)
            self.holders[key] = holder
        extension = split_name(item.name)[1]
        stored = f"{verdict.basename}{extension}"
        holder.filenames.append(stored)
        if item.batch is not None:
            holder.batches.add(item.batch)
        self.partners.setdefault((item.batch, item.source_key), key)
        if item.fingerprint is not None:
            self.contents[item.fingerprint] = stored


class Classifier:
    """Classes files for one project; `plan` is set when nothing is placed between calls."""

    def __init__(
        self,
        session: Session,
        paths: LibraryPaths,
        project: Project,
        *,
        import_anyway: bool = False,
        plan: Plan | None = None,
    ) -> None:
        self.session = session
        self.paths = paths
        self.project = project
        self.folder = paths.project_dir(project.folder)
        self.import_anyway = import_anyway
        self.plan = plan
        self._on_disk: dict[str, str] | None = None

    def forget_disk(self) -> None:
        """A file was placed: the listing of the folder is read again when needed."""
        self._on_disk = None

    def classify(self, item: Incoming) -> Verdict:
        stem = split_name(item.name)[0]
        if item.fingerprint is not None:
            twin = self._twin(item)
            if twin is not None:
                here = twin.project_id == self.project.id
                if here or not self.import_anyway:
                    return Verdict(IDENTICAL if here else IDENTICAL_ELSEWHERE, twin=twin)
        partner = self._partner(item)
        if partner is not None:
            same = same_type_names(partner.filenames, item.name)
            if not same:
                return self._target(item, COMPLETION, partner)
            return self._taken(item, partner, same[0])
        holder = self._holder(stem)
        if holder is None:
            return self._target(item, NEW, None, stem)
        same = same_type_names(holder.filenames, item.name)
        if same:
            return self._taken(item, holder, same[0])
        if item.batch is None or item.batch not in holder.batches:
            return self._target(item, COMPLETION, holder)
        return self._taken(item, holder, holder.basename)

    # -- the pieces ------------------------------------------------------------------------

    def _twin(self, item: Incoming) -> Twin | None:
        assert item.fingerprint is not None
        if self.plan is not None and item.fingerprint in self.plan.contents:
            planned = self.plan.contents[item.fingerprint]
            return Twin(self.project.id, self.project.folder, self.project.name, None, planned)
        twins = find_twins(
            self.session, self.paths, self.project.tenant, item.fingerprint, item.size
        )
        here = [t for t in twins if t.project_id == self.project.id]
        return (here or twins or [None])[0]

    def _partner(self, item: Incoming) -> _Holder | None:
        """The photo made for the same source folder and basename in the same batch."""
        if self.plan is not None and (item.batch, item.source_key) in self.plan.partners:
            key = self.plan.partners[(item.batch, item.source_key)]
            return self._with_plan(self.plan.holders[key].photo, key)
        if item.batch is None:
            return None
        photo = self.session.scalar(
            select(Photo)
            .join(PhotoFile, PhotoFile.photo_id == Photo.id)
            .where(
                Photo.project_id == self.project.id,
                PhotoFile.batch == item.batch,
                PhotoFile.source_key == item.source_key,
            )
            .order_by(PhotoFile.id)
            .limit(1)
        )
        return self._with_plan(photo, name_key(photo.basename)) if photo is not None else None

    def _holder(self, basename: str) -> _Holder | None:
        photo = photo_in_project(self.session, self.project.id, basename)
        return self._with_plan(photo, name_key(basename))

    def _with_plan(self, photo: Photo | None, key: str) -> _Holder | None:
        planned = self.plan.holders.get(key) if self.plan is not None else None
        if photo is None:
            return planned
        holder = _Holder(
            photo.basename,
            list(photo.filenames),
            {f.batch for f in photo.files if f.batch is not None},
            photo,
        )
        if planned is not None:
            holder.filenames += planned.filenames
            holder.batches |= planned.batches
        return holder

    def _target(
        self, item: Incoming, kind: str, holder: _Holder | None, basename: str | None = None
    ) -> Verdict:
        """`kind` (new or completion), unless the name it would get is taken on disk by a file
        not indexed yet: identical to it, or a name collision with it."""
        stem = split_name(item.name)[0]
        if holder is not None:
            # Joining by its own basename, a file keeps its name's case (IMG_7.jpg + img_7.dng).
            same = name_key(stem) == name_key(holder.basename)
            basename = stem if same else holder.basename
        basename = basename or stem
        photo = holder.photo if holder is not None else None
        target = f"{basename}{split_name(item.name)[1]}"
        loose = self._disk_names().get(name_key(target))
        if loose is None:
            return Verdict(kind, basename=basename, photo=photo)
        if item.fingerprint is not None:
            path = self.paths.child(self.folder, loose)
            if disk_fingerprint(path, item.size) == item.fingerprint:
                twin = Twin(self.project.id, self.project.folder, self.project.name, None, loose)
                return Verdict(IDENTICAL, twin=twin)
        return self._collision(item, photo, loose, basename, replaceable=True)

    def _taken(self, item: Incoming, holder: _Holder, taken_by: str) -> Verdict:
        """The name is held by `taken_by` of `holder`: identical content, or a collision."""
        photo = holder.photo
        record = file_record(photo, taken_by) if photo is not None else None
        if item.fingerprint is not None and record is not None:
            # The record may predate a change on disk that `find_twins` could not see.
            path = self.paths.child(self.folder, taken_by)
            if current_fingerprint(record, path, item.size) == item.fingerprint:
                twin = Twin(
                    self.project.id,
                    self.project.folder,
                    self.project.name,
                    record.photo_id,
                    taken_by,
                )
                return Verdict(IDENTICAL, twin=twin)
        replaceable = taken_by != holder.basename  # a file, not a photo of another shot
        stem = split_name(item.name)[0]
        own = stem if name_key(stem) == name_key(holder.basename) else holder.basename
        return self._collision(item, photo, taken_by, own, replaceable=replaceable)

    def _collision(
        self,
        item: Incoming,
        photo: Photo | None,
        taken_by: str,
        own_basename: str,
        *,
        replaceable: bool,
    ) -> Verdict:
        stem = split_name(item.name)[0]
        return Verdict(
            NAME_TAKEN if item.fingerprint is not None else UNKNOWN,
            basename=stem if self._is_free(stem) else self.free_basename(stem),
            photo=photo,
            taken_by=taken_by,
            own_basename=own_basename,
            replaceable=replaceable,
        )

    def _disk_names(self) -> dict[str, str]:
        """Every entry of the project folder, by name key (compared exactly, never a pattern)."""
        if self._on_disk is None:
            entries = self.folder.iterdir() if self.folder.is_dir() else iter(())
            self._on_disk = {name_key(e.name): e.name for e in entries}
        return self._on_disk

    def free_basename(self, stem: str) -> str:
        """`<stem>_2`, `<stem>_3`… : the first not held by a photo of the project, a planned
        one, or any file in its folder (one put there by hand would join it)."""
        return numbered_copy(stem, self._is_free)

    def _is_free(self, basename: str) -> bool:
        key = name_key(basename)
        if self.plan is not None and key in self.plan.holders:
            return False
        if any(name_key(split_name(n)[0]) == key for n in self._disk_names().values()):
            return False
        return photo_in_project(self.session, self.project.id, basename) is None
