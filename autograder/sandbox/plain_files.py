"""Only a submission's own regular files reach grading.

A submission folder is made by a student: their folder in the exchange, a file in an LMS
download, then its copy in ``submitted/``. Whatever reads one (collect, the LMS import, the
grading of ``submitted/``, the Dask bundle, the sandbox's work folder) takes its regular files
and folders and nothing else: a symbolic link is never followed, a FIFO, socket or device
never opened for reading, a file with other names elsewhere (a hard link) never copied out
of a student's folder, and, where the folder must be the student's own (the exchange),
nothing owned by someone else is taken. Each entry left out gets a line for the submission's notes.

Reading goes through file descriptors opened with ``O_NOFOLLOW`` below the folder's own
descriptor, so a student who swaps a file for a link while it is being read gains nothing.
"""
import errno
import os
import stat

KINDS = {stat.S_IFLNK: "a symbolic link", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket",
         stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def _why_not(info, owners, hard_links=True) -> str:
    """Why an entry with ``info`` (an lstat result) is left out, or ''."""
    kind = stat.S_IFMT(info.st_mode)
    if kind not in (stat.S_IFREG, stat.S_IFDIR):
        return KINDS.get(kind, "not a regular file")
    if hard_links and kind == stat.S_IFREG and info.st_nlink > 1:
        return f"a hard link (the file has {info.st_nlink} names)"
    if owners is not None and info.st_uid not in owners:
        return f"owned by uid {info.st_uid}, not by the student"
    return ""


def copy_plain(source, dest, owners=None) -> list:
    """Copy the regular files and folders below ``source`` into the folder ``dest`` (created
    when missing) without following a link; with ``owners`` (uids) take only what they own.
    Returns a note for each entry left out. Raises OSError when ``source`` itself is not a
    folder (a link to one included) or not theirs."""
    notes = []
    top = os.open(source, OPEN_FLAGS | os.O_DIRECTORY)
    try:
        info = os.fstat(top)
        why = _why_not(info, owners)
        if why:
            raise OSError(errno.EPERM, f"the submission folder is {why}", str(source))
        os.makedirs(dest, exist_ok=True)
        _copy_folder(top, str(dest), "", owners, notes)
    finally:
        os.close(top)
    return notes


def _copy_folder(folder_fd, dest, relative, owners, notes):
    for name in sorted(os.listdir(folder_fd)):
        path = os.path.join(relative, name)
        try:
            info = os.lstat(name, dir_fd=folder_fd)
        except OSError as error:
            notes.append(f"left out {path}: {error.strerror}")
            continue
        why = _why_not(info, owners)
        if why:
            notes.append(f"left out {path}: {why}")
            continue
        try:
            fd = os.open(name, OPEN_FLAGS | (os.O_DIRECTORY if stat.S_ISDIR(info.st_mode) else 0),
                         dir_fd=folder_fd)
        except OSError as error:  # replaced by a link or another kind since lstat
            notes.append(f"left out {path}: changed while it was read ({error.strerror})")
            continue
        try:
            opened = os.fstat(fd)
            if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
                notes.append(f"left out {path}: changed while it was read")
            elif stat.S_ISDIR(opened.st_mode):
                os.makedirs(os.path.join(dest, path), exist_ok=True)
                _copy_folder(fd, dest, path, owners, notes)
            else:
                _copy_file(fd, os.path.join(dest, path), stat.S_IMODE(opened.st_mode))
        finally:
            os.close(fd)


def _copy_file(fd, target, mode):
    out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        while chunk := os.read(fd, 1 << 20):
            os.write(out, chunk)
    finally:
        os.close(out)
    os.chmod(target, (mode & 0o777) | 0o600)


def copy_plain_file(source, target) -> str:
    """Copy the regular file ``source`` to ``target`` without following a link; returns why
    it was not copied, or '' when it was."""
    try:
        info = os.lstat(source)
        why = _why_not(info, None)
        if why or stat.S_ISDIR(info.st_mode):
            return why or "a folder"
        fd = os.open(source, OPEN_FLAGS)
    except OSError as error:
        return error.strerror
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            return "changed while it was read"
        _copy_file(fd, str(target), stat.S_IMODE(opened.st_mode))
    finally:
        os.close(fd)
    return ""


def drop_non_plain(folder) -> list:
    """Remove from ``folder`` (one the instructor's tools wrote, such as
    ``submitted/<student>/<lesson>``) every entry that is not a regular file or folder;
    returns a note for each. Links are removed, never followed. (Hard links stay: only who
    may write the folder can make them, and a backup with ``cp -al`` makes them all.)"""
    notes = []
    if not os.path.isdir(folder) or os.path.islink(folder):
        return notes
    for top, dirs, names in os.walk(folder):
        for name in list(dirs) + names:
            path = os.path.join(top, name)
            info = os.lstat(path)
            why = _why_not(info, None, hard_links=False)
            if not why:
                continue
            if name in dirs:
                dirs.remove(name)  # a link to a folder is walked as a folder: not here
            os.unlink(path)
            notes.append(f"left out {os.path.relpath(path, folder)}: {why}")
    return notes
