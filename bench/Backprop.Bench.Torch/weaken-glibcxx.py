#!/usr/bin/env python3
"""Marks one symbol-version requirement of an ELF shared library as weak, so the dynamic loader accepts an
older libstdc++ that lacks that version.

TorchSharp 0.107.0's libLibTorchSharp.so was built with GCC 13 and asks for GLIBCXX_3.4.32; Debian 12's
libstdc++ stops at 3.4.30. The only symbol bound to 3.4.32 is std::ios_base_library_init, which no relocation
uses, so a weak requirement (VER_FLG_WEAK in the Vernaux entry of .gnu.version_r) is enough for it to load.

usage: weaken-glibcxx.py LIBRARY [VERSION]   (VERSION defaults to GLIBCXX_3.4.32)
Only ever run it on a copy (the build output), never on the NuGet cache. Safe to run twice.
"""
import os
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def weaken(data: bytearray, version: bytes) -> str:
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    for _name, sh_type, _flags, _addr, offset, _size, link, info, _align, _entsize in sections:
        if sh_type != SHT_GNU_VERNEED:
            continue
        strings_offset = sections[link][4]
        need = offset
        for _ in range(info):  # sh_info holds the number of Verneed entries
            _vn_version, vn_cnt, _vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, need)
            aux = need + vn_aux
            for _ in range(vn_cnt):
                _hash, flags, _other, name, vna_next = struct.unpack_from("<IHHII", data, aux)
                start = strings_offset + name
                if data[start:data.index(b"\0", start)] == version:
                    if flags & VER_FLG_WEAK:
                        return "already weak"
                    struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                    return "marked weak"
                aux += vna_next
            need += vn_next
    raise SystemExit(f"no requirement for {version.decode()} found")


def main() -> None:
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    path = sys.argv[1]
    version = (sys.argv[2] if len(sys.argv) == 3 else "GLIBCXX_3.4.32").encode()
    data = bytearray(open(path, "rb").read())
    outcome = weaken(data, version)
    if outcome == "marked weak":
        # Write a new file and move it over the old one, so a hard link into a package cache is never written through.
        temporary = path + ".weakened"
        with open(temporary, "wb") as out:
            out.write(data)
        os.chmod(temporary, os.stat(path).st_mode)
        os.replace(temporary, path)
    print(f"{os.path.basename(path)}: {version.decode()} {outcome}")


if __name__ == "__main__":
    main()
