"""What LawTrail keeps on the local disk (LAWTRAIL_HOME: the database, keys, stored
originals, partial uploads) holds an agency's records: only the account the service runs
as may read it. Directories are made 0700 and files 0600 whatever the umask, since a
server's umask usually lets every local user read.

Nothing here imports Django: the settings use it before Django is set up."""

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path):
    """`mkdir -p` whose every new directory is 0700 (Path.mkdir gives parents the umask's
    mode). Directories that exist are left as they are: `check --deploy` names any that
    others can read."""
    path = Path(path)
    if not path.is_dir():
        private_dir(path.parent)
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:  # made meanwhile by another process
            pass
    return path


def private_file(path):
    """Create an empty 0600 file unless it exists (a SQLite database made before SQLite
    opens it: SQLite gives its journal and WAL files the database's mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    return Path(path)


def write_private(path, data):
    """Write a new file that is 0600 from its first byte (a key must never be readable by
    others, not even for a moment); FileExistsError if it is already there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def open_to_others(path):
    """Whether anyone but the owner may read, write or enter `path` (False when it is missing)."""
    try:
        return bool(os.stat(path).st_mode & 0o077)
    except FileNotFoundError:
        return False
