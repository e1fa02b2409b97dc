#!/usr/bin/env python3
"""Builds small (possibly hostile) unsigned APK v2 packages for tests.

usage: mkapk.py OUT.apk NAME [--datahash HEX] [--truncate N] [--replaces X] ENTRY...
ENTRY: d:PATH (directory), f:PATH=TEXT (file), l:PATH=TARGET (symlink),
       h:PATH=TARGET (hard link).
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
    a = ap.parse_args()
    members = []
    size = 0
    for e in a.entries:
        kind, rest = e.split(":", 1)
        path, _, val = rest.partition("=")
        ti = tarfile.TarInfo(path)
        ti.mtime = 1700000000; ti.uname = ti.gname = "root"
        data = None
        if kind == "d":
            ti.type = tarfile.DIRTYPE; ti.mode = 0o755
        elif kind == "f":
            data = val.encode(); ti.size = len(data); ti.mode = 0o644; size += len(data)
            ti.pax_headers = {"APK-TOOLS.checksum.SHA1": hashlib.sha1(data).hexdigest()}
        elif kind == "l":
            ti.type = tarfile.SYMTYPE; ti.linkname = val; ti.mode = 0o777
            ti.pax_headers = {"APK-TOOLS.checksum.SHA1": hashlib.sha1(val.encode()).hexdigest()}
        elif kind == "h":
            ti.type = tarfile.LNKTYPE; ti.linkname = val; ti.mode = 0o644
        members.append((ti, data))
    data_gz = gzip.compress(tar_bytes(members, False), mtime=0)
    pkginfo = ("pkgname = %s\npkgver = 1.0-r0\npkgdesc = test\nurl = \nbuilddate = 1700000000\n"
               "size = %d\narch = x86_64\nlicense = MIT\n" % (a.name, max(size, 1)))
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
