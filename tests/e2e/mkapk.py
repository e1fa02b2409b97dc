#!/usr/bin/env python3
"""Builds small (possibly hostile) unsigned APK v2 packages for tests.

usage: mkapk.py OUT.apk NAME [--datahash HEX] [--truncate N] [--replaces X] [--size N]
                 [--version V] ENTRY...
ENTRY: d:PATH[=OCTAL MODE] (directory), f:PATH=TEXT (file), l:PATH=TARGET
       (symlink), h:PATH=TARGET (hard link), c:PATH=MAJOR,MINOR[,OCTAL MODE]
       (character device, default mode 0666).
Layout as apk-format §2.1: control tar (EOF blocks cut) + data tar, each its
own gzip member, every file/symlink with its APK-TOOLS.checksum.SHA1 record.
"""
import argparse, gzip, hashlib, io, tarfile

def tar_bytes(members, cut):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = buf.getvalue()
    if cut:
        while raw.endswith(b"\0" * 512):
            raw = raw[:-512]
    return raw

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out"); ap.add_argument("name")
    ap.add_argument("--datahash"); ap.add_argument("--truncate", type=int, default=0)
    ap.add_argument("--replaces"); ap.add_argument("entries", nargs="*")
    ap.add_argument("--size", type=int); ap.add_argument("--version", default="1.0-r0")
    a = ap.parse_intermixed_args()
    members = []
    size = 0
    for e in a.entries:
        kind, rest = e.split(":", 1)
        path, _, val = rest.partition("=")
        ti = tarfile.TarInfo(path)
        ti.mtime = 1700000000; ti.uname = ti.gname = "root"
        data = None
        if kind == "d":
            ti.type = tarfile.DIRTYPE; ti.mode = int(val, 8) if val else 0o755
        elif kind == "f":
            data = val.encode(); ti.size = len(data); ti.mode = 0o644; size += len(data)
            ti.pax_headers = {"APK-TOOLS.checksum.SHA1": hashlib.sha1(data).hexdigest()}
        elif kind == "l":
            ti.type = tarfile.SYMTYPE; ti.linkname = val; ti.mode = 0o777
            ti.pax_headers = {"APK-TOOLS.checksum.SHA1": hashlib.sha1(val.encode()).hexdigest()}
        elif kind == "h":
            ti.type = tarfile.LNKTYPE; ti.linkname = val; ti.mode = 0o644
        elif kind == "c":
            dev = val.split(",")
            ti.type = tarfile.CHRTYPE; ti.devmajor = int(dev[0]); ti.devminor = int(dev[1])
            ti.mode = int(dev[2], 8) if len(dev) > 2 else 0o666
        members.append((ti, data))
    data_gz = gzip.compress(tar_bytes(members, False), mtime=0)
    pkginfo = ("pkgname = %s\npkgver = %s\npkgdesc = test\nurl = \nbuilddate = 1700000000\n"
               "size = %d\narch = x86_64\nlicense = MIT\n"
               % (a.name, a.version, max(size, 1) if a.size is None else a.size))
    if a.replaces:
        pkginfo += "replaces = %s\n" % a.replaces
    pkginfo += "datahash = %s\n" % (a.datahash or hashlib.sha256(data_gz).hexdigest())
    ti = tarfile.TarInfo(".PKGINFO"); ti.size = len(pkginfo); ti.mtime = 1700000000
    control_gz = gzip.compress(tar_bytes([(ti, pkginfo.encode())], True), mtime=0)
    blob = control_gz + data_gz
    if a.truncate:
        blob = blob[:-a.truncate]
    with open(a.out, "wb") as f:
        f.write(blob)

main()
