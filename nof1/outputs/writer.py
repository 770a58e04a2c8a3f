"""The writer itself: :class:`OutputSet` (see the package docstring for what it does)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from nof1.errors import Nof1Error
from nof1.outputs import _fs, manifest
from nof1.outputs.manifest import MANIFEST
from nof1.outputs.staging import Moves, stage_file
from nof1.outputs.targets import (
    STAGING_PREFIX,
    Inputs,
    input_paths,
    relative_target,
    would_overwrite,
)

__all__ = ["OutputSet", "write_file", "write_outputs"]


class OutputSet:
    """One run's claim on an output folder: locked, checked, then written all at once.

    Parameters
    ----------
    out_dir : str or Path
        The folder (created if missing; may itself be a link to a folder).
    force : bool
        Replace existing files (and remove the rest of the previous set ``name``).
    name : str, optional
        The name of the output set in the folder's manifest; without it (a single
        file such as ``nof1 report --out FILE``) no manifest is kept.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with OutputSet(d, name="demo") as out:
    ...     [p.name for p in out.write({"a.txt": "hello\\n", "sub/b.txt": b"bytes"})]
    ['a.txt', 'b.txt']
    >>> sorted(p.name for p in Path(d).rglob("*"))
    ['.nof1-outputs.json', 'a.txt', 'b.txt', 'sub']
    >>> with OutputSet(d, force=True, name="demo") as out:
    ...     _ = out.write({"a.txt": "again\\n"})
    >>> sorted(p.name for p in Path(d).rglob("*"))  # sub/b.txt was the old set's
    ['.nof1-outputs.json', 'a.txt']
    """

    def __init__(self, out_dir: str | os.PathLike, *, force: bool = False, name: str | None = None):
        self.root = Path(out_dir)
        self.force = force
        self.name = name
        self._fd: int | None = None
        self._staging: str | None = None
        self._created: list[Path] = []
        self._written = False
        self._keep_staging = False

    def __enter__(self) -> OutputSet:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        """Create, lock and stage the folder; :class:`Nof1Error` naming it if it cannot be."""
        root = self.root
        if os.path.lexists(root) and not root.is_dir():
            raise Nof1Error(
                f"{root}: exists and is not a folder (nof1 writes its files into a folder)"
            )
        self._make_folders(root)
        try:
            self._fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise _fs.error(root, exc, "cannot open") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise Nof1Error(
                f"{root}: another nof1 run is writing there now; wait for it to end or "
                "choose another --out"
            ) from None
        try:
            path = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root)
        except OSError as exc:
            self.close()
            raise _fs.error(root, exc, "cannot write to") from None
        self._staging = os.path.basename(path)

    def _make_folders(self, root: Path) -> None:
        missing = []
        for folder in (root, *root.parents):
            if os.path.lexists(folder):
                break
            missing.append(folder)
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:  # made by a concurrent run: fine, the lock decides
                continue
            except OSError as exc:
                self._remove_created()
                raise _fs.error(folder, exc, "cannot create") from None
            self._created.append(folder)

    def close(self) -> None:
        """Remove the staging folder, release the lock (and undo folders made for nothing)."""
        if self._fd is None:
            return
        if self._staging is not None and not self._keep_staging:
            _fs.remove_tree(self._fd, self._staging)
        self._staging = None
        if not self._written:
            self._remove_created()
        os.close(self._fd)  # releases the lock
        self._fd = None

    def _remove_created(self) -> None:
        for folder in reversed(self._created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        self._created = []

    def refuse_existing(self, names: Iterable[str]) -> None:
        """Fail now, before a long run, if any of ``names`` exists and ``force`` is off."""
        if self.force:
            return
        existing = [n for n in names if self._lstat(PurePosixPath(n)) is not None]
        if existing:
            raise would_overwrite([self.root / n for n in existing])

    def stage(self) -> str:
        """Where workers write files (:func:`~nof1.outputs.staging.stage_files`) before
        :meth:`write` (``staged``) commits them; inside the output folder."""
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.root / self._staging / "new")
        return str(self.root / self._staging)

    def write(
        self,
        files: Mapping[str, str | bytes],
        inputs: Inputs | None = None,
        *,
        add: bool = False,
        staged: Mapping[str, list] | None = None,
        kept: Mapping[str, list] | None = None,
    ) -> list[Path]:
        """Write ``files`` (relative path -> text or bytes) under the folder, all or nothing.

        May be called more than once in a run: the first call (with ``force``) replaces
        the previous set, later ones add to this run's set.

        Parameters
        ----------
        files : mapping
            Relative path (``/``-separated) to text (written as UTF-8, newlines untouched)
            or bytes.
        inputs : mapping, optional
            The run's input files by role (``{"diary": path, "--allocation": path}``; a
            value may be a list of paths or None). None of them is ever replaced or removed.
        add : bool
            Add to the set in the folder instead of replacing it, even with ``force``
            (e.g. a problems file written when the run fails: the earlier results stay).
        staged, kept : mapping, optional
            Relative path -> [size, sha256]: files written into :meth:`stage` (committed
            with ``files``), and files left as they are (``--resume``: only recorded).

        Returns
        -------
        list of Path
            The paths written, in the order given.

        Raises
        ------
        Nof1Error
            A target that exists (without ``force``), is an input, is a folder, or lies
            under a file or link; or an OS error while writing (named with its path).
            Nothing in the folder has changed then.
        """
        if self._fd is None or self._staging is None:
            raise RuntimeError("OutputSet.write() outside `with OutputSet(...)`")
        rels = [relative_target(r) for r in files]
        staged, kept = dict(staged or {}), dict(kept or {})
        inputs = input_paths(inputs or {})
        existing = self._check(rels + [relative_target(r) for r in staged], inputs)
        if existing and not self.force:
            raise would_overwrite([self.root / r for r in existing])
        sets = manifest.read_sets(self._fd) if self.name else None
        replace = self.force and not add and not self._written
        ours = rels + [PurePosixPath(r) for r in (*staged, *kept)]
        stale = self._stale(sets, ours, inputs) if sets is not None and replace else []
        staging = os.open(self._staging, _fs.DIR_FLAGS, dir_fd=self._fd)
        try:
            with contextlib.suppress(FileExistsError):  # made by stage()
                os.mkdir("new", dir_fd=staging)
            os.mkdir("old", dir_fd=staging)
            recorded = {str(relative_target(r)): v for r, v in (kept | staged).items()}
            for rel, content in zip(rels, files.values(), strict=True):
                data = content.encode("utf-8") if isinstance(content, str) else content
                recorded[str(rel)] = stage_file(staging, rel, data, self.root / rel)
            if sets is not None:
                text = manifest.text(sets, self.name, recorded, replace, stale)
                stage_file(
                    staging, PurePosixPath(MANIFEST), text.encode("utf-8"), self.root / MANIFEST
                )
            self._commit(staging, stale)
        finally:
            if not self._keep_staging:  # ready for another write
                _fs.remove_tree(staging, "new")
                _fs.remove_tree(staging, "old")
            os.close(staging)
        self._written = True
        self._remove_empty_parents(stale)
        return [self.root / r for r in rels]

    def write_file(
        self,
        path: str | os.PathLike,
        content: str | bytes,
        inputs: Inputs | None = None,
        *,
        add: bool = True,
    ) -> Path:
        """Write one more file of this run, wherever it goes (e.g. ``--problems FILE``).

        Inside the folder it joins this run's set (``add``: without replacing the rest);
        elsewhere it is written on its own, as :func:`write_file` does.
        """
        target = Path(os.path.abspath(path))
        root = Path(os.path.abspath(self.root))
        if target == root:
            raise Nof1Error(f"{path}: is the output folder, not a file name")
        if target.is_relative_to(root):
            rel = target.relative_to(root).as_posix()
            return self.write({rel: content}, inputs, add=add)[0]
        return write_file(path, content, force=self.force, inputs=inputs)

    def _check(self, rels: list[PurePosixPath], inputs: list[tuple[str, Path]]) -> list:
        """The targets that exist; :class:`Nof1Error` for any that cannot be replaced."""
        existing = []
        folders = {p for r in rels for p in r.parents if p != PurePosixPath(".")}
        for folder in sorted(folders, key=lambda p: len(p.parts)):
            st = self._lstat(folder)
            if st is not None and not stat.S_ISDIR(st.st_mode):
                kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "a file"
                raise Nof1Error(
                    f"{self.root / folder}: is {kind} where nof1 writes a folder "
                    "(nof1 never writes through links); remove it or choose another --out"
                )
        targets = rels + ([PurePosixPath(MANIFEST)] if self.name else [])
        for rel in targets:
            st = self._lstat(rel)
            if st is None:
                continue
            path = self.root / rel
            if stat.S_ISDIR(st.st_mode):
                raise Nof1Error(f"{path}: is a folder where nof1 writes a file; remove it")
            for role, source in inputs:
                if _fs.same_file(path, source):
                    same = "" if path == source else f" ({source}, the same file)"
                    raise Nof1Error(
                        f"{path}: is the {role} of this run{same}, where it would write its "
                        f"output {rel}; nof1 never overwrites an input: choose another --out"
                    )
            if rel in rels:
                existing.append(rel)
        return existing

    def _lstat(self, rel: PurePosixPath) -> os.stat_result | None:
        """lstat of ``rel`` under the folder, never through a link (None if absent)."""
        fd = self._open_parent(rel)
        if fd is None:
            return None
        try:
            return _fs.lstat_at(fd, rel.name)
        finally:
            os.close(fd)

    def _open_parent(self, rel: PurePosixPath) -> int | None:
        """A descriptor of the folder holding ``rel``, walked without following links."""
        fd = os.dup(self._fd)
        for part in rel.parts[:-1]:
            try:
                child = os.open(part, _fs.DIR_FLAGS, dir_fd=fd)
            except OSError:  # missing, not a folder, or a link (ELOOP)
                os.close(fd)
                return None
            os.close(fd)
            fd = child
        return fd

    def _stale(self, sets: dict, rels, inputs) -> list[PurePosixPath]:
        """Files of the previous set that the new one does not have and nof1 may remove."""
        new = {str(r) for r in rels}
        old = sets.get(self.name)
        if not isinstance(old, dict):
            return []
        stale = []
        for key, entry in old.items():
            try:
                rel = relative_target(key)
            except ValueError:
                continue
            if key in new or not self._unchanged(rel, entry):
                continue
            if any(_fs.same_file(self.root / rel, source) for _, source in inputs):
                continue
            stale.append(rel)
        return stale

    def _unchanged(self, rel: PurePosixPath, entry) -> bool:
        """A regular file whose size and SHA-256 are still those in the manifest."""
        parent = self._open_parent(rel)
        if parent is None:
            return False
        try:
            return manifest.unchanged(parent, rel.name, entry)
        finally:
            os.close(parent)

    def _commit(self, staging: int, stale: list[PurePosixPath]) -> None:
        """Move the staged tree into place; on any failure undo every move made."""
        moves = Moves(os.open("old", _fs.DIR_FLAGS, dir_fd=staging))
        path = self.root
        try:
            moves.merge(moves.hold(os.open("new", _fs.DIR_FLAGS, dir_fd=staging)), self._fd)
            for rel in stale:
                path = self.root / rel
                parent = self._open_parent(rel)
                if parent is None:
                    continue
                moves.move_aside(moves.hold(parent), rel.name)
        except BaseException as exc:  # an OS error, or Ctrl-C half-way: undo every move
            lost = moves.undo()
            if not isinstance(exc, OSError):
                self._keep_staging = lost > 0
                raise
            error = _fs.error(path, exc, "cannot replace")
            if lost:  # keep what could not be put back, and say where
                self._keep_staging = True
                error = Nof1Error(
                    f"{error}; {lost} file(s) could not be put back: they are in "
                    f"{self.root / self._staging}"
                )
            raise error from None
        finally:
            moves.close()

    def _remove_empty_parents(self, stale: list[PurePosixPath]) -> None:
        folders = {p for r in stale for p in r.parents if p != PurePosixPath(".")}
        for folder in sorted(folders, key=lambda p: -len(p.parts)):
            fd = self._open_parent(folder)
            if fd is None:
                continue
            with contextlib.suppress(OSError):
                os.rmdir(folder.name, dir_fd=fd)
            os.close(fd)


def write_outputs(
    out_dir: str | os.PathLike,
    files: Mapping[str, str | bytes],
    force: bool = False,
    inputs: Inputs | None = None,
    name: str | None = None,
) -> list[Path]:
    """Write ``files`` (relative path -> contents) under ``out_dir``: claim, check, write.

    The one-shot form of :class:`OutputSet` (see there and the module docstring).

    Returns
    -------
    list of Path
        The paths written, in the order given.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> [p.name for p in write_outputs(d, {"a.txt": "hello\\n"})]
    ['a.txt']
    >>> write_outputs(d, {"a.txt": "again\\n"})
    Traceback (most recent call last):
    ...
    nof1.errors.Nof1Error: would overwrite 1 existing file(s): ...a.txt (use --force to replace)
    """
    with OutputSet(out_dir, force=force, name=name) as out:
        return out.write(files, inputs)


def write_file(
    path: str | os.PathLike, content: str | bytes, force: bool = False, inputs: Inputs | None = None
) -> Path:
    """Write one file (``nof1 report --out FILE``, a ``--problems`` CSV) the same way."""
    path = Path(path)
    if path.name in ("", ".", ".."):
        raise Nof1Error(f"{path}: is a folder, not a file name")
    return write_outputs(path.parent, {path.name: content}, force=force, inputs=inputs)[0]
