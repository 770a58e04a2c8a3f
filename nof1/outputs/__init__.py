"""Writing a command's output files: all or nothing, never through a link, never over an input.

Every command that writes files goes through :class:`OutputSet` (or its one-shot form
:func:`write_outputs`):

1. **Claim** the output folder when the run starts: create it if missing, lock it
   (``flock`` on the folder itself, non-blocking, so a second run into the same folder
   fails at once) and make a private staging folder inside it
   (``tempfile.mkdtemp``: same file system, unguessable name, mode 0700). An
   unwritable folder fails here, before any long computation.
2. **Check** every target before anything is written: an existing file is replaced only
   with ``force``; a folder where a file goes, a file or symbolic link where a folder
   goes, and any target that is an input of the same run (same resolved path or same
   inode) are refused with a message naming both.
3. **Stage** every file in the staging folder (``O_CREAT | O_EXCL | O_NOFOLLOW``).
   A failure here (disk full, quota) leaves the folder as it was.
4. **Commit**: rename each staged file (or whole staged sub-folder) into place. Every
   file it replaces is first moved aside into the staging folder, so a failure half-way
   undoes what was done. ``rename`` replaces a symbolic link planted at a target as a
   link; nothing is ever written through one. All paths are opened relative to folder
   descriptors opened with ``O_NOFOLLOW``, so a link planted mid-run is not followed
   either.

**The previous output set.** A command that writes a set of files into ``--out`` names
it (``name="analyze"``, ``"series"``...). The set is recorded in ``.nof1-outputs.json``
in the folder: per set, each file's relative path with its size and SHA-256 (so the
same run writes a byte-identical manifest).
With ``force``, the files of the previous set of that name that are not in the new one
are removed as part of the commit (e.g. the ``patients/ID/`` folders of patients no
longer in a series), but only files whose content is still what nof1 recorded (a file
edited or replaced since is kept), never an input of the run, and never a
file nof1 did not record. Folders left empty by that are removed.

To write one more file alongside the set (a ``--problems`` CSV inside ``--out``), add
it to ``files``; to write one file anywhere else, use :func:`write_file`.
"""

from nof1.outputs.manifest import MANIFEST
from nof1.outputs.writer import OutputSet, write_file, write_outputs

__all__ = ["MANIFEST", "OutputSet", "write_file", "write_outputs"]
