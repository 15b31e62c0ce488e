"""Writes the licence metadata of a repaired (self-contained) wheel.

The wheel auditwheel repaired bundles Debian's FFmpeg, which is configured
with --enable-gpl (libx264, libx265, libxvid are GPL-2.0-or-later), together
with Apache-2.0 libraries (OpenSSL 3): the wheel as a whole is distributed
under GPL-3.0-or-later, while codecflow's own code stays BSD-3-Clause. This
script copies, for every library in codecflow.libs/, its Debian package's
copyright file into the wheel's .dist-info/licenses/, writes BUNDLED.txt
(library, package, version, licences named in the copyright file), sets the
License field and classifier of METADATA, and writes the RECORD anew.

Usage: python tools/wheel_licences.py REPAIRED_WHEEL OUT_DIR
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from typing import Dict, List, Tuple

LICENSE = (
    "GPL-3.0-or-later (this wheel bundles FFmpeg built with GPL parts such as libx264, "
    "and Apache-2.0 libraries; codecflow's own code is BSD-3-Clause, see LICENSE; each "
    "bundled library's licence is in licenses/bundled/, listed in licenses/BUNDLED.txt)"
)
CLASSIFIERS = [
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
    "Operating System :: POSIX :: Linux",
]
_HASHED = re.compile(r"^(?P<base>.+)-[0-9a-f]{8}(?P<ext>\..+)$")


def _package_of(library: str) -> Tuple[str, str]:
    """(Debian package, version) owning the file named library."""
    out = subprocess.run(["dpkg", "-S", f"*/{library}"], capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"wheel_licences.py: no Debian package owns {library}")
    package = out.stdout.splitlines()[0].split(":")[0].strip()
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                             capture_output=True, text=True, check=True).stdout.strip()
    return package, version


def _licences_named(copyright_text: str) -> List[str]:
    names = []
    for line in copyright_text.splitlines():
        if line.startswith("License:"):
            name = line[len("License:"):].strip()
            if name and name not in names:
                names.append(name)
    return names


def _record_line(name: str, data: bytes) -> List[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def main(wheel_path: str, out_dir: str) -> None:
    with zipfile.ZipFile(wheel_path) as wheel:
        entries = {info.filename: (info, wheel.read(info)) for info in wheel.infolist()}
    dist_info = next(n.split("/")[0] for n in entries if n.split("/")[0].endswith(".dist-info"))
    libs = sorted(n for n in entries if n.startswith("codecflow.libs/") and not n.endswith("/"))
    if not libs:
        raise SystemExit(f"wheel_licences.py: {wheel_path} bundles no libraries")

    packages: Dict[str, Tuple[str, List[str]]] = {}
    rows = []
    for name in libs:
        bundled = os.path.basename(name)
        match = _HASHED.match(bundled)
        original = match.group("base") + match.group("ext") if match else bundled
        package, version = _package_of(original)
        if package not in packages:
            with open(f"/usr/share/doc/{package}/copyright", encoding="utf-8",
                      errors="replace") as f:
                text = f.read()
            packages[package] = (text, _licences_named(text))
        rows.append((original, package, version, ", ".join(packages[package][1]) or "see file"))

    added: Dict[str, bytes] = {}
    for package, (text, _) in sorted(packages.items()):
        added[f"{dist_info}/licenses/bundled/{package}/copyright"] = text.encode()
    width = max(len(r[0]) for r in rows)
    summary = io.StringIO()
    summary.write("Libraries bundled in codecflow.libs/ (from Debian's packages), their\n"
                  "package and version, and the licences their copyright file names.\n\n")
    for original, package, version, licences in rows:
        summary.write(f"{original:<{width}}  {package} {version}: {licences}\n")
    added[f"{dist_info}/licenses/BUNDLED.txt"] = summary.getvalue().encode()

    meta_name = f"{dist_info}/METADATA"
    meta_info, meta = entries[meta_name]
    lines = meta.decode().split("\n")
    header_end = lines.index("") if "" in lines else len(lines)
    header = [line for line in lines[:header_end]
              if not line.startswith(("License:", "License-Expression:"))
              and not line.startswith("Classifier: License ::")]
    header.append(f"License: {LICENSE}")
    header += [f"Classifier: {c}" for c in CLASSIFIERS if f"Classifier: {c}" not in header]
    header += [f"License-File: {n[len(dist_info) + len('/licenses/'):]}" for n in sorted(added)]
    entries[meta_name] = (meta_info, "\n".join(header + lines[header_end:]).encode())

    record_name = f"{dist_info}/RECORD"
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, os.path.basename(wheel_path))
    with zipfile.ZipFile(target + ".part", "w", zipfile.ZIP_DEFLATED) as out:
        record = io.StringIO()
        writer = csv.writer(record, lineterminator="\n")
        for name, (info, data) in entries.items():
            if name == record_name:
                continue
            out.writestr(info, data)
            writer.writerow(_record_line(name, data))
        for name, data in sorted(added.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data)
            writer.writerow(_record_line(name, data))
        writer.writerow([record_name, "", ""])
        out.writestr(record_name, record.getvalue())
    os.replace(target + ".part", target)
    print(f"wheel_licences.py: {len(libs)} bundled libraries from {len(packages)} packages; "
          f"{os.path.basename(target)}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
